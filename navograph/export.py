"""RDF exports of the store: Turtle, TriG, N-Quads, N-Triples and JSON-LD.

Every export is

* **deterministic**: the same store content gives byte-identical output, whatever order the
  store was filled in. Blank nodes (navograph mints none, but a foreign graph might hold
  some) are relabelled with RDFC-1.0 canonicalization. Build times live in the store's
  metadata sidecar, never in the RDF, so they cannot leak into an export.
* **streaming**: written graph by graph as it is read; memory holds one graph (plus, for
  the union, a bounded sort buffer), not the store.
* **atomic**: written to a temporary file in the target folder, fsynced, then
  ``os.replace``-d over the target (:func:`navograph.store.atomic_writer`). To stdout it
  streams as it goes.

The order (canonical: a function of the quads alone):

* Graphs in the order of their N-Triples names (``<iri>``, byte order of the UTF-8), except
  that graphs holding blank nodes (in practice only ``ngid:graph/ontology``) come after all
  the others: they are canonicalised together (a blank node shared by two graphs stays one)
  and so can only be written once all of them were read.
* Within a graph, triples in the byte order of their N-Triples lines (in effect subject,
  then predicate, then object), each distinct triple once.
* The union of the graph formats: the same order over the distinct triples of all graphs,
  found by an external merge sort: sorted runs of at most :data:`SORT_BUFFER_BYTES` are
  spilled to a temporary folder beside the output file (for a stream: the system's temporary
  folder) and merged. A store whose union fits in that buffer never touches the disk.
* Turtle/TriG: prefix lines in the order of :func:`turtle_prefixes`; the body as Oxigraph
  writes the triples in the order above (subjects and predicates grouped). JSON-LD: nodes in
  the order of their first triple, i.e. by subject.

What gets exported:

* ``trig``, ``nquads`` and ``jsonld`` are *dataset* formats: every named graph keeps its
  name (each letter graph, ``ngid:graph/catalogue`` and ``ngid:graph/ontology``).
* ``turtle`` and ``ntriples`` are *graph* formats: the "whole store" is the **union of all
  named graphs** (letter graphs + catalogue + ontology), each distinct triple written once
  (a triple asserted in two letter graphs, e.g. a meeting's description, appears once).
  With ``graph=`` only that graph's triples are written.

The data is read graph by graph from the named graphs (a ``CONSTRUCT`` of one graph,
serialized as N-Triples in Rust), never from the store's materialised union, so an export
does not depend on that copy being up to date. Ordering works on those N-Triples lines as
byte strings (sorted in C), not on Python term objects. Reading is the bulk of the cost
(Oxigraph looks up every term of every quad); sorting and writing are cheap next to it.

JSON-LD is written by this module (not by a generic serializer) so that it is compact:
it embeds the context of ``navograph/data/context.jsonld`` (the prefixes of
:data:`navograph.vocab.PREFIXES` and short terms for the common properties), writes one
``{"@id": graph, "@graph": [...]}`` object per named graph, nodes sorted by subject, and
falls back to compact IRIs and explicit value objects whenever a term's type coercion
does not fit a value, so the output always round-trips to the same dataset.
"""
from __future__ import annotations

import bisect
import io
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from navograph import vocab
from navograph.store import Store, atomic_writer, graph_iri_for

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
SORT_BUFFER_BYTES = 64 << 20
"""N-Triples held in memory while sorting the union; beyond that, sorted runs go to disk."""

_NT = ox.RdfFormat.N_TRIPLES
_NQ = ox.RdfFormat.N_QUADS
_PARSE_BATCH = 8192  # lines handed to the parser at once
_RDF_TYPE = vocab.RDF + "type"
_XSD_STRING = vocab.XSD + "string"
_XSD_BOOLEAN = vocab.XSD + "boolean"
_XSD_INTEGER = vocab.XSD + "integer"
_RDF_LANGSTRING = vocab.RDF + "langString"

GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
Graphs = Iterable[tuple[GraphName, list[bytes]]]
"""Graphs in export order, each with its sorted, distinct N-Triples lines (no newline)."""


class ExportError(Exception):
    """An export that cannot be made (unknown format, unknown graph, ...)."""


def normalise_format(fmt: str) -> str:
    f = FORMAT_ALIASES.get(fmt.lower().strip())
    if f is None:
        raise ExportError(f"unknown RDF format {fmt!r}; choose one of {', '.join(RDF_FORMATS)}")
    return f


# -- reading: graphs as sorted N-Triples lines ------------------------------------------------

def _graph_order(g: GraphName) -> tuple[bool, str]:
    return (not isinstance(g, ox.DefaultGraph), str(g))


