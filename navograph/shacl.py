"""A native SHACL engine that reads the data graph through pyoxigraph SPARQL.

Why: pySHACL needs the whole data graph as an rdflib Graph (about 1 KB and tens of
microseconds per triple to build), so a 1,000-letter store took two minutes to validate.
Reading the store from Python is no way out either: pyoxigraph decodes every term it hands
to Python (about 4 us a term), so even one pass over 1.5 M quads takes 15 s.

How: every constraint is compiled into a few SPARQL queries that Oxigraph evaluates on its
encoded terms and that return only *candidates* (values or focus nodes that may violate the
constraint); in valid data they return nothing. Each query is a scan of one predicate with a
filter, a hash join of such scans (sub-SELECTs), a ``MINUS`` (anti-join) or a ``GROUP BY``
with ``HAVING``; none uses property paths or per-row ``NOT EXISTS``, and class closures are
computed in Python from the (small) ``rdfs:subClassOf`` triples. Identical queries (the same
predicate checked by several shapes) run once. Candidates are then checked exactly in
Python with the rules pySHACL applies (rdflib's literal semantics: ill-typed literals,
normalised lexical forms, literal ordering), focus-node membership is decided with index
lookups, and results get the same focus, path, value, component, severity, source shape and
messages (including pySHACL's generic messages) as the reference engine.

Shapes are data: :func:`compile_shapes` reads any shapes graph. Supported (SHACL Core plus
SHACL-SPARQL and SHACL-AF SPARQL targets, as pySHACL runs them with ``advanced=True``):

* targets ``sh:targetClass`` (instances of subclasses too), ``sh:targetNode`` (IRIs and
  literals), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, implicit class targets, and
  ``sh:target [ a sh:SPARQLTarget ; sh:select ... ]``;
* node shapes and property shapes with a predicate path or ``sh:inversePath`` of a predicate;
* ``sh:class``, ``sh:datatype``, ``sh:nodeKind``, ``sh:minCount``, ``sh:maxCount``,
  ``sh:minLength``, ``sh:maxLength``, ``sh:pattern`` (+ ``sh:flags``), ``sh:in``,
  ``sh:hasValue``, ``sh:uniqueLang``, ``sh:languageIn``, ``sh:min/maxInclusive``,
  ``sh:min/maxExclusive``, ``sh:or``, ``sh:and``, ``sh:not``, ``sh:xone``, ``sh:node``,
  ``sh:property``, ``sh:severity``, ``sh:message``, ``sh:deactivated``;
* ``sh:sparql`` constraints (``sh:select`` with ``$this``, ``sh:prefixes``/``sh:declare``,
  ``$PATH`` in property shapes, message templates ``{?var}``/``{$this}``). A query in which
  ``$this`` is an ordinary, always-bound variable runs once over the whole graph and its rows
  are kept for the focus nodes of the shape (the same rows as per-focus pre-binding); any
  other query, or one whose few focus nodes are known in advance (a SPARQL target), runs once
  per focus node with ``$this`` substituted.

SPARQL semantics: Oxigraph implements SPARQL 1.1; rdflib, inside pySHACL, departs from it on
values of unexpected types (it orders a string against a number, and its arithmetic fails on
ill-typed literals). For a query whose triple patterns all read ``$this <p> ?o`` (all of
navograph's), the nodes holding a value that is not a well-typed literal of the datatype the
shapes give ``p`` are evaluated by rdflib on their own triples, so the results stay pySHACL's;
where rdflib itself fails (pySHACL would stop with an error) the engine logs it and keeps
Oxigraph's answer. Other queries get SPARQL 1.1 semantics throughout.

Anything else (other paths, ``sh:closed``, property pairs, qualified value shapes, rules,
custom constraint components, recursive shapes, ...) raises :class:`UnsupportedShapes` naming
the construct; data the engine cannot mirror exactly (literals that Oxigraph stores in another
form than rdflib reads them, blank nodes it would have to write into a query) raises
:class:`UnsupportedData`. ``navograph.validate.validate`` then falls back to pySHACL, so a
result never depends on this subset.

The data graph is a :class:`Data`: the default graph of a pyoxigraph Store (for a navograph
store, its materialised union of the named graphs, read in place) plus, optionally, a small
in-memory store with the triples of the ontology files that the big store lacks.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from datetime import date, datetime, time
from typing import Any, Protocol

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD, NamespaceManager

log = logging.getLogger(__name__)

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = tuple[Any, ...]

_XSD_STRING = str(XSD.string)
_RDF_TYPE = ox.NamedNode(str(RDF.type))
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
_ALLOWED = (SH.Warning, SH.Info)  # severities pySHACL lets a nested shape conform with


class NativeUnsupported(Exception):
    """The native engine cannot give exactly pySHACL's results here (see subclasses)."""


class UnsupportedShapes(NativeUnsupported):
    """The shapes use a construct the native engine does not implement."""


class UnsupportedData(NativeUnsupported):
    """The data holds something the native engine cannot mirror exactly."""


# --------------------------------------------------------------------------- terms
class RdflibTerms:
    """pyoxigraph terms -> rdflib terms, cached (IRIs and literals repeat a lot).

    A literal becomes ``Literal(lexical, datatype=...)``, so rdflib normalises it exactly as
    it does when pySHACL reads the same data; plain strings get no datatype, as in rdflib.
    """

    def __init__(self) -> None:
        self.cache: dict[Any, Any] = {}

    def term(self, t: Any) -> Any:
        got = self.cache.get(t)
        if got is not None:
            return got
        if isinstance(t, ox.NamedNode):
            out: Any = URIRef(t.value)
        elif isinstance(t, ox.BlankNode):
            out = BNode(t.value)
        elif isinstance(t, ox.Literal):
            if t.language:
                out = Literal(t.value, lang=t.language)
            elif t.datatype.value == _XSD_STRING:
                out = Literal(t.value)
            else:
                out = Literal(t.value, datatype=URIRef(t.datatype.value))
        elif isinstance(t, ox.DefaultGraph):
            out = None
        else:  # RDF-star triple terms are not used by navograph
            raise ValueError(f"unsupported RDF term {t!r}")
        self.cache[t] = out
        return out


def to_ox(term: Any) -> Term:
    """An rdflib term as a pyoxigraph term (raises :class:`UnsupportedData` if impossible)."""
    try:
        if isinstance(term, URIRef):
            return ox.NamedNode(str(term))
        if isinstance(term, BNode):
            return ox.BlankNode(str(term))
        if isinstance(term, Literal):
            if term.language:
                return ox.Literal(str(term), language=term.language)
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    except ValueError as exc:
        raise UnsupportedData(f"term {term!r} is not valid for Oxigraph: {exc}") from None
    raise UnsupportedData(f"unsupported RDF term {term!r}")


def _sparql(term: Term) -> str:
    """A term written into a SPARQL query (blank nodes cannot be)."""
    if isinstance(term, ox.BlankNode):
        raise UnsupportedData("a blank node would have to be written into a SPARQL query")
    return str(term)


# --------------------------------------------------------------------------- data
ANY = ("*", None)  # footprint entry: the query may read any triple
Footprint = frozenset[tuple[str, str | None]]


def _uses(predicate: str, obj: str | None = None) -> Footprint:
    return frozenset({(predicate, obj)})


class Data:
    """The data graph: the default graph of ``main`` plus the triples of ``extra``.

    ``extra`` holds triples that ``main`` lacks (set semantics). A query runs on ``main``
    alone unless its footprint (the predicates, and for ``rdf:type`` the classes, it reads)
    meets ``extra``; then it runs on a scratch store holding both parts of those triples.
    """

    def __init__(self, main: ox.Store, extra: ox.Store | None = None) -> None:
        self.main = main
        self.extra = extra if extra is not None and len(extra) else None
        self.terms = RdflibTerms()
        self._memo: dict[str, list[Row]] = {}
        self._scratch: dict[Footprint, ox.Store] = {}
        self._extra_index: dict[str, set[str]] = {}
        self._subclasses: dict[Term, set[Term]] | None = None
        if self.extra is not None:
            for q in self.extra:
                self._extra_index.setdefault(q.predicate.value, set()).add(str(q.object))

    # -- SPARQL
    def select(self, query: str, variables: Sequence[str], footprint: Footprint) -> list[Row]:
        """Rows of ``variables`` (None when unbound); the same query runs once."""
        got = self._memo.get(query)
        if got is None:
            store = self._store_for(footprint)
            got = self._memo[query] = [tuple(sol[v] for v in variables) for sol in store.query(query)]
        return got

    def select_bound(self, query: str, variables: Sequence[str], footprint: Footprint,
                     this: Term) -> list[Row]:
        """Rows of ``query`` with ``?this`` substituted by ``this`` (SPARQL pre-binding)."""
        store = self._store_for(footprint)
        solutions = store.query(query, substitutions={ox.Variable("this"): this})
        return [tuple(sol[v] for v in variables) for sol in solutions]

    def _touches_extra(self, footprint: Footprint) -> bool:
        if not self._extra_index:
            return False
        for predicate, obj in footprint:
            if predicate == "*":
                return True
            objects = self._extra_index.get(predicate)
            if objects and (obj is None or obj in objects):
                return True
        return False

    def _store_for(self, footprint: Footprint) -> ox.Store:
        if not self._touches_extra(footprint):
            return self.main
        store = self._scratch.get(footprint)
        if store is None:
            store = self._scratch[footprint] = ox.Store()
            store.extend(self.extra)
            if ANY in footprint:
                store.extend(self.main.quads_for_pattern(None, None, None, ox.DefaultGraph()))
            else:
                for predicate, obj in footprint:
                    o = _parse_term(obj) if obj is not None else None
                    store.extend(self.main.quads_for_pattern(None, ox.NamedNode(predicate), o, ox.DefaultGraph()))
        return store

    # -- lookups (union of both parts, duplicates removed)
    def _stores(self) -> Iterator[ox.Store]:
        yield self.main
        if self.extra is not None:
            yield self.extra

    def objects(self, subject: Term, predicate: ox.NamedNode) -> list[Term]:
        if isinstance(subject, ox.Literal):
            return []
        out: dict[Term, None] = {}
        for store in self._stores():
            for q in store.quads_for_pattern(subject, predicate, None, ox.DefaultGraph()):
                out[q.object] = None
        return list(out)

    def subjects(self, predicate: ox.NamedNode, obj: Term) -> list[Term]:
        out: dict[Term, None] = {}
        for store in self._stores():
            for q in store.quads_for_pattern(None, predicate, obj, ox.DefaultGraph()):
                out[q.subject] = None
        return list(out)

    def has_subject(self, subject: Term, predicate: ox.NamedNode) -> bool:
        if isinstance(subject, ox.Literal):
            return False
        return any(next(iter(s.quads_for_pattern(subject, predicate, None, ox.DefaultGraph())), None)
                   for s in self._stores())

    def has_object(self, predicate: ox.NamedNode, obj: Term) -> bool:
        return any(next(iter(s.quads_for_pattern(None, predicate, obj, ox.DefaultGraph())), None)
                   for s in self._stores())

    def predicate_objects(self, subject: Term) -> list[tuple[Term, Term]]:
        if isinstance(subject, ox.Literal):
            return []
        out: dict[tuple[Term, Term], None] = {}
        for store in self._stores():
            for q in store.quads_for_pattern(subject, None, None, ox.DefaultGraph()):
                out[(q.predicate, q.object)] = None
        return list(out)

    def subclasses(self, cls: Term) -> set[Term]:
        """``cls`` and every class that is ``rdfs:subClassOf*`` it in the data."""
        if self._subclasses is None:
            self._subclasses = {}
            for store in self._stores():
                for q in store.quads_for_pattern(None, _SUBCLASS, None, ox.DefaultGraph()):
                    self._subclasses.setdefault(q.object, set()).add(q.subject)
        out, todo = {cls}, [cls]
        while todo:
            for sub in self._subclasses.get(todo.pop(), ()):
                if sub not in out:
                    out.add(sub)
                    todo.append(sub)
        return out

    def triple_count(self) -> int:
        (row,) = self.main.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(row["n"].value) + (len(self.extra) if self.extra is not None else 0)

    def rdf(self, term: Term | None) -> Any:
        return None if term is None else self.terms.term(term)


