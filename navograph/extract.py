"""Rules that turn one analysed letter into plain facts (:mod:`navograph.model`).

Input: the :class:`~navograph.ingest.SourceDocument` (normalised text + offset map), the spaCy
``Doc`` of its normalised text (entity-ruler entities carry catalogue keys in ``ent_id_``)
and the catalogue. Output: a :class:`~navograph.model.Letter`.

All cue words live in ``ontology/extraction.yaml`` and all names in the catalogue; the rules
here are general patterns of the genre (dates near a meeting word, names after a title,
acronyms defined in brackets, citations of parliamentary papers).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from bisect import bisect_left, bisect_right
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from spacy.tokens import Doc

from .config import extraction_config
from .dates import DateExpr, find_dates, parse_date
from .model import (
    Citation,
    Entity,
    Evidence,
    Letter,
    Meeting,
    Mention,
    Participation,
)

if TYPE_CHECKING:
    import numpy as np

    from .catalogue import Catalogue
    from .ingest import SourceDocument

# spaCy labels of statistical models, mapped to our entity kinds
MODEL_LABELS = {"PER": "person", "PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place"}
PARTICIPANT_KINDS = ("country", "organisation", "person", "group")


# --------------------------------------------------------------------------- helpers

def slug(text: str) -> str:
    """A key from a name: lower case, ASCII where possible, words joined by hyphens."""
    norm = unicodedata.normalize("NFKD", text)
    norm = "".join(c for c in norm if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", norm.lower()).strip("-")


_SURFACE_INDEX: dict[int, dict[str, Entity]] = {}


def lookup_surface(catalogue: "Catalogue", text: str) -> Entity | None:
    """The catalogue entity whose label, alias or adjective is ``text`` (case-insensitive)."""
    index = _SURFACE_INDEX.get(id(catalogue))
    if index is None:
        index = {}
        for form in catalogue.surface_forms():
            ent = catalogue.get(form[1], form[2]) or catalogue.get(form[1])
            if ent is not None:
                index.setdefault(" ".join(form[0].lower().split()), ent)
        _SURFACE_INDEX.clear()
        _SURFACE_INDEX[id(catalogue)] = index
    return index.get(" ".join(text.lower().split()))


def upper_key(text: str) -> str:
    return slug(text).upper()


@dataclass(slots=True)
class Sent:
    start: int  # in normalised text
    end: int
    text: str
    body: bool  # False for footnotes
    index: int
    t0: int = 0  # its tokens: DocTokens indices [t0, t1)
    t1: int = 0


@dataclass(slots=True)
class Ent:
    start: int  # char offsets in normalised text
    end: int
    key: str
    kind: str
    text: str
    inferred: bool = False


@dataclass(slots=True)
class _MeetingRef:
    kind: str
    first: dt.date | None
    last: dt.date | None
    year: int
    city: str | None
    informal: bool
    sent: Sent
    pos: int  # position in the normalised text (for ordering)
    specific: bool  # kind came from a specific cue (not just "bijeenkomst")
    explicit_year: bool = True  # the text gives the year ("14 mei 2022"), not "op 5 april"


@dataclass(slots=True)
class DocTokens:
    """The spaCy ``Doc`` read once into plain lists, indexed like the Doc's tokens.

    The rules read these instead of asking the Doc again: every ``doc[i]``, ``for t in doc``
    or ``span.text`` builds Python ``Token`` objects, which cost more than the rules
    themselves. ``ents`` are the Doc's entities in order (token start, token end, char start,
    char end, label, entity id), the label and id as strings.
    """

    text: str  # the Doc's text (the normalised text as spaCy got it)
    start: list[int]  # character offset of each token
    end: list[int]
    orth: list[str]  # token text
    lemma: list[str]  # lemma ("" when none)
    space: list[bool]  # whitespace-only token
    punct: list[bool]  # spaCy's is_punct
    ws: list[bool]  # followed by a space
    sent_starts: list[int]  # first token of every sentence
    ents: list[tuple[int, int, int, int, str, str]]
    lower_ids: "np.ndarray"  # spaCy's string ids of the lower-case texts and of the lemmas,
    lemma_ids: "np.ndarray"  # for vectorised membership tests


_LEMMA_STRINGS: dict[int, str] = {}  # lemma id -> string, shared by all Docs of a process


def read_doc(doc: Doc, text: str | None = None) -> DocTokens:
    """One pass over ``doc``. ``text``: the text the Doc was made from, when the caller has it
    (``Doc.text`` joins every token again); checked against the Doc's length and end tokens."""
    import numpy as np
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER, SENT_START, SPACY

    arr = doc.to_array([IDX, LENGTH, IS_SPACE, IS_PUNCT, SPACY, LEMMA, SENT_START, LOWER]).reshape(-1, 8)
    small = arr[:, :5].astype(np.int64)
    idx = small[:, 0].tolist()
    end = (small[:, 0] + small[:, 1]).tolist()
    space, punct, ws = (small[:, 2:5] != 0).T.tolist()
    # as Doc.sents: a sentence starts at token 0 and wherever sent_start is 1
    starts = np.flatnonzero(arr[:, 6] == 1).tolist()
    if idx and (not starts or starts[0] != 0):
        starts.insert(0, 0)
    if text is None or len(text) != (end[-1] + ws[-1] if idx else 0) or (idx and (
            text[idx[0]:end[0]] != doc[0].text or text[idx[-1]:end[-1]] != doc[-1].text)):
        text = doc.text  # not the text this Doc was made from
    strings, cache = doc.vocab.strings, _LEMMA_STRINGS
    if len(cache) > 200_000:
        cache.clear()
    ids, where = np.unique(arr[:, 5], return_inverse=True)
    names = [cache[h] if h in cache else cache.setdefault(h, strings[h] if h else "") for h in ids.tolist()]
    lemma = np.array(names, dtype=object)[where].tolist() if idx else []
    ents = [(e.start, e.end, e.start_char, e.end_char, e.label_, e.ent_id_) for e in doc.ents]
    return DocTokens(text, idx, end, [text[a:b] for a, b in zip(idx, end)], lemma, space, punct, ws,
                     starts, ents, arr[:, 7], arr[:, 5])


