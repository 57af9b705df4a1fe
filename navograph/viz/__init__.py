"""See the graph: views of the store as networkx graphs, and files for Gephi, Cytoscape,
yEd, Neo4j, Graphviz and a self-contained interactive HTML page.

    export_view(store, view="stances", fmt="html", out=Path("stances.html"))

``store`` is anything with ``.query(sparql)`` answering over the union of all named graphs
(``navograph.store.Store``), or a bare ``pyoxigraph.Store``.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import networkx as nx

from navograph.viz import writers
from navograph.viz.views import VIEWS, build_view

GRAPH_FORMATS = ("graphml", "gexf", "cytoscape", "dot", "csv", "html", "png", "svg")

# default file suffix per format (csv writes two files)
SUFFIX = {"graphml": ".graphml", "gexf": ".gexf", "cytoscape": ".cyjs", "dot": ".dot",
          "csv": "", "html": ".html", "png": ".png", "svg": ".svg"}

__all__ = ["GRAPH_FORMATS", "VIEWS", "SUFFIX", "build_view", "export_view", "render_view"]


def render_view(G: nx.MultiDiGraph, fmt: str) -> bytes:
    """The bytes of one file format for an already built view (not csv)."""
    if fmt == "graphml":
        return writers.graphml(G).encode("utf-8")
    if fmt == "gexf":
        return writers.gexf(G).encode("utf-8")
    if fmt == "cytoscape":
        return writers.cytoscape(G).encode("utf-8")
    if fmt == "dot":
        return writers.dot(G).encode("utf-8")
    if fmt == "html":
        from navograph.viz.html import page

        return page(G).encode("utf-8")
    if fmt in ("png", "svg"):
        from navograph.viz.render import render

        return render(G, fmt)
    if fmt == "csv":
        raise ValueError("csv writes two files: use export_view(..., fmt='csv', out=folder)")
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(GRAPH_FORMATS)}")


def _atomic_write(path: Path, data: bytes) -> None:
    from navograph.store import atomic_write_bytes

    atomic_write_bytes(Path(path), data)


def csv_paths(out: Path) -> tuple[Path, Path]:
    """Where ``--format csv`` writes: ``out/nodes.csv`` and ``out/relationships.csv`` when
    ``out`` is a folder (exists as one, or has no suffix and does not end in ``_``, ``-`` or
    ``.``); otherwise ``out`` is a prefix: ``out`` + ``nodes.csv`` (``x.csv`` -> ``x_nodes.csv``)."""
    out = Path(out)
    name = out.name
    if out.is_dir() or (out.suffix == "" and not name.endswith(("_", "-", "."))):
        return out / "nodes.csv", out / "relationships.csv"
    if name.endswith(".csv"):
        name = name[:-4] + "_"
    return out.with_name(name + "nodes.csv"), out.with_name(name + "relationships.csv")


def export_view(store: Any, *, view: str, fmt: str, out: Path | None) -> None:
    """Build ``view`` from ``store`` and write it as ``fmt`` to ``out`` (stdout when None,
    except csv, which needs a folder or prefix)."""
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(GRAPH_FORMATS)}")
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    G = build_view(store, view, facts=fmt in ("cytoscape", "html"))
    if fmt == "csv":
        if out is None:
            raise ValueError("csv writes nodes.csv and relationships.csv: give --output a folder "
                             "or a prefix")
        nodes_csv, rels_csv = writers.neo4j_csv(G)
        npath, rpath = csv_paths(Path(out))
        _atomic_write(npath, nodes_csv.encode("utf-8"))
        _atomic_write(rpath, rels_csv.encode("utf-8"))
        return
    data = render_view(G, fmt)
    if out is None or str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    _atomic_write(Path(out), data)