_NUMERIC_TYPES = {str(XSD[n]) for n in ("integer", "decimal", "float", "double")}
_DATE_TYPES = {str(XSD.date), str(XSD.dateTime)}


class StarQueries:
    """SHACL-SPARQL queries evaluated as pySHACL evaluates them, where that matters.

    rdflib's SPARQL engine (which pySHACL uses) departs from SPARQL 1.1 on values of unexpected
    types: it orders a string against a number by datatype IRI, and it fails on arithmetic with
    ill-typed literals. On *regular* values (literals of the one datatype the predicate uses,
    well-typed) rdflib and Oxigraph agree. For a star-shaped query (every triple pattern reads
    ``$this <p> ?o``) the solutions for a node depend only on its own triples, so the nodes
    with an irregular value get their solutions from rdflib, run on exactly those triples.
    """

    def __init__(self, data: "Data", datatypes: dict[str, set[str]]) -> None:
        self.data = data
        self.datatypes = datatypes  # predicate -> the sh:datatype values the shapes give it
        self._prepared: dict[str, Any] = {}
        self._irregular: dict[ox.NamedNode, set[Term]] = {}

    def irregular(self, select: Select) -> set[Term]:
        """The nodes whose solutions to ``select`` come from rdflib."""
        if select.star is None:
            return set()
        return set().union(*(self._irregular_for(p) for p in select.star))

    def _irregular_for(self, predicate: ox.NamedNode) -> set[Term]:
        got = self._irregular.get(predicate)
        if got is None:
            got = self._irregular[predicate] = set(_column(self.data, self._odd_values(predicate), "s"))
        return got

    def _odd_values(self, predicate: ox.NamedNode) -> Sparql:
        """Subjects with a value that is not of the datatype the shapes give the predicate (or,
        if they give none, not of the kind of one sample value)."""
        p, uses = _sparql(predicate), _uses(predicate.value)
        declared = self.datatypes.get(predicate.value)
        if declared:
            tests = [_regular(d, "?v") for d in sorted(declared)]
        else:
            sample = self.data.select(f"SELECT ?v WHERE {{ ?s {p} ?v }} LIMIT 1", ("v",), uses)
            tests = [_regular(_kind(sample[0][0]), "?v")] if sample else ["true"]
        return Sparql(f"?s {p} ?v FILTER(!({' || '.join(tests)}))", uses)

    def rows(self, select: Select, focus: Term, prebind: bool) -> list[Row] | None:
        """The solutions for ``focus`` as rdflib computes them (None if rdflib fails)."""
        from rdflib.plugins.sparql import prepareQuery

        rdf = self.data.rdf
        graph = rdflib.Graph()
        for p in select.star or ():
            for o in self.data.objects(focus, p):
                graph.add((rdf(focus), rdf(p), rdf(o)))
        query = self._prepared.get(select.text)
        if query is None:
            query = self._prepared[select.text] = prepareQuery(select.text)
        try:
            solutions = graph.query(query, initBindings={"this": rdf(focus)} if prebind else None)
            return [tuple(None if r[v] is None else to_ox(r[v]) for v in select.variables) for r in solutions]
        except Exception as exc:  # rdflib raises whatever its operators raise
            query = " ".join(select.text.split("\n\n", 1)[-1].split())
            log.warning("rdflib's SPARQL engine fails on %s for %s (%s: %s), so pySHACL would stop here; "
                        "using Oxigraph's SPARQL 1.1 solutions", query[:80], focus, type(exc).__name__, exc)
            return None


def _kind(term: Term) -> str | None:
    """The datatype IRI of a literal (rdf:langString if it has a language), None otherwise."""
    if not isinstance(term, ox.Literal):
        return None
    return str(RDF.langString) if term.language else term.datatype.value


def _regular(datatype: str | None, v: str) -> str:
    """A SPARQL test that a value is a well-typed literal of ``datatype`` (None: not a literal),
    which rdflib and Oxigraph read alike."""
    if datatype is None:
        return f"!isLiteral({v})"
    if datatype == str(RDF.langString):
        return f'COALESCE(LANG({v}) != "", false)'
    if datatype == _XSD_STRING:
        return f'COALESCE(isLiteral({v}) && LANG({v}) = "" && STRLEN({v}) >= 0, false)'
    same = f"sameTerm(datatype({v}), <{datatype}>)"
    if datatype in _NUMERIC_TYPES:
        return f"COALESCE(isNumeric({v}) && {same}, false)"
    if datatype == str(XSD.boolean):
        return f"COALESCE(sameTerm({v}, true) || sameTerm({v}, false), false)"
    if datatype in _DATE_TYPES:
        return f'COALESCE({same} && {v} <= {v} && REGEX(STR({v}), "^[0-9]{{4}}-"), false)'
    return f"COALESCE({same}, false)"


def _parse_term(text: str) -> Term:
    """The inverse of ``str(term)`` for the IRIs kept in a footprint."""
    return ox.NamedNode(text[1:-1]) if text.startswith("<") else ox.Literal(text)


def _triple(t: ox.Triple | ox.Quad) -> ox.Quad:
    return ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())


def in_memory(triples: Iterable[ox.Triple | ox.Quad]) -> Data:
    """Data held in a new in-memory store (all graphs merged into its default graph)."""
    store = ox.Store()
    literals: set[ox.Literal] = set()

    def quads() -> Iterator[ox.Quad]:
        for t in triples:
            if isinstance(t.object, ox.Literal):
                literals.add(t.object)
            yield _triple(t)

    store.extend(quads())
    _refuse_drift(literals)
    return Data(store)


def over_store(store: ox.Store, reference: Sequence[ox.Triple]) -> Data:
    """Data = the default graph of ``store`` plus the ``reference`` triples it lacks."""
    default = ox.DefaultGraph()
    missing = [t for t in reference
               if _has_blank(t) or ox.Quad(t.subject, t.predicate, t.object, default) not in store]
    _refuse_drift({t.object for t in reference if isinstance(t.object, ox.Literal)})
    extra = ox.Store()
    extra.extend(_triple(t) for t in missing)
    return Data(store, extra)


def _has_blank(t: ox.Triple) -> bool:
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def _refuse_drift(literals: set[ox.Literal]) -> None:
    """Raise :class:`UnsupportedData` if Oxigraph stores one of ``literals`` so that rdflib
    (hence pySHACL, reading the same input) sees a different term, e.g. ``"1"^^xsd:int``
    becomes ``"1"^^xsd:integer`` and ``"x"@EN`` becomes ``"x"@en``."""
    if not literals:
        return
    ordered = list(literals)
    probe = ox.Store()
    p = ox.NamedNode("urn:x-navograph:literal")
    probe.extend(ox.Quad(ox.NamedNode(f"urn:x-navograph:{i}"), p, lit, ox.DefaultGraph())
                 for i, lit in enumerate(ordered))
    terms = RdflibTerms()
    for q in probe:
        original = ordered[int(q.subject.value.rsplit(":", 1)[1])]
        if q.object != original and literal_key(terms.term(q.object)) != literal_key(terms.term(original)):
            raise UnsupportedData(f"Oxigraph stores the literal {original} as {q.object}")


def literal_key(lit: Literal) -> tuple[str, Any, Any]:
    """What pySHACL sees of an rdflib literal: lexical form, datatype, language tag (as written)."""
    return (str(lit), lit.datatype, lit.language)


