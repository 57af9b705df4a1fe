"""RDF exports of the store: Turtle, TriG, N-Quads, N-Triples and JSON-LD.

Every export is

* **deterministic**: the same store content gives byte-identical output. Quads are
  sorted canonically by the N-Triples strings of (graph, subject, predicate, object) and
  serialized in that order; blank nodes (navograph mints none, but a foreign graph might
  hold some) are first relabelled with RDFC-1.0 canonicalization. Build times live in
  the store's metadata sidecar, never in the RDF, so they cannot leak into an export.
* **atomic**: written to a temporary file in the target folder, fsynced, then
  ``os.replace``-d over the target.

What gets exported:

* ``trig``, ``nquads`` and ``jsonld`` are *dataset* formats: every named graph keeps its
  name (each letter graph, ``ngid:graph/catalogue`` and ``ngid:graph/ontology``).
* ``turtle`` and ``ntriples`` are *graph* formats: the "whole store" is the **union of all
  named graphs** (letter graphs + catalogue + ontology), each distinct triple written once
  (a triple asserted in two letter graphs, e.g. a meeting's description, appears once).
  With ``graph=`` only that graph's triples are written.

JSON-LD is written by this module (not by a generic serializer) so that it is compact:
it embeds the context of ``navograph/data/context.jsonld`` (the prefixes of
:data:`navograph.vocab.PREFIXES` and short terms for the common properties), writes one
``{"@id": graph, "@graph": [...]}`` object per named graph, nodes sorted by ``@id``, and
falls back to compact IRIs and explicit value objects whenever a term's type coercion
does not fit a value, so the output always round-trips to the same dataset.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from navograph import vocab
from navograph.store import Store, atomic_write_bytes, graph_iri_for

RDF_FORMATS = ("turtle", "trig", "nquads", "ntriples", "jsonld")
FORMAT_ALIASES = {
    "ttl": "turtle", "turtle": "turtle",
    "trig": "trig",
    "nq": "nquads", "nquads": "nquads", "n-quads": "nquads",
    "nt": "ntriples", "ntriples": "ntriples", "n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld",
}
EXTENSIONS = {"turtle": ".ttl", "trig": ".trig", "nquads": ".nq", "ntriples": ".nt", "jsonld": ".jsonld"}
MEDIA_TYPES = {
    "turtle": "text/turtle", "trig": "application/trig", "nquads": "application/n-quads",
    "ntriples": "application/n-triples", "jsonld": "application/ld+json",
}
DATASET_FORMATS = {"trig", "nquads", "jsonld"}
CONTEXT_PATH = Path(__file__).resolve().parent / "data" / "context.jsonld"

_RDF_TYPE = vocab.RDF + "type"
_XSD_STRING = vocab.XSD + "string"
_XSD_BOOLEAN = vocab.XSD + "boolean"
_XSD_INTEGER = vocab.XSD + "integer"
_RDF_LANGSTRING = vocab.RDF + "langString"


class ExportError(Exception):
    """An export that cannot be made (unknown format, unknown graph, ...)."""


def normalise_format(fmt: str) -> str:
    f = FORMAT_ALIASES.get(fmt.lower().strip())
    if f is None:
        raise ExportError(f"unknown RDF format {fmt!r}; choose one of {', '.join(RDF_FORMATS)}")
    return f


# -- canonical quad order -------------------------------------------------------------------

def _canonical(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Relabel blank nodes canonically (RDFC-1.0) if there are any.

    Only the graphs that hold blank nodes (in practice the ontology graph) are canonicalised,
    together; the letter graphs, which have none, are passed through untouched.
    """
    bnode_graphs = {
        q.graph_name for q in quads
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
        or isinstance(q.graph_name, ox.BlankNode)
    }
    if not bnode_graphs:
        return quads
    ds = ox.Dataset([q for q in quads if q.graph_name in bnode_graphs])
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return [q for q in quads if q.graph_name not in bnode_graphs] + list(ds)


def sorted_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads deduplicated and sorted by the N-Triples strings of (graph, s, p, o)."""
    keyed = {}
    for q in _canonical(list(quads)):
        k = (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))
        keyed[k] = q
    return [keyed[k] for k in sorted(keyed)]


def sorted_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of ``quads`` (graphs merged), sorted by (s, p, o) strings."""
    keyed = {}
    for q in _canonical(list(quads)):
        t = q.triple
        keyed[(str(t.subject), str(t.predicate), str(t.object))] = t
    return [keyed[k] for k in sorted(keyed)]


