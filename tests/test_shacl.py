"""The native SHACL engine (navograph.shacl) against pySHACL, the reference engine.

* unit tests: one small shapes graph per construct, with the expected results worked out
  from the SHACL specification; both engines must give exactly those;
* differential tests: every broken graph of tests/test_validate.py, the seeds graph (in a
  store and as quads), a stale ontology, and hypothesis-generated mutations of a seed letter:
  the multiset of (focus, path, component, severity, shape, value, message) must be equal;
* the fallback: constructs the native engine does not implement go to pySHACL.
"""
from __future__ import annotations

import logging
import shutil
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from rdflib import Literal
from rdflib.namespace import XSD as RXSD

from navograph import ontology_dir, shacl
from navograph.store import Store
from navograph.validate import ValidationReport, load_shapes, native_data, validate
from test_validate import BROKEN, OA, SEL, broken, valid_ds  # noqa: F401 (valid_ds is a fixture)

EX = "http://example.org/"
HEADER = """@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def ex(local: str) -> str:
    return f"<{EX}{local}>"


def agree(data, **kwargs) -> ValidationReport:
    """Validate with both engines; they must report the same results."""
    native = validate(data, engine="native", **kwargs)
    reference = validate(data, engine="pyshacl", **kwargs)
    assert (native.engine, reference.engine) == ("native", "pyshacl")
    only_native = Counter(native.violations) - Counter(reference.violations)
    only_reference = Counter(reference.violations) - Counter(native.violations)
    assert not only_native and not only_reference, (only_native, only_reference)
    assert native.triples == reference.triples
    assert native.conforms == reference.conforms
    return native


def results(tmp_path: Path, shapes: str, data: str) -> set[tuple[str, str | None, str | None]]:
    """(focus, component, value) of both engines, which must agree; blank nodes read ``_:``."""
    path = tmp_path / "shapes.ttl"
    path.write_text(HEADER + shapes, encoding="utf-8")
    quads = list(ox.parse(HEADER + data, format=ox.RdfFormat.TURTLE))
    report = agree(quads, shapes=path, include_catalogue=False)

    def show(term: str | None) -> str | None:
        return "_:" if term is not None and term.startswith("_:") else term
    return {(show(v.focus), v.component, show(v.value)) for v in report.violations}


# --------------------------------------------------------------------------- constraint components
CASES = {
    # sh:class: a value must be an instance of the class or of a subclass (rdfs:subClassOf* in the
    # data); a literal never is.
    "class": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:class ex:Animal ] .",
        "ex:Dog rdfs:subClassOf ex:Animal . ex:rex a ex:Dog . ex:rock a ex:Stone . "
        'ex:a ex:p ex:rex, ex:rock, "lit" .',
        {(ex("a"), "ClassConstraintComponent", ex("rock")), (ex("a"), "ClassConstraintComponent", '"lit"')},
    ),
    # sh:datatype: same datatype IRI and, for XSD types, a valid lexical form.
    "datatype integer": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:n ; sh:datatype xsd:integer ] .",
        'ex:a ex:n 1, "abc"^^xsd:integer, "2", 1.5, "3"@en .',
        {(ex("a"), "DatatypeConstraintComponent", v)
         for v in ('"abc"^^xsd:integer', '"2"', '"1.5"^^xsd:decimal', '"3"@en')},
    ),
    "datatype date": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:d ; sh:datatype xsd:date ] .",
        'ex:a ex:d "2022-05-14"^^xsd:date, "2022-13-40"^^xsd:date, "2022-05-15" .',
        {(ex("a"), "DatatypeConstraintComponent", '"2022-13-40"^^xsd:date'),
         (ex("a"), "DatatypeConstraintComponent", '"2022-05-15"')},
    ),
    "datatype string": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:s ; sh:datatype xsd:string ] .",
        'ex:a ex:s "x", "y"@en, 7, ex:i .',
        {(ex("a"), "DatatypeConstraintComponent", v) for v in ('"y"@en', '"7"^^xsd:integer', ex("i"))},
    ),
    "nodeKind": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:nodeKind sh:IRI ] .",
        'ex:a ex:p ex:i, [ ex:q 1 ], "lit" .',
        {(ex("a"), "NodeKindConstraintComponent", "_:"), (ex("a"), "NodeKindConstraintComponent", '"lit"')},
    ),
    # sh:minCount / sh:maxCount count the value nodes; the result has no sh:value.
    "counts": (
        "ex:S sh:targetNode ex:a, ex:b, ex:c ; sh:property [ sh:path ex:p ; sh:minCount 2 ; sh:maxCount 2 ] .",
        "ex:a ex:p 1 . ex:b ex:p 1, 2, 3 . ex:c ex:p 1, 2 .",
        {(ex("a"), "MinCountConstraintComponent", None), (ex("b"), "MaxCountConstraintComponent", None)},
    ),
    # sh:minLength / sh:maxLength on STR(v); blank nodes always fail.
    "lengths": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:s ; sh:minLength 2 ; sh:maxLength 3 ] .",
        'ex:a ex:s "a", "ab", "abcd", 12, [ ex:q 1 ] .',
        {(ex("a"), "MinLengthConstraintComponent", '"a"'), (ex("a"), "MaxLengthConstraintComponent", '"abcd"'),
         (ex("a"), "MinLengthConstraintComponent", "_:"), (ex("a"), "MaxLengthConstraintComponent", "_:")},
    ),
    # sh:pattern with sh:flags "i": a regex search on STR(v); blank nodes fail.
    "pattern": (
        'ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:s ; sh:pattern "^ab" ; sh:flags "i" ] .',
        'ex:a ex:s "ABc", "xab", "abz", ex:ab .',
        {(ex("a"), "PatternConstraintComponent", '"xab"'), (ex("a"), "PatternConstraintComponent", ex("ab"))},
    ),
    # sh:in: RDF term equality with a list member ("1" is not 1, "y"@en is not "y").
    "in": (
        'ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:in ( ex:x "y" 1 ) ; sh:message "m" ] .',
        'ex:a ex:p ex:x, "y", 1, "1", ex:z, "y"@en .',
        {(ex("a"), "InConstraintComponent", v) for v in ('"1"', ex("z"), '"y"@en')},
    ),
    "hasValue": (
        "ex:S sh:targetNode ex:a, ex:b ; sh:property [ sh:path ex:p ; sh:hasValue ex:x ] . "
        "ex:N sh:targetNode ex:x, ex:y ; sh:hasValue ex:x .",
        "ex:a ex:p ex:x, ex:y . ex:b ex:p ex:y .",
        {(ex("b"), "HasValueConstraintComponent", None), (ex("y"), "HasValueConstraintComponent", None)},
    ),
    # sh:uniqueLang: one result per focus node that uses a language tag twice.
    "uniqueLang": (
        "ex:S sh:targetNode ex:a, ex:b ; sh:property [ sh:path ex:l ; sh:uniqueLang true ] .",
        'ex:a ex:l "a"@en, "b"@en, "c"@nl, "d" . ex:b ex:l "a"@en, "b"@nl .',
        {(ex("a"), "UniqueLangConstraintComponent", None)},
    ),
    # sh:languageIn: a language tag that langMatches a listed range; no tag fails.
    "languageIn": (
        'ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:l ; sh:languageIn ( "en" "nl" ) ] .',
        'ex:a ex:l "a"@en, "b"@en-GB, "c"@de, "d", ex:i .',
        {(ex("a"), "LanguageInConstraintComponent", v) for v in ('"c"@de', '"d"', ex("i"))},
    ),
    # value ranges compare as SPARQL would; a string is not comparable with a number.
    "ranges": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:n ; sh:minInclusive 0 ; sh:maxExclusive 10 ] . "
        "ex:T sh:targetNode ex:b ; sh:property [ sh:path ex:n ; sh:minExclusive 0 ; sh:maxInclusive 10 ] .",
        'ex:a ex:n -1, 0, 5, 9.5, 10, "5" . ex:b ex:n 0, 10, 11 .',
        {(ex("a"), "MinInclusiveConstraintComponent", '"-1"^^xsd:integer'),
         (ex("a"), "MaxExclusiveConstraintComponent", '"10"^^xsd:integer'),
         (ex("a"), "MinInclusiveConstraintComponent", '"5"'), (ex("a"), "MaxExclusiveConstraintComponent", '"5"'),
         (ex("b"), "MinExclusiveConstraintComponent", '"0"^^xsd:integer'),
         (ex("b"), "MaxInclusiveConstraintComponent", '"11"^^xsd:integer')},
    ),
    "date range": (
        'ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:d ; sh:minInclusive "2022-01-01"^^xsd:date ] .',
        'ex:a ex:d "2021-12-31"^^xsd:date, "2022-01-01"^^xsd:date .',
        {(ex("a"), "MinInclusiveConstraintComponent", '"2021-12-31"^^xsd:date')},
    ),
    # logical components report the value node (the focus node, on a node shape).
    "or": (
        "ex:S sh:targetClass ex:T ; sh:or ( [ sh:path ex:a ; sh:minCount 1 ] [ sh:path ex:b ; sh:minCount 1 ] ) .",
        "ex:t1 a ex:T ; ex:a 1 . ex:t2 a ex:T ; ex:b 1 . ex:t3 a ex:T .",
        {(ex("t3"), "OrConstraintComponent", ex("t3"))},
    ),
    "and": (
        "ex:S sh:targetClass ex:T ; sh:and ( [ sh:path ex:a ; sh:minCount 1 ] [ sh:path ex:b ; sh:minCount 1 ] ) .",
        "ex:t1 a ex:T ; ex:a 1 . ex:t2 a ex:T ; ex:b 1 . ex:t4 a ex:T ; ex:a 1 ; ex:b 1 .",
        {(ex("t1"), "AndConstraintComponent", ex("t1")), (ex("t2"), "AndConstraintComponent", ex("t2"))},
    ),
    "not": (
        "ex:S sh:targetClass ex:T ; sh:not [ sh:path ex:a ; sh:minCount 1 ] .",
        "ex:t1 a ex:T ; ex:a 1 . ex:t2 a ex:T ; ex:b 1 .",
        {(ex("t1"), "NotConstraintComponent", ex("t1"))},
    ),
    "xone": (
        "ex:S sh:targetClass ex:T ; sh:xone ( [ sh:path ex:a ; sh:minCount 1 ] [ sh:path ex:b ; sh:minCount 1 ] ) .",
        "ex:t1 a ex:T ; ex:a 1 . ex:t3 a ex:T . ex:t4 a ex:T ; ex:a 1 ; ex:b 1 .",
        {(ex("t3"), "XoneConstraintComponent", ex("t3")), (ex("t4"), "XoneConstraintComponent", ex("t4"))},
    ),
    "or on values": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:v ; "
        "sh:or ( [ sh:datatype xsd:integer ] [ sh:datatype xsd:string ] ) ] .",
        'ex:a ex:v 1, "x", 1.5 .',
        {(ex("a"), "OrConstraintComponent", '"1.5"^^xsd:decimal')},
    ),
    "node": (
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:owner ; sh:node ex:Person ] . "
        "ex:Person a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .",
        'ex:a ex:owner ex:ann, ex:bob . ex:ann ex:name "Ann" .',
        # pySHACL attaches the nested result as sh:detail, and navograph reads it as a result too
        {(ex("a"), "NodeConstraintComponent", ex("bob")), (ex("bob"), "MinCountConstraintComponent", None)},
    ),
    # sh:deactivated switches a shape off entirely.
    "deactivated": (
        "ex:S sh:targetNode ex:a ; sh:deactivated true ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        "ex:a ex:q 1 .",
        set(),
    ),
    # targets: a sh:targetNode need not occur in the data; instances of subclasses are targeted.
    "targetNode": (
        "ex:S sh:targetNode ex:n1, ex:missing ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .",
        "ex:n1 ex:q 1 . ex:n2 ex:q 1 .",
        {(ex("n1"), "MinCountConstraintComponent", None), (ex("missing"), "MinCountConstraintComponent", None)},
    ),
    "targetClass with subclasses": (
        "ex:S sh:targetClass ex:Animal ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .",
        'ex:Dog rdfs:subClassOf ex:Animal . ex:Puppy rdfs:subClassOf ex:Dog . ex:rex a ex:Puppy . '
        'ex:tom a ex:Animal ; ex:name "Tom" . ex:kit a ex:Cat .',
        {(ex("rex"), "MinCountConstraintComponent", None)},
    ),
    "implicit class target": (
        "ex:Person a rdfs:Class, sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .",
        'ex:ann a ex:Person ; ex:name "Ann" . ex:bob a ex:Person . ex:cat a ex:Cat .',
        {(ex("bob"), "MinCountConstraintComponent", None)},
    ),
    "targetSubjectsOf and targetObjectsOf": (
        "ex:S sh:targetSubjectsOf ex:knows ; sh:property [ sh:path ex:name ; sh:minCount 1 ] . "
        "ex:O sh:targetObjectsOf ex:knows ; sh:nodeKind sh:IRI .",
        'ex:ann ex:knows ex:bob, "Carl" ; ex:name "Ann" . ex:dan ex:knows ex:ann .',
        {(ex("dan"), "MinCountConstraintComponent", None), ('"Carl"', "NodeKindConstraintComponent", '"Carl"')},
    ),
    "inversePath": (
        "ex:S sh:targetClass ex:Parent ; sh:property [ sh:path [ sh:inversePath ex:parent ] ; sh:minCount 1 ] .",
        "ex:p1 a ex:Parent . ex:p2 a ex:Parent . ex:kid ex:parent ex:p1 .",
        {(ex("p2"), "MinCountConstraintComponent", None)},
    ),
    # SHACL-AF: the nodes a sh:SPARQLTarget selects are the focus nodes.
    "SPARQL target": (
        "ex:S sh:target [ a sh:SPARQLTarget ; sh:select \"SELECT ?this WHERE { ?this <http://example.org/n> ?n "
        "FILTER(?n > 5) }\" ] ; sh:property [ sh:path ex:n ; sh:maxInclusive 6 ] .",
        "ex:t0 ex:n 3 . ex:t1 ex:n 7 . ex:t2 ex:n 6 .",
        {(ex("t1"), "MaxInclusiveConstraintComponent", '"7"^^xsd:integer')},
    ),
    # SHACL-SPARQL: one result per solution; on a node shape sh:value is the focus node.
    "SPARQL constraint": (
        "ex:S sh:targetClass ex:T ; sh:sparql [ sh:select \"SELECT $this ?n WHERE { $this <http://example.org/n> "
        "?n FILTER(?n > 5) }\" ] .",
        "ex:t1 a ex:T ; ex:n 7, 9, 1 . ex:t2 a ex:T ; ex:n 2 . ex:u ex:n 8 .",
        {(ex("t1"), "SPARQLConstraintComponent", ex("t1"))},
    ),
    # $this only in an OPTIONAL: not an always-bound variable, so the query runs per focus node.
    "SPARQL constraint pre-bound": (
        "ex:S sh:targetClass ex:T ; sh:sparql [ sh:select \"SELECT $this WHERE { OPTIONAL { $this "
        "<http://example.org/n> ?n } FILTER(!BOUND(?n)) }\" ] .",
        "ex:t1 a ex:T ; ex:n 7 . ex:t2 a ex:T .",
        {(ex("t2"), "SPARQLConstraintComponent", ex("t2"))},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_component_follows_the_spec(tmp_path, case):
    shapes, data, expected = CASES[case]
    assert results(tmp_path, shapes, data) == expected


def _report(tmp_path: Path, shapes: str, data: str, engine: str = "native") -> ValidationReport:
    path = tmp_path / "shapes.ttl"
    path.write_text(HEADER + shapes, encoding="utf-8")
    return validate(list(ox.parse(HEADER + data, format=ox.RdfFormat.TURTLE)), shapes=path,
                    include_catalogue=False, engine=engine)


def test_severity_and_messages(tmp_path):
    shapes = ('ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:severity sh:Warning ; '
              'sh:message "p is missing"@en ] ; sh:sparql [ sh:message "{$this} has n = {?n}" ; '
              'sh:select "SELECT $this ?n WHERE { $this <http://example.org/n> ?n }" ] .')
    report = _report(tmp_path, shapes, "ex:a ex:n 3 .")
    assert not report.conforms  # the SPARQL result is a Violation, the missing p a Warning
    got = {(v.severity, v.message, v.path) for v in report.violations}
    assert got == {("Warning", "p is missing", "<http://example.org/p>"),
                   ("Violation", "http://example.org/a has n = 3", None)}
    assert [v.severity for v in _report(tmp_path, shapes, "ex:a ex:p 1 .").violations] == []


def test_generic_messages_are_pyshacls(tmp_path):
    """Without sh:message pySHACL writes its own message; the native engine writes the same."""
    shapes = ("ex:S sh:targetClass ex:T ; sh:property [ sh:path ex:p ; sh:minCount 1 ] , "
              "[ sh:path ex:q ; sh:class ex:C ; sh:maxLength 2 ; sh:datatype xsd:string ] ; "
              "sh:or ( [ sh:path ex:r ; sh:minCount 1 ] ) .")
    path = tmp_path / "shapes.ttl"
    path.write_text(HEADER + shapes, encoding="utf-8")
    quads = list(ox.parse(HEADER + 'ex:a a ex:T ; ex:q "abc", 5 . [] a ex:T ; ex:k 1 ; ex:r 1 ; ex:q "x"@nl .',
                          format=ox.RdfFormat.TURTLE))
    report = agree(quads, shapes=path, include_catalogue=False)
    messages = {v.message for v in report.violations}
    assert "Less than 1 values on <http://example.org/a>->ex:p" in messages
    assert "Value does not have class ex:C" in messages
    # pySHACL shows "lexical" = value only when the two differ
    assert 'String length not <= Literal("2", datatype=xsd:integer)' in messages
    assert "Node <http://example.org/a> must conform to one or more shapes in " \
           '[ sh:minCount Literal("1", datatype=xsd:integer) ; sh:path ex:r ]' in messages
    # a blank focus node is written out with its triples
    assert "Less than 1 values on [ <http://example.org/k> Literal(\"1\", datatype=xsd:integer) ; " \
           "<http://example.org/q> Literal(\"x\", lang=nl) ; <http://example.org/r> " \
           "Literal(\"1\", datatype=xsd:integer) ; rdf:type <http://example.org/T> ]->ex:p" in messages


# --------------------------------------------------------------------------- differential
@pytest.mark.parametrize("case", BROKEN)
def test_broken_graphs_agree(valid_ds, case):
    report = agree(broken(valid_ds, case))
    assert report.violations, case


def test_valid_graph_agrees(valid_ds):
    assert agree(valid_ds).conforms


def test_seeds_store_agrees_read_in_place(seeds_store):
    path, _ = seeds_store
    with Store(path, read_only=True) as st:
        assert native_data(st).main is st.ox  # the store is read in place, not copied
        report = agree(st)
        assert report.conforms, report.text
        assert report.triples == st.distinct_triples() + len(native_data(st).extra or ())
        assert agree(list(st.quads())).violations == report.violations


def test_stale_ontology_agrees(seeds_store, tmp_path):
    """Ontology files that differ from the store's catalogue graph: the native engine adds the
    triples the store lacks, as pySHACL's merge does."""
    path, _ = seeds_store
    onto = tmp_path / "ontology"
    shutil.copytree(ontology_dir(), onto)
    with (onto / "catalogue.ttl").open("a", encoding="utf-8") as fh:
        fh.write('\n<https://w3id.org/navograph/id/country/xx> a <https://w3id.org/navograph/ns#Country> ;\n'
                 '    <http://purl.org/dc/terms/identifier> "xx" .\n')
    with Store(path, read_only=True) as st:
        report = agree(st, ontology_dir=onto)
    assert {v.focus for v in report.errors} == {"ngid:country/xx"}
    assert {v.component for v in report.errors} == {"PatternConstraintComponent", "MinCountConstraintComponent"}


