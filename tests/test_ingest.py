"""Tests for navograph.ingest: decoding, normalisation of PDF damage, and the offset map."""
from __future__ import annotations

import io
import os
import pickle
import random
import re
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navograph import ingest
from navograph.ingest import IngestError, SourceDocument, iter_documents, normalise, read_document

SEEDS = Path(__file__).parent.parent / "seeds"
DATA = Path(__file__).parent / "data" / "ingest"


# --------------------------------------------------------------------------- helpers


def seed(prefix: str) -> SourceDocument:
    return _SEED_CACHE.setdefault(prefix, read_document(next(SEEDS.glob(f"{prefix}_*.txt"))))


_SEED_CACHE: dict[str, SourceDocument] = {}


def body(d: SourceDocument) -> str:
    return d.text[: d.body_end]


def paras(d: SourceDocument, heading: bool | None = None) -> list[str]:
    return [d.text[p.start:p.end] for p in d.paragraphs if heading is None or p.heading == heading]


def find(d: SourceDocument, s: str) -> tuple[int, int]:
    i = d.text.index(s)
    return i, i + len(s)


def text_pos(d: SourceDocument, o: int) -> int:
    """The index in ``text`` of the character at ``original[o]``."""
    return next(i for i in range(len(d.text)) if d.original_offset(i) == o)


_DROPPED = {"\u00ad", "\u200b", "\u2060", "\ufeff"}


def clean(s: str) -> str:
    """Whitespace, hyphens, and the characters normalise drops, removed."""
    return "".join(
        c for c in s
        if not (c.isspace() or c in _DROPPED or c in "-\u2010" or unicodedata.category(c) == "Cc")
    )


def same_words(d: SourceDocument, s: int, e: int) -> bool:
    """The exact token invariant: the original span of ``text[s:e]``, outside furniture (and,
    for the body, outside footnote blocks), cleaned, equals ``text[s:e]`` with its markers put
    back, cleaned."""
    a, b = d.original_span(s, e)
    assert 0 <= a < b <= len(d.original)
    excl = sorted(d.furniture + (d.footnote_blocks if e <= d.body_end else []))
    got = "".join(d.original[k] for k in range(a, b) if not any(x <= k < y for x, y in excl))
    w = d.text[s:e]
    for mk, p in sorted(d.markers, key=lambda x: -x[1]):
        if s < p < e:
            w = w[: p - s] + mk + w[p - s:]
    return clean(got) == clean(w)


def check_map(d: SourceDocument) -> None:
    """The invariants stated in the ingest module docstring."""
    t, original = d.text, d.original
    for i, c in enumerate(t):
        o = d.original_offset(i)
        assert 0 <= o < len(original)
        oc = original[o]
        assert c == oc or (c.isspace() and oc.isspace()), (i, c, oc)
        assert c == "\n" or not (c in _DROPPED or unicodedata.category(c) == "Cc"), (i, c)
    for m in re.finditer(r"\S+", t):
        assert same_words(d, *m.span()), (m.group(), d.original_text(*m.span()))
    last = 0
    for p in d.paragraphs:
        assert last <= p.start < p.end <= d.body_end
        last = p.end
    for f in d.footnotes:
        assert d.body_end <= f.start <= f.end <= len(t)
    for _, p in d.markers:
        assert 0 <= p <= d.body_end
    for a, b in d.furniture:
        assert 0 <= a < b <= len(original)


# --------------------------------------------------------------------------- seeds: dehyphenation


@pytest.mark.parametrize(
    "doc, word, damaged",
    [
        ("000", "ontwikkelingen", "ontwikke-\nlingen"),
        ("000", "wapenleveranties", "wapenleve-\nranties"),
        ("000", "dialoogkanalen", "dialoogka-\n nalen"),
        ("000", "zaterdagavond", "zaterdag-\navond"),
        ("000", "gemeenschappelijke", "gemeen-\nschappelijke"),
        ("001", "Buitenlandse", "Buiten-\nlandse"),
        ("001", "Vertegenwoordiger", "Vertegenwoor-\ndiger"),
        ("002", "capaciteitsopbouw", "capaciteits-\nopbouw"),
        ("002", "Comprehensive", "Compre-\nhensive"),
        ("004", "lastenverdeling", "lastenver-\ndeling"),
    ],
)
def test_hyphen_across_line_break_is_removed(doc, word, damaged):
    d = seed(doc)
    assert damaged in d.original
    assert damaged.split("-")[0] + "-" not in d.text.replace(word, "")
    assert word in d.text
    s = text_pos(d, d.original.index(damaged))
    e = s + len(word)
    assert d.text[s:e] == word
    assert d.original_text(s, e) == damaged  # the span goes back to the damaged original


