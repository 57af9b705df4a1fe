"""Views of the knowledge graph as networkx graphs, built with SPARQL over the store.

Every view is a :class:`networkx.MultiDiGraph` whose nodes are keyed by a short,
stable node id (the IRI path under ``ngid:``, e.g. ``country/NL``) and whose edges are
keyed by their ``relation``. Attribute values are never None: a value that does not
apply is simply absent. ``G.graph["navograph"]`` carries the facts with their evidence
sentences and the letters, for the interactive page.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, NamedTuple
from urllib.parse import unquote

import networkx as nx

from navograph import vocab

VIEWS = ("stances", "meetings", "mentions", "full")

# The node types of the graph contract, in order of preference when a resource has several.
ENTITY_TYPES = ("Country", "Organisation", "Group", "Person", "Role", "Initiative", "Topic", "City")
NODE_TYPES = ENTITY_TYPES + ("Meeting", "Letter")
FACT_TYPES = (
    "Stance", "Mention", "Participation", "MeetingReference", "Citation", "Motion",
    "Evidence", "ParliamentaryDocument",
)
ACTOR_TOPIC_TYPES = ("Country", "Organisation", "Group", "Person", "Role", "Initiative", "Topic")

TYPE_COLORS = {
    "Country": "#1f77b4",
    "Organisation": "#9467bd",
    "Group": "#17becf",
    "Person": "#8c564b",
    "Role": "#bcbd22",
    "Initiative": "#e377c2",
    "Topic": "#7f7f7f",
    "City": "#aec7e8",
    "Meeting": "#ff9896",
    "Letter": "#c5b0d5",
}
OTHER_COLOR = "#d9d9d9"
POLARITY_COLORS = {"support": "#2e7d32", "oppose": "#c62828", "concern": "#ef6c00"}
EDGE_COLOR = "#8a8a8a"
POLARITY_RELATION = {"support": "supports", "oppose": "opposes", "concern": "concerned_about"}

_PREFIX_LINES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in vocab.PREFIXES.items())


class Lit(NamedTuple):
    """A literal as read from the store."""

    value: str
    datatype: str
    language: str


def _term(t: Any) -> Any:
    if t is None:
        return None
    name = type(t).__name__
    if name == "NamedNode":
        return t.value
    if name == "BlankNode":
        return "_:" + t.value
    if name == "Literal":
        lang = t.language or ""
        dt = t.datatype.value if t.datatype is not None else vocab.XSD + "string"
        return Lit(t.value, dt, lang)
    if name == "DefaultGraph":
        return None
    return str(t)


def _query(store: Any, sparql: str):
    text = _PREFIX_LINES + sparql
    try:
        import pyoxigraph

        if isinstance(store, pyoxigraph.Store):  # a bare store: query the union of its graphs
            return store.query(text, use_default_graph_as_union=True)
    except ImportError:  # pragma: no cover - pyoxigraph is a dependency
        pass
    return store.query(text)


def rows(store: Any, sparql: str) -> list[dict[str, Any]]:
    """Run a SELECT query; each solution as a dict: IRIs as str, blank nodes as ``_:id``,
    literals as :class:`Lit`, unbound variables absent."""
    res = _query(store, sparql)
    names = [v.value for v in res.variables]
    out = []
    for sol in res:
        row = {}
        for n in names:
            v = _term(sol[n])
            if v is not None:
                row[n] = v
        out.append(row)
    return out


def lex(v: Any) -> str:
    """Lexical form of a value from :func:`rows`."""
    if v is None:
        return ""
    return v.value if isinstance(v, Lit) else str(v)


def node_id(iri: str) -> str:
    """Short, unique, stable node id: the path under ``ngid:`` (decoded), else the IRI."""
    if iri.startswith(vocab.ID):
        return "/".join(unquote(p) for p in iri[len(vocab.ID):].split("/"))
    if iri.startswith(vocab.NG):
        return "ng:" + iri[len(vocab.NG):]
    return iri


def compact(iri: str) -> str:
    """``prefix_local`` name of a predicate, usable as an attribute name in every format."""
    best = None
    for p, ns in vocab.PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(best[1])):
            best = (p, ns)
    if best is None:
        local = re.split(r"[/#]", iri.rstrip("/#"))[-1] or "rel"
        return re.sub(r"[^A-Za-z0-9_]", "_", local)
    local = re.sub(r"[^A-Za-z0-9_]", "_", iri[len(best[1]):]) or "rel"
    return f"{best[0]}_{local}"


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


# ---------------------------------------------------------------------------
# resource descriptions

_INFO_PREDICATES = {
    vocab.RDF + "type": "type",
    vocab.DCTERMS + "identifier": "identifier",
    vocab.SKOS + "prefLabel": "prefLabel",
    vocab.RDFS + "label": "rdfsLabel",
    vocab.SKOS + "exactMatch": "exactMatch",
    vocab.DCTERMS + "date": "date",
    vocab.DCTERMS + "title": "title",
    vocab.SCHEMA + "startDate": "start",
    vocab.SCHEMA + "endDate": "end",
    vocab.NG + "year": "year",
    vocab.NG + "meetingKind": "meetingKind",
    vocab.NG + "letterKind": "letterKind",
    vocab.NG + "informal": "informal",
    vocab.SCHEMA + "location": "location",
}


class Info:
    """Descriptions of resources: types, identifier, labels, dates (one query)."""

    def __init__(self, store: Any):
        self.props: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        values = " ".join(f"<{p}>" for p in _INFO_PREDICATES)
        for r in rows(store, f"SELECT ?r ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?r ?p ?o . }}"):
            name = _INFO_PREDICATES[r["p"]]
            bucket = self.props[r["r"]][name]
            if r["o"] not in bucket:
                bucket.append(r["o"])
        for d in self.props.values():
            for vals in d.values():
                vals.sort(key=lambda v: (lex(v), v.language if isinstance(v, Lit) else ""))

    def get(self, iri: str, name: str) -> str:
        vals = self.props.get(iri, {}).get(name, [])
        return lex(vals[0]) if vals else ""

    def types(self, iri: str) -> list[str]:
        return [str(t) for t in self.props.get(iri, {}).get("type", [])]

    def node_type(self, iri: str) -> str:
        locals_ng = {t[len(vocab.NG):] for t in self.types(iri) if t.startswith(vocab.NG)}
        for t in NODE_TYPES + FACT_TYPES:
            if t in locals_ng:
                return t
        if locals_ng:
            return sorted(locals_ng)[0]
        kk = vocab.key_from_iri(iri)
        if kk:
            return vocab.KIND_PATH[kk[0]][1]
        if iri.startswith(vocab.ID + "letter/") and iri.count("/") == vocab.ID.count("/") + 1:
            return "Letter"
        if iri.startswith(vocab.ID + "meeting/"):
            return "Meeting"
        others = sorted(_local(t) for t in self.types(iri))
        return others[0] if others else "Resource"

    def key(self, iri: str) -> str:
        ident = self.get(iri, "identifier")
        if ident:
            return ident
        kk = vocab.key_from_iri(iri)
        if kk:
            return kk[1]
        if iri.startswith("_:"):
            return iri
        tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
        return unquote(tail) or iri

    def label(self, iri: str, lang: str) -> str:
        d = self.props.get(iri, {})
        for name in ("prefLabel", "rdfsLabel"):
            vals = d.get(name, [])
            for v in vals:
                if isinstance(v, Lit) and v.language.lower().split("-")[0] == lang:
                    return v.value
            for v in vals:
                if isinstance(v, Lit) and not v.language:
                    return v.value
        return self.key(iri)

    def wikidata(self, iri: str) -> str:
        for v in self.props.get(iri, {}).get("exactMatch", []):
            if isinstance(v, str) and v.startswith(vocab.WD):
                return v[len(vocab.WD):]
        return ""

    def attrs(self, iri: str) -> dict[str, Any]:
        """The node attributes every view shares, plus dates etc. where they apply."""
        t = self.node_type(iri)
        a: dict[str, Any] = {
            "key": self.key(iri),
            "type": t,
            "label_nl": self.label(iri, "nl"),
            "label_en": self.label(iri, "en"),
        }
        a["label"] = a["label_en"] or a["label_nl"] or a["key"]
        a["iri"] = iri
        a["wikidata"] = self.wikidata(iri)
        a["color"] = TYPE_COLORS.get(t, OTHER_COLOR)
        if t == "Letter":
            for src, dst in (("date", "date"), ("title", "title"), ("letterKind", "letter_kind")):
                v = self.get(iri, src)
                if v:
                    a[dst] = v
        if t == "Meeting":
            for src, dst in (("meetingKind", "kind"), ("start", "start"), ("end", "end"),
                             ("year", "year")):
                v = self.get(iri, src)
                if v:
                    a[dst] = v
            city = self.get(iri, "location")
            if city:
                a["city"] = self.label(city, "en")
            inf = self.get(iri, "informal")
            if inf:
                a["informal"] = inf.strip().lower() in ("true", "1")
            if a.get("start"):
                a["date"] = a["start"]
        return a


def _letter_doc(letter_iri: str) -> str:
    """The letter's key as used in the ``letters`` attributes."""
    return node_id(letter_iri).split("/", 1)[-1] if letter_iri.startswith(vocab.ID + "letter/") \
        else letter_iri


