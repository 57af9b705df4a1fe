"""The catalogue of known entities and the topic scheme, read from Turtle.

``ontology/catalogue.ttl`` holds countries, organisations, groups of states, roles,
persons, initiatives and cities; ``ontology/topics.ttl`` the SKOS topic scheme with
Dutch cue phrases. Both are parsed with pyoxigraph into :class:`navograph.model.Entity`
objects; the result is cached per file path and modification time.

The NLP layer builds its patterns from :meth:`Catalogue.surface_forms`; the RDF writer
and the evaluator look entities up by key with :meth:`Catalogue.get`.
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import pyoxigraph as ox

from . import ontology_dir as _default_ontology_dir
from .model import ENTITY_KINDS, Entity
from .vocab import DCTERMS, NG, ORG, RDF, SCHEMA, SKOS, WD, key_from_iri

CATALOGUE_FILE = "catalogue.ttl"
TOPICS_FILE = "topics.ttl"

_TYPE = RDF + "type"
_CLASS_KIND = {NG + cls: kind for kind, cls in (
    ("country", "Country"), ("organisation", "Organisation"), ("group", "Group"),
    ("person", "Person"), ("role", "Role"), ("initiative", "Initiative"),
    ("topic", "Topic"), ("city", "City"),
)}
# When two kinds share a key, Catalogue.entities / get(key) without a kind returns the
# entity of the kind listed first. The only known clash is "EC": European Commission
# (organisation, per gold/GUIDELINE.md) and Ecuador (country, ISO 3166-1).
KIND_PRIORITY = ("organisation", "group", "initiative", "role", "person", "country", "city")

FORM_TYPES = ("label", "alias", "adjective", "acronym")


class CatalogueError(ValueError):
    """The catalogue or topic file cannot be read; the message names the file (and line)."""


class SurfaceForm(NamedTuple):
    text: str
    key: str
    kind: str
    form_type: str  # one of FORM_TYPES


_ACRONYM_RE = re.compile(r"^[^\s]+$")


def is_acronym(text: str) -> bool:
    """An acronym-like surface form: one token, at least two capitals, mostly capitals/digits.

    "NAVO", "VN", "AP4", "eFP", "EDT's", "SNMG1", "NAVO-PA" are acronyms; "Benelux",
    "Oekraïne", "SG NAVO" are not.
    """
    if not _ACRONYM_RE.match(text):
        return False
    letters = [c for c in text if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    core = re.sub(r"['’]s$", "", text)  # EDT's
    core_letters = [c for c in core if c.isalpha()]
    core_upper = sum(1 for c in core_letters if c.isupper())
    return upper >= 2 and core_upper * 2 > len(core_letters)


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Known entities (by key) and topics, with their surface forms and topic cues."""

    entities: dict[str, Entity]  # key -> entity, all kinds but topics (see KIND_PRIORITY)
    topics: dict[str, Entity]  # key -> topic entity (kind "topic")
    topic_cues: dict[str, tuple[str, ...]] = field(default_factory=dict)
    topic_cue_lemmas: dict[str, tuple[str, ...]] = field(default_factory=dict)
    nato_members: frozenset[str] = frozenset()
    eu_members: frozenset[str] = frozenset()
    # (kind, key) -> entity, for every entity including topics and both sides of a clash
    by_kind_key: dict[tuple[str, str], Entity] = field(default_factory=dict)
    clashes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> kinds sharing it
    sources: tuple[Path, ...] = ()

    # ---------------------------------------------------------------- lookup
    def get(self, key: str, kind: str | None = None) -> Entity | None:
        """The entity with this key (and kind, when given); topics included."""
        if kind is not None:
            return self.by_kind_key.get((kind, key))
        ent = self.entities.get(key)
        return ent if ent is not None else self.topics.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.entities or key in self.topics)

    def kind_of(self, key: str) -> str | None:
        ent = self.get(key)
        return ent.kind if ent else None

    def by_kind(self, kind: str) -> list[Entity]:
        """All entities of one kind, sorted by key."""
        if kind not in ENTITY_KINDS:
            raise ValueError(f"unknown entity kind {kind!r}; expected one of {ENTITY_KINDS}")
        return sorted((e for (k, _), e in self.by_kind_key.items() if k == kind), key=lambda e: e.key)

    def all_entities(self) -> list[Entity]:
        """Every entity and topic, sorted by (kind, key); both sides of a key clash."""
        return [self.by_kind_key[k] for k in sorted(self.by_kind_key)]

    # ---------------------------------------------------------------- places
    def city_country(self, city_key: str) -> str | None:
        ent = self.by_kind_key.get(("city", city_key))
        return ent.country if ent else None

    def countries_with_cities(self) -> dict[str, tuple[str, ...]]:
        """Country key -> the keys of its catalogue cities (sorted)."""
        out: dict[str, list[str]] = defaultdict(list)
        for ent in self.by_kind("city"):
            if ent.country:
                out[ent.country].append(ent.key)
        return {c: tuple(sorted(v)) for c, v in sorted(out.items())}

    def members(self, group_key: str) -> tuple[str, ...]:
        ent = self.by_kind_key.get(("group", group_key))
        return ent.members if ent else ()

    # ---------------------------------------------------------------- surface forms
    def surface_forms(self, include_topics: bool = False) -> Iterator[SurfaceForm]:
        """Every (text, key, kind, form_type) the catalogue knows, deterministic order.

        form_type: "acronym" (any acronym-like label, see :func:`is_acronym`: "NAVO",
        "VN", "eFP"), "label" (other skos:prefLabel), "alias" (other skos:altLabel),
        "adjective" (ng:adjective). A text is given once per entity, preferred labels
        first. Topic labels are only included
        with ``include_topics`` (topic cues are in :attr:`topic_cues`).
        """
        for ent in self.all_entities():
            if ent.kind == "topic" and not include_topics:
                continue
            seen: set[str] = set()
            forms: list[tuple[str, str]] = []
            for text in (ent.label_nl, ent.label_en):
                if text:
                    forms.append((text, "acronym" if is_acronym(text) else "label"))
            for text in ent.aliases:
                forms.append((text, "acronym" if is_acronym(text) else "alias"))
            for text in ent.adjectives:
                forms.append((text, "adjective"))
            for text, ftype in forms:
                if text in seen:
                    continue
                seen.add(text)
                yield SurfaceForm(text, ent.key, ent.kind, ftype)

    def ambiguous_surface_forms(self) -> dict[str, set[tuple[str, str]]]:
        """Surface texts that refer to more than one entity: text -> {(kind, key)}."""
        index: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for sf in self.surface_forms():
            index[sf.text].add((sf.kind, sf.key))
        return {t: s for t, s in sorted(index.items()) if len(s) > 1}


