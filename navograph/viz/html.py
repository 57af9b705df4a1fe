"""One self-contained interactive HTML page: cytoscape.js, the CSS and the view's data inline.

The data block is exactly the Cytoscape.js JSON that ``--format cytoscape`` writes.
Nothing is fetched when the page is opened.
"""
from __future__ import annotations

import html
import re
from importlib import resources

import networkx as nx

from navograph.viz import writers

VENDOR_JS = "cytoscape.min.js"
VENDOR_VERSION = "3.34.4"


def vendor_js() -> str:
    js = (resources.files("navograph") / "data" / "vendor" / VENDOR_JS).read_text("utf-8")
    # never let the library close or confuse the <script> element it is inlined in
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js.replace("<!--", "<\\!--")


def page(G: nx.MultiDiGraph) -> str:
    data = writers.cytoscape(G).rstrip("\n")
    view = G.graph.get("view", "graph")
    title = f"navograph \u2014 {view} view"
    out = _TEMPLATE
    for k, v in (("@@TITLE@@", html.escape(title, quote=True)),
                 ("@@VIEW@@", html.escape(view, quote=True)),
                 ("@@VERSION@@", VENDOR_VERSION),
                 ("@@CSS@@", _CSS)):
        out = out.replace(k, v)
    # data and code last, so no placeholder text inside them is ever replaced
    head, tail = out.split("@@DATA@@")
    tail_a, tail_b = tail.split("@@VENDOR@@")
    tail_b1, tail_b2 = tail_b.split("@@APP@@")
    return head + data + tail_a + vendor_js() + tail_b1 + _APP + tail_b2


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="navograph; cytoscape.js @@VERSION@@ (MIT licence, The Cytoscape Consortium)">
<title>@@TITLE@@</title>
<style>
@@CSS@@
</style>
</head>
<body data-view="@@VIEW@@" data-nodes="" data-edges="" data-visible-nodes="">
<header>
  <h1>@@TITLE@@</h1>
  <input id="search" type="search" placeholder="Search by name or key\u2026" autocomplete="off" aria-label="Search by name">
  <span id="search-count"></span>
  <span id="counts"></span>
</header>
<main>
  <nav id="filters" aria-label="Filters">
    <section><h2>Labels</h2>
      <select id="lang" aria-label="Label language"><option value="label">English</option><option value="label_nl">Nederlands</option></select>
    </section>
    <section><h2>Node types</h2><div id="types"></div></section>
    <section id="pol-section"><h2>Polarity</h2><div id="polarities"></div></section>
    <section><h2>Min. edge weight</h2><input id="min-weight" type="number" min="0" step="1" value="1" aria-label="Minimum edge weight"><div id="weight-note" class="hint"></div></section>
    <section><h2>Letter</h2><select id="letter" aria-label="Letter"><option value="">All letters</option></select></section>
    <section><h2>Dates</h2>
      <label>from <input id="date-from" type="date"></label>
      <label>to <input id="date-to" type="date"></label>
    </section>
    <section><button id="reset" type="button">Reset filters</button> <button id="fit" type="button">Fit</button></section>
    <section class="legend"><h2>Edges</h2>
      <div><i style="background:#2e7d32"></i>support</div>
      <div><i style="background:#c62828"></i>oppose</div>
      <div><i style="background:#ef6c00"></i>concern</div>
      <div><i style="background:#8a8a8a"></i>other relation</div>
    </section>
  </nav>
  <div id="cy" role="img" aria-label="graph"></div>
  <aside id="details" aria-live="polite"><p class="hint">Click a node or an edge to see its facts and the sentences they were read from.</p></aside>