class _Builder:
    def __init__(self, store: Any, view: str):
        self.store = store
        self.info = Info(store)
        self.G = nx.MultiDiGraph()
        self.G.graph["view"] = view
        self.node_letters: dict[str, set[str]] = defaultdict(set)

    def node(self, iri: str, **extra: Any) -> str:
        nid = node_id(iri)
        if nid not in self.G:
            self.G.add_node(nid, **self.info.attrs(iri))
        if extra:
            self.G.nodes[nid].update(extra)
        return nid

    def touch(self, nid: str, letters) -> None:
        self.node_letters[nid].update(letters)

    def finish(self) -> nx.MultiDiGraph:
        for nid, data in self.G.nodes(data=True):
            letters = set(self.node_letters.get(nid, ()))
            if data.get("type") == "Letter":
                letters.add(data["key"])
            data["letters"] = ";".join(sorted(letters))
        return self.G


def _letter_dates(b: _Builder) -> dict[str, str]:
    out = {}
    for iri, d in b.info.props.items():
        if vocab.NG + "Letter" in [str(t) for t in d.get("type", [])]:
            out[_letter_doc(iri)] = lex(d["date"][0]) if d.get("date") else ""
    return out


# ---------------------------------------------------------------------------
# the views

def _stances(b: _Builder) -> None:
    ldates = _letter_dates(b)
    agg: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows(b.store, """
        SELECT ?s ?holder ?target ?pol ?mod ?letter ?date ?neg WHERE {
          ?s a ng:Stance ; ng:holder ?holder ; ng:target ?target ; ng:polarity ?pol .
          OPTIONAL { ?s ng:inLetter ?letter }
          OPTIONAL { ?s ng:modality ?mod }
          OPTIONAL { ?s dcterms:date ?date }
          OPTIONAL { ?s ng:negated ?neg }
        }"""):
        pol = _local(r["pol"])
        k = (r["holder"], r["target"], pol)
        a = agg.setdefault(k, {"letters": set(), "mods": set(), "dates": set(), "stances": set(),
                               "negated": set()})
        doc = _letter_doc(r["letter"]) if "letter" in r else ""
        if doc:
            a["letters"].add(doc)
        if "mod" in r:
            a["mods"].add(_local(r["mod"]))
        # the stance's own date, else its letter's
        d = lex(r.get("date")) or ldates.get(doc, "")
        if d:
            a["dates"].add(d)
        a["stances"].add(r["s"])
        if lex(r.get("neg")).lower() in ("true", "1"):
            a["negated"].add(r["s"])
    for (h, t, pol), a in sorted(agg.items()):
        u, v = b.node(h), b.node(t)
        b.touch(u, a["letters"])
        b.touch(v, a["letters"])
        dates = sorted(a["dates"])
        rel = POLARITY_RELATION.get(pol, pol)
        b.G.add_edge(u, v, key=rel, relation=rel, polarity=pol,
                     modality=";".join(sorted(a["mods"])), count=len(a["letters"]),
                     weight=float(len(a["letters"])), letters=";".join(sorted(a["letters"])),
                     statements=len(a["stances"]), negated=len(a["negated"]),
                     first_date=dates[0] if dates else "", last_date=dates[-1] if dates else "",
                     color=POLARITY_COLORS.get(pol, EDGE_COLOR))


