"""CLI commands over the store: ``query``, ``export``, ``serve``, ``push``, ``status``/``info``.

``navograph.cli`` calls :func:`register` on its Typer app.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

STORE_HELP = "Store folder (default: $NAVOGRAPH_STORE or ./.navograph/store)."
RDF_FORMATS = ("turtle", "trig", "nquads", "ntriples", "jsonld")
GRAPH_FORMATS = ("graphml", "gexf", "cytoscape", "dot", "csv", "html", "png", "svg")
VIEWS = ("stances", "meetings", "mentions", "full")


def _err(msg: str) -> None:
    typer.secho(f"error: {msg}", err=True, fg=typer.colors.RED)


def _open(store: Optional[Path]):
    from navograph.store import Store, StoreError

    try:
        return Store(store, read_only=True)
    except StoreError as exc:
        _err(str(exc))
        raise typer.Exit(1)


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def query_cmd(
    query: Optional[str] = typer.Argument(
        None, help="A named query (file in queries/, with or without .rq), a .rq file path, or SPARQL text."),
    fmt: str = typer.Option("table", "--format", "-f", help="table | csv | tsv | json | xml (SELECT results)."),
    list_: bool = typer.Option(False, "--list", "-l", help="List the named queries with their description."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the results to this file."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
) -> None:
    """Run a SPARQL query over the store (default graph = union of all letter graphs).

    SELECT results print as a table or in a SPARQL results format; CONSTRUCT/DESCRIBE print
    Turtle; ASK prints true/false. A syntax error exits with code 2.
    """
    from navograph.query import FORMATS, QueryError, list_queries, run_query

    if list_:
        from rich.console import Console
        from rich.table import Table

        t = Table("name", "description", header_style="bold")
        for q in list_queries():
            t.add_row(q.name, q.description)
        Console().print(t)
        return
    if not query:
        _err("give a query (name, file or SPARQL text), or --list")
        raise typer.Exit(2)
    if fmt not in FORMATS:
        _err(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
        raise typer.Exit(2)
    st = _open(store)
    try:
        if output is not None:
            import io

            from navograph.store import atomic_write_bytes

            buf = io.StringIO()
            run_query(st, query, fmt, buf)
            atomic_write_bytes(output, buf.getvalue().encode("utf-8"))
        else:
            run_query(st, query, fmt, sys.stdout)
    except QueryError as exc:
        _err(str(exc))
        raise typer.Exit(2)
    finally:
        st.close()


def export_cmd(
    fmt: str = typer.Option("turtle", "--format", "-f",
                            help="RDF: turtle | trig | nquads | ntriples | jsonld; graph views: "
                                 "graphml | gexf | cytoscape | dot | csv | html | png | svg."),
    view: str = typer.Option("stances", "--view", help="Graph view for graph formats: stances | meetings | mentions | full."),
    letter: Optional[str] = typer.Option(None, "--letter", "--graph", help="Only this letter (letter id or graph IRI)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output file (default: stdout for RDF formats)."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
) -> None:
    """Export the store as RDF (sorted, byte-stable, written atomically) or as a graph view.

    Turtle and N-Triples hold the union of all named graphs (letters, catalogue, ontology);
    TriG, N-Quads and JSON-LD keep every named graph.
    """
    from navograph.export import FORMAT_ALIASES, ExportError, export_rdf

    f = fmt.lower()
    if f in FORMAT_ALIASES:
        st = _open(store)
        try:
            n = export_rdf(st, f, output, graph=letter)
        except ExportError as exc:
            _err(str(exc))
            raise typer.Exit(1)
        finally:
            st.close()
        if output is not None:
            typer.echo(f"wrote {output} ({_human(n)})", err=True)
        return
    if f not in GRAPH_FORMATS:
        _err(f"unknown --format {fmt!r}; choose one of {', '.join(RDF_FORMATS + GRAPH_FORMATS)}")
        raise typer.Exit(2)
    if view not in VIEWS:
        _err(f"unknown --view {view!r}; choose one of {', '.join(VIEWS)}")
        raise typer.Exit(2)
    if letter:
        _err("--letter applies to RDF formats only")
        raise typer.Exit(2)
    try:
        from navograph.viz import export_view
    except ImportError as exc:
        _err(f"graph formats need navograph.viz, which is not available: {exc}")
        raise typer.Exit(1)
    st = _open(store)
    try:
        export_view(st, view=view, fmt=f, out=output)
    except Exception as exc:  # noqa: BLE001 - report any failure of the view exporter
        _err(f"export of view {view!r} as {f} failed: {exc}")
        raise typer.Exit(1)
    finally:
        st.close()
    if output is not None:
        typer.echo(f"wrote {output}", err=True)


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: 127.0.0.1, local only)."),
    port: int = typer.Option(7878, "--port", "-p", help="Port to listen on."),
    cors: bool = typer.Option(False, "--cors", help="Allow cross-origin requests."),
    timeout_s: Optional[int] = typer.Option(None, "--timeout-s", help="Query timeout in seconds."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
) -> None:
    """Serve the store read-only as a SPARQL endpoint (the `oxigraph` server).

    Queries at http://HOST:PORT/query (default graph = union of all graphs); updates are refused.
    """
    from navograph.serve import ServeError, serve

    try:
        code = serve(store, host, port, cors=cors, timeout_s=timeout_s, echo=lambda m: typer.echo(m, err=True))
    except ServeError as exc:
        _err(str(exc))
        raise typer.Exit(1)
    raise typer.Exit(code if code and code > 0 else 0)


def push_cmd(
    endpoint: str = typer.Option(..., "--endpoint", "-e",
                                 help="Graph Store URL, or the server's base URL with --flavour / --gsp-path."),
    flavour: Optional[str] = typer.Option(None, "--flavour", "--flavor",
                                          help="fuseki | graphdb | virtuoso | oxigraph: build the Graph Store URL."),
    gsp_path: Optional[str] = typer.Option(None, "--gsp-path", help="Path of the Graph Store service under --endpoint."),
    dataset: Optional[str] = typer.Option(None, "--dataset", "--repository",
                                          help="Fuseki dataset or GraphDB repository name."),
    graph: Optional[str] = typer.Option(None, "--graph", "--letter", help="Push only this letter (id or graph IRI)."),
    fmt: str = typer.Option("ntriples", "--format", "-f", help="Body format: ntriples | turtle."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be sent (graph, triples, bytes); send nothing."),
    timeout: float = typer.Option(60.0, "--timeout", help="HTTP timeout per request, in seconds."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
) -> None:
    """Push each named graph to a triple store with the SPARQL 1.1 Graph Store Protocol.

    One HTTP PUT per graph to ENDPOINT?graph=<iri> (replacing that graph, so pushing again
    changes nothing). Credentials: $NAVOGRAPH_PUSH_USER / $NAVOGRAPH_PUSH_PASSWORD.
    """
    from rich.console import Console
    from rich.table import Table

    from navograph.push import PushError, push

    st = _open(store)
    console = Console(stderr=True)

    def progress(item) -> None:
        if not dry_run:
            console.print(f"PUT {item.graph}  {item.triples} triples  {_human(item.bytes)}  -> HTTP {item.status}")

    try:
        items = push(st, endpoint, flavour=flavour, gsp_path=gsp_path, dataset=dataset, graph=graph,
                     fmt=fmt, dry_run=dry_run, timeout=timeout, progress=progress)
    except PushError as exc:
        _err(str(exc))
        raise typer.Exit(1)
    finally:
        st.close()
    if dry_run:
        from navograph.store import letter_of_graph

        t = Table("graph", "triples", "bytes", title="dry run: nothing sent", header_style="bold")
        for it in items:
            t.add_row(letter_of_graph(it.graph) or it.graph, str(it.triples), str(it.bytes))
        out = Console()
        out.print(t)
        if items:
            out.print(f"PUT to {items[0].url.split('?', 1)[0]}?{items[0].url.split('?', 1)[1].split('=', 1)[0]}=<graph IRI>", soft_wrap=True)
    total = sum(i.triples for i in items)
    console.print(f"{'would push' if dry_run else 'pushed'} {len(items)} graphs, {total} triples")


def status_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
) -> None:
    """Show the store: letters, triples per graph, build time per graph, path and size."""
    st = _open(store)
    try:
        infos = st.graphs()
        size = st.size_bytes()
        total = st.distinct_triples()
        path = st.path.resolve()
    finally:
        st.close()
    letters = [i for i in infos if i.kind == "letter"]
    if as_json:
        doc = {
            "store": str(path), "size_bytes": size, "letters": len(letters), "graphs": len(infos),
            "triples": total, "quads": sum(i.triples for i in infos),
            "graph_info": [i.as_dict() for i in infos],
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table("graph", "kind", "triples", "built at", "source", header_style="bold",
              title=f"{path}  ({_human(size)})")
    for i in infos:
        t.add_row(i.letter or i.graph.rsplit("/", 1)[-1], i.kind, str(i.triples), i.built_at or "", i.source or "")
    c = Console()
    c.print(t)
    c.print(f"{len(letters)} letters, {len(infos)} graphs, {sum(i.triples for i in infos)} quads "
            f"({total} distinct triples)")


def register(app: typer.Typer) -> None:
    """Add ``query``, ``export``, ``serve``, ``push``, ``status`` and ``info`` to ``app``."""
    app.command("query")(query_cmd)
    app.command("export")(export_cmd)
    app.command("serve")(serve_cmd)
    app.command("push")(push_cmd)
    app.command("status")(status_cmd)
    app.command("info", help="Alias of `status`: " + (status_cmd.__doc__ or "").strip())(status_cmd)