</main>
<script id="navograph-data" type="application/json">@@DATA@@</script>
<script>@@VENDOR@@</script>
<script>@@APP@@</script>
</body>
</html>
"""

_CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; color: #222; }
header { display: flex; align-items: center; gap: 12px; padding: 6px 12px; background: #1d3557; color: #fff; height: 44px; }
header h1 { font-size: 16px; margin: 0 12px 0 0; font-weight: 600; white-space: nowrap; }
#search { width: 280px; padding: 4px 8px; border-radius: 4px; border: 0; }
#counts, #search-count { font-size: 12px; opacity: .9; }
main { display: flex; height: calc(100% - 44px); }
#filters { width: 210px; overflow-y: auto; padding: 8px 10px; border-right: 1px solid #ddd; background: #f7f7f7; }
#filters h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #555; margin: 10px 0 4px; }
#filters label { display: block; margin: 2px 0; }
#filters select, #filters input[type=date] { width: 100%; }
.swatch, .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 5px; vertical-align: middle; }
.legend i { border-radius: 1px; height: 4px; width: 16px; }
#cy { flex: 1; min-width: 0; background: #fff; }
#details { width: 360px; overflow-y: auto; padding: 10px 12px; border-left: 1px solid #ddd; background: #fcfcfc; }
#details h2 { font-size: 16px; margin: 0 0 4px; overflow-wrap: anywhere; }
#details .meta { color: #555; margin-bottom: 8px; }
#details table { border-collapse: collapse; width: 100%; margin-bottom: 10px; }
#details td { border-top: 1px solid #eee; padding: 2px 4px; vertical-align: top; overflow-wrap: anywhere; }
#details td:first-child { color: #666; width: 34%; }
.fact { border-left: 4px solid #8a8a8a; padding: 4px 8px; margin: 8px 0; background: #fff; }
.fact.support { border-color: #2e7d32; } .fact.oppose { border-color: #c62828; } .fact.concern { border-color: #ef6c00; }
.fact .what { font-weight: 600; }
.fact blockquote { margin: 4px 0; padding: 4px 6px; background: #f3f3f3; font-style: italic; white-space: pre-wrap; overflow-wrap: anywhere; }
.fact .src { color: #666; font-size: 12px; }
.hint { color: #777; }
.more { color: #777; font-style: italic; }
"""