def _add_agg_edge(b: _Builder, u: str, v: str, rel: str, letters: set[str], **extra: Any) -> None:
    b.touch(u, letters)
    b.touch(v, letters)
    b.G.add_edge(u, v, key=rel, relation=rel, polarity="", count=len(letters),
                 weight=float(max(len(letters), 1)), letters=";".join(sorted(letters)),
                 color=EDGE_COLOR, **extra)


def _meetings(b: _Builder) -> None:
    for r in rows(b.store, "SELECT ?m WHERE { ?m a ng:Meeting }"):
        b.node(r["m"])
    part: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows(b.store, """
        SELECT ?x ?m ?letter WHERE {
          ?p a ng:Participation ; ng:meeting ?m ; ng:participant ?x .
          OPTIONAL { ?p ng:inLetter ?letter }
        }"""):
        s = part[(r["x"], r["m"])]
        if "letter" in r:
            s.add(_letter_doc(r["letter"]))
    for (x, m), letters in sorted(part.items()):
        _add_agg_edge(b, b.node(x), b.node(m), "participates_in", letters)

    refs: dict[tuple[str, str], bool] = {}
    for r in rows(b.store, """
        SELECT ?letter ?m ?primary WHERE {
          { ?r a ng:MeetingReference ; ng:meeting ?m ; ng:inLetter ?letter .
            OPTIONAL { ?r ng:primary ?primary } }
          UNION
          { ?letter ng:primaryMeeting ?m . BIND(true AS ?primary) }
        }"""):
        k = (r["letter"], r["m"])
        prim = lex(r.get("primary")).lower() in ("true", "1")
        refs[k] = refs.get(k, False) or prim
    for (letter, m), prim in sorted(refs.items()):
        _add_agg_edge(b, b.node(letter), b.node(m), "refers_to", {_letter_doc(letter)},
                      primary=prim)

    # initiatives and topics discussed: mentioned in a letter whose primary meeting it is,
    # or the target of a stance at the meeting
    primary: dict[str, set[str]] = defaultdict(set)  # letter -> meetings
    for (letter, m), prim in refs.items():
        if prim:
            primary[letter].add(m)
    disc: dict[tuple[str, str], dict[str, set]] = {}
    wanted = {vocab.NG + "Initiative", vocab.NG + "Topic"}

    def discussed(m: str, e: str, letter: str, f: str) -> None:
        if not wanted & set(b.info.types(e)):
            return
        d = disc.setdefault((m, e), {"letters": set(), "facts": set()})
        d["letters"].add(_letter_doc(letter))
        d["facts"].add(f)

    for r in rows(b.store, """
        SELECT ?f ?e ?letter WHERE { ?f a ng:Mention ; ng:inLetter ?letter ; ng:refersTo ?e . }"""):
        for m in primary.get(r["letter"], ()):
            discussed(m, r["e"], r["letter"], r["f"])
    for r in rows(b.store, """
        SELECT ?f ?e ?letter ?m WHERE {
          ?f a ng:Stance ; ng:inLetter ?letter ; ng:target ?e ; ng:meeting ?m . }"""):
        discussed(r["m"], r["e"], r["letter"], r["f"])
    for (m, e), d in sorted(disc.items()):
        _add_agg_edge(b, b.node(m), b.node(e), "discusses", d["letters"],
                      mentions=len(d["facts"]))


