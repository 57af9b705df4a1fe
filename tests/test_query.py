"""Queries: resolution of names/files/text, output formats, errors, the CLI."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
import typer
from typer.testing import CliRunner

import navograph
from conftest_store import AGENDA_DOC, build_fixture_store
from navograph import query as q
from navograph import vocab
from navograph.cli_store import register
from navograph.query import QueryError, list_queries, query_to_string, resolve_query, run_query

STANCES = """# Stances per holder and polarity
PREFIX ng: <https://w3id.org/navograph/ns#>
SELECT ?holder ?polarity (COUNT(?s) AS ?n) WHERE {
  ?s a ng:Stance ; ng:holder ?holder ; ng:polarity ?polarity .
} GROUP BY ?holder ?polarity ORDER BY ?polarity
"""


@pytest.fixture
def store(tmp_path):
    st = build_fixture_store(tmp_path / "store")
    yield st
    st.close()


@pytest.fixture
def qdir(tmp_path, monkeypatch):
    d = tmp_path / "queries"
    d.mkdir()
    (d / "stances.rq").write_text(STANCES, encoding="utf-8")
    (d / "meetings.rq").write_text(
        "\n# Meetings and their city\nSELECT ?m ?city WHERE { ?m a ng:Meeting ; schema:location ?city }\n",
        encoding="utf-8")
    monkeypatch.setattr(q, "queries_dir", lambda: d)
    return d


def test_resolve_name_path_and_text(qdir, tmp_path):
    assert resolve_query("stances")[0] == STANCES
    assert resolve_query("stances.rq") == (STANCES, "queries/stances.rq")
    f = tmp_path / "other.rq"
    f.write_text("ASK {}")
    assert resolve_query(str(f)) == ("ASK {}", str(f))
    assert resolve_query(f) == ("ASK {}", str(f))
    assert resolve_query("ASK { ?s ?p ?o }")[1] == "<inline>"
    with pytest.raises(QueryError, match="named queries: meetings, stances"):
        resolve_query("nope")


def test_list_queries(qdir):
    assert [(n.name, n.description) for n in list_queries()] == [
        ("meetings", "Meetings and their city"), ("stances", "Stances per holder and polarity")]


def test_table_output_shortens_iris(store, qdir):
    out = query_to_string(store, "stances")
    assert "ngid:country/NL" in out and "ng:support" in out and "ng:concern" in out
    assert "https://" not in out
    assert "2 rows" in out


def test_csv_tsv_json_xml(store, qdir):
    text = query_to_string(store, "stances", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["polarity"].rsplit("#", 1)[1], r["n"]) for r in rows} == {("concern", "2"), ("support", "3")}
    tsv = query_to_string(store, "stances", "tsv")
    assert tsv.splitlines()[0] == "?holder\t?polarity\t?n"
    assert "<https://w3id.org/navograph/id/country/NL>" in tsv
    data = json.loads(query_to_string(store, "stances", "json"))
    assert data["head"]["vars"] == ["holder", "polarity", "n"]
    assert data["results"]["bindings"][0]["holder"] == {"type": "uri", "value": "https://w3id.org/navograph/id/country/NL"}
    root = ET.fromstring(query_to_string(store, "stances", "xml"))
    assert root.tag == "{http://www.w3.org/2005/sparql-results#}sparql"
    # the results formats are the standard ones: pyoxigraph parses them back
    for fmt, qf in (("json", ox.QueryResultsFormat.JSON), ("csv", ox.QueryResultsFormat.CSV),
                    ("tsv", ox.QueryResultsFormat.TSV), ("xml", ox.QueryResultsFormat.XML)):
        if fmt == "csv":
            continue  # CSV is lossy by design (no term types); pyoxigraph only writes it
        parsed = ox.parse_query_results(query_to_string(store, "stances", fmt).encode(), format=qf)
        assert len(list(parsed)) == 2


def test_ask_and_construct(store):
    assert query_to_string(store, "ASK { ?s a ng:Stance }") == "true\n"
    assert query_to_string(store, "ASK { ?s a ng:Nothing }") == "false\n"
    assert json.loads(query_to_string(store, "ASK { ?s a ng:Stance }", "json"))["boolean"] is True
    ttl = query_to_string(store, "CONSTRUCT { ?m a ng:Meeting ; schema:location ?c } WHERE { ?m a ng:Meeting ; schema:location ?c }")
    triples = list(ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE))
    assert len(triples) == 4  # 2 meetings x 2 triples, deduplicated across graphs
    assert "meeting:fmm_2022-05-14--2022-05-15_berlin" in ttl
    ttl = query_to_string(store, f"DESCRIBE <https://w3id.org/navograph/id/letter/{AGENDA_DOC}>")
    assert "ng:Letter" in ttl


def test_default_graph_is_union_and_graph_clause_works(store):
    out = query_to_string(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ng:Mention }", "csv")
    assert out.splitlines()[1] == "6"
    out = query_to_string(store, f"SELECT ?s WHERE {{ GRAPH ngid:graph\\/{AGENDA_DOC} {{ ?s a ng:Mention }} }}", "csv")
    assert len(out.splitlines()) == 4


def test_syntax_error_has_position(store):
    with pytest.raises(QueryError) as ei:
        run_query(store, "SELECT ?s WHERE {\n  ?s a ng:Stance ;\n  FILTER( }", "table", io.StringIO())
    err = ei.value
    assert err.line == 3 and err.column is not None
    assert "line 3" in str(err) and "syntax error" in str(err)


def test_unknown_format(store):
    with pytest.raises(QueryError, match="unknown output format"):
        run_query(store, "ASK {}", "yaml", io.StringIO())


def test_run_query_opens_store_by_path(store):
    path = store.path
    store.close()
    buf = io.StringIO()
    run_query(path, "ASK { ?s a ng:Letter }", "table", buf)
    assert buf.getvalue() == "true\n"


@pytest.fixture
def app():
    a = typer.Typer()
    register(a)
    return a


def test_cli_query(store, qdir, app, tmp_path):
    path = str(store.path)
    store.close()
    r = CliRunner().invoke(app, ["query", "--store", path, "stances", "-f", "csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "holder,polarity,n"
    r = CliRunner().invoke(app, ["query", "--store", path, "SELECT ?s WHERE { ?s a }"])
    assert r.exit_code == 2
    assert "line 1, column" in r.output
    r = CliRunner().invoke(app, ["query", "--store", path, "--list"])
    assert r.exit_code == 0 and "Stances per holder and polarity" in r.output
    out = tmp_path / "r.json"
    r = CliRunner().invoke(app, ["query", "--store", path, "meetings", "-f", "json", "-o", str(out)])
    # the FMM is described in two letter graphs but the default graph is a set union:
    # one row per meeting (pyoxigraph's own union flag would give 2 x 2 rows for it)
    assert r.exit_code == 0 and len(json.loads(out.read_text())["results"]["bindings"]) == 2
    r = CliRunner().invoke(app, ["query", "--store", path, "missing_query"])
    assert r.exit_code == 2 and "no query file or named query" in r.output


def test_cli_status(store, app):
    path = str(store.path)
    store.close()
    r = CliRunner().invoke(app, ["status", "--store", path, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["letters"] == 3 and doc["graphs"] == 5 and doc["size_bytes"] > 0
    assert doc["graph_info"][0]["letter"] == AGENDA_DOC and doc["graph_info"][0]["built_at"]
    r = CliRunner().invoke(app, ["info", "--store", path])
    assert r.exit_code == 0 and "3 letters" in r.output and "catalogue" in r.output
    for cmd in ("query", "export", "serve", "push", "status", "info"):
        h = CliRunner().invoke(app, [cmd, "--help"])
        assert h.exit_code == 0 and "--store" in h.output


PROJECT_QUERIES = sorted((navograph.project_dir() / "queries").glob("*.rq"))


@pytest.mark.parametrize("path", PROJECT_QUERIES, ids=[p.stem for p in PROJECT_QUERIES])
def test_project_queries_run_on_fixture(store, path):
    """Every named query of the project parses and runs against a contract-conform store."""
    for fmt in ("table", "json"):
        run_query(store, path, fmt, io.StringIO())


# -- the rewritten queries against straightforward formulations -----------------------------
#
# A store of six letters by hand: meetings shared between letters, a meeting known by its year
# only, letters without a date, two letters on the same date, a letter whose stances on one
# target carry two dates, repeated positions, a stance with two cues, a target without a Dutch
# label and letter identifiers with a space and a "|".

NG, DCT, OA = vocab.NG, vocab.DCTERMS, vocab.OA
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_DATE, XSD_INT, XSD_BOOL = (ox.NamedNode(vocab.XSD + t) for t in ("date", "integer", "boolean"))
M_DMM, M_FMM, M_SUMMIT = ("dmm_2022-02-16--2022-02-17_brussels", "2022-02-16"), \
    ("fmm_2022-04-06--2022-04-07_brussels", "2022-04-06"), ("summit_2023_vilnius", None)
# doc -> (letter date, [(holder, target, polarity, modality, meeting or None, cues)])
TIMELINE_LETTERS = {
    "a-report": ("2022-02-26", [("NL", "china", "support", "stated", M_DMM, ["van mening"]),
                                ("ALLIES", "china", "concern", "reported", M_DMM, [])]),
    "b agenda|1": (None, [("NL", "china", "support", "stated", M_FMM, ["steunt", "onderstreept"]),
                          ("NL", "china", "concern", "stated", M_FMM, []),
                          ("NL", "ukraine-support", "support", "intended", M_FMM, [])]),
    "c-agenda": (None, [("NL", "china", "oppose", "intended", M_FMM, [])]),
    "d-undated": (None, [("NL", "china", "concern", "reported", M_SUMMIT, [])]),
    "e-report": ("2023-01-10", [("NL", "china", "support", "stated", None, []),
                                ("NL", "china", "concern", "stated", M_DMM, [])]),
    "f-report": ("2023-05-01", [("ALLIES", "china", "support", "stated", None, []),
                                ("NL", "ukraine-support", "support", "intended", None, []),
                                ("NL", "ukraine-support", "support", "intended", None, ["blijft"]),
                                ("NL", "ukraine-support", "oppose", "stated", None, [])]),
}
ENTITIES = {"NL": ("country", "Nederland"), "ALLIES": ("group", "bondgenoten"),
            "china": ("topic", "China"), "ukraine-support": ("topic", None)}


def _timeline_graphs() -> dict[str, list[ox.Quad]]:
    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def ent(key: str) -> ox.NamedNode:
        return n(vocab.entity_iri(ENTITIES[key][0], key))

    def lit(value, datatype=None) -> ox.Literal:
        return ox.Literal(str(value), datatype=datatype)

    cat = ox.NamedNode(vocab.CATALOGUE_GRAPH)
    graphs = {vocab.CATALOGUE_GRAPH: []}
    for key, (kind, label) in ENTITIES.items():
        graphs[vocab.CATALOGUE_GRAPH] += [ox.Quad(ent(key), RDF_TYPE, n(vocab.class_iri(kind)), cat),
                                          ox.Quad(ent(key), n(DCT + "identifier"), lit(key), cat)]
        if label:
            graphs[vocab.CATALOGUE_GRAPH].append(
                ox.Quad(ent(key), n(vocab.SKOS + "prefLabel"), ox.Literal(label, language="nl"), cat))
    for doc, (date, stances) in TIMELINE_LETTERS.items():
        g, L = n(vocab.graph_iri(doc)), n(vocab.letter_iri(doc))
        q = [(L, RDF_TYPE, n(NG + "Letter")), (L, n(DCT + "identifier"), lit(doc))]
        if date:
            q.append((L, n(DCT + "date"), lit(date, XSD_DATE)))
        for i, (holder, target, pol, mod, meeting, cues) in enumerate(stances):
            S, ev = n(vocab.fact_iri(doc, "stance", str(i))), vocab.evidence_iri(doc, 100 * i, 100 * i + 40)
            q += [(S, RDF_TYPE, n(NG + "Stance")), (S, n(NG + "holder"), ent(holder)), (S, n(NG + "target"), ent(target)),
                  (S, n(NG + "polarity"), n(NG + pol)), (S, n(NG + "modality"), n(NG + mod)),
                  (S, n(NG + "negated"), lit("false", XSD_BOOL)),
                  (S, n(NG + "inLetter"), L), (S, n(NG + "evidence"), n(ev)),
                  (n(ev), RDF_TYPE, n(NG + "Evidence")), (n(ev), n(OA + "hasSource"), L),
                  (n(ev), n(OA + "hasSelector"), n(ev + "/selector")),
                  (n(ev + "/selector"), n(OA + "start"), lit(100 * i, XSD_INT)),
                  (n(ev + "/selector"), n(OA + "end"), lit(100 * i + 40, XSD_INT)),
                  (n(ev + "/selector"), n(OA + "exact"), lit(f"{doc}: {holder} {pol} {target} ({mod}) #{i}"))]
            q += [(S, n(NG + "cue"), lit(c)) for c in cues]
            if meeting:
                M = n(vocab.meeting_iri(meeting[0]))
                q += [(S, n(NG + "meeting"), M), (M, RDF_TYPE, n(NG + "Meeting")), (M, n(DCT + "identifier"), lit(meeting[0]))]
                if meeting[1]:
                    q += [(M, n(vocab.SCHEMA + "startDate"), lit(meeting[1], XSD_DATE)),
                          (S, n(DCT + "date"), lit(meeting[1], XSD_DATE))]  # as navograph.rdf does
            elif date:
                q.append((S, n(DCT + "date"), lit(date, XSD_DATE)))
        graphs[g.value] = [ox.Quad(s, p, o, g) for s, p, o in q]
    return graphs


@pytest.fixture(scope="module")
def timeline_store(tmp_path_factory):
    from navograph.store import Store

    st = Store(tmp_path_factory.mktemp("timeline") / "store")
    for g, quads in _timeline_graphs().items():
        st.replace_graph(g, quads, {"source": "tests/test_query.py"})
    yield st
    st.close()


STANCE_ROWS = """SELECT ?s ?l ?letter ?hk ?tk ?p ?m ?sd ?ld ?quote WHERE {
  ?s a ng:Stance ; ng:holder ?h ; ng:target ?t ; ng:polarity ?p ; ng:modality ?m ; ng:inLetter ?l ; ng:evidence ?ev .
  ?ev oa:hasSelector ?sel . ?sel oa:exact ?quote .
  ?l dcterms:identifier ?letter . ?h dcterms:identifier ?hk . ?t dcterms:identifier ?tk .
  OPTIONAL { ?s dcterms:date ?sd } OPTIONAL { ?l dcterms:date ?ld } }"""


def _solutions(store, sparql: str) -> tuple[list[str], list[tuple]]:
    res = store.query(sparql)
    names = [v.value for v in res.variables]
    return names, [tuple(s[v].value if s[v] is not None else None for v in names) for s in res]


def _named(name: str) -> str:
    return (navograph.project_dir() / "queries" / f"{name}.rq").read_text(encoding="utf-8")


def _stances(store) -> list[dict]:
    names, rows = _solutions(store, STANCE_ROWS)
    out = [dict(zip(names, r)) for r in rows]
    for r in out:
        r["pol"], r["mod"] = r["p"].split("#")[1], r["m"].split("#")[1]
    return out


def test_changed_positions_compares_each_letter_with_the_one_before(timeline_store):
    """The documented semantics, computed plainly from the stances: per holder and target the
    letters in order of the position's date (earliest stance date, else the letter's date;
    undated first), then identifier; each letter against the one just before it."""
    stances = _stances(timeline_store)
    by = {}
    for r in stances:
        by.setdefault((r["hk"], r["tk"]), {}).setdefault(r["letter"], []).append(r)
    expected = []
    for (hk, tk), letters in by.items():
        def when(item):
            dates = [r["sd"] or r["ld"] for r in item[1] if r["sd"] or r["ld"]]
            return (min(dates) if dates else "", item[0])
        timeline = sorted(letters.items(), key=when)
        for (id1, ss1), (id2, ss2) in zip(timeline, timeline[1:]):
            held1 = {(r["pol"], r["mod"]) for r in ss1}
            for s2 in ss2:
                if (s2["pol"], s2["mod"]) not in held1:
                    expected += [(hk, tk, when((id1, ss1))[0] or None, id1, s1["pol"], s1["mod"],
                                  when((id2, ss2))[0] or None, id2, s2["pol"], s2["mod"], s1["quote"], s2["quote"])
                                 for s1 in ss1]
    names, got = _solutions(timeline_store, _named("changed-positions"))
    assert names[:10] == ["holderKey", "targetKey", "date1", "letter1", "polarity1", "modality1",
                          "date2", "letter2", "polarity2", "modality2"]
    assert sorted(got, key=str) == sorted(expected, key=str)
    # worked out by hand from TIMELINE_LETTERS: NL on China is d (undated) -> a (16 Feb) -> e
    # (16 Feb: its earlier stance) -> b (6 Apr) -> c (6 Apr, after "b agenda|1")
    pairs = [(r[0], r[1], r[3], r[7]) for r in got]
    assert pairs == [("ALLIES", "china", "a-report", "f-report"),
                     ("NL", "china", "d-undated", "a-report"),
                     ("NL", "china", "a-report", "e-report"),
                     ("NL", "china", "b agenda|1", "c-agenda"), ("NL", "china", "b agenda|1", "c-agenda"),
                     ("NL", "ukraine-support", "b agenda|1", "f-report")]
    assert [(r[2], r[6]) for r in got[1:3]] == [(None, "2022-02-16"), ("2022-02-16", "2022-02-16")]
    assert got[1][5:10] == ("reported", "2022-02-16", "a-report", "support", "stated")


def test_who_stands_where_and_positions_match_plain_formulations(timeline_store):
    stances = _stances(timeline_store)
    # who-stands-where (target ukraine-support): stances, sorted letters, first and last date
    groups = {}
    for r in stances:
        if r["tk"] == "ukraine-support":
            groups.setdefault((r["pol"], r["hk"]), []).append(r)
    expected = {(pol, hk): (str(len(rs)), " ".join(sorted({r["letter"] for r in rs})),
                            min(r["sd"] for r in rs if r["sd"]), max(r["sd"] for r in rs if r["sd"]))
                for (pol, hk), rs in groups.items()}
    names, got = _solutions(timeline_store, _named("who-stands-where"))
    assert {(r[1], r[2]): (r[4], r[5], r[6], r[7]) for r in got} == expected
    assert expected[("support", "NL")] == ("3", "b agenda|1 f-report", "2022-04-06", "2023-05-01")
    assert {r[3] for r in got} == {"Nederland"}
    # positions-of-actor and stance-evidence give the rows of the plain patterns (required
    # patterns, then OPTIONALs), multiplicities included (a stance with two cues gives two rows)
    plain = {
        "positions-of-actor": """SELECT ?date ?letter ?meeting ?targetKey ?targetLabel ?polarity ?modality ?negated ?cue ?quote