# -------------------------------------------------------------------- loading
def load_catalogue(ontology_dir: Path | str | None = None) -> Catalogue:
    """Read ``catalogue.ttl`` and ``topics.ttl`` from ``ontology_dir`` (default: navograph.ontology_dir())."""
    base = Path(ontology_dir) if ontology_dir is not None else _default_ontology_dir()
    paths = (base / CATALOGUE_FILE, base / TOPICS_FILE)
    stamps = []
    for p in paths:
        try:
            st = p.resolve().stat()
        except FileNotFoundError:
            raise CatalogueError(f"{p}: file not found") from None
        stamps.append((str(p.resolve()), st.st_mtime_ns, st.st_size))
    return _load_cached(tuple(stamps))


def clear_cache() -> None:
    _load_cached.cache_clear()


@functools.lru_cache(maxsize=8)
def _load_cached(stamps: tuple[tuple[str, int, int], ...]) -> Catalogue:
    paths = tuple(Path(s[0]) for s in stamps)
    triples: list = []
    for p in paths:
        triples.extend(parse_turtle(p))
    return _build(triples, paths)


def parse_turtle(path: Path) -> list:
    """Parse a Turtle file with pyoxigraph; a syntax error names the file and line."""
    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    except SyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{path}:{line}" if line else str(path)
        raise CatalogueError(f"{where}: Turtle syntax error: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    except OSError as exc:
        raise CatalogueError(f"{path}: {exc}") from None


def _build(triples: Iterable, paths: tuple[Path, ...]) -> Catalogue:
    props: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        s = t.subject
        if not isinstance(s, ox.NamedNode):
            continue
        props[s.value][t.predicate.value].append(t.object)

    def iri_values(p: dict, pred: str) -> list[str]:
        return [o.value for o in p.get(pred, []) if isinstance(o, ox.NamedNode)]

    def literals(p: dict, pred: str) -> list[ox.Literal]:
        return [o for o in p.get(pred, []) if isinstance(o, ox.Literal)]

    def key_of(iri: str) -> str:
        parsed = key_from_iri(iri)
        return parsed[1] if parsed else iri

    def truthy(p: dict, pred: str) -> bool:
        return any(o.value in ("true", "1") for o in literals(p, pred))

    errors: list[str] = []
    by_kind_key: dict[tuple[str, str], Entity] = {}
    cues: dict[str, tuple[str, ...]] = {}
    cue_lemmas: dict[str, tuple[str, ...]] = {}
    nato: set[str] = set()
    eu: set[str] = set()

    for subj in sorted(props):
        p = props[subj]
        kinds = sorted({_CLASS_KIND[t] for t in iri_values(p, _TYPE) if t in _CLASS_KIND})
        if not kinds:
            continue
        if len(kinds) > 1:
            errors.append(f"<{subj}> has several entity types: {', '.join(kinds)}")
            continue
        kind = kinds[0]
        ids = [lit.value for lit in literals(p, DCTERMS + "identifier")]
        parsed = key_from_iri(subj)
        if len(ids) != 1:
            errors.append(f"<{subj}> needs exactly one dcterms:identifier, has {len(ids)}")
            continue
        key = ids[0]
        if parsed is None or parsed != (kind, key):
            errors.append(f"<{subj}>: dcterms:identifier {key!r} / type {kind} do not match the IRI")
            continue
        pref = literals(p, SKOS + "prefLabel")
        label_nl = next((l.value for l in pref if l.language == "nl"), "")
        label_en = next((l.value for l in pref if l.language == "en"), "")
        if not label_nl:
            label_nl = next((l.value for l in pref if not l.language), "")
        aliases = tuple(dict.fromkeys(l.value for l in literals(p, SKOS + "altLabel")))
        adjectives = tuple(dict.fromkeys(l.value for l in literals(p, NG + "adjective")))
        wikidata = next((i[len(WD):] for i in iri_values(p, SKOS + "exactMatch") if i.startswith(WD)), None)
        members = tuple(key_of(i) for i in iri_values(p, ORG + "hasMember"))
        country = None
        for pred in (SCHEMA + "nationality", SCHEMA + "containedInPlace", NG + "roleOf"):
            for i in iri_values(p, pred):
                parsed_c = key_from_iri(i)
                if parsed_c and parsed_c[0] == "country":
                    country = parsed_c[1]
                    break
            if country:
                break
        roles = sorted(key_of(i) for i in iri_values(p, NG + "role"))
        broader = tuple(sorted(key_of(i) for i in iri_values(p, SKOS + "broader")))
        ent = Entity(
            key=key, kind=kind, label_nl=label_nl, label_en=label_en, aliases=aliases,
            adjectives=adjectives, wikidata=wikidata, members=members, country=country,
            role=roles[0] if roles else None, broader=broader,
        )
        if (kind, key) in by_kind_key:
            errors.append(f"duplicate {kind} key {key!r}")
            continue
        by_kind_key[(kind, key)] = ent
        if kind == "topic":
            cues[key] = tuple(dict.fromkeys(l.value for l in literals(p, NG + "cue")))
            cue_lemmas[key] = tuple(dict.fromkeys(l.value for l in literals(p, NG + "cueLemma")))
        if kind == "country":
            if truthy(p, NG + "natoMember"):
                nato.add(key)
            if truthy(p, NG + "euMember"):
                eu.add(key)

    if errors:
        names = ", ".join(str(p) for p in paths)
        raise CatalogueError(f"{names}: " + "; ".join(errors))

    kinds_by_key: dict[str, list[str]] = defaultdict(list)
    for kind, key in by_kind_key:
        if kind != "topic":
            kinds_by_key[key].append(kind)
    rank = {k: i for i, k in enumerate(KIND_PRIORITY)}
    entities: dict[str, Entity] = {}
    clashes: dict[str, tuple[str, ...]] = {}
    for key in sorted(kinds_by_key):
        kinds = sorted(kinds_by_key[key], key=rank.__getitem__)
        if len(kinds) > 1:
            clashes[key] = tuple(kinds)
        entities[key] = by_kind_key[(kinds[0], key)]
    topics = {key: e for (kind, key), e in sorted(by_kind_key.items()) if kind == "topic"}
    return Catalogue(
        entities=entities, topics=topics, topic_cues=cues, topic_cue_lemmas=cue_lemmas,
        nato_members=frozenset(nato), eu_members=frozenset(eu), by_kind_key=by_kind_key,
        clashes=clashes, sources=paths,
    )
