"""Wire the stages: files -> SourceDocument -> spaCy Doc -> Letter -> quads -> store.

``build()`` is what ``navograph build`` runs. It streams documents (never holds the corpus),
uses ``nlp.pipe`` in batches, optionally several worker processes (``jobs``, forked from the
process that loaded the pipeline), keeps going when one file is bad (the error names the
file and the reason; ``$NAVOGRAPH_MAX_BYTES`` caps the file size, 50 MiB by default) and
writes each letter's named graph atomically (new graphs in batches with one bulk load,
existing ones replaced in one transaction), so an interrupted build leaves every graph
either old or new.
"""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import __version__, ontology_dir, vocab
from .ingest import DEFAULT_MAX_BYTES, IngestError, SourceDocument, iter_documents, read_document
from .model import Letter

Progress = Callable[[int, int | None, str], None]


@dataclass
class BuildResult:
    built: list[str] = field(default_factory=list)  # letter ids
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    triples: int = 0
    words: int = 0
    seconds: float = 0.0
    model: str = ""
    validation: object | None = None  # navograph.validate.ValidationReport

    @property
    def ok(self) -> bool:
        return not self.failed and (self.validation is None or self.validation.conforms)


def rules_fingerprint(folder: Path | None = None) -> str:
    """Hash of the package version and every rule/catalogue file: a change rebuilds all letters."""
    folder = folder or ontology_dir()
    h = hashlib.sha256(__version__.encode())
    for p in sorted(folder.glob("*")):
        if p.is_file() and p.suffix in {".ttl", ".yaml", ".yml", ".json"}:
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


class Analyser:
    """The catalogue and the spaCy pipeline, built once per process."""

    def __init__(self, model: str | None = None, use_default_model: bool = True):
        from .catalogue import load_catalogue
        from .nlp import build_pipeline, model_name

        self.catalogue = load_catalogue()
        self.nlp = build_pipeline(model, self.catalogue, use_default_model=use_default_model)
        self.model = model_name(self.nlp)

    def letter(self, src: SourceDocument, doc=None) -> Letter:
        from .extract import extract_letter
        from .nlp import spacy_text

        if doc is None:
            doc = self.nlp(spacy_text(src.text))
        return extract_letter(src, doc, self.catalogue)

    def quads(self, letter: Letter):
        from .rdf import letter_quads

        return letter_quads(letter, self.catalogue)


_DEFAULT_ANALYSERS: dict[bool, Analyser] = {}


def analyse_text(text: str, doc_id: str = "letter", analyser: Analyser | None = None) -> Letter:
    """Extract a Letter from a string (for tests, notebooks and fuzzing).

    Without ``analyser`` a default one is built once per process and reused.
    """
    from .ingest import normalise

    if analyser is None:
        analyser = _DEFAULT_ANALYSERS.get(True) or _DEFAULT_ANALYSERS.setdefault(True, Analyser())
    src = normalise(text, doc_id=doc_id, path=Path(f"{doc_id}.txt"))
    return analyser.letter(src)


# -- limits -------------------------------------------------------------------------------
MAX_BYTES_ENV = "NAVOGRAPH_MAX_BYTES"


def max_bytes_limit(value: int | str | None = None) -> int:
    """The largest file a build reads: ``value``, else ``$NAVOGRAPH_MAX_BYTES``, else 50 MiB.

    The variable takes a number of bytes, optionally with a suffix ``k``, ``M`` or ``G``
    (powers of 1024): ``NAVOGRAPH_MAX_BYTES=2M``.
    """
    if value is None:
        value = os.environ.get(MAX_BYTES_ENV) or None
    if value is None:
        return DEFAULT_MAX_BYTES
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip()
        mult = {"k": 2**10, "m": 2**20, "g": 2**30}.get(text[-1:].lower(), 1)
        digits = text[:-1] if mult > 1 else text
        try:
            n = int(digits.strip()) * mult
        except ValueError:
            raise ValueError(f"{MAX_BYTES_ENV}={value!r}: not a number of bytes (e.g. 52428800 or 50M)") from None
    if n <= 0:
        raise ValueError(f"{MAX_BYTES_ENV}={value!r}: the limit must be a positive number of bytes")
    return n