# --------------------------------------------------------------------------- messages
class Describer:
    """Node descriptions as pySHACL writes them into its generic messages
    (``pyshacl.rdfutil.stringify_node``): prefixed IRIs, ``Literal("lex" = value, ...)``,
    blank nodes as ``[ p o ; ... ]`` and lists as ``( a b )``."""

    def __init__(self, namespaces: NamespaceManager,
                 pairs: Callable[[Any], list[tuple[Any, Any]]]) -> None:
        self.namespaces = namespaces
        self.pairs = pairs

    def node(self, node: Any, recursion: int = 0) -> str:
        if isinstance(node, Literal):
            return self._literal(node)
        if isinstance(node, BNode):
            return self._blank(node, recursion + 1)
        if isinstance(node, URIRef):
            try:
                return node.n3(namespace_manager=self.namespaces)
            except Exception:  # rdflib raises several kinds for odd IRIs
                return str(node)
        return str(node)

    def _literal(self, node: Literal) -> str:
        value = None if node.value is None else str(node.value)
        lexical = str(node)
        if value is not None and value.find(" object at 0x") > 0:
            value = value[: value.find(" object at 0x")]
        text = f'"{lexical}" = {value}' if value is not None and value != lexical else f'"{lexical}"'
        if node.language:
            text += f", lang={node.language}"
        if node.datatype:
            text += f", datatype={self.node(node.datatype)}"
        return f"Literal({text})"

    def items(self, head: Any) -> Iterator[Any]:
        seen = {head}
        while head is not None:
            pairs = self.pairs(head)
            first = next((o for p, o in pairs if p == RDF.first), None)
            if first is not None:
                yield first
            head = next((o for p, o in pairs if p == RDF.rest), None)
            if head in seen:
                return
            seen.add(head)

    def _blank(self, node: BNode, recursion: int) -> str:
        if recursion >= 12:
            return "<http://recursion.too.deep>"
        pairs = self.pairs(node)
        if not pairs:
            return "[ ]"
        if any(p == RDF.first for p, _ in pairs):
            return "( {} )".format(" ".join(self.node(i, recursion + 1) for i in self.items(node)))
        texts: dict[str, str] = {}
        for p in dict.fromkeys(p for p, _ in pairs):
            objects = sorted(self.node(o, recursion + 1) for q, o in pairs if q == p)
            texts[p.n3(namespace_manager=self.namespaces)] = ", ".join(objects)
        body = " ; ".join(f"{p} {o}" for p, o in sorted(texts.items()))
        return f"[ {body} ]"


def _graph_pairs(graph: rdflib.Graph) -> Callable[[Any], list[tuple[Any, Any]]]:
    return lambda node: list(graph.predicate_objects(node))


# --------------------------------------------------------------------------- SPARQL text
@dataclass(frozen=True)
class Sparql:
    """A SPARQL group pattern and the triples it may read."""

    text: str
    footprint: Footprint


def _values(var: str, terms: Iterable[Term]) -> str:
    return f"VALUES ?{var} {{ {' '.join(_sparql(t) for t in terms)} }}"


NOTHING = Sparql("", frozenset())


def _type_pattern(var: str, classes: Iterable[Term], suffix: str = "_c") -> Sparql:
    classes = sorted(classes, key=str)
    return Sparql(f"{{ ?{var} a ?{var}{suffix} . {_values(var + suffix, classes)} }}",
                  frozenset((_RDF_TYPE.value, str(c)) for c in classes))


def _union(parts: Sequence[Sparql], where: Sparql) -> Sparql:
    """The union of ``parts``, each restricted by ``where`` (a FILTER or MINUS distributes)."""
    if not parts:
        return Sparql("{ FILTER(false) }", frozenset())
    text = " UNION ".join(f"{{ {p.text} {where.text} }}" for p in parts)
    return Sparql(f"{{ {text} }}", frozenset().union(where.footprint, *(p.footprint for p in parts)))


# --------------------------------------------------------------------------- paths
@dataclass(frozen=True)
class Path:
    """A predicate path or the inverse of one; ``node`` is the path in the shapes graph."""

    predicate: ox.NamedNode
    inverse: bool
    node: Any

    def triple(self, subject: str, obj: str) -> str:
        return f"{obj} {_sparql(self.predicate)} {subject} ." if self.inverse else \
            f"{subject} {_sparql(self.predicate)} {obj} ."

    @property
    def footprint(self) -> Footprint:
        return _uses(self.predicate.value)

    def footprint_to(self, value: Term) -> Footprint:
        """The footprint of this path to a fixed value (``rdf:type`` triples are told apart by class)."""
        fixed = not self.inverse and self.predicate == _RDF_TYPE
        return _uses(self.predicate.value, str(value) if fixed else None)

    @property
    def sparql_path(self) -> str:
        return ("^" if self.inverse else "") + _sparql(self.predicate)

    def values(self, data: Data, focus: Term) -> list[Term]:
        if self.inverse:
            return data.subjects(self.predicate, focus)
        return data.objects(focus, self.predicate)

    def sources(self, data: Data, value: Term) -> list[Term]:
        if self.inverse:
            return data.objects(value, self.predicate)
        return data.subjects(self.predicate, value)


# --------------------------------------------------------------------------- SPARQL queries in shapes
@dataclass(frozen=True)
class Select:
    """A ``sh:select`` query of a shape (prefixes applied as pySHACL applies them)."""

    text: str
    variables: tuple[str, ...]  # the projection
    footprint: Footprint
    whole_graph: bool  # $this is an ordinary, always-bound variable: run once for all focus nodes
    star: tuple[ox.NamedNode, ...] | None  # the predicates, if every triple pattern is `$this <p> ?o`


_FORBIDDEN_ALGEBRA = {  # rdflib algebra (and, inside EXISTS, parse-tree) node names
    "Minus": "MINUS", "MinusGraphPattern": "MINUS", "values": "VALUES", "InlineData": "VALUES",
    "ServiceGraphPattern": "SERVICE", "Graph": "GRAPH", "GraphGraphPattern": "GRAPH",
    "ToMultiSet": "a sub-SELECT or VALUES", "SubSelect": "a sub-SELECT"}
_THIS = rdflib.Variable("this")


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):  # rdflib's CompValue is an OrderedDict
        yield from node.values()
    elif isinstance(node, (list, tuple)):
        yield from node


def _algebra_nodes(node: Any) -> Iterator[Any]:
    """Every algebra / expression node below ``node`` (itself included)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict) and hasattr(n, "name"):
            yield n
        stack.extend(_children(n))


def _mentions_this(node: Any) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n == _THIS and isinstance(n, rdflib.Variable):
            return True
        stack.extend(_children(n))
    return False


def _triples(node: Any) -> Iterator[Sequence[Any]]:
    for n in _algebra_nodes(node):
        block = n.get("triples")
        for t in block or ():
            for i in range(0, len(t) - 2, 3):
                yield t[i:i + 3]


def _binds_this(node: Any) -> bool:
    """Does every solution of ``node`` bind ``?this``?"""
    name = getattr(node, "name", None)
    if name in ("BGP", "TriplesBlock"):
        return any(_THIS in t for t in _triples(node))
    if name == "Join":
        return _binds_this(node.p1) or _binds_this(node.p2)
    if name == "LeftJoin":
        return _binds_this(node.p1)
    if name == "Union":
        return _binds_this(node.p1) and _binds_this(node.p2)
    if name in ("Filter", "Extend", "Distinct", "Reduced", "OrderBy", "Project"):
        return _binds_this(node.p)
    return False


def _prebinding_equivalent(node: Any) -> bool:
    """True if evaluating ``node`` with ``?this`` free and keeping the solutions for a focus
    node gives the solutions of evaluating it with ``$this`` pre-bound to that node: every
    pattern and expression that mentions ``?this`` sees it bound by its own operand."""
    name = getattr(node, "name", None)
    if name == "BGP":
        return True
    if name == "Join":
        return _prebinding_equivalent(node.p1) and _prebinding_equivalent(node.p2)
    if name == "LeftJoin":
        inner = _mentions_this(node.p2) or _mentions_this(node.get("expr"))
        return (_prebinding_equivalent(node.p1) and _prebinding_equivalent(node.p2)
                and (not inner or _binds_this(node.p1)))
    if name == "Filter":
        return _prebinding_equivalent(node.p) and (not _mentions_this(node.expr) or _binds_this(node.p))
    if name == "Extend":
        return (node.var != _THIS and _prebinding_equivalent(node.p)
                and (not _mentions_this(node.expr) or _binds_this(node.p)))
    if name == "Union":
        return all(_prebinding_equivalent(b) and (not _mentions_this(b) or _binds_this(b))
                   for b in (node.p1, node.p2))
    return False


def _whole_graph(algebra: Any) -> bool:
    top = algebra.p
    while top.name in ("Distinct", "Reduced"):
        top = top.p
    if top.name != "Project" or _THIS not in top.PV:
        return False
    body = top.p
    while body.name == "OrderBy":
        body = body.p
    if any(n.name in ("AggregateJoin", "Group", "Slice") for n in _algebra_nodes(body)):
        return False
    return _binds_this(body) and _prebinding_equivalent(body)


def _path_iris(path: Any) -> Iterator[Any]:
    stack = [path]
    while stack:
        p = stack.pop()
        if isinstance(p, URIRef):
            yield p
        elif isinstance(p, rdflib.paths.NegatedPath):
            yield None
        elif isinstance(p, rdflib.paths.Path):
            stack.extend(getattr(p, "args", ()) or ())
            if hasattr(p, "path"):
                stack.append(p.path)
            if hasattr(p, "arg"):
                stack.append(p.arg)


def _star(algebra: Any) -> tuple[ox.NamedNode, ...] | None:
    """The predicates of a query whose triple patterns all read ``$this <p> ?o``: its solutions
    for a focus node depend only on that node's own triples with those predicates."""
    predicates: dict[str, None] = {}
    for s, p, _ in _triples(algebra):
        if s != _THIS or not isinstance(p, URIRef):
            return None
        predicates[str(p)] = None
    return tuple(ox.NamedNode(p) for p in predicates)


def _query_footprint(algebra: Any) -> Footprint:
    out: set[tuple[str, str | None]] = set()
    for s, p, o in _triples(algebra):
        if isinstance(p, URIRef):
            out.add((str(p), f"<{o}>" if p == RDF.type and isinstance(o, URIRef) else None))
        elif isinstance(p, rdflib.paths.Path):
            iris = list(_path_iris(p))
            if None in iris:
                return frozenset({ANY})
            out.update((str(i), None) for i in iris)
        else:
            return frozenset({ANY})
    return frozenset(out)


