"""Plain facts that flow from ``extract`` to ``rdf``.

Every fact carries an :class:`Evidence`: the letter it comes from, the character
offsets into the *original* decoded file, and the exact text found there.
Nothing in this module knows about spaCy or RDF.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Entity kinds as used by the catalogue, the gold standard and the IRIs.
ENTITY_KINDS = (
    "country", "organisation", "group", "person", "role", "initiative", "topic", "city",
)
# The gold standard's mention categories, keyed by entity kind.
MENTION_CATEGORY = {
    "country": "countries",
    "organisation": "organisations",
    "group": "groups",
    "initiative": "initiatives",
    "person": "persons",
}
LETTER_KINDS = ("annotated-agenda", "report", "other")
MEETING_KINDS = ("fmm", "dmm", "summit", "eu-council", "other")
POLARITIES = ("support", "oppose", "concern")
MODALITIES = ("intended", "reported", "conditional", "stated")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact was read: ``original[start:end] == quote`` in document ``doc``."""

    doc: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True, slots=True)
class Entity:
    """A known (catalogue) or discovered entity."""

    key: str
    kind: str  # one of ENTITY_KINDS
    label_nl: str = ""
    label_en: str = ""
    aliases: tuple[str, ...] = ()  # further surface forms, any language
    adjectives: tuple[str, ...] = ()  # inflected adjectives: "Russische", "Russisch"
    wikidata: str | None = None  # "Q55"
    members: tuple[str, ...] = ()  # for groups: member keys
    country: str | None = None  # for persons, roles, cities: country key
    role: str | None = None  # for persons: role key
    broader: tuple[str, ...] = ()  # for topics: broader topic keys
    discovered: bool = False  # True when found in a letter, not in the catalogue
    evidence: Evidence | None = None  # for discovered entities: where it was defined

    @property
    def label(self) -> str:
        return self.label_nl or self.label_en or self.key


@dataclass(frozen=True, slots=True)
class Mention:
    key: str
    kind: str
    evidence: Evidence
    surface: str = ""  # the words as written ("Russische"); for a group inferred from its members, their names


@dataclass(slots=True)
class Meeting:
    kind: str  # one of MEETING_KINDS
    start: dt.date | None
    end: dt.date | None
    year: int | None
    city: str | None  # city key, e.g. "berlin"
    informal: bool
    primary: bool
    evidence: Evidence

    @property
    def key(self) -> str:
        """Stable key shared by every letter that names the same meeting."""
        if self.start is not None:
            when = self.start.isoformat()
            if self.end and self.end != self.start:
                when += "--" + self.end.isoformat()
        else:
            when = str(self.year)
        parts = [self.kind, when] + ([self.city] if self.city else [])
        return "_".join(parts)


@dataclass(frozen=True, slots=True)
class Participation:
    meeting: str  # Meeting.key
    participant: str  # entity key
    kind: str  # entity kind of the participant
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Stance:
    holder: str  # entity key (NL, ALLIES, nato-sg, BENELUX, ...)
    target: str  # entity key or topic key
    polarity: str  # one of POLARITIES
    modality: str  # one of MODALITIES
    evidence: Evidence
    negated: bool = False
    meeting: str | None = None  # Meeting.key of the meeting it belongs to
    cue: str = ""  # lexicon entry that fired


@dataclass(frozen=True, slots=True)
class Citation:
    """A reference to an official parliamentary document."""

    kind: str  # "kamerstuk" | "handelingen"
    identifier: str  # officielebekendmakingen id, e.g. "kst-28676-404"
    dossiers: tuple[str, ...]
    number: str
    evidence: Evidence
    year: str | None = None  # session year for Handelingen, "2021/22"
    motion_submitter: str | None = None  # person key when the citation is a motion


@dataclass(slots=True)
class Letter:
    """Everything extracted from one letter."""

    doc: str  # file stem
    source: str  # path as given, relative when possible
    sha256: str
    kind: str
    date: dt.date | None
    title: str
    signatories: list[str] = field(default_factory=list)
    signatory_evidence: list[Evidence] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    participations: list[Participation] = field(default_factory=list)
    stances: list[Stance] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)  # discovered in this letter
    kind_evidence: Evidence | None = None
    date_evidence: Evidence | None = None

    @property
    def primary_meeting(self) -> Meeting | None:
        return next((m for m in self.meetings if m.primary), None)
