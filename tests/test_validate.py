"""SHACL shapes (ontology/shapes.ttl) and navograph.validate."""
from __future__ import annotations

import time

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from navograph import ontology_dir
from navograph.validate import ValidationReport, data_graph, load_shapes, validate

NG = rdflib.Namespace("https://w3id.org/navograph/ns#")
OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
SCHEMA = rdflib.Namespace("https://schema.org/")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")

ID = "https://w3id.org/navograph/id/"
LETTER = URIRef(ID + "letter/D")
MEETING = URIRef(ID + "meeting/fmm_2022-05-14--2022-05-15_berlin")
STANCE = URIRef(ID + "letter/D/stance/1")
EV = URIRef(ID + "letter/D/evidence/10-20")
SEL = URIRef(ID + "letter/D/evidence/10-20/selector")

# A small letter graph in the shape of docs/ARCHITECTURE.md ("Letter graph").
VALID_TRIG = """
@prefix ng: <https://w3id.org/navograph/ns#> .
@prefix ngid: <https://w3id.org/navograph/id/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix schema: <https://schema.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix l: <https://w3id.org/navograph/id/letter/D/> .
@prefix m: <https://w3id.org/navograph/id/meeting/> .
@prefix kst: <https://zoek.officielebekendmakingen.nl/> .

ngid:graph\\/D {
  ngid:letter\\/D a ng:Letter ; dcterms:identifier "D" ; dcterms:title "Verslag van de NAVO-bijeenkomst" ;
      ng:letterKind "report" ; dcterms:date "2022-02-26"^^xsd:date ;
      ng:signatory ngid:person\\/ollongren ; ng:primaryMeeting m:fmm_2022-05-14--2022-05-15_berlin ;
      ng:sourceFile "seeds/D.txt" ;
      ng:sha256 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" ;
      dcterms:references kst:kst-28676-404 .

  m:fmm_2022-05-14--2022-05-15_berlin a ng:Meeting ;
      dcterms:identifier "fmm_2022-05-14--2022-05-15_berlin" ; rdfs:label "informele NAVO-FMM in Berlijn" ;
      ng:meetingKind "fmm" ; schema:startDate "2022-05-14"^^xsd:date ; schema:endDate "2022-05-15"^^xsd:date ;
      ng:year "2022"^^xsd:gYear ; schema:location ngid:city\\/berlin ; ng:informal true .

  m:summit_2014_wales a ng:Meeting ; dcterms:identifier "summit_2014_wales" ; ng:meetingKind "summit" ;
      ng:year "2014"^^xsd:gYear ; schema:location ngid:city\\/wales .

  l:meeting-ref\\/1 a ng:MeetingReference ; ng:meeting m:fmm_2022-05-14--2022-05-15_berlin ;
      ng:inLetter ngid:letter\\/D ; ng:primary true ; ng:evidence l:evidence\\/10-20 .
  l:participation\\/1 a ng:Participation ; ng:meeting m:fmm_2022-05-14--2022-05-15_berlin ;
      ng:participant ngid:country\\/FI ; ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  l:mention\\/1 a ng:Mention ; ng:refersTo ngid:country\\/RU ; ng:surfaceForm "Russische" ;
      ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  l:stance\\/1 a ng:Stance ; ng:holder ngid:country\\/NL ; ng:target ngid:topic\\/china ;
      ng:polarity ng:support ; ng:modality ng:intended ; ng:negated false ; ng:cue "van mening" ;
      ng:meeting m:fmm_2022-05-14--2022-05-15_berlin ; dcterms:date "2022-05-14"^^xsd:date ;
      ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  l:stance\\/2 a ng:Stance ; ng:holder ngid:group\\/ALLIES ; ng:target ngid:initiative\\/DIANA ;
      ng:polarity ng:support ; ng:modality ng:reported ; ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  l:stance\\/3 a ng:Stance ; ng:holder ngid:role\\/nato-sg ; ng:target ngid:country\\/UA ;
      ng:polarity ng:concern ; ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  l:citation\\/1 a ng:Citation ; ng:cites kst:kst-28676-404 ;
      ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  kst:kst-28676-404 a ng:ParliamentaryDocument ; dcterms:identifier "kst-28676-404" ;
      ng:dossier "28676" ; ng:documentNumber "404" .
  kst:kst-28676-394 a ng:ParliamentaryDocument ; dcterms:identifier "kst-28676-394" ;
      ng:dossier "28676" ; ng:documentNumber "394" .
  l:motion\\/1 a ng:Motion ; ng:submitter ngid:person\\/van-haga ; ng:officialDocument kst:kst-28676-394 ;
      ng:inLetter ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
  l:evidence\\/10-20 a ng:Evidence ; oa:hasSource ngid:letter\\/D ; oa:hasSelector l:evidence\\/10-20\\/selector .
  l:evidence\\/10-20\\/selector a oa:TextPositionSelector, oa:TextQuoteSelector ;
      oa:start 10 ; oa:end 20 ; oa:exact "0123456789" .
  ngid:person\\/jetten a ng:Person ; dcterms:identifier "jetten" ; skos:prefLabel "Rob Jetten"@nl ;
      ng:discoveredIn ngid:letter\\/D ; ng:evidence l:evidence\\/10-20 .
}
"""

