"""A pure mapping of extracted facts (:mod:`navograph.model`) to RDF quads.

One named graph per letter (``vocab.graph_iri(doc)``); the catalogue and the ontology have
their own graphs. The mapping follows docs/ARCHITECTURE.md; nothing here depends on the time
of the build, so the same facts always give the same quads.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse

from . import ontology_dir, vocab as V
from .model import Entity, Evidence, Letter, Meeting

if TYPE_CHECKING:
    from .catalogue import Catalogue

XSD_DATE = NamedNode(V.XSD + "date")
XSD_GYEAR = NamedNode(V.XSD + "gYear")
XSD_BOOL = NamedNode(V.XSD + "boolean")
# offsets are xsd:integer: Oxigraph canonicalises derived integer types to it (see ontology/shapes.ttl)
XSD_INT = NamedNode(V.XSD + "integer")

RDF_TYPE = NamedNode(V.RDF + "type")


def _n(ns: str, local: str) -> NamedNode:
    return NamedNode(ns + local)


NG = {name: _n(V.NG, name) for name in (
    "Letter", "Meeting", "MeetingReference", "Participation", "Mention", "Stance", "Citation",
    "ParliamentaryDocument", "Motion", "Evidence", "letterKind", "signatory", "primaryMeeting",
    "sourceFile", "sha256", "meetingKind", "year", "informal", "meeting", "inLetter", "primary",
    "evidence", "participant", "refersTo", "surfaceForm", "holder", "target", "polarity",
    "modality", "negated", "cue", "cites", "dossier", "documentNumber", "submitter",
    "officialDocument", "discoveredIn", "adjective", "role", "support", "oppose", "concern",
    "intended", "reported", "conditional", "stated", "sessionYear",
)}
DCT = {name: _n(V.DCTERMS, name) for name in ("identifier", "title", "date", "references")}
OA = {name: _n(V.OA, name) for name in (
    "hasSource", "hasSelector", "TextPositionSelector", "TextQuoteSelector", "start", "end", "exact")}
SKOS_PREF = _n(V.SKOS, "prefLabel")
SKOS_ALT = _n(V.SKOS, "altLabel")
SKOS_EXACT = _n(V.SKOS, "exactMatch")
RDFS_LABEL = _n(V.RDFS, "label")
SCHEMA = {name: _n(V.SCHEMA, name) for name in ("startDate", "endDate", "location", "nationality", "containedInPlace")}


def lit(value) -> Literal:
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=XSD_BOOL)
    if isinstance(value, dt.date):
        return Literal(value.isoformat(), datatype=XSD_DATE)
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD_INT)
    return Literal(_clean(str(value)))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Literals must be valid XML-free Unicode scalar values: drop lone surrogates."""
    # one regex scan in C instead of a Python generator over every character (the
    # sentence quoted by each evidence node made that a tenth of the RDF mapping's time)
    return text.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(text) else text


def year_lit(year: int) -> Literal:
    return Literal(f"{year:04d}", datatype=XSD_GYEAR)


class _Writer:
    def __init__(self, graph: str):
        self.g = NamedNode(graph)
        self.quads: list[Quad] = []
        self._evidence: dict[tuple, NamedNode] = {}

    def add(self, s, p, o) -> None:
        self.quads.append(Quad(s, p, o, self.g))

    def evidence(self, ev: Evidence, letter: NamedNode) -> NamedNode:
        # facts of one sentence share its evidence node: write its eight quads once (the
        # repeats were dropped by letter_quads' de-duplication anyway, at the end)
        key = (ev.doc, ev.start, ev.end, ev.quote, letter)
        node = self._evidence.get(key)
        if node is None:
            node = self._evidence[key] = self._new_evidence(ev, letter)
        return node

    def _new_evidence(self, ev: Evidence, letter: NamedNode) -> NamedNode:
        iri = V.evidence_iri(ev.doc, ev.start, ev.end)
        node, sel = NamedNode(iri), NamedNode(iri + "/selector")
        self.add(node, RDF_TYPE, NG["Evidence"])
        self.add(node, OA["hasSource"], letter)
        self.add(node, OA["hasSelector"], sel)
        self.add(sel, RDF_TYPE, OA["TextPositionSelector"])
        self.add(sel, RDF_TYPE, OA["TextQuoteSelector"])
        self.add(sel, OA["start"], lit(ev.start))
        self.add(sel, OA["end"], lit(ev.end))
        self.add(sel, OA["exact"], lit(ev.quote))
        return node


@functools.lru_cache(maxsize=1 << 14)  # the same entities recur in every letter
def entity_node(key: str, kind: str) -> NamedNode:
    return NamedNode(V.entity_iri(kind, key))


def _resolve(key: str, catalogue: "Catalogue", discovered: dict[str, Entity], fallback_kind: str) -> NamedNode:
    # keys are unique per kind, not across kinds ("EC": the European Commission and Ecuador)
    ent = catalogue.get(key, fallback_kind) or catalogue.get(key) or discovered.get(key)
    return entity_node(key, ent.kind if ent else fallback_kind)


