"""Positions layer (navograph/stances.py): genre sentences through the real pipeline, the
lexicon as data, the dependency-parse path, evidence grounding on the seeds (in the Letter and
via SPARQL on a built store), the query files, and the cost of the layer."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from navograph import stances as S
from navograph.model import MODALITIES, POLARITIES
from navograph.pipeline import Analyser, analyse_text

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((Path(__file__).parent / "data" / "genre_stances.yaml").read_text(encoding="utf-8"))
HEADERS = {
    "agenda": "GEANNOTEERDE AGENDA NAVO-BIJEENKOMST VAN 3 EN 4 MAART 2025\n\n",
    "report": "VERSLAG VAN DE NAVO-BIJEENKOMST VAN 3 EN 4 MAART 2025\n\n",
}


@pytest.fixture(scope="module")
def blank_analyser() -> Analyser:
    return Analyser(use_default_model=False)


def _letter(case: dict, analyser: Analyser):
    text = HEADERS[case.get("kind", "agenda")] + case["text"].strip() + "\n"
    return analyse_text(text, doc_id=case["id"], analyser=analyser)


def _spec(s: str) -> list[str]:
    return s.split()


def _hit(stance, spec: list[str]) -> bool:
    fields = (stance.holder, stance.target, stance.polarity, stance.modality)
    return all(w == "*" or w == f for w, f in zip(spec, fields))


# --------------------------------------------------------------------------- genre sentences

def test_there_are_at_least_forty_genre_cases():
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert sum(1 for c in CASES if c.get("reject")) >= 15  # and what they must not yield


def test_genre_cases_are_not_copied_from_the_seeds():
    seeds = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in (ROOT / "seeds").glob("*.txt"))
    for case in CASES:
        for line in case["text"].splitlines():
            assert " ".join(line.split()) not in seeds, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_genre_stance(case, blank_analyser):
    letter = _letter(case, blank_analyser)
    got = letter.stances
    shown = [(s.holder, s.target, s.polarity, s.modality, s.cue) for s in got]
    for want in case.get("expect", []):
        assert any(_hit(s, _spec(want)) for s in got), (want, shown)
    for bad in case.get("reject", []):
        assert not any(_hit(s, _spec(bad)) for s in got), (bad, shown)
    for s in got:
        assert s.polarity in POLARITIES and s.modality in MODALITIES
        assert s.evidence.doc == case["id"]
        assert s.cue  # the lexicon entry that fired is recorded


# --------------------------------------------------------------------------- the lexicon

def test_lexicon_is_data_and_well_formed():
    lex = S.load_lexicon()
    assert len(lex.cues) >= 40
    assert {c.polarity for c in lex.cues} == set(POLARITIES)
    ids = {c.id for c in lex.cues}
    for expected in ("hecht belang aan", "is voorstander van", "staat welwillend tegenover",
                     "maakt zich zorgen over", "niet wenselijk", "veroordeelt", "roept op", "pleit voor",
                     "steunt", "benadrukt", "waardeert", "is van mening dat", "zet in op",
                     "is gecommitteerd aan", "deelt de bezorgdheid", "spreekt zorgen uit", "afschuw"):
        assert expected in ids, expected
    holders = {t.holder for t in lex.holder_terms}
    assert {"GOVERNMENT", "ALLIES", "nato-sg", "BENELUX"} <= holders
    assert {"niet", "geen"} <= lex.negators


def test_lemmas_the_lexicon_relies_on(blank_analyser):
    """The blank Dutch lookup lemmatizer: inflected forms either map to the lemma or are listed."""
    lex = S.load_lexicon()
    alts = set().union(*(w for c in lex.cues for w in c.pattern.words))
    for form in ("steunt", "steunden", "benadrukte", "veroordeelden", "riep", "hecht", "besloten",
                 "waardeert", "onderstreepte", "spraken", "namen"):
        tok = blank_analyser.nlp(form)[0]
        assert {tok.lemma_.lower(), form} & alts, (form, tok.lemma_)


def test_deinflection():
    assert S._deinflect("russische") == "russisch"
    assert S._deinflect("collectieve") == "collectief"
    assert S._deinflect("kritieke") == "kritiek"
    assert S._deinflect("de") is None


# --------------------------------------------------------------------------- dependency path

def test_dependency_parse_gives_the_subject(blank_analyser):
    """With a parse, the holder is the subject of the cue's verb, not the leftmost holder term."""
    from spacy.tokens import Doc

    from navograph.extract import extract_letter
    from navograph.ingest import normalise

    words = ["Bondgenoten", "weten", "dat", "Nederland", "het", "opendeurbeleid", "steunt", "."]
    spaces = [True, True, True, True, True, True, False, False]
    heads = [1, 1, 6, 6, 5, 6, 1, 1]
    deps = ["nsubj", "ROOT", "mark", "nsubj", "det", "obj", "ccomp", "punct"]
    text = "".join(w + (" " if sp else "") for w, sp in zip(words, spaces))
    src = normalise(text, doc_id="dep", path=Path("dep.txt"))
    assert src.text.strip() == text.strip()
    doc = Doc(blank_analyser.nlp.vocab, words=words, spaces=spaces, heads=heads, deps=deps)
    for name in ("lemmatizer", "navograph_ruler"):
        doc = blank_analyser.nlp.get_pipe(name)(doc)
    assert doc.has_annotation("DEP")
    letter = extract_letter(src, doc, blank_analyser.catalogue)
    got = {(s.holder, s.target, s.polarity) for s in letter.stances}
    assert ("NL", "open-door", "support") in got, got
    assert not any(h == "ALLIES" for h, _, _ in got), got

    # the same sentence without a parse: clause heuristics take the leftmost holder term
    plain = analyse_text(text, doc_id="plain", analyser=blank_analyser)
    assert {(s.holder, s.target) for s in plain.stances} == {("ALLIES", "open-door")}