@dataclass
class Context:
    src: "SourceDocument"
    doc: Doc
    catalogue: "Catalogue"
    cfg: dict
    tokens: DocTokens | None = None  # the Doc read once (see read_doc)
    sents: list[Sent] = field(default_factory=list)
    ents: list[Ent] = field(default_factory=list)
    discovered: dict[str, Entity] = field(default_factory=dict)
    _evidence: dict[tuple[int, int], Evidence] = field(default_factory=dict, repr=False)

    def evidence(self, start: int, end: int) -> Evidence:
        """The original text behind normalised ``[start, end)``, surrounding spaces left out
        (once per span: a sentence is the evidence of many facts)."""
        ev = self._evidence.get((start, end))
        if ev is None:
            ev = self._evidence[(start, end)] = self._new_evidence(start, end)
        return ev

    def _new_evidence(self, start: int, end: int) -> Evidence:
        text = self.src.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        os_, oe = self.src.original_span(start, end)
        return Evidence(self.src.doc_id, os_, oe, self.src.original[os_:oe])

    def sent_evidence(self, sent: Sent) -> Evidence:
        return self.evidence(sent.start, sent.end)

    def ents_in(self, start: int, end: int) -> list[Ent]:
        return [e for e in self.ents if e.start >= start and e.end <= end]

    def kind_of(self, key: str) -> str | None:
        ent = self.catalogue.get(key) or self.discovered.get(key)
        return ent.kind if ent else None


@functools.lru_cache(maxsize=4)
def _compiled(cfg_id: int):
    cfg = extraction_config()
    m = cfg["meetings"]
    kinds = []
    for c in m["kinds"]:
        flags = 0 if c.get("case_sensitive") else re.I
        kinds.append((re.compile(c["pattern"], flags), c["kind"], bool(c.get("nato"))))
    p = cfg["participants"]
    return {
        "kinds": kinds,
        "nato": re.compile(m["nato_pattern"]),
        "informal": re.compile(m["informal_pattern"], re.I),
        "place": re.compile(m["place_pattern"]),
        "part_cues": [re.compile(c, re.I) for c in p["cues"]],
        "part_any": _any_of(p["cues"]),
        "scope_after": [re.compile(r"^\s*" + c + r"|" + c + r"\s*$", re.I) for c in p["scope_after"]],
        "part_exclude": _any_of(p.get("exclude", [])),
        "scope_stop": re.compile("|".join(p["scope_stop"]), re.I),
        "letter_kind": [(re.compile(c["pattern"], re.I), c["kind"]) for c in cfg["letter_kind"]["cues"]],
        "letter_date": [re.compile(x, re.M) for x in cfg["letter_date"]["patterns"]],
    }


def _any_of(patterns: list[str]) -> re.Pattern | None:
    """One case-insensitive regex that matches where any of ``patterns`` does: a sentence is
    scanned once to learn that none does (most sentences), not once per pattern."""
    return re.compile("|".join(f"(?:{c})" for c in patterns), re.I) if patterns else None


def _rules(cfg: dict) -> dict:
    return _compiled(id(cfg))


# --------------------------------------------------------------------------- sentences & entities

def _sentences(ctx: Context) -> list[Sent]:
    """The Doc's sentences (as ``Doc.sents``) that are not only whitespace."""
    out = []
    body_end = ctx.src.body_end
    tk = ctx.tokens
    bounds = tk.sent_starts + [len(tk.start)]
    for a, b in zip(bounds, bounds[1:]):
        start, end = tk.start[a], tk.end[b - 1]
        text = tk.text[start:end]  # Span.text: the tokens with the spaces between them
        if not text.strip():
            continue
        out.append(Sent(start, end, text, start < body_end, len(out), a, b))
    return out


def _ruler_entities(ctx: Context) -> list[Ent]:
    ents = []
    prefixes = set(ctx.cfg.get("geo_prefixes", []))
    tk = ctx.tokens
    orth = tk.orth
    for i, e_end, start, end, label, key in tk.ents:
        if not key:
            continue
        if i >= 2 and orth[i - 1] in "-‐‑" and not tk.ws[i - 2] and orth[i - 2] in prefixes:
            continue  # "Noord-Amerika" is not America
        ents.append(Ent(start, end, key, label.lower(), tk.text[start:end]))
        if label == "ROLE":
            # "Hoge Vertegenwoordiger van de EU": the organisation inside a role's name is named too
            for j in range(i, e_end):
                word = orth[j]
                inner = lookup_surface(ctx.catalogue, word) if word[:1].isupper() else None
                if inner is not None and inner.kind in ("organisation", "country") and inner.key != key:
                    ents.append(Ent(tk.start[j], tk.end[j], inner.key, inner.kind, word))
    return ents