def meeting_label(m: Meeting, catalogue: "Catalogue | None" = None) -> str:
    names = {"fmm": "NAVO-ministers van Buitenlandse Zaken", "dmm": "NAVO-ministers van Defensie",
             "summit": "NAVO-top", "eu-council": "Raad van de EU", "other": "Bijeenkomst"}
    when = m.start.isoformat() if m.start else str(m.year)
    if m.start and m.end and m.end != m.start:
        when += " – " + m.end.isoformat()
    city = ""
    if m.city:
        ent = catalogue.get(m.city) if catalogue is not None else None
        city = ", " + (ent.label_nl if ent else m.city)
    informal = " (informeel)" if m.informal else ""
    return f"{names.get(m.kind, m.kind)}{informal}{city}, {when}"


def _entity_quads(w: _Writer, ent: Entity, letter_node: NamedNode | None = None) -> NamedNode:
    node = entity_node(ent.key, ent.kind)
    w.add(node, RDF_TYPE, NamedNode(V.class_iri(ent.kind)))
    w.add(node, DCT["identifier"], Literal(ent.key))
    if ent.label_nl:
        w.add(node, SKOS_PREF, Literal(_clean(ent.label_nl), language="nl"))
    if ent.label_en:
        w.add(node, SKOS_PREF, Literal(_clean(ent.label_en), language="en"))
    if not ent.label_nl and not ent.label_en:
        w.add(node, SKOS_PREF, Literal(ent.key, language="nl"))
    for alias in sorted(set(ent.aliases) - {ent.label_nl, ent.label_en}):
        w.add(node, SKOS_ALT, Literal(_clean(alias)))
    if ent.role:
        w.add(node, NG["role"], entity_node(ent.role, "role"))
    if ent.country:
        w.add(node, SCHEMA["nationality"], entity_node(ent.country, "country"))
    if letter_node is not None:
        w.add(node, NG["discoveredIn"], letter_node)
        if ent.evidence is not None:
            w.add(node, NG["evidence"], w.evidence(ent.evidence, letter_node))
    return node