_APP = r"""
(function () {
  "use strict";
  var doc = JSON.parse(document.getElementById("navograph-data").textContent);
  var nav = doc.navograph || { facts: [], evidence: {}, letters: {} };
  var letters = nav.letters || {};
  var evidence = nav.evidence || {};
  var POL = { support: "#2e7d32", oppose: "#c62828", concern: "#ef6c00" };

  // facts by node id
  var factsByNode = {};
  (nav.facts || []).forEach(function (f, i) {
    (f.nodes || []).forEach(function (n) { (factsByNode[n] = factsByNode[n] || []).push(i); });
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var labelField = "label";
  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: doc.elements,
    minZoom: 0.05,
    maxZoom: 6,
    style: [
      { selector: "node", style: {
          "background-color": "data(color)", "label": function (n) { return n.data(labelField) || n.data("key") || n.id(); },
          "font-size": 10, "min-zoomed-font-size": 6, "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "ellipsis", "text-max-width": 140,
          "text-background-color": "#fff", "text-background-opacity": 0.7, "text-background-padding": 1,
          "width": function (n) { return 14 + 3 * Math.sqrt(n.degree()); },
          "height": function (n) { return 14 + 3 * Math.sqrt(n.degree()); },
          "border-width": 1, "border-color": "#444" } },
      { selector: "node[type = 'Meeting']", style: { "shape": "round-rectangle" } },
      { selector: "node[type = 'Letter']", style: { "shape": "rectangle" } },
      { selector: "node[type = 'Topic'], node[type = 'Initiative']", style: { "shape": "diamond" } },
      { selector: "edge", style: {
          "line-color": "data(color)", "target-arrow-color": "data(color)", "target-arrow-shape": "triangle",
          "curve-style": "bezier", "arrow-scale": 0.8, "opacity": 0.75,
          "width": function (e) { return 1 + Math.min(6, Math.sqrt(e.data("count") || 1) * 1.5); } } },
      { selector: "edge:selected", style: { "label": "data(relation)", "font-size": 9, "opacity": 1, "text-rotation": "autorotate" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#000" } },
      { selector: ".hidden", style: { "display": "none" } },
      { selector: ".faded", style: { "opacity": 0.15, "text-opacity": 0.2 } },
      { selector: ".match", style: { "border-width": 4, "border-color": "#ffb000", "z-index": 10 } }
    ]
  });

  var api = { cy: cy, data: doc, ready: false, factsByNode: factsByNode, applyFilters: null, show: null };
  window.navograph = api;
  document.body.setAttribute("data-nodes", String(cy.nodes().length));
  document.body.setAttribute("data-edges", String(cy.edges().length));

  // ---- filters
  var typesBox = document.getElementById("types");
  var polBox = document.getElementById("polarities");
  var typeChecks = {}, polChecks = {};
  var types = {}, pols = {};
  cy.nodes().forEach(function (n) { types[n.data("type") || "Resource"] = n.data("color"); });
  cy.edges().forEach(function (e) { if (e.data("polarity")) pols[e.data("polarity")] = true; });
  Object.keys(types).sort().forEach(function (t) {
    var lab = el("label"), cb = el("input"), sw = el("span", "swatch");
    cb.type = "checkbox"; cb.checked = true; cb.value = t; cb.setAttribute("data-type", t);
    sw.style.background = types[t] || "#ccc";
    lab.appendChild(cb); lab.appendChild(sw); lab.appendChild(document.createTextNode(t + " (" + cy.nodes().filter(function (n) { return (n.data("type") || "Resource") === t; }).length + ")"));
    typesBox.appendChild(lab); typeChecks[t] = cb;
  });
  var polNames = Object.keys(pols).sort();
  if (!polNames.length) document.getElementById("pol-section").style.display = "none";
  polNames.forEach(function (p) {
    var lab = el("label"), cb = el("input"), sw = el("span", "swatch");
    cb.type = "checkbox"; cb.checked = true; cb.value = p; cb.setAttribute("data-polarity", p);
    sw.style.background = POL[p] || "#8a8a8a";
    lab.appendChild(cb); lab.appendChild(sw); lab.appendChild(document.createTextNode(p));
    polBox.appendChild(lab); polChecks[p] = cb;
  });
  var letterSel = document.getElementById("letter");
  Object.keys(letters).sort(function (a, b) {
    var da = letters[a].date || "", db = letters[b].date || "";
    return da < db ? -1 : da > db ? 1 : (a < b ? -1 : a > b ? 1 : 0);
  }).forEach(function (k) {
    var o = el("option"), L = letters[k], t = L.title || "";
    if (t.length > 60) t = t.slice(0, 59) + "\u2026";
    o.value = k; o.textContent = (L.date ? L.date + " \u2014 " : "") + (t || k);
    letterSel.appendChild(o);
  });
  var dateFrom = document.getElementById("date-from"), dateTo = document.getElementById("date-to");
  var minWeight = document.getElementById("min-weight");
  // very dense views start with only their strongest edges drawn (nodes all stay)
  var MAX_DRAWN_EDGES = 4000, defaultMinWeight = 0;
  if (cy.edges().length > MAX_DRAWN_EDGES) {
    var ws = cy.edges().map(function (e) { return e.data("weight") || 0; }).sort(function (a, b) { return b - a; });
    defaultMinWeight = Math.max(ws[MAX_DRAWN_EDGES - 1], 0);
    if (defaultMinWeight === ws[0]) defaultMinWeight = ws[0];
    document.getElementById("weight-note").textContent = "dense view: edges below weight " + defaultMinWeight + " hidden at first";
  }
  minWeight.value = String(defaultMinWeight);

  function splitList(s) { return (s || "").split(";").filter(function (x) { return x; }); }

  function applyFilters() {
    var L = letterSel.value, from = dateFrom.value, to = dateTo.value;
    var letterActive = !!(L || from || to);
    var minW = parseFloat(minWeight.value) || 0;
    var polActive = polNames.some(function (p) { return !polChecks[p].checked; });
    function letterOk(l) {
      if (L && l !== L) return false;
      var d = (letters[l] || {}).date || "";
      if (from && (!d || d < from)) return false;
      if (to && (!d || d > to)) return false;
      return true;
    }
    function timeOk(ele) {
      if (!letterActive) return true;
      if (splitList(ele.data("letters")).some(letterOk)) return true;
      var d = ele.data("date");  // meetings and letters carry their own date
      if (!L && d && (!from || d >= from) && (!to || d <= to.slice(0, d.length))) return true;
      return false;
    }
    cy.batch(function () {
      var cand = {};
      cy.nodes().forEach(function (n) {
        var t = n.data("type") || "Resource";
        cand[n.id()] = (!typeChecks[t] || typeChecks[t].checked) && timeOk(n);
      });
      var visEdge = {};
      cy.edges().forEach(function (e) {
        var p = e.data("polarity");
        var ok = cand[e.source().id()] && cand[e.target().id()] && (!p || !polChecks[p] || polChecks[p].checked) &&
          (e.data("weight") === undefined || e.data("weight") >= minW) && timeOk(e);
        visEdge[e.id()] = ok;
        if (ok) e.removeClass("hidden"); else e.addClass("hidden");
      });
      cy.nodes().forEach(function (n) {
        var ok = cand[n.id()];
        if (ok && (polActive || letterActive) && n.connectedEdges().length) {
          ok = n.connectedEdges().some(function (e) { return visEdge[e.id()]; }) || (letterActive && !polActive && timeOk(n) && splitList(n.data("letters")).some(letterOk));
        }
        if (ok) n.removeClass("hidden"); else n.addClass("hidden");
      });
    });
    var vn = cy.nodes().not(".hidden").length, ve = cy.edges().not(".hidden").length;
    document.getElementById("counts").textContent = vn + " of " + cy.nodes().length + " nodes, " + ve + " of " + cy.edges().length + " edges";
    document.body.setAttribute("data-visible-nodes", String(vn));
  }
  api.applyFilters = applyFilters;
  [letterSel, dateFrom, dateTo, minWeight].forEach(function (x) { x.addEventListener("change", applyFilters); });
  Object.keys(typeChecks).forEach(function (k) { typeChecks[k].addEventListener("change", applyFilters); });
  Object.keys(polChecks).forEach(function (k) { polChecks[k].addEventListener("change", applyFilters); });
  document.getElementById("reset").addEventListener("click", function () {
    Object.keys(typeChecks).forEach(function (k) { typeChecks[k].checked = true; });
    Object.keys(polChecks).forEach(function (k) { polChecks[k].checked = true; });
    letterSel.value = ""; dateFrom.value = ""; dateTo.value = ""; minWeight.value = String(defaultMinWeight);
    search.value = ""; doSearch(); applyFilters();
  });
  document.getElementById("fit").addEventListener("click", function () { cy.fit(cy.elements().not(".hidden"), 30); });
  document.getElementById("lang").addEventListener("change", function (ev) {
    labelField = ev.target.value; cy.style().update();
  });

  // ---- search
  var search = document.getElementById("search");
  function doSearch() {
    var q = search.value.trim().toLowerCase();
    cy.batch(function () {
      cy.elements().removeClass("match faded");
      if (!q) return;
      var hits = cy.nodes().filter(function (n) {
        return ["label", "label_nl", "label_en", "key", "id"].some(function (f) {
          return String(n.data(f) || "").toLowerCase().indexOf(q) >= 0;
        });
      });
      cy.elements().not(hits).addClass("faded");
      hits.addClass("match");
    });
    var c = cy.nodes(".match").length;
    document.getElementById("search-count").textContent = q ? (c + " found") : "";
    return cy.nodes(".match");
  }
  search.addEventListener("input", doSearch);
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var hits = doSearch().not(".hidden");
      if (hits.length) { cy.fit(hits, 60); if (hits.length === 1) show(hits[0]); }
    }
  });

  // ---- details panel
  var panel = document.getElementById("details");
  var SKIP = { color: 1, id: 1, source: 1, target: 1 };
  function attrTable(data) {
    var table = el("table");
    Object.keys(data).forEach(function (k) {
      if (SKIP[k]) return;
      var v = data[k];
      if (v === "" || v === null || v === undefined) return;
      var tr = el("tr"); tr.appendChild(el("td", null, k));
      var td = el("td");
      if (k === "letters") v = splitList(v).join(", ");
      if (k === "wikidata") {
        var a = el("a", null, v); a.href = "https://www.wikidata.org/wiki/" + encodeURIComponent(v); a.target = "_blank"; a.rel = "noopener";
        td.appendChild(a);
      } else td.textContent = String(v);
      tr.appendChild(td); table.appendChild(tr);
    });
    return table;
  }
  function factBox(f) {
    var box = el("div", "fact " + (f.polarity || ""));
    box.setAttribute("data-kind", f.kind || "");
    var what = el("div", "what", f.text || f.kind);
    box.appendChild(what);
    var extra = [];
    if (f.polarity) extra.push(f.polarity);
    if (f.modality) extra.push(f.modality);
    if (extra.length) box.appendChild(el("div", "src", f.kind + ": " + extra.join(", ")));
    var ev = evidence[f.evidence];
    if (ev) box.appendChild(el("blockquote", "quote", ev.quote));
    var L = letters[f.letter] || {};
    var src = "letter " + (f.letter || "?") + (L.date ? " (" + L.date + ")" : "") + (L.title ? " \u2014 " + L.title : "");
    if (f.date && f.date !== L.date) src += "; dated " + f.date;
    box.appendChild(el("div", "src", src));
    return box;
  }
  var MAX_FACTS = 250;
  function show(ele) {
    panel.textContent = "";
    var d = ele.data();
    var list;
    if (ele.isNode()) {
      panel.appendChild(el("h2", null, d[labelField] || d.label || d.key || d.id));
      panel.appendChild(el("div", "meta", (d.type || "") + " \u00b7 " + (d.key || d.id) + " \u00b7 " + ele.degree() + (ele.degree() === 1 ? " connection" : " connections")));
      list = (factsByNode[d.id] || []).map(function (i) { return nav.facts[i]; });
    } else {
      var s = ele.source().data(), t = ele.target().data();
      panel.appendChild(el("h2", null, (s[labelField] || s.label) + " \u2192 " + (t[labelField] || t.label)));
      panel.appendChild(el("div", "meta", (d.relation || "") + (d.count !== undefined ? " \u00b7 " + d.count + " letter(s)" : "")));
      var a = factsByNode[s.id] || [], bset = {};
      (factsByNode[t.id] || []).forEach(function (i) { bset[i] = 1; });
      list = a.filter(function (i) { return bset[i]; }).map(function (i) { return nav.facts[i]; })
        .filter(function (f) { return !d.polarity || !f.polarity || f.polarity === d.polarity; });
    }
    panel.appendChild(attrTable(d));
    panel.appendChild(el("h3", null, "Facts and evidence (" + list.length + ")"));
    var facts = el("div", "facts");
    facts.id = "facts";
    list.slice(0, MAX_FACTS).forEach(function (f) { facts.appendChild(factBox(f)); });
    if (list.length > MAX_FACTS) facts.appendChild(el("p", "more", (list.length - MAX_FACTS) + " more not shown"));
    if (!list.length) facts.appendChild(el("p", "hint", "No evidence sentences for this element in this view."));
    panel.appendChild(facts);
  }
  api.show = show;
  cy.on("tap", "node, edge", function (ev) { show(ev.target); });
  cy.on("tap", function (ev) {
    if (ev.target === cy) { panel.textContent = ""; panel.appendChild(el("p", "hint", "Click a node or an edge to see its facts and the sentences they were read from.")); }
  });

  // ---- layout
  applyFilters();
  var n = cy.nodes().length;
  var opts = n <= 700
    ? { name: "cose", animate: false, randomize: true, fit: true, padding: 30, nodeRepulsion: function () { return 9000; },
        idealEdgeLength: function () { return 90; }, numIter: 1500, nodeDimensionsIncludeLabels: true }
    : { name: "concentric", animate: false, fit: true, padding: 30, minNodeSpacing: 6,
        concentric: function (x) { return x.degree(); }, levelWidth: function () { return 4; } };
  if (!n) {
    panel.textContent = ""; panel.appendChild(el("p", "hint", "This view has no nodes."));
  }
  var layout = cy.layout(opts);
  layout.one("layoutstop", function () { api.ready = true; document.body.setAttribute("data-ready", "true"); });
  layout.run();
  if (!n) { api.ready = true; document.body.setAttribute("data-ready", "true"); }
})();
"""
