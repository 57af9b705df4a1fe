"""Serialise a view graph: GraphML, GEXF 1.3, Cytoscape.js JSON, neo4j-admin CSV, DOT.

All writers are deterministic: nodes sorted by id, edges by (source, target, key), attribute
declarations in a fixed order, no timestamps. Every attribute has one declared type
(string, int, double or boolean); values are coerced to it; absent or empty values are left
out rather than written as None.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any, Iterable

import networkx as nx

NODE_ORDER = ("label", "key", "type", "label_nl", "label_en", "iri", "wikidata", "color", "letters")
EDGE_ORDER = ("relation", "polarity", "count", "weight", "letters", "modality", "first_date",
              "last_date", "color")
LIST_ATTRS = {"letters", "modality"}  # ";"-joined lists (string[] in neo4j)

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# ---------------------------------------------------------------------------
# ordering and typing

def sorted_nodes(G: nx.MultiDiGraph) -> list[tuple[str, dict]]:
    return sorted(G.nodes(data=True), key=lambda nd: str(nd[0]))


def sorted_edges(G: nx.MultiDiGraph) -> list[tuple[str, str, str, str, dict]]:
    """Edges as (edge id, source, target, key, data), sorted; ids are ``e0``, ``e1``, ..."""
    es = sorted(G.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))
    return [(f"e{i}", u, v, k, d) for i, (u, v, k, d) in enumerate(es)]


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "double"
    return "string"


def schema(items: Iterable[dict], order: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, type) of every attribute, one type per attribute, in a fixed order."""
    kinds: dict[str, set[str]] = {}
    for d in items:
        for k, v in d.items():
            if v is None:
                continue
            kinds.setdefault(k, set()).add(_kind(v))
    out = []
    for name in list(order) + sorted(set(kinds) - set(order)):
        if name not in kinds:
            continue
        ks = kinds[name]
        if len(ks) == 1:
            t = next(iter(ks))
        elif ks <= {"int", "double"}:
            t = "double"
        else:
            t = "string"
        out.append((name, t))
    return out


def coerce(v: Any, t: str) -> Any:
    """A value as its attribute's declared type, or None when absent/empty."""
    if v is None:
        return None
    if t == "string":
        if isinstance(v, bool):
            v = "true" if v else "false"
        v = str(v)
        return v if v != "" else None
    if t == "boolean":
        return bool(v) if not isinstance(v, str) else v.strip().lower() in ("true", "1")
    if t == "int":
        return int(v)
    if t == "double":
        return float(v)
    raise ValueError(t)


def lexical(v: Any, t: str) -> str:
    if t == "boolean":
        return "true" if v else "false"
    if t == "double":
        return repr(float(v))
    return str(v)


# ---------------------------------------------------------------------------
# XML helpers

def xml_text(s: str) -> str:
    s = _INVALID_XML.sub("\ufffd", s)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(s: str) -> str:
    return ('"' + xml_text(s).replace('"', "&quot;").replace("\n", "&#10;")
            .replace("\r", "&#13;").replace("\t", "&#9;") + '"')


_GRAPHML_TYPES = {"string": "string", "int": "int", "double": "double", "boolean": "boolean"}


def graphml(G: nx.MultiDiGraph) -> str:
    nodes = sorted_nodes(G)
    edges = sorted_edges(G)
    nsch = schema((d for _, d in nodes), NODE_ORDER)
    esch = schema((d for *_, d in edges), EDGE_ORDER)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    nkeys, ekeys = {}, {}
    for i, (name, t) in enumerate(nsch):
        nkeys[name] = f"n{i}"
        out.append(f'  <key id="n{i}" for="node" attr.name={xml_attr(name)} '
                   f'attr.type="{_GRAPHML_TYPES[t]}"/>')
    for i, (name, t) in enumerate(esch):
        ekeys[name] = f"e{i}"
        out.append(f'  <key id="e{i}" for="edge" attr.name={xml_attr(name)} '
                   f'attr.type="{_GRAPHML_TYPES[t]}"/>')
    view = G.graph.get("view", "graph")
    out.append(f'  <graph id={xml_attr("navograph-" + view)} edgedefault="directed">')
    for n, d in nodes:
        out.append(f"    <node id={xml_attr(str(n))}>")
        for name, t in nsch:
            v = coerce(d.get(name), t)
            if v is not None:
                out.append(f'      <data key="{nkeys[name]}">{xml_text(lexical(v, t))}</data>')
        out.append("    </node>")
    for eid, u, v_, _k, d in edges:
        out.append(f"    <edge id={xml_attr(eid)} source={xml_attr(str(u))} "
                   f"target={xml_attr(str(v_))}>")
        for name, t in esch:
            v = coerce(d.get(name), t)
            if v is not None:
                out.append(f'      <data key="{ekeys[name]}">{xml_text(lexical(v, t))}</data>')
        out.append("    </edge>")
    out.append("  </graph>")
    out.append("</graphml>")
    return "\n".join(out) + "\n"