def _shape_prefixes(g: rdflib.Graph, node: Any) -> dict[str, str]:
    """The prefixes pySHACL declares for the query of ``node`` (its ``collect_prefixes``)."""
    out = {"rdf": str(RDF), "rdfs": str(RDFS), "owl": str(OWL)}
    values = set(g.objects(node, SH.prefixes))
    if not values:
        return out
    named = set(g.objects(g.identifier, SH.declare)) if g.identifier else set()
    ontologies = set(g.subjects(RDF.type, OWL.Ontology))
    everywhere = named.union(*(set(g.objects(o, SH.declare)) for o in ontologies))
    for value in values:
        own = set(g.objects(value, SH.declare))
        for declaration in (own | named) if own and value in ontologies else (everywhere | own):
            prefix = _single(g, declaration, SH.prefix, "sh:declare without exactly one sh:prefix")
            namespace = _single(g, declaration, SH.namespace, "sh:declare without exactly one sh:namespace")
            if not isinstance(prefix, Literal) or not isinstance(namespace, Literal):
                raise UnsupportedShapes("sh:declare with a non-literal sh:prefix or sh:namespace")
            out[str(prefix.value)] = str(namespace.value)
    return out


def _single(g: rdflib.Graph, node: Any, predicate: URIRef, problem: str) -> Any:
    values = set(g.objects(node, predicate))
    if len(values) != 1:
        raise UnsupportedShapes(problem)
    return next(iter(values))


def _select(g: rdflib.Graph, node: Any, text: str, *, constraint: bool) -> Select:
    from rdflib.plugins.sparql import prepareQuery

    prefixes = _shape_prefixes(g, node)
    full = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items()) + "\n" + text
    try:
        algebra = prepareQuery(full).algebra
    except Exception as exc:  # rdflib's parser raises many kinds
        raise UnsupportedShapes(f"sh:select that rdflib cannot parse: {exc}") from None
    if algebra.name != "SelectQuery":
        raise UnsupportedShapes("sh:select holding another query form than SELECT")
    for n in _algebra_nodes(algebra):
        if n.name in _FORBIDDEN_ALGEBRA:
            raise UnsupportedShapes(f"{_FORBIDDEN_ALGEBRA[n.name]} in a sh:select query")
    variables = tuple(str(v) for v in algebra.PV)
    if "this" not in variables:
        raise UnsupportedShapes("sh:select that does not project $this")
    if constraint and ({"failure", "shapesGraph", "currentShape"} & set(variables)
                       or re.search(r"[$?](shapesGraph|currentShape)\b", text)):
        raise UnsupportedShapes("sh:select using $shapesGraph, $currentShape or ?failure")
    if constraint and not re.search(r"([\s{}()])[\$\?]this", text, flags=re.M):
        raise UnsupportedShapes("sh:select in which pySHACL would not pre-bind $this")
    return Select(full, variables, _query_footprint(algebra), _whole_graph(algebra), _star(algebra))


# --------------------------------------------------------------------------- node sets
class Nodes(Protocol):
    """A set of nodes of the data graph, as a SPARQL pattern and by membership."""

    key: tuple[Any, ...]

    def pattern(self, var: str, where: Sparql = NOTHING) -> Sparql:
        """A group pattern binding ``?var`` to the members that pass ``where`` (a FILTER or MINUS)."""

    def contains(self, nodes: Iterable[Term]) -> set[Term]: ...

    def members(self) -> set[Term]: ...

    def listed(self) -> set[Term] | None:
        """The members if they are known without querying the data, else None."""


@dataclass(frozen=True)
class Targets:
    classes: tuple[ox.NamedNode, ...] = ()
    nodes: tuple[Any, ...] = ()  # rdflib terms, as pySHACL compares them
    subjects_of: tuple[ox.NamedNode, ...] = ()
    objects_of: tuple[ox.NamedNode, ...] = ()
    selects: tuple[Select, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.classes or self.nodes or self.subjects_of or self.objects_of or self.selects)


class TargetNodes:
    """The focus nodes a shape's targets select."""

    def __init__(self, data: Data, star: StarQueries, shape_node: Any, targets: Targets) -> None:
        self.key = ("targets", shape_node)
        self.data = data
        self.targets = targets
        self.closure: set[Term] = set().union(*(data.subclasses(c) for c in targets.classes))
        self.explicit = set(targets.nodes)
        self.selected: set[Term] = set().union(*(_selected(data, star, s) for s in targets.selects))

    def pattern(self, var: str, where: Sparql = NOTHING) -> Sparql:
        parts = []
        if self.closure:
            parts.append(_type_pattern(var, self.closure))
        fixed = [to_ox(n) for n in self.explicit] + sorted(self.selected, key=str)
        if fixed:
            parts.append(Sparql(f"{{ {_values(var, fixed)} }}", frozenset()))
        for p in self.targets.subjects_of:
            parts.append(Sparql(f"{{ ?{var} {_sparql(p)} ?{var}_o . }}", _uses(p.value)))
        for p in self.targets.objects_of:
            parts.append(Sparql(f"{{ ?{var}_s {_sparql(p)} ?{var} . }}", _uses(p.value)))
        return _union(parts, where)

    def _is_member(self, node: Term) -> bool:
        data = self.data
        if node in self.selected or (self.explicit and data.rdf(node) in self.explicit):
            return True
        if self.closure and not isinstance(node, ox.Literal) and \
                not self.closure.isdisjoint(data.objects(node, _RDF_TYPE)):
            return True
        return any(data.has_subject(node, p) for p in self.targets.subjects_of) or \
            any(data.has_object(p, node) for p in self.targets.objects_of)

    def contains(self, nodes: Iterable[Term]) -> set[Term]:
        return {n for n in nodes if self._is_member(n)}

    def listed(self) -> set[Term] | None:
        t = self.targets
        return None if t.classes or t.subjects_of or t.objects_of else self.members()

    def members(self) -> set[Term]:
        out = set(self.selected) | {to_ox(n) for n in self.explicit}
        if self.closure:
            out.update(_column(self.data, _type_pattern("x", self.closure)))
        for p in self.targets.subjects_of:
            out.update(_column(self.data, Sparql(f"{{ ?x {_sparql(p)} ?o . }}", _uses(p.value))))
        for p in self.targets.objects_of:
            out.update(_column(self.data, Sparql(f"{{ ?s {_sparql(p)} ?x . }}", _uses(p.value))))
        return out


def _selected(data: Data, star: StarQueries, select: Select) -> set[Term]:
    """The ``?this`` of a SPARQL target, from rdflib for the nodes where it reads otherwise."""
    odd = star.irregular(select)
    at = select.variables.index("this")
    rows = data.select(select.text, select.variables, select.footprint)
    out = {r[at] for r in rows if r[at] is not None and r[at] not in odd}
    for node in odd:
        own = star.rows(select, node, prebind=False)
        if own is None:  # rdflib's engine fails on the node: keep Oxigraph's answer
            own = [r for r in rows if r[at] == node]
        out.update(r[at] for r in own if r[at] is not None)
    return out


class ValueNodes:
    """The values of ``path`` on the nodes of ``parent``."""

    def __init__(self, data: Data, parent: Nodes, path: Path) -> None:
        self.key = ("values", parent.key, path.predicate.value, path.inverse)
        self.data = data
        self.parent = parent
        self.path = path

    def pattern(self, var: str, where: Sparql = NOTHING) -> Sparql:
        inner = self.parent.pattern(var + "_f")
        step = self.path.triple(f"?{var}_f", f"?{var}")
        text = f"{{ SELECT DISTINCT ?{var} WHERE {{ {inner.text} {step} {where.text} }} }}"
        return Sparql(text, inner.footprint | self.path.footprint | where.footprint)

    def contains(self, nodes: Iterable[Term]) -> set[Term]:
        return {n for n in nodes if self.parent.contains(self.path.sources(self.data, n))}

    def members(self) -> set[Term]:
        return set(_column(self.data, self.pattern("x")))

    def listed(self) -> None:
        return None


def _column(data: Data, pattern: Sparql, var: str = "x") -> list[Term]:
    """The distinct bindings of ``?var`` in ``pattern``."""
    rows = data.select(f"SELECT DISTINCT ?{var} WHERE {{ {pattern.text} }}", (var,), pattern.footprint)
    return [r[0] for r in rows if r[0] is not None]


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Result:
    """One validation result, with the terms pySHACL would report (rdflib terms)."""

    focus: Any
    path: Any  # the result path (a shapes-graph node) or None
    value: Any
    component: URIRef
    severity: Any
    shape: Any  # the source shape (a shapes-graph node)
    messages: tuple[str, ...]


Found = tuple[Term, Result]  # (the node of the evaluated node set it belongs to, the result)


@dataclass(eq=False)
class Shape:
    node: Any
    path: Path | None
    severity: Any
    messages: tuple[Any, ...]
    deactivated: bool
    targets: Targets
    constraints: list["Constraint"] = field(default_factory=list)
    properties: list["Shape"] = field(default_factory=list)


class Constraint(Protocol):
    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]: ...


# --------------------------------------------------------------------------- value checks
_RDFLIB_PARSED = {str(XSD[n]) for n in (
    "time", "date", "dateTime", "duration", "dayTimeDuration", "yearMonthDuration", "hexBinary",
    "boolean", "decimal", "integer", "nonPositiveInteger", "long", "nonNegativeInteger",
    "negativeInteger", "int", "unsignedLong", "positiveInteger", "short", "unsignedInt", "byte",
    "unsignedShort", "unsignedByte", "float", "double", "base64Binary")} | {str(RDF.XMLLiteral), str(RDF.HTML)}
_NUMERIC = r"^[+-]?[0-9]+(\\.[0-9]+)?$"  # as a SPARQL string: lexical forms rdflib always reads
_SAFE_LEXICAL = {str(XSD.integer): r"^[+-]?[0-9]+$", str(XSD.long): r"^[+-]?[0-9]+$",
                 str(XSD.decimal): _NUMERIC, str(XSD.boolean): "^(true|false|1|0)$"}