# -- analysing letters (in this process or in workers) -------------------------------------
_WORKER: Analyser | None = None


def _init_worker(model: str | None, use_default_model: bool) -> None:
    """Worker start-up. Forked workers inherit the parent's Analyser; others build their own.

    Then everything the worker holds so far (the pipeline, the catalogue) is moved out of the
    garbage collector's reach with ``gc.freeze()``: those objects live as long as the worker,
    and every full collection would otherwise walk them again (and, in a forked worker, write
    to the pages it shares with the parent).
    """
    import gc

    global _WORKER
    if _WORKER is None:
        _WORKER = Analyser(model, use_default_model)
    gc.freeze()


Outcome = tuple[str, str, "str | None", bytes, dict]  # (path, doc id, error, N-Quads, meta)


def _analyse_one(analyser: Analyser, src: SourceDocument, doc) -> Outcome:
    from pyoxigraph import RdfFormat, serialize

    letter = analyser.letter(src, doc)
    quads = analyser.quads(letter)
    data = serialize(quads, format=RdfFormat.N_QUADS) or b""
    meta = _meta(src, letter)
    meta["triples"] = len(quads)  # letter_quads yields each quad once
    return str(src.path), src.doc_id, None, data, meta


def _failure(path: str, exc: BaseException) -> Outcome:
    reason = exc.reason if isinstance(exc, IngestError) else f"{type(exc).__name__}: {exc}"
    return path, Path(path).stem, reason, b"", {}


def analyse_paths(analyser: Analyser, paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES) -> list[Outcome]:
    """Read, analyse and serialise a batch of letters; one bad letter never fails the batch.

    Texts go through ``nlp.pipe`` together (spaCy's batching); each letter's quads come
    back as N-Quads bytes (small to pickle, parsed in Rust by the writer).
    """
    from .nlp import spacy_text

    out: dict[int, Outcome] = {}
    srcs: list[tuple[int, SourceDocument]] = []
    for i, path in enumerate(paths):
        try:
            srcs.append((i, read_document(Path(path), max_bytes=max_bytes)))
        except Exception as exc:  # IngestError, or a bug in ingest: named, not fatal
            out[i] = _failure(path, exc)
    try:
        docs = list(analyser.nlp.pipe([spacy_text(s.text) for _, s in srcs], batch_size=max(1, len(srcs))))
    except Exception:  # find the culprit: one letter at a time
        docs = []
        for i, src in srcs:
            try:
                docs.append(analyser.nlp(spacy_text(src.text)))
            except Exception as exc:
                docs.append(exc)
    for (i, src), doc in zip(srcs, docs):
        if isinstance(doc, Exception):
            out[i] = _failure(str(src.path), doc)
            continue
        try:
            out[i] = _analyse_one(analyser, src, doc)
        except Exception as exc:  # report and go on with the next letter
            out[i] = _failure(str(src.path), exc)
    return [out[i] for i in range(len(paths))]


def _work(paths: list[str], max_bytes: int) -> list[Outcome]:
    assert _WORKER is not None
    return analyse_paths(_WORKER, paths, max_bytes)


def _meta(src: SourceDocument, letter: Letter) -> dict:
    return {"letter": src.doc_id, "source": str(src.path), "sha256": src.sha256,
            "words": len(src.text.split()), "stances": len(letter.stances),
            "mentions": len(letter.mentions), "meetings": len(letter.meetings)}


def _file_sha256(path: Path, max_bytes: int) -> str | None:
    """sha256 of a file's bytes (as ``read_document`` computes it), None if it cannot be read."""
    try:
        if path.stat().st_size > max_bytes:
            return None
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