@pytest.mark.parametrize(
    "doc, word",
    [
        ("003", "NAVO-ministers"),
        ("003", "Euro-Atlantisch"),
        ("000", "NAVO2030-proces"),
        ("003", "non-proliferatie"),
        ("004", "trans-Atlantische"),
        ("004", "Noord-Amerika"),
        ("004", "NAVO2030-agenda"),
        ("004", "politiek-militair advies voorbereiden"),
        ("001", "Nieuw-Zeeland"),
    ],
)
def test_hyphen_that_belongs_to_the_word_stays(doc, word):
    d = seed(doc)
    first = word.split()[0]
    assert first.replace("-", "-\n") in d.original or word.replace("-", "-\n", 1) in d.original
    assert word in d.text
    assert first.replace("-", "") not in d.text


def test_title_in_capitals_is_one_heading_with_the_word_rejoined():
    d = seed("000")
    assert "MINIS-\nTERIËLE" in d.original
    title = "GEANNOTEERDE AGENDA VAN DE INFORMELE NAVO MINISTERIËLE BIJEENKOMST VAN 14 EN 15 MEI 2022"
    assert paras(d)[0] == title
    assert d.paragraphs[0].heading


@pytest.mark.parametrize(
    "text, expected",
    [
        ("de NAVO-\ntop in Madrid.", "de NAVO-top in Madrid."),
        ("het EU-\nbeleid is helder.", "het EU-beleid is helder."),
        ("de Euro-\nAtlantische regio.", "de Euro-Atlantische regio."),
        ("de COVID-\n19 crisis.", "de COVID-19 crisis."),
        ("een non-\nproliferatie verdrag.", "een non-proliferatie verdrag."),
        ("een ex-\nminister sprak.", "een ex-minister sprak."),
        ("de ontwik-\nkeling gaat door.", "de ontwikkeling gaat door."),
        ("in de Oost-\nen Noordzee.", "in de Oost- en Noordzee."),
        ("een zee-\neend zwom.", "een zee-eend zwom."),
        ("een pro-\nbleem ontstond.", "een probleem ontstond."),
        ("het trans-\nport van de atlantische vloot.", "het transport van de atlantische vloot."),
        ("het trans-\natlantische verkeer en atlantische zaken.",
         "het trans-atlantische verkeer en atlantische zaken."),
        ("de ontwik\u00ad\nkeling gaat door.", "de ontwikkeling gaat door."),
        ("militair vermogen –\nde doelen.", "militair vermogen – de doelen."),
        ("DE INFORMELE NAVO MINIS-\nTERIËLE TOP", "DE INFORMELE NAVO MINISTERIËLE TOP"),
        ("NAVO en de NAVO-\nTOP\n\nTekst.", "NAVO en de NAVO-TOP"),
        # document evidence wins over the default rules
        ("Een werk-\ngroep. Later de werk-groep.", "Een werk-groep. Later de werk-groep."),
        ("Een NAVO-\nverdrag. Het NAVOverdrag.", "Een NAVOverdrag. Het NAVOverdrag."),
    ],
)
def test_dehyphenation_rules(text, expected):
    d = normalise(text)
    assert expected in d.text
    check_map(d)


# --------------------------------------------------------------------------- seeds: paragraphs, pages, footnotes


def test_sentence_interrupted_by_footnote_and_page_break_is_joined():
    d = seed("000")
    b = body(d)
    assert "Het kabinet staat hier welwillend tegenover. De Nederlandse inzet" in b
    assert "Zie o.a." not in b
    notes = [d.text[f.start:f.end] for f in d.footnotes]
    assert len(notes) == 1 and d.footnotes[0].marker == "1"
    assert notes[0].startswith("Zie o.a. Kamerstuk 28 676, nr. 404")
    assert notes[0].endswith("Kamerstukken 28 676 en 36 045, nr. 403.")
    assert d.footnotes[0].start >= d.body_end
    # the footnote's text maps to its place in the original
    fs, fe = d.original_span(d.footnotes[0].start, d.footnotes[0].end)
    assert d.original[fs:fe].startswith("Zie o.a. Kamerstuk 28 676, nr. 404;")
    # the joined sentence maps back over the footnote: same words, same order
    s, e = find(d, "welwillend tegenover")
    orig = d.original_text(s, e)
    assert orig.startswith("welwillend") and orig.endswith("tegenover")


@pytest.mark.parametrize(
    "doc, joined",
    [
        ("001", "spreken over de ontwikkelingen vanuit China op deze thema’s"),
        ("002", "beschikt over het vermogen om op elk moment"),
        ("004", "voor de Europese- en trans-Atlantische veiligheid."),
        ("004", "De ontwikkeling van een nieuw Strategisch Concept door de NAVO"),
    ],
)
def test_page_break_mid_sentence_is_joined(doc, joined):
    assert joined in body(seed(doc))


def test_footnotes_of_all_seeds():
    notes = {k: [(f.marker, seed(k).text[f.start:f.end]) for f in seed(k).footnotes] for k in ("000", "001", "002", "003", "004")}
    assert notes["001"] == []
    assert [m for m, _ in notes["002"]] == ["1", "2"]
    assert notes["002"][1][1] == "Zie Kamerstuk 28 676, nr. 418 van 30 september 2022."
    assert notes["003"] == [("1", "Kamerstuk 28 676, nr. 394"), ("2", "Kamerstuk 28 676 nr. 397")]
    assert notes["004"][0][1].endswith("de NAVO-projectie wat Nederland betreft 1,76% bbp")