class ValueCheck:
    """A constraint on each value node. ``restriction`` narrows the values a SPARQL query
    returns to a superset of the failing ones (None: all values); ``fails`` is exact."""

    component: URIRef

    def restriction(self, ev: "Evaluator", var: str) -> Sparql | None:
        raise NotImplementedError

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        raise NotImplementedError

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        raise NotImplementedError

    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]:
        for focus, value in ev.failing_values(shape, nodes, self):
            yield ev.found(shape, focus, self.component, value=value,
                           generic=lambda: self.generic(ev, focus, value))


def _filter(expr: str) -> Sparql:
    return Sparql(f"FILTER({expr})", frozenset())


@dataclass(frozen=True)
class ClassCheck(ValueCheck):
    rule: URIRef
    rules: tuple[URIRef, ...]
    component = SH.ClassConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> Sparql:
        inner = _type_pattern(var, ev.closure(self.rule), suffix="_k")
        return Sparql(f"MINUS {inner.text}", inner.footprint)

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        return isinstance(value, ox.Literal) or ev.closure(self.rule).isdisjoint(ev.data.objects(value, _RDF_TYPE))

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        if len(self.rules) < 2:
            return [f"Value does not have class {ev.shapes_text.node(self.rules[0])}"]
        return ["Value class is not in classes ({})".format(", ".join(ev.shapes_text.node(c) for c in self.rules))]


@dataclass(frozen=True)
class DatatypeCheck(ValueCheck):
    rule: URIRef
    component = SH.DatatypeConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> Sparql | None:
        v, rule = f"?{var}", str(self.rule)
        if self.rule == RDFS.Literal:
            return _filter(f"!isLiteral({v})")
        if self.rule == RDF.langString:
            return _filter(f'!COALESCE(LANG({v}) != "", false)')
        if self.rule == RDFS.Datatype:
            return None
        if self.rule == XSD.string:  # cheaper than datatype(), which decodes every string
            return _filter(f'!COALESCE(isLiteral({v}) && LANG({v}) = "" && STRLEN({v}) >= 0, false)')
        expr = f"!isLiteral({v}) || datatype({v}) != <{rule}>"
        if rule in _SAFE_LEXICAL:
            expr += f' || !REGEX(STR({v}), "{_SAFE_LEXICAL[rule]}")'
        elif rule in _RDFLIB_PARSED:
            return None  # any lexical form may be ill-typed for rdflib: check every value
        return _filter(expr)

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        return not _datatype_matches(ev.data.rdf(value), self.rule)

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        return [f"Value is not Literal with datatype {ev.shapes_text.node(self.rule)}"]


def _datatype_matches(v: Any, rule: URIRef) -> bool:
    """pySHACL's sh:datatype test on an rdflib term (ill-typed literals fail)."""
    if not isinstance(v, Literal):
        return False
    if v.datatype == rule:
        return v.ill_typed is not True and _value_fits(v, rule)
    if rule == RDFS.Literal or (rule == RDFS.Datatype and v.datatype):
        return True
    if v.datatype is None and v.language is None and rule == XSD.string:
        return _value_fits(v, rule)
    return bool(rule == RDF.langString and v.language and _value_fits(v, rule))


_VALUE_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float,
    XSD.decimal: Decimal, XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}


def _value_fits(v: Literal, rule: URIRef) -> bool:
    expected = _VALUE_TYPES.get(rule)
    return expected is None or isinstance(v.value, expected)


_NODE_KINDS = {  # node kind -> (SPARQL test, rdflib types that match)
    SH.IRI: ("isIRI({v})", (URIRef,)), SH.Literal: ("isLiteral({v})", (Literal,)),
    SH.BlankNode: ("isBlank({v})", (BNode,)), SH.BlankNodeOrIRI: ("!isLiteral({v})", (BNode, URIRef)),
    SH.BlankNodeOrLiteral: ("!isIRI({v})", (BNode, Literal)), SH.IRIOrLiteral: ("!isBlank({v})", (URIRef, Literal))}


@dataclass(frozen=True)
class NodeKindCheck(ValueCheck):
    rule: Any
    component = SH.NodeKindConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> Sparql | None:
        kind = _NODE_KINDS.get(self.rule)
        return _filter("!(" + kind[0].format(v="?" + var) + ")") if kind else None

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        kind = _NODE_KINDS.get(self.rule)
        return kind is None or not isinstance(ev.data.rdf(value), kind[1])

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        return [f"Value is not of Node Kind {ev.shapes_text.node(self.rule)}"]


def _value_string(v: Any) -> str:
    """pySHACL's string form of a value for the string-based constraints."""
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, RDF.langString, XSD.string):
        return str(v.value)
    return str(v)


@dataclass(frozen=True)
class LengthCheck(ValueCheck):
    limit: Literal
    minimum: bool  # sh:minLength (else sh:maxLength)

    @property
    def component(self) -> URIRef:  # type: ignore[override]
        return SH.MinLengthConstraintComponent if self.minimum else SH.MaxLengthConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> Sparql:
        v = "?" + var
        op, n = ("<" if self.minimum else ">"), int(self.limit.value)
        # STRLEN fails on blank nodes and on literals that are not strings: those are candidates
        return _filter(f"IF(isIRI({v}), STRLEN(STR({v})) {op} {n}, COALESCE(STRLEN({v}) {op} {n}, true))")

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        if isinstance(value, ox.BlankNode):
            return True
        length = len(_value_string(ev.data.rdf(value)))
        return length < self.limit.value if self.minimum else length > self.limit.value

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        return ["String length not {} {}".format(">=" if self.minimum else "<=", ev.data_text.node(self.limit))]


@dataclass(frozen=True)
class PatternCheck(ValueCheck):
    regex: re.Pattern[str]
    patterns: tuple[Literal, ...]
    component = SH.PatternConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> None:
        return None  # sh:pattern is an XPath regex in SPARQL but a Python regex in pySHACL

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        return isinstance(value, ox.BlankNode) or not self.regex.search(_value_string(ev.data.rdf(value)))

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        if len(self.patterns) < 2:
            return [f"Value does not match pattern '{self.patterns[0].value}'"]
        return ["Value does not match every pattern in ('{}')".format("', '".join(str(p.value) for p in self.patterns))]


@dataclass(frozen=True)
class InCheck(ValueCheck):
    members: tuple[Any, ...]  # rdflib terms in list order
    component = SH.InConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> Sparql:
        same = [f"sameTerm(?{var}, {_sparql(to_ox(m))})" for m in self.members if not isinstance(m, BNode)]
        return _filter("!(" + " || ".join(same) + ")" if same else "true")

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        return ev.data.rdf(value) not in set(self.members)

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        listed = [ev.shapes_text.node(m) for m in self.members]
        return ["Value {} not in list {}".format(ev.data_text.node(ev.data.rdf(value)), listed)]


@dataclass(frozen=True)
class LanguageInCheck(ValueCheck):
    languages: frozenset[str]  # lower case
    list_node: Any
    component = SH.LanguageInConstraintComponent

    def restriction(self, ev: "Evaluator", var: str) -> Sparql:
        v = "?" + var
        expr = f'!isLiteral({v}) || LANG({v}) = ""'
        if "*" not in self.languages:
            listed = ", ".join(f'"{lang}"' for lang in sorted(self.languages))
            expr += (f" || !(LCASE(LANG({v})) IN ({listed}) || "
                     f'LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-")) IN ({listed}))')
        return _filter(expr)

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        v = ev.data.rdf(value)
        lang = v.language if isinstance(v, Literal) else None
        if not lang:
            return True
        lang = str(lang).lower()
        return not ("*" in self.languages or lang in self.languages or lang.split("-")[0] in self.languages)

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        return [f"String language is not in {ev.shapes_text.node(self.list_node)}"]


_RANGES = {  # parameter -> (component, SPARQL operator for a passing value, test on compare(), message)
    SH.minExclusive: (SH.MinExclusiveConstraintComponent, ">", lambda c: c > 0, ">"),
    SH.minInclusive: (SH.MinInclusiveConstraintComponent, ">=", lambda c: c >= 0, ">="),
    SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "<", lambda c: c < 0, "<"),
    SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "<=", lambda c: c <= 0, "<="),
}


@dataclass(frozen=True)
class RangeCheck(ValueCheck):
    parameter: URIRef
    bound: Literal
    bounds: tuple[Literal, ...]  # every value of the parameter (for the message)

    @property
    def component(self) -> URIRef:  # type: ignore[override]
        return _RANGES[self.parameter][0]

    def restriction(self, ev: "Evaluator", var: str) -> Sparql | None:
        if isinstance(self.bound.value, bool) or not isinstance(self.bound.value, (int, Decimal)):
            return None
        v, op = "?" + var, _RANGES[self.parameter][1]
        return _filter(f"!COALESCE({v} {op} {_sparql(to_ox(self.bound))}, false) || !isLiteral({v}) || "
                       f"!(datatype({v}) = <{XSD.integer}> || datatype({v}) = <{XSD.decimal}>) || "
                       f'!REGEX(STR({v}), "{_NUMERIC}")')

    def fails(self, ev: "Evaluator", value: Term) -> bool:
        v = ev.data.rdf(value)
        if not isinstance(v, Literal) or isinstance(v.value, str) != isinstance(self.bound.value, str):
            return True
        try:
            return not _RANGES[self.parameter][2](_compare_literal(v, self.bound))
        except (TypeError, NotImplementedError):
            return True

    def generic(self, ev: "Evaluator", focus: Term, value: Term) -> list[str]:
        op = _RANGES[self.parameter][3]
        if len(self.bounds) < 2:
            return [f"Value is not {op} {ev.shapes_text.node(self.bounds[0])}"]
        return ["Value is not {} in ({})".format(op, ", ".join(ev.shapes_text.node(b) for b in self.bounds))]


def _compare_literal(l1: Literal, l2: Literal) -> int:
    """pySHACL's literal ordering (``pyshacl.rdfutil.compare.compare_literal``)."""
    if l1.eq(l2):
        return 0
    if l1.value.__class__ in (datetime, time):
        if l1.value == l2.value:
            return 0
        if l1.value > l2.value:
            return 1
    elif l1 > l2:
        return 1
    return -1