WHERE { ?h dcterms:identifier "NL" .
  ?s a ng:Stance ; ng:holder ?h ; ng:target ?t ; ng:polarity ?p ; ng:modality ?m ; ng:inLetter ?l ; ng:evidence ?ev .
  ?ev oa:hasSelector ?sel . ?sel oa:exact ?quote . ?t dcterms:identifier ?targetKey . ?l dcterms:identifier ?letter .
  OPTIONAL { ?t skos:prefLabel ?targetLabel FILTER(lang(?targetLabel) = "nl") }
  OPTIONAL { ?s dcterms:date ?sdate } OPTIONAL { ?l dcterms:date ?ldate } BIND(COALESCE(?sdate, ?ldate) AS ?date)
  OPTIONAL { ?s ng:meeting ?mt . ?mt dcterms:identifier ?meeting }
  OPTIONAL { ?s ng:negated ?negated } OPTIONAL { ?s ng:cue ?cue }
  BIND(STRAFTER(STR(?p), "#") AS ?polarity) BIND(STRAFTER(STR(?m), "#") AS ?modality) }""",
        "stance-evidence": """SELECT ?letter ?start ?end ?holderKey ?targetKey ?polarity ?modality ?cue ?quote ?stance
WHERE { ?stance a ng:Stance ; ng:inLetter ?l ; ng:holder ?h ; ng:target ?t ; ng:polarity ?p ; ng:modality ?m ; ng:evidence ?ev .
  ?ev oa:hasSource ?l ; oa:hasSelector ?sel . ?sel oa:start ?start ; oa:end ?end ; oa:exact ?quote .
  ?h dcterms:identifier ?holderKey . ?t dcterms:identifier ?targetKey . ?l dcterms:identifier ?letter .
  OPTIONAL { ?stance ng:cue ?cue }
  BIND(STRAFTER(STR(?p), "#") AS ?polarity) BIND(STRAFTER(STR(?m), "#") AS ?modality) }""",
    }
    for name, reference in plain.items():
        names, got = _solutions(timeline_store, _named(name))
        ref_names, ref = _solutions(timeline_store, reference)
        assert names == ref_names and sorted(got, key=str) == sorted(ref, key=str), name
    names, got = _solutions(timeline_store, _named("positions-of-actor"))
    assert len(got) == 12  # the 11 stances of NL, one of them with two cues
