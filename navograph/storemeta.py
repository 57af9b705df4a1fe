"""The metadata sidecar of a store: what navograph knows about each graph's build.

For every named graph the store records a small JSON object (``letter``, ``source``,
``sha256`` of the source file, ``rules`` fingerprint, ``built_at``, ``triples``, ...). It lives
*outside* the RDF, so that no triple depends on the time of a build, in an append-only
JSON Lines journal in the store folder, ``navograph-meta.jsonl``::

    {"default_graph": "materialised union of the named graphs", "format": 2}
    {"graph": "https://w3id.org/navograph/id/graph/D", "meta": {"letter": "D", ...}}
    {"graph": "https://w3id.org/navograph/id/graph/E", "removed": true}

Replaying the lines in order gives the current metadata (a later line for a graph replaces
an earlier one). Recording a batch of letters appends one block of lines and fsyncs it, so the
cost of a build's bookkeeping grows linearly with the number of letters (the JSON file of
earlier versions was rewritten whole for every batch: quadratic). When dead lines outnumber
live ones the journal is compacted: rewritten atomically (temporary file, fsync, rename).

A build killed in the middle of an append leaves a last line without its newline: it is
ignored when read and cut off before the next append, so the journal stays readable. A
graph written to the store whose metadata line never made it simply has no metadata; the
next build sees no sha256 for it and builds it again.

A store made by an older navograph (``navograph-meta.json``, one JSON document) is read as
it is, and converted to the journal the first time the store is opened read-write.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FILE = "navograph-meta.jsonl"
LEGACY_FILE = "navograph-meta.json"
FORMAT = 2


class MetadataError(Exception):
    """A metadata journal that cannot be read (corrupt line, unknown format)."""


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


class GraphMetadata:
    """The metadata of a store's graphs (graph IRI -> dict), backed by the journal.

    ``graphs`` is the current state; ``marker`` is the store's note on what its default
    graph holds (see :mod:`navograph.store`). ``writable=False`` never touches the files.
    """

    def __init__(self, folder: Path, *, writable: bool) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FILE
        self.writable = writable
        self.graphs: dict[str, dict[str, Any]] = {}
        self.marker: str | None = None
        self._lines = 0  # lines in the journal (live and dead), to decide on compaction
        self._valid_bytes = 0  # length of the journal up to its last complete line
        legacy = self.folder / LEGACY_FILE
        if self.path.exists():
            self._replay()
        elif legacy.exists():
            self._read_legacy(legacy)
            if writable:
                self.compact()
                legacy.unlink()

    # -- reading -------------------------------------------------------------------------
    def _replay(self) -> None:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise MetadataError(f"unreadable store metadata {self.path}: {exc}") from exc
        end = data.rfind(b"\n") + 1  # a torn last line (a killed append) is not a record
        self._valid_bytes = end
        for number, raw in enumerate(data[:end].splitlines(), 1):
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except ValueError as exc:
                raise MetadataError(f"{self.path}, line {number}: not JSON ({exc})") from None
            if not isinstance(rec, dict):
                raise MetadataError(f"{self.path}, line {number}: expected a JSON object")
            self._apply(rec, number)
            self._lines += 1

    def _apply(self, rec: dict[str, Any], number: int) -> None:
        if "format" in rec and rec["format"] != FORMAT:
            raise MetadataError(f"{self.path}, line {number}: unknown metadata format {rec['format']!r}")
        if "default_graph" in rec:
            self.marker = rec["default_graph"]
        graph = rec.get("graph")
        if graph is None:
            return
        if rec.get("removed"):
            self.graphs.pop(str(graph), None)
        elif isinstance(rec.get("meta"), dict):
            self.graphs[str(graph)] = dict(rec["meta"])
        else:
            raise MetadataError(f"{self.path}, line {number}: a graph line needs \"meta\" or \"removed\"")

    def _read_legacy(self, legacy: Path) -> None:
        try:
            data = json.loads(legacy.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MetadataError(f"unreadable store metadata {legacy}: {exc}") from exc
        if not isinstance(data, dict):
            raise MetadataError(f"unreadable store metadata {legacy}: expected a JSON object")
        self.marker = data.get("default_graph")
        self.graphs = {str(k): dict(v) for k, v in (data.get("graphs") or {}).items()}

    # -- writing -------------------------------------------------------------------------
    def record(self, items: Iterable[tuple[str, dict[str, Any]]] = (), *, removed: Iterable[str] = (),
               marker: str | None = None) -> None:
        """Set the metadata of ``items`` (graph, dict), forget ``removed`` graphs and note
        ``marker``: one durable append (or a compaction, when the journal is mostly dead)."""
        if not self.writable:
            raise MetadataError(f"store metadata {self.path} is open read-only")
        lines: list[bytes] = []
        if marker is not None and marker != self.marker:
            self.marker = marker
            lines.append(_line({"default_graph": marker}))
        for graph, info in items:
            info = dict(info)
            self.graphs[graph] = info
            lines.append(_line({"graph": graph, "meta": info}))
        for graph in removed:
            if self.graphs.pop(graph, None) is not None:
                lines.append(_line({"graph": graph, "removed": True}))
        if not lines:
            return
        if not self.path.exists() or self._lines + len(lines) > 2 * len(self.graphs) + 64:
            self.compact()
            return
        with open(self.path, "r+b") as fh:
            fh.truncate(self._valid_bytes)  # drop a torn line left by a killed append
            fh.seek(self._valid_bytes)
            block = b"".join(lines)
            fh.write(block)
            fh.flush()
            os.fsync(fh.fileno())
        self._valid_bytes += len(block)
        self._lines += len(lines)

    def compact(self) -> None:
        """Rewrite the journal with one line per live graph, atomically."""
        from .store import atomic_write_bytes

        head = {"format": FORMAT}
        if self.marker is not None:
            head["default_graph"] = self.marker
        block = _line(head) + b"".join(_line({"graph": g, "meta": self.graphs[g]}) for g in sorted(self.graphs))
        atomic_write_bytes(self.path, block)
        self._valid_bytes = len(block)
        self._lines = 1 + len(self.graphs)

    def clear(self, marker: str | None = None) -> None:
        """Forget every graph (one atomic rewrite)."""
        self.graphs = {}
        if marker is not None:
            self.marker = marker
        self.compact()