@pytest.fixture(scope="module")
def seed_letter(seeds_store) -> list[ox.Triple]:
    """The triples of the smallest seed letter graph."""
    path, _ = seeds_store
    with Store(path, read_only=True) as st:
        graphs = [g for g in st.graphs() if g.kind == "letter"]
        smallest = min(graphs, key=lambda g: g.triples)
        return [q.triple for q in st.quads(smallest.graph)]


XSDNS = "http://www.w3.org/2001/XMLSchema#"
NGNS = "https://w3id.org/navograph/ns#"
ODD_VALUES = [
    ox.Literal("abc", datatype=ox.NamedNode(XSDNS + "integer")), ox.Literal("2022-13-40", datatype=ox.NamedNode(XSDNS + "date")),
    ox.Literal("maybe", datatype=ox.NamedNode(XSDNS + "boolean")), ox.Literal("20x2", datatype=ox.NamedNode(XSDNS + "gYear")),
    ox.Literal("2021-01-01", datatype=ox.NamedNode(XSDNS + "date")), ox.Literal("2022", datatype=ox.NamedNode(XSDNS + "gYear")),
    ox.Literal("1.5", datatype=ox.NamedNode(XSDNS + "decimal")), ox.Literal("true", datatype=ox.NamedNode(XSDNS + "boolean")),
    ox.Literal("7", datatype=ox.NamedNode(XSDNS + "integer")), ox.Literal("-3", datatype=ox.NamedNode(XSDNS + "integer")),
    ox.Literal("x", language="nl"), ox.Literal("2022-05-14"), ox.Literal(""), ox.Literal("report"),
    ox.NamedNode(NGNS + "neutral"), ox.NamedNode(NGNS + "support"), ox.NamedNode("https://w3id.org/navograph/id/topic/china"),
    ox.NamedNode("https://w3id.org/navograph/id/country/XX"), ox.NamedNode("http://www.wikidata.org/entity/Q1"),
    ox.NamedNode("https://zoek.officielebekendmakingen.nl/kst-1-2"), ox.BlankNode("odd"),
]
CLASSES = [ox.NamedNode(NGNS + c) for c in ("Stance", "Mention", "Evidence", "Letter", "Meeting", "Country",
                                            "Topic", "City", "ParliamentaryDocument", "Unknown")] + \
    [ox.NamedNode("http://www.w3.org/ns/oa#TextQuoteSelector")]
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
INDEX = st.integers(min_value=0, max_value=10_000)
MUTATION = st.one_of(
    st.tuples(st.just("drop"), INDEX),  # a missing triple
    st.tuples(st.just("extra value"), INDEX, INDEX),  # (s, p) gets the object of another triple too
    st.tuples(st.just("odd value"), INDEX, st.sampled_from(ODD_VALUES)),  # wrong datatypes, ill-typed, ...
    st.tuples(st.just("retype"), INDEX, st.sampled_from(CLASSES)),  # rdf:type replaced (unknown classes too)
    st.tuples(st.just("blank node"), INDEX),  # a subject IRI becomes a blank node everywhere
    st.tuples(st.just("number"), INDEX, st.integers(min_value=-5, max_value=400)),  # offsets (end < start, ...)
    st.tuples(st.just("date"), INDEX, st.dates()),  # meeting dates (end before start, ...)
)