def _graph_names(store: Store, graph: str | None) -> list[GraphName]:
    """The named graphs of ``store`` in name order, or just ``graph`` (ExportError if absent)."""
    if graph is None:
        return sorted(store.ox.named_graphs(), key=str)
    g = graph_iri_for(graph)
    if not store.has_graph(g):
        known = ", ".join(i.letter or i.graph for i in store.graphs()) or "none"
        raise ExportError(f"no graph {g} in store {store.path} (graphs: {known})")
    return [ox.NamedNode(g)]


def _store_graphs(store: Store, names: list[GraphName]) -> Iterator[tuple[GraphName, bytes]]:
    """The graphs ``names`` of ``store`` as N-Triples, read one at a time.

    A named graph is read with ``CONSTRUCT`` (serialized in Rust), which measured ~20 % less
    CPU than ``Store.dump(from_graph=...)``: that one also decodes the graph name of every
    quad. A graph named by a blank node cannot be named in a query and is dumped."""
    for name in names:
        buf = io.BytesIO()
        if isinstance(name, ox.NamedNode):
            store.ox.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}").serialize(buf, _NT)
        else:
            store.ox.dump(buf, format=_NT, from_graph=name)
        yield name, buf.getvalue()


def _quad_graphs(quads: Iterable[ox.Quad]) -> Iterator[tuple[GraphName, bytes]]:
    """In-memory ``quads`` grouped by graph (default graph first) as N-Triples."""
    by_graph: dict[GraphName, list[ox.Triple]] = {}
    for q in quads:
        by_graph.setdefault(q.graph_name, []).append(q.triple)
    for g in sorted(by_graph, key=_graph_order):
        yield g, ox.serialize(by_graph[g], format=_NT)


def _sorted_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return sorted(set(lines))


def _has_blank_nodes(data: bytes) -> bool:
    if b"_:" not in data:  # cheap test first; "_:" may also sit in a literal
        return False
    return any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
               for q in ox.parse(data, format=_NT))


def _canonical_graphs(raw: Iterable[tuple[GraphName, bytes]]) -> Iterator[tuple[GraphName, list[bytes]]]:
    """Graphs as sorted distinct N-Triples lines, in the order of ``raw``; graphs with blank
    nodes are held back and come last, relabelled together with RDFC-1.0 (so a blank node two
    graphs share stays one, and two graphs' blank nodes never merge)."""
    held: list[tuple[GraphName, bytes]] = []
    for g, data in raw:
        if isinstance(g, ox.BlankNode) or _has_blank_nodes(data):
            held.append((g, data))
        else:
            yield g, _sorted_lines(data)
    if not held:
        return
    ds = ox.Dataset()
    for g, data in held:
        for q in ox.parse(data, format=_NT):
            ds.add(ox.Quad(q.subject, q.predicate, q.object, g))
    del held
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    by_graph: dict[GraphName, list[ox.Triple]] = {}
    for q in ds:
        by_graph.setdefault(q.graph_name, []).append(q.triple)
    for g in sorted(by_graph, key=_graph_order):
        yield g, _sorted_lines(ox.serialize(by_graph[g], format=_NT))


def _slices(lines: list[bytes], n: int = _PARSE_BATCH) -> Iterator[list[bytes]]:
    return (lines[i:i + n] for i in range(0, len(lines), n))


