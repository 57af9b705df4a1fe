"""Genre sentences written for the tests (tests/data/genre_sentences.yaml), run through the
real pipeline (ingest -> blank Dutch spaCy -> rules), each checked for the facts it must yield."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from navograph.pipeline import analyse_text

CASES = yaml.safe_load((Path(__file__).parent / "data" / "genre_sentences.yaml").read_text(encoding="utf-8"))


def test_there_are_at_least_thirty_cases():
    assert len(CASES) >= 30
    assert len({c["id"] for c in CASES}) == len(CASES)


def _d(v):
    return v if isinstance(v, dt.date) or v is None else dt.date.fromisoformat(str(v))


def _meeting_matches(want: dict, m) -> bool:
    if m.kind != want["kind"]:
        return False
    if "start" in want:
        if (m.start, m.end) != (_d(want["start"]), _d(want.get("end", want["start"]))):
            return False
    elif m.year != want["year"]:
        return False
    if "city" in want and (m.city or None) != want["city"]:
        return False
    if "informal" in want and m.informal != want["informal"]:
        return False
    if want.get("primary") and not m.primary:
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_genre_sentence(case, analyser):
    letter = analyse_text(case["text"], doc_id=case["id"], analyser=analyser)
    mentions = {m.key for m in letter.mentions}
    for want in case.get("meetings", []):
        assert any(_meeting_matches(want, m) for m in letter.meetings), (want, letter.meetings)
    if case.get("exact_meetings"):
        assert len(letter.meetings) == len(case.get("meetings", [])), letter.meetings
    for key in case.get("mentions", []):
        assert key in mentions, (key, sorted(mentions))
    for key in case.get("not_mentions", []):
        assert key not in mentions, (key, sorted(mentions))
    parts = {p.participant for p in letter.participations}
    for key in case.get("participants", []):
        assert key in parts, (key, parts)
    for key in case.get("not_participants", []):
        assert key not in parts, (key, parts)
    entities = {e.key: e for e in letter.entities}
    for p in case.get("persons", []):
        assert p["key"] in mentions, (p, sorted(mentions))
        if "role" in p or "country" in p:
            ent = entities.get(p["key"])
            assert ent is not None, (p, sorted(entities))
            assert ent.kind == "person"
            if "role" in p:
                assert ent.role == p["role"], ent
            if "country" in p:
                assert ent.country == p["country"], ent
    for i in case.get("initiatives", []):
        ent = entities.get(i["key"])
        assert ent is not None and ent.kind == i.get("kind", "initiative"), (i, sorted(entities))
        assert ent.label_nl == i["label"]
    cites = {c.identifier for c in letter.citations}
    for ident in case.get("citations", []):
        assert ident in cites, (ident, cites)
    for mo in case.get("motions", []):
        assert any(c.kind == "motie" and c.motion_submitter == mo["submitter"] and c.identifier == mo["identifier"]
                   for c in letter.citations), letter.citations
    if "letter_kind" in case:
        assert letter.kind == case["letter_kind"]
    if "letter_date" in case:
        assert letter.date == _d(case["letter_date"])
    if "signatories" in case:
        assert letter.signatories == case["signatories"]