def _model_candidates(ctx: Context) -> list[Ent]:
    """Entities a statistical NER found that no catalogue pattern covers, typed by rules."""
    out = []
    tk = ctx.tokens
    for i, e_end, start, end, label, key in tk.ents:
        if key:
            continue
        kind = MODEL_LABELS.get(label)
        if kind is None:
            continue
        text = tk.text[start:end].strip()
        if not text or not text[0].isupper():
            continue
        known = lookup_surface(ctx.catalogue, text)
        if known is not None:
            out.append(Ent(start, end, known.key, known.kind, text))
            continue
        if kind == "person":
            key = _person_key(text, ctx.cfg)
        elif kind == "organisation":
            key = upper_key(text) if not text.isupper() else re.sub(r"[^A-Z0-9]+", "-", text).strip("-")
        else:
            continue  # places the catalogue does not know are left to the meeting rules
        if not key:
            continue
        if key not in ctx.discovered:
            sent = ctx.doc[i:e_end].sent
            ctx.discovered[key] = Entity(key=key, kind=kind, label_nl=text, label_en=text, discovered=True,
                                         evidence=ctx.evidence(sent.start_char, sent.end_char))
        out.append(Ent(start, end, key, kind, text))
    return out


def _person_key(name: str, cfg: dict | None = None) -> str:
    """Family name key: last capitalised word with the particles before it ("Van Haga" -> van-haga).
    ``cfg``: the extraction configuration (``Context.cfg``), else it is looked up."""
    cfg = cfg if cfg is not None else extraction_config()
    particles = {p.lower() for p in cfg["persons"]["particles"]}
    words = [re.sub(r"\d+$", "", w) for w in re.split(r"\s+", name.strip())
             if w and not re.fullmatch(r"(?:[A-Z]\.)+", w)]
    words = [w for w in words if w]
    if not words:
        return ""
    i = len(words) - 1
    while i > 0 and words[i - 1].lower() in particles:
        i -= 1
    return slug(" ".join(words[i:]))


# --------------------------------------------------------------------------- discovery

def _acronym_matches(acr: str, long: str) -> bool:
    """Schwartz & Hearst (2003): every acronym letter found right-to-left in the long form,
    the first one at the start of a word."""
    a = [c.lower() for c in acr if c.isalnum()]
    lf = long.lower()
    if len(a) < 2:
        return False
    li = len(lf) - 1
    for ai in range(len(a) - 1, -1, -1):
        c = a[ai]
        while li >= 0 and (lf[li] != c or (ai == 0 and li > 0 and lf[li - 1].isalnum())):
            li -= 1
        if li < 0:
            return False
        li -= 1
    return True


_ACR = r"[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*"
# possessive: what follows a word (space, bracket) is never a word character, so giving
# characters back never helps a match; it only made every failed attempt backtrack per letter
_LONG_WORD = r"[A-Za-zÀ-ÿ][\w’'-]*+"
_DEF_LONG_FIRST = re.compile(
    rf"(?P<long>(?:{_LONG_WORD}\s+){{1,9}}{_LONG_WORD})\s*\((?P<acr>{_ACR})(?:[’']s)?\)")
_DEF_ACR_FIRST = re.compile(rf"\b(?P<acr>{_ACR})\s*\((?P<long>(?:{_LONG_WORD}\s+){{1,9}}{_LONG_WORD})\)")
_BRACKETED_ACR = re.compile(rf"\((?:{_ACR})(?:[’']s)?\)")  # part of every _DEF_LONG_FIRST match


def _trim_long(acr: str, long: str) -> str | None:
    """Shortest tail of ``long`` that still matches ``acr``, starting at a capitalised word."""
    words = long.split()
    for i in range(len(words) - 1, -1, -1):
        cand = " ".join(words[i:])
        if words[i][:1].isupper() and _acronym_matches(acr, cand):
            # extend over leading capitalised words that the acronym's first letter may cover
            return cand
    return None


def _discover_acronyms(ctx: Context) -> None:
    cfg = ctx.cfg["acronyms"]
    ignore = set(cfg["ignore"])
    org_words = {w.lower() for w in cfg["organisation_words"]}
    for sent in ctx.sents:
        if "(" not in sent.text:
            continue  # both definition patterns need a bracket (and they backtrack a lot)
        for rx, order in ((_DEF_LONG_FIRST, "long"), (_DEF_ACR_FIRST, "acr")):
            if rx is _DEF_LONG_FIRST and not _BRACKETED_ACR.search(sent.text):
                continue  # the long-form-first pattern tries every word: only where it can end
            for m in rx.finditer(sent.text):
                acr = m.group("acr")
                if acr in ignore or ctx.catalogue.get(acr) is not None or acr in ctx.discovered:
                    continue
                if not any(c.isupper() for c in acr[1:]) and len(acr) > 4:
                    continue  # a capitalised word, not an acronym
                long = _trim_long(acr, m.group("long")) if order == "long" else (
                    m.group("long") if _acronym_matches(acr, m.group("long")) else None)
                if not long:
                    continue
                known = lookup_surface(ctx.catalogue, long)
                if known is not None:
                    continue
                kind = "organisation" if org_words & {w.lower() for w in long.split()} else "initiative"
                key = acr.upper()
                ev = ctx.evidence(sent.start, sent.end)
                ctx.discovered[key] = Entity(key=key, kind=kind, label_nl=long, label_en=long,
                                             aliases=(acr,), discovered=True, evidence=ev)
    # every later use of a discovered acronym or long form is a mention
    for key, ent in ctx.discovered.items():
        if ent.kind not in ("initiative", "organisation") or ent.evidence is None:
            continue
        forms = sorted({ent.label_nl, *ent.aliases}, key=len, reverse=True)
        rx = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w])")
        for sent in ctx.sents:
            for m in rx.finditer(sent.text):
                s, e = sent.start + m.start(), sent.start + m.end()
                if not any(x.start <= s < x.end for x in ctx.ents):
                    ctx.ents.append(Ent(s, e, key, ent.kind, m.group(0)))


