"""The evaluator is strict: gold against itself scores 1.0, and changing one fact lowers
exactly the figure it belongs to."""
from __future__ import annotations

import copy
import dataclasses

import pytest

from navograph import vocab as V
from navograph.evaluate import evaluate_store, gold_letter, load_gold
from navograph.model import Mention, Stance
from navograph.rdf import catalogue_quads, letter_quads
from navograph.store import Store

DOC = "002_c7ef2874810d3985"


@pytest.fixture(scope="module")
def catalogue():
    from navograph.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="module")
def gold(gold_dir):
    return load_gold(gold_dir)


def _report(tmp_path, catalogue, gold, seeds_dir, change=None):
    st = Store(tmp_path / "store")
    st.replace_graph(V.CATALOGUE_GRAPH, catalogue_quads(), {})
    for doc, g in gold.items():
        original = (seeds_dir / f"{doc}.txt").read_text(encoding="utf-8")
        letter = gold_letter(g, catalogue, original)
        if change and doc == DOC:
            change(letter)
        st.replace_graph(V.graph_iri(doc), letter_quads(letter, catalogue), {})
    try:
        return evaluate_store(st, gold)
    finally:
        st.close()


def _f1(report):
    return {c: s.f1 for c, s in report.totals().items()}


def test_gold_against_itself_scores_one(tmp_path, catalogue, gold, seeds_dir):
    report = _report(tmp_path, catalogue, gold, seeds_dir)
    assert len(report.letters) == 5 and not report.unmatched_gold
    for category, score in report.totals().items():
        assert (score.fp, score.fn) == (0, 0), category
        assert score.f1 == 1.0, category
    assert all(not lr.items for lr in report.letters)


def _only_changed(base, changed, expected):
    diff = {c for c in base if abs(base[c] - changed[c]) > 1e-9}
    assert diff == set(expected), diff
    for c in expected:
        assert changed[c] < base[c]


def test_removing_one_mention_lowers_only_that_kind(tmp_path, catalogue, gold, seeds_dir):
    base = _f1(_report(tmp_path / "a", catalogue, gold, seeds_dir))

    def drop(letter):
        letter.mentions = [m for m in letter.mentions if m.key != "RO"]

    changed = _f1(_report(tmp_path / "b", catalogue, gold, seeds_dir, drop))
    _only_changed(base, changed, {"mentions:countries"})


def test_adding_one_mention_lowers_precision_of_that_kind(tmp_path, catalogue, gold, seeds_dir):
    def add(letter):
        letter.mentions.append(dataclasses.replace(letter.mentions[0], key="DIANA", kind="initiative"))

    report = _report(tmp_path, catalogue, gold, seeds_dir, add)
    s = report.totals()["mentions:initiatives"]
    assert (s.fp, s.fn) == (1, 0) and s.precision < 1.0
    items = [i for lr in report.letters for i in lr.items]
    assert [(i.category, i.kind, i.fact) for i in items] == [("mentions:initiatives", "false-positive", "DIANA")]


def test_altering_a_stance_polarity_lowers_stances_but_not_stances_ignoring_polarity(
        tmp_path, catalogue, gold, seeds_dir):
    base = _f1(_report(tmp_path / "a", catalogue, gold, seeds_dir))

    def flip(letter):
        s = next(s for s in letter.stances if (s.holder, s.target) == ("NL", "russian-aggression")
                 and s.polarity == "oppose")
        letter.stances[letter.stances.index(s)] = dataclasses.replace(s, polarity="support")

    changed = _f1(_report(tmp_path / "b", catalogue, gold, seeds_dir, flip))
    _only_changed(base, changed, {"stances"})


def test_altering_a_meeting_date_lowers_meetings_and_primary(tmp_path, catalogue, gold, seeds_dir):
    import datetime as dt

    base = _f1(_report(tmp_path / "a", catalogue, gold, seeds_dir))

    def shift(letter):
        m = letter.primary_meeting
        m.start = m.start + dt.timedelta(days=1)
        # the participations follow the meeting they belong to
        letter.participations = [dataclasses.replace(p, meeting=m.key) for p in letter.participations]

    changed = _f1(_report(tmp_path / "b", catalogue, gold, seeds_dir, shift))
    # participants are read for the letter's primary meeting whatever its date, so they stay
    _only_changed(base, changed, {"meetings", "primary-meeting"})


def test_removing_a_participant_lowers_only_participants(tmp_path, catalogue, gold, seeds_dir):
    base = _f1(_report(tmp_path / "a", catalogue, gold, seeds_dir))

    def drop(letter):
        letter.participations = [p for p in letter.participations if p.participant != "MD"]

    changed = _f1(_report(tmp_path / "b", catalogue, gold, seeds_dir, drop))
    _only_changed(base, changed, {"participants"})


def test_unmatched_gold_files_are_reported(tmp_path, catalogue, gold, seeds_dir):
    extra = dict(gold)
    extra["999_not_a_letter"] = copy.deepcopy(gold[DOC]) | {"doc": "999_not_a_letter"}
    st = Store(tmp_path / "store")
    st.replace_graph(V.CATALOGUE_GRAPH, catalogue_quads(), {})
    try:
        report = evaluate_store(st, extra)
    finally:
        st.close()
    assert "999_not_a_letter" in report.unmatched_gold


def test_evaluate_command_on_the_seeds(tmp_path, seeds_dir, gold_dir, seeds_store):
    """`navograph evaluate --json` on the built seeds: the figures the issue asks for."""
    import json

    from typer.testing import CliRunner

    from navograph.cli import app

    store, _ = seeds_store
    res = CliRunner().invoke(app, ["evaluate", "--docs", str(seeds_dir), "--gold", str(gold_dir),
                                   "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    cats = data["categories"]
    for kind in ("countries", "organisations", "groups", "initiatives", "persons"):
        assert cats[f"mentions:{kind}"]["f1"] >= 0.95, kind
    assert cats["meetings"]["f1"] >= 0.95
    assert cats["primary-meeting"]["tp"] == 5
    assert cats["participants"]["f1"] >= 0.90
    for c in ("letter-kind", "letter-date", "signatories"):
        assert cats[c]["fp"] == 0 and cats[c]["fn"] == 0, c
    assert data["unmatched_gold"] == []
