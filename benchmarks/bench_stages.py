"""CPU time per letter of each analysis stage, in one process, and a digest of the output.

    python benchmarks/bench_stages.py CORPUS [--digest FILE | --check FILE]

``CORPUS`` is a folder (its ``*.txt`` files, recursively) or one file. The letters go
through the stages of :func:`navograph.pipeline.analyse_paths` in batches of
``--batch-size``, each stage timed with ``time.process_time`` (CPU time of this process,
so other work on a shared machine does not count):

* **read**: ``ingest.read_document`` (read, decode, normalise);
* **spacy**: ``analyser.nlp.pipe`` over the batch (tokeniser, sentences, lemmas, entity ruler);
* **extract**: ``extract.extract_letter`` without the time spent in ``stances.extract_stances``;
* **stances**: ``stances.extract_stances``;
* **quads**: ``rdf.letter_quads``;
* **serialise**: ``pyoxigraph.serialize(quads, N_QUADS)``.

In the same run the script times bare spaCy tokenisation of the same files
(``spacy.blank("nl").pipe(texts)``, reading the files included, as ``bench_build.py``
does) and prints the ratio of the analysis to it, and the CPU time of ``Analyser()``
start-up (``load_catalogue`` and ``build_pipeline``).

``--digest FILE`` writes the sha256 of every letter's N-Quads (one line per letter, sorted
by path relative to ``CORPUS``); ``--check FILE`` compares with such a file and exits with
status 1 on any difference. The N-Quads contain each letter's path (``ng:sourceFile``) as
given, so compare digests of runs that name the corpus the same way. A benchmark, not a test.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import pstats
import sys
import time
from pathlib import Path

STAGES = ("read", "spacy", "extract", "stances", "quads", "serialise")


def corpus_files(corpus: Path) -> list[Path]:
    return [corpus] if corpus.is_file() else sorted(corpus.rglob("*.txt"))


def startup(model: str | None) -> dict:
    """CPU seconds of ``Analyser()``: the catalogue, then the pipeline (fresh process: nothing cached)."""
    import spacy  # noqa: F401  (imports are not start-up)

    from navograph import catalogue, nlp, pipeline  # noqa: F401

    t0 = time.process_time()
    catalogue.load_catalogue()
    t1 = time.process_time()
    analyser = pipeline.Analyser(model, use_default_model=model is not None)  # the catalogue is cached now
    t2 = time.process_time()
    return {"analyser": analyser, "catalogue_s": t1 - t0, "pipeline_s": t2 - t1, "startup_s": t2 - t0}


class _StanceTimer:
    """Wraps ``stances.extract_stances`` (which ``extract_letter`` imports when it runs) to time it."""

    def __init__(self):
        from navograph import stances

        self.module = stances
        self.real = stances.extract_stances
        self.seconds = 0.0

    def __call__(self, ctx, letter):
        t0 = time.process_time()
        try:
            return self.real(ctx, letter)
        finally:
            self.seconds += time.process_time() - t0

    def __enter__(self):
        self.module.extract_stances = self
        return self

    def __exit__(self, *exc):
        self.module.extract_stances = self.real


def analyse(analyser, files: list[Path], batch_size: int) -> tuple[dict[str, float], dict[str, str]]:
    """One pass over ``files``: CPU seconds per stage and {path: sha256 of its N-Quads or error}."""
    from pyoxigraph import RdfFormat, serialize

    from navograph.ingest import read_document
    from navograph.nlp import spacy_text

    clock = time.process_time
    secs = dict.fromkeys(STAGES, 0.0)
    digests: dict[str, str] = {}
    with _StanceTimer() as st:
        for b in range(0, len(files), batch_size):
            batch = files[b:b + batch_size]
            t = clock()
            srcs = []
            for p in batch:
                try:
                    srcs.append(read_document(p))
                except Exception as exc:
                    digests[str(p)] = f"FAILED {type(exc).__name__}: {exc}"
            t, secs["read"] = clock(), secs["read"] + clock() - t
            docs = list(analyser.nlp.pipe([spacy_text(s.text) for s in srcs], batch_size=max(1, len(srcs))))
            t, secs["spacy"] = clock(), secs["spacy"] + clock() - t
            for src, doc in zip(srcs, docs):
                t0 = clock()
                st0 = st.seconds
                letter = analyser.letter(src, doc)
                t1 = clock()
                secs["extract"] += (t1 - t0) - (st.seconds - st0)
                quads = analyser.quads(letter)
                t2 = clock()
                data = serialize(quads, format=RdfFormat.N_QUADS) or b""
                t3 = clock()
                secs["quads"] += t2 - t1
                secs["serialise"] += t3 - t2
                digests[str(src.path)] = hashlib.sha256(data).hexdigest()
        secs["stances"] = st.seconds
    return secs, digests


def tokenise(files: list[Path]) -> float:
    """CPU seconds of bare ``spacy.blank("nl").pipe`` over the files (reading included)."""
    import spacy

    nlp = spacy.blank("nl")

    def texts():
        for p in files:
            yield p.read_text(encoding="utf-8")

    t0 = time.process_time()
    for _ in nlp.pipe(texts()):
        pass
    return time.process_time() - t0


def digest_lines(digests: dict[str, str], corpus: Path) -> list[str]:
    def rel(p: str) -> str:
        return Path(p).name if corpus.is_file() else Path(p).relative_to(corpus).as_posix()

    return [f"{d}  {r}" for r, d in sorted((rel(p), d) for p, d in digests.items())]


def check(lines: list[str], path: Path, show: int = 20) -> int:
    """Differences between these digest lines and the file's; prints up to ``show`` of them."""
    def parse(ls):
        return {ln.split("  ", 1)[1]: ln.split("  ", 1)[0] for ln in ls if ln.strip()}

    want, got = parse(path.read_text(encoding="utf-8").splitlines()), parse(lines)
    diffs = [(k, want.get(k, "-"), got.get(k, "-")) for k in sorted(set(want) | set(got))
             if want.get(k) != got.get(k)]
    for k, w, g in diffs[:show]:
        print(f"DIFFERS {k}: expected {w}, got {g}")
    return len(diffs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="folder of letters (*.txt, recursively) or one file")
    ap.add_argument("--batch-size", type=int, default=16, help="letters per nlp.pipe batch (as a build task)")
    ap.add_argument("--model", help="spaCy model (default: the blank Dutch pipeline)")
    ap.add_argument("--limit", type=int, help="only the first N letters")
    ap.add_argument("--repeat", type=int, default=1, help="passes over the corpus; the fastest per stage is kept")
    ap.add_argument("--digest", type=Path, help="write the sha256 of every letter's N-Quads to this file")
    ap.add_argument("--check", type=Path, help="compare with a --digest file; exit 1 on any difference")
    ap.add_argument("--profile", type=Path, help="cProfile the first pass (CPU clock) into this file")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON as well")
    args = ap.parse_args(argv)

    start = startup(args.model)
    analyser = start.pop("analyser")
    files = corpus_files(args.corpus)[: args.limit]
    if not files:
        print(f"no letters in {args.corpus}", file=sys.stderr)
        return 2

    best: dict[str, float] | None = None
    digests: dict[str, str] = {}
    for n in range(max(1, args.repeat)):
        prof = cProfile.Profile(time.process_time) if args.profile and n == 0 else None
        if prof:
            prof.enable()
        secs, digests = analyse(analyser, files, max(1, args.batch_size))
        if prof:
            prof.disable()
            prof.dump_stats(str(args.profile))
            pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(25)
        best = secs if best is None else {k: min(v, secs[k]) for k, v in best.items()}
    tok = min(tokenise(files) for _ in range(max(1, args.repeat)))

    n = len(files)
    total = sum(best.values())
    print(f"{n} letters from {args.corpus}, batch size {args.batch_size}, "
          f"model {analyser.model}, best of {max(1, args.repeat)}; CPU ms per letter")
    print(" | ".join(f"{s:>9}" for s in (*STAGES, "total", "tokenise", "ratio")))
    print(" | ".join([*(f"{best[s] * 1000 / n:9.2f}" for s in STAGES), f"{total * 1000 / n:9.2f}",
                      f"{tok * 1000 / n:9.2f}", f"{total / tok:9.2f}"]))
    print(f"Analyser start-up: {start['startup_s']:.2f} s CPU (load_catalogue {start['catalogue_s']:.2f} s, "
          f"build_pipeline {start['pipeline_s']:.2f} s)")
    if args.json:
        print(json.dumps({"letters": n, "ms_per_letter": {s: best[s] * 1000 / n for s in STAGES},
                          "total_ms": total * 1000 / n, "tokenise_ms": tok * 1000 / n,
                          "ratio": total / tok, **start}))

    lines = digest_lines(digests, args.corpus)
    failed = sum(1 for ln in lines if ln.startswith("FAILED"))
    if failed:
        print(f"{failed} letters failed")
    if args.digest:
        args.digest.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"digests of {len(lines)} letters written to {args.digest}")
    if args.check:
        bad = check(lines, args.check)
        print(f"digests: {'identical' if not bad else f'{bad} letters differ'} ({args.check})")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