_TITLE_RX: dict[tuple[int, int], tuple[object, object, re.Pattern]] = {}


def _title_regex(ctx: Context) -> re.Pattern:
    """The title-then-name pattern, compiled once per catalogue and configuration."""
    key = (id(ctx.catalogue), id(ctx.cfg))
    hit = _TITLE_RX.get(key)
    if hit is not None and hit[0] is ctx.catalogue and hit[1] is ctx.cfg:
        return hit[2]
    rx = _build_title_regex(ctx)
    _TITLE_RX.clear()
    _TITLE_RX[key] = (ctx.catalogue, ctx.cfg, rx)
    return rx


def _build_title_regex(ctx: Context) -> re.Pattern:
    cfg = ctx.cfg["persons"]
    titles = set(cfg["titles"])
    for ent in ctx.catalogue.by_kind("role"):
        for form in (ent.label_nl, ent.label_en, *ent.aliases):
            if form and len(form) > 1:
                titles.add(form)
    alts = _ignorecase_alternation(sorted(titles, key=len, reverse=True))
    parts = "|".join(re.escape(p) for p in cfg["particles"])
    name_word = r"[A-ZÀ-Ý][a-zà-ÿ’'-]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?"
    name = rf"(?:(?i:{parts})\s+){{0,3}}{name_word}"
    return re.compile(rf"(?<![\w])(?P<title>{alts})\s+(?P<name>{name})(?![\w])")


def _ignorecase_alternation(words: list[str]) -> str:
    """``(?i:w1|w2|...)``, first match wins in the order given, with the words that start with
    the same letter grouped behind it: ``(?i:m(?:inister|in)|p(?:resident|remier))``.

    The regex engine then tries one branch per letter instead of every word. Words that start
    with different ASCII letters or digits never match at the same place (case-insensitively
    either), so only the order within a group matters, and it is kept. With a word that starts
    otherwise the plain alternation is returned.
    """
    if not all(w[:1].isascii() and w[:1].isalnum() for w in words):
        return "(?i:" + "|".join(re.escape(w) for w in words) + ")"
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[0].lower(), []).append(w[1:])
    return "(?i:" + "|".join(re.escape(first) + "(?:" + "|".join(re.escape(rest) for rest in group) + ")"
                             for first, group in groups.items()) + ")"


def _discover_persons(ctx: Context) -> None:
    cfg = ctx.cfg["persons"]
    not_names = set(cfg["not_names"])
    rx = _title_regex(ctx)
    particles = {p.lower() for p in cfg["particles"]}
    for sent in ctx.sents:
        for m in rx.finditer(sent.text):
            name = m.group("name")
            words = [w for w in name.split() if w[:1].isupper() and w.lower() not in particles]
            if not words or any(w in not_names for w in words):
                continue
            s, e = sent.start + m.start("name"), sent.start + m.end("name")
            if any(x.start < e and x.end > s and x.kind != "person" for x in ctx.ents):
                continue  # the "name" is (or contains) a known country, organisation, ...
            known = next((x for x in ctx.ents if x.start <= s < x.end and x.kind == "person"), None)
            if known is not None:
                continue
            if lookup_surface(ctx.catalogue, name) is not None:
                continue
            key = _person_key(name, ctx.cfg)
            if not key:
                continue
            if key not in ctx.discovered and ctx.catalogue.get(key) is None:
                role = _role_of(ctx, sent.start + m.start("title"), sent.start + m.end("title"))
                country = _country_before(ctx, sent, sent.start + m.start("title"))
                ctx.discovered[key] = Entity(
                    key=key, kind="person", label_nl=name, label_en=name, aliases=(name,),
                    role=role, country=country, discovered=True, evidence=ctx.evidence(sent.start, sent.end))
            ctx.ents.append(Ent(s, e, key, "person", name))
    # later bare uses of a discovered family name ("Kuleba") are mentions too
    persons = {k: v for k, v in ctx.discovered.items() if v.kind == "person"}
    for key, ent in persons.items():
        rx2 = re.compile(r"(?<![\w-])" + re.escape(ent.label_nl) + r"(?![\w])")
        for sent in ctx.sents:
            for m in rx2.finditer(sent.text):
                s, e = sent.start + m.start(), sent.start + m.end()
                if not any(x.start <= s < x.end for x in ctx.ents):
                    ctx.ents.append(Ent(s, e, key, "person", m.group(0)))


def _role_of(ctx: Context, start: int, end: int) -> str | None:
    for x in ctx.ents:
        if x.kind == "role" and x.start < end and x.end > start:
            return x.key
    return None


def _country_before(ctx: Context, sent: Sent, pos: int) -> str | None:
    """A country named (usually as an adjective) just before a title: "de Oekraïense Minister"."""
    best = None
    for x in ctx.ents:
        if x.kind == "country" and sent.start <= x.end <= pos and pos - x.end <= 3:
            best = x.key
    return best


def _infer_groups(ctx: Context) -> None:
    """A group is mentioned where all its members are named in one sentence."""
    groups = [g for g in ctx.catalogue.by_kind("group") if 1 < len(g.members) <= 12]
    if not groups:
        return
    by_sent: dict[int, set[str]] = {}
    countries = sorted((x.start, x.key) for x in ctx.ents if x.kind == "country")
    starts = [c[0] for c in countries]
    for sent in ctx.sents:
        lo, hi = bisect_left(starts, sent.start), bisect_left(starts, sent.end)
        keys = {key for _, key in countries[lo:hi]}
        if len(keys) < 2:
            continue
        for g in groups:
            if set(g.members) <= keys:
                names = []
                for x in ctx.ents:
                    if x.kind == "country" and x.key in g.members and sent.start <= x.start < sent.end \
                            and x.text not in names:
                        names.append(x.text)
                ctx.ents.append(Ent(sent.start, sent.start, g.key, "group", ", ".join(names), inferred=True))
        by_sent[sent.index] = keys