@pytest.mark.parametrize(
    "doc, context, marker",
    [
        ("000", "waarover uw Kamer separaat werd geïnformeerd.", "1"),
        ("002", "Nederland zal de recent aangekondigde steun toelichten", "1"),
        ("002", "geïnformeerd heeft, onderschrijft Nederland", "2"),
        ("003", "conform de motie Van Haga, ieder handelend", "1"),
        ("003", "conform de motie Van Haga.", "2"),
        ("004", "gemiddelde van de Europese bondgenoten. In de nieuwe", "1"),
    ],
)
def test_footnote_markers_removed_and_recorded(doc, context, marker):
    d = seed(doc)
    b = body(d)
    assert context in b
    i = b.index(context)
    positions = [p for m, p in d.markers if m == marker and i <= p <= i + len(context)]
    assert len(positions) == 1
    p = positions[0]
    # the marker stood right there in the original
    o = d.original_offset(p - 1) + 1
    assert d.original[o:o + len(marker)] == marker


def test_numbers_that_are_content_stay():
    assert "2%-norm uit 2014" in body(seed("001"))
    assert "richting 2% in 2024" in body(seed("001"))
    assert "(Kamerstuk 28 676, nr. 210)" in body(seed("001"))
    b2 = body(seed("002"))
    for s in ("Zr.Ms. Tromp", "(de SNMG I)", "12-13 oktober", "bijna EUR 20 miljoen", "dertig NAVO-bondgenoten"):
        assert s in b2
    b3 = body(seed("003"))
    assert "60 testlocaties zijn, verspreid over de 30 bondgenoten." in b3
    assert "Founding Act uit 1997" in b3
    b4 = body(seed("004"))
    for s in ("de 11e luchtmobiele", "met 11 officieren", "1,85% bbp", "(Kamerstuk 36 045, nr. 2)", "10,7 miljard",
              "NAVO2030-agenda", "nr. 53, Regeling"):
        assert s in b4
    assert sum(len(seed(k).markers) for k in ("000", "001", "002", "003", "004")) == 6


def test_furniture_of_003_is_set_apart():
    d = seed("003")
    for s in ("[Afzender]", "[Ondertekenaar 2]", "Onze Referentie", "BZDOC-142826276-26"):
        assert s in d.original
        assert s not in d.text
    furn = [d.original[a:b] for a, b in d.furniture]
    assert furn.count("[Afzender]") == 2 and furn.count("BZDOC-142826276-26") == 2
    assert "[Ondertekenaar 2]" in furn and furn.count("Onze Referentie") == 2
    # the paragraph around the second furniture block is intact
    assert "Eerste sessie 7 april: Rusland/Oekraïne en aantasting internationale rechtsorde" in paras(d, True)


@pytest.mark.parametrize(
    "doc, heading",
    [
        ("000", "Werksessie I: Oekraïne"),
        ("000", "Diner met deelname van Finland en Zweden"),
        ("000", "Bespreking extra steun aan Oekraïne vanuit European Peace Facility op de Raad Buitenlandse "
                "Zaken van maandag 16 mei 2022 en de Raad Buitenlandse Zaken/Defensie op dinsdag 17 mei 2022"),
        ("001", "Sessie 1: Bijeenkomst met de Oekraïense Minister van Buitenlandse Zaken"),
        ("001", "Sessie 2: Aanstaande NAVO-Top in Vilnius"),
        ("001", "NAVO-toetreding Finland en Zweden"),
        ("001", "China"),
        ("001", "Sessie 3: Bijeenkomst met partners in de Indo-Pacific en de EU HV"),
        ("002", "Sessie 2: Informeel diner Rusland/Oekraïne"),
        ("003", "Avondsessie 6 april: NAVO 2030 / Strategisch Concept"),
        ("003", "VERSLAG NAVO MINISTERIËLE BIJEENKOMST VAN 6 EN 7 APRIL 2022"),
        ("003", "Tweede sessie 7 april: Rusland / Oekraïne"),
        ("004", "Strategisch concept"),
        ("004", "NAVO-EU samenwerking"),
    ],
)
def test_headings_are_own_paragraphs(doc, heading):
    d = seed(doc)
    assert heading in paras(d, heading=True)
    # and the paragraph after it is not glued to it
    i = paras(d).index(heading)
    nxt = d.paragraphs[i + 1]
    assert not nxt.heading
    assert d.text[nxt.start].isupper()


def test_heading_directly_followed_by_paragraph_in_003():
    d = seed("003")
    ps = paras(d)
    i = ps.index("Avondsessie 6 april: NAVO 2030 / Strategisch Concept")
    assert ps[i + 1].startswith("De veiligheidssituatie in Europa is de afgelopen maanden verslechterd.")
    assert "Concept De veiligheidssituatie" not in d.text