def _mentions(b: _Builder) -> None:
    ment: dict[str, set[str]] = defaultdict(set)
    ent_letters: dict[str, set[str]] = defaultdict(set)
    by_letter: dict[str, set[str]] = defaultdict(set)
    by_ev: dict[str, set[str]] = defaultdict(set)
    allowed = {vocab.NG + t for t in ACTOR_TOPIC_TYPES}
    for r in rows(b.store, """
        SELECT ?m ?e ?letter ?ev WHERE {
          ?m a ng:Mention ; ng:refersTo ?e .
          OPTIONAL { ?m ng:inLetter ?letter }
          OPTIONAL { ?m ng:evidence ?ev }
        }"""):
        e = r["e"]
        types = set(b.info.types(e))
        if types and not types & allowed:
            continue
        if not types and b.info.node_type(e) not in ACTOR_TOPIC_TYPES:
            continue
        ment[e].add(r["m"])
        if "letter" in r:
            doc = _letter_doc(r["letter"])
            ent_letters[e].add(doc)
            by_letter[doc].add(e)
        if "ev" in r:
            by_ev[r["ev"]].add(e)
    for e in sorted(ment):
        nid = b.node(e, mentions=len(ment[e]), letter_count=len(ent_letters[e]))
        b.touch(nid, ent_letters[e])
    pair_letters: dict[tuple[str, str], set[str]] = defaultdict(set)
    pair_sent: dict[tuple[str, str], int] = defaultdict(int)
    for doc, ents in by_letter.items():
        ids = sorted(node_id(e) for e in ents)
        for i, u in enumerate(ids):
            for v in ids[i + 1:]:
                pair_letters[(u, v)].add(doc)
    for ents in by_ev.values():
        ids = sorted(node_id(e) for e in ents)
        for i, u in enumerate(ids):
            for v in ids[i + 1:]:
                pair_sent[(u, v)] += 1
    for (u, v) in sorted(set(pair_letters) | set(pair_sent)):
        letters = pair_letters.get((u, v), set())
        _add_agg_edge(b, u, v, "co_mentioned", letters, sentences=pair_sent.get((u, v), 0))