# --------------------------------------------------------------------------- letter metadata

def _letter_kind(ctx: Context) -> tuple[str, Evidence | None]:
    rules = _rules(ctx.cfg)
    window = ctx.src.text[: ctx.cfg["letter_kind"]["window"]]
    best = None
    for rx, kind in rules["letter_kind"]:
        m = rx.search(window)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), m.end(), kind)
    if best is None:
        return "other", None
    sent = next((s for s in ctx.sents if s.start <= best[0] < s.end), None)
    ev = ctx.sent_evidence(sent) if sent else ctx.evidence(best[0], best[1])
    return best[2], ev


def _letter_date(ctx: Context) -> tuple[dt.date | None, Evidence | None]:
    rules = _rules(ctx.cfg)
    window = ctx.src.text[: ctx.cfg["letter_date"]["window"]]
    for rx in rules["letter_date"]:
        m = rx.search(window)
        if m:
            d = parse_date(m.group("date"))
            if d:
                return d, ctx.evidence(m.start(), m.end())
    return None, None


def _title(ctx: Context) -> str:
    for p in ctx.src.paragraphs:
        text = re.sub(r"\s+", " ", ctx.src.text[p.start:p.end]).strip()
        if text:
            return text[:300]
    return ctx.src.doc_id


_SIGNATURE = re.compile(
    r"^\s*(?P<initials>(?:[A-Z][a-z]?\.\s*){1,5})(?P<name>(?:(?i:van|de|der|den|ter|ten|von)\s+){0,3}"
    r"[A-ZÀ-Ý][\w’'-]+(?:[- ][A-ZÀ-Ý][\w’'-]+)?)\s*$")


def _signatories(ctx: Context) -> list[tuple[str, Evidence]]:
    """Name lines with initials ("K.H. Ollongren"), usually after a role line ending in a comma."""
    out: list[tuple[str, Evidence]] = []
    paras = ctx.src.paragraphs
    for i, p in enumerate(paras):
        text = ctx.src.text[p.start:p.end].strip()
        m = _SIGNATURE.match(text)
        if not m:
            continue
        name = m.group("name")
        known = lookup_surface(ctx.catalogue, name) or lookup_surface(ctx.catalogue, text)
        prev = ctx.src.text[paras[i - 1].start:paras[i - 1].end].strip() if i else ""
        role = _role_of(ctx, paras[i - 1].start, paras[i - 1].end) if i else None
        if known is not None and known.kind == "person":
            key = known.key
        else:
            key = _person_key(name, ctx.cfg)
            if not key:
                continue
            if ctx.catalogue.get(key) is None and key not in ctx.discovered:
                ctx.discovered[key] = Entity(
                    key=key, kind="person", label_nl=f"{m.group('initials').strip()} {name}",
                    label_en=f"{m.group('initials').strip()} {name}", aliases=(name,), role=role,
                    country=ctx.cfg["government"], discovered=True,
                    evidence=ctx.evidence(p.start, p.end))
        start = paras[i - 1].start if prev.endswith(",") else p.start
        ev = ctx.evidence(start, p.end)
        if key not in {k for k, _ in out}:
            out.append((key, ev))
        if not any(x.start <= p.start + m.start("name") < x.end for x in ctx.ents):
            ctx.ents.append(Ent(p.start + m.start("name"), p.start + m.end("name"), key, "person", name))
    return out


# --------------------------------------------------------------------------- citations

_KST = re.compile(
    r"Kamerstuk(?:ken)?\s+(?P<dossiers>\d{2}\s?\d{3}(?:-[A-Z0-9]{1,3})?(?:(?:\s*,\s*|\s+en\s+)\d{2}\s?\d{3}(?:-[A-Z0-9]{1,3})?)*)"
    r"\s*,?\s*nr\.?\s*(?P<nr>\d+)")
_HAND = re.compile(r"Handelingen\s+(?P<kamer>II|I)\s+(?P<y1>\d{4})\s*[/-]\s*(?P<y2>\d{2,4})\s*,?\s*nr\.?\s*(?P<nr>\d+)")
# a name is letters only: a footnote marker glued to it ("Van Haga1") is not part of it
_MOTION = re.compile(r"\bmotie(?:\s+van\s+(?:het\s+lid|de\s+leden))?\s+(?P<name>(?:(?i:van|de|der|den|ter|ten)\s+){0,3}"
                     r"[A-ZÀ-Ý][^\W\d_]*(?:[’'-][^\W\d_]+)*)")