def test_no_body_paragraph_is_a_heading_by_accident():
    for k in ("000", "001", "002", "003", "004"):
        for h in paras(seed(k), heading=True):
            assert len(h) < 200 and not h.endswith((".", ",", ":", ";"))


def test_signature_salutation_and_date_are_kept():
    p3 = paras(seed("003"))
    assert p3[:4] == [
        "Geachte voorzitter,",
        "Hierbij bied ik u het verslag aan van de NAVO ministeriële bijeenkomst van 6 en 7 april 2022.",
        "De minister van Buitenlandse Zaken,",
        "W.B. Hoekstra",
    ]
    d4 = seed("004")
    p4 = paras(d4)
    assert p4[-2:] == ["De Minister van Defensie,", "K.H. Ollongren"]
    assert not d4.paragraphs[-1].heading
    assert p4[0] == "Aan de Voorzitter van de Tweede Kamer der Staten-Generaal"
    assert p4[1] == "Den Haag, 26 februari 2022" and not d4.paragraphs[1].heading
    s, e = find(d4, "K.H. Ollongren")
    assert d4.original_text(s, e) == "K.H. Ollongren"


def test_paragraphs_without_blank_lines_split_after_short_sentence_end():
    p4 = paras(seed("004"))
    assert any(p.endswith("(Handelingen II 2021/22, nr. 53, Regeling van Werkzaamheden).") for p in p4)
    assert any(p.startswith("De bijeenkomst van de NAVO ministers van Defensie vond plaats") for p in p4)


@pytest.mark.parametrize("doc", ["000", "001", "002", "003", "004"])
def test_offset_map_invariants_on_seeds(doc):
    d = seed(doc)
    check_map(d)
    assert d.encoding == "utf-8" and d.doc_id.startswith(doc)
    assert len(d._seg_t) < len(d.text) / 20  # runs, not characters
    # whole sentences map back with the same words in the same order
    n = 0
    for m in re.finditer(r"[A-Z][^.\n]{20,}?\.", body(d)):
        assert same_words(d, *m.span())
        n += 1
    assert n > 20


def test_normalise_is_deterministic_and_pure():
    o = (SEEDS / next(SEEDS.glob("003_*.txt")).name).read_text(encoding="utf-8")
    a, b = normalise(o, "x"), normalise(o, "x")
    assert a == b and a.text == b.text and list(a._seg_o) == list(b._seg_o)


def test_crlf_and_cr_line_endings_give_the_same_text():
    o = next(SEEDS.glob("004_*.txt")).read_text(encoding="utf-8")
    lf = normalise(o)
    for nl in ("\r\n", "\r"):
        other = normalise(o.replace("\n", nl))
        assert other.text == lf.text
        assert [(p.start, p.end, p.heading) for p in other.paragraphs] == [
            (p.start, p.end, p.heading) for p in lf.paragraphs
        ]
        assert nl in other.original
        check_map(other)
        s, e = find(other, "verdedigingsfunctie")
        assert other.original_text(s, e) == f"verdedi-{nl}gingsfunctie"


def test_soft_hyphen_nbsp_and_controls():
    d = normalise("Een\u00a0zin met ont\u00adwikkeling,\ttab en\x07 bel.\n")
    assert d.text == "Een zin met ontwikkeling, tab en bel."
    check_map(d)


# --------------------------------------------------------------------------- encodings

LETTER = (
    " Aan de Voorzitter van de Tweede Kamer der Staten-Generaal \n\n"
    "Den Haag, 26 februari 2022 \n\n"
    "Werksessie I: Oekraïne \n\n"
    "De ministers spraken over de coördinatie van steun aan Oekraïne en over de ontwik-\n"
    "kelingen in de regio’s – ook die in Georgië.1 Het kabinet is hier welwillend\n\n"
    "1 Zie Kamerstuk 28 676, nr. 404 (« bron »).\n"
    " tegenover en deelt die mening. De NAVO-\ntop volgt.\n\n"
    "De Minister van Defensie,\nK.H. Ollongren\n"
)


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("utf-8", LETTER.encode("utf-8")),
        ("utf-8-sig", LETTER.encode("utf-8-sig")),
        ("cp1252", LETTER.encode("cp1252")),
        ("utf-16", LETTER.encode("utf-16-le").join([b"\xff\xfe", b""])),
        ("utf-16", b"\xfe\xff" + LETTER.encode("utf-16-be")),
        ("utf-8", LETTER.replace("\n", "\r\n").encode("utf-8")),
    ],
)
def test_encodings_give_the_same_text(tmp_path, encoding, data):
    p = tmp_path / "letter.txt"
    p.write_bytes(data)
    d = read_document(p)
    ref = normalise(LETTER)
    assert d.encoding == encoding
    assert d.text == ref.text
    assert d.original.replace("\r\n", "\n") == LETTER
    assert d.doc_id == "letter" and d.path == p
    import hashlib

    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert "ook die in Georgië. Het kabinet is hier welwillend tegenover en deelt die mening. De NAVO-top volgt." in d.text
    assert [m for m, _ in d.markers] == ["1"]
    assert [d.text[f.start:f.end] for f in d.footnotes] == ["Zie Kamerstuk 28 676, nr. 404 (« bron »)."]
    assert paras(d, heading=True) == ["Aan de Voorzitter van de Tweede Kamer der Staten-Generaal", "Werksessie I: Oekraïne"]
    assert paras(d)[-2:] == ["De Minister van Defensie,", "K.H. Ollongren"]
    check_map(d)


