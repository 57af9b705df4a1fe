"""Benchmark ``navograph build`` end to end on a corpus made by scaling the seed letters.

    python benchmarks/bench_build.py --letters 100 1000 10000 --jobs 2

For each corpus size the script writes a corpus (see :func:`make_corpus`) to a temporary
folder (``--workdir`` to keep it) and runs, each in a fresh process so that peak memory is
measured per phase:

* **build**: ``navograph.pipeline.build(corpus, store, jobs=J, validate=False)``, the same
  call as ``navograph build --jobs J --no-validate``; wall time, words per second, CPU
  seconds and peak resident memory of the build process and of its largest worker;
* **tokenise**: bare spaCy tokenisation of the same texts in one process,
  ``spacy.blank("nl").pipe(texts)``: the floor any spaCy-based build stands on. The
  *ratio* is build time / tokenisation time;
* **validate**: ``navograph.validate.validate(store)``, what ``navograph build`` runs after
  the build: the native SHACL engine (``navograph/shacl.py``, the shapes compiled to SPARQL)
  over the store's union graph plus catalogue and ontology;
* **export**: ``navograph.export.export_rdf(store, fmt, file)`` for turtle, trig, nquads,
  ntriples and jsonld, each format in its own process (exports stream from the store).

Above ``--validate-max`` / ``--export-max`` letters (default 10,000) validation / exports
are skipped (the table says so), to keep a quick run quick: at 10,000 letters (~15 M
triples) the five exports take about 25 minutes together. A table is printed and the figures are
written as JSON to ``benchmarks/results/build-<timestamp>.json`` (git-ignored). This is a
benchmark, not a test.

The machine's load average is recorded with every phase: on a shared machine other
processes take CPU time from the build, and the CPU-second columns show what the build
itself used.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEEDS = ROOT / "seeds"
RESULTS = HERE / "results"
FORMATS = ("turtle", "trig", "nquads", "ntriples", "jsonld")

# --------------------------------------------------------------------------- the corpus
_YEAR = re.compile(r"(?<!\d)(20[0-3]\d)(?!\d)")
_BLOCKS = re.compile(r"\n[ \t]*\n")


def vary(text: str, i: int, n_seeds: int) -> str:
    """Letter ``i``'s variant of a seed text.

    The middle paragraphs (blank-line separated blocks after the first two and before the
    last three) are shuffled by a generator seeded with ``i``; every year 2000-2039 moves by
    ``(i // n_seeds) % 7 - 3`` (dates and meetings change, the prose keeps its shape).
    """
    rng = random.Random(i)
    blocks = _BLOCKS.split(text)
    if len(blocks) > 6:
        mid = blocks[2:-3]
        rng.shuffle(mid)
        blocks = blocks[:2] + mid + blocks[-3:]
    out = "\n\n".join(blocks)
    shift = (i // n_seeds) % 7 - 3
    if shift:
        out = _YEAR.sub(lambda m: str(int(m.group(1)) + shift), out)
    return out


def make_corpus(folder: Path, n: int, seeds: Path = SEEDS, per_folder: int = 100) -> list[Path]:
    """Write ``n`` varied copies of the seed letters under ``folder`` (sub-folders of
    ``per_folder``, named ``bench_<i>_<seed prefix>.txt``); deterministic."""
    base = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(Path(seeds).glob("*.txt"))]
    if not base:
        raise FileNotFoundError(f"no seed letters (*.txt) in {seeds}")
    out = []
    for i in range(n):
        stem, text = base[i % len(base)]
        sub = Path(folder) / f"part{i // per_folder:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        p = sub / f"bench_{i:05d}_{stem[:3]}.txt"
        p.write_text(vary(text, i, len(base)), encoding="utf-8")
        out.append(p)
    return out


def corpus_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).rglob("*.txt"))


# --------------------------------------------------------------------------- child phases
def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def phase_build(corpus: Path, store: Path, jobs: int, batch_size: int, model: str | None) -> dict:
    from navograph.pipeline import build

    t0 = time.perf_counter()
    r = build([corpus], store, model=model, jobs=jobs, validate=False, batch_size=batch_size,
              use_default_model=model is not None)
    wall = time.perf_counter() - t0
    return {
        "seconds": wall, "words": r.words, "triples": r.triples, "built": len(r.built),
        "failed": len(r.failed), "model": r.model,
        "cpu_main": _cpu(resource.RUSAGE_SELF), "cpu_workers": _cpu(resource.RUSAGE_CHILDREN),
        "rss_main_mb": _rss_mb(resource.RUSAGE_SELF), "rss_worker_mb": _rss_mb(resource.RUSAGE_CHILDREN),
    }


def phase_tokenise(corpus: Path) -> dict:
    import spacy

    nlp = spacy.blank("nl")
    files = corpus_files(corpus)

    def texts():
        for p in files:
            yield p.read_text(encoding="utf-8")

    t0 = time.perf_counter()
    tokens = words = 0
    for doc in nlp.pipe(texts()):
        tokens += len(doc)
        words += len(doc.text.split())
    return {"seconds": time.perf_counter() - t0, "tokens": tokens, "words": words,
            "rss_main_mb": _rss_mb(resource.RUSAGE_SELF)}


def phase_validate(store: Path) -> dict:
    from navograph.store import Store
    from navograph.validate import validate

    with Store(store, read_only=True) as st:
        t0 = time.perf_counter()
        report = validate(st)
        wall = time.perf_counter() - t0
    return {"seconds": wall, "conforms": report.conforms, "triples": report.triples,
            "violations": len(report.errors), "engine": report.engine,
            "rss_main_mb": _rss_mb(resource.RUSAGE_SELF)}


def phase_export(store: Path, out: Path, fmt: str) -> dict:
    from navograph.export import EXTENSIONS, export_rdf
    from navograph.store import Store

    with Store(store, read_only=True) as st:
        target = out / f"graph{EXTENSIONS[fmt]}"
        t0, c0 = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
        n = export_rdf(st, fmt, target)
        res = {"seconds": time.perf_counter() - t0, "cpu": _cpu(resource.RUSAGE_SELF) - c0, "bytes": n}
        target.unlink()
    res["rss_main_mb"] = _rss_mb(resource.RUSAGE_SELF)
    return res


def child(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("phase")
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--model")
    ap.add_argument("--format", choices=FORMATS)
    a = ap.parse_args(argv)
    if a.phase == "build":
        res = phase_build(a.corpus, a.store, a.jobs, a.batch_size, a.model)
    elif a.phase == "tokenise":
        res = phase_tokenise(a.corpus)
    elif a.phase == "validate":
        res = phase_validate(a.store)
    elif a.phase == "export":
        res = phase_export(a.store, a.out, a.format)
    else:
        raise SystemExit(f"unknown phase {a.phase}")
    print("RESULT " + json.dumps(res))


def run_child(*args: str) -> dict:
    load0 = os.getloadavg()[0]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    line = next(ln for ln in p.stdout.splitlines()[::-1] if ln.startswith("RESULT "))
    res = json.loads(line[len("RESULT "):])
    res["load_avg"] = round((load0 + os.getloadavg()[0]) / 2, 2)
    return res


# --------------------------------------------------------------------------- driver
def bench_size(n: int, work: Path, args) -> dict:
    corpus = work / f"corpus-{n}"
    if not (corpus / ".complete").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        make_corpus(corpus, n)
        (corpus / ".complete").write_text(str(n))
    store = work / f"store-{n}"
    shutil.rmtree(store, ignore_errors=True)
    row: dict = {"letters": n, "jobs": args.jobs}
    print(f"[{n} letters] build ...", flush=True)
    row["build"] = run_child("build", "--corpus", str(corpus), "--store", str(store), "--jobs", str(args.jobs),
                             "--batch-size", str(args.batch_size), *(["--model", args.model] if args.model else []))
    print(f"[{n} letters] tokenise ...", flush=True)
    row["tokenise"] = run_child("tokenise", "--corpus", str(corpus))
    if n <= args.validate_max:
        print(f"[{n} letters] validate ...", flush=True)
        row["validate"] = run_child("validate", "--store", str(store))
    if n <= args.export_max:
        row["export"] = {}
        for fmt in FORMATS:  # one process per format: peak memory per format
            print(f"[{n} letters] export {fmt} ...", flush=True)
            row["export"][fmt] = run_child("export", "--store", str(store), "--out", str(work), "--format", fmt)
    b, t = row["build"], row["tokenise"]
    row["words_per_second"] = b["words"] / b["seconds"]
    row["ratio_to_tokenise"] = b["seconds"] / t["seconds"]
    row["store_mb"] = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 2**20
    if not args.keep:
        shutil.rmtree(store, ignore_errors=True)
    return row


def table(rows: list[dict]) -> str:
    head = ["letters", "words", "build s", "words/s", "tok s", "ratio", "cpu main", "cpu workers",
            "rss main MB", "rss worker MB", "validate s", *[f"{f} s" for f in FORMATS], "load"]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        b, t = r["build"], r["tokenise"]
        v = r.get("validate")
        e = r.get("export")
        cells = [r["letters"], b["words"], f"{b['seconds']:.1f}", f"{r['words_per_second']:,.0f}",
                 f"{t['seconds']:.1f}", f"{r['ratio_to_tokenise']:.2f}", f"{b['cpu_main']:.1f}",
                 f"{b['cpu_workers']:.1f}", f"{b['rss_main_mb']:.0f}", f"{b['rss_worker_mb']:.0f}",
                 f"{v['seconds']:.1f}" if v else "skipped",
                 *[f"{e[f]['seconds']:.1f}" if e else "skipped" for f in FORMATS],
                 f"{b['load_avg']:.1f}"]
        lines.append(" | ".join(str(c) for c in cells))
    return "\n".join(lines)


def growth(rows: list[dict]) -> str:
    """Per phase and corpus size: seconds per 1,000 letters and peak memory of the phase's
    process. Flat seconds per 1,000 letters = linear growth; flat memory = streaming."""
    phases = [("build", lambda r: r["build"]), ("tokenise", lambda r: r["tokenise"]),
              ("validate", lambda r: r.get("validate")),
              *[(f"export {f}", lambda r, f=f: (r.get("export") or {}).get(f)) for f in FORMATS]]
    head = ["phase", *[f"{r['letters']:,} letters: s per 1k letters / peak MB" for r in rows]]
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for name, get in phases:
        cells = [name]
        for r in rows:
            d = get(r)
            cells.append("skipped" if not d else
                         f"{d['seconds'] * 1000 / r['letters']:.1f} / {d['rss_main_mb']:.0f}")
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=16, help="letters per worker task (nlp.pipe batch)")
    ap.add_argument("--model", help="spaCy model (default: the blank Dutch pipeline)")
    ap.add_argument("--validate-max", type=int, default=10000, help="skip validation above this many letters")
    ap.add_argument("--export-max", type=int, default=10000, help="skip exports above this many letters")
    ap.add_argument("--workdir", type=Path, help="keep corpora (and with --keep, stores) here")
    ap.add_argument("--keep", action="store_true", help="keep the stores")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="navograph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.letters:
            rows.append(bench_size(n, work, args))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    out = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"build-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print()
    print(table(rows))
    print()
    print(growth(rows))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
