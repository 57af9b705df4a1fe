"""SHACL validation of navograph graphs: the native engine, with pySHACL as reference.

``validate(data)`` validates the RDF merge of every named graph of ``data`` plus the
ontology folder's Turtle files (vocabulary, catalogue, topic scheme; entities live there, and
``sh:class`` checks need their types) against ``ontology/shapes.ttl`` (no inference; SHACL-AF
on, for the SPARQL constraints and targets). Two engines give the same results:

* ``"native"`` (:mod:`navograph.shacl`) reads the data through pyoxigraph SPARQL; a navograph
  store is read in place (its default graph is the union of its named graphs), other inputs
  are loaded into an in-memory pyoxigraph store;
* ``"pyshacl"`` copies the data into an rdflib graph (:func:`data_graph`) for pySHACL.

``engine="auto"`` (the default) runs the native engine unless it reports that the shapes or
the data need something it does not implement; then it logs why and runs pySHACL.
``data`` may be:

* an iterable of :class:`pyoxigraph.Quad` / :class:`pyoxigraph.Triple`;
* a :class:`navograph.store.Store` (anything with ``.quads()``) or a :class:`pyoxigraph.Store`;
* a path to an RDF file (Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD; by extension);
* an :class:`rdflib.Graph` or :class:`rdflib.Dataset`.

The result is a :class:`ValidationReport`; ``report.text`` (usable as a string attribute or
called as ``report.text()``) is a compact summary grouped by shape and message, and
``report.engine`` names the engine that produced it.
"""
from __future__ import annotations

import functools
import itertools
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF as RDFNS, SH

from . import ontology_dir as _default_ontology_dir
from . import shacl
from .shacl import RdflibTerms
from .vocab import PREFIXES

SHAPES_FILE = "shapes.ttl"
SHAPES_NS = "https://w3id.org/navograph/shapes#"
ENGINES = ("auto", "native", "pyshacl")
_PREFIXES = sorted({**PREFIXES, "ngsh": SHAPES_NS}.items(), key=lambda kv: -len(kv[1]))


log = logging.getLogger(__name__)


class ValidationError(RuntimeError):
    """The data or the shapes cannot be read."""


# --------------------------------------------------------------------------- report
@dataclass(frozen=True, slots=True)
class Violation:
    """One SHACL validation result."""

    focus: str  # focus node (IRI, or _:id for a blank node)
    path: str | None  # result path, compact (ng:holder)
    message: str
    severity: str  # "Violation", "Warning" or "Info"
    shape: str  # the node shape, compact (ngsh:StanceShape)
    value: str | None = None  # the offending value, when there is one
    component: str | None = None  # constraint component, e.g. "MinCountConstraintComponent"


class _Text(str):
    """A str that can also be called: ``report.text`` and ``report.text()`` both work."""

    def __call__(self) -> str:
        return str(self)


@dataclass
class ValidationReport:
    conforms: bool  # no result of severity Violation
    violations: list[Violation] = field(default_factory=list)  # all results, any severity
    triples: int = 0  # size of the validated (merged) graph
    seconds: float = 0.0
    engine: str = "pyshacl"  # "native" or "pyshacl": which engine produced the results

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity != "Violation"]

    def messages(self) -> list[str]:
        return [v.message for v in self.violations]

    @property
    def text(self) -> _Text:
        return _Text(self._render())

    def __str__(self) -> str:
        return self._render()

    def _render(self, examples: int = 3) -> str:
        n_err, n_warn = len(self.errors), len(self.warnings)
        head = "conforms" if self.conforms else "does not conform"
        lines = [
            f"SHACL: {head}: {n_err} violation{'s' if n_err != 1 else ''}, "
            f"{n_warn} warning{'s' if n_warn != 1 else ''} "
            f"({self.triples} triples, {self.seconds:.2f} s, {self.engine} engine)"
        ]
        groups: dict[tuple[str, str, str, str], list[Violation]] = defaultdict(list)
        for v in self.violations:
            groups[(v.severity, v.shape, v.path or "", v.message)].append(v)
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        for (sev, shape, path, msg), items in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 3), kv[0][1:])):
            where = f"{shape} {path}".strip()
            lines.append(f"  [{sev}] {where}: {msg} ({len(items)}x)")
            focus = sorted({v.focus for v in items})
            shown = ", ".join(focus[:examples]) + (f", ... (+{len(focus) - examples})" if len(focus) > examples else "")
            lines.append(f"      {shown}")
            vals = sorted({v.value for v in items if v.value is not None})
            if vals:
                lines.append("      value: " + ", ".join(vals[:examples]) + (" ..." if len(vals) > examples else ""))
        return "\n".join(lines)


