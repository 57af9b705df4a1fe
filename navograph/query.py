"""SPARQL queries over the store: named queries (``queries/*.rq``), files or inline text.

``run_query(store, "stances_by_country")`` runs ``queries/stances_by_country.rq``;
``run_query(store, "path/to/q.rq")`` a file; anything else is taken as SPARQL text.

Output formats for SELECT: ``table`` (a rich table for the terminal, IRIs shortened with
:data:`navograph.vocab.PREFIXES`), and the standard SPARQL 1.1 results formats ``csv``,
``tsv``, ``json`` and ``xml`` (serialized by pyoxigraph). CONSTRUCT/DESCRIBE write Turtle
(sorted, with prefixes); ASK prints ``true``/``false`` (or the standard JSON/XML boolean
result when ``json``/``xml`` is asked for).

The default graph of every query is the union of all named graphs, and the prefixes of
``vocab.PREFIXES`` are predeclared.
"""
from __future__ import annotations

import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

import navograph
from navograph import vocab
from navograph.store import Store

FORMATS = ("table", "csv", "tsv", "json", "xml")
_RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
_POS = re.compile(r"error at (\d+):(\d+)")


class QueryError(Exception):
    """A query that cannot be run: syntax error (with position), unknown name, ..."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 source: str | None = None, query: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        self.query = query

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        pos = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        text = f"{where}{pos}{self.message}"
        if self.query is not None and self.line is not None:
            lines = self.query.splitlines()
            if 1 <= self.line <= len(lines):
                text += f"\n  {lines[self.line - 1]}\n  {' ' * max((self.column or 1) - 1, 0)}^"
        return text


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    description: str


def queries_dir() -> Path:
    return navograph.project_dir() / "queries"


def first_comment(text: str) -> str:
    """The first ``#`` comment line of a query (its one-line description)."""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            d = s.lstrip("#").strip()
            if d:
                return d
        elif s and not s.upper().startswith(("PREFIX", "BASE")):
            break
    return ""


def list_queries(folder: Path | None = None) -> list[NamedQuery]:
    folder = folder or queries_dir()
    if not folder.is_dir():
        return []
    return [
        NamedQuery(p.stem, p, first_comment(p.read_text(encoding="utf-8")))
        for p in sorted(folder.glob("*.rq"))
    ]


def resolve_query(text_or_name_or_path: str | Path, folder: Path | None = None) -> tuple[str, str]:
    """``(sparql, source)`` for a file path, a named query (with or without ``.rq``) or text."""
    if isinstance(text_or_name_or_path, Path):
        p = text_or_name_or_path
        if not p.is_file():
            raise QueryError(f"no query file {p}")
        return p.read_text(encoding="utf-8"), str(p)
    s = text_or_name_or_path
    looks_inline = any(ch in s for ch in "{}\n") or re.search(r"\s", s.strip()) is not None
    if not looks_inline:
        p = Path(s).expanduser()
        if p.is_file():
            return p.read_text(encoding="utf-8"), str(p)
        folder = folder or queries_dir()
        name = s[:-3] if s.endswith(".rq") else s
        cand = folder / f"{name}.rq"
        if cand.is_file():
            return cand.read_text(encoding="utf-8"), f"queries/{cand.name}"
        known = ", ".join(q.name for q in list_queries(folder)) or "none"
        raise QueryError(f"no query file or named query {s!r} (named queries: {known})")
    return s, "<inline>"


def execute(store: Store, sparql: str, source: str = "<inline>") -> Any:
    try:
        return store.query(sparql)
    except SyntaxError as exc:
        msg = str(exc)
        m = _POS.search(msg)
        line = col = None
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            msg = msg[m.end():].lstrip(": ").strip() or msg
        raise QueryError(f"SPARQL syntax error: {msg}", line=line, column=col, source=source, query=sparql) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise QueryError(f"query failed: {exc}", source=source) from exc


# -- rendering ------------------------------------------------------------------------------

_SORTED_PREFIXES = sorted(vocab.PREFIXES.items(), key=lambda kv: -len(kv[1]))


def shorten(iri: str) -> str:
    for p, ns in _SORTED_PREFIXES:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{p}:{iri[len(ns):]}"
    return f"<{iri}>"


def term_text(term: Any) -> str:
    """A readable, compact rendering of an RDF term for the table output."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        return term.value
    return str(term)


def _table(results: ox.QuerySolutions, out: IO[str]) -> int:
    from rich.console import Console
    from rich.table import Table

    names = [v.value for v in results.variables]
    table = Table(show_lines=False, header_style="bold")
    for n in names:
        table.add_column(n, overflow="fold")
    rows = 0
    for sol in results:
        table.add_row(*(term_text(sol[n]) for n in names))
        rows += 1
    console = Console(file=out, width=None if out is sys.stdout else 200, soft_wrap=False)
    console.print(table)
    console.print(f"[dim]{rows} row{'s' if rows != 1 else ''}[/dim]")
    return rows


def render(results: Any, fmt: str = "table", out: IO[str] | None = None) -> int:
    """Write query results to ``out`` (default stdout); returns rows/triples written."""
    out = out if out is not None else sys.stdout
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise QueryError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if isinstance(results, ox.QueryBoolean):
        if fmt in ("json", "xml"):
            out.write(results.serialize(format=_RESULT_FORMATS[fmt]).decode("utf-8"))
            out.write("\n")
        else:
            out.write("true\n" if bool(results) else "false\n")
        return 1
    if isinstance(results, ox.QueryTriples):
        from navograph.export import _ordered_prefix_lines, sorted_triples, turtle_prefixes

        triples = list(results)
        prefixes = turtle_prefixes()
        data = ox.serialize(
            sorted_triples(ox.Quad(t.subject, t.predicate, t.object) for t in triples),
            format=ox.RdfFormat.TURTLE, prefixes=prefixes,
        )
        out.write(_ordered_prefix_lines(data, prefixes).decode("utf-8"))
        return len(triples)
    if fmt == "table":
        return _table(results, out)
    data = results.serialize(format=_RESULT_FORMATS[fmt])
    text = data.decode("utf-8")
    out.write(text)
    if not text.endswith("\n"):
        out.write("\n")
    return max(text.count("\n") - 1, 0) if fmt in ("csv", "tsv") else -1


def run_query(
    store: Store | str | Path | None,
    text_or_name_or_path: str | Path,
    fmt: str = "table",
    out: IO[str] | None = None,
) -> int:
    """Resolve, run and print a query. Raises :class:`QueryError` on any problem."""
    sparql, source = resolve_query(text_or_name_or_path)
    own = not isinstance(store, Store)
    st = Store(store, read_only=True) if own else store
    try:
        results = execute(st, sparql, source)
        return render(results, fmt, out)
    finally:
        if own:
            st.close()


def query_to_string(store: Store, text_or_name_or_path: str | Path, fmt: str = "table") -> str:
    buf = io.StringIO()
    run_query(store, text_or_name_or_path, fmt, buf)
    return buf.getvalue()
