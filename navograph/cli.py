"""The ``navograph`` command line: build, validate, evaluate, query, export, serve, push, status."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__

app = typer.Typer(
    name="navograph",
    help="Dutch government letters about NATO meetings -> a validated, queryable RDF knowledge graph.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
STORE_HELP = "Store folder (default: $NAVOGRAPH_STORE or ./.navograph/store)."


def _err(msg: str) -> None:
    typer.secho(f"error: {msg}", err=True, fg=typer.colors.RED)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"navograph {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens."),
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")


@app.command()
def build(
    inputs: List[Path] = typer.Argument(..., help="Letters (.txt, .pdf, .xml) or folders, walked recursively."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
    model: Optional[str] = typer.Option(
        None, "--model", "-m",
        help="spaCy pipeline name or path (default: nl_core_news_sm when installed, else blank Dutch)."),
    blank: bool = typer.Option(False, "--blank", help="Use the blank Dutch pipeline even if a model is installed."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    validate: bool = typer.Option(True, "--validate/--no-validate", help="Check the graph against ontology/shapes.ttl."),
    force: bool = typer.Option(False, "--force", help="Rebuild every letter, even unchanged ones."),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Also export the whole graph to this file (format from the suffix)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Read letters, extract meetings, mentions and positions, and store the graph.

    Each letter becomes its own named graph in the store; an unchanged letter is skipped.
    Exit code 0 when everything was built and conforms, 1 when some files failed or the graph
    does not conform.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .pipeline import build as run_build

    console = Console(stderr=True)
    missing = [p for p in inputs if not p.exists()]
    for p in missing:
        _err(f"{p}: no such file or folder")
    inputs = [p for p in inputs if p.exists()]
    bar = None
    progress_cb = None
    if not quiet:
        bar = Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                       TimeElapsedColumn(), console=console, transient=True)
        task = bar.add_task("", total=None)

        def progress_cb(done: int, total: int | None, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        bar.start()
    try:
        result = run_build(inputs, store, model=model, jobs=jobs, validate=validate, force=force,
                           use_default_model=not blank, progress=progress_cb)
    except Exception as exc:
        if bar:
            bar.stop()
        _err(str(exc))
        raise typer.Exit(2)
    if bar:
        bar.stop()
    failed = list(result.failed) + [(str(p), "no such file or folder") for p in missing]
    if not quiet:
        wps = result.words / result.seconds if result.seconds else 0
        console.print(
            f"built {len(result.built)} letter(s), {len(result.unchanged)} unchanged, {len(failed)} failed; "
            f"{result.triples} triples, {result.words} words in {result.seconds:.1f} s ({wps:,.0f} words/s); "
            f"model: {result.model or 'n/a'}")
        from rich.markup import escape

        for path, reason in failed:
            console.print(f"[red]skipped[/red] {escape(str(path))}: {escape(str(reason))}")
        if result.validation is not None:
            if result.validation.conforms:
                console.print("graph conforms to ontology/shapes.ttl")
            else:
                console.print(result.validation.text())
    if output is not None:
        from .export import export_rdf
        from .store import Store

        fmt = {".ttl": "turtle", ".trig": "trig", ".nq": "nquads", ".nt": "ntriples",
               ".jsonld": "jsonld"}.get(output.suffix.lower())
        if fmt is None:
            _err(f"{output}: cannot tell the format from the suffix (.ttl .trig .nq .nt .jsonld)")
            raise typer.Exit(2)
        with Store(store, read_only=True) as st:
            export_rdf(st, fmt, output)
    if failed or (result.validation is not None and not result.validation.conforms):
        raise typer.Exit(1)


@app.command("validate")
def validate_cmd(
    source: Optional[Path] = typer.Argument(None, help="An RDF file to check (default: the store)."),
    store: Optional[Path] = typer.Option(None, "--store", help=STORE_HELP, envvar="NAVOGRAPH_STORE"),
    shapes: Optional[Path] = typer.Option(None, "--shapes", help="SHACL shapes (default: ontology/shapes.ttl)."),
    as_json: bool = typer.Option(False, "--json", help="Print the violations as JSON."),
    engine: str = typer.Option(
        "auto", "--engine",
        help="auto (the native engine unless the shapes need pySHACL), native or pyshacl."),
) -> None:
    """Validate the graph against the SHACL shapes; exit 1 with a report on violations."""
    from .shacl import NativeUnsupported
    from .validate import ENGINES, validate

    if engine not in ENGINES:
        _err(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        raise typer.Exit(2)
    try:
        if source is not None:
            if not source.exists():
                _err(f"{source}: no such file")
                raise typer.Exit(2)
            report = validate(source, shapes_path=shapes, engine=engine)
        else:
            from .store import Store, StoreError

            try:
                with Store(store, read_only=True) as st:
                    report = validate(st, shapes_path=shapes, engine=engine)
            except StoreError as exc:
                _err(str(exc))
                raise typer.Exit(2)
    except NativeUnsupported as exc:
        _err(f"the native SHACL engine cannot validate this: {exc} (use --engine auto or pyshacl)")
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps({"conforms": report.conforms, "engine": report.engine,
                               "violations": [v if isinstance(v, dict) else getattr(v, "__dict__", str(v))
                                              for v in report.violations]}, indent=2, default=str))
    else:
        typer.echo(report.text())
    if not report.conforms:
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate_cmd(
    docs: Path = typer.Option(Path("seeds"), "--docs", help="Folder of letters."),
    gold: Path = typer.Option(Path("gold"), "--gold", help="Folder of gold YAML files."),
    store: Optional[Path] = typer.Option(
        None, "--store", help="Read this store instead of building a fresh one in a temporary folder."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="spaCy pipeline name or path."),
    blank: bool = typer.Option(False, "--blank", help="Use the blank Dutch pipeline even if a model is installed."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    details: bool = typer.Option(True, "--details/--no-details", help="List every miss and false positive."),
) -> None:
    """Compare the graph of DOCS with gold: precision, recall and F1 per category."""
    from .evaluate import evaluate_folder, render_report

    try:
        report = evaluate_folder(docs, gold, store=store, model=model, use_default_model=not blank)
    except (FileNotFoundError, ValueError) as exc:
        _err(str(exc))
        raise typer.Exit(2)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        render_report(report, details=details)


def _register_store_commands() -> None:
    from .cli_store import register

    register(app)


_register_store_commands()


def main(argv: Optional[list[str]] = None) -> None:
    try:
        app(args=argv, prog_name="navograph")
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