# -- writing ------------------------------------------------------------------------------
def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class _Writer:
    """Writes analysed letters to the store in batches.

    New graphs go in with one bulk load per batch (:meth:`navograph.store.Store.bulk_add_graphs`:
    atomic, ~5x cheaper than a transaction); a letter whose graph exists is replaced in one
    transaction by the same call. Either way a reader, or a store left by a killed build,
    sees each graph old or new, never half. Metadata is recorded once per batch.
    """

    def __init__(self, store, fingerprint: str, result: BuildResult, max_letters: int = 64,
                 max_quads: int = 150_000):
        self.store = store
        self.fingerprint = fingerprint
        self.result = result
        self.max_letters = max_letters
        self.max_quads = max_quads
        self.pending: list[tuple[str, bytes, dict]] = []
        self.n_quads = 0

    def add(self, doc_id: str, data: bytes, meta: dict) -> None:
        self.pending.append((doc_id, data, meta))
        self.n_quads += meta.get("triples", 0)
        if len(self.pending) >= self.max_letters or self.n_quads >= self.max_quads:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        now = _now()
        batch = [(vocab.graph_iri(doc_id), data, dict(meta, rules=self.fingerprint, letter=doc_id, built_at=now))
                 for doc_id, data, meta in self.pending]
        # the N-Quads come from pyoxigraph.serialize in _analyse_one: their IRIs are valid
        self.result.triples += self.store.bulk_add_graphs(batch, lenient=True)
        for doc_id, _, meta in self.pending:
            self.result.words += meta.get("words", 0)
            self.result.built.append(doc_id)
        self.pending = []
        self.n_quads = 0


# -- the build ----------------------------------------------------------------------------
def build(paths: Iterable[Path], store_path: Path | str | None = None, *, model: str | None = None,
          jobs: int = 1, validate: bool = True, force: bool = False, batch_size: int = 16,
          use_default_model: bool = True, progress: Progress | None = None,
          max_bytes: int | None = None) -> BuildResult:
    """Build (or update) the store from letters and folders of letters.

    Documents are streamed: folders are walked lazily, at most ``4 * jobs`` batches of
    ``batch_size`` letters are in flight, and analysed letters are written in batches, so
    memory does not grow with the corpus. ``jobs > 1`` runs the analysis in worker
    processes (forked from this one where the platform allows, so they share the loaded
    pipeline instead of each building it). A file that cannot be read or analysed is
    recorded in ``result.failed`` with the reason; the rest is built. ``max_bytes`` (default
    ``$NAVOGRAPH_MAX_BYTES`` or 50 MiB) is the largest file read.
    """
    from .store import Store

    t0 = time.perf_counter()
    paths = [Path(p) for p in paths]
    limit = max_bytes_limit(max_bytes)
    result = BuildResult()
    fingerprint = rules_fingerprint()
    jobs = max(1, int(jobs))
    batch_size = max(1, int(batch_size))

    analyser = Analyser(model, use_default_model)
    result.model = analyser.model
    pools = _Pools(analyser, jobs, model, use_default_model) if jobs > 1 else None
    try:
        if pools is not None:
            pools.start()  # before the store is opened: forked workers hold no handle on it
        store = Store(store_path)
        try:
            _build_into(store, paths, result, fingerprint, analyser, pools, force, batch_size, limit, progress)
            store.ox.flush()
            if pools is not None:
                pools.close()
            if validate:
                from .validate import validate as run_validation

                result.validation = run_validation(store)
        finally:
            store.close()
    finally:
        if pools is not None:
            pools.close(cancel=True)
    result.seconds = time.perf_counter() - t0
    return result