def _select(store: Store, graph: str | None) -> list[ox.Quad]:
    if graph is None:
        return list(store.quads())
    g = graph_iri_for(graph)
    if not store.has_graph(g):
        known = ", ".join(i.letter or i.graph for i in store.graphs()) or "none"
        raise ExportError(f"no graph {g} in store {store.path} (graphs: {known})")
    return list(store.quads(g))


# -- serializers ----------------------------------------------------------------------------

def turtle_prefixes() -> dict[str, str]:
    """Prefixes for Turtle/TriG: vocab.PREFIXES plus one per entity kind and for meetings and
    graphs (``country:NL`` rather than ``ngid:country\\/NL``: a Turtle local name cannot hold
    an unescaped '/')."""
    out = dict(vocab.PREFIXES)
    for path in [p for p, _ in vocab.KIND_PATH.values()] + ["meeting", "graph", "letter"]:
        out.setdefault(path, f"{vocab.ID}{path}/")
    return out


def _ordered_prefix_lines(data: bytes, prefixes: dict[str, str]) -> bytes:
    """Put the leading ``@prefix`` lines in the order of ``prefixes`` (the serializer's own
    order is an implementation detail we do not want our bytes to depend on)."""
    lines = data.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"@prefix "):
        i += 1
    rank = {p.encode(): n for n, p in enumerate(prefixes)}
    head = sorted(lines[:i], key=lambda ln: (rank.get(ln.split(b" ", 2)[1].rstrip(b":"), len(rank)), ln))
    return b"\n".join(head + lines[i:])