# --------------------------------------------------------------------------- per-focus checks
@dataclass(frozen=True)
class Count:
    """``sh:minCount`` (``at_least``) or ``sh:maxCount``."""

    limit: int
    at_least: bool

    @property
    def component(self) -> URIRef:
        return SH.MinCountConstraintComponent if self.at_least else SH.MaxCountConstraintComponent

    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]:
        path = _path_of(shape)
        word = "Less" if self.at_least else "More"
        for f in self._candidates(ev, path, nodes):
            count = ev.value_count(path, f)
            if count < self.limit if self.at_least else count > self.limit:
                yield ev.found(shape, f, self.component, generic=lambda: _count_message(ev, word, self.limit, f, path))

    def _candidates(self, ev: "Evaluator", path: Path, nodes: Nodes) -> Iterable[Term]:
        values = path.triple("?this", "?v")
        if self.at_least:  # the nodes that lack values
            lacking = f"MINUS {{ {values} }}" if self.limit == 1 else \
                (f"MINUS {{ SELECT ?this WHERE {{ {values} }} GROUP BY ?this "
                 f"HAVING (COUNT(DISTINCT ?v) >= {self.limit}) }}")
            return _column(ev.data, nodes.pattern("this", Sparql(lacking, path.footprint)), "this")
        if self.limit > 0 and ev.single_valued(path):
            return ()
        many = Sparql(f"{{ SELECT ?this WHERE {{ {values} }} GROUP BY ?this "
                      f"HAVING (COUNT(DISTINCT ?v) > {self.limit}) }}", path.footprint)
        return nodes.contains(_column(ev.data, many, "this"))


def _count_message(ev: "Evaluator", comparison: str, limit: int, focus: Term, path: Path) -> list[str]:
    node = ev.data_text.node(ev.data.rdf(focus))
    return [f"{comparison} than {limit} values on {node}->{ev.shapes_text.node(path.node)}"]


def _path_of(shape: Shape) -> Path:
    if shape.path is None:  # compile_shapes only puts these on property shapes
        raise UnsupportedShapes("a cardinality or uniqueLang constraint on a node shape")
    return shape.path


@dataclass(frozen=True)
class UniqueLang:
    component = SH.UniqueLangConstraintComponent

    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]:
        path = _path_of(shape)
        shared = Sparql(f"{{ SELECT ?this (COUNT(*) AS ?n) WHERE {{ {path.triple('?this', '?v')} "
                        f'BIND(LCASE(LANG(?v)) AS ?l) FILTER(?l != "") }} GROUP BY ?this ?l }} FILTER(?n > 1)',
                        path.footprint)
        for f in nodes.contains(_column(ev.data, shared, "this")):
            languages = [str(v.language).lower() for v in {ev.data.rdf(x) for x in path.values(ev.data, f)}
                         if isinstance(v, Literal) and v.language]
            for _ in {lang for lang in languages if languages.count(lang) > 1}:
                yield ev.found(shape, f, self.component,
                               generic=lambda: ["More than one String shares the same Language"])


@dataclass(frozen=True)
class HasValue:
    value: Any  # an rdflib term
    values: tuple[Any, ...]  # every sh:hasValue of the shape (for the message)
    component = SH.HasValueConstraintComponent

    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]:
        wanted = to_ox(self.value)
        if shape.path is None:
            missing = Sparql(f"FILTER(!sameTerm(?this, {_sparql(wanted)}))", frozenset())
        else:
            missing = Sparql(f"MINUS {{ {shape.path.triple('?this', _sparql(wanted))} }}",
                             shape.path.footprint_to(wanted))
        for f in _column(ev.data, nodes.pattern("this", missing), "this"):
            values = [f] if shape.path is None else shape.path.values(ev.data, f)
            if not any(ev.data.rdf(v) == self.value for v in values):
                yield ev.found(shape, f, self.component, generic=lambda: [self._generic(ev, shape, f)])

    def _generic(self, ev: "Evaluator", shape: Shape, focus: Term) -> str:
        listed = [ev.shapes_text.node(v) for v in self.values]
        node = ev.data_text.node(ev.data.rdf(focus))
        if shape.path is None:
            return f"Node {node} value is not a in the set of values: {listed}"
        return f"Node {node}->{ev.shapes_text.node(shape.path.node)} does not contain a value in the set: {listed}"


# --------------------------------------------------------------------------- shape-based checks
def _lists_text(ev: "Evaluator", lists: Sequence[Any]) -> str:
    """pySHACL's rendering of the sh:and / sh:or / sh:xone lists of a shape."""
    def one(head: Any) -> str:
        return " , ".join(ev.shapes_text.node(s) for s in ev.shapes_text.items(head))
    if len(lists) < 2:
        return one(lists[0])
    return " and ".join(f"({one(head)})" for head in lists)


@dataclass(frozen=True)
class Logical:
    """``sh:or`` / ``sh:and`` / ``sh:xone`` over one list, ``sh:not`` or ``sh:node`` over one shape."""

    kind: URIRef  # SH.or, SH.and, SH.xone, SH.not or SH.node
    members: tuple[Shape, ...]  # the shapes of the list (duplicates kept for sh:xone)
    parameters: tuple[Any, ...]  # every value of the parameter on the shape (for the message)

    @property
    def component(self) -> URIRef:
        return {SH["or"]: SH.OrConstraintComponent, SH["and"]: SH.AndConstraintComponent,
                SH.xone: SH.XoneConstraintComponent, SH["not"]: SH.NotConstraintComponent,
                SH.node: SH.NodeConstraintComponent}[self.kind]

    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]:
        values = ev.value_nodes(shape, nodes)
        failing = self._failing(ev, values)
        details = self._details(ev, values, failing)
        for v in sorted(failing, key=str):
            for f in ev.focus_of(shape, nodes, v):
                yield ev.found(shape, f, self.component, value=v, generic=lambda: [self._generic(ev, v)])
                yield from ((f, r) for r in details.get(v, ()))

    def _details(self, ev: "Evaluator", values: Nodes, failing: set[Term]) -> dict[Term, list[Result]]:
        """pySHACL nests the results of a failed sh:node under its result (sh:detail), and its
        report graph then holds them as results too."""
        out: dict[Term, list[Result]] = {}
        if self.kind == SH.node:
            for node, r in ev.evaluate(self.members[0], values):
                if node in failing:
                    out.setdefault(node, []).append(r)
        return out

    def _failing(self, ev: "Evaluator", values: Nodes) -> set[Term]:
        if self.kind == SH.node:
            return ev.nonconforming(self.members[0], values, any_result=True)
        bad = [ev.nonconforming(m, values) for m in self.members]
        if self.kind == SH["or"]:
            return set.intersection(*bad)
        if self.kind == SH["and"]:
            return set.union(*bad)
        everything = values.members()
        if self.kind == SH["not"]:
            return everything - bad[0]
        return {v for v in everything if sum(v not in b for b in bad) != 1}

    def _generic(self, ev: "Evaluator", value: Term) -> str:
        node = ev.data_text.node(ev.data.rdf(value))
        names = [ev.shapes_text.node(p) for p in self.parameters]
        if self.kind == SH.node:
            text = f"Value does not conform to Shape {names[0]}." if len(names) < 2 else \
                "Value must conform to every Shape in ('{}').".format("', '".join(names))
            return text + " See details for more information."
        if self.kind == SH["not"]:
            return f"Node {node} must not conform to shape {names[0]}" if len(names) == 1 else \
                "Node {} must not conform to any shapes in {}".format(node, " , ".join(names))
        how = {SH["or"]: "one or more shapes", SH["and"]: "all shapes", SH.xone: "exactly one shape"}[self.kind]
        return f"Node {node} must conform to {how} in {_lists_text(ev, self.parameters)}"


# --------------------------------------------------------------------------- SHACL-SPARQL
_FEW = 64  # up to this many focus nodes known in advance, a SPARQL constraint runs per focus node
@dataclass(frozen=True)
class SparqlCheck:
    select: Select
    node: Any  # the sh:SPARQLConstraint
    messages: tuple[Any, ...]  # its sh:message values
    component = SH.SPARQLConstraintComponent

    def results(self, ev: "Evaluator", shape: Shape, nodes: Nodes) -> Iterator[Found]:
        s = self.select
        odd = ev.star.irregular(s)
        listed = nodes.listed()
        if s.whole_graph and (listed is None or len(listed) > _FEW):
            rows: dict[Term, list[Row]] = {}
            at = s.variables.index("this")
            for row in ev.data.select(s.text, s.variables, s.footprint):
                if row[at] is not None and row[at] not in odd:
                    rows.setdefault(row[at], []).append(row)
            for f in nodes.contains(rows):
                yield from self._emit(ev, shape, f, rows[f])
            focus: Iterable[Term] = nodes.contains(odd)
        else:  # a few focus nodes, or a query that needs $this pre-bound: one run per focus node
            focus = nodes.members() if listed is None else listed
        for f in focus:
            own = ev.star.rows(s, f, prebind=True) if f in odd else None
            if own is None:
                own = ev.data.select_bound(s.text, s.variables, s.footprint, f)
            yield from self._emit(ev, shape, f, own)

    def _emit(self, ev: "Evaluator", shape: Shape, focus: Term, rows: Sequence[Row]) -> Iterator[Found]:
        seen: set[Any] = set()
        rdf = ev.data.rdf
        for row in rows:
            bound = {var: val for var, val in zip(self.select.variables, row) if val is not None}
            p, v, t = bound.pop("path", None), bound.pop("value", None), bound.pop("this", None)
            key = (t, p, v, frozenset(bound.items()))
            if (p is None and v is None and t is None) or key in seen:
                continue
            seen.add(key)
            if v is None and shape.path is None:
                v = focus
            names = {var: rdf(val) for var, val in bound.items()}
            names.update((k, rdf(x)) for k, x in (("this", t), ("path", p), ("value", v)) if x is not None)
            reported = t if t is not None and bool(rdf(t)) else focus
            yield ev.found(shape, reported, self.component, value=v, path=rdf(p), extra=self.messages,
                           bound=names, origin=focus)


