"""RDF exports: round trips through the other parser, determinism, atomic writes, CLI."""
from __future__ import annotations

import io
import json
import random
import sys
import types

import pyoxigraph as ox
import pytest
import rdflib
import typer
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from conftest_store import AGENDA_DOC, REPORT_DOC, build_fixture_store, fixture_graphs, fixture_meta
from navograph import vocab
from navograph.cli_store import register
from navograph.export import (
    CONTEXT_PATH, RDF_FORMATS, ExportError, export_rdf, load_context, render_rdf, serialize_quads,
)
from navograph.store import Store

DATASET_FORMATS = {"trig": "trig", "nquads": "nquads", "jsonld": "json-ld"}
GRAPH_FORMATS = {"turtle": "turtle", "ntriples": "nt"}


@pytest.fixture
def store(tmp_path):
    st = build_fixture_store(tmp_path / "store")
    yield st
    st.close()


# -- helpers: pyoxigraph <-> rdflib -------------------------------------------------------

def to_rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == vocab.XSD + "string":  # RDF 1.1: "x" == "x"^^xsd:string
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(term)


def expected_graph(quads) -> rdflib.Graph:
    g = rdflib.Graph()
    for q in quads:
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


def expected_union() -> rdflib.Graph:
    return expected_graph(q for qs in fixture_graphs().values() for q in qs)


def rdflib_graphs(ds: rdflib.Dataset) -> dict[str, rdflib.Graph]:
    out = {}
    for g in ds.graphs():
        if len(g) and str(g.identifier) != "urn:x-rdflib:default":
            out[str(g.identifier)] = g
    return out


def assert_same_dataset(ds: rdflib.Dataset, graphs: dict[str, list[ox.Quad]]) -> None:
    got = rdflib_graphs(ds)
    assert set(got) == set(graphs)
    for name, quads in graphs.items():
        exp = expected_graph(quads)
        assert len(got[name]) == len(exp), name
        assert isomorphic(got[name], exp), name