def serialize_quads(quads: Iterable[ox.Quad], fmt: str) -> bytes:
    """Serialize quads deterministically in one of :data:`RDF_FORMATS`."""
    fmt = normalise_format(fmt)
    quads = list(quads)
    prefixes = turtle_prefixes()
    if fmt == "turtle":
        data = ox.serialize(sorted_triples(quads), format=ox.RdfFormat.TURTLE, prefixes=prefixes)
        return _ordered_prefix_lines(data, prefixes)
    if fmt == "ntriples":
        return ox.serialize(sorted_triples(quads), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "trig":
        data = ox.serialize(sorted_quads(quads), format=ox.RdfFormat.TRIG, prefixes=prefixes)
        return _ordered_prefix_lines(data, prefixes)
    if fmt == "nquads":
        return ox.serialize(sorted_quads(quads), format=ox.RdfFormat.N_QUADS)
    return jsonld_bytes(sorted_quads(quads))


def render_rdf(store: Store | str | Path | None, fmt: str, graph: str | None = None) -> bytes:
    """The export of the whole store (``graph=None``) or of one graph, as bytes."""
    own = not isinstance(store, Store)
    st = Store(store, read_only=True) if own else store
    try:
        return serialize_quads(_select(st, graph), fmt)
    finally:
        if own:
            st.close()


def export_rdf(
    store: Store | str | Path | None,
    fmt: str,
    out: Path | str | None = None,
    graph: str | None = None,
    *,
    stream: IO[bytes] | None = None,
) -> int:
    """Export RDF to ``out`` (atomically) or, if ``out`` is None, to ``stream``/stdout.

    ``graph`` is a letter id, a letter or graph IRI, ``catalogue`` or ``ontology``; None
    exports the whole store (see the module docstring). Returns the number of bytes.
    """
    data = render_rdf(store, fmt, graph)
    if out is None or str(out) == "-":
        s = stream if stream is not None else sys.stdout.buffer
        s.write(data)
        s.flush()
    else:
        atomic_write_bytes(Path(out), data)
    return len(data)


# -- JSON-LD --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def load_context() -> dict[str, Any]:
    """The ``@context`` object of navograph/data/context.jsonld."""
    return json.loads(CONTEXT_PATH.read_text(encoding="utf-8"))["@context"]


@lru_cache(maxsize=1)
def _context_tables() -> tuple[list[tuple[str, str]], dict[str, tuple[str, str | None]]]:
    ctx = load_context()
    prefixes: list[tuple[str, str]] = []
    terms: dict[str, tuple[str, str | None]] = {}  # property IRI -> (term, coercion IRI or "@id" or None)

    def expand(v: str) -> str:
        if ":" in v:
            p, local = v.split(":", 1)
            if p in ctx and isinstance(ctx[p], str) and not local.startswith("//"):
                return ctx[p] + local
        return v

    for key, val in ctx.items():
        if isinstance(val, str) and val.endswith(("/", "#")) and ":" not in key and "://" in val:
            prefixes.append((key, val))
    for key, val in ctx.items():
        if (key, val) in prefixes:
            continue
        if isinstance(val, str):
            prop, coerce = expand(val), None
        elif isinstance(val, dict) and "@id" in val:
            prop = expand(val["@id"])
            t = val.get("@type")
            coerce = "@id" if t == "@id" else (expand(t) if t else None)
        else:
            continue
        terms.setdefault(prop, (key, coerce))
    prefixes.sort(key=lambda kv: -len(kv[1]))  # longest namespace first
    return prefixes, terms


def _compact_iri(iri: str) -> str:
    prefixes, _ = _context_tables()
    for p, ns in prefixes:
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            if not local.startswith("//"):
                return f"{p}:{local}"
    return iri


def _id_of(term: Any) -> str:
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return _compact_iri(term.value)


def _value(term: Any) -> Any:
    """Generic JSON-LD value (no type coercion from the key)."""
    if isinstance(term, (ox.NamedNode, ox.BlankNode)):
        return {"@id": _id_of(term)}
    lit: ox.Literal = term
    dt = lit.datatype.value
    if lit.language:
        return {"@value": lit.value, "@language": lit.language}
    if dt == _XSD_STRING:
        return lit.value
    if dt == _XSD_BOOLEAN and lit.value in ("true", "false"):
        return lit.value == "true"
    if dt == _XSD_INTEGER:
        try:
            if str(int(lit.value)) == lit.value:
                return int(lit.value)
        except ValueError:
            pass
    return {"@value": lit.value, "@type": _compact_iri(dt)}


def _key_and_value(pred: str, obj: Any) -> tuple[str, Any]:
    _, terms = _context_tables()
    term = terms.get(pred)
    if term is not None:
        name, coerce = term
        if coerce is None:
            return name, _value(obj)
        if coerce == "@id" and isinstance(obj, (ox.NamedNode, ox.BlankNode)):
            return name, _id_of(obj)
        if (
            isinstance(obj, ox.Literal)
            and not obj.language
            and coerce != "@id"
            and obj.datatype.value == coerce
        ):
            return name, obj.value
    return _compact_iri(pred), _value(obj)


def _node_objects(quads: list[ox.Quad]) -> list[dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for q in quads:  # already sorted by (graph, s, p, o)
        sid = _id_of(q.subject)
        node = nodes.get(sid)
        if node is None:
            node = nodes[sid] = {"@id": sid}
            order.append(sid)
        pred = q.predicate.value
        if pred == _RDF_TYPE and isinstance(q.object, ox.NamedNode):
            key, val = "@type", _compact_iri(q.object.value)
        else:
            key, val = _key_and_value(pred, q.object)
        node.setdefault(key, []).append(val)
    out = []
    for sid in order:
        node = nodes[sid]
        obj: dict[str, Any] = {"@id": node.pop("@id")}
        if "@type" in node:
            types = node.pop("@type")
            obj["@type"] = types[0] if len(types) == 1 else types
        for key in sorted(node):
            vals = node[key]
            obj[key] = vals[0] if len(vals) == 1 else vals
        out.append(obj)
    return out


def jsonld_document(quads: list[ox.Quad]) -> dict[str, Any]:
    """A compact JSON-LD document (context embedded) for canonically sorted quads."""
    by_graph: dict[str, list[ox.Quad]] = {}
    default: list[ox.Quad] = []
    for q in quads:
        if isinstance(q.graph_name, ox.DefaultGraph):
            default.append(q)
        else:
            by_graph.setdefault(_id_of(q.graph_name), []).append(q)
    graph: list[dict[str, Any]] = _node_objects(default)
    for gid, gq in by_graph.items():
        graph.append({"@id": gid, "@graph": _node_objects(gq)})
    return {"@context": load_context(), "@graph": graph}


def jsonld_bytes(quads: list[ox.Quad]) -> bytes:
    doc = jsonld_document(quads)
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