def _citations(ctx: Context) -> tuple[list[Citation], list[Ent]]:
    out: list[Citation] = []
    text = ctx.src.text
    for sent in ctx.sents:
        for m in _KST.finditer(sent.text):
            dossiers = tuple(re.sub(r"\s", "", d) for d in re.split(r"\s*,\s*|\s+en\s+", m.group("dossiers")))
            nr = m.group("nr")
            ident = f"kst-{dossiers[0].lower()}-{nr}"
            out.append(Citation("kamerstuk", ident, dossiers, nr, ctx.sent_evidence(sent)))
        for m in _HAND.finditer(sent.text):
            y1, y2 = m.group("y1"), m.group("y2")
            y2full = y2 if len(y2) == 4 else y1[:2] + y2
            kamer = "tk" if m.group("kamer") == "II" else "ek"
            ident = f"h-{kamer}-{y1}{y2full}-{m.group('nr')}"
            out.append(Citation("handelingen", ident, (), m.group("nr"), ctx.sent_evidence(sent),
                                year=f"{y1}/{y2}"))
    # motions: "motie Van Haga" + footnote marker -> the footnote's citation
    marker_pos = {pos: marker for marker, pos in getattr(ctx.src, "markers", [])}
    foot_cites = {}
    for fn in getattr(ctx.src, "footnotes", []):
        os_, oe = ctx.src.original_span(fn.start, fn.end)
        for c in out:
            if os_ <= c.evidence.start < oe or (c.evidence.start <= os_ < c.evidence.end):
                foot_cites.setdefault(fn.marker, c)
    motion_ents: list[Ent] = []
    for sent in ctx.sents:
        if not sent.body:
            continue
        if "motie" not in sent.text:
            continue  # the motion pattern starts with the word
        for m in _MOTION.finditer(sent.text):
            name = m.group("name")
            if name in ctx.cfg["persons"]["not_names"]:
                continue
            known = lookup_surface(ctx.catalogue, name)
            key = known.key if known is not None and known.kind == "person" else _person_key(name, ctx.cfg)
            if not key:
                continue
            if known is None and ctx.catalogue.get(key) is None and key not in ctx.discovered:
                ctx.discovered[key] = Entity(key=key, kind="person", label_nl=name, label_en=name,
                                             aliases=(name,), role="tk-member", discovered=True,
                                             evidence=ctx.sent_evidence(sent))
            s, e = sent.start + m.start("name"), sent.start + m.end("name")
            if not any(x.start <= s < x.end for x in ctx.ents):
                motion_ents.append(Ent(s, e, key, "person", name))
            end = e
            marker = next((marker_pos[p] for p in range(end, end + 3) if p in marker_pos), None)
            cite = foot_cites.get(marker) if marker else None
            ident = cite.identifier if cite else f"motion-{key}"
            out.append(Citation("motie", ident, cite.dossiers if cite else (), cite.number if cite else "",
                                ctx.sent_evidence(sent), motion_submitter=key))
    return out, motion_ents


# --------------------------------------------------------------------------- meetings

@functools.lru_cache(maxsize=4)
def _known_meetings_cached(path: str, mtime: float) -> tuple[tuple[str, dt.date, dt.date, str], ...]:
    import pyoxigraph as ox

    from . import vocab as V

    props: dict[str, dict[str, str]] = {}
    with open(path, "rb") as fh:
        for t in ox.parse(fh, format=ox.RdfFormat.TURTLE):
            props.setdefault(t.subject.value, {})[t.predicate.value] = t.object.value
    out = []
    for p in props.values():
        try:
            kind = p[V.NG + "meetingKind"]
            first = dt.date.fromisoformat(p[V.SCHEMA + "startDate"])
            last = dt.date.fromisoformat(p[V.SCHEMA + "endDate"])
            city = p[V.SCHEMA + "location"].rsplit("/", 1)[-1]
        except (KeyError, ValueError):
            continue
        out.append((kind, first, last, city))
    return tuple(sorted(out))


def known_meetings() -> tuple[tuple[str, dt.date, dt.date, str], ...]:
    """(kind, start, end, city) of the meetings in ``ontology/meetings.ttl``."""
    from . import ontology_dir

    p = ontology_dir() / "meetings.ttl"
    return _known_meetings_cached(str(p), p.stat().st_mtime) if p.exists() else ()


def _known(kind: str | None, city: str | None, year: int,
           known: tuple[tuple[str, dt.date, dt.date, str], ...] | None = None) -> tuple[str, dt.date, dt.date, str] | None:
    """The one known meeting of this kind (any kind when None), city and year; ``known``:
    :func:`known_meetings`, when the caller has it."""
    known = known_meetings() if known is None else known
    hits = [m for m in known if m[3] == city and m[1].year == year and (kind is None or m[0] == kind)]
    return hits[0] if len(hits) == 1 else None


def _reference_date(ctx: Context, letter_date: dt.date | None) -> dt.date | None:
    if letter_date:
        return letter_date
    for sent in ctx.sents[:40]:
        for d in find_dates(sent.text):
            if d.first is not None and d.explicit_year:
                return d.first
    return None