def letter_quads(letter: Letter, catalogue: "Catalogue") -> list[Quad]:
    """All quads of one letter, in its own named graph."""
    w = _Writer(V.graph_iri(letter.doc))
    L = NamedNode(V.letter_iri(letter.doc))
    discovered = {e.key: e for e in letter.entities}
    w.add(L, RDF_TYPE, NG["Letter"])
    w.add(L, DCT["identifier"], Literal(letter.doc))
    w.add(L, DCT["title"], lit(letter.title))
    w.add(L, NG["letterKind"], Literal(letter.kind))
    w.add(L, NG["sourceFile"], lit(letter.source))
    w.add(L, NG["sha256"], Literal(letter.sha256))
    if letter.date:
        w.add(L, DCT["date"], lit(letter.date))
    if letter.kind_evidence:
        w.evidence(letter.kind_evidence, L)
    if letter.date_evidence:
        w.evidence(letter.date_evidence, L)

    for ent in letter.entities:
        _entity_quads(w, ent, L)

    for key, ev in zip(letter.signatories, letter.signatory_evidence):
        w.add(L, NG["signatory"], _resolve(key, catalogue, discovered, "person"))
        w.evidence(ev, L)

    for i, m in enumerate(letter.meetings):
        M = NamedNode(V.meeting_iri(m.key))
        w.add(M, RDF_TYPE, NG["Meeting"])
        w.add(M, DCT["identifier"], Literal(m.key))
        w.add(M, RDFS_LABEL, lit(meeting_label(m, catalogue)))
        w.add(M, NG["meetingKind"], Literal(m.kind))
        w.add(M, NG["year"], year_lit(m.year))
        w.add(M, NG["informal"], lit(m.informal))
        if m.start:
            w.add(M, SCHEMA["startDate"], lit(m.start))
            w.add(M, SCHEMA["endDate"], lit(m.end or m.start))
        if m.city:
            w.add(M, SCHEMA["location"], _resolve(m.city, catalogue, discovered, "city"))
            if catalogue.get(m.city) is None and m.city not in discovered:
                C = entity_node(m.city, "city")
                w.add(C, RDF_TYPE, NamedNode(V.class_iri("city")))
                w.add(C, DCT["identifier"], Literal(m.city))
                w.add(C, SKOS_PREF, Literal(m.city, language="nl"))
                w.add(C, NG["discoveredIn"], L)
        R = NamedNode(V.fact_iri(letter.doc, "meeting-ref", m.key))
        w.add(R, RDF_TYPE, NG["MeetingReference"])
        w.add(R, NG["meeting"], M)
        w.add(R, NG["inLetter"], L)
        w.add(R, NG["primary"], lit(m.primary))
        w.add(R, NG["evidence"], w.evidence(m.evidence, L))
        if m.primary:
            w.add(L, NG["primaryMeeting"], M)

    for p in letter.participations:
        P = NamedNode(V.fact_iri(letter.doc, "participation", f"{p.meeting}--{p.participant}"))
        w.add(P, RDF_TYPE, NG["Participation"])
        w.add(P, NG["meeting"], NamedNode(V.meeting_iri(p.meeting)))
        w.add(P, NG["participant"], _resolve(p.participant, catalogue, discovered, p.kind))
        w.add(P, NG["inLetter"], L)
        w.add(P, NG["evidence"], w.evidence(p.evidence, L))

    for mention in letter.mentions:
        ev = mention.evidence
        X = NamedNode(V.fact_iri(letter.doc, "mention", f"{ev.start}-{ev.end}-{mention.kind}-{mention.key}"))
        w.add(X, RDF_TYPE, NG["Mention"])
        w.add(X, NG["refersTo"], _resolve(mention.key, catalogue, discovered, mention.kind))
        w.add(X, NG["surfaceForm"], lit(mention.surface or mention.key))
        w.add(X, NG["inLetter"], L)
        w.add(X, NG["evidence"], w.evidence(ev, L))

    meetings = {m.key: m for m in letter.meetings}
    for i, s in enumerate(letter.stances):
        S = NamedNode(V.fact_iri(letter.doc, "stance",
                                 f"{s.evidence.start}-{s.holder}-{s.target}-{s.polarity}"))
        w.add(S, RDF_TYPE, NG["Stance"])
        w.add(S, NG["holder"], _resolve(s.holder, catalogue, discovered, "country"))
        tkind = "topic" if s.target in getattr(catalogue, "topics", {}) else None
        w.add(S, NG["target"], entity_node(s.target, "topic") if tkind else
              _resolve(s.target, catalogue, discovered, "topic"))
        w.add(S, NG["polarity"], NG[s.polarity])
        w.add(S, NG["modality"], NG[s.modality])
        w.add(S, NG["negated"], lit(s.negated))
        if s.cue:
            w.add(S, NG["cue"], lit(s.cue))
        if s.meeting:
            w.add(S, NG["meeting"], NamedNode(V.meeting_iri(s.meeting)))
            m = meetings.get(s.meeting)
            if m and m.start:
                w.add(S, DCT["date"], lit(m.start))
        elif letter.date:
            w.add(S, DCT["date"], lit(letter.date))
        w.add(S, NG["inLetter"], L)
        w.add(S, NG["evidence"], w.evidence(s.evidence, L))

    for c in letter.citations:
        O = NamedNode(V.official_iri(c.identifier)) if not c.identifier.startswith("motion-") else None
        if O is not None:
            w.add(O, RDF_TYPE, NG["ParliamentaryDocument"])
            w.add(O, DCT["identifier"], Literal(c.identifier))
            for d in c.dossiers:
                w.add(O, NG["dossier"], Literal(d))
            if c.number:
                w.add(O, NG["documentNumber"], Literal(c.number))
            if c.year:
                w.add(O, NG["sessionYear"], Literal(c.year))
        if c.kind == "motie":
            X = NamedNode(V.fact_iri(letter.doc, "motion", f"{c.evidence.start}-{c.motion_submitter}"))
            w.add(X, RDF_TYPE, NG["Motion"])
            w.add(X, NG["submitter"], _resolve(c.motion_submitter, catalogue, discovered, "person"))
            if O is not None:
                w.add(X, NG["officialDocument"], O)
        else:
            X = NamedNode(V.fact_iri(letter.doc, "citation", f"{c.evidence.start}-{c.identifier}"))
            w.add(X, RDF_TYPE, NG["Citation"])
            w.add(X, NG["cites"], O)
            w.add(L, DCT["references"], O)
        w.add(X, NG["inLetter"], L)
        w.add(X, NG["evidence"], w.evidence(c.evidence, L))

    # evidence nodes are shared by facts from one sentence: keep each quad once, in order
    # (a dict keeps the first of equal keys in insertion order; one hash per quad)
    return list(dict.fromkeys(w.quads))


def _parse_into_graph(path: Path, graph: str) -> list[Quad]:
    g = NamedNode(graph)
    with path.open("rb") as fh:
        return [Quad(t.subject, t.predicate, t.object, g)
                for t in parse(fh, format=RdfFormat.TURTLE, base_iri=V.BASE)]


def catalogue_quads(catalogue: "Catalogue | None" = None, folder: Path | None = None) -> list[Quad]:
    """The catalogue and the topic scheme, in the catalogue graph."""
    folder = folder or ontology_dir()
    out: list[Quad] = []
    for name in ("catalogue.ttl", "topics.ttl", "meetings.ttl"):
        p = folder / name
        if p.exists():
            out.extend(_parse_into_graph(p, V.CATALOGUE_GRAPH))
    return out


def ontology_quads(folder: Path | None = None) -> list[Quad]:
    folder = folder or ontology_dir()
    p = folder / "navograph.ttl"
    return _parse_into_graph(p, V.ONTOLOGY_GRAPH) if p.exists() else []


def as_triples(quads: Iterable[Quad]):
    """Drop the graph name (for validation and single-graph formats)."""
    from pyoxigraph import Triple

    return [Triple(q.subject, q.predicate, q.object) for q in quads]


__all__ = ["letter_quads", "catalogue_quads", "ontology_quads", "lit", "meeting_label", "BlankNode", "DefaultGraph"]