_GEXF_TYPES = {"string": "string", "int": "integer", "double": "double", "boolean": "boolean"}


def _rgb(color: str) -> tuple[int, int, int] | None:
    m = re.fullmatch(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})", color or "")
    return tuple(int(x, 16) for x in m.groups()) if m else None  # type: ignore[return-value]


def gexf(G: nx.MultiDiGraph) -> str:
    """GEXF 1.3 (Gephi): declared attribute types, viz colours, no lastmodifieddate."""
    nodes = sorted_nodes(G)
    edges = sorted_edges(G)
    # label and weight are GEXF's own XML attributes, not attvalues
    nsch = [(n, t) for n, t in schema((d for _, d in nodes), NODE_ORDER) if n != "label"]
    esch = [(n, t) for n, t in schema((d for *_, d in edges), EDGE_ORDER) if n != "weight"]
    view = G.graph.get("view", "graph")
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">',
           "  <meta>",
           "    <creator>navograph</creator>",
           f"    <description>{xml_text('navograph ' + view + ' view')}</description>",
           "  </meta>",
           '  <graph defaultedgetype="directed" mode="static">',
           '    <attributes class="node" mode="static">']
    for i, (name, t) in enumerate(nsch):
        out.append(f'      <attribute id="n{i}" title={xml_attr(name)} type="{_GEXF_TYPES[t]}"/>')
    out.append("    </attributes>")
    out.append('    <attributes class="edge" mode="static">')
    for i, (name, t) in enumerate(esch):
        out.append(f'      <attribute id="e{i}" title={xml_attr(name)} type="{_GEXF_TYPES[t]}"/>')
    out.append("    </attributes>")
    out.append("    <nodes>")
    for n, d in nodes:
        label = str(d.get("label") or d.get("key") or n)
        out.append(f"      <node id={xml_attr(str(n))} label={xml_attr(label)}>")
        vals = [(f"n{i}", lexical(v, t)) for i, (name, t) in enumerate(nsch)
                if (v := coerce(d.get(name), t)) is not None]
        if vals:
            out.append("        <attvalues>")
            out += [f'          <attvalue for="{k}" value={xml_attr(v)}/>' for k, v in vals]
            out.append("        </attvalues>")
        rgb = _rgb(d.get("color", ""))
        if rgb:
            out.append(f'        <viz:color r="{rgb[0]}" g="{rgb[1]}" b="{rgb[2]}" a="1.0"/>')
        out.append("      </node>")
    out.append("    </nodes>")
    out.append("    <edges>")
    for eid, u, v_, k, d in edges:
        w = float(d.get("weight", 1.0) or 1.0)
        label = str(d.get("relation") or k)
        out.append(f"      <edge id={xml_attr(eid)} source={xml_attr(str(u))} "
                   f"target={xml_attr(str(v_))} label={xml_attr(label)} "
                   f"kind={xml_attr(str(k))} weight=\"{w!r}\">")
        vals = [(f"e{i}", lexical(v, t)) for i, (name, t) in enumerate(esch)
                if (v := coerce(d.get(name), t)) is not None]
        if vals:
            out.append("        <attvalues>")
            out += [f'          <attvalue for="{k2}" value={xml_attr(v)}/>' for k2, v in vals]
            out.append("        </attvalues>")
        rgb = _rgb(d.get("color", ""))
        if rgb:
            out.append(f'        <viz:color r="{rgb[0]}" g="{rgb[1]}" b="{rgb[2]}" a="1.0"/>')
        out.append("      </edge>")
    out.append("    </edges>")
    out.append("  </graph>")
    out.append("</gexf>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# Cytoscape.js JSON

def safe_json(obj: Any) -> str:
    """JSON that can sit inside an HTML <script> element as is: ``<``, ``>``, ``&`` and
    U+2028/U+2029 are escaped (still valid JSON, same value)."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=False, separators=(",", ":"),
                   allow_nan=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def cytoscape_doc(G: nx.MultiDiGraph) -> dict[str, Any]:
    nodes = sorted_nodes(G)
    edges = sorted_edges(G)
    nsch = schema((d for _, d in nodes), NODE_ORDER)
    esch = schema((d for *_, d in edges), EDGE_ORDER)
    view = G.graph.get("view", "graph")
    jn = []
    for n, d in nodes:
        data: dict[str, Any] = {"id": str(n)}
        for name, t in nsch:
            v = coerce(d.get(name), t)
            if v is not None:
                data[name] = v
        jn.append({"data": data})
    je = []
    for eid, u, v_, _k, d in edges:
        data = {"id": eid, "source": str(u), "target": str(v_)}
        for name, t in esch:
            v = coerce(d.get(name), t)
            if v is not None:
                data[name] = v
        je.append({"data": data})
    doc: dict[str, Any] = {
        "format_version": "1.0",
        "generated_by": "navograph",
        "target_cytoscapejs_version": "~3.34",
        "data": {"name": f"navograph {view}", "view": view,
                 "node_attributes": dict(nsch), "edge_attributes": dict(esch)},
        "elements": {"nodes": jn, "edges": je},
    }
    if "navograph" in G.graph:
        doc["navograph"] = G.graph["navograph"]
    return doc


def cytoscape(G: nx.MultiDiGraph) -> str:
    return safe_json(cytoscape_doc(G)) + "\n"


# ---------------------------------------------------------------------------
# neo4j-admin database import full CSV

_NEO_TYPES = {"string": "", "int": ":int", "double": ":double", "boolean": ":boolean"}


DATE_ATTRS = {"date", "start", "end", "first_date", "last_date"}  # xsd:date lexical forms
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _neo_type(name: str, t: str) -> str:
    if name in LIST_ATTRS and t == "string":
        return ":string[]"
    return _NEO_TYPES[t]


def _neo_col_type(name: str, t: str, values: Iterable[Any]) -> str:
    """neo4j column type; dates become ``:date`` when every value is an xsd:date."""
    if name in DATE_ATTRS and t == "string":
        vals = [v for v in values if v not in (None, "")]
        if vals and all(isinstance(v, str) and _DATE_RE.fullmatch(v) for v in vals):
            return ":date"
    return _neo_type(name, t)


def neo4j_type_name(relation: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", relation)
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_")
    return (s or "RELATED").upper()


def _csv_text(header: list[str], body: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(body)
    return buf.getvalue()


def neo4j_csv(G: nx.MultiDiGraph) -> tuple[str, str]:
    """(nodes.csv, relationships.csv) for ``neo4j-admin database import full``.

    ``key:ID`` is the unique node id (``country/NL``); ``identifier`` is dcterms:identifier.
    Lists (letters, modality) are ``string[]`` joined with ";", neo4j's array delimiter.
    """
    nodes = sorted_nodes(G)
    edges = sorted_edges(G)
    nsch = schema((d for _, d in nodes), NODE_ORDER)
    esch = schema((d for *_, d in edges), EDGE_ORDER)
    present_n = dict(nsch)
    # (source attribute, column name, type): labels first, then dcterms:identifier, then the rest
    ncols = [(n, n, present_n.get(n, "string")) for n in ("label_nl", "label_en")]
    ncols.append(("key", "identifier", "string"))
    ncols += [(n, n, t) for n, t in nsch if n not in ("label_nl", "label_en", "key", "type")]
    header = ["key:ID"] + [c + _neo_col_type(c, t, (d.get(src) for _, d in nodes))
                           for src, c, t in ncols] + [":LABEL"]
    order = ncols
    body = []
    for n, d in nodes:
        row = [str(n)]
        for src, _c, t in order:
            v = coerce(d.get(src), t)
            row.append("" if v is None else lexical(v, t))
        label = re.sub(r"[^A-Za-z0-9_]", "_", str(d.get("type") or "Resource"))
        row.append(label)
        body.append(row)
    nodes_csv = _csv_text(header, body)

    ecols = [("polarity", "string"), ("count", "int")]
    present = dict(esch)
    ecols = [(n, present.get(n, t)) for n, t in ecols] + [
        (n, t) for n, t in esch if n not in ("polarity", "count")]
    eheader = [":START_ID", ":END_ID", ":TYPE"] + [
        n + _neo_col_type(n, t, (d.get(n) for *_, d in edges)) for n, t in ecols]
    ebody = []
    for _eid, u, v_, k, d in edges:
        row = [str(u), str(v_), neo4j_type_name(str(d.get("relation") or k))]
        for name, t in ecols:
            v = coerce(d.get(name), t)
            row.append("" if v is None else lexical(v, t))
        ebody.append(row)
    return nodes_csv, _csv_text(eheader, ebody)


# ---------------------------------------------------------------------------
# Graphviz DOT

def dot_quote(s: str) -> str:
    """A DOT double-quoted string: backslash, quote and line breaks escaped."""
    s = _INVALID_XML.sub("\ufffd", str(s))
    return '"' + (s.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\\n")
                  .replace("\n", "\\n").replace("\r", "\\n")) + '"'


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"


def dot(G: nx.MultiDiGraph, *, layout: str | None = None, picture: bool = False) -> str:
    """Graphviz DOT with every attribute; ``picture=True`` keeps only what drawing needs
    and simplifies large graphs (straight edges, no edge labels) so that layout stays fast."""
    nodes = sorted_nodes(G)
    edges = sorted_edges(G)
    nsch = schema((d for _, d in nodes), NODE_ORDER)
    esch = schema((d for *_, d in edges), EDGE_ORDER)
    view = G.graph.get("view", "graph")
    lines = [f"digraph {dot_quote('navograph ' + view)} {{"]
    big = len(edges) > 300
    gattrs = ['overlap="false"', f'splines="{"false" if big else "true"}"',
              'outputorder="edgesfirst"', 'fontname="sans-serif"']
    if layout:
        gattrs.insert(0, f"layout={dot_quote(layout)}")
    if G.graph.get("note"):
        gattrs += [f"label={dot_quote(G.graph['note'])}", 'labelloc="t"', 'fontsize="10"']
    lines.append(f"  graph [{', '.join(gattrs)}];")
    lines.append('  node [shape="box", style="rounded,filled", fontname="sans-serif", '
                 'fontsize="10", penwidth="0.5"];')
    lines.append('  edge [fontname="sans-serif", fontsize="7", arrowsize="0.6"];')
    reserved_n = {"label", "color"}
    for n, d in nodes:
        attrs = [f"label={dot_quote(_short(str(d.get('label') or n)))}",
                 f"fillcolor={dot_quote(d.get('color') or '#d9d9d9')}",
                 f"tooltip={dot_quote(str(d.get('label') or n))}"]
        for name, t in nsch:
            if name in reserved_n or picture:
                continue
            v = coerce(d.get(name), t)
            if v is not None:
                attrs.append(f"{dot_quote(name)}={dot_quote(lexical(v, t))}")
        lines.append(f"  {dot_quote(str(n))} [{', '.join(attrs)}];")
    reserved_e = {"color", "weight"}
    for eid, u, v_, k, d in edges:
        cnt = int(d.get("count", 1) or 1)
        pw = min(6.0, 0.8 + 1.2 * math.log2(1 + cnt))
        attrs = [f"id={dot_quote(eid)}"]
        if not (picture and big):
            attrs.append(f"label={dot_quote(str(d.get('relation') or k))}")
        attrs += [f"color={dot_quote(d.get('color') or '#8a8a8a')}",
                  f"penwidth=\"{pw:.2f}\"",
                  f"weight=\"{max(1, cnt)}\""]
        for name, t in esch:
            if name in reserved_e or picture:
                continue
            v = coerce(d.get(name), t)
            if v is not None:
                attrs.append(f"{dot_quote('nav_' + name if name == 'label' else name)}="
                             f"{dot_quote(lexical(v, t))}")
        lines.append(f"  {dot_quote(str(u))} -> {dot_quote(str(v_))} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
