"""The RDF layer: valid IRIs from any key, one named graph per letter, determinism, and
Turtle that a second, independent parser reads to the same graph."""
from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from navograph import vocab as V
from navograph.model import Entity, Evidence, Letter, Meeting, Mention
from navograph.rdf import letter_quads

HOSTILE = ["van der Lee", "a/b?c#d", "<script>", 'quo"te', "Ωμέγα", "تجربة", "中文", "tab\there",
           "100%", "", " ", "a b", "ᚠ", "e\u0301", "\U0001F600", "..", "?", "#", "ÆØÅ", "x" * 300]


@pytest.mark.parametrize("key", HOSTILE)
def test_iris_from_hostile_keys_are_valid(key):
    for kind in V.KIND_PATH:
        iri = V.entity_iri(kind, key)
        ox.NamedNode(iri)  # raises on an invalid IRI
        assert " " not in iri and "<" not in iri and '"' not in iri
        assert rdflib.URIRef(iri).n3().startswith("<")
        assert V.key_from_iri(iri) == (kind, key)
    ox.NamedNode(V.letter_iri(key))
    ox.NamedNode(V.meeting_iri(key))
    ox.NamedNode(V.evidence_iri(key, 0, 1))


@pytest.mark.parametrize("key", HOSTILE + ["NL", "van-der-lee", "a.b_c~d-e", "EC", "kst-28676-404", "ĳ", "ſ"])
def test_a_segment_is_the_key_percent_encoded_outside_the_unreserved_set(key):
    from urllib.parse import quote

    # keys of only A-Z a-z 0-9 - . _ ~ are kept as they are (vocab.seg skips quote() for them)
    assert V.seg(key) == quote(key, safe="-._~")


def _letter(catalogue, name: str) -> Letter:
    ev = Evidence("doc-1", 0, 10, f"{name} zei <iets> & \"meer\"")
    ent = Entity(key=name, kind="person", label_nl=name, label_en=name, discovered=True, evidence=ev)
    m = Meeting("fmm", dt.date(2024, 4, 3), dt.date(2024, 4, 4), 2024, "brussels", False, True, ev)
    return Letter(doc="doc-1", source="x/doc-1.txt", sha256="0" * 64, kind="report", date=dt.date(2024, 4, 5),
                  title=f"Verslag <{name}>", signatories=[name], signatory_evidence=[ev], meetings=[m],
                  mentions=[Mention(name, "person", ev, name), Mention("UA", "country", ev, "Oekraïne")],
                  entities=[ent])


@pytest.fixture(scope="module")
def catalogue():
    from navograph.catalogue import load_catalogue

    return load_catalogue()


@pytest.mark.parametrize("name", ["van der Lee", "Ωμέγα <b>&amp;", "تجربة", 'O"Brien'])
def test_letter_quads_are_one_graph_deterministic_and_round_trip(catalogue, name):
    quads = letter_quads(_letter(catalogue, name), catalogue)
    assert {q.graph_name for q in quads} == {ox.NamedNode(V.graph_iri("doc-1"))}
    assert letter_quads(_letter(catalogue, name), catalogue) == quads
    ttl = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.TURTLE)
    g1 = rdflib.Graph().parse(data=ttl.decode(), format="turtle")
    nt = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
    g2 = rdflib.Graph().parse(data=nt.decode(), format="nt")
    assert len(g1) == len(quads) and isomorphic(g1, g2)


def test_keys_shared_across_kinds_stay_apart(analyser):
    """"EC" is both the European Commission (guideline) and Ecuador (ISO 3166)."""
    from navograph.pipeline import analyse_text

    letter = analyse_text("De Ecuadoraanse minister sprak met de Europese Commissie.", "ec", analyser)
    assert {(m.key, m.kind) for m in letter.mentions} >= {("EC", "country"), ("EC", "organisation")}
    objects = {q.object.value for q in letter_quads(letter, analyser.catalogue)
               if q.predicate.value == V.NG + "refersTo"}
    assert {V.entity_iri("country", "EC"), V.entity_iri("organisation", "EC")} <= objects


def test_seeds_graph_conforms_and_has_one_graph_per_letter(seeds_store, seeds_dir):
    from navograph.store import Store

    path, result = seeds_store
    assert result.validation is not None and result.validation.conforms, result.validation.text()
    with Store(path, read_only=True) as st:
        names = set(st.graph_names())
    for p in seeds_dir.glob("*.txt"):
        assert V.graph_iri(p.stem) in names
    assert {V.CATALOGUE_GRAPH, V.ONTOLOGY_GRAPH} <= names


def test_two_builds_give_byte_identical_exports(tmp_path, seeds_dir):
    from navograph.export import export_rdf
    from navograph.pipeline import build
    from navograph.store import Store

    outs = []
    for i in range(2):
        store = tmp_path / f"s{i}"
        build([seeds_dir], store, validate=False, use_default_model=False)
        with Store(store, read_only=True) as st:
            for fmt in ("turtle", "trig", "nquads"):
                export_rdf(st, fmt, tmp_path / f"out{i}.{fmt}")
        outs.append({fmt: (tmp_path / f"out{i}.{fmt}").read_bytes() for fmt in ("turtle", "trig", "nquads")})
    assert outs[0] == outs[1]
    assert all(outs[0].values())


def test_turtle_written_by_navograph_parses_isomorphic_with_pyoxigraph_and_rdflib(tmp_path, seeds_store):
    from navograph.export import export_rdf
    from navograph.store import Store

    path, _ = seeds_store
    with Store(path, read_only=True) as st:
        export_rdf(st, "turtle", tmp_path / "g.ttl")
    data = (tmp_path / "g.ttl").read_bytes()
    g_rdflib = rdflib.Graph().parse(data=data.decode(), format="turtle")
    triples = list(ox.parse(data, format=ox.RdfFormat.TURTLE))
    g_ox = rdflib.Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")
    assert len(g_rdflib) == len(triples) > 1000
    assert isomorphic(g_rdflib, g_ox)