_FOLDED = {vocab.RDF + "type", vocab.DCTERMS + "identifier", vocab.SKOS + "prefLabel"}
_INT_TYPES = {vocab.XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                      "positiveInteger", "unsignedInt", "unsignedLong")}
_FLOAT_TYPES = {vocab.XSD + t for t in ("double", "float", "decimal")}


def _lit_value(v: Lit) -> Any:
    try:
        if v.datatype in _INT_TYPES:
            return int(v.value)
        if v.datatype in _FLOAT_TYPES:
            return float(v.value)
        if v.datatype == vocab.XSD + "boolean":
            return v.value.strip().lower() in ("true", "1")
    except ValueError:
        pass
    return v.value


def _full(b: _Builder) -> None:
    lits: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    edges: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    subjects: dict[str, set[str]] = defaultdict(set)
    for r in rows(b.store, f"""
        SELECT ?s ?p ?o ?g WHERE {{
          GRAPH ?g {{ ?s ?p ?o }}
          FILTER(?g != <{vocab.ONTOLOGY_GRAPH}>)
        }}"""):
        s, p, o, g = r["s"], r["p"], r["o"], r.get("g", "")
        doc = _letter_doc(g.replace(vocab.ID + "graph/", vocab.ID + "letter/", 1)) \
            if g.startswith(vocab.ID + "graph/") and g not in (vocab.CATALOGUE_GRAPH,) else ""
        subjects[s].add(doc)
        if p in _FOLDED:
            continue
        if isinstance(o, Lit):
            if p == vocab.RDFS + "label" and o.language in ("", "nl", "en"):
                continue  # folded into label_nl / label_en
            if o not in lits[s][compact(p)]:
                lits[s][compact(p)].append(o)
        elif p == vocab.SKOS + "exactMatch" and o.startswith(vocab.WD):
            continue  # folded into the wikidata attribute
        else:
            edges[(s, o, compact(p))].add(doc)
    for s in sorted(subjects, key=node_id):
        b.node(s)
        b.touch(node_id(s), subjects[s] - {""})
    # literal attributes, one declared type per attribute across all nodes
    per_attr: dict[str, dict[str, Any]] = defaultdict(dict)
    for s, d in lits.items():
        for name, vals in d.items():
            vals = sorted(vals, key=lambda x: (x.value, x.language))
            if len(vals) == 1:
                per_attr[name][node_id(s)] = _lit_value(vals[0])
            else:
                per_attr[name][node_id(s)] = "; ".join(x.value for x in vals)
    reserved = {"id", "label", "key", "type", "label_nl", "label_en", "iri", "wikidata", "color",
                "letters"}
    for name, values in per_attr.items():
        kinds = {type(v) for v in values.values()}
        if len(kinds) > 1:
            if kinds <= {int, float}:
                values = {k: float(v) for k, v in values.items()}
            else:
                values = {k: (str(v).lower() if isinstance(v, bool) else str(v))
                          for k, v in values.items()}
        attr = name if name not in reserved else name + "_"
        for nid, v in values.items():
            b.G.nodes[nid][attr] = v
    for (s, o, rel), docs in sorted(edges.items(), key=lambda kv: (node_id(kv[0][0]),
                                                                  node_id(kv[0][1]), kv[0][2])):
        u, v = b.node(s), b.node(o)
        letters = docs - {""}
        b.touch(v, letters)
        pol = _local(o) if rel == "ng_polarity" else ""
        b.G.add_edge(u, v, key=rel, relation=rel, polarity=pol, count=len(letters),
                     weight=1.0, letters=";".join(sorted(letters)),
                     color=POLARITY_COLORS.get(pol, EDGE_COLOR))