def _meeting_refs(ctx: Context, ref: dt.date | None) -> list[_MeetingRef]:
    rules = _rules(ctx.cfg)
    mcfg = ctx.cfg["meetings"]
    strong = set(mcfg["strong_kinds"])
    refs: list[_MeetingRef] = []
    cities = [x for x in ctx.ents if x.kind == "city"]
    known = known_meetings()  # once per letter (it checks the file)
    for sent in ctx.sents:
        if not sent.body:
            continue
        dates = find_dates(sent.text, ref)
        if not dates:
            continue
        has_nato = bool(rules["nato"].search(sent.text))
        cues = []
        for rx, kind, needs_nato in rules["kinds"]:
            for m in rx.finditer(sent.text):
                k = kind if (not needs_nato or has_nato) else "other"
                cues.append((m.start(), m.end(), k, kind != "other" and k != "other"))
        def dist_to(c, d):
            if c[1] <= d.start:
                return d.start - c[1]
            if c[0] >= d.end:
                return c[0] - d.end + 1  # prefer cues before the date on ties
            return 0

        # a cue belongs to the date nearest to it
        owner = {c: min(dates, key=lambda d: dist_to(c, d)) for c in cues}
        for d in dates:
            def dist(c):
                if c[1] <= d.start:
                    return d.start - c[1]
                if c[0] >= d.end:
                    return c[0] - d.end + 1  # prefer cues before the date on ties
                return 0
            window = mcfg["cue_window"] if d.has_day else mcfg["year_only_window"]
            near = [c for c in cues if dist(c) <= window and owner[c] is d]
            if not d.has_day:
                near = [c for c in near if c[2] in strong]
            if not near:
                if not d.has_day and d.month is None:
                    # "de in 2014 in Wales gemaakte afspraken": a known meeting's place and year
                    city = _nearest_city(ctx, sent, cities, d.start, d.end, mcfg["year_only_window"], dates, d)
                    hit = _known(None, city, d.year, known) if city else None
                    if hit:
                        refs.append(_MeetingRef(hit[0], hit[1], hit[2], d.year, city, False, sent,
                                                sent.start + d.start, True, True))
                continue
            # the most specific cue wins among those about as near as the nearest
            near.sort(key=lambda c: (dist(c), not c[3]))
            best = near[0]
            specific = [c for c in near if c[3] and dist(c) <= dist(best) + 60]
            if not best[3] and specific:
                best = specific[0]
            # do not let one date take a cue that clearly belongs to another date in between
            lo, hi = min(best[0], d.start), max(best[1], d.end)
            city = _nearest_city(ctx, sent, cities, lo, hi, mcfg["city_window"], dates, d)
            informal = any(
                m.start() <= best[1] + 5 and m.end() >= best[0] - 40
                for m in rules["informal"].finditer(sent.text))
            first, last, explicit = d.first, d.last, d.explicit_year
            if first is None and city:
                hit = _known(best[2], city, d.year, known)  # a known meeting gives a bare year its dates
                if hit:
                    first, last, explicit = hit[1], hit[2], True
            refs.append(_MeetingRef(best[2], first, last, d.year, city, informal, sent,
                                    sent.start + d.start, best[3], explicit))
    return refs


def _nearest_city(ctx: Context, sent: Sent, cities: list[Ent], lo: int, hi: int, window: int,
                  dates: list[DateExpr], d: DateExpr) -> str | None:
    rules = _rules(ctx.cfg)
    best = None
    others = [x for x in dates if x is not d]
    for c in cities:
        if not (sent.start <= c.start < sent.end):
            continue
        cs, ce = c.start - sent.start, c.end - sent.start
        if any(min(cs, lo) < o.start < max(ce, hi) for o in others):
            continue  # another date stands between: that city is that date's
        dist = 0 if lo <= cs < hi else min(abs(cs - hi), abs(lo - ce))
        if dist <= window and (best is None or dist < best[0]):
            best = (dist, c.key)
    if best:
        return best[1]
    for m in rules["place"].finditer(sent.text):
        place = m.group("place")
        if m.start("place") < lo - window or m.start("place") > hi + window:
            continue
        known = lookup_surface(ctx.catalogue, place)
        if known is not None:
            if known.kind == "city":
                return known.key
            continue
        return slug(place)
    return None


def _cluster_meetings(ctx: Context, refs: list[_MeetingRef]) -> tuple[list[Meeting], dict[int, int]]:
    """Merge references to the same meeting; sessions inside a meeting's days belong to it."""
    clusters: list[dict] = []
    ref_cluster: dict[int, int] = {}
    dated = sorted((r for r in refs if r.first), key=lambda r: (-(r.last - r.first).days, r.pos))
    for r in dated:
        home = None
        for ci, c in enumerate(clusters):
            inside = c["first"] <= r.first and r.last <= c["last"]
            # a day named without its year inside a meeting's days is one of its sessions
            session = inside and not r.explicit_year and (c["first"], c["last"]) != (r.first, r.last)
            compatible = session or r.kind == c["kind"] or r.kind == "other" or c["kind"] == "other"
            if inside and compatible:
                home = ci
                break
        if home is None:
            clusters.append({"kind": r.kind, "first": r.first, "last": r.last, "year": r.year,
                             "city": r.city, "informal": r.informal, "refs": [r],
                             "pos": r.pos, "specific": r.specific})
            ref_cluster[id(r)] = len(clusters) - 1
            continue
        c = clusters[home]
        same_days = (c["first"], c["last"]) == (r.first, r.last)
        if c["kind"] == "other" and r.kind != "other":
            c["kind"] = r.kind
        if c["city"] is None and r.city and same_days:
            c["city"] = r.city
        if same_days and r.informal:
            c["informal"] = True
        c["refs"].append(r)
        c["pos"] = min(c["pos"], r.pos)
        ref_cluster[id(r)] = home
    for r in sorted((r for r in refs if not r.first), key=lambda r: r.pos):
        home = None
        for ci, c in enumerate(clusters):
            if c["year"] == r.year and (c["kind"] == r.kind) and (
                    r.city is None or c["city"] is None or c["city"] == r.city):
                home = ci
                break
        if home is None:
            clusters.append({"kind": r.kind, "first": None, "last": None, "year": r.year, "city": r.city,
                             "informal": r.informal, "refs": [r], "pos": r.pos, "specific": r.specific})
            ref_cluster[id(r)] = len(clusters) - 1
        else:
            c = clusters[home]
            if c["city"] is None and r.city:
                c["city"] = r.city
            c["refs"].append(r)
            ref_cluster[id(r)] = home
    meetings = []
    for c in clusters:
        first_ref = min(c["refs"], key=lambda r: r.pos)
        meetings.append(Meeting(kind=c["kind"], start=c["first"], end=c["last"], year=c["year"],
                                city=c["city"], informal=c["informal"], primary=False,
                                evidence=ctx.sent_evidence(first_ref.sent)))
    return meetings, ref_cluster