def compact(term: Any) -> str:
    """A short, readable form of an rdflib term (prefixed IRIs, quoted literals)."""
    if isinstance(term, URIRef):
        s = str(term)
        for pfx, ns in _PREFIXES:
            if s.startswith(ns) and len(s) > len(ns):
                return f"{pfx}:{s[len(ns):]}"
        return f"<{s}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        s = f'"{term}"'
        if term.language:
            return f"{s}@{term.language}"
        if term.datatype:
            return f"{s}^^{compact(URIRef(term.datatype))}"
        return s
    return str(term)


# --------------------------------------------------------------------------- conversion
class _CachedQueryGraph(rdflib.Graph):
    """An rdflib Graph that parses each SPARQL text once.

    pySHACL runs a SHACL-SPARQL constraint once per focus node with the same query text;
    rdflib would re-parse it every time (tens of ms each), which dominated validation time.
    """

    _prepared: dict[str, Any]

    def query(self, query_object: Any, processor: Any = "sparql", result: Any = "sparql",
              initNs: Any = None, initBindings: Any = None, use_store_provided: bool = True,
              **kwargs: Any) -> Any:  # noqa: N803 (rdflib's names)
        if isinstance(query_object, str) and not initNs and processor == "sparql":
            cache = self.__dict__.setdefault("_prepared", {})
            prepared = cache.get(query_object)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                prepared = cache[query_object] = prepareQuery(query_object, initNs=dict(self.namespaces()))
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings,
                             use_store_provided, **kwargs)


def _add_all(graph: rdflib.Graph, items: Iterable[Any]) -> None:
    term = RdflibTerms().term
    add = graph.add
    try:
        for q in items:
            add((term(q.subject), term(q.predicate), term(q.object)))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _oxigraph_file(path: Path) -> list:
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower()) if path.suffix else None
    if fmt is None:
        raise ValidationError(f"{path}: unknown RDF file extension {path.suffix!r}")
    try:
        return list(ox.parse(path=str(path), format=fmt))
    except SyntaxError as exc:
        raise ValidationError(f"{path}:{getattr(exc, 'lineno', '?')}: RDF syntax error: {exc}") from None
    except OSError as exc:
        raise ValidationError(f"{path}: {exc}") from None


@functools.lru_cache(maxsize=8)
def _ontology_triples(stamps: tuple[tuple[str, int], ...]) -> tuple[ox.Triple, ...]:
    """The triples of the ontology files, parsed once: both engines see the same blank nodes."""
    return tuple(t for path, _ in stamps for t in _oxigraph_file(Path(path)))


@functools.lru_cache(maxsize=8)
def _catalogue_triples(stamps: tuple[tuple[str, int], ...]) -> tuple:
    term = RdflibTerms().term
    return tuple((term(t.subject), term(t.predicate), term(t.object)) for t in _ontology_triples(stamps))


@functools.lru_cache(maxsize=8)
def _shapes(path: str, mtime: int) -> tuple[rdflib.Graph, dict[Any, Any]]:
    g = rdflib.Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises various parser exceptions
        raise ValidationError(f"{path}: cannot parse shapes: {exc}") from None
    parent: dict[Any, Any] = {}
    for node, prop in g.subject_objects(SH.property):
        parent[prop] = node
    return g, parent


def load_shapes(shapes_path: str | os.PathLike[str] | None = None) -> rdflib.Graph:
    """The shapes graph (parsed, cached)."""
    p = Path(shapes_path) if shapes_path else _default_ontology_dir() / SHAPES_FILE
    return _shapes(str(p.resolve()), p.stat().st_mtime_ns)[0]


def _stamp(p: Path) -> tuple[str, int]:
    try:
        return (str(p.resolve()), p.stat().st_mtime_ns)
    except FileNotFoundError:
        raise ValidationError(f"{p}: file not found") from None