JETTEN = URIRef(ID + "person/jetten")
MENTION = URIRef(ID + "letter/D/mention/1")
SKOS_PREF = URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")

# Every broken graph these tests check: name -> (triples removed, triples added) from the valid
# graph. tests/test_shacl.py validates each with both engines and compares the results.
BROKEN = {
    "stance without holder": ([(STANCE, NG.holder, None)], []),
    "stance without target or polarity": ([(STANCE, NG.target, None), (STANCE, NG.polarity, None)], []),
    "stance without evidence": ([(STANCE, NG.evidence, None)], []),
    "stance with two holders": ([], [(STANCE, NG.holder, URIRef(ID + "group/ALLIES"))]),
    "stance holder a topic": ([(STANCE, NG.holder, None)], [(STANCE, NG.holder, URIRef(ID + "topic/china"))]),
    "stance target unknown": ([(STANCE, NG.target, None)], [(STANCE, NG.target, URIRef(ID + "topic/unicorns"))]),
    "polarity neutral": ([(STANCE, NG.polarity, None)], [(STANCE, NG.polarity, NG.neutral)]),
    "modality a polarity": ([(STANCE, NG.modality, None)], [(STANCE, NG.modality, NG.support)]),
    "meeting ends before it starts": ([(MEETING, SCHEMA.endDate, None)],
                                      [(MEETING, SCHEMA.endDate, Literal("2022-05-13", datatype=XSD.date))]),
    "letter kind memo": ([(LETTER, NG.letterKind, None)], [(LETTER, NG.letterKind, Literal("memo"))]),
    "meeting kind lunch": ([(MEETING, NG.meetingKind, None)], [(MEETING, NG.meetingKind, Literal("lunch"))]),
    "letter date a string": ([(LETTER, DCT.date, None)], [(LETTER, DCT.date, Literal("2022-02-26"))]),
    "meeting start a string": ([(MEETING, SCHEMA.startDate, None)],
                               [(MEETING, SCHEMA.startDate, Literal("14 mei 2022"))]),
    "year an integer": ([(MEETING, NG.year, None)], [(MEETING, NG.year, Literal(2022))]),
    "selector ends before it starts": ([(SEL, OA.end, None)], [(SEL, OA.end, Literal(5))]),
    "selector start a string": ([(SEL, OA.start, None)], [(SEL, OA.start, Literal("10"))]),
    "selector start negative": ([(SEL, OA.start, None)], [(SEL, OA.start, Literal(-1))]),
    "selector quote too short": ([(SEL, OA.exact, None)], [(SEL, OA.exact, Literal("too short"))]),
    "entity without identifier or label": ([(JETTEN, DCT.identifier, None), (JETTEN, SKOS_PREF, None)], []),
    "fact without letter": ([(MENTION, NG.inLetter, None)], []),
    "meeting both informal and not": ([], [(MEETING, NG.informal, Literal(False))]),
    "two stances without holder": ([(STANCE, NG.holder, None), (URIRef(ID + "letter/D/stance/2"), NG.holder, None)], []),
}


@pytest.fixture(scope="module")
def valid_ds() -> rdflib.Dataset:
    ds = rdflib.Dataset()
    ds.parse(data=VALID_TRIG, format="trig")
    return ds


def _graph(ds: rdflib.Dataset) -> rdflib.Graph:
    g = rdflib.Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def _broken(ds, remove=(), add=()) -> rdflib.Graph:
    g = _graph(ds)
    for t in remove:
        g.remove(t)
    for t in add:
        g.add(t)
    return g


