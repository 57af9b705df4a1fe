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
