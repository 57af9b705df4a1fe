"""PNG and SVG pictures of a view: Graphviz when its ``dot`` is on PATH, else matplotlib.

``NAVOGRAPH_RENDERER=graphviz|matplotlib`` forces one of them.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import warnings

import networkx as nx

from navograph.viz import writers


GRAPHVIZ_TIMEOUT = 300


class RenderError(RuntimeError):
    pass


def renderer(preferred: str | None = None) -> str:
    choice = (preferred or os.environ.get("NAVOGRAPH_RENDERER") or "").strip().lower()
    if choice in ("graphviz", "dot"):
        if not shutil.which("dot"):
            raise RenderError("Graphviz 'dot' is not on PATH")
        return "graphviz"
    if choice == "matplotlib":
        return "matplotlib"
    if choice:
        raise RenderError(f"unknown renderer {choice!r}: use graphviz or matplotlib")
    if shutil.which("dot"):
        return "graphviz"
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        raise RenderError(
            "PNG/SVG need Graphviz ('dot' on PATH; apt-get install graphviz) or matplotlib "
            "(pip install matplotlib)") from e
    return "matplotlib"


# A picture of a hairball helps no one: large views are cut to their strongest part.
MAX_PICTURE_NODES = 1500
MAX_PICTURE_EDGES = 3000


def picture_graph(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """G itself when small; else the best-connected nodes and the strongest edges
    (deterministic), with ``G.graph["note"]`` saying what was left out."""
    n, m = G.number_of_nodes(), G.number_of_edges()
    if n <= MAX_PICTURE_NODES and m <= MAX_PICTURE_EDGES:
        return G
    deg = {u: 0.0 for u in G}
    for u, v, d in G.edges(data=True):
        w = float(d.get("count", 1) or 1)
        deg[u] += w
        deg[v] += w
    keep = set(sorted(G, key=lambda u: (-deg[u], str(u)))[:MAX_PICTURE_NODES])
    edges = [e for e in writers.sorted_edges(G) if e[1] in keep and e[2] in keep]
    edges.sort(key=lambda e: (-int(e[4].get("count", 1) or 1), int(e[0][1:])))
    edges = edges[:MAX_PICTURE_EDGES]
    H = nx.MultiDiGraph()
    H.graph.update(G.graph)
    H.add_nodes_from((u, G.nodes[u]) for u in sorted(keep, key=str))
    for _eid, u, v, k, d in edges:
        H.add_edge(u, v, key=k, **d)
    H.graph["note"] = (f"{H.number_of_nodes()} of {n} nodes (best connected), "
                       f"{H.number_of_edges()} of {m} edges (strongest) shown")
    return H


def render(G: nx.MultiDiGraph, fmt: str, *, engine: str | None = None) -> bytes:
    if fmt not in ("png", "svg"):
        raise ValueError(fmt)
    which = renderer(engine)
    P = picture_graph(G)
    if which == "graphviz":
        try:
            return _graphviz(P, fmt)
        except RenderError:
            if engine or os.environ.get("NAVOGRAPH_RENDERER"):
                raise
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                raise
            return _matplotlib(P, fmt)  # Graphviz failed or was too slow: fall back
    return _matplotlib(P, fmt)


def _graphviz(G: nx.MultiDiGraph, fmt: str) -> bytes:
    n = G.number_of_nodes()
    layout = "sfdp" if n > 250 and shutil.which("sfdp") else "neato"
    src = writers.dot(G, layout=layout, picture=True)
    args = [shutil.which("dot") or "dot", f"-K{layout}", f"-T{fmt}", "-Gpad=0.2",
            "-Gsize=50,50"]  # at most 50 inches a side (4800 px at 96 dpi)
    if fmt == "png":
        args.append("-Gdpi=96")
    try:
        proc = subprocess.run(args, input=src.encode("utf-8"), capture_output=True, timeout=GRAPHVIZ_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired as e:
        raise RenderError(f"Graphviz took longer than {GRAPHVIZ_TIMEOUT} s") from e
    if proc.returncode != 0 or not proc.stdout:
        raise RenderError("Graphviz failed: " + proc.stderr.decode("utf-8", "replace")[-2000:])
    return proc.stdout


def _layout(G: nx.Graph) -> dict:
    H = nx.Graph()
    H.add_nodes_from(sorted(G.nodes()))
    for u, v, d in sorted(G.edges(data=True), key=lambda e: (str(e[0]), str(e[1]))):
        w = float(d.get("weight", 1.0) or 1.0)
        if H.has_edge(u, v):
            H[u][v]["weight"] += w
        elif u != v:
            H.add_edge(u, v, weight=w)
    n = H.number_of_nodes()
    if n == 0:
        return {}
    k = 2.0 / max(n, 1) ** 0.5
    try:
        return nx.spring_layout(H, seed=7, k=k, iterations=100, weight=None)
    except ImportError:  # networkx wants scipy for >= 500 nodes
        if n > 3000:
            return nx.circular_layout(H)
        from networkx.drawing.layout import _fruchterman_reingold

        import numpy as np

        A = nx.to_numpy_array(H, weight=None)
        arr = _fruchterman_reingold(A, k=k, iterations=50, seed=np.random.RandomState(7))
        arr = nx.rescale_layout(arr)
        return dict(zip(H.nodes(), arr))


def _matplotlib(G: nx.MultiDiGraph, fmt: str) -> bytes:
    import io

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    pos = _layout(G)
    n = max(G.number_of_nodes(), 1)
    side = min(60.0, max(8.0, 1.1 * n ** 0.5 * 1.6))
    with matplotlib.rc_context({"svg.hashsalt": "navograph", "svg.fonttype": "path",
                                "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(side, side), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.94))
        ax.set_axis_off()
        view = G.graph.get("view", "graph")
        fig.suptitle(f"navograph \u2014 {view}", fontsize=14)
        if G.graph.get("note"):
            fig.text(0.5, 0.955, G.graph["note"], ha="center", fontsize=9, color="#555555")
        edges = writers.sorted_edges(G)
        seen_pairs: dict[tuple, int] = {}
        for _eid, u, v, _k, d in edges:
            if u == v or u not in pos or v not in pos:
                continue
            i = seen_pairs.get((u, v), 0)
            seen_pairs[(u, v)] = i + 1
            cnt = int(d.get("count", 1) or 1)
            ax.add_patch(FancyArrowPatch(
                tuple(pos[u]), tuple(pos[v]), arrowstyle="-|>", mutation_scale=8,
                connectionstyle=f"arc3,rad={0.08 + 0.12 * i}",
                color=d.get("color") or "#8a8a8a", linewidth=min(5.0, 0.5 + 0.9 * math.log2(1 + cnt)),
                alpha=0.75, shrinkA=6, shrinkB=6, zorder=1))
        nodes = writers.sorted_nodes(G)
        xs = [pos[nid][0] for nid, _ in nodes]
        ys = [pos[nid][1] for nid, _ in nodes]
        ax.scatter(xs, ys, s=90, c=[d.get("color") or "#d9d9d9" for _, d in nodes],
                   edgecolors="#333333", linewidths=0.5, zorder=2)
        fs = 9 if n <= 60 else 7 if n <= 300 else 5
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # glyphs missing from the font: drawn as boxes
            for (nid, d), x, y in zip(nodes, xs, ys):
                label = str(d.get("label") or nid)
                if len(label) > 32:
                    label = label[:31] + "\u2026"
                ax.text(x, y + 0.025, label, fontsize=fs, ha="center", va="bottom", zorder=3,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                              "alpha": 0.7})
            types = sorted({d.get("type", "") for _, d in nodes})
            handles = [Line2D([], [], marker="o", linestyle="", markersize=7,
                              markerfacecolor=next((d.get("color") for _, d in nodes
                                                    if d.get("type") == t), "#d9d9d9"),
                              markeredgecolor="#333333", label=t) for t in types]
            pols = sorted({d.get("polarity") for *_, d in edges if d.get("polarity")})
            handles += [Line2D([], [], color=writers_color(p), linewidth=2, label=p)
                        for p in pols]
            if handles:
                ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
            ax.margins(0.15)
            ax.autoscale_view()
            buf = io.BytesIO()
            if fmt == "svg":
                fig.savefig(buf, format="svg", metadata={"Date": None})
            else:
                fig.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()


def writers_color(polarity: str) -> str:
    from navograph.viz.views import EDGE_COLOR, POLARITY_COLORS

    return POLARITY_COLORS.get(polarity, EDGE_COLOR)