# ---------------------------------------------------------------------------
# facts with evidence, for the interactive page

_FACT_TEXT = {
    "Mention": "mentioned",
    "Participation": "takes part",
    "MeetingReference": "meeting referred to",
    "Citation": "citation",
    "Motion": "motion",
}


def _facts(b: _Builder) -> dict[str, Any]:
    info = b.info
    ev_rows = rows(b.store, """
        SELECT ?f ?ev ?letter ?exact ?start ?end WHERE {
          ?f ng:evidence ?ev .
          ?ev oa:hasSelector ?sel . ?sel oa:exact ?exact .
          OPTIONAL { ?ev oa:hasSource ?letter }
          OPTIONAL { ?sel oa:start ?start }
          OPTIONAL { ?sel oa:end ?end }
        }""")
    prop_rows = rows(b.store, """
        SELECT ?f ?p ?o WHERE { ?f ng:evidence ?ev . ?f ?p ?o . }""")
    props: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in prop_rows:
        props[r["f"]][r["p"]].append(r["o"])

    def lab(iri: str) -> str:
        return info.label(iri, "en")

    def one(f: str, p: str) -> Any:
        vals = sorted(props[f].get(p, []), key=lex)
        return vals[0] if vals else None

    evidence: dict[str, dict[str, Any]] = {}
    facts: list[dict[str, Any]] = []
    seen = set()
    for r in ev_rows:
        f, ev = r["f"], r["ev"]
        if (f, ev) in seen:
            continue
        seen.add((f, ev))
        letter = r.get("letter") or lex(one(f, vocab.NG + "inLetter"))
        doc = _letter_doc(letter) if letter else ""
        start = lex(r.get("start"))
        evid = node_id(ev)
        evidence[evid] = {"letter": doc, "quote": lex(r["exact"]),
                          "start": int(start) if start.lstrip("-").isdigit() else -1}
        t = info.node_type(f)
        nodes = {node_id(f)}
        for p, vals in props[f].items():
            if p in (vocab.RDF + "type", vocab.NG + "evidence", vocab.NG + "polarity",
                     vocab.NG + "modality"):
                continue
            for v in vals:
                if isinstance(v, str):
                    nodes.add(node_id(v))
        if letter:
            nodes.add(node_id(letter))
        fact: dict[str, Any] = {"kind": t, "evidence": evid, "letter": doc}
        if t == "Stance":
            h, tg = one(f, vocab.NG + "holder"), one(f, vocab.NG + "target")
            pol = _local(lex(one(f, vocab.NG + "polarity")))
            mod = _local(lex(one(f, vocab.NG + "modality")))
            neg = lex(one(f, vocab.NG + "negated")).lower() in ("true", "1")
            verb = {"support": "supports", "oppose": "opposes",
                    "concern": "is concerned about"}.get(pol, pol)
            text = f"{lab(h) if h else '?'} {verb} {lab(tg) if tg else '?'}"
            if neg:
                text += " (negated)"
            fact.update(polarity=pol, modality=mod, text=text)
            d = lex(one(f, vocab.DCTERMS + "date"))
            if d:
                fact["date"] = d
        elif t == "Mention":
            e = one(f, vocab.NG + "refersTo")
            sf = lex(one(f, vocab.NG + "surfaceForm"))
            fact["text"] = f"{lab(e) if e else '?'} mentioned" + (f" as \u201c{sf}\u201d" if sf else "")
        elif t == "Participation":
            x, m = one(f, vocab.NG + "participant"), one(f, vocab.NG + "meeting")
            fact["text"] = f"{lab(x) if x else '?'} takes part in {lab(m) if m else '?'}"
        elif t == "MeetingReference":
            m = one(f, vocab.NG + "meeting")
            prim = lex(one(f, vocab.NG + "primary")).lower() in ("true", "1")
            fact["text"] = f"refers to {lab(m) if m else '?'}" + (" (primary meeting)" if prim else "")
        elif t == "Citation":
            c = one(f, vocab.NG + "cites")
            fact["text"] = f"cites {info.key(c) if c else '?'}"
        elif t == "Motion":
            s = one(f, vocab.NG + "submitter")
            fact["text"] = f"motion submitted by {lab(s) if s else '?'}"
        elif t in ENTITY_TYPES:
            fact["text"] = f"{lab(f)} ({t}) first found in this letter"
        else:
            fact["text"] = f"{t} {lab(f)}"
        fact["nodes"] = sorted(n for n in nodes if n in b.G)
        if fact["nodes"]:
            facts.append(fact)
    facts.sort(key=lambda x: (x["letter"], evidence[x["evidence"]]["start"], x["kind"], x["text"],
                              x["nodes"]))
    used = {x["evidence"] for x in facts}
    letters = {}
    ldates = _letter_dates(b)
    for iri, d in info.props.items():
        if vocab.NG + "Letter" in [str(t) for t in d.get("type", [])]:
            doc = _letter_doc(iri)
            letters[doc] = {"date": ldates.get(doc, ""), "title": info.get(iri, "title"),
                            "kind": info.get(iri, "letterKind")}
    return {
        "view": b.G.graph["view"],
        "letters": dict(sorted(letters.items())),
        "evidence": {k: evidence[k] for k in sorted(used)},
        "facts": facts,
    }


_BUILDERS = {"stances": _stances, "meetings": _meetings, "mentions": _mentions, "full": _full}


def build_view(store: Any, view: str, *, facts: bool = True) -> nx.MultiDiGraph:
    """Build one of :data:`VIEWS` from a store (anything with ``.query(sparql)``)."""
    if view not in _BUILDERS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    b = _Builder(store, view)
    _BUILDERS[view](b)
    G = b.finish()
    if facts:
        G.graph["navograph"] = _facts(b)
    return G