def broken(ds: rdflib.Dataset, case: str) -> rdflib.Graph:
    """The valid graph broken as ``BROKEN[case]`` says."""
    return _broken(ds, *BROKEN[case])


def _assert_fails(report: ValidationReport, *needles: str, focus: URIRef | None = None) -> None:
    assert not report.conforms, report.text
    text = " | ".join(v.message for v in report.errors)
    for needle in needles:
        assert needle in text, f"{needle!r} not in: {text}"
    if focus is not None:
        assert any(needles[0] in v.message and v.focus.endswith(str(focus)[len(ID):]) for v in report.errors), report.text


# --------------------------------------------------------------------------- basics
def test_shapes_parse():
    g = load_shapes()
    shapes = set(g.subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape")))
    assert len(shapes) >= 20
    ontology = rdflib.Graph().parse(ontology_dir() / "navograph.ttl")
    for cls in ("Letter", "Meeting", "MeetingReference", "Participation", "Mention", "Stance", "Citation",
                "ParliamentaryDocument", "Motion", "Evidence", "Country", "Organisation", "Group", "Person",
                "Role", "Initiative", "Topic", "City"):
        assert (NG[cls], RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in ontology, cls
        targeted = set(g.subjects(URIRef("http://www.w3.org/ns/shacl#targetClass"), NG[cls]))
        assert targeted, f"no shape targets ng:{cls}"


def test_catalogue_alone_conforms():
    report = validate([])
    assert report.conforms, report.text
    assert report.triples > 4000


def test_valid_graph_conforms(valid_ds):
    report = validate(valid_ds)
    assert report.conforms, report.text
    assert report.violations == []
    assert "conforms" in report.text and "conforms" in report.text()


def test_input_kinds_agree(valid_ds, tmp_path):
    path = tmp_path / "letter.trig"
    path.write_text(VALID_TRIG, encoding="utf-8")
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
    assert validate(path).conforms
    assert validate(str(path)).conforms
    assert validate(quads).conforms
    assert validate(_graph(valid_ds)).conforms

    class FakeStore:  # navograph.store.Store duck type
        def quads(self, graph=None):
            return iter(quads)

    assert validate(FakeStore()).conforms
    store = ox.Store()
    store.extend(quads)
    assert validate(store).conforms
    # triples merged from every named graph into one
    g = data_graph(quads, include_catalogue=False)
    assert len(g) == len(quads)


# --------------------------------------------------------------------------- broken graphs
def test_stance_without_holder(valid_ds):
    g = broken(valid_ds, "stance without holder")
    _assert_fails(validate(g), "ng:holder", focus=STANCE)


def test_stance_without_target_or_polarity(valid_ds):
    g = broken(valid_ds, "stance without target or polarity")
    _assert_fails(validate(g), "ng:target", "ng:polarity", focus=STANCE)


def test_stance_without_evidence(valid_ds):
    g = broken(valid_ds, "stance without evidence")
    _assert_fails(validate(g), "ng:evidence", focus=STANCE)


def test_stance_with_two_holders(valid_ds):
    g = broken(valid_ds, "stance with two holders")
    _assert_fails(validate(g), "exactly one ng:holder", focus=STANCE)


def test_stance_holder_must_be_an_actor(valid_ds):
    g = broken(valid_ds, "stance holder a topic")
    _assert_fails(validate(g), "ng:holder", focus=STANCE)


def test_stance_target_must_be_known(valid_ds):
    g = broken(valid_ds, "stance target unknown")
    _assert_fails(validate(g), "ng:target", focus=STANCE)


def test_polarity_not_one_of_three(valid_ds):
    g = broken(valid_ds, "polarity neutral")
    report = validate(g)
    _assert_fails(report, "ng:polarity", focus=STANCE)
    assert any(v.value == "ng:neutral" for v in report.errors)


def test_modality_not_in_list(valid_ds):
    g = broken(valid_ds, "modality a polarity")
    _assert_fails(validate(g), "ng:modality", focus=STANCE)


def test_meeting_end_before_start(valid_ds):
    g = broken(valid_ds, "meeting ends before it starts")
    report = validate(g)
    _assert_fails(report, "endDate", focus=MEETING)
    assert "before its schema:startDate" in report.text


def test_letter_kind_memo(valid_ds):
    g = broken(valid_ds, "letter kind memo")
    report = validate(g)
    _assert_fails(report, "ng:letterKind", focus=LETTER)
    assert any(v.value == '"memo"' for v in report.errors)


def test_meeting_kind_unknown(valid_ds):
    g = broken(valid_ds, "meeting kind lunch")
    _assert_fails(validate(g), "ng:meetingKind", focus=MEETING)


def test_string_where_date_required(valid_ds):
    g = broken(valid_ds, "letter date a string")
    _assert_fails(validate(g), "xsd:date", focus=LETTER)
    g = broken(valid_ds, "meeting start a string")
    _assert_fails(validate(g), "schema:startDate", focus=MEETING)


def test_year_must_be_gyear(valid_ds):
    g = broken(valid_ds, "year an integer")
    _assert_fails(validate(g), "ng:year", focus=MEETING)


def test_selector_end_before_start(valid_ds):
    g = broken(valid_ds, "selector ends before it starts")
    report = validate(g)
    _assert_fails(report, "oa:end", focus=SEL)
    assert "greater than its oa:start" in report.text


def test_selector_offsets_need_nonnegative_integer(valid_ds):
    g = broken(valid_ds, "selector start a string")
    _assert_fails(validate(g), "oa:start", focus=SEL)
    g = broken(valid_ds, "selector start negative")
    _assert_fails(validate(g), "oa:start", focus=SEL)


def test_oxigraph_store_keeps_offsets_valid():
    """Oxigraph canonicalises derived integer types (xsd:nonNegativeInteger -> xsd:integer):
    the shapes therefore ask for xsd:integer, which survives a round trip through the store."""
    store = ox.Store()
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode(str(OA.start))
    store.add(ox.Quad(s, p, ox.Literal("10", datatype=ox.NamedNode(str(XSD.nonNegativeInteger)))))
    (q,) = list(store)
    assert q.object.datatype.value == str(XSD.integer)


def test_selector_exact_length_matches_span(valid_ds):
    g = broken(valid_ds, "selector quote too short")
    _assert_fails(validate(g), "oa:exact", focus=SEL)


def test_entity_without_identifier_or_label(valid_ds):
    g = broken(valid_ds, "entity without identifier or label")
    _assert_fails(validate(g), "dcterms:identifier", "skos:prefLabel", focus=JETTEN)


def test_fact_without_letter(valid_ds):
    g = broken(valid_ds, "fact without letter")
    _assert_fails(validate(g), "ng:inLetter", focus=MENTION)


def test_conflicting_informal_is_a_warning_only(valid_ds):
    g = broken(valid_ds, "meeting both informal and not")
    report = validate(g)
    assert report.conforms
    assert [v.severity for v in report.violations] == ["Warning"]
    assert "informal" in report.violations[0].message


def test_report_text_groups_results(valid_ds):
    g = broken(valid_ds, "two stances without holder")
    report = validate(g)
    text = report.text()
    holder_lines = [line for line in text.splitlines() if "ng:holder" in line]
    assert len(holder_lines) == 1 and "(2x)" in holder_lines[0], text
    assert "ngsh:StanceShape" in text
    assert "letter/D/stance/1" in text and "letter/D/stance/2" in text
    assert len(text.splitlines()) < 10
    assert {v.shape for v in report.errors} == {"ngsh:StanceShape"}


# --------------------------------------------------------------------------- speed
def _synthetic_letter(doc: str, facts: int) -> list[ox.Quad]:
    NN = ox.NamedNode
    g = NN(ID + "graph/" + doc)
    letter = NN(ID + "letter/" + doc)
    ng = lambda t: NN(str(NG) + t)  # noqa: E731
    oa = lambda t: NN(str(OA) + t)  # noqa: E731
    typ = NN(str(RDF.type))
    q = [
        ox.Quad(letter, typ, ng("Letter"), g),
        ox.Quad(letter, NN(str(DCT.identifier)), ox.Literal(doc), g),
        ox.Quad(letter, ng("letterKind"), ox.Literal("report"), g),
        ox.Quad(letter, ng("sourceFile"), ox.Literal(doc + ".txt"), g),
        ox.Quad(letter, ng("sha256"), ox.Literal("0" * 64), g),
    ]
    nni = NN(str(XSD.integer))
    for i in range(facts):
        ev = NN(f"{ID}letter/{doc}/evidence/{i * 10}-{i * 10 + 3}")
        sel = NN(ev.value + "/selector")
        st = NN(f"{ID}letter/{doc}/stance/{i}")
        q += [
            ox.Quad(ev, typ, ng("Evidence"), g), ox.Quad(ev, oa("hasSource"), letter, g),
            ox.Quad(ev, oa("hasSelector"), sel, g),
            ox.Quad(sel, typ, oa("TextPositionSelector"), g), ox.Quad(sel, typ, oa("TextQuoteSelector"), g),
            ox.Quad(sel, oa("start"), ox.Literal(str(i * 10), datatype=nni), g),
            ox.Quad(sel, oa("end"), ox.Literal(str(i * 10 + 3), datatype=nni), g),
            ox.Quad(sel, oa("exact"), ox.Literal("abc"), g),
            ox.Quad(st, typ, ng("Stance"), g), ox.Quad(st, ng("holder"), NN(ID + "country/NL"), g),
            ox.Quad(st, ng("target"), NN(ID + "topic/china"), g), ox.Quad(st, ng("polarity"), ng("support"), g),
            ox.Quad(st, ng("inLetter"), letter, g), ox.Quad(st, ng("evidence"), ev, g),
        ]
    return q


def test_validation_speed():
    quads = [q for d in range(20) for q in _synthetic_letter(f"doc{d}", 40)]
    assert len(quads) > 10000
    validate([])  # warm caches (shapes, catalogue)
    t0 = time.perf_counter()
    report = validate(quads)
    elapsed = time.perf_counter() - t0
    assert report.conforms, report.text
    # ~11k letter triples + ~5k catalogue: a few seconds at most (it was minutes before
    # SPARQL constraint queries were cached).
    assert elapsed < 20, f"validation took {elapsed:.1f} s"


# --------------------------------------------------------------------------- ontology
def _ng_terms(text: str) -> set[str]:
    import re

    return set(re.findall(r"\bng:([A-Za-z][A-Za-z0-9]*)", text))


def test_ontology_defines_every_ng_term_used():
    from navograph import project_dir

    onto = rdflib.Graph().parse(ontology_dir() / "navograph.ttl")
    defined = {str(s)[len(str(NG)):] for s in onto.subjects() if str(s).startswith(str(NG))}
    used = set()
    for name in ("catalogue.ttl", "topics.ttl", "shapes.ttl"):
        used |= _ng_terms((ontology_dir() / name).read_text(encoding="utf-8"))
    used |= _ng_terms((project_dir() / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    used.discard("Term")  # the placeholder in "ns#Term"
    missing = used - defined
    assert not missing, f"ng: terms used but not defined in navograph.ttl: {sorted(missing)}"


def test_ontology_terms_are_documented():
    onto = rdflib.Graph().parse(ontology_dir() / "navograph.ttl")
    OWL = rdflib.Namespace("http://www.w3.org/2002/07/owl#")
    RDFS = rdflib.RDFS
    for s in set(onto.subjects(RDF.type, None)):
        if not isinstance(s, URIRef) or not str(s).startswith(str(NG)):
            continue
        name = str(s)[len(str(NG)):]
        assert onto.value(s, RDFS.label) is not None, f"ng:{name} has no rdfs:label"
        assert onto.value(s, RDFS.comment) is not None, f"ng:{name} has no rdfs:comment"
        types = set(onto.objects(s, RDF.type))
        if types & {OWL.ObjectProperty, OWL.DatatypeProperty}:
            assert onto.value(s, RDFS.range) is not None or onto.value(s, RDFS.domain) is not None, name
    # a few alignments the contract asks for
    assert (NG.Letter, RDFS.subClassOf, URIRef("https://schema.org/DigitalDocument")) in onto
    assert (NG.Meeting, RDFS.subClassOf, URIRef("http://semanticweb.cs.vu.nl/2009/11/sem/Event")) in onto
    assert (NG.evidence, RDFS.subPropertyOf, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")) in onto
    assert (NG.Evidence, RDFS.subClassOf, OA.SpecificResource) in onto
    assert set(onto.subjects(RDF.type, NG.Polarity)) == {NG.support, NG.oppose, NG.concern}
    assert set(onto.subjects(RDF.type, NG.Modality)) == {NG.intended, NG.reported, NG.conditional, NG.stated}
