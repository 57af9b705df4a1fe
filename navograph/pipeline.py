"""Wire the stages: files -> SourceDocument -> spaCy Doc -> Letter -> quads -> store.

``build()`` is what ``navograph build`` runs. It streams documents (never holds the corpus),
uses ``nlp.pipe`` in batches, optionally several worker processes (``jobs``), keeps going
when one file is bad (the error names the file and the reason) and replaces each letter's
named graph in one transaction, so an interrupted build leaves every graph either old or new.
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
from .ingest import IngestError, SourceDocument, iter_documents, read_document
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

        if doc is None:
            doc = self.nlp(src.text)
        return extract_letter(src, doc, self.catalogue)

    def quads(self, letter: Letter):
        from .rdf import letter_quads

        return letter_quads(letter, self.catalogue)


def analyse_text(text: str, doc_id: str = "letter", analyser: Analyser | None = None) -> Letter:
    """Extract a Letter from a string (for tests, notebooks and fuzzing)."""
    from .ingest import normalise

    analyser = analyser or Analyser()
    src = normalise(text, doc_id=doc_id, path=Path(f"{doc_id}.txt"))
    return analyser.letter(src)


# -- worker processes -------------------------------------------------------------------
_WORKER: Analyser | None = None


def _init_worker(model: str | None, use_default_model: bool) -> None:
    global _WORKER
    _WORKER = Analyser(model, use_default_model)


def _work(path: str) -> tuple[str, str, str | None, bytes, dict]:
    """Run one file in a worker; return (path, doc_id, error, nquads, meta)."""
    from pyoxigraph import RdfFormat, serialize

    assert _WORKER is not None
    try:
        src = read_document(Path(path))
        letter = _WORKER.letter(src)
        data = serialize(_WORKER.quads(letter), format=RdfFormat.N_QUADS) or b""
        return path, src.doc_id, None, data, _meta(src, letter)
    except IngestError as exc:
        return path, Path(path).stem, exc.reason, b"", {}
    except Exception as exc:  # one bad letter must not stop the build
        return path, Path(path).stem, f"{type(exc).__name__}: {exc}", b"", {}


def _meta(src: SourceDocument, letter: Letter) -> dict:
    return {"letter": src.doc_id, "source": str(src.path), "sha256": src.sha256,
            "words": len(src.text.split()), "stances": len(letter.stances),
            "mentions": len(letter.mentions), "meetings": len(letter.meetings)}


def _sources(paths: Iterable[Path], result: BuildResult) -> Iterator[SourceDocument]:
    seen: dict[str, str] = {}
    for item in iter_documents(paths):
        if isinstance(item, IngestError):
            result.failed.append((str(item.path), item.reason))
            continue
        try:
            src = read_document(item)
        except IngestError as exc:
            result.failed.append((str(exc.path), exc.reason))
            continue
        if src.doc_id in seen:
            result.failed.append((str(item), f"duplicate letter id {src.doc_id!r} (also {seen[src.doc_id]})"))
            continue
        seen[src.doc_id] = str(item)
        yield src


def build(paths: Iterable[Path], store_path: Path | str | None = None, *, model: str | None = None,
          jobs: int = 1, validate: bool = True, force: bool = False, batch_size: int = 16,
          use_default_model: bool = True, progress: Progress | None = None) -> BuildResult:
    from .rdf import catalogue_quads, ontology_quads
    from .store import Store

    t0 = time.perf_counter()
    paths = [Path(p) for p in paths]
    result = BuildResult()
    fingerprint = rules_fingerprint()
    store = Store(store_path)
    try:
        cat_meta = store.meta(vocab.CATALOGUE_GRAPH) if store.has_graph(vocab.CATALOGUE_GRAPH) else {}
        rules_changed = cat_meta.get("rules") != fingerprint
        if rules_changed or force:
            store.replace_graph(vocab.CATALOGUE_GRAPH, catalogue_quads(), {"source": "ontology/", "rules": fingerprint})
            store.replace_graph(vocab.ONTOLOGY_GRAPH, ontology_quads(), {"source": "ontology/navograph.ttl", "rules": fingerprint})

        def up_to_date(src: SourceDocument) -> bool:
            g = vocab.graph_iri(src.doc_id)
            if force or rules_changed or not store.has_graph(g):
                return False
            m = store.meta(g)
            return m.get("sha256") == src.sha256 and m.get("rules") == fingerprint

        done = 0

        def store_letter(doc_id: str, quads, meta: dict) -> None:
            nonlocal done
            meta = dict(meta, rules=fingerprint)
            result.triples += store.replace_graph(vocab.graph_iri(doc_id), quads, meta)
            result.words += meta.get("words", 0)
            result.built.append(doc_id)

        if jobs <= 1:
            analyser = Analyser(model, use_default_model)
            result.model = analyser.model
            def pending() -> Iterator[tuple[str, SourceDocument]]:
                for src in _sources(paths, result):
                    if up_to_date(src):
                        result.unchanged.append(src.doc_id)
                    else:
                        yield src.text, src

            stream = pending()
            for doc, src in analyser.nlp.pipe(stream, as_tuples=True, batch_size=batch_size):
                try:
                    letter = analyser.letter(src, doc)
                    store_letter(src.doc_id, analyser.quads(letter), _meta(src, letter))
                except Exception as exc:  # report and go on with the next letter
                    result.failed.append((str(src.path), f"{type(exc).__name__}: {exc}"))
                done += 1
                if progress:
                    progress(done, None, src.doc_id)
        else:
            from pyoxigraph import RdfFormat, parse

            todo: list[str] = []
            for item in iter_documents(paths):
                if isinstance(item, IngestError):
                    result.failed.append((str(item.path), item.reason))
                else:
                    todo.append(str(item))
            with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                     initargs=(model, use_default_model)) as pool:
                seen: set[str] = set()
                for path, doc_id, error, data, meta in pool.map(_work, todo, chunksize=max(1, batch_size // 2)):
                    done += 1
                    if error:
                        result.failed.append((path, error))
                    elif doc_id in seen:
                        result.failed.append((path, f"duplicate letter id {doc_id!r}"))
                    else:
                        seen.add(doc_id)
                        quads = parse(data, format=RdfFormat.N_QUADS)
                        store_letter(doc_id, quads, meta)
                    if progress:
                        progress(done, len(todo), doc_id)
            from .nlp import DEFAULT_MODEL
            result.model = model or ("blank:nl" if not use_default_model else f"{DEFAULT_MODEL} or blank:nl")
        store.ox.flush()
        if validate:
            from .validate import validate as run_validation

            result.validation = run_validation(store.quads())
    finally:
        store.close()
    result.seconds = time.perf_counter() - t0
    return result


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