# --------------------------------------------------------------------------- bad input


def _err(path: Path, **kw) -> IngestError:
    with pytest.raises(IngestError) as ei:
        read_document(path, **kw)
    e = ei.value
    assert e.path == path
    assert str(e) == f"{path}: {e.reason}"
    return e


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\r\n \n", "only whitespace"),
        ("blank16.txt", "  \n \n".encode("utf-16"), "only whitespace"),
        ("nul.txt", b"Hallo\x00wereld\x00\x00", "binary content"),
        ("ctrl.txt", bytes(range(1, 9)) * 50 + b"tekst", "binary content"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary content"),
        ("undecodable.txt", b"Hallo \x81\x8d\x8f wereld, dit is geen tekst", "undecodable"),
        ("bad16.txt", b"\xff\xfe" + b"a\x00\x00\xd8b\x00", "undecodable"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path, name, data, reason):
    p = tmp_path / name
    p.write_bytes(data)
    assert reason in _err(p).reason


def test_too_large_says_size_and_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(b"NAVO " * 100)
    e = _err(p, max_bytes=100)
    assert "500 bytes" in e.reason and "limit of 100 bytes" in e.reason
    assert read_document(p, max_bytes=500).text.startswith("NAVO NAVO")


def test_unreadable_paths(tmp_path, monkeypatch):
    assert "no such file" in _err(tmp_path / "missing.txt").reason
    assert "directory" in _err(tmp_path).reason
    p = tmp_path / "secret.txt"
    p.write_text("Geheim.", encoding="utf-8")
    real_open = open

    def deny(file, *a, **kw):
        if Path(file) == p:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **kw)

    monkeypatch.setattr("builtins.open", deny)
    assert "cannot read: Permission denied" == _err(p).reason


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_by_mode(tmp_path):
    p = tmp_path / "secret.txt"
    p.write_text("Geheim.", encoding="utf-8")
    p.chmod(0)
    try:
        assert "cannot read" in _err(p).reason
    finally:
        p.chmod(0o600)


def test_ingest_error_pickles():
    e = IngestError(Path("a/b.txt"), "empty file")
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.path, e2.reason, str(e2)) == (Path("a/b.txt"), "empty file", f"{Path('a/b.txt')}: empty file")