def _mutate(triples: list[ox.Triple], mutation: tuple) -> list[ox.Triple]:
    kind, i = mutation[0], mutation[1] % len(triples)
    t = triples[i]
    if kind == "drop":
        return triples[:i] + triples[i + 1:]
    if kind == "extra value":
        return triples + [ox.Triple(t.subject, t.predicate, triples[mutation[2] % len(triples)].object)]
    if kind == "odd value":
        return triples[:i] + [ox.Triple(t.subject, t.predicate, mutation[2])] + triples[i + 1:]
    if kind == "retype":
        typed = [j for j, u in enumerate(triples) if u.predicate == RDF_TYPE]
        j = typed[i % len(typed)]
        return triples[:j] + [ox.Triple(triples[j].subject, RDF_TYPE, mutation[2])] + triples[j + 1:]
    if kind == "blank node":
        node, blank = t.subject, ox.BlankNode(f"mutated{i}")
        return [ox.Triple(blank if u.subject == node else u.subject, u.predicate, blank if u.object == node else u.object)
                for u in triples]
    literal_type = XSDNS + ("integer" if kind == "number" else "date")
    chosen = [j for j, u in enumerate(triples) if isinstance(u.object, ox.Literal) and u.object.datatype.value == literal_type]
    if not chosen:
        return triples
    j = chosen[i % len(chosen)]
    value = str(mutation[2]) if kind == "number" else mutation[2].isoformat()
    new = ox.Literal(value, datatype=ox.NamedNode(literal_type))
    return triples[:j] + [ox.Triple(triples[j].subject, triples[j].predicate, new)] + triples[j + 1:]


