"""RDF exports: round trips through the other parser, determinism and canonical order, streaming,
atomic and interrupted writes, blank nodes, CLI."""
from __future__ import annotations

import io
import json
import random
import sys
import types
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import typer
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from conftest_store import AGENDA_DOC, REPORT_DOC, build_fixture_store, fixture_graphs, fixture_meta
import navograph.export as export_mod
from navograph import vocab
from navograph.cli_store import register
from navograph.export import (
    CONTEXT_PATH, EXTENSIONS, RDF_FORMATS, ExportError, export_rdf, load_context, render_rdf, serialize_quads,
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


# -- streaming, canonical order, interruptions ----------------------------------------------------


def _nt_line(q) -> bytes:
    return (str(q.triple) + " .").encode("utf-8")


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_export_to_file_and_to_stdout_equal_render_rdf(store, tmp_path, capsysbinary, fmt):
    expected = render_rdf(store, fmt)
    out = tmp_path / "x" / f"navograph{EXTENSIONS[fmt]}"
    assert export_rdf(store, fmt, out) == len(expected)
    assert out.read_bytes() == expected
    assert export_rdf(store, fmt, None) == len(expected)  # to sys.stdout.buffer
    assert capsysbinary.readouterr().out == expected
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file, no sort folder


def test_ntriples_is_the_sorted_set_of_all_triples(store):
    # triples shared by letter graphs (the FMM meeting) are written once
    expected = sorted({_nt_line(q) for qs in fixture_graphs().values() for q in qs})
    assert sum(len(qs) for qs in fixture_graphs().values()) > len(expected)  # there are shared triples
    assert render_rdf(store, "ntriples").split(b"\n") == expected + [b""]


def test_nquads_order_is_graph_by_graph_by_name(store):
    expected = []
    for g in sorted(fixture_graphs(), key=lambda g: f"<{g}>"):
        expected += sorted(_nt_line(q)[:-1] + f"<{g}> .".encode() for q in fixture_graphs()[g])
    assert render_rdf(store, "nquads").split(b"\n") == expected + [b""]


def test_jsonld_is_laid_out_like_json_dumps(store):
    data = render_rdf(store, "jsonld")
    assert data == (json.dumps(json.loads(data), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_empty_store_exports(tmp_path):
    st = Store(tmp_path / "empty")
    try:
        for fmt in ("turtle", "trig", "nquads", "ntriples"):
            assert render_rdf(st, fmt) == b"", fmt
        doc = json.loads(render_rdf(st, "jsonld"))
        assert doc == {"@context": load_context(), "@graph": []}
    finally:
        st.close()


def _store_built_by(path, how: str) -> Store:
    """The fixture content, written another way and in another order."""
    st = Store(path)
    items = list(fixture_graphs().items())
    if how == "add_graphs":
        st.add_graphs([(g, list(reversed(qs)), fixture_meta(g)) for g, qs in reversed(items)])
    elif how == "bulk":
        random.Random(3).shuffle(items)
        st.bulk_add_graphs([(g, ox.serialize(random.Random(g).sample(qs, len(qs)), format=ox.RdfFormat.N_QUADS),
                             fixture_meta(g)) for g, qs in items])
    else:  # direct writes, then metadata (and union) afterwards
        random.Random(5).shuffle(items)
        st.ox.extend([q for _, qs in items for q in reversed(qs)])
        st.set_meta([(g, fixture_meta(g)) for g, _ in items])
    return st


@pytest.mark.parametrize("how", ["add_graphs", "bulk", "direct"])
def test_exports_do_not_depend_on_how_the_store_was_built(store, tmp_path, how):
    other = _store_built_by(tmp_path / how, how)
    try:
        for fmt in RDF_FORMATS:
            assert render_rdf(other, fmt) == render_rdf(store, fmt), fmt
            assert render_rdf(other, fmt, graph=REPORT_DOC) == render_rdf(store, fmt, graph=REPORT_DOC), fmt
    finally:
        other.close()


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_union_sorted_on_disk_equals_sorted_in_memory(store, tmp_path, monkeypatch, fmt):
    expected = render_rdf(store, fmt)
    runs = []
    spill = export_mod._Union._spill

    def counting_spill(self):
        spill(self)
        runs.append(self.runs[-1])
    monkeypatch.setattr(export_mod._Union, "_spill", counting_spill)
    monkeypatch.setattr(export_mod, "SORT_BUFFER_BYTES", 1)  # every graph becomes a sorted run on disk
    out = tmp_path / "out" / f"u{EXTENSIONS[fmt]}"
    export_rdf(store, fmt, out)
    assert len(runs) == len(fixture_graphs())
    assert out.read_bytes() == expected
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # the runs were beside it, and are gone
    assert runs and not any(Path(r).exists() for r in runs)


def test_merge_of_sorted_runs(monkeypatch):
    monkeypatch.setattr(export_mod, "_PARSE_BATCH", 64)  # blocks of 1,024 lines: many rounds per run
    rnd = random.Random(11)
    words = [f"<http://e/{rnd.randrange(10**6):07d}> .".encode() for _ in range(60000)]
    runs = [sorted(set(words[i::7])) for i in range(7)] + [[], sorted(set(words[:10]))]
    got = [ln for batch in export_mod._merged([iter(r) for r in runs]) for ln in batch]
    assert got == sorted(set(words))


class _Boom(RuntimeError):
    pass


def _failing_source(monkeypatch, after: int, seen: list) -> None:
    """Make the store's graphs fail to read after ``after`` graphs (recording bytes written)."""
    real_source, real_counted = export_mod._store_graphs, export_mod._Counted
    written = []

    class Counted(real_counted):
        def __init__(self, out):
            super().__init__(out)
            written.append(self)

    def source(st, names):
        for i, item in enumerate(real_source(st, names)):
            if i == after:
                seen.append(sum(c.n for c in written))
                raise _Boom("the disk went away")
            yield item
    monkeypatch.setattr(export_mod, "_store_graphs", source)
    monkeypatch.setattr(export_mod, "_Counted", Counted)


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_an_export_interrupted_midway_leaves_the_previous_file(store, tmp_path, monkeypatch, fmt):
    out = tmp_path / "out" / f"navograph{EXTENSIONS[fmt]}"
    export_rdf(store, fmt, out)
    before = out.read_bytes()
    seen: list[int] = []
    _failing_source(monkeypatch, 3, seen)
    monkeypatch.setattr(export_mod, "SORT_BUFFER_BYTES", 1)  # graph formats have sort runs on disk by then
    with pytest.raises(_Boom):
        export_rdf(store, fmt, out)
    if fmt in DATASET_FORMATS:
        assert seen[0] > 0  # it failed while writing (graphs 1-3 were written)
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file, no sort runs


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_an_export_failing_while_writing_the_union_leaves_the_previous_file(store, tmp_path, monkeypatch, fmt):
    out = tmp_path / "out" / f"navograph{EXTENSIONS[fmt]}"
    export_rdf(store, fmt, out)
    before = out.read_bytes()
    real = export_mod._merged
    monkeypatch.setattr(export_mod, "SORT_BUFFER_BYTES", 1)
    monkeypatch.setattr(export_mod, "_PARSE_BATCH", 16)  # many batches

    def merged(runs):
        it = real(runs)
        yield next(it)
        raise _Boom("read error in a sort run")
    monkeypatch.setattr(export_mod, "_merged", merged)
    with pytest.raises(_Boom):
        export_rdf(store, fmt, out)
    assert out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == [out.name]


@pytest.mark.parametrize("fmt", ["nquads", "jsonld"])
def test_dataset_exports_write_a_graph_before_reading_the_next(store, monkeypatch, fmt):
    events: list[str] = []
    real = export_mod._store_graphs

    def source(st, names):
        for item in real(st, names):
            events.append("read")
            yield item
    monkeypatch.setattr(export_mod, "_store_graphs", source)

    class Sink(io.BytesIO):
        def write(self, b):
            events.append("write")
            return super().write(b)
    sink = Sink()
    export_rdf(store, fmt, None, stream=sink)
    reads = [i for i, e in enumerate(events) if e == "read"]
    assert len(reads) == len(fixture_graphs())
    for a, b in zip(reads, reads[1:]):  # between two reads, the first graph was written out
        assert "write" in events[a:b]
    assert sink.getvalue() == render_rdf(store, fmt)


# -- blank nodes ---------------------------------------------------------------------------------

EX = "http://example.org/"


def _bnode_quads(seed: int) -> list[ox.Quad]:
    """g1 and g2 share one blank node; g3 holds an isomorphic copy of g1 with its own blank
    node; g0 (named to sort after the others) has none."""
    x, y, z = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    p, q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "q")
    g = {n: ox.NamedNode(EX + n) for n in ("g1", "g2", "g3", "zz0")}
    quads = [
        ox.Quad(x, p, ox.Literal("1"), g["g1"]), ox.Quad(x, q, z, g["g1"]), ox.Quad(z, p, ox.Literal("z"), g["g1"]),
        ox.Quad(x, p, ox.Literal("2"), g["g2"]),
        ox.Quad(y, p, ox.Literal("1"), g["g3"]),
        ox.Quad(ox.NamedNode(EX + "s"), p, ox.Literal("plain _:notablank"), g["zz0"]),
    ]
    w = ox.BlankNode()
    quads += [ox.Quad(y, q, w, g["g3"]), ox.Quad(w, p, ox.Literal("z"), g["g3"])]
    random.Random(seed).shuffle(quads)
    return quads


def _bnode_store(path, seed: int) -> Store:
    st = Store(path)
    quads = _bnode_quads(seed)
    st.ox.extend(quads)
    st.set_meta([(q.graph_name.value, {}) for q in quads])
    return st


@pytest.fixture
def bnode_store(tmp_path):
    st = _bnode_store(tmp_path / "b", 1)
    yield st
    st.close()


def test_blank_nodes_shared_by_graphs_stay_shared_and_distinct_ones_distinct(bnode_store, tmp_path):
    other = _bnode_store(tmp_path / "b2", 2)  # other labels, other order
    try:
        for fmt in RDF_FORMATS:
            assert render_rdf(other, fmt) == render_rdf(bnode_store, fmt), fmt
    finally:
        other.close()
    quads = list(ox.parse(render_rdf(bnode_store, "nquads"), format=ox.RdfFormat.N_QUADS))
    subj = {}
    for qd in quads:
        if qd.predicate.value == EX + "p" and isinstance(qd.object, ox.Literal) and qd.object.value in "12":
            subj[qd.graph_name.value] = qd.subject
    assert subj[EX + "g1"] == subj[EX + "g2"] != subj[EX + "g3"]
    assert all(isinstance(s, ox.BlankNode) for s in subj.values())
    # the graph without blank nodes comes first although its name sorts last
    assert [qd.graph_name.value for qd in quads][0] == EX + "zz0"
    assert [qd.graph_name.value for qd in quads][1:] == sorted(qd.graph_name.value for qd in quads[1:])
    nt = render_rdf(bnode_store, "ntriples").decode().splitlines()
    assert len(nt) == 8 and len({ln.split(" ")[0] for ln in nt if ln.startswith("_:")}) == 4


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_blank_node_exports_parse_back_with_rdflib(bnode_store, fmt):
    data = render_rdf(bnode_store, fmt)
    quads = _bnode_quads(0)
    if fmt in DATASET_FORMATS:
        ds = rdflib.Dataset()
        ds.parse(data=data, format=DATASET_FORMATS[fmt])
        by_graph: dict[str, list] = {}
        for q in quads:
            by_graph.setdefault(q.graph_name.value, []).append(q)
        assert_same_dataset(ds, by_graph)
    else:
        g = rdflib.Graph()
        g.parse(data=data, format=GRAPH_FORMATS[fmt])
        assert len(g) == 8
        # the union keeps g1+g2 (x shared, with z) and g3 (y with w) apart
        assert isomorphic(g, expected_graph(quads))


@pytest.mark.parametrize("fmt", RDF_FORMATS)
def test_spilled_union_and_single_graph_parse_back_with_rdflib(store, monkeypatch, fmt):
    monkeypatch.setattr(export_mod, "SORT_BUFFER_BYTES", 200)
    data = render_rdf(store, fmt, graph=REPORT_DOC)
    only = fixture_graphs()[vocab.graph_iri(REPORT_DOC)]
    if fmt in DATASET_FORMATS:
        ds = rdflib.Dataset()
        ds.parse(data=data, format=DATASET_FORMATS[fmt])
        assert_same_dataset(ds, {vocab.graph_iri(REPORT_DOC): only})
    else:
        g = rdflib.Graph()
        g.parse(data=render_rdf(store, fmt), format=GRAPH_FORMATS[fmt])
        assert lexical_equal(g, expected_union())
        g = rdflib.Graph()
        g.parse(data=data, format=GRAPH_FORMATS[fmt])
        assert lexical_equal(g, expected_graph(only))