def _format_message(text: str, bound: dict[str, Any]) -> str:
    """pySHACL's substitution of ``{?var}`` / ``{$var}`` in SPARQL messages."""
    for var, val in bound.items():
        text = re.sub("{{[?$]{}}}".format(var), str(val), text)
    return text


# --------------------------------------------------------------------------- evaluation
@dataclass
class Program:
    """Compiled shapes: every shape of the graph, and those validated on their own targets."""

    graph: rdflib.Graph
    shapes: dict[Any, Shape]
    top: list[Shape]
    datatypes: dict[str, set[str]]  # predicate -> the sh:datatype values of property shapes on it


class Evaluator:
    def __init__(self, program: Program, data: Data) -> None:
        self.program = program
        self.data = data
        self.shapes_text = Describer(program.graph.namespace_manager, _graph_pairs(program.graph))
        self.data_text = Describer(rdflib.Graph().namespace_manager, self._data_pairs)
        self._evaluated: dict[tuple[Any, Any], list[Found]] = {}
        self._closures: dict[Any, set[Term]] = {}
        self.star = StarQueries(data, program.datatypes)

    def run(self) -> list[Result]:
        out: list[Result] = []
        for shape in self.program.top:
            nodes = TargetNodes(self.data, self.star, shape.node, shape.targets)
            out.extend(r for _, r in self.evaluate(shape, nodes))
        return out

    def evaluate(self, shape: Shape, nodes: Nodes) -> list[Found]:
        """The results of ``shape`` on ``nodes``, each with the node of ``nodes`` it concerns."""
        key = (shape.node, nodes.key)
        got = self._evaluated.get(key)
        if got is not None:
            return got
        out: list[Found] = []
        if not shape.deactivated:
            for c in shape.constraints:
                out.extend(c.results(self, shape, nodes))
            values = self.value_nodes(shape, nodes)
            for prop in shape.properties:  # sh:property: the property shape's own results
                for value, result in self.evaluate(prop, values):
                    out.extend((f, result) for f in self.focus_of(shape, nodes, value))
        self._evaluated[key] = out
        return out

    def nonconforming(self, shape: Shape, nodes: Nodes, any_result: bool = False) -> set[Term]:
        """The nodes that do not conform to ``shape``: as pySHACL decides it with warnings allowed,
        a node fails only on a result of another severity than Warning or Info, and never if
        ``shape`` itself has such a severity; for ``sh:node`` (``any_result``) any result counts."""
        if not any_result and shape.severity in _ALLOWED:
            return set()
        return {node for node, r in self.evaluate(shape, nodes) if any_result or r.severity not in _ALLOWED}

    def value_nodes(self, shape: Shape, nodes: Nodes) -> Nodes:
        return nodes if shape.path is None else ValueNodes(self.data, nodes, shape.path)

    def focus_of(self, shape: Shape, nodes: Nodes, value: Term) -> set[Term]:
        """The nodes of ``nodes`` that have ``value`` as a value node of ``shape``."""
        if shape.path is None:
            return {value}
        return nodes.contains(shape.path.sources(self.data, value))

    def failing_values(self, shape: Shape, nodes: Nodes, check: ValueCheck) -> Iterator[tuple[Term, Term]]:
        """(focus node, value node) pairs that fail ``check``."""
        where = check.restriction(self, "v") or NOTHING
        if shape.path is None:
            for v in _column(self.data, nodes.pattern("v", where), "v"):
                if check.fails(self, v):
                    yield v, v
            return
        path = shape.path
        scan = Sparql(f"{path.triple('?s', '?v')} {where.text}", path.footprint | where.footprint)
        for v in _column(self.data, scan, "v"):
            if check.fails(self, v):
                for f in nodes.contains(path.sources(self.data, v)):
                    yield f, v

    def single_valued(self, path: Path) -> bool:
        """Has every node at most one value of ``path``?"""
        rows = self.data.select(f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?m) WHERE "
                                f"{{ {path.triple('?s', '?v')} }}", ("n", "m"), path.footprint)
        return rows[0][0] == rows[0][1]

    def value_count(self, path: Path, focus: Term) -> int:
        """The number of value nodes, counted as rdflib terms (as pySHACL counts them)."""
        return len({self.data.rdf(v) for v in path.values(self.data, focus)})

    def closure(self, cls: URIRef) -> set[Term]:
        got = self._closures.get(cls)
        if got is None:
            got = self._closures[cls] = self.data.subclasses(to_ox(cls))
        return got

    def found(self, shape: Shape, focus: Term, component: URIRef, *, value: Term | None = None,
              generic: Callable[[], list[str]] = list, path: Any = None, extra: Sequence[Any] = (),
              bound: dict[str, Any] | None = None, origin: Term | None = None) -> Found:
        """A result as pySHACL's ``make_v_result`` builds it (messages included)."""
        if path is None and shape.path is not None:
            path = shape.path.node
        own = list(shape.messages)
        texts = [_message_text(m, bound) for m in extra if m not in own]
        if not extra and not own:
            texts = generic()
        texts += [_message_text(m, bound) for m in own]
        result = Result(focus=self.data.rdf(focus), path=path, value=self.data.rdf(value), component=component,
                        severity=shape.severity, shape=shape.node, messages=tuple(texts))
        return (focus if origin is None else origin), result

    def _data_pairs(self, node: Any) -> list[tuple[Any, Any]]:
        rdf = self.data.rdf
        return [(rdf(p), rdf(o)) for p, o in self.data.predicate_objects(to_ox(node))]


def _message_text(message: Any, bound: dict[str, Any] | None) -> str:
    if bound is not None and isinstance(message, Literal):
        return _format_message(str(message.value), bound)
    return str(message)


def validate_native(program: Program, data: Data) -> list[Result]:
    """All validation results of ``data`` against ``program`` (in no particular order)."""
    return Evaluator(program, data).run()


# --------------------------------------------------------------------------- compiling shapes
_SH_PREDICATES = {
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target", "path", "inversePath",
    "property", "node", "not", "and", "or", "xone", "class", "datatype", "nodeKind", "minCount",
    "maxCount", "minLength", "maxLength", "pattern", "flags", "in", "hasValue", "uniqueLang",
    "languageIn", "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "sparql", "select",
    "prefixes", "declare", "prefix", "namespace", "message", "severity", "deactivated",
    "name", "description", "order", "group", "defaultValue"}  # the last five are annotations
_SH_TYPES = {"NodeShape", "PropertyShape", "Shape", "SPARQLConstraint", "SPARQLTarget", "PropertyGroup"}
_SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)
_SHAPE_VALUES = (SH.property, SH.node, SH["not"])
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)
_WHOLE_INTEGERS = {XSD[n] for n in ("integer", "int", "long", "negativeInteger", "nonNegativeInteger",
                                    "nonPositiveInteger", "positiveInteger", "short", "unsignedByte",
                                    "unsignedInt", "unsignedLong", "unsignedShort")}


def compile_shapes(graph: rdflib.Graph) -> Program:
    """Read the shapes of ``graph``; raise :class:`UnsupportedShapes` on anything unsupported
    (or on what pySHACL refuses to load, so that it reports the problem itself)."""
    _check_vocabulary(graph)
    shapes = {node: _new_shape(graph, node, is_property) for node, is_property in _discover(graph).items()}
    for shape in shapes.values():
        shape.constraints = _constraints(graph, shape, shapes)
        shape.properties = [_referenced(shapes, p, "sh:property", want_property=True)
                            for p in graph.objects(shape.node, SH.property)]
    _refuse_recursion(graph, shapes)
    top = [s for s in shapes.values() if s.targets and not s.deactivated]
    datatypes: dict[str, set[str]] = {}
    for shape in shapes.values():
        for c in shape.constraints:
            if isinstance(c, DatatypeCheck) and shape.path is not None and not shape.path.inverse:
                datatypes.setdefault(shape.path.predicate.value, set()).add(str(c.rule))
    return Program(graph, shapes, top, datatypes)


def _local(iri: Any) -> str | None:
    text = str(iri)
    return text[len(str(SH)):] if isinstance(iri, URIRef) and text.startswith(str(SH)) else None


def _check_vocabulary(g: rdflib.Graph) -> None:
    for _, p, o in g:
        name = _local(p)
        if name is not None and name not in _SH_PREDICATES:
            raise UnsupportedShapes(f"sh:{name}")
        kind = _local(o) if p == RDF.type else None
        if kind is not None and kind not in _SH_TYPES:
            raise UnsupportedShapes(f"sh:{kind}")


def _discover(g: rdflib.Graph) -> dict[Any, bool]:
    """Every shape of the graph (pySHACL's rules) -> is it a property shape?"""
    declared_nodes = set(g.subjects(RDF.type, SH.NodeShape))
    declared_props = set(g.subjects(RDF.type, SH.PropertyShape))
    if declared_nodes & declared_props or any(g.value(s, SH.path) is not None for s in declared_nodes):
        raise UnsupportedShapes("a sh:NodeShape with a sh:path")
    implied = {s for p in _TARGETS + (SH.property, SH.node) for s in g.subjects(p, None)}
    implied |= {o for p in _SHAPE_VALUES for o in g.objects(None, p)}
    for p in _SHAPE_LISTS:
        for head in g.objects(None, p):
            members = list(g.items(head))
            if not members:
                raise UnsupportedShapes(f"an empty list as value of {g.namespace_manager.normalizeUri(p)}")
            implied.update(members)
    out: dict[Any, bool] = {}
    for node in declared_nodes | declared_props | implied:
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1 or (node in declared_props and not paths):
            raise UnsupportedShapes("a property shape without exactly one sh:path")
        out[node] = bool(paths) and node not in declared_nodes
    return out


def _new_shape(g: rdflib.Graph, node: Any, is_property: bool) -> Shape:
    deactivated = list(g.objects(node, SH.deactivated))
    severities = set(g.objects(node, SH.severity))
    if len(deactivated) > 1 or any(not isinstance(d, Literal) for d in deactivated) or len(severities) > 1:
        raise UnsupportedShapes("a shape with several or non-literal sh:deactivated, or several sh:severity")
    return Shape(node=node, path=_path(g, node) if is_property else None,
                 severity=next(iter(severities), SH.Violation), messages=tuple(set(g.objects(node, SH.message))),
                 deactivated=bool(deactivated and deactivated[0].value), targets=_targets(g, node))