# --------------------------------------------------------------------------- PDF


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF: one Helvetica text line per string; an empty page list item = no text."""
    objs: list[bytes] = []

    def add(b: bytes) -> int:
        objs.append(b)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = add(b"")
    kids = []
    for lines in pages:
        ops = [b"BT /F1 11 Tf 14 TL 72 760 Td"]
        for ln in lines:
            s = ln.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + s + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops) if lines else b"0 0 m 100 100 l S"
        c = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (pages_id, font, c)
        ))
    objs[pages_id - 1] = (
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    )
    cat = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offsets:
        out.write(b"%010d 00000 n \n" % o)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, cat, xref))
    return out.getvalue()


def test_pdf_with_text_layer(tmp_path):
    p = tmp_path / "brief.pdf"
    p.write_bytes(make_pdf([
        ["Sessie 1: Oekraïne", "De ministers spraken over de ontwik-", "kelingen in Oekraïne.1 Het kabinet",
         "staat hier welwillend", "1 Zie Kamerstuk 28 676, nr. 404."],
        ["tegenover. De NAVO-", "top volgt in juli.", "Pagina 2 van 2"],
    ]))
    d = read_document(p)
    assert d.encoding == "pdf" and d.doc_id == "brief"
    assert "\f" in d.original  # pages joined with a form feed
    assert paras(d, heading=True) == ["Sessie 1: Oekraïne"]
    assert "De ministers spraken over de ontwikkelingen in Oekraïne. Het kabinet staat hier welwillend tegenover." in d.text
    assert "De NAVO-top volgt in juli." in d.text
    assert [d.text[f.start:f.end] for f in d.footnotes] == ["Zie Kamerstuk 28 676, nr. 404."]
    assert [m for m, _ in d.markers] == ["1"]
    assert [d.original[a:b] for a, b in d.furniture] == ["Pagina 2 van 2"]
    check_map(d)
    s, e = find(d, "ontwikkelingen")
    assert d.original_text(s, e) == "ontwik-\nkelingen"


def test_pdf_line_starting_with_a_number_is_not_a_footnote(tmp_path):
    p = tmp_path / "datum.pdf"
    p.write_bytes(make_pdf([
        ["Het kabinet steunt dit voorstel.4 De bijeenkomst vindt plaats op",
         "4 april in Brussel en duurt twee dagen. De ministers spreken",
         "over de steun aan Oekraïne en over de toekomst van het",
         "bondgenootschap, en over veel meer onderwerpen die",
         "in de komende maanden aan de orde zullen komen",
         "tijdens de vergaderingen van de Noord-Atlantische",
         "Raad in Brussel en elders.",
         "4 Zie Kamerstuk 28 676, nr. 404."],
        ["Tweede pagina."],
    ]))
    d = read_document(p)
    assert [(f.marker, d.text[f.start:f.end]) for f in d.footnotes] == [("4", "Zie Kamerstuk 28 676, nr. 404.")]
    assert "De bijeenkomst vindt plaats op 4 april in Brussel" in d.text
    assert "voorstel. De bijeenkomst" in d.text


def test_pdf_without_text_layer(tmp_path):
    p = tmp_path / "scan.pdf"
    p.write_bytes(make_pdf([[], []]))
    assert "without a text layer" in _err(p).reason


def test_pdf_with_blank_page_from_pypdf(tmp_path):
    import pypdf

    w = pypdf.PdfWriter()
    w.add_blank_page(width=200, height=200)
    p = tmp_path / "blank.pdf"
    with open(p, "wb") as f:
        w.write(f)
    assert "without a text layer" in _err(p).reason


def test_broken_pdf(tmp_path):
    p = tmp_path / "broken.pdf"
    p.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    assert "PDF" in _err(p).reason
    q = tmp_path / "fake.pdf"
    q.write_text("Gewone tekst.", encoding="utf-8")
    assert _err(q).reason == "not a PDF: no %PDF- header"


# --------------------------------------------------------------------------- XML

XML = """<?xml version="1.0" encoding="UTF-8"?>
<officiele-publicatie xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <metadata><meta name="DC.title" content="Verslag"/></metadata>
  <kamerstuk>
    <dossier><dossiernummer><dossiernr>28676</dossiernr></dossiernummer>
      <titel>NAVO</titel></dossier>
    <stuk>
      <stuknr>Nr. <ondernummer>395</ondernummer></stuknr>
      <titel>BRIEF VAN DE MINISTER VAN BUITENLANDSE ZAKEN</titel>
      <brief>
        <aanhef><al>Geachte voorzitter,</al></aanhef>
        <al>Hierbij bied ik u het verslag aan van de NAVO ministeriële bijeenkomst.</al>
        <tussenkop>Werksessie I: Oekraïne</tussenkop>
        <al>Bondgenoten spraken over <nadruk type="cur">steun</nadruk> aan Oekraïne, conform de motie
          Van Haga<noot id="n1" type="voet"><noot.nr>1</noot.nr><noot.al>Kamerstuk 28 676, nr. 394</noot.al></noot>,
          en over 2% van het bbp.</al>
        <kop><nr>2.</nr><titel>China.</titel></kop>
        <al>Het kabinet maakt zich zorgen.<noot id="n2" type="voet"><noot.nr>2</noot.nr><noot.al>Zie
          <extref doc="kst-28676-397">Kamerstuk 28 676, nr. 397</extref>.</noot.al></noot></al>
        <ondertekening>
          <al>De Minister van Buitenlandse Zaken,</al>
          <al>W.B. Hoekstra</al>
        </ondertekening>
      </brief>
    </stuk>
  </kamerstuk>