def _ontology_stamps(ontology_dir: str | os.PathLike[str] | None) -> tuple[tuple[str, int], ...]:
    """navograph.ttl, catalogue.ttl, topics.ttl and any other reference data of the ontology
    folder (e.g. meetings.ttl), never the shapes."""
    base = Path(ontology_dir) if ontology_dir is not None else _default_ontology_dir()
    names = ["navograph.ttl", "catalogue.ttl", "topics.ttl"]
    names += sorted(p.name for p in base.glob("*.ttl") if p.name not in names and p.name != SHAPES_FILE)
    return tuple(_stamp(base / name) for name in names)


def data_graph(data: Any, ontology_dir: str | os.PathLike[str] | None = None,
               include_catalogue: bool = True) -> rdflib.Graph:
    """Everything in ``data`` (all named graphs merged) plus the ontology folder's Turtle files
    (navograph.ttl, catalogue.ttl, topics.ttl and any other reference data such as meetings.ttl;
    not shapes.ttl), as one rdflib Graph: what pySHACL validates.

    The ontology is needed for its rdfs:subClassOf triples (sh:class ng:Actor matches a ng:Country).
    """
    g = _CachedQueryGraph()
    if isinstance(data, (str, os.PathLike)):
        _add_all(g, _oxigraph_file(Path(data)))
    elif isinstance(data, rdflib.Dataset) or isinstance(data, rdflib.ConjunctiveGraph):
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
    elif isinstance(data, rdflib.Graph):
        for t in data:
            g.add(t)
    elif isinstance(data, ox.Store):
        _add_all(g, data.quads_for_pattern(None, None, None, None))
    elif hasattr(data, "quads") and callable(data.quads):
        _add_all(g, data.quads())
    else:
        _add_all(g, data)
    if include_catalogue:
        for t in _catalogue_triples(_ontology_stamps(ontology_dir)):
            g.add(t)
    return g


def native_data(data: Any, ontology_dir: str | os.PathLike[str] | None = None,
                include_catalogue: bool = True) -> shacl.Data:
    """The same data graph as :func:`data_graph`, for the native engine: a navograph store is
    read in place (plus the ontology-file triples it lacks), anything else is loaded into an
    in-memory pyoxigraph store. Raises :class:`navograph.shacl.UnsupportedData` when the
    native engine could not see exactly that graph."""
    from .store import Store

    reference = _ontology_triples(_ontology_stamps(ontology_dir)) if include_catalogue else ()
    if isinstance(data, Store) and _union_materialised(data):
        return shacl.over_store(data.ox, reference)
    if isinstance(data, (str, os.PathLike)):
        items: Iterable[Any] = _oxigraph_file(Path(data))
    elif isinstance(data, rdflib.Graph):  # Dataset and ConjunctiveGraph too
        items = _rdflib_triples(data)
    elif isinstance(data, ox.Store):
        items = data.quads_for_pattern(None, None, None, None)
    elif hasattr(data, "quads") and callable(data.quads):
        items = data.quads()
    else:
        items = data
    return shacl.in_memory(itertools.chain(items, reference))


def _union_materialised(store: Any) -> bool:
    """Does the store's default graph hold the union of its named graphs? navograph.store keeps
    it so (and repairs it when opened for writing); a store written before that has an empty
    default graph beside non-empty named graphs."""
    ask = store.ox.query
    return bool(ask("ASK { ?s ?p ?o }")) or not bool(ask("ASK { GRAPH ?g { ?s ?p ?o } }"))


def _rdflib_triples(graph: rdflib.Graph) -> Iterator[ox.Triple]:
    """rdflib triples as pyoxigraph triples; refuses literals Oxigraph reads otherwise (``"x"@EN``)."""
    back = RdflibTerms()
    triples = (q[:3] for q in graph.quads((None, None, None, None))) \
        if isinstance(graph, rdflib.ConjunctiveGraph) else iter(graph)
    for s, p, o in triples:
        obj = shacl.to_ox(o)
        if isinstance(o, Literal) and shacl.literal_key(back.term(obj)) != shacl.literal_key(o):
            raise shacl.UnsupportedData(f"Oxigraph reads the literal {o.n3()} as {obj}")
        yield ox.Triple(shacl.to_ox(s), shacl.to_ox(p), obj)