def _merged(runs: list[Iterator[bytes]]) -> Iterator[list[bytes]]:
    """Merge runs of strictly increasing lines into batches of sorted distinct lines.

    Block by block, so that the work per line is done in C (``heapq.merge`` costs a Python
    step per line): each round holds a block of every run, takes from all of them the lines up
    to the smallest last line among the blocks (nothing not yet taken can come before it) and
    sorts those together."""
    size = max(1024, (8 * _PARSE_BATCH) // max(1, len(runs)))
    blocks: list[tuple[list[bytes], Iterator[bytes]]] = []
    for run in runs:
        if block := list(itertools.islice(run, size)):
            blocks.append((block, run))
    while blocks:
        frontier = min(block[-1] for block, _ in blocks)
        out: list[bytes] = []
        kept = []
        for block, run in blocks:
            cut = bisect.bisect_right(block, frontier)
            out += block[:cut]
            rest = block[cut:] or list(itertools.islice(run, size))
            if rest:
                kept.append((rest, run))
        blocks = kept
        out.sort()
        yield list(dict.fromkeys(out))


class _Union:
    """The distinct lines of many graphs, sorted: an external merge sort that holds at most
    ``limit`` bytes of lines in memory and spills sorted runs to a temporary folder in
    ``spill_dir`` (removed by :meth:`close`)."""

    def __init__(self, spill_dir: Path | str | None = None, limit: int | None = None) -> None:
        self.spill_dir = spill_dir
        self.limit = SORT_BUFFER_BYTES if limit is None else limit
        self.buf: list[bytes] = []
        self.size = 0
        self.runs: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def add(self, lines: list[bytes]) -> None:
        self.buf.extend(lines)
        self.size += sum(map(len, lines))
        if self.size > self.limit:
            self._spill()

    def _take(self) -> list[bytes]:
        lines = sorted(set(self.buf))
        self.buf, self.size = [], 0
        return lines

    def _spill(self) -> None:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=".navograph-sort-", dir=self.spill_dir)
        path = os.path.join(self._tmp.name, f"run{len(self.runs)}")
        with open(path, "wb") as fh:
            _write_lines(_slices(self._take()), fh)
        self.runs.append(path)

    def batches(self) -> Iterator[list[bytes]]:
        """The sorted distinct lines, in lists of some thousands."""
        if not self.runs:
            yield from _slices(self._take())
            return
        files = [open(p, "rb") for p in self.runs]
        try:
            # each line of a run ends in " .\n": rstrip() takes off just the newline
            runs = [map(bytes.rstrip, fh) for fh in files] + [iter(self._take())]
            yield from _merged(runs)
        finally:
            for fh in files:
                fh.close()

    def close(self) -> None:
        self.buf = []
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _write_lines(batches: Iterable[list[bytes]], out: IO[bytes]) -> None:
    for batch in batches:
        out.write(b"\n".join(batch) + b"\n")


def _parsed(batches: Iterable[list[bytes]], fmt: ox.RdfFormat = _NT) -> Iterator[ox.Quad]:
    for batch in batches:
        yield from ox.parse(b"\n".join(batch) + b"\n", format=fmt)


def _nquad_lines(g: GraphName, lines: list[bytes]) -> list[bytes]:
    """N-Triples lines (``<s> <p> <o> .``) as N-Quads lines of graph ``g``."""
    if isinstance(g, ox.DefaultGraph):
        return lines
    tail = f" {g} .".encode()
    return [ln[:-2] + tail for ln in lines]


# -- writing ---------------------------------------------------------------------------------

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


class _PrefixOrdered:
    """A binary writer for the serializer: holds back the leading ``@prefix`` lines until the
    first other line starts, writes them in the order of ``prefixes``, then passes through."""

    _P = b"@prefix "

    def __init__(self, out: IO[bytes], prefixes: dict[str, str]) -> None:
        self.out, self.prefixes = out, prefixes
        self.head: bytearray | None = bytearray()

    def write(self, data: bytes) -> int:
        if self.head is None:
            self.out.write(data)
        else:
            self.head += data
            if self._header_complete():
                self.close()
        return len(data)

    def flush(self) -> None:
        pass

    def _header_complete(self) -> bool:
        head, start = self.head, 0
        assert head is not None
        while True:
            start_of_line = bytes(head[start:start + len(self._P)])
            if len(start_of_line) < len(self._P):
                return not self._P.startswith(start_of_line)
            if start_of_line != self._P:
                return True
            nl = head.find(b"\n", start)
            if nl < 0:
                return False
            start = nl + 1

    def close(self) -> None:
        if self.head is not None:
            head, self.head = bytes(self.head), None
            self.out.write(_ordered_prefix_lines(head, self.prefixes))


def _serialize_ordered(items: Iterable[Any], out: IO[bytes], fmt: ox.RdfFormat) -> None:
    prefixes = turtle_prefixes()
    w = _PrefixOrdered(out, prefixes)
    ox.serialize(items, w, format=fmt, prefixes=prefixes)
    w.close()


def _union_batches(graphs: Graphs, spill_dir: Path | str | None) -> Iterator[list[bytes]]:
    union = _Union(spill_dir)
    try:
        for _, lines in graphs:
            union.add(lines)
        yield from union.batches()
    finally:
        union.close()


def _write(fmt: str, graphs: Graphs, out: IO[bytes], spill_dir: Path | str | None = None) -> None:
    """Write ``graphs`` (see :data:`Graphs`) to ``out`` in ``fmt`` (normalised)."""
    if fmt == "nquads":
        for g, lines in graphs:
            _write_lines(_slices(_nquad_lines(g, lines)), out)
    elif fmt == "trig":
        quads = (q for g, lines in graphs for q in _parsed(_slices(_nquad_lines(g, lines)), _NQ))
        _serialize_ordered(quads, out, ox.RdfFormat.TRIG)
    elif fmt == "jsonld":
        _write_jsonld(graphs, out)
    else:
        union = _union_batches(graphs, spill_dir)
        try:
            if fmt == "ntriples":
                _write_lines(union, out)
            else:
                _serialize_ordered(_parsed(union), out, ox.RdfFormat.TURTLE)
        finally:
            union.close()