def _path(g: rdflib.Graph, node: Any) -> Path:
    path = g.value(node, SH.path)
    if isinstance(path, URIRef):
        return Path(ox.NamedNode(str(path)), False, path)
    inverse = g.value(path, SH.inversePath) if isinstance(path, BNode) else None
    if isinstance(inverse, URIRef) and len(list(g.predicate_objects(path))) == 1:
        return Path(ox.NamedNode(str(inverse)), True, path)
    raise UnsupportedShapes("a sh:path that is neither a predicate nor sh:inversePath of one")


def _iris(g: rdflib.Graph, node: Any, predicate: URIRef) -> tuple[ox.NamedNode, ...]:
    values = list(g.objects(node, predicate))
    if any(not isinstance(v, URIRef) for v in values):
        raise UnsupportedShapes(f"a {g.namespace_manager.normalizeUri(predicate)} that is not an IRI")
    return tuple(ox.NamedNode(str(v)) for v in values)


def _targets(g: rdflib.Graph, node: Any) -> Targets:
    classes = _iris(g, node, SH.targetClass)
    class_types = set(g.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class, OWL.Class}
    if any(t in class_types for t in g.objects(node, RDF.type)):  # an implicit class target
        if not isinstance(node, URIRef):
            raise UnsupportedShapes("a blank node shape that is also a class")
        classes += (ox.NamedNode(str(node)),)
    nodes = tuple(g.objects(node, SH.targetNode))
    if any(isinstance(n, BNode) for n in nodes):
        raise UnsupportedShapes("a blank node as sh:targetNode")
    return Targets(classes=classes, nodes=nodes, subjects_of=_iris(g, node, SH.targetSubjectsOf),
                   objects_of=_iris(g, node, SH.targetObjectsOf),
                   selects=tuple(_sparql_target(g, t) for t in g.objects(node, SH.target)))


def _sparql_target(g: rdflib.Graph, target: Any) -> Select:
    selects = list(g.objects(target, SH.select))
    if len(selects) != 1 or not isinstance(selects[0], Literal):
        raise UnsupportedShapes("a sh:target that is not a sh:SPARQLTarget with one sh:select")
    return _select(g, target, str(selects[0]), constraint=False)


def _referenced(shapes: dict[Any, Shape], node: Any, via: str, want_property: bool | None = None) -> Shape:
    shape = shapes.get(node)
    if shape is None or (want_property is not None and (shape.path is not None) != want_property):
        raise UnsupportedShapes(f"{via} pointing to something that is not a well-formed shape of that kind")
    return shape


def _refuse_recursion(g: rdflib.Graph, shapes: dict[Any, Shape]) -> None:
    def refs(shape: Shape) -> Iterator[Any]:
        for p in _SHAPE_VALUES:
            yield from g.objects(shape.node, p)
        for p in _SHAPE_LISTS:
            for head in g.objects(shape.node, p):
                yield from g.items(head)

    done: set[Any] = set()

    def visit(node: Any, path: set[Any]) -> None:
        if node in path:
            raise UnsupportedShapes("recursive shapes")
        if node in done:
            return
        for ref in refs(shapes[node]):
            visit(ref, path | {node})
        done.add(node)

    for node in shapes:
        visit(node, set())


def _constraints(g: rdflib.Graph, shape: Shape, shapes: dict[Any, Shape]) -> list[Constraint]:
    return (_value_checks(g, shape) + _string_checks(g, shape) + _cardinality(g, shape)
            + _logical(g, shape, shapes) + _sparql_checks(g, shape))


def _one(g: rdflib.Graph, shape: Shape, predicate: URIRef) -> Any:
    values = list(g.objects(shape.node, predicate))
    if len(values) > 1:
        raise UnsupportedShapes(f"several values of {g.namespace_manager.normalizeUri(predicate)} on one shape")
    return values[0] if values else None


def _value_checks(g: rdflib.Graph, shape: Shape) -> list[Constraint]:
    out: list[Constraint] = []
    classes = list(g.objects(shape.node, SH["class"]))
    if any(not isinstance(c, URIRef) for c in classes):
        raise UnsupportedShapes("a sh:class that is not an IRI")
    out += [ClassCheck(c, tuple(classes)) for c in classes]
    if (datatype := _one(g, shape, SH.datatype)) is not None:
        out.append(DatatypeCheck(datatype))
    if (kind := _one(g, shape, SH.nodeKind)) is not None:
        out.append(NodeKindCheck(kind))
    if (members := _one(g, shape, SH["in"])) is not None:
        out.append(InCheck(tuple(g.items(members))))
    for parameter in _RANGES:
        bounds = tuple(g.objects(shape.node, parameter))
        if any(not isinstance(b, Literal) for b in bounds):
            raise UnsupportedShapes("a non-literal bound of a value range")
        out += [RangeCheck(parameter, b, bounds) for b in bounds]
    values = tuple(g.objects(shape.node, SH.hasValue))
    if any(isinstance(v, BNode) for v in values):
        raise UnsupportedShapes("a blank node as sh:hasValue")
    out += [HasValue(v, values) for v in values]
    return out


def _length(g: rdflib.Graph, shape: Shape, predicate: URIRef) -> Literal | None:
    limit = _one(g, shape, predicate)
    if limit is not None and (not isinstance(limit, Literal) or limit.ill_typed or limit.datatype not in
                              _WHOLE_INTEGERS or limit.value < 0):
        raise UnsupportedShapes(f"a {g.namespace_manager.normalizeUri(predicate)} that is not an integer >= 0")
    return limit


def _string_checks(g: rdflib.Graph, shape: Shape) -> list[Constraint]:
    out: list[Constraint] = []
    if (low := _length(g, shape, SH.minLength)) is not None and low.value > 0:
        out.append(LengthCheck(low, True))
    if (high := _length(g, shape, SH.maxLength)) is not None:
        out.append(LengthCheck(high, False))
    patterns = tuple(g.objects(shape.node, SH.pattern))
    if any(not isinstance(p, Literal) for p in patterns):
        raise UnsupportedShapes("a non-literal sh:pattern")
    flags = next(iter(set(g.objects(shape.node, SH.flags))), None)
    text = str(flags.value).lower() if isinstance(flags, Literal) else ""
    re_flags = (re.I if "i" in text else 0) | (re.M if "m" in text else 0)
    for p in patterns:
        try:
            regex = re.compile(str(p.value) if p.value is not None and len(p.value) > 1 else str(p), re_flags)
        except re.error as exc:
            raise UnsupportedShapes(f"a sh:pattern Python cannot compile: {exc}") from None
        out.append(PatternCheck(regex, patterns))
    if (languages := _one(g, shape, SH.languageIn)) is not None:
        tags = list(g.items(languages))
        if any(not isinstance(t, Literal) or not isinstance(t.value, str) for t in tags):
            raise UnsupportedShapes("a sh:languageIn list with a member that is not a string")
        out.append(LanguageInCheck(frozenset(str(t.value).lower() for t in tags), languages))
    return out


def _cardinality(g: rdflib.Graph, shape: Shape) -> list[Constraint]:
    out: list[Constraint] = []
    for predicate in (SH.minCount, SH.maxCount):
        count = _one(g, shape, predicate)
        if count is None:
            continue
        if shape.path is None or not isinstance(count, Literal) or count.datatype != XSD.integer or count.value < 0:
            raise UnsupportedShapes(f"a {g.namespace_manager.normalizeUri(predicate)} that is not an "
                                    "xsd:integer >= 0 on a property shape")
        if predicate == SH.maxCount or count.value > 0:
            out.append(Count(int(count.value), at_least=predicate == SH.minCount))
    unique = _one(g, shape, SH.uniqueLang)
    if unique is not None:
        if shape.path is None or not isinstance(unique, Literal) or not isinstance(unique.value, bool):
            raise UnsupportedShapes("a sh:uniqueLang that is not a boolean on a property shape")
        if unique.value:
            out.append(UniqueLang())
    return out


def _logical(g: rdflib.Graph, shape: Shape, shapes: dict[Any, Shape]) -> list[Constraint]:
    out: list[Constraint] = []
    for kind in _SHAPE_LISTS:
        heads = tuple(g.objects(shape.node, kind))
        for head in heads:
            members = list(g.items(head))
            if kind != SH.xone:
                members = list(dict.fromkeys(members))
            out.append(Logical(kind, tuple(_referenced(shapes, m, "a shape list") for m in members), heads))
    for kind in (SH["not"], SH.node):
        targets = tuple(g.objects(shape.node, kind))
        want = False if kind == SH.node else None
        out += [Logical(kind, (_referenced(shapes, t, "sh:node / sh:not", want),), targets) for t in targets]
    return out


def _sparql_checks(g: rdflib.Graph, shape: Shape) -> list[Constraint]:
    out: list[Constraint] = []
    for node in set(g.objects(shape.node, SH.sparql)):
        selects = list(g.objects(node, SH.select))
        messages = tuple(set(g.objects(node, SH.message)))
        deactivated = list(g.objects(node, SH.deactivated))
        if len(selects) != 1 or not isinstance(selects[0], Literal) or not isinstance(selects[0].value, str) \
                or any(not isinstance(m, Literal) or not isinstance(m.value, str) for m in messages) \
                or any(not isinstance(d, Literal) or not isinstance(d.value, bool) for d in deactivated):
            raise UnsupportedShapes("a sh:sparql constraint pySHACL would not load")
        if deactivated and deactivated[0].value:
            continue
        text = str(selects[0].value)
        if shape.path is not None:
            text = re.sub(r"([\s{}()])[\$\?]PATH", lambda m: m.group(1) + shape.path.sparql_path, text)
        elif re.search(r"[\$\?]PATH\b", text):
            raise UnsupportedShapes("$PATH in the sh:select of a node shape")
        out.append(SparqlCheck(_select(g, node, text, constraint=True), node, messages))
    return out