</officiele-publicatie>
"""


def test_xml_officielebekendmakingen(tmp_path):
    p = tmp_path / "kst-28676-395.xml"
    p.write_text(XML, encoding="utf-8")
    d = read_document(p)
    assert d.encoding == "xml" and d.doc_id == "kst-28676-395"
    assert "DC.title" not in d.original and "Verslag" not in d.original
    assert "conform de motie Van Haga1, en over 2% van het bbp." in d.original  # rendered, marker glued
    ps = paras(d)
    assert "Werksessie I: Oekraïne" in paras(d, heading=True)
    assert "2. China." in paras(d, heading=True)  # a heading by structure, even with a full stop
    assert "Bondgenoten spraken over steun aan Oekraïne, conform de motie Van Haga, en over 2% van het bbp." in ps
    assert "Het kabinet maakt zich zorgen." in ps
    assert ps[-2:] == ["De Minister van Buitenlandse Zaken,", "W.B. Hoekstra"]
    assert [(f.marker, d.text[f.start:f.end]) for f in d.footnotes] == [
        ("1", "Kamerstuk 28 676, nr. 394"),
        ("2", "Zie Kamerstuk 28 676, nr. 397."),
    ]
    assert [m for m, _ in d.markers] == ["1", "2"]
    check_map(d)
    s, e = find(d, "Van Haga, en")
    assert d.original_text(s, e) == "Van Haga1, en"


def test_bad_xml(tmp_path):
    p = tmp_path / "bad.xml"
    p.write_text("<al>niet gesloten", encoding="utf-8")
    assert "not well-formed XML" in _err(p).reason
    p2 = tmp_path / "entity.xml"
    p2.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><al>a &e; b</al>', encoding="utf-8")
    d = read_document(p2)  # external entities are not resolved
    assert "root:" not in d.original


# --------------------------------------------------------------------------- iter_documents


def test_iter_documents_walks_sorted_and_survives_bad_entries(tmp_path, monkeypatch):
    root = tmp_path / "letters"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "locked").mkdir()
    (root / "z.txt").write_text("Laatste brief.", encoding="utf-8")
    (root / "a" / "one.txt").write_text("Eerste brief.", encoding="utf-8")
    (root / "a" / "empty.txt").write_bytes(b"")
    (root / "a" / "notes.doc").write_bytes(b"ignored")
    (root / "a" / ".hidden.txt").write_text("verborgen", encoding="utf-8")
    (root / "b" / "deep" / "two.PDF").write_bytes(make_pdf([["Tweede brief."]]))
    (root / "b" / "three.xml").write_text("<al>Derde brief.</al>", encoding="utf-8")
    (root / "locked" / "x.txt").write_text("niet te lezen", encoding="utf-8")
    os.symlink(root, root / "b" / "deep" / "loop")  # a loop back to the top
    os.symlink(root / "nowhere.txt", root / "b" / "dangling.txt")

    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == root / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(ingest.os, "scandir", scandir)
    got = list(iter_documents([root, tmp_path / "missing"]))
    files = [g for g in got if isinstance(g, Path)]
    errors = [g for g in got if isinstance(g, IngestError)]
    assert files == [
        root / "a" / "empty.txt",
        root / "a" / "one.txt",
        root / "b" / "deep" / "two.PDF",
        root / "b" / "three.xml",
        root / "z.txt",
    ]
    reasons = {e.path: e.reason for e in errors}
    assert "symbolic link loop" in reasons[root / "b" / "deep" / "loop"]
    assert "broken symbolic link" in reasons[root / "b" / "dangling.txt"]
    assert "Permission denied" in reasons[root / "locked"]
    assert "no such file" in reasons[tmp_path / "missing"]
    assert list(iter_documents([root])) == list(iter_documents([root]))  # deterministic

    # reading: the bad file fails alone, the good ones are read
    results = []
    for f in files:
        try:
            results.append(read_document(f).text)
        except IngestError as e:
            results.append(e.reason)
    assert results == ["empty file", "Eerste brief.", "Tweede brief.", "Derde brief.", "Laatste brief."]


def test_iter_documents_explicit_file_and_suffixes(tmp_path):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "b.md").write_text("b", encoding="utf-8")
    assert list(iter_documents([tmp_path / "b.md"])) == [tmp_path / "b.md"]
    assert list(iter_documents([tmp_path], suffixes=(".md",))) == [tmp_path / "b.md"]
    assert list(iter_documents([tmp_path, tmp_path / "a.txt"])) == [tmp_path / "a.txt"]  # once


# --------------------------------------------------------------------------- fixtures on disk


def test_fixture_files(tmp_path):
    """Small files kept in tests/data/ingest: a cp1252 letter with CRLF and page furniture."""
    d = read_document(DATA / "cp1252_crlf.txt")
    assert d.encoding == "cp1252"
    assert "\r\n" in d.original
    assert "Pagina 1 van 2" not in d.text and "Ministerie van Defensie" not in d.text
    assert "Den Haag, 3 maart 2023" in paras(d)
    assert "De bondgenoten bespraken de coördinatie van de wapenleveranties aan Oekraïne." in d.text
    assert paras(d)[-2:] == ["De Minister van Defensie,", "K.H. Ollongren"]
    check_map(d)


# --------------------------------------------------------------------------- property test

_ALPHABET = st.sampled_from(
    list("abcdefgh ABCDEFGH 0123456789 ----- .,;:()[]%’\"")
    + ["\n", "\n", "\n", "\r", "\f", "\t", "\u00ad", "\u00a0", "\u200b", "\ufeff",
       "\x00", "\x07", "\x1b", "\x1c", "\x1f", "\x85", "\u2028", "\u2029", "\x0b", "\x9c",
       "ë", "ï", "\u0301", "ß", "İ", "ﬁ", "ĳ", "–", "\u2010", "😀",
       "ש", "ל", "ו", "م", "ر", "ح", "\u200f", "\u202e", "\u2066"]
)
_PIECES = st.sampled_from(
    ["ontwikke-\nlingen", "NAVO-\ntop", "Euro-\nAtlantisch", "non-\nproliferatie", "2%", "28 676", "nr. 404",
     "steun1 ", "Haga1, ", "geïnformeerd.1\n", "\n\n1 Zie Kamerstuk 28 676, nr. 404.\n", "\n 1 tegenover.",
     " tegenover.", "\n\n[Afzender]\n\nOnze Referentie\n\nBZDOC-1-2\n\n", "\nPagina 2 van 5\n",
     "\nDe Minister van Defensie,\nK.H. Ollongren", "\nDen Haag, 26 februari 2022\n", "\n\nSessie 1: China\n",
     "Oost-\nen Noordzee", "zee-\neend", "\u00ad\n", "-\n\n2 Kamerstuk\n ", "\f\n 3\n\f", "\r\n", "\n\n"]
)
_TEXT = st.lists(st.one_of(st.text(_ALPHABET, max_size=12), _PIECES), max_size=40).map("".join)


@settings(derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_normalise_never_crashes_and_keeps_the_map_exact(original):
    """For any text: normalise does not crash, and (see the module docstring)
    * every character of ``text`` maps into ``original`` to the same character, or both are
      whitespace; ``text`` holds no dropped characters (controls, soft hyphens, ...);
    * for every whitespace-delimited token of ``text``, the original span's characters outside
      furniture and footnote blocks, with whitespace, hyphens and dropped characters removed,
      equal the token's, likewise cleaned, with the footnote markers that stood inside it put back;
    * paragraphs are ordered spans of the body, footnotes lie after ``body_end``."""
    d = normalise(original)
    check_map(d)
    assert normalise(original) == d


# --------------------------------------------------------------------------- size and speed


def synthetic_letter(n_chars: int, seed: int = 0) -> str:
    """A letter shaped like the seeds, with varied text: wrapped lines with trailing spaces,
    words hyphenated at line ends, headings, pages that start with a space, running furniture,
    footnotes at page bottoms with their markers glued to the text."""
    rng = random.Random(seed)
    words = sorted({w for f in SEEDS.glob("*.txt") for w in re.findall(r"[a-zà-ÿ]{3,}", f.read_text("utf-8"))})
    out = [" GEANNOTEERDE AGENDA VAN EEN NAVO BIJEENKOMST \n\nDen Haag, 1 maart 2023 \n"]
    size = note = page_lines = 0
    new_page = False
    while size < n_chars:
        if rng.random() < 0.15:
            title = " ".join(rng.choice(words) for _ in range(3)).capitalize()
            out.append("\n" + (" " if new_page else "") + f"Sessie {rng.randint(1, 9)}: {title} \n")
            new_page = False
        sentences = []
        for _ in range(rng.randint(2, 7)):
            ws = [rng.choice(words) for _ in range(rng.randint(6, 25))]
            if rng.random() < 0.1:
                ws.insert(3, f"{rng.randint(2, 99)}%")
            sentences.append(" ".join(ws).capitalize() + ".")
        pending = None
        if rng.random() < 0.2:
            note += 1
            sentences[-1] += str(note)
            pending = f"{note} Zie Kamerstuk {rng.randint(21000, 36999)}, nr. {rng.randint(1, 500)}."
        lines = textwrap.wrap(" ".join(sentences), width=rng.randint(70, 85))
        for i in range(len(lines) - 1):
            head, _, rest = lines[i + 1].partition(" ")
            if len(head) > 8 and head.isalpha() and rng.random() < 0.3:
                cut = rng.randint(3, len(head) - 3)
                lines[i] += " " + head[:cut] + "-"
                lines[i + 1] = head[cut:] + (" " + rest if rest else "")
        if new_page:
            lines[0] = " " + lines[0]
            new_page = False
        parts = []
        for ln in lines:
            page_lines += 1
            if page_lines > 45:
                page_lines = 0
                parts.append("\nPagina 2 van 9\n\n[Afzender]\n \x00" + ln)
            else:
                parts.append(ln)
        para = "".join(x + ("\n" if x.endswith("-") else " \n") for x in parts).replace("\x00", "")
        out.append("\n" + para)
        size += len(para)
        if pending:
            out.append("\n" + pending + "\n")
            page_lines = 0
            new_page = True
    out.append("\nDe Minister van Defensie,\nK.H. Ollongren\n")
    return "".join(out)


def test_synthetic_letter_is_normalised_quickly_and_compactly():
    o = synthetic_letter(300_000)
    t = time.perf_counter()
    d = normalise(o)
    elapsed = time.perf_counter() - t
    assert elapsed < 10  # ~0.2 s here; generous for slow CI
    assert len(d.text) > 0.9 * len(o)
    assert len(d.footnotes) > 10 and len(d.markers) == len(d.footnotes)
    assert "Pagina 2 van 9" not in d.text and "[Afzender]" not in d.text
    assert d._seg_t.itemsize * len(d._seg_t) * 2 < len(o)  # map smaller than the text itself
    assert paras(d)[-2:] == ["De Minister van Defensie,", "K.H. Ollongren"]
    assert " \n" not in d.text and "-\n" not in d.text
    small = normalise(synthetic_letter(20_000, seed=1))
    check_map(small)
