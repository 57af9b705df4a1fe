"""Views and graph exports (navograph.viz): GraphML, GEXF, Cytoscape JSON, neo4j CSV, DOT,
HTML, PNG/SVG, built from a store that follows docs/ARCHITECTURE.md."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

from navograph import vocab
from navograph.viz import GRAPH_FORMATS, VIEWS, build_view, export_view, writers
from navograph.viz.views import node_id

NG, ID = vocab.NG, vocab.ID
EVIL_EN = 'Evil "quoted" & <b>bold</b> </script><script>alert(1)</script> \u2028x'
EVIL_NL = "\u0627\u0644\u0627\u062a\u062d\u0627\u062f \"\u0627\u0644\u0623\u0648\u0631\u0648\u0628\u064a\" & <\u0639\u0631\u0628\u064a>"
CHINESE = "\u4e2d\u56fd & <\u53f0\u6e7e> \u201c\u5f15\u53f7\u201d '"
EVIL_QUOTE = 'Het land "XX" & <ander> zei: </script><!-- \u0645\u0631\u062d\u0628\u0627 \u4f60\u597d -->.'


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _lit(v, lang=None, dt=None) -> ox.Literal:
    if lang:
        return ox.Literal(v, language=lang)
    if dt:
        return ox.Literal(v, datatype=_n(vocab.XSD + dt))
    return ox.Literal(v)


class _G:
    """Collects quads for one named graph."""

    def __init__(self, graph: str):
        self.g = _n(graph)
        self.quads: list[ox.Quad] = []

    def add(self, s, p, o):
        s = _n(s) if isinstance(s, str) else s
        p = _n(p)
        if isinstance(o, str):
            o = _n(o)
        elif isinstance(o, bool):
            o = _lit("true" if o else "false", dt="boolean")
        elif isinstance(o, int):
            o = _lit(str(o), dt="integer")
        self.quads.append(ox.Quad(s, p, o, self.g))


A = vocab.RDF + "type"


def _entity(g: _G, kind: str, key: str, nl: str, en: str, wd: str | None = None):
    iri = vocab.entity_iri(kind, key)
    g.add(iri, A, vocab.class_iri(kind))
    g.add(iri, vocab.DCTERMS + "identifier", _lit(key))
    g.add(iri, vocab.SKOS + "prefLabel", _lit(nl, "nl"))
    g.add(iri, vocab.SKOS + "prefLabel", _lit(en, "en"))
    if wd:
        g.add(iri, vocab.SKOS + "exactMatch", vocab.WD + wd)
    if kind == "topic":
        g.add(iri, A, vocab.SKOS + "Concept")
        g.add(iri, vocab.SKOS + "inScheme", ID + "scheme/topics")
    return iri


class _Letter:
    def __init__(self, doc: str, date: str, kind: str, title: str):
        self.doc = doc
        self.g = _G(vocab.graph_iri(doc))
        self.iri = vocab.letter_iri(doc)
        self.text = ""
        self.n = 0
        g = self.g
        g.add(self.iri, A, NG + "Letter")
        g.add(self.iri, vocab.DCTERMS + "identifier", _lit(doc))
        g.add(self.iri, vocab.DCTERMS + "title", _lit(title))
        g.add(self.iri, NG + "letterKind", _lit(kind))
        g.add(self.iri, vocab.DCTERMS + "date", _lit(date, dt="date"))
        g.add(self.iri, NG + "sourceFile", _lit(f"seeds/{doc}.txt"))
        g.add(self.iri, NG + "sha256", _lit("0" * 64))

    def ev(self, sentence: str) -> str:
        start = len(self.text)
        self.text += sentence + "\n"
        end = start + len(sentence)
        iri = vocab.evidence_iri(self.doc, start, end)
        g = self.g
        g.add(iri, A, NG + "Evidence")
        g.add(iri, vocab.OA + "hasSource", self.iri)
        g.add(iri, vocab.OA + "hasSelector", iri + "/selector")
        g.add(iri + "/selector", A, vocab.OA + "TextPositionSelector")
        g.add(iri + "/selector", A, vocab.OA + "TextQuoteSelector")
        g.add(iri + "/selector", vocab.OA + "start", start)
        g.add(iri + "/selector", vocab.OA + "end", end)
        g.add(iri + "/selector", vocab.OA + "exact", _lit(sentence))
        return iri

    def fact(self, kind: str, cls: str, ev: str, **props) -> str:
        self.n += 1
        f = vocab.fact_iri(self.doc, kind, str(self.n))
        self.g.add(f, A, NG + cls)
        self.g.add(f, NG + "inLetter", self.iri)
        self.g.add(f, NG + "evidence", ev)
        for p, o in props.items():
            pred = vocab.DCTERMS + "date" if p == "date" else NG + p
            self.g.add(f, pred, o)
        return f

    def mention(self, ev, kind, key, surface):
        return self.fact("mention", "Mention", ev, refersTo=vocab.entity_iri(kind, key),
                         surfaceForm=_lit(surface))

    def stance(self, ev, holder, target, pol, mod, meeting=None, date=None):
        props = dict(holder=holder, target=target, polarity=NG + pol, modality=NG + mod,
                     negated=False, cue=_lit("steunt"))
        if meeting:
            props["meeting"] = vocab.meeting_iri(meeting)
        if date:
            props["date"] = _lit(date, dt="date")
        return self.fact("stance", "Stance", ev, **props)


M1 = "fmm_2022-05-14--2022-05-15_berlin"
M2 = "summit_2022-06-28--2022-06-30_madrid"


def make_quads() -> list[ox.Quad]:
    cat = _G(vocab.CATALOGUE_GRAPH)
    nl = _entity(cat, "country", "NL", "Nederland", "Netherlands", "Q55")
    cat.add(nl, NG + "natoMember", True)
    cat.add(nl, vocab.SKOS + "altLabel", _lit("NL", "nl"))
    cat.add(nl, NG + "adjective", _lit("Nederlandse", "nl"))
    cat.add(nl, NG + "adjective", _lit("Nederlands", "nl"))
    fi = _entity(cat, "country", "FI", "Finland", "Finland", "Q33")
    ru = _entity(cat, "country", "RU", "Rusland", "Russia", "Q159")
    xx = _entity(cat, "country", "XX", EVIL_NL, EVIL_EN)
    nato = _entity(cat, "organisation", "NATO", "NAVO", "NATO", "Q7184")
    china = _entity(cat, "topic", "china", "China", "China")
    zh = _entity(cat, "topic", "zh-\u4e2d\u56fd", CHINESE, CHINESE)
    diana = _entity(cat, "initiative", "DIANA", "DIANA", "DIANA")
    berlin = _entity(cat, "city", "berlin", "Berlijn", "Berlin", "Q64")
    cat.add(berlin, vocab.SCHEMA + "containedInPlace", vocab.entity_iri("country", "DE"))
    madrid = _entity(cat, "city", "madrid", "Madrid", "Madrid")
    hoekstra = _entity(cat, "person", "hoekstra", "Wopke Hoekstra", "Wopke Hoekstra")
    role = _entity(cat, "role", "minister-bz", "minister van Buitenlandse Zaken",
                   "Minister of Foreign Affairs")
    cat.add(hoekstra, NG + "role", role)
    cat.add(hoekstra, vocab.SCHEMA + "nationality", nl)

    # letter 1: report of the Berlin FMM
    l1 = _Letter("2022-fmm-report", "2022-05-16", "report", "Verslag informele NAVO-ministeriële")
    g = l1.g
    m1 = vocab.meeting_iri(M1)
    g.add(m1, A, NG + "Meeting")
    g.add(m1, vocab.DCTERMS + "identifier", _lit(M1))
    g.add(m1, vocab.RDFS + "label", _lit("Informele NAVO-ministeriële, Berlijn"))
    g.add(m1, NG + "meetingKind", _lit("fmm"))
    g.add(m1, vocab.SCHEMA + "startDate", _lit("2022-05-14", dt="date"))
    g.add(m1, vocab.SCHEMA + "endDate", _lit("2022-05-15", dt="date"))
    g.add(m1, NG + "year", _lit("2022", dt="gYear"))
    g.add(m1, vocab.SCHEMA + "location", berlin)
    g.add(m1, NG + "informal", True)
    g.add(l1.iri, NG + "primaryMeeting", m1)
    g.add(l1.iri, NG + "signatory", hoekstra)
    e = l1.ev("Op 14 en 15 mei vond in Berlijn een informele NAVO-ministeriële plaats.")
    l1.fact("meeting-ref", "MeetingReference", e, meeting=m1, primary=True)
    e = l1.ev("Finland en Nederland namen deel aan de bijeenkomst.")
    l1.fact("participation", "Participation", e, meeting=m1, participant=fi)
    l1.fact("participation", "Participation", e, meeting=m1, participant=nl)
    l1.mention(e, "country", "FI", "Finland")
    l1.mention(e, "country", "NL", "Nederland")
    e = l1.ev("Nederland steunt het DIANA-initiatief en maakt zich zorgen over China.")
    l1.mention(e, "country", "NL", "Nederland")
    l1.mention(e, "initiative", "DIANA", "DIANA")
    l1.mention(e, "topic", "china", "China")
    l1.stance(e, nl, diana, "support", "intended", M1, "2022-05-14")
    l1.stance(e, nl, china, "concern", "stated", M1)
    e = l1.ev("De NAVO verwelkomde de aanvraag van Finland; Rusland was hierover kritisch.")
    l1.mention(e, "organisation", "NATO", "NAVO")
    l1.mention(e, "country", "FI", "Finland")
    l1.mention(e, "country", "RU", "Rusland")
    l1.stance(e, nato, fi, "support", "reported", M1)
    l1.stance(e, ru, fi, "oppose", "reported", M1)
    e = l1.ev(EVIL_QUOTE)
    l1.mention(e, "country", "XX", '"XX"')
    l1.mention(e, "topic", "zh-\u4e2d\u56fd", "\u4e2d\u56fd")
    l1.stance(e, xx, zh, "oppose", "stated", M1)

    # letter 2: agenda of the Madrid summit, referring back to Berlin
    l2 = _Letter("2022-summit-agenda", "2022-06-20", "annotated-agenda", "Geannoteerde agenda NAVO-top")
    g = l2.g
    m2 = vocab.meeting_iri(M2)
    g.add(m2, A, NG + "Meeting")
    g.add(m2, vocab.DCTERMS + "identifier", _lit(M2))
    g.add(m2, vocab.RDFS + "label", _lit("NAVO-top, Madrid"))
    g.add(m2, NG + "meetingKind", _lit("summit"))
    g.add(m2, vocab.SCHEMA + "startDate", _lit("2022-06-28", dt="date"))
    g.add(m2, vocab.SCHEMA + "endDate", _lit("2022-06-30", dt="date"))
    g.add(m2, NG + "year", _lit("2022", dt="gYear"))
    g.add(m2, vocab.SCHEMA + "location", madrid)
    g.add(m2, NG + "informal", False)
    g.add(l2.iri, NG + "primaryMeeting", m2)
    e = l2.ev("Op 28-30 juni vindt in Madrid de NAVO-top plaats.")
    l2.fact("meeting-ref", "MeetingReference", e, meeting=m2, primary=True)
    e = l2.ev("Zoals besproken in Berlijn blijft Nederland DIANA steunen.")
    l2.fact("meeting-ref", "MeetingReference", e, meeting=m1, primary=False)
    l2.mention(e, "country", "NL", "Nederland")
    l2.mention(e, "initiative", "DIANA", "DIANA")
    l2.stance(e, nl, diana, "support", "intended", M2)
    e = l2.ev("Het kabinet is bezorgd over Rusland en China.")
    l2.mention(e, "country", "RU", "Rusland")
    l2.mention(e, "topic", "china", "China")
    l2.stance(e, nl, ru, "concern", "stated", M2)
    l2.stance(e, nl, china, "concern", "stated", M2)
    l2.fact("participation", "Participation", e, meeting=m2, participant=nl)
    return cat.quads + l1.g.quads + l2.g.quads


class MemStore:
    """Duck-typed stand-in for navograph.store.Store: queries the union of the graphs."""

    def __init__(self, quads):
        self._s = ox.Store()
        self._s.extend(quads)

    def query(self, sparql):
        return self._s.query(sparql, use_default_graph_as_union=True)

    def quads(self, graph=None):
        return self._s.quads_for_pattern(None, None, None, graph)


@pytest.fixture(scope="module")
def store():
    return MemStore(make_quads())


def _export(store, view, fmt, out: Path) -> Path:
    export_view(store, view=view, fmt=fmt, out=out)
    return out


# ---------------------------------------------------------------------------
# views

def test_constants():
    assert GRAPH_FORMATS == ("graphml", "gexf", "cytoscape", "dot", "csv", "html", "png", "svg")
    assert VIEWS == ("stances", "meetings", "mentions", "full")


def test_stances_view(store):
    G = build_view(store, "stances")
    nl, diana, china = "country/NL", "initiative/DIANA", "topic/china"
    e = G.edges[nl, diana, "supports"]
    assert e["polarity"] == "support" and e["relation"] == "supports"
    assert e["count"] == 2 and e["weight"] == 2.0
    assert e["letters"] == "2022-fmm-report;2022-summit-agenda"
    assert e["modality"] == "intended"
    assert (e["first_date"], e["last_date"]) == ("2022-05-14", "2022-06-20")
    assert e["color"] == "#2e7d32"
    c = G.edges[nl, china, "concerned_about"]
    assert c["count"] == 2 and c["color"] == "#ef6c00"
    assert G.edges["country/RU", "country/FI", "opposes"]["color"] == "#c62828"
    n = G.nodes[nl]
    assert (n["key"], n["type"], n["label_nl"], n["label_en"], n["wikidata"]) == (
        "NL", "Country", "Nederland", "Netherlands", "Q55")
    assert G.nodes[china]["type"] == "Topic" and G.nodes[diana]["type"] == "Initiative"
    assert G.number_of_edges() == 6
    assert set(G) == {nl, diana, china, "country/FI", "country/RU", "organisation/NATO",
                      "country/XX", "topic/zh-\u4e2d\u56fd"}
    for _, d in G.nodes(data=True):
        assert None not in d.values()
    # facts with evidence for the page
    facts = G.graph["navograph"]["facts"]
    quotes = {G.graph["navograph"]["evidence"][f["evidence"]]["quote"] for f in facts
              if "country/XX" in f["nodes"]}
    assert EVIL_QUOTE in quotes


def test_meetings_view(store):
    G = build_view(store, "meetings")
    m1, m2 = "meeting/" + M1, "meeting/" + M2
    a = G.nodes[m1]
    assert a["type"] == "Meeting" and a["kind"] == "fmm" and a["informal"] is True
    assert (a["start"], a["end"], a["city"]) == ("2022-05-14", "2022-05-15", "Berlin")
    assert G.nodes[m2]["informal"] is False
    assert G.edges["country/FI", m1, "participates_in"]["count"] == 1
    assert G.edges["letter/2022-fmm-report", m1, "refers_to"]["primary"] is True
    assert G.edges["letter/2022-summit-agenda", m1, "refers_to"]["primary"] is False
    assert G.edges["letter/2022-summit-agenda", m2, "refers_to"]["primary"] is True
    assert G.has_edge(m1, "initiative/DIANA", "discusses")
    assert G.has_edge(m1, "topic/china", "discusses")
    assert G.has_edge(m2, "initiative/DIANA", "discusses")
    assert G.nodes["letter/2022-fmm-report"]["date"] == "2022-05-16"
    assert not any(d.get("type") == "City" for _, d in G.nodes(data=True))


def test_mentions_view(store):
    G = build_view(store, "mentions")
    assert G.nodes["country/NL"]["mentions"] == 3
    e = G.edges["country/NL", "initiative/DIANA", "co_mentioned"]
    assert e["count"] == 2 and e["sentences"] == 2
    e = G.edges["country/FI", "country/RU", "co_mentioned"]
    assert e["count"] == 1 and e["sentences"] == 1
    # same letter, never the same sentence
    assert G.edges["country/FI", "initiative/DIANA", "co_mentioned"]["sentences"] == 0
    for u, v in G.edges():
        assert u < v


def test_full_view(store):
    G = build_view(store, "full")
    nl = G.nodes["country/NL"]
    assert nl["ng_natoMember"] is True
    assert nl["ng_adjective"] == "Nederlands; Nederlandse"
    assert nl["wikidata"] == "Q55"
    sel = [d for n, d in G.nodes(data=True) if d["type"] == "TextPositionSelector"]
    assert sel and all(isinstance(d["oa_start"], int) for d in sel)
    stance = next(n for n, d in G.nodes(data=True) if d["type"] == "Stance")
    rels = {k for _, _, k in G.out_edges(stance, keys=True)}
    assert {"ng_holder", "ng_target", "ng_polarity", "ng_evidence", "ng_inLetter"} <= rels
    # one declared type per attribute
    for name, t in writers.schema((d for _, d in G.nodes(data=True)), writers.NODE_ORDER):
        assert t in ("string", "int", "double", "boolean")


def test_unknown_view_and_format(store, tmp_path):
    with pytest.raises(ValueError):
        build_view(store, "nope")
    with pytest.raises(ValueError):
        export_view(store, view="stances", fmt="xlsx", out=tmp_path / "x")


def test_bare_pyoxigraph_store_is_queried_as_union():
    s = ox.Store()
    s.extend(make_quads())
    assert build_view(s, "stances").number_of_edges() == 6


# ---------------------------------------------------------------------------
# GraphML

def _counts(G):
    return G.number_of_nodes(), G.number_of_edges()


@pytest.mark.parametrize("view", VIEWS)
def test_graphml_networkx_and_igraph(store, tmp_path, view):
    ref = build_view(store, view, facts=False)
    p = _export(store, view, "graphml", tmp_path / "g.graphml")
    G = nx.read_graphml(p, force_multigraph=True)
    assert _counts(G) == _counts(ref)
    for n, d in ref.nodes(data=True):
        got = G.nodes[n]
        for k, v in d.items():
            if v != "":
                assert got[k] == v, (n, k)
                assert type(got[k]) is type(v), (n, k)
    igraph = pytest.importorskip("igraph")
    ig = igraph.Graph.Read_GraphML(str(p))
    assert (ig.vcount(), ig.ecount()) == _counts(ref)
    assert ig.is_directed()
    names = ig.vs["id"]
    assert sorted(names) == sorted(ref.nodes())
    if view == "stances":
        i = names.index("country/NL")
        assert ig.vs[i]["label_en"] == "Netherlands"
        counts = ig.es["count"]
        assert all(isinstance(c, (int, float)) for c in counts)
        assert sorted(int(c) for c in counts) == sorted(d["count"] for *_, d in
                                                        ref.edges(keys=True, data=True))
        j = names.index("country/XX")
        assert ig.vs[j]["label_en"] == EVIL_EN and ig.vs[j]["label_nl"] == EVIL_NL
    if view == "meetings":
        i = names.index("meeting/" + M1)
        assert ig.vs[i]["informal"] in (True, 1)


def test_graphml_declares_types(store, tmp_path):
    from lxml import etree

    p = _export(store, "full", "graphml", tmp_path / "g.graphml")
    root = etree.parse(str(p)).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = root.findall("g:key", ns)
    assert keys
    seen = set()
    for k in keys:
        assert k.get("attr.type") in ("string", "int", "double", "boolean")
        assert (k.get("for"), k.get("attr.name")) not in seen
        seen.add((k.get("for"), k.get("attr.name")))
    types = {k.get("id"): k.get("attr.type") for k in keys}
    for d in root.iter("{http://graphml.graphdrawing.org/xmlns}data"):
        _check_value(d.text or "", types[d.get("key")])


# ---------------------------------------------------------------------------
# GEXF

_GEXF_NS = "http://gexf.net/1.3"


def _check_value(value: str, t: str) -> None:
    if t in ("integer", "int", "long"):
        assert re.fullmatch(r"-?\d+", value), value
    elif t in ("double", "float"):
        float(value)
        assert value.lower() not in ("nan", "inf", "-inf")
    elif t == "boolean":
        assert value in ("true", "false"), value
    else:
        assert t == "string"


@pytest.mark.parametrize("view", VIEWS)
def test_gexf_networkx_and_strict_xml(store, tmp_path, view):
    from lxml import etree

    ref = build_view(store, view, facts=False)
    p = _export(store, view, "gexf", tmp_path / "g.gexf")
    G = nx.read_gexf(p)
    assert _counts(G) == _counts(ref)
    for n, d in ref.nodes(data=True):
        for k, v in d.items():
            if v != "" and k != "label":
                assert G.nodes[n][k] == v, (n, k)
        assert G.nodes[n]["label"] == d["label"]

    # an independent strict reading: namespace, version, declared types, values
    root = etree.parse(str(p), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    assert root.tag == f"{{{_GEXF_NS}}}gexf"
    assert root.get("version") == "1.3"
    assert root.nsmap[None] == _GEXF_NS
    assert "lastmodifieddate" not in etree.tostring(root).decode()
    ns = {"g": _GEXF_NS}
    graph = root.find("g:graph", ns)
    assert graph.get("defaultedgetype") == "directed"
    decl = {}
    for attrs in graph.findall("g:attributes", ns):
        cls = attrs.get("class")
        assert cls in ("node", "edge")
        titles = set()
        for a in attrs.findall("g:attribute", ns):
            assert a.get("type") in ("string", "integer", "double", "boolean")
            assert a.get("title") not in titles
            titles.add(a.get("title"))
            decl[(cls, a.get("id"))] = a.get("type")
    nodes = graph.findall("g:nodes/g:node", ns)
    edges = graph.findall("g:edges/g:edge", ns)
    assert (len(nodes), len(edges)) == _counts(ref)
    ids = {n.get("id") for n in nodes}
    assert len(ids) == len(nodes)
    for cls, elems in (("node", nodes), ("edge", edges)):
        for e in elems:
            for av in e.findall("g:attvalues/g:attvalue", ns):
                _check_value(av.get("value"), decl[(cls, av.get("for"))])
    eids = set()
    for e in edges:
        assert e.get("source") in ids and e.get("target") in ids
        float(e.get("weight"))
        assert e.get("id") not in eids
        eids.add(e.get("id"))


# ---------------------------------------------------------------------------
# Cytoscape JSON and HTML

def _embedded_json(html_text: str) -> str:
    m = re.search(r'<script id="navograph-data" type="application/json">(.*?)</script>',
                  html_text, re.S)
    assert m
    return m.group(1)


@pytest.mark.parametrize("view", VIEWS)
def test_cytoscape_equals_html_data(store, tmp_path, view):
    cy = _export(store, view, "cytoscape", tmp_path / "g.cyjs").read_text("utf-8")
    page = _export(store, view, "html", tmp_path / "g.html").read_text("utf-8")
    embedded = _embedded_json(page)
    assert embedded == cy.rstrip("\n")
    doc = json.loads(cy)
    assert json.loads(embedded) == doc
    ref = build_view(store, view, facts=False)
    assert len(doc["elements"]["nodes"]) == ref.number_of_nodes()
    assert len(doc["elements"]["edges"]) == ref.number_of_edges()
    ids = {n["data"]["id"] for n in doc["elements"]["nodes"]}
    for e in doc["elements"]["edges"]:
        assert e["data"]["source"] in ids and e["data"]["target"] in ids
    for el in doc["elements"]["nodes"] + doc["elements"]["edges"]:
        assert None not in el["data"].values()


def test_html_is_self_contained_and_escaped(store, tmp_path):
    page = _export(store, "stances", "html", tmp_path / "s.html").read_text("utf-8")
    # no network: no external scripts, styles, images or fonts
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page, re.I)
    assert "@import" not in page and "url(" not in page
    # the library is inlined, with its version noted
    assert "cytoscape" in page and "3.34.4" in page
    # exactly three script elements, none closed early by data
    assert page.count("<script") == 3 and page.count("</script>") == 3
    data = _embedded_json(page)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in data
    doc = json.loads(data)
    labels = {n["data"]["label_en"] for n in doc["elements"]["nodes"]}
    assert EVIL_EN in labels
    assert any(q["quote"] == EVIL_QUOTE for q in doc["navograph"]["evidence"].values())


# ---------------------------------------------------------------------------
# neo4j CSV

def test_neo4j_csv(store, tmp_path):
    out = tmp_path / "neo"
    export_view(store, view="stances", fmt="csv", out=out)
    nodes = (out / "nodes.csv").read_text("utf-8")
    rels = (out / "relationships.csv").read_text("utf-8")
    nrows = list(csv.reader(io.StringIO(nodes)))
    rrows = list(csv.reader(io.StringIO(rels)))
    h = nrows[0]
    assert h[:3] == ["key:ID", "label_nl", "label_en"] and h[-1] == ":LABEL"
    assert "identifier" in h and "letters:string[]" in h
    rh = rrows[0]
    assert rh[:5] == [":START_ID", ":END_ID", ":TYPE", "polarity", "count:int"]
    assert "weight:double" in rh and "letters:string[]" in rh
    for row in nrows[1:]:
        assert len(row) == len(h)
    for row in rrows[1:]:
        assert len(row) == len(rh)
    ref = build_view(store, "stances", facts=False)
    assert len(nrows) - 1 == ref.number_of_nodes()
    assert len(rrows) - 1 == ref.number_of_edges()
    byid = {r[0]: dict(zip(h, r)) for r in nrows[1:]}
    assert byid["country/NL"][":LABEL"] == "Country"
    assert byid["country/NL"]["identifier"] == "NL"
    assert byid["country/XX"]["label_en"] == EVIL_EN
    ids = set(byid)
    types = set()
    for r in rrows[1:]:
        d = dict(zip(rh, r))
        assert d[":START_ID"] in ids and d[":END_ID"] in ids
        int(d["count:int"])
        types.add(d[":TYPE"])
    assert types == {"SUPPORTS", "OPPOSES", "CONCERNED_ABOUT"}
    # prefix form
    export_view(store, view="meetings", fmt="csv", out=tmp_path / "m_")
    assert (tmp_path / "m_nodes.csv").exists() and (tmp_path / "m_relationships.csv").exists()
    mh = next(csv.reader(io.StringIO((tmp_path / "m_nodes.csv").read_text("utf-8"))))
    assert "informal:boolean" in mh


def test_csv_needs_out(store):
    with pytest.raises(ValueError):
        export_view(store, view="stances", fmt="csv", out=None)


# ---------------------------------------------------------------------------
# DOT

def _dot_unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), s)


def test_dot_quotes_labels(store, tmp_path):
    text = _export(store, "stances", "dot", tmp_path / "s.dot").read_text("utf-8")
    assert text.startswith('digraph "navograph stances" {')
    # every quoted string is well formed; the evil label comes back unchanged
    strings = [_dot_unquote(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text)]
    assert EVIL_EN in strings and EVIL_NL in strings
    ref = build_view(store, "stances", facts=False)
    assert text.count(" -> ") == ref.number_of_edges()
    if shutil.which("dot"):
        proc = subprocess.run(["dot", "-Tjson0"], input=text.encode(), capture_output=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        j = json.loads(proc.stdout)
        labels = {o.get("label_en") for o in j.get("objects", [])}
        assert EVIL_EN in labels
        assert len(j.get("objects", [])) == ref.number_of_nodes()
        assert len(j.get("edges", [])) == ref.number_of_edges()


# ---------------------------------------------------------------------------
# every format: special characters, determinism

def _read_back_labels(fmt: str, path: Path) -> set[str]:
    if fmt == "graphml":
        G = nx.read_graphml(path, force_multigraph=True)
        return {d.get("label_en") for _, d in G.nodes(data=True)} | {
            d.get("label_nl") for _, d in G.nodes(data=True)}
    if fmt == "gexf":
        G = nx.read_gexf(path)
        return {d.get("label_en") for _, d in G.nodes(data=True)} | {
            d.get("label_nl") for _, d in G.nodes(data=True)}
    if fmt == "cytoscape":
        doc = json.loads(path.read_text("utf-8"))
        return {n["data"].get(k) for n in doc["elements"]["nodes"] for k in ("label_en", "label_nl")}
    if fmt == "html":
        doc = json.loads(_embedded_json(path.read_text("utf-8")))
        return {n["data"].get(k) for n in doc["elements"]["nodes"] for k in ("label_en", "label_nl")}
    if fmt == "dot":
        text = path.read_text("utf-8")
        return {_dot_unquote(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', text)}
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO((path / "nodes.csv").read_text("utf-8"))))
        return {r["label_en"] for r in rows} | {r["label_nl"] for r in rows}
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "dot", "csv", "html"])
@pytest.mark.parametrize("view", VIEWS)
def test_special_characters_round_trip(store, tmp_path, fmt, view):
    out = tmp_path / ("out" if fmt == "csv" else f"out.{fmt}")
    export_view(store, view=view, fmt=fmt, out=out)
    labels = _read_back_labels(fmt, out)
    if view in ("stances", "mentions", "full"):
        assert EVIL_EN in labels and EVIL_NL in labels and CHINESE in labels


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "cytoscape", "dot", "csv", "html", "svg"])
def test_deterministic(tmp_path, fmt):
    outs = []
    for i in range(2):
        # a fresh store each time, quads added in a different order
        quads = make_quads()
        st = MemStore(quads if i == 0 else list(reversed(quads)))
        out = tmp_path / (f"run{i}" if fmt == "csv" else f"run{i}.{fmt}")
        if fmt == "svg":
            pytest.importorskip("matplotlib")
            import os

            os.environ["NAVOGRAPH_RENDERER"] = "matplotlib"
            try:
                export_view(st, view="stances", fmt=fmt, out=out)
            finally:
                del os.environ["NAVOGRAPH_RENDERER"]
        else:
            export_view(st, view="full" if fmt != "html" else "stances", fmt=fmt, out=out)
        if fmt == "csv":
            outs.append((out / "nodes.csv").read_bytes() + (out / "relationships.csv").read_bytes())
        else:
            outs.append(out.read_bytes())
    assert outs[0] == outs[1]


# ---------------------------------------------------------------------------
# pictures

def _renderers():
    out = []
    if shutil.which("dot"):
        out.append("graphviz")
    try:
        import matplotlib  # noqa: F401

        out.append("matplotlib")
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize("engine", ["graphviz", "matplotlib"])
def test_pictures(store, tmp_path, monkeypatch, fmt, engine):
    if engine not in _renderers():
        pytest.skip(f"{engine} is not installed")
    monkeypatch.setenv("NAVOGRAPH_RENDERER", engine)
    out = tmp_path / f"stances-{engine}.{fmt}"
    export_view(store, view="stances", fmt=fmt, out=out)
    data = out.read_bytes()
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    else:
        from lxml import etree

        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_node_id_is_path():
    assert node_id(vocab.entity_iri("country", "NL")) == "country/NL"
    assert node_id(vocab.entity_iri("topic", "a b/c")) == "topic/a b/c"
    assert node_id("https://zoek.officielebekendmakingen.nl/kst-1") == \
        "https://zoek.officielebekendmakingen.nl/kst-1"


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_empty_store_exports(tmp_path, monkeypatch, fmt):
    if fmt in ("png", "svg"):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            if not shutil.which("dot"):
                pytest.skip("no renderer")
    empty = MemStore([])
    for view in VIEWS:
        out = tmp_path / (view if fmt == "csv" else f"{view}.{fmt}")
        export_view(empty, view=view, fmt=fmt, out=out)
        assert (out / "nodes.csv").exists() if fmt == "csv" else out.stat().st_size > 0
    if fmt == "graphml":
        assert nx.read_graphml(tmp_path / "stances.graphml").number_of_nodes() == 0
    if fmt == "gexf":
        assert nx.read_gexf(tmp_path / "stances.gexf").number_of_nodes() == 0


# ---------------------------------------------------------------------------
# the real seed letters, built by the pipeline

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    import sys

    if not SEEDS.is_dir() or not any(SEEDS.iterdir()):
        pytest.skip("no seeds/ folder")
    try:
        from navograph.store import Store
    except ImportError as exc:
        pytest.skip(f"navograph.store is not available: {exc}")
    path = tmp_path_factory.mktemp("seedstore") / "store"
    proc = subprocess.run([sys.executable, "-m", "navograph", "build", str(SEEDS), "--store",
                           str(path), "--no-validate", "--quiet", "--blank"],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0 or not path.exists():
        pytest.skip(f"the pipeline could not build the seeds: {proc.stderr[-500:]}")
    st = Store(path, read_only=True)
    yield st
    st.close()


@pytest.mark.slow
@pytest.mark.parametrize("view", VIEWS)
def test_real_seeds(seed_store, tmp_path, view):
    from lxml import etree

    ref = build_view(seed_store, view, facts=False)
    assert ref.number_of_nodes() > 0
    if view == "stances":
        assert ref.number_of_edges() > 0
        for *_, d in ref.edges(keys=True, data=True):
            assert d["polarity"] in ("support", "oppose", "concern") and d["count"] >= 1
    gml = _export(seed_store, view, "graphml", tmp_path / "g.graphml")
    assert _counts(nx.read_graphml(gml, force_multigraph=True)) == _counts(ref)
    igraph = pytest.importorskip("igraph")
    ig = igraph.Graph.Read_GraphML(str(gml))
    assert (ig.vcount(), ig.ecount()) == _counts(ref)
    gx = _export(seed_store, view, "gexf", tmp_path / "g.gexf")
    assert _counts(nx.read_gexf(gx)) == _counts(ref)
    root = etree.parse(str(gx)).getroot()
    assert root.get("version") == "1.3"
    cy = _export(seed_store, view, "cytoscape", tmp_path / "g.cyjs").read_text("utf-8")
    page = _export(seed_store, view, "html", tmp_path / "g.html").read_text("utf-8")
    assert _embedded_json(page) == cy.rstrip("\n")
    doc = json.loads(cy)
    assert len(doc["elements"]["nodes"]) == ref.number_of_nodes()
    if view == "stances":
        quotes = [e["quote"] for e in doc["navograph"]["evidence"].values()]
        assert quotes and all(quotes)
    export_view(seed_store, view=view, fmt="csv", out=tmp_path / "csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "csv" / "relationships.csv").read_text("utf-8"))))
    assert len(rows) - 1 == ref.number_of_edges()