def _choose_primary(meetings: list[Meeting], refs: list[_MeetingRef], ref_cluster: dict[int, int]) -> None:
    """The letter is about the first dated NATO meeting it names (title or opening sentence)."""
    order = sorted(refs, key=lambda r: r.pos)
    for preferred in (("fmm", "dmm", "summit"), ("fmm", "dmm", "summit", "other", "eu-council")):
        for r in order:
            m = meetings[ref_cluster[id(r)]]
            if m.start is not None and m.kind in preferred:
                m.primary = True
                return


def _participants(ctx: Context, primary: Meeting | None, refs: list[_MeetingRef],
                  meetings: list[Meeting], ref_cluster: dict[int, int]) -> list[Participation]:
    if primary is None:
        return []
    rules = _rules(ctx.cfg)
    excluded = {ctx.cfg["government"], *ctx.cfg["holder_only"], *ctx.cfg["host_organisations"]}
    other_sents = {r.sent.index for r in refs if meetings[ref_cluster[id(r)]] is not primary}
    out: dict[str, Participation] = {}
    ent_starts = [x.start for x in ctx.ents]  # ctx.ents is sorted by (start, end, key) here
    for sent in ctx.sents:
        if not sent.body or sent.index in other_sents:
            continue
        cands = [x for x in ctx.ents[bisect_left(ent_starts, sent.start):bisect_left(ent_starts, sent.end)]
                 if not x.inferred and x.kind in PARTICIPANT_KINDS and x.key not in excluded and x.key not in out]
        if not cands:
            continue  # nobody (new) in the sentence who could take part: its cues do not matter
        if rules["part_any"] is None or not rules["part_any"].search(sent.text):
            continue  # no participation cue
        if rules["part_exclude"] is not None and rules["part_exclude"].search(sent.text):
            continue
        spans = []
        for rx in rules["part_cues"]:
            for m in rx.finditer(sent.text):
                cue = m.group(0)
                if any(a.search(cue) for a in rules["scope_after"]):
                    stop = rules["scope_stop"].search(sent.text, m.end())
                    spans.append((m.start(), stop.start() if stop else len(sent.text)))
                else:
                    spans.append((0, len(sent.text)))
        if not spans:
            continue
        for x in cands:
            rel = x.start - sent.start
            if any(a <= rel < b for a, b in spans) and x.key not in out:
                out[x.key] = Participation(primary.key, x.key, x.kind, ctx.sent_evidence(sent))
    return list(out.values())


# --------------------------------------------------------------------------- main entry

def analyse(src: "SourceDocument", doc: Doc, catalogue: "Catalogue") -> Context:
    from .nlp import spacy_text

    ctx = Context(src=src, doc=doc, catalogue=catalogue, cfg=extraction_config(),
                  tokens=read_doc(doc, spacy_text(src.text)))
    ctx.sents = _sentences(ctx)
    ctx.ents = _ruler_entities(ctx)
    ctx.ents.extend(_model_candidates(ctx))
    return ctx


def extract_letter(src: "SourceDocument", doc: Doc, catalogue: "Catalogue", *,
                   stances: bool = True) -> Letter:
    ctx = analyse(src, doc, catalogue)
    kind, kind_ev = _letter_kind(ctx)
    letter_date, date_ev = _letter_date(ctx)
    signatories = _signatories(ctx)
    _discover_acronyms(ctx)
    _discover_persons(ctx)
    citations, motion_ents = _citations(ctx)
    ctx.ents.extend(motion_ents)
    _infer_groups(ctx)
    ctx.ents.sort(key=lambda x: (x.start, x.end, x.key))

    ref = _reference_date(ctx, letter_date)
    refs = _meeting_refs(ctx, ref)
    meetings, ref_cluster = _cluster_meetings(ctx, refs)
    _choose_primary(meetings, refs, ref_cluster)
    primary = next((m for m in meetings if m.primary), None)
    participations = _participants(ctx, primary, refs, meetings, ref_cluster)

    holder_only = set(ctx.cfg["holder_only"])
    mentions: dict[tuple[str, str, int, int], Mention] = {}
    sent_starts = [s.start for s in ctx.sents]  # sentences are disjoint and in text order
    for x in ctx.ents:
        if x.key in holder_only:
            continue
        k = bisect_right(sent_starts, x.start) - 1
        sent = ctx.sents[k] if k >= 0 and (
            x.start < ctx.sents[k].end or (x.inferred and ctx.sents[k].start == x.start)) else None
        if sent is None:
            continue
        ev = ctx.sent_evidence(sent)
        mentions.setdefault((x.key, x.kind, ev.start, ev.end), Mention(x.key, x.kind, ev, " ".join(x.text.split())))

    letter = Letter(
        doc=src.doc_id,
        source=str(src.path),
        sha256=src.sha256,
        kind=kind,
        date=letter_date,
        title=_title(ctx),
        signatories=[k for k, _ in signatories],
        signatory_evidence=[e for _, e in signatories],
        meetings=meetings,
        mentions=sorted(mentions.values(), key=lambda m: (m.evidence.start, m.key)),
        participations=sorted(participations, key=lambda p: p.participant),
        citations=citations,
        entities=sorted(ctx.discovered.values(), key=lambda e: e.key),
        kind_evidence=kind_ev,
        date_evidence=date_ev,
    )
    if stances:
        try:
            from .stances import extract_stances
        except ImportError:  # the positions layer is optional
            extract_stances = None
        if extract_stances is not None:
            letter.stances = extract_stances(ctx, letter)
    return letter


def iter_entities(letter: Letter) -> Iterable[str]:
    return (m.key for m in letter.mentions)
