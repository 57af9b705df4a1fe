"""Namespaces and IRI builders.

Every IRI navograph mints is built here, from keys, so that the same key always
gives the same IRI and every IRI is valid: key characters outside the unreserved
set (RFC 3986 ``A-Z a-z 0-9 - . _ ~``) are percent-encoded from their UTF-8 bytes.
"""
from __future__ import annotations

import re
from urllib.parse import quote

BASE = "https://w3id.org/navograph/"
NG = BASE + "ns#"  # the navograph vocabulary (ontology/navograph.ttl)
ID = BASE + "id/"  # resources

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
OA = "http://www.w3.org/ns/oa#"
SCHEMA = "https://schema.org/"
SEM = "http://semanticweb.cs.vu.nl/2009/11/sem/"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
WD = "http://www.wikidata.org/entity/"
OB = "https://zoek.officielebekendmakingen.nl/"

PREFIXES = {
    "ng": NG,
    "ngid": ID,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "org": ORG,
    "oa": OA,
    "schema": SCHEMA,
    "sem": SEM,
    "foaf": FOAF,
    "sh": SH,
    "wd": WD,
}

# Entity kind -> (path segment, class local name in NG)
KIND_PATH = {
    "country": ("country", "Country"),
    "organisation": ("organisation", "Organisation"),
    "group": ("group", "Group"),
    "person": ("person", "Person"),
    "role": ("role", "Role"),
    "initiative": ("initiative", "Initiative"),
    "topic": ("topic", "Topic"),
    "city": ("city", "City"),
}
PATH_KIND = {path: kind for kind, (path, _) in KIND_PATH.items()}

CATALOGUE_GRAPH = ID + "graph/catalogue"
ONTOLOGY_GRAPH = ID + "graph/ontology"


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")


def seg(key: str) -> str:
    """Percent-encode one path segment so that any key yields a valid IRI."""
    key = str(key)
    if _UNRESERVED.fullmatch(key):
        return key  # nothing to encode (most keys): what quote() would return, without its work
    return quote(key, safe="-._~")


def entity_iri(kind: str, key: str) -> str:
    return f"{ID}{KIND_PATH[kind][0]}/{seg(key)}"


def class_iri(kind: str) -> str:
    return NG + KIND_PATH[kind][1]


def letter_iri(doc: str) -> str:
    return f"{ID}letter/{seg(doc)}"


def graph_iri(doc: str) -> str:
    return f"{ID}graph/{seg(doc)}"


def meeting_iri(key: str) -> str:
    return f"{ID}meeting/{seg(key)}"


def fact_iri(doc: str, kind: str, local: str) -> str:
    """IRI of a fact node inside a letter: mention, stance, participation, ..."""
    return f"{ID}letter/{seg(doc)}/{kind}/{seg(local)}"


def evidence_iri(doc: str, start: int, end: int) -> str:
    return f"{ID}letter/{seg(doc)}/evidence/{start}-{end}"


def official_iri(identifier: str) -> str:
    return OB + seg(identifier)


def key_from_iri(iri: str) -> tuple[str, str] | None:
    """Inverse of :func:`entity_iri`: ``(kind, key)`` or None."""
    from urllib.parse import unquote

    if not iri.startswith(ID):
        return None
    parts = iri[len(ID):].split("/")
    if len(parts) != 2 or parts[0] not in PATH_KIND:
        return None
    return PATH_KIND[parts[0]], unquote(parts[1])