@settings(derandomize=True, max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_letters_agree(seed_letter, mutations):
    triples = seed_letter
    for m in mutations:
        triples = _mutate(triples, m)
    try:
        reference = validate(triples, engine="pyshacl")
    except TypeError:  # rdflib's SPARQL engine fails on some ill-typed literals: no oracle
        reject()
    native = validate(triples, engine="native")
    assert Counter(native.violations) == Counter(reference.violations)
    assert native.triples == reference.triples


def test_pyshacl_fails_where_the_native_engine_reports(valid_ds, caplog):
    """An ill-typed oa:start makes rdflib's SPARQL arithmetic raise inside pySHACL; the native
    engine reports the ill-typed value (as pySHACL's own sh:datatype check does) and warns."""
    g = broken(valid_ds, "selector start negative")
    g.remove((SEL, OA.start, None))
    g.add((SEL, OA.start, Literal("abc", datatype=RXSD.integer)))
    with pytest.raises(TypeError):
        validate(g, engine="pyshacl")
    with caplog.at_level(logging.WARNING, logger="navograph.shacl"):
        report = validate(g)
    assert report.engine == "native"
    # not an integer, and not comparable with 0 either
    assert {(v.component, v.value) for v in report.errors if v.path == "oa:start"} == \
        {("DatatypeConstraintComponent", '"abc"^^xsd:integer'), ("MinInclusiveConstraintComponent", '"abc"^^xsd:integer')}
    assert "pySHACL would stop here" in caplog.text


# --------------------------------------------------------------------------- engines and fallback
def test_unsupported_shapes_fall_back_to_pyshacl(tmp_path, caplog):
    shapes = "ex:S sh:targetNode ex:a ; sh:closed true ; sh:property [ sh:path ex:p ] ."
    data = "ex:a ex:p 1 ; ex:q 2 ."
    with pytest.raises(shacl.UnsupportedShapes, match="sh:closed"):
        _report(tmp_path, shapes, data, engine="native")
    with caplog.at_level(logging.INFO, logger="navograph.validate"):
        report = _report(tmp_path, shapes, data, engine="auto")
    assert report.engine == "pyshacl" and "pyshacl engine" in report.text
    assert [(v.component, v.path) for v in report.violations] == [("ClosedConstraintComponent", "<http://example.org/q>")]
    assert "sh:closed" in caplog.text and "validating with pySHACL" in caplog.text


@pytest.mark.parametrize("shapes, construct", [
    ("ex:S sh:targetNode ex:a ; sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ] .", "sh:path"),
    ("ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:equals ex:q ] .", "sh:equals"),
    ("ex:S sh:targetNode ex:a ; sh:node ex:S .", "recursive"),
    ('ex:S sh:targetNode ex:a ; sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o } LIMIT 1" ] .', None),
])
def test_unsupported_constructs_are_named(tmp_path, shapes, construct):
    path = tmp_path / "shapes.ttl"
    path.write_text(HEADER + shapes, encoding="utf-8")
    graph = rdflib.Graph().parse(path)
    if construct is None:  # supported, but only with $this pre-bound per focus node
        (check,) = shacl.compile_shapes(graph).shapes[rdflib.URIRef(EX + "S")].constraints
        assert not check.select.whole_graph
        return
    with pytest.raises(shacl.UnsupportedShapes, match=construct):
        shacl.compile_shapes(graph)


def test_literals_oxigraph_would_change_go_to_pyshacl():
    s, p = ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p")
    quads = [ox.Quad(s, p, ox.Literal("1", datatype=ox.NamedNode(XSDNS + "int")))]
    with pytest.raises(shacl.UnsupportedData, match="xsd:integer|XMLSchema#integer"):
        validate(quads, engine="native", include_catalogue=False)
    report = validate(iter(quads), include_catalogue=False)  # read twice: by each engine
    assert (report.engine, report.triples) == ("pyshacl", 1)
    g = rdflib.Graph()
    g.add((rdflib.URIRef(EX + "s"), rdflib.URIRef(EX + "p"), Literal("x", lang="EN")))  # Oxigraph: "x"@en
    with pytest.raises(shacl.UnsupportedData, match="EN"):
        validate(g, engine="native", include_catalogue=False)
    assert validate(g, include_catalogue=False).engine == "pyshacl"


def test_navograph_shapes_run_natively():
    program = shacl.compile_shapes(load_shapes())
    assert len(program.top) >= 20
    sparql = [c for s in program.shapes.values() for c in s.constraints if isinstance(c, shacl.SparqlCheck)]
    assert len(sparql) == 4 and all(c.select.whole_graph and c.select.star for c in sparql)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown SHACL engine"):
        validate([], engine="fast")


def test_cli_engine_option(seeds_store):
    from typer.testing import CliRunner

    from navograph.cli import app

    path, _ = seeds_store
    for engine in ("native", "pyshacl"):
        out = CliRunner().invoke(app, ["validate", "--store", str(path), "--engine", engine])
        assert out.exit_code == 0, out.output
        assert f"{engine} engine" in out.output
    assert CliRunner().invoke(app, ["validate", "--store", str(path), "--engine", "fast"]).exit_code == 2