def lexical_equal(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    """Isomorphic *and* literal-for-literal identical (rdflib's isomorphic compares values)."""
    xsd_string = vocab.XSD + "string"

    def key(t):
        return tuple((type(x).__name__, str(x), getattr(x, "language", None),
                      str(getattr(x, "datatype", None) or "").replace(xsd_string, "")) for x in t)
    return isomorphic(a, b) and sorted(map(key, a)) == sorted(map(key, b))


# -- Oxigraph writes, rdflib reads ----------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(GRAPH_FORMATS))
def test_graph_formats_parse_back_with_rdflib(store, fmt):
    data = render_rdf(store, fmt)
    g = rdflib.Graph()
    g.parse(data=data, format=GRAPH_FORMATS[fmt])
    exp = expected_union()
    assert len(g) == len(exp) == store.distinct_triples()
    assert lexical_equal(g, exp)


@pytest.mark.parametrize("fmt", sorted(DATASET_FORMATS))
def test_dataset_formats_parse_back_with_rdflib(store, fmt):
    data = render_rdf(store, fmt)
    ds = rdflib.Dataset()
    ds.parse(data=data, format=DATASET_FORMATS[fmt])
    assert_same_dataset(ds, fixture_graphs())


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_single_letter_export(store, fmt):
    data = render_rdf(store, fmt, graph=AGENDA_DOC)
    only = {vocab.graph_iri(AGENDA_DOC): fixture_graphs()[vocab.graph_iri(AGENDA_DOC)]}
    if fmt in DATASET_FORMATS:
        ds = rdflib.Dataset()
        ds.parse(data=data, format=DATASET_FORMATS[fmt])
        assert_same_dataset(ds, only)
    else:
        g = rdflib.Graph()
        g.parse(data=data, format=GRAPH_FORMATS[fmt])
        assert lexical_equal(g, expected_graph(next(iter(only.values()))))
    # same result with the graph IRI
    assert render_rdf(store, fmt, graph=vocab.graph_iri(AGENDA_DOC)) == data


def test_unknown_graph_and_format(store):
    with pytest.raises(ExportError, match="no graph"):
        render_rdf(store, "turtle", graph="999_nope")
    with pytest.raises(ExportError, match="unknown RDF format"):
        render_rdf(store, "rdfxml-ish")


# -- rdflib writes, Oxigraph reads ----------------------------------------------------------

def test_rdflib_turtle_parsed_by_pyoxigraph():
    exp = expected_union()
    ttl = exp.serialize(format="turtle")
    triples = ox.parse(ttl.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    back = expected_graph(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    assert lexical_equal(back, exp)


def test_rdflib_trig_parsed_by_pyoxigraph():
    ds = rdflib.Dataset()
    for name, quads in fixture_graphs().items():
        g = ds.graph(rdflib.URIRef(name))
        for t in expected_graph(quads):
            g.add(t)
    trig = ds.serialize(format="trig")
    quads = list(ox.parse(trig.encode("utf-8"), format=ox.RdfFormat.TRIG))
    by_graph: dict[str, list] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name.value, []).append(q)
    assert set(by_graph) == set(fixture_graphs())
    for name, exp_quads in fixture_graphs().items():
        assert lexical_equal(expected_graph(by_graph[name]), expected_graph(exp_quads)), name


def test_our_exports_reload_into_pyoxigraph(store):
    for fmt, rf in (("trig", ox.RdfFormat.TRIG), ("nquads", ox.RdfFormat.N_QUADS), ("jsonld", ox.RdfFormat.JSON_LD)):
        quads = {str(q) for q in ox.parse(render_rdf(store, fmt), format=rf)}
        assert quads == {str(q) for q in store.quads()}, fmt


# -- determinism ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_exports_are_deterministic(store, tmp_path, fmt):
    first = render_rdf(store, fmt)
    assert render_rdf(store, fmt) == first
    # another store with the same content, loaded in another order, at another time
    other = Store(tmp_path / "other")
    try:
        items = list(fixture_graphs().items())
        random.Random(7).shuffle(items)
        for g, quads in items:
            quads = list(quads)
            random.Random(g).shuffle(quads)
            meta = dict(fixture_meta(g), built_at="1999-12-31T23:59:59+00:00")
            other.replace_graph(g, quads, meta)
        assert render_rdf(other, fmt) == first
    finally:
        other.close()


def test_blank_nodes_are_canonicalised():
    g = ox.NamedNode("http://example.org/g")
    p = ox.NamedNode("http://example.org/p")

    def quads(labels):
        a, b = (ox.BlankNode(x) for x in labels)
        return [ox.Quad(a, p, ox.Literal("1"), g), ox.Quad(b, p, ox.Literal("2"), g), ox.Quad(a, p, b, g)]

    for fmt in RDF_FORMATS:
        assert serialize_quads(quads(["x1", "y2"]), fmt) == serialize_quads(quads(["zz", "aa"]), fmt), fmt


def test_turtle_is_compact_and_readable(store):
    ttl = render_rdf(store, "turtle").decode("utf-8")
    assert ttl.startswith("@prefix ng: <https://w3id.org/navograph/ns#> .\n")
    assert "country:NL" in ttl and "a ng:Stance" in ttl
    body = "\n".join(ln for ln in ttl.splitlines() if not ln.startswith("@prefix"))
    assert "<https://w3id.org/navograph/ns#" not in body


# -- JSON-LD context ----------------------------------------------------------------------------

def test_jsonld_embeds_context_and_uses_terms(store):
    doc = json.loads(render_rdf(store, "jsonld"))
    ctx = json.loads(CONTEXT_PATH.read_text())["@context"]
    assert doc["@context"] == ctx == load_context()
    for p, iri in vocab.PREFIXES.items():
        assert ctx[p] == iri
    graphs = {g["@id"]: g["@graph"] for g in doc["@graph"]}
    assert f"ngid:graph/{AGENDA_DOC}" in graphs and "ngid:graph/catalogue" in graphs
    stance = next(n for n in graphs[f"ngid:graph/{AGENDA_DOC}"] if n.get("@type") == "ng:Stance")
    assert stance["holder"] == "ngid:country/NL"
    assert stance["polarity"] in ("ng:support", "ng:concern")
    assert stance["inLetter"] == f"ngid:letter/{AGENDA_DOC}"
    assert stance["negated"] is False
    sel = next(n for n in graphs[f"ngid:graph/{AGENDA_DOC}"] if "exact" in n)
    assert isinstance(sel["start"], int) and isinstance(sel["end"], int)
    nl = next(n for n in graphs["ngid:graph/catalogue"] if n["@id"] == "ngid:country/NL")
    assert {"@value": "Nederland", "@language": "nl"} in nl["prefLabel"]
    assert nl["exactMatch"] == "wd:Q55"


def test_jsonld_falls_back_when_term_type_does_not_fit(tmp_path):
    g = vocab.graph_iri("000_odd")
    s = ox.NamedNode(vocab.letter_iri("000_odd"))
    quads = [
        ox.Quad(s, ox.NamedNode(vocab.DCTERMS + "date"), ox.Literal("mei 2022"), ox.NamedNode(g)),  # not xsd:date
        ox.Quad(s, ox.NamedNode(vocab.NG + "inLetter"), ox.Literal("not an IRI"), ox.NamedNode(g)),
        ox.Quad(s, ox.NamedNode(vocab.OA + "start"), ox.Literal("007", datatype=ox.NamedNode(vocab.XSD + "integer")), ox.NamedNode(g)),
        ox.Quad(s, ox.NamedNode("http://example.org/unmapped"), ox.NamedNode("http://example.org/o"), ox.NamedNode(g)),
    ]
    data = serialize_quads(quads, "jsonld")
    ds = rdflib.Dataset()
    ds.parse(data=data, format="json-ld")
    assert_same_dataset(ds, {g: quads})
    assert {str(q) for q in ox.parse(data, format=ox.RdfFormat.JSON_LD)} == {str(q) for q in quads}


# -- writing ------------------------------------------------------------------------------------

def test_export_to_file_is_atomic(store, tmp_path):
    out = tmp_path / "out" / "navograph.ttl"
    n = export_rdf(store, "turtle", out)
    assert out.read_bytes() == render_rdf(store, "turtle") and n == out.stat().st_size
    assert [p.name for p in out.parent.iterdir()] == ["navograph.ttl"]  # no temp files left
    before = out.read_bytes()
    with pytest.raises(ExportError):
        export_rdf(store, "turtle", out, graph="999_missing")
    assert out.read_bytes() == before  # a failed export leaves the old file untouched


def test_export_to_stream(store):
    buf = io.BytesIO()
    export_rdf(store, "nquads", None, graph=REPORT_DOC, stream=buf)
    assert buf.getvalue() == render_rdf(store, "nquads", graph=REPORT_DOC)


def test_export_accepts_a_path(store, tmp_path):
    path = store.path
    store.close()
    assert render_rdf(path, "ntriples").count(b"\n") > 100


# -- CLI ------------------------------------------------------------------------------------------

@pytest.fixture
def app():
    a = typer.Typer()
    register(a)
    return a


def test_cli_export_stdout_and_file(store, app, tmp_path):
    path = store.path
    expected = render_rdf(store, "trig")
    store.close()
    r = CliRunner().invoke(app, ["export", "--store", str(path), "--format", "trig"])
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes == expected
    out = tmp_path / "one.jsonld"
    r = CliRunner().invoke(app, ["export", "--store", str(path), "-f", "jsonld", "--letter", AGENDA_DOC, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text())["@graph"][0]["@id"] == f"ngid:graph/{AGENDA_DOC}"
    r = CliRunner().invoke(app, ["export", "--store", str(path), "-f", "turtle", "--letter", "nope"])
    assert r.exit_code == 1 and "no graph" in r.output


def test_cli_export_graph_format_calls_viz(store, app, tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("navograph.viz")
    fake.export_view = lambda st, *, view, fmt, out: calls.append((type(st).__name__, view, fmt, out))
    monkeypatch.setitem(sys.modules, "navograph.viz", fake)
    path = store.path
    store.close()
    out = tmp_path / "v.graphml"
    r = CliRunner().invoke(app, ["export", "--store", str(path), "-f", "graphml", "--view", "meetings", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert calls == [("Store", "meetings", "graphml", out)]
    r = CliRunner().invoke(app, ["export", "--store", str(path), "-f", "gexf"])
    assert calls[-1][1] == "stances"  # default view
    r = CliRunner().invoke(app, ["export", "--store", str(path), "-f", "bogus"])
    assert r.exit_code == 2


def test_cli_export_graph_format_without_viz(store, app, monkeypatch):
    monkeypatch.setitem(sys.modules, "navograph.viz", None)  # import fails
    path = store.path
    store.close()
    r = CliRunner().invoke(app, ["export", "--store", str(path), "-f", "png", "-o", "x.png"])
    assert r.exit_code == 1 and "navograph.viz" in r.output


def test_cli_missing_store(app, tmp_path):
    r = CliRunner().invoke(app, ["export", "--store", str(tmp_path / "none")])
    assert r.exit_code == 1 and "no store" in r.output