class _Pools:
    """The worker pool of a build, and fresh ones when a worker dies."""

    def __init__(self, analyser: Analyser, jobs: int, model: str | None, use_default_model: bool):
        import multiprocessing as mp

        self.jobs = jobs
        self.initargs = (model, use_default_model)
        if "fork" in mp.get_all_start_methods():
            global _WORKER
            _WORKER = analyser  # inherited by forked workers: no second pipeline build
            self.ctx = mp.get_context("fork")
        else:  # pragma: no cover - platforms without fork
            self.ctx = mp.get_context("spawn")
        self.pool: ProcessPoolExecutor | None = None

    def new(self, workers: int) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=self.ctx, initializer=_init_worker,
                                   initargs=self.initargs)
        pool.submit(int).result()  # with fork, the first submit starts every worker
        return pool

    def start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = self.new(self.jobs)
        return self.pool

    def restart(self) -> ProcessPoolExecutor:
        self.close(cancel=True)
        return self.start()

    def close(self, cancel: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self.pool = None


def _build_into(store, paths: list[Path], result: BuildResult, fingerprint: str, analyser: Analyser,
                pools: _Pools | None, force: bool, batch_size: int, limit: int,
                progress: Progress | None) -> None:
    from .rdf import catalogue_quads, ontology_quads

    cat_meta = store.meta(vocab.CATALOGUE_GRAPH) if store.has_graph(vocab.CATALOGUE_GRAPH) else {}
    rules_changed = cat_meta.get("rules") != fingerprint
    if rules_changed or force:
        store.replace_graph(vocab.CATALOGUE_GRAPH, catalogue_quads(), {"source": "ontology/", "rules": fingerprint})
        store.replace_graph(vocab.ONTOLOGY_GRAPH, ontology_quads(),
                            {"source": "ontology/navograph.ttl", "rules": fingerprint})
    writer = _Writer(store, fingerprint, result)
    done = 0

    def up_to_date(path: Path) -> bool:
        if force or rules_changed:
            return False
        g = vocab.graph_iri(path.stem)
        if not store.has_graph(g):
            return False
        m = store.meta(g)
        return (m.get("rules") == fingerprint and m.get("sha256") is not None
                and m.get("sha256") == _file_sha256(path, limit))

    def batches() -> Iterator[list[str]]:
        seen: dict[str, str] = {}
        batch: list[str] = []
        for item in iter_documents(paths):
            if isinstance(item, IngestError):
                result.failed.append((str(item.path), item.reason))
                continue
            doc_id = item.stem
            try:
                doc_id.encode("utf-8")
            except UnicodeEncodeError:  # bytes that are not UTF-8 in the name (surrogateescape)
                result.failed.append((str(item), "file name is not valid UTF-8, so it cannot name a letter; rename it"))
                continue
            if doc_id in seen:
                result.failed.append((str(item), f"duplicate letter id {doc_id!r} (also {seen[doc_id]})"))
                continue
            seen[doc_id] = str(item)
            if up_to_date(item):
                result.unchanged.append(doc_id)
                continue
            batch.append(str(item))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def consume(outcomes: list[Outcome]) -> None:
        nonlocal done
        for path, doc_id, error, data, meta in outcomes:
            done += 1
            if error:
                result.failed.append((path, error))
            else:
                writer.add(doc_id, data, meta)
            if progress:
                progress(done, None, doc_id)

    if pools is None:
        for batch in batches():
            consume(analyse_paths(analyser, batch, limit))
    else:
        _run_pool(pools, batches(), consume, limit)
    writer.flush()


# Batches in flight per worker. While this process bulk-loads a batch of results (about 1 s
# per 64 letters), the workers go on only with what has been submitted: with 2 per worker
# they ran dry and waited; with 4 they keep busy (1,000 letters, 2 cores: 21.9 s -> 19.6 s;
# 8 gave no more and holds more results in memory).
IN_FLIGHT_PER_JOB = 4


def _run_pool(pools: _Pools, batches: Iterator[list[str]], consume, limit: int) -> None:
    """Keep ``IN_FLIGHT_PER_JOB * jobs`` batches in flight; results are consumed in submission order.

    If a worker dies (killed, out of memory, a crash in native code), the batches in
    flight are retried one letter at a time, each in a fresh one-worker pool, so only the
    letter that kills its worker is reported as failed; then the build goes on.
    """
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool

    window: deque = deque()
    exhausted = False
    pool = pools.start()
    while True:
        while not exhausted and len(window) < IN_FLIGHT_PER_JOB * pools.jobs:
            batch = next(batches, None)
            if batch is None:
                exhausted = True
                break
            window.append((batch, pool.submit(_work, batch, limit)))
        if not window:
            return
        batch, fut = window.popleft()
        try:
            outcomes = fut.result()
        except BrokenProcessPool:
            retry = [batch] + [b for b, _ in window]
            window.clear()
            pools.close(cancel=True)
            for b in retry:
                for path in b:
                    single = pools.new(1)
                    try:
                        consume(single.submit(_work, [path], limit).result())
                    except BrokenProcessPool:
                        consume([(path, Path(path).stem, "the worker process analysing it died "
                                  "(killed, out of memory or a crash in native code)", b"", {})])
                    finally:
                        single.shutdown(wait=False, cancel_futures=True)
            pool = pools.start()
            continue
        consume(outcomes)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