class _Counted:
    """A binary writer that counts what passes through it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.n = out, 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.n += len(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def _plan(store: Store, fmt: str, graph: str | None) -> tuple[str, list[GraphName]]:
    """The normalised format and the graphs to read; ExportError if either is unknown."""
    return normalise_format(fmt), _graph_names(store, graph)


def _emit(store: Store, fmt: str, names: list[GraphName], out: IO[bytes], spill_dir: Path | str | None) -> int:
    counted = _Counted(out)
    _write(fmt, _canonical_graphs(_store_graphs(store, names)), counted, spill_dir)
    return counted.n


def write_rdf(
    store: Store, fmt: str, out: IO[bytes], graph: str | None = None, *,
    spill_dir: Path | str | None = None,
) -> int:
    """Stream the export of ``store`` (or of one graph) to the binary file ``out``.

    Raises :class:`ExportError` before writing anything if ``fmt`` or ``graph`` is unknown.
    ``spill_dir`` is where the union's sort may put temporary runs (default: the system's
    temporary folder). Returns the number of bytes written.
    """
    return _emit(store, *_plan(store, fmt, graph), out, spill_dir)


def serialize_quads(quads: Iterable[ox.Quad], fmt: str) -> bytes:
    """Serialize in-memory quads deterministically in one of :data:`RDF_FORMATS` (the same
    order as an export of a store holding them)."""
    fmt = normalise_format(fmt)
    buf = io.BytesIO()
    _write(fmt, _canonical_graphs(_quad_graphs(quads)), buf)
    return buf.getvalue()


def sorted_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """Quads deduplicated, blank nodes canonicalised, in export order (see the module docstring)."""
    return list(ox.parse(serialize_quads(quads, "nquads"), format=_NQ))


def sorted_triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of ``quads`` (graphs merged), in export order."""
    return [q.triple for q in ox.parse(serialize_quads(quads, "ntriples"), format=_NT)]


@contextmanager
def _opened(store: Store | str | Path | None) -> Iterator[Store]:
    """``store`` itself, or a read-only Store opened (and closed) for a path."""
    if isinstance(store, Store):
        yield store
        return
    st = Store(store, read_only=True)
    try:
        yield st
    finally:
        st.close()


def render_rdf(store: Store | str | Path | None, fmt: str, graph: str | None = None) -> bytes:
    """The export of the whole store (``graph=None``) or of one graph, as bytes."""
    buf = io.BytesIO()
    with _opened(store) as st:
        write_rdf(st, fmt, buf, graph)
    return buf.getvalue()


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
    exports the whole store (see the module docstring). The export is written as it is read;
    a failed export leaves an existing ``out`` untouched. Returns the number of bytes.
    """
    with _opened(store) as st:
        fmt, names = _plan(st, fmt, graph)  # fails before anything is written or created
        if out is None or str(out) == "-":
            s = stream if stream is not None else sys.stdout.buffer
            n = _emit(st, fmt, names, s, None)
            s.flush()
            return n
        target = Path(out)
        with atomic_writer(target) as fh:
            return _emit(st, fmt, names, fh, target.parent)


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


@lru_cache(maxsize=1 << 16)
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


def _node_objects(quads: Iterable[ox.Quad]) -> list[dict[str, Any]]:
    nodes: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for q in quads:  # one graph, sorted by subject
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


def _json(obj: Any, indent: int) -> str:
    """``obj`` as indented JSON, as it reads nested ``indent`` spaces deep."""
    return json.dumps(obj, indent=2, ensure_ascii=False).replace("\n", "\n" + " " * indent)


def _write_jsonld(graphs: Graphs, out: IO[bytes]) -> None:
    """A compact JSON-LD document (context embedded), written graph by graph: what
    ``json.dumps({"@context": ..., "@graph": [...]}, indent=2)`` would give. Default-graph
    nodes are top-level nodes; each named graph is one ``{"@id": g, "@graph": nodes}``."""
    out.write(('{\n  "@context": ' + _json(load_context(), 2) + ',\n  "@graph": [').encode("utf-8"))
    first = True
    for g, lines in graphs:
        if not lines:
            continue
        nodes = _node_objects(_parsed(_slices(lines)))
        items = nodes if isinstance(g, ox.DefaultGraph) else [{"@id": _id_of(g), "@graph": nodes}]
        for item in items:
            out.write(("\n    " if first else ",\n    ").encode("utf-8") + _json(item, 4).encode("utf-8"))
            first = False
    out.write(b"]\n}\n" if first else b"\n  ]\n}\n")