# --------------------------------------------------------------------------- validate
def validate(
    data: Any,
    shapes_path: str | os.PathLike[str] | None = None,
    ontology_dir: str | os.PathLike[str] | None = None,
    *,
    shapes: str | os.PathLike[str] | None = None,
    include_catalogue: bool = True,
    engine: str = "auto",
) -> ValidationReport:
    """Validate ``data`` (see module docstring) against the navograph SHACL shapes.

    ``shapes`` is an alias of ``shapes_path``. ``include_catalogue=False`` validates the data
    alone (then the ontology and the entities must be in the data for ``sh:class`` checks to pass).
    ``engine``: ``"auto"`` (native unless unsupported), ``"native"`` (raise
    :class:`navograph.shacl.NativeUnsupported` instead of falling back) or ``"pyshacl"``.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r} (one of {', '.join(ENGINES)})")
    t0 = time.perf_counter()
    sp = Path(shapes_path or shapes or (Path(ontology_dir) if ontology_dir is not None
                                        else _default_ontology_dir()) / SHAPES_FILE)
    stamp = _stamp(sp)
    shapes_graph, parent = _shapes(*stamp)
    if engine == "auto" and isinstance(data, Iterator):
        data = list(data)  # pySHACL may have to read it again after the native engine
    if engine != "pyshacl":
        try:
            program = _program(*stamp)
            graph = native_data(data, ontology_dir, include_catalogue)
            results = shacl.validate_native(program, graph)
            return _report(results, parent, graph.triple_count(), t0, "native")
        except shacl.NativeUnsupported as exc:
            if engine == "native":
                raise
            log.info("native SHACL engine not usable (%s); validating with pySHACL", exc)
    return _validate_pyshacl(data, shapes_graph, parent, ontology_dir, include_catalogue, t0)


@functools.lru_cache(maxsize=8)
def _program(path: str, mtime: int) -> shacl.Program:
    return shacl.compile_shapes(_shapes(path, mtime)[0])


def _validate_pyshacl(data: Any, shapes_graph: rdflib.Graph, parent: dict[Any, Any],
                      ontology_dir: str | os.PathLike[str] | None, include_catalogue: bool,
                      t0: float) -> ValidationReport:
    import pyshacl

    g = data_graph(data, ontology_dir, include_catalogue)
    _conforms, results, _text = pyshacl.validate(
        g, shacl_graph=shapes_graph, inference="none", advanced=True,
        allow_warnings=True, allow_infos=True, abort_on_first=False,
        inplace=True,  # g is our own merged copy; saves pySHACL a clone of it
    )
    return _report(_pyshacl_results(results), parent, len(g), t0, "pyshacl")


def _report(results: Iterable[shacl.Result], parent: dict[Any, Any], triples: int, t0: float,
            engine: str) -> ValidationReport:
    violations = sorted((_violation(r, parent) for r in results), key=_order)
    return ValidationReport(
        conforms=not any(v.severity == "Violation" for v in violations),
        violations=violations, triples=triples, seconds=time.perf_counter() - t0, engine=engine,
    )


def _order(v: Violation) -> tuple[Any, ...]:
    return (v.severity != "Violation", v.shape, v.path or "", v.message, v.focus, v.value or "", v.component or "")


def _pyshacl_results(results: rdflib.Graph) -> Iterator[shacl.Result]:
    """The results of pySHACL's report graph."""
    for r in results.subjects(RDFNS.type, SH.ValidationResult):
        yield shacl.Result(
            focus=results.value(r, SH.focusNode), path=results.value(r, SH.resultPath),
            messages=tuple(str(m) for m in results.objects(r, SH.resultMessage)),
            severity=results.value(r, SH.resultSeverity), shape=results.value(r, SH.sourceShape),
            value=results.value(r, SH.value), component=results.value(r, SH.sourceConstraintComponent),
        )


def _violation(r: shacl.Result, parent: dict[Any, Any]) -> Violation:
    shape = r.shape
    while shape in parent:
        shape = parent[shape]
    if isinstance(shape, BNode):
        shape_name = "(anonymous shape)"
    else:
        shape_name = compact(shape) if shape is not None else "?"
    msgs = sorted(set(r.messages))
    return Violation(
        focus=compact(r.focus) if r.focus is not None else "?",
        path=compact(r.path) if isinstance(r.path, URIRef) else (None if r.path is None else "(path)"),
        message=msgs[0] if msgs else "(no message)",
        severity=str(r.severity).rsplit("#", 1)[-1] if r.severity is not None else "Violation",
        shape=shape_name,
        value=compact(r.value) if r.value is not None else None,
        component=str(r.component).rsplit("#", 1)[-1] if r.component is not None else None,
    )