# --------------------------------------------------------------------------- seeds: grounding

def test_seed_stances_are_grounded(seed_letters):
    n = 0
    for doc_id, (src, letter) in seed_letters.items():
        primary = letter.primary_meeting
        meetings = {m.key for m in letter.meetings}
        for s in letter.stances:
            ev = s.evidence
            assert ev.doc == doc_id
            assert ev.quote == src.original[ev.start:ev.end], (doc_id, ev)
            assert ev.quote.strip() == ev.quote and ev.quote
            assert s.meeting is None or s.meeting in meetings
            assert primary is None or s.meeting is not None
            n += 1
    assert n >= 80


def test_seed_stances_grounded_via_sparql(seeds_store):
    from navograph.ingest import read_document
    from navograph.store import Store

    path, _ = seeds_store
    originals = {p.stem: read_document(p).original for p in (ROOT / "seeds").glob("*.txt")}
    st = Store(path)
    try:
        rows = st.query((ROOT / "queries" / "stance-evidence.rq").read_text(encoding="utf-8"))
        rows = list(rows)
        assert len(rows) >= 80
        for r in rows:
            letter = r["letter"].value
            start, end = int(r["start"].value), int(r["end"].value)
            assert originals[letter][start:end] == r["quote"].value, (letter, start, end)
    finally:
        st.close()


@pytest.mark.parametrize("name", ["positions-of-actor", "who-stands-where", "changed-positions",
                                  "stance-evidence"])
def test_stance_queries_run(seeds_store, name):
    from navograph.store import Store

    q = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    assert q.startswith("# ")
    path, _ = seeds_store
    st = Store(path)
    try:
        rows = list(st.query(q))
    finally:
        st.close()
    if name in ("positions-of-actor", "who-stands-where", "stance-evidence"):
        assert rows, name
    if name == "positions-of-actor":
        dates = [r["date"].value for r in rows if r["date"] is not None]
        assert dates == sorted(dates)


# --------------------------------------------------------------------------- cost

def test_stances_do_not_double_extraction_time(blank_analyser):
    """Per letter, the positions layer at most doubles the analysis time (spaCy + rules).

    CPU time of this process (not wall time), best of five interleaved runs, so a busy machine
    does not make it flaky. The rules alone (without the spaCy pass) are guarded too, with
    more slack: there the layer costs about as much as all other rules together.
    """
    import gc

    from navograph.extract import extract_letter
    from navograph.ingest import read_document

    srcs = [read_document(p) for p in sorted((ROOT / "seeds").glob("*.txt"))]
    nlp = blank_analyser.nlp

    def run(flag: bool, with_nlp: bool, docs=None) -> float:
        t0 = time.process_time()
        for i, src in enumerate(srcs):
            doc = nlp(src.text) if with_nlp else docs[i]
            extract_letter(src, doc, blank_analyser.catalogue, stances=flag)
        return time.process_time() - t0

    docs = [nlp(s.text) for s in srcs]
    run(True, False, docs)  # warm caches (lexicon, topic index)
    gc.disable()
    try:
        best = {}
        for _ in range(5):
            for key in ((False, True), (True, True), (False, False), (True, False)):
                best[key] = min(best.get(key, float("inf")), run(key[0], key[1], docs))
    finally:
        gc.enable()
    assert best[(True, True)] <= 2.0 * best[(False, True)], best
    assert best[(True, False)] <= 2.5 * best[(False, False)] + 0.01, best
