"""Nothing is lost: interrupted builds, rebuilds, dying workers and failing writes.

* A build killed with SIGKILL half-way leaves the previous store readable and intact: every
  letter graph is either its old or its new version (never half), the materialised union
  still equals the named graphs, queries run, the metadata sidecar parses, exports made
  before are intact and new exports work; building again completes the store.
* A rebuild is idempotent: the same N-Quads bytes after a second build, a forced rebuild
  and a build with worker processes.
* A letter that kills its worker process, or makes extraction raise, is reported and the
  rest is built.
* An export that fails half-way leaves the previous file untouched.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import make_corpus  # noqa: E402

from navograph import vocab  # noqa: E402
from navograph.export import export_rdf  # noqa: E402
from navograph.pipeline import build  # noqa: E402
from navograph.store import META_FILE, Store  # noqa: E402
from navograph.storemeta import GraphMetadata, MetadataError  # noqa: E402


def letter_graphs(store: Path) -> dict[str, list[str]]:
    """Letter graph IRI -> its quads as sorted N-Quads lines."""
    out: dict[str, list[str]] = {}
    with Store(store, read_only=True) as st:
        for q in st.quads():
            g = q.graph_name.value
            if g not in (vocab.CATALOGUE_GRAPH, vocab.ONTOLOGY_GRAPH):
                out.setdefault(g, []).append(str(q))
    return {g: sorted(v) for g, v in out.items()}


def export_bytes(store: Path, tmp: Path, fmt: str = "nquads") -> bytes:
    target = tmp / f"export-{fmt}-{time.monotonic_ns()}"
    with Store(store, read_only=True) as st:
        export_rdf(st, fmt, target)
    data = target.read_bytes()
    target.unlink()
    return data


# --------------------------------------------------------------------------- SIGKILL
def _edited_seeds(folder: Path) -> None:
    folder.mkdir(parents=True)
    for p in sorted(SEEDS.glob("*.txt")):
        text = p.read_text(encoding="utf-8")
        (folder / p.name).write_text(text + "\n\nNederland steunt Oekraïne op 14 mei 2022 in Berlijn.\n",
                                     encoding="utf-8")


@pytest.mark.slow
def test_sigkill_mid_build_leaves_the_previous_store_intact(tmp_path):
    store = tmp_path / "store"
    r0 = build([SEEDS], store, validate=False, use_default_model=False)
    assert not r0.failed
    old = letter_graphs(store)
    with Store(store, read_only=True) as st:
        old_special = {g: st.count(g) for g in (vocab.CATALOGUE_GRAPH, vocab.ONTOLOGY_GRAPH)}
    old_export = tmp_path / "before.nq"
    with Store(store, read_only=True) as st:
        export_rdf(st, "nquads", old_export)
    old_export_bytes = old_export.read_bytes()

    # the new corpus: every seed edited (their graphs get replaced) plus 120 new letters
    corpus = tmp_path / "corpus"
    _edited_seeds(corpus / "a-seeds")
    make_corpus(corpus / "b-bench", 120)

    # the complete new version, for comparison
    ref = tmp_path / "ref"
    rr = build([corpus], ref, validate=False, use_default_model=False, jobs=2)
    assert not rr.failed and len(rr.built) == 125
    new = letter_graphs(ref)

    # build the new corpus over the old store and kill it (and its workers) half-way
    proc = subprocess.Popen(
        [sys.executable, "-m", "navograph", "build", str(corpus), "--store", str(store), "--blank",
         "--jobs", "2", "--no-validate", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    killed_with_new_letters = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            graphs = GraphMetadata(store, writable=False).graphs
        except (OSError, MetadataError):  # not written yet, or mid-compaction: look again
            graphs = {}
        if any("bench_" in g for g in graphs):
            os.killpg(proc.pid, signal.SIGKILL)
            killed_with_new_letters = True
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert killed_with_new_letters, f"the build ended before it could be killed: {proc.stderr.read()[-2000:]!r}"
    assert proc.returncode == -signal.SIGKILL

    # 1. every letter graph is old or new, never half; nothing else is there
    after = letter_graphs(store)
    assert set(after) <= set(old) | set(new)
    assert set(old) <= set(after)  # nothing that was there is lost
    n_new = 0
    for g, lines in after.items():
        assert lines == old.get(g) or lines == new.get(g), f"{g} is neither its old nor its new version"
        n_new += lines == new.get(g) and lines != old.get(g)
    assert 0 < n_new < len(new), "the kill should fall in the middle of the build"

    # 2. the store answers queries; the union (default graph) is consistent with the named graphs
    with Store(store, read_only=True) as st:
        assert {g: st.count(g) for g in old_special} == old_special
        res = list(st.query("SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { ?l a ng:Letter }"))
        assert int(res[0]["n"].value) == len(after)
        if hasattr(st, "rebuild_union"):
            union = {q.triple for q in st.quads()}
            default = {q.triple for q in st.ox.quads_for_pattern(None, None, None, ox.DefaultGraph())}
            assert default == union
    # 3. the metadata sidecar parses and describes graphs of the store
    meta = GraphMetadata(store, writable=False)
    assert set(meta.graphs) <= set(after) | set(old_special)
    assert not list(store.glob(f".{META_FILE}.*.tmp"))
    # 4. the export made before is intact; the interrupted store exports in every format
    assert old_export.read_bytes() == old_export_bytes
    ox.parse(old_export_bytes, format=ox.RdfFormat.N_QUADS)
    for fmt, rdf_format in (("nquads", ox.RdfFormat.N_QUADS), ("trig", ox.RdfFormat.TRIG),
                            ("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES)):
        data = export_bytes(store, tmp_path, fmt)
        assert list(ox.parse(data, format=rdf_format))
    json.loads(export_bytes(store, tmp_path, "jsonld"))

    # 5. building again completes the store: exactly the complete new version
    r2 = build([corpus], store, validate=False, use_default_model=False, jobs=2)
    assert not r2.failed
    assert letter_graphs(store) == new
    assert export_bytes(store, tmp_path) == export_bytes(ref, tmp_path)


# --------------------------------------------------------------------------- idempotence
@pytest.mark.slow
def test_rebuild_is_idempotent(tmp_path):
    store = tmp_path / "store"
    r1 = build([SEEDS], store, validate=False, use_default_model=False)
    first = export_bytes(store, tmp_path)
    r2 = build([SEEDS], store, validate=False, use_default_model=False)
    assert sorted(r2.unchanged) == sorted(r1.built) and not r2.built
    assert export_bytes(store, tmp_path) == first
    r3 = build([SEEDS], store, validate=False, use_default_model=False, force=True, jobs=2)
    assert sorted(r3.built) == sorted(r1.built)
    assert export_bytes(store, tmp_path) == first
    other = tmp_path / "other"
    build([SEEDS], other, validate=False, use_default_model=False, jobs=2, batch_size=2)
    assert export_bytes(other, tmp_path) == first


def test_an_edited_letter_replaces_only_its_graph(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    store = tmp_path / "store"
    build([corpus], store, validate=False, use_default_model=False)
    before = letter_graphs(store)
    victim = sorted(corpus.glob("*.txt"))[1]
    victim.write_text(victim.read_text(encoding="utf-8") + "\n\nDe NAVO-top vond plaats op 11 juli 2023 in Vilnius.\n",
                      encoding="utf-8")
    r = build([corpus], store, validate=False, use_default_model=False)
    assert r.built == [victim.stem] and len(r.unchanged) == 4
    after = letter_graphs(store)
    changed = {g for g in after if after[g] != before.get(g)}
    assert changed == {vocab.graph_iri(victim.stem)}


# --------------------------------------------------------------------------- failures
def test_a_letter_that_raises_is_reported_and_the_rest_is_built(tmp_path, monkeypatch):
    import navograph.pipeline as P

    real = P.Analyser.letter
    victim = sorted(SEEDS.glob("*.txt"))[2].stem

    def letter(self, src, doc=None):
        if src.doc_id == victim:
            raise RuntimeError("boom")
        return real(self, src, doc)

    monkeypatch.setattr(P.Analyser, "letter", letter)
    r = build([SEEDS], tmp_path / "store", validate=False, use_default_model=False)
    assert len(r.built) == 4 and victim not in r.built
    assert r.failed == [(str(SEEDS / f"{victim}.txt"), "RuntimeError: boom")]


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_a_letter_that_kills_its_worker_is_reported_and_the_rest_is_built(tmp_path, monkeypatch):
    import navograph.pipeline as P

    real = P.Analyser.letter
    victim = sorted(SEEDS.glob("*.txt"))[3].stem

    def letter(self, src, doc=None):  # forked workers inherit this patch
        if src.doc_id == victim:
            os._exit(137)  # as if killed by the OOM killer
        return real(self, src, doc)

    monkeypatch.setattr(P.Analyser, "letter", letter)
    r = build([SEEDS], tmp_path / "store", validate=False, use_default_model=False, jobs=2, batch_size=2)
    assert sorted(r.built) == sorted(p.stem for p in SEEDS.glob("*.txt") if p.stem != victim)
    assert len(r.failed) == 1 and r.failed[0][0].endswith(f"{victim}.txt")
    assert "worker process" in r.failed[0][1] and "died" in r.failed[0][1]
    assert set(letter_graphs(tmp_path / "store")) == {vocab.graph_iri(s) for s in r.built}


def test_an_export_that_fails_half_way_leaves_the_previous_file(tmp_path, monkeypatch, seeds_store):
    import navograph.store as S

    path, _ = seeds_store
    target = tmp_path / "graph.nq"
    with Store(path, read_only=True) as st:
        export_rdf(st, "nquads", target)
    before = target.read_bytes()

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(S.os, "fsync", failing_fsync)
    with Store(path, read_only=True) as st, pytest.raises(OSError):
        export_rdf(st, "turtle", target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.nq"]  # no temporary file left
