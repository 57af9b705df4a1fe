"""SHACL validation of navograph graphs with pySHACL.

``validate(data)`` merges every named graph of ``data`` into one rdflib graph, adds the
catalogue and topic scheme (entities live there, and ``sh:class`` checks need their
types), and validates it against ``ontology/shapes.ttl`` (no inference; SHACL-AF on, for the
SPARQL constraints). ``data`` may be:

* an iterable of :class:`pyoxigraph.Quad` / :class:`pyoxigraph.Triple`;
* a :class:`navograph.store.Store` (anything with ``.quads()``) or a :class:`pyoxigraph.Store`;
* a path to an RDF file (Turtle, TriG, N-Triples, N-Quads, RDF/XML, JSON-LD; by extension);
* an :class:`rdflib.Graph` or :class:`rdflib.Dataset`.

The result is a :class:`ValidationReport`; ``report.text`` (usable as a string attribute or
called as ``report.text()``) is a compact summary grouped by shape and message.
"""
from __future__ import annotations

import functools
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF as RDFNS, SH

from . import ontology_dir as _default_ontology_dir
from .vocab import PREFIXES, XSD

SHAPES_FILE = "shapes.ttl"
SHAPES_NS = "https://w3id.org/navograph/shapes#"
_XSD_STRING = XSD + "string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_PREFIXES = sorted({**PREFIXES, "ngsh": SHAPES_NS}.items(), key=lambda kv: -len(kv[1]))


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
            f"{n_warn} warning{'s' if n_warn != 1 else ''} ({self.triples} triples, {self.seconds:.2f} s)"
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


class _Converter:
    """pyoxigraph terms -> rdflib terms, with a cache (IRIs and literals repeat a lot)."""

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
            dt = t.datatype.value
            if t.language:
                out = Literal(t.value, lang=t.language)
            elif dt == _XSD_STRING:
                out = Literal(t.value)
            else:
                out = Literal(t.value, datatype=URIRef(dt))
        elif isinstance(t, ox.DefaultGraph):
            out = None
        else:  # RDF-star triple terms are not used by navograph
            raise ValidationError(f"unsupported RDF term {t!r}")
        self.cache[t] = out
        return out

    def add_all(self, graph: rdflib.Graph, items: Iterable[Any]) -> None:
        term = self.term
        add = graph.add
        for q in items:
            add((term(q.subject), term(q.predicate), term(q.object)))


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
def _catalogue_triples(stamps: tuple[tuple[str, int], ...]) -> tuple:
    conv = _Converter()
    out = []
    for path, _ in stamps:
        for t in _oxigraph_file(Path(path)):
            out.append((conv.term(t.subject), conv.term(t.predicate), conv.term(t.object)))
    return tuple(out)


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


def data_graph(data: Any, ontology_dir: str | os.PathLike[str] | None = None,
               include_catalogue: bool = True) -> rdflib.Graph:
    """Everything in ``data`` (all named graphs merged) plus the ontology folder's Turtle files
    (navograph.ttl, catalogue.ttl, topics.ttl and any other reference data such as meetings.ttl;
    not shapes.ttl), as one rdflib Graph.

    The ontology is needed for its rdfs:subClassOf triples (sh:class ng:Actor matches a ng:Country).
    """
    g = _CachedQueryGraph()
    conv = _Converter()
    if isinstance(data, (str, os.PathLike)):
        conv.add_all(g, _oxigraph_file(Path(data)))
    elif isinstance(data, rdflib.Dataset) or isinstance(data, rdflib.ConjunctiveGraph):
        for s, p, o, _ in data.quads((None, None, None, None)):
            g.add((s, p, o))
    elif isinstance(data, rdflib.Graph):
        for t in data:
            g.add(t)
    elif isinstance(data, ox.Store):
        conv.add_all(g, data.quads_for_pattern(None, None, None, None))
    elif hasattr(data, "quads") and callable(data.quads):
        conv.add_all(g, data.quads())
    else:
        conv.add_all(g, data)
    if include_catalogue:
        base = Path(ontology_dir) if ontology_dir is not None else _default_ontology_dir()
        names = ["navograph.ttl", "catalogue.ttl", "topics.ttl"]
        # further reference data in the ontology folder (e.g. meetings.ttl), never the shapes
        names += sorted(p.name for p in base.glob("*.ttl") if p.name not in names and p.name != SHAPES_FILE)
        stamps = tuple(_stamp(base / name) for name in names)
        for t in _catalogue_triples(stamps):
            g.add(t)
    return g


# --------------------------------------------------------------------------- validate
def validate(
    data: Any,
    shapes_path: str | os.PathLike[str] | None = None,
    ontology_dir: str | os.PathLike[str] | None = None,
    *,
    shapes: str | os.PathLike[str] | None = None,
    include_catalogue: bool = True,
) -> ValidationReport:
    """Validate ``data`` (see module docstring) against the navograph SHACL shapes.

    ``shapes`` is an alias of ``shapes_path``. ``include_catalogue=False`` validates the data
    alone (then the ontology and the entities must be in the data for ``sh:class`` checks to pass).
    """
    import time

    import pyshacl

    t0 = time.perf_counter()
    base = Path(ontology_dir) if ontology_dir is not None else _default_ontology_dir()
    sp = Path(shapes_path or shapes or base / SHAPES_FILE)
    shapes_graph, parent = _shapes(*_stamp(sp))
    g = data_graph(data, base, include_catalogue)
    _conforms, results, _text = pyshacl.validate(
        g, shacl_graph=shapes_graph, inference="none", advanced=True,
        allow_warnings=True, allow_infos=True, abort_on_first=False,
        inplace=True,  # g is our own merged copy; saves pySHACL a clone of it
    )
    violations = _violations(results, parent)
    report = ValidationReport(
        conforms=not any(v.severity == "Violation" for v in violations),
        violations=violations, triples=len(g), seconds=time.perf_counter() - t0,
    )
    return report


def _violations(results: rdflib.Graph, parent: dict[Any, Any]) -> list[Violation]:
    out = []
    for r in results.subjects(RDFNS.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        msgs = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        sev = results.value(r, SH.resultSeverity)
        src = results.value(r, SH.sourceShape)
        value = results.value(r, SH.value)
        comp = results.value(r, SH.sourceConstraintComponent)
        shape = src
        while shape in parent:
            shape = parent[shape]
        if isinstance(shape, BNode):
            shape_name = "(anonymous shape)"
        else:
            shape_name = compact(shape) if shape is not None else "?"
        out.append(Violation(
            focus=compact(focus) if focus is not None else "?",
            path=compact(path) if isinstance(path, URIRef) else (None if path is None else "(path)"),
            message=msgs[0] if msgs else "(no message)",
            severity=str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation",
            shape=shape_name,
            value=compact(value) if value is not None else None,
            component=str(comp).rsplit("#", 1)[-1] if comp is not None else None,
        ))
    out.sort(key=lambda v: (v.severity != "Violation", v.shape, v.path or "", v.message, v.focus))
    return out
