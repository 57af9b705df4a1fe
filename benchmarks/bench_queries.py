"""Benchmark the project's SPARQL queries: rdflib vs pyoxigraph on a scaled-up store.

    python benchmarks/bench_queries.py --letters 1000 [--runs 5] [--source STORE]

The letter graphs of a source store (``--source``: a store made by ``navograph build``;
by default a fresh build of ``seeds/`` if the build works, else the test fixture of
``tests/conftest_store.py``) are replicated with renamed letter/graph IRIs until there
are ``--letters`` letter graphs; the catalogue and ontology graphs are kept once. Every
query in ``queries/*.rq`` (or a few built-in sample queries when that folder is empty)
then runs ``--runs`` times on

* rdflib: an in-memory ``rdflib.Dataset(default_union=True)``;
* pyoxigraph: an on-disk navograph :class:`~navograph.store.Store` (default graph =
  union of the named graphs),

and the median time of each, their ratio (rdflib / oxigraph) and the result sizes are
printed as a table and written as JSON to ``benchmarks/results/`` (git-ignored).

Note: Oxigraph's union default graph is a *bag* (a triple in two named graphs matches
twice), rdflib's is a set; a query without DISTINCT over triples duplicated across letter
graphs can therefore give different row counts. The table flags such queries.
This is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pyoxigraph as ox  # noqa: E402
import rdflib  # noqa: E402

from navograph import vocab  # noqa: E402
from navograph.store import Store, letter_of_graph  # noqa: E402

SAMPLE_QUERIES = {
    "sample_stances_by_holder": """# (built-in sample) stances per holder, target and polarity
SELECT ?holder ?target ?polarity (COUNT(?s) AS ?n) WHERE {
  ?s a ng:Stance ; ng:holder ?holder ; ng:target ?target ; ng:polarity ?polarity .
} GROUP BY ?holder ?target ?polarity ORDER BY DESC(?n)""",
    "sample_mentions_by_country": """# (built-in sample) mentions per country with English label
SELECT ?c ?label (COUNT(?m) AS ?n) WHERE {
  ?m a ng:Mention ; ng:refersTo ?c . ?c a ng:Country ; skos:prefLabel ?label FILTER(LANG(?label) = "en")
} GROUP BY ?c ?label ORDER BY DESC(?n)""",
    "sample_letters_per_meeting": """# (built-in sample) letters per meeting
SELECT ?meeting (COUNT(DISTINCT ?l) AS ?letters) WHERE {
  ?l a ng:Letter ; ng:primaryMeeting ?meeting .
} GROUP BY ?meeting ORDER BY DESC(?letters)""",
    "sample_evidence_quotes": """# (built-in sample) stance evidence with quotes and offsets
SELECT ?s ?exact ?start WHERE {
  ?s a ng:Stance ; ng:evidence ?ev . ?ev oa:hasSelector ?sel . ?sel oa:exact ?exact ; oa:start ?start .
} ORDER BY ?start LIMIT 100""",
    "sample_count_by_graph": """# (built-in sample) triples per named graph
SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?n) LIMIT 20""",
}


# -- source graphs -------------------------------------------------------------------------------

def source_graphs(source: Path | None, tmp: Path) -> tuple[dict[str, list[ox.Quad]], str]:
    if source is None:
        seeds = ROOT / "seeds"
        built = tmp / "seed-store"
        try:
            r = subprocess.run([sys.executable, "-m", "navograph", "build", str(seeds), "--store", str(built)],
                               cwd=tmp, capture_output=True, text=True, timeout=900)
            if r.returncode == 0 and Store.exists(built):
                source = built
            else:
                print(f"[bench] navograph build failed (exit {r.returncode}); using the test fixture",
                      file=sys.stderr)
        except Exception as exc:  # noqa: BLE001
            print(f"[bench] navograph build unavailable ({exc}); using the test fixture", file=sys.stderr)
    if source is not None:
        st = Store(source, read_only=True)
        try:
            graphs: dict[str, list[ox.Quad]] = {}
            for q in st.quads():
                graphs.setdefault(q.graph_name.value, []).append(q)
        finally:
            st.close()
        return graphs, f"store {source}"
    from conftest_store import fixture_graphs

    return fixture_graphs(), "tests/conftest_store.py fixture"


def _rename(term, old_prefixes: list[tuple[str, str]]):
    if isinstance(term, ox.NamedNode):
        v = term.value
        for old, new in old_prefixes:
            if v == old or v.startswith(old + "/"):
                return ox.NamedNode(new + v[len(old):])
    return term


def scale(graphs: dict[str, list[ox.Quad]], letters: int) -> list[ox.Quad]:
    """Replicate the letter graphs (renamed) up to ``letters`` letters; keep the others once."""
    letter_graphs = sorted(g for g in graphs if letter_of_graph(g) is not None)
    if not letter_graphs:
        raise SystemExit("the source has no letter graphs")
    out: list[ox.Quad] = [q for g, qs in graphs.items() if letter_of_graph(g) is None for q in qs]
    n = 0
    copy = 0
    while n < letters:
        for g in letter_graphs:
            if n >= letters:
                break
            doc = letter_of_graph(g)
            if copy == 0:
                out.extend(graphs[g])
            else:
                new_doc = f"{doc}_r{copy:04d}"
                ren = [(vocab.letter_iri(doc), vocab.letter_iri(new_doc)), (vocab.graph_iri(doc), vocab.graph_iri(new_doc))]
                new_g = ox.NamedNode(vocab.graph_iri(new_doc))
                letter = ox.NamedNode(vocab.letter_iri(doc))
                ident = ox.NamedNode(vocab.DCTERMS + "identifier")
                for q in graphs[g]:
                    obj = q.object
                    if q.subject == letter and q.predicate == ident:
                        obj = ox.Literal(new_doc)  # the letter's own id follows its IRI
                    out.append(ox.Quad(_rename(q.subject, ren), q.predicate, _rename(obj, ren), new_g))
            n += 1
        copy += 1
    return out


# -- engines -------------------------------------------------------------------------------------------

def to_rdflib_dataset(quads: list[ox.Quad]) -> rdflib.Dataset:
    ds = rdflib.Dataset(default_union=True)
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    ds.parse(data=data, format="nquads")
    return ds


def time_runs(fn, runs: int, max_seconds: float) -> tuple[list[float], int]:
    times: list[float] = []
    size = 0
    for i in range(runs):
        t0 = time.perf_counter()
        size = fn()
        times.append(time.perf_counter() - t0)
        if i == 0 and times[0] * runs > max_seconds and runs > 1:
            # too slow to repeat: keep what we have (at least 1 run after the warm-up)
            t0 = time.perf_counter()
            size = fn()
            times = [time.perf_counter() - t0]
            break
    return times, size


def time_in_child(fn, runs: int, max_seconds: float, timeout: float) -> tuple[list[float], int]:
    """:func:`time_runs` in a forked child that is killed after ``timeout`` seconds
    (rdflib's engine cannot be interrupted, and some queries take very long on it)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def target() -> None:
        try:
            prepare = getattr(fn, "prepare", None)
            if prepare is not None:
                prepare()
            send.send(("ok", time_runs(fn, runs, max_seconds)))
        except BaseException as exc:  # noqa: BLE001
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    try:
        if recv.poll(timeout):
            status, payload = recv.recv()
        else:
            status, payload = "error", f"timeout: no result within {timeout:.0f}s"
    finally:
        proc.join(timeout=1)
        if proc.is_alive():
            proc.kill()
            proc.join()
    if status != "ok":
        raise RuntimeError(payload)
    return payload


class _OxTimer:
    """Callable for :func:`time_in_child`: opens the store read-only in the child, warms up once."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text, self.st = path, text, None

    def prepare(self) -> None:
        self.st = Store(self.path, read_only=True)
        run_oxigraph(self.st, self.text)  # warm-up, not timed

    def __call__(self) -> int:
        return run_oxigraph(self.st, self.text)


def run_rdflib(ds: rdflib.Dataset, text: str) -> int:
    res = ds.query(text, initNs=vocab.PREFIXES)
    if res.type == "ASK":
        return int(bool(res.askAnswer))
    return sum(1 for _ in res)


def run_oxigraph(st: Store, text: str) -> int:
    res = st.query(text)
    if isinstance(res, ox.QueryBoolean):
        return int(bool(res))
    return sum(1 for _ in res)


def load_queries() -> tuple[dict[str, str], str]:
    folder = ROOT / "queries"
    files = sorted(folder.glob("*.rq")) if folder.is_dir() else []
    if files:
        return {p.stem: p.read_text(encoding="utf-8") for p in files}, "queries/*.rq"
    return dict(SAMPLE_QUERIES), "built-in samples (queries/ is empty)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, default=1000, help="letter graphs in the scaled store (default 1000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per query and engine (median reported)")
    ap.add_argument("--source", type=Path, default=None, help="source store (default: build seeds/, else fixture)")
    ap.add_argument("--max-seconds", type=float, default=60.0,
                    help="if runs x first time exceeds this, an engine's query is timed once more only")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="give up on an rdflib query after this many seconds (it runs in a forked child)")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON results")
    args = ap.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="navograph-bench-") as tmpd:
        tmp = Path(tmpd)
        graphs, origin = source_graphs(args.source, tmp)
        t0 = time.perf_counter()
        quads = scale(graphs, args.letters)
        console.print(f"[bench] source: {origin}; {len(quads)} quads for {args.letters} letters "
                      f"({time.perf_counter() - t0:.1f}s)")

        t0 = time.perf_counter()
        st = Store(tmp / "bench-store")
        # one bulk load: the named graphs plus their set union in the default graph, which is
        # what Store.replace_graph maintains (the build's own write path is not measured here)
        union: dict[str, ox.Quad] = {}
        for q in quads:
            union.setdefault(str(q.triple), ox.Quad(q.subject, q.predicate, q.object))
        st.ox.bulk_extend(quads + list(union.values()))
        del union
        st.close()  # each timing child opens it read-only
        store_path = tmp / "bench-store"
        ox_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        ds = to_rdflib_dataset(quads)
        rdf_load = time.perf_counter() - t0
        console.print(f"[bench] load: oxigraph {ox_load:.1f}s, rdflib {rdf_load:.1f}s")

        queries, qorigin = load_queries()
        rows = []
        for name, text in queries.items():
            # warm-up (parsing, caches) once per engine, not timed
            try:
                ox_times, ox_size = time_in_child(_OxTimer(store_path, text), args.runs, args.max_seconds,
                                                  args.timeout)
                ox_err = None
            except Exception as exc:  # noqa: BLE001
                ox_times, ox_size, ox_err = [], 0, f"{type(exc).__name__}: {exc}"
            try:
                rl_times, rl_size = time_in_child(lambda: run_rdflib(ds, text), args.runs, args.max_seconds,
                                                  args.timeout)
                rl_err = None
            except Exception as exc:  # noqa: BLE001
                rl_times, rl_size, rl_err = [], 0, f"{type(exc).__name__}: {exc}"
            ox_med = statistics.median(ox_times) if ox_times else None
            rl_med = statistics.median(rl_times) if rl_times else None
            row = {
                "query": name,
                "oxigraph_median_s": ox_med, "rdflib_median_s": rl_med,
                "ratio_rdflib_over_oxigraph": (rl_med / ox_med) if ox_med and rl_med else None,
                "oxigraph_runs": len(ox_times), "rdflib_runs": len(rl_times),
                "oxigraph_rows": ox_size, "rdflib_rows": rl_size,
                "rows_differ": (ox_size != rl_size) and not (ox_err or rl_err),
                "oxigraph_error": ox_err, "rdflib_error": rl_err,
            }
            rows.append(row)
            console.print(f"[bench] {name}: oxigraph {_fmt(ox_med)}, rdflib {_fmt(rl_med)}")

    table = Table(title=f"navograph queries on {args.letters} letters ({len(quads)} quads), median of {args.runs}",
                  header_style="bold")
    for col in ("query", "oxigraph", "rdflib", "rdflib/oxigraph", "rows (ox / rdflib)"):
        table.add_column(col, justify="left" if col == "query" else "right")
    for r in rows:
        ratio = r["ratio_rdflib_over_oxigraph"]
        rows_txt = f"{r['oxigraph_rows']} / {r['rdflib_rows']}" + (" !" if r["rows_differ"] else "")
        table.add_row(r["query"], _fmt(r["oxigraph_median_s"]) if not r["oxigraph_error"] else "error",
                      _fmt(r["rdflib_median_s"]) if not r["rdflib_error"] else
                      ("timeout" if "timeout" in r["rdflib_error"] else "error"),
                      f"{ratio:.1f}x" if ratio else "-", rows_txt)
    Console().print(table)
    for r in rows:
        for eng in ("oxigraph", "rdflib"):
            if r[f"{eng}_error"]:
                Console().print(f"  {r['query']}: {eng} {r[eng + '_error'][:300]}")
    if any(r["rows_differ"] for r in rows):
        Console().print("! row counts differ: Oxigraph's union default graph is a bag, rdflib's a set "
                        "(use DISTINCT), or the engines disagree")

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "letters": args.letters, "quads": len(quads), "runs": args.runs, "source": origin, "queries": qorigin,
        "load_seconds": {"oxigraph": ox_load, "rdflib": rdf_load},
        "versions": {"python": platform.python_version(), "pyoxigraph": ox.__version__, "rdflib": rdflib.__version__},
        "machine": platform.platform(), "finished_at": stamp, "results": rows,
    }
    path = args.out / f"bench_queries_{args.letters}_{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"[bench] wrote {path}")
    return 0


def _fmt(sec: float | None) -> str:
    if sec is None:
        return "-"
    return f"{sec * 1000:.1f} ms" if sec < 10 else f"{sec:.1f} s"


if __name__ == "__main__":
    raise SystemExit(main())
