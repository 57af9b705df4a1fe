"""Fuzzing the whole pipeline: random and adversarial letters never crash it and always give a
graph that conforms to the shapes, with IRIs and literals that other RDF tools read back.

Every example goes ``text -> navograph.pipeline.analyse_text -> navograph.rdf.letter_quads``
and then through the checks below. Hypothesis runs derandomised (a fixed seed) with a bounded
number of examples, so the run is deterministic and takes well under a minute.

The text is assembled from pieces that aim at the rules: seed sentences, dates real and fake,
acronym definitions real and fake, titles followed by names (with quotes and angle brackets),
"Kamerstuk"/"Handelingen"/"motie" fragments, right-to-left text, control characters, lone
surrogates, combining marks, huge tokens and random Unicode.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.term import _is_valid_uri

from navograph.pipeline import analyse_text
from navograph.rdf import letter_quads
from navograph.validate import validate

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# sentences of the real letters: the rules fire on them, so the fuzz reaches deep code paths
_SEED_SENTENCES = sorted({
    s.strip() for p in sorted(SEEDS.glob("*.txt"))
    for s in re.split(r"(?<=[.!?])\s+", " ".join(p.read_text(encoding="utf-8").split()))
    if 20 <= len(s.strip()) <= 300
})

_ADVERSARIAL = [
    # dates, real and impossible
    "Op 14 en 15 mei 2022 vond de NAVO-top plaats in Berlijn.", "op 31 februari 2022", "op 0 mei 2022",
    "van 30 juni tot 1 juli 99999", "op 12-13 januari 1899", "in 2022/23", "2022-13-45", "14 mei 1",
    "Den Haag, 31 april 2023", "de NAVO-top van 29 – 30 juni 2022 in Madrid", "in 0000", "op 5 april",
    "De Ministers van Defensie (DMM) komen op 14 februari 2024 bijeen in Brussel.",
    # acronym definitions, real and fake
    "Foo Bar (FB)", "European Peace Facility (EPF)", "(X)", "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj (ABCDEFGHIJ)",
    "NAVO (Noord-Atlantische Verdragsorganisatie)", "Zz (<ZZ>)", "Quote \"Q\" Union (QQU)", "ÆØÅ Øst (ÆØ)",
    "((((((((((", "))))", "Foo-Bar Baz (FBB's)",
    # names after titles, with quotes and angle brackets
    "minister Kuleba", "de Oekraïense minister van Buitenlandse Zaken Kuleba", "Minister <Script>",
    "minister O'Brien", "minister \"Quote\" Jansen", "Secretaris-Generaal Stoltenberg", "president Zelensky's",
    "minister Van der <b>Lee</b>", "staatssecretaris Ä\u0301lvarez", "minister Ola\u202eNordmann",
    # parliamentary papers and motions
    "Kamerstuk 28 676, nr. 404", "Kamerstukken 28 676 en 21 501-28, nr. 999999999999999999999",
    "Kamerstuk 00 000, nr. 0", "Handelingen II 2021/22, nr. 99", "Handelingen I 1999-2000, nr 1",
    "motie Van Haga", "motie van het lid <Haga>", "de motie van de leden Brekelmans en Boswijk",
    "Kamerstuk", "nr.", "motie",
    # furniture, footnotes, layout
    "Pagina 2 van 5", "\f", "\n\n", "1 Kamerstuk 28 676, nr. 404", "steun1", "- 2 -", "[Afzender]",
    "Onze referentie\nBZDOC-142826276-26", "K.H. Ollongren", "De Minister van Defensie,",
    # scripts and characters
    "مرحبا بالعالم", "שלום עולם", "\u202e\u202dRTL\u202c", "\u200b\u200c\u200d\u2060", "\ufeff",
    "\x00\x01\x07\x1b\x7f\x85\x9f", "\ud800", "\udfff lone", "e\u0301\u0301\u0301", "\U0001F600\U0001F3F3\ufe0f",
    "x" * 5000, "NAVO" * 500, "a\u00adb", "<>&\"'", "]]>", "\\u0000", "\r\n\r", "\t\t\t", "ﬁ ﬀ",
]

_PIECE = st.one_of(
    st.sampled_from(_SEED_SENTENCES),
    st.sampled_from(_ADVERSARIAL),
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8", categories=["Lu", "Ll", "Nd", "Po", "Ps", "Pe", "Zs", "Cc"]), max_size=20),
)
_SEP = st.sampled_from([" ", "\n", "\n\n", ". ", ", ", "", "\f\n", "\r\n"])
_TEXT = st.lists(st.tuples(_PIECE, _SEP), min_size=1, max_size=25).map(lambda xs: "".join(a + b for a, b in xs))
_DOC_ID = st.one_of(st.just("letter"), st.text(min_size=1, max_size=20),
                    st.sampled_from(["a b", "<x>", 'q"t', "تجربة", "../..", "%41", "x" * 200]))

FUZZ = settings(derandomize=True, max_examples=20, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def analyser():
    from navograph.pipeline import Analyser

    return Analyser(use_default_model=False)


def _quads(text: str, doc_id: str, analyser) -> list[ox.Quad]:
    letter = analyse_text(text, doc_id=doc_id, analyser=analyser)
    return letter_quads(letter, analyser.catalogue)


def _terms(quads):
    for q in quads:
        yield from (q.subject, q.predicate, q.object, q.graph_name)


def _check_iris(quads) -> None:
    for t in _terms(quads):
        if isinstance(t, ox.NamedNode):
            assert ox.NamedNode(t.value) == t
            assert _is_valid_uri(t.value), t.value
            assert rdflib.URIRef(t.value).n3() == f"<{t.value}>"
    nt = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
    assert [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)] == [q.triple for q in quads]
    g = rdflib.Graph().parse(data=nt.decode("utf-8"), format="nt")
    assert len(g) == len({q.triple for q in quads})
    ours = {str(t.value) for t in _terms(quads) if isinstance(t, ox.NamedNode)}
    theirs = {str(x) for tr in g for x in tr if isinstance(x, rdflib.URIRef)}
    assert theirs == ours - {q.graph_name.value for q in quads}


def _check_literals(quads) -> None:
    ttl = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.TURTLE)
    g = rdflib.Graph().parse(data=ttl.decode("utf-8"), format="turtle")
    ours = {(t.value, t.language, None if t.language else t.datatype.value)
            for t in _terms(quads) if isinstance(t, ox.Literal)}
    theirs = {(str(x), x.language, None if x.language else str(x.datatype or "http://www.w3.org/2001/XMLSchema#string"))
              for tr in g for x in tr if isinstance(x, rdflib.Literal)}
    assert theirs == ours


def _check_all(quads) -> None:
    assert quads, "a letter always has at least its ng:Letter node"
    _check_iris(quads)
    _check_literals(quads)
    report = validate(quads)
    assert report.conforms, report.text()


@FUZZ
@given(texts=st.lists(_TEXT, min_size=1, max_size=3), doc_id=_DOC_ID)
def test_random_letters_never_crash_and_conform(analyser, texts, doc_id):
    # several letters per example, validated together: pySHACL's fixed cost (the shapes and
    # the catalogue) is paid once per example, and letters must not clash with each other
    quads: list[ox.Quad] = []
    for i, text in enumerate(texts):
        quads.extend(_quads(text, f"{doc_id}{i}", analyser))
    _check_all(quads)


@settings(derandomize=True, max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(piece=st.sampled_from(_ADVERSARIAL), pos=st.integers(0, 10_000), seed=st.integers(0, 4))
def test_adversarial_piece_inside_a_real_letter(analyser, piece, pos, seed):
    """A real letter with an adversarial fragment spliced in: the rules see it in context."""
    text = sorted(SEEDS.glob("*.txt"))[seed].read_text(encoding="utf-8")
    pos %= len(text) + 1
    quads = _quads(text[:pos] + piece + text[pos:], "spliced", analyser)
    _check_all(quads)


@pytest.mark.parametrize("piece", _ADVERSARIAL)
def test_each_adversarial_piece_alone(analyser, piece):
    quads = _quads(piece, "piece", analyser)
    _check_iris(quads)
    _check_literals(quads)


def test_all_adversarial_pieces_together_conform(analyser):
    quads: list[ox.Quad] = []
    for i, piece in enumerate(_ADVERSARIAL):
        quads.extend(_quads(f"Den Haag, 14 mei 2022\n\n{piece}\n\nDe Minister van Buitenlandse Zaken,\n\nW.B. Hoekstra",
                            f"adv-{i}", analyser))
    _check_all(quads)
