"""Positions: who stands where on what, when, and on which sentence.

``extract_stances(ctx, letter)`` reads the analysed letter (:class:`navograph.extract.Context`)
and returns :class:`navograph.model.Stance` facts. The vocabulary (cue expressions, holder
terms, negators, modality markers, clause words) lives in ``ontology/stance-lexicon.yaml``;
topics and their cues in ``ontology/topics.ttl``; entities in the catalogue. The rules here
are general patterns of the genre:

1. Tokens carry a set of *forms*: lookup lemma, lower-case text and the de-inflected
   adjective (``russische`` -> ``russisch``). Lexicon patterns are matched on these forms in
   order, with small gaps that never cross a clause boundary, so inflections, inversions
   ("hecht het kabinet waarde aan") and separable verbs ("roept ... op") match.
2. Targets are topic cues (``ng:cue`` as written, ``ng:cueLemma`` on forms) and catalogue
   entities (initiatives; countries in a frame such as "territoriale integriteit van X en
   Y", or when nothing else in scope is a target), one stance per coordinated target.
   A cue's scope runs from the cue to the next cue (and, for copular cues, back over the
   clause before it). With no target in scope an anaphoric cue ("staat hier welwillend
   tegenover") takes the previous sentence's targets.
3. The holder is the subject-like holder term or entity: with a dependency parse the
   ``nsubj`` of the cue's head; without one the leftmost holder before the cue that is not
   inside a prepositional phrase, else one right after the cue (inversion), else a
   pronoun resolved to the nearest holder in the paragraph, else the cue's default
   (impersonal evaluations in a government letter belong to the government).
4. A negator in scope ("niet", "geen", "niet langer") flips support to oppose; a target
   after "tegen" is opposed; a support cue on an inherently negative topic is concern.
5. Modality: conditional ("indien", "mocht" in the cue's scope), reported (past tense at the
   cue or in its clause), intended ("zal", "voornemens" governing the cue), else stated. The
   meeting is the letter's primary meeting unless the sentence dates another one.

Cost: a sentence is tokenised and matched only when it holds a cue's anchor word (found with
one pass over the Doc's tokens as ``extract.read_doc`` read them, never over spaCy ``Token``
objects); topics, entities and holders are computed lazily, for sentences with a cue or
sentences a later anaphor refers to.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import yaml

from . import ontology_dir
from .model import Evidence, Letter, Stance

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .extract import Context, Sent

LEXICON_FILE = "stance-lexicon.yaml"
GOVERNMENT = "GOVERNMENT"
ALLIES_DEFAULT = "ALLIES"


# --------------------------------------------------------------------------- lexicon

@dataclass(frozen=True)
class Pattern:
    words: tuple[frozenset[str], ...]
    final: tuple[bool, ...]  # word must be followed by punctuation / sentence end
    gap: int


@dataclass(frozen=True)
class Cue:
    id: str
    pattern: Pattern
    polarity: str
    scope: str = "after"
    default_holder: str | None = None
    negatable: bool = True
    at_start: bool = False
    inherit_holder: bool = False
    evaluative: bool = False


@dataclass(frozen=True)
class HolderTerm:
    pattern: Pattern
    holder: str
    not_followed_by_name: bool = False
    needs_nato: bool = False
    any_position: bool = False  # holds even inside a phrase ("de kern van de kabinetsinzet")


@dataclass
class Lexicon:
    cues: list[Cue]
    holder_terms: list[HolderTerm]
    holder_kinds: frozenset[str]
    never_holders: frozenset[str]
    allowed_preps: frozenset[str]
    co_holder_markers: list[tuple[str, ...]]
    pronouns: list[tuple[str, ...]]
    government_pronouns: frozenset[str]
    negators: frozenset[str]
    negation_window: int
    negative_topics: frozenset[str]
    against_words: frozenset[str]
    prepositions: frozenset[str]
    articles: frozenset[str]
    boundaries: frozenset[str]
    complementisers: frozenset[str]
    target_kinds: frozenset[str]
    country_frames: list[Pattern]
    frame_links: frozenset[str]
    vehicle_preps: frozenset[str]
    anaphora: frozenset[str]
    conditional: frozenset[str]
    intended: frozenset[str]
    past: frozenset[str]
    perfect_aux: frozenset[str]
    blockers: list[Pattern] = field(default_factory=list)
    negation_cancellers: frozenset[str] = frozenset()
    outside_markers: frozenset[str] = frozenset()
    purpose_markers: frozenset[str] = frozenset()
    borrow_initiatives: bool = True
    country_object_cues: frozenset[str] = frozenset()
    country_topics: dict[str, str] = field(default_factory=dict)
    continuation: frozenset[str] = frozenset()
    clause_openers: frozenset[str] = frozenset()
    anchors: frozenset[str] = frozenset()  # per cue its most specific word: a sentence without one has no cue


def _pattern(words: Iterable[str], gap: int = 3) -> Pattern:
    alts, final = [], []
    for w in words:
        w = str(w)
        fin = w.endswith("$") and len(w) > 1
        if fin:
            w = w[:-1]
        alts.append(frozenset(a.strip().lower() for a in w.split("|") if a.strip()))
        final.append(fin)
    return Pattern(tuple(alts), tuple(final), int(gap))


def _anchor(p: Pattern) -> frozenset[str]:
    """The word of a pattern with the longest shortest alternative (the rarest, roughly)."""
    best = max(range(len(p.words)), key=lambda i: (min(len(x) for x in p.words[i]), -i))
    return p.words[best]


def _words(items: Iterable) -> frozenset[str]:
    return frozenset(str(x).lower() for x in items)


@functools.lru_cache(maxsize=4)
def _load_lexicon(path: str, mtime: float) -> Lexicon:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    cues = []
    for c in data.get("cues", []):
        cues.append(Cue(
            id=c["id"], pattern=_pattern(c["pattern"], c.get("gap", 3)), polarity=c["polarity"],
            scope=c.get("scope", "after"), default_holder=c.get("default_holder"),
            negatable=c.get("negation", "flip") != "none", at_start=bool(c.get("at_start")),
            inherit_holder=bool(c.get("inherit_holder")), evaluative=bool(c.get("evaluative"))))
    h = data.get("holders", {})
    terms = [HolderTerm(_pattern(t["pattern"], t.get("gap", 0)), t["holder"],
                        bool(t.get("not_followed_by_name")), bool(t.get("needs_nato")),
                        bool(t.get("any_position")))
             for t in h.get("terms", [])]
    t = data.get("targets", {})
    m = data.get("modality", {})
    return Lexicon(
        cues=cues, holder_terms=terms,
        holder_kinds=frozenset(h.get("entity_kinds", [])),
        never_holders=frozenset(h.get("never", [])),
        allowed_preps=_words(h.get("allowed_prepositions", [])),
        co_holder_markers=[tuple(x.lower() for x in mk) for mk in h.get("co_holder_markers", [])],
        pronouns=[tuple(p.lower().split()) for p in h.get("pronouns", [])],
        government_pronouns=_words(h.get("government_pronouns", [])),
        negators=_words(data.get("negators", [])),
        negation_window=int(data.get("negation_window", 3)),
        negative_topics=frozenset(data.get("negative_topics", [])),
        against_words=_words(data.get("against_words", [])),
        prepositions=_words(data.get("prepositions", [])),
        articles=_words(data.get("articles", [])),
        boundaries=frozenset(data.get("boundaries", [])),
        complementisers=_words(data.get("complementisers", [])),
        target_kinds=frozenset(t.get("entity_kinds", [])),
        country_frames=[_pattern(f, 0) for f in t.get("country_frames", [])],
        frame_links=_words(t.get("frame_links", [])),
        vehicle_preps=_words(t.get("vehicle_prepositions", [])),
        anaphora=_words(t.get("anaphora", [])),
        conditional=_words(m.get("conditional", [])),
        intended=_words(m.get("intended", [])),
        past=_words(m.get("past", [])),
        perfect_aux=_words(m.get("perfect_auxiliaries", [])),
        blockers=[_pattern(b, 0) for b in data.get("blockers", [])],
        negation_cancellers=_words(data.get("negation_cancellers", [])),
        outside_markers=_words(data.get("outside_markers", [])),
        purpose_markers=_words(data.get("purpose_markers", [])),
        borrow_initiatives=bool(t.get("borrow_initiatives", True)),
        country_object_cues=frozenset(t.get("country_object_cues", [])),
        country_topics=dict(t.get("country_topics", {}) or {}),
        continuation=_words(t.get("continuation", [])),
        clause_openers=_words(h.get("clause_openers", [])),
        anchors=frozenset().union(*(_anchor(c.pattern) for c in cues)) if cues else frozenset(),
    )


def load_lexicon(path: Path | None = None) -> Lexicon:
    p = Path(path or ontology_dir() / LEXICON_FILE)
    return _load_lexicon(str(p), p.stat().st_mtime)


# --------------------------------------------------------------------------- tokens

_WORD = re.compile(r"\w+")
_APOS = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-"})


def _deinflect(low: str) -> str | None:
    """Adjective base form: drop the inflectional -e ("russische" -> "russisch",
    "collectieve" -> "collectief", "kritieke" -> "kritiek", "nauwe" -> "nauw")."""
    if len(low) < 5 or not low.endswith("e") or low.endswith("ee"):
        return None
    stem = low[:-1]
    if stem.endswith("v"):
        stem = stem[:-1] + "f"
    elif stem.endswith("z"):
        stem = stem[:-1] + "s"
    # doubled consonant after a short vowel: "grotte" is rare; undo vowel shortening
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiou":
        stem = stem[:-1]
    return stem


@dataclass(slots=True)
class Tok:
    i: int
    start: int  # normalised text offsets
    end: int
    text: str
    low: str
    forms: frozenset[str]
    punct: bool
    upper: bool  # starts with a capital
    doc_i: int  # index in the spaCy Doc


@functools.lru_cache(maxsize=20000)
def _token_forms(text: str, lemma: str) -> tuple[str, str, frozenset[str], bool, bool]:
    text = text.translate(_APOS)
    low = text.lower()
    forms = {low}
    lem = lemma.lower().translate(_APOS)
    if lem:
        forms.add(lem)
    d = _deinflect(low)
    if d:
        forms.add(d)
    punct = not any(c.isalnum() for c in text)
    return text, low, frozenset(forms), punct, text[:1].isupper()


_ANCHOR_IDS: dict[frozenset[str], "object"] = {}


def _anchor_counts(ctx: "Context", anchors: frozenset[str]):
    """Running count (a numpy array, one longer than the Doc) of the Doc's tokens whose
    lower-case text or lemma is a cue anchor, compared as spaCy string ids: a sentence
    without one is skipped cheaply."""
    import numpy as np

    tk = ctx.tokens
    ids = _ANCHOR_IDS.get(anchors)
    if ids is None:  # string ids are hashes, the same in every vocab
        ids = np.array(sorted(ctx.doc.vocab.strings.add(a) for a in anchors), dtype=tk.lower_ids.dtype)
        _ANCHOR_IDS.clear()
        _ANCHOR_IDS[anchors] = ids
    hit = _sorted_member(tk.lower_ids, ids) | _sorted_member(tk.lemma_ids, ids)
    return np.concatenate(([0], np.cumsum(hit)))


def _sorted_member(values, ids):
    """``np.isin(values, ids)`` for a small sorted ``ids``: a binary search per value instead of
    sorting both."""
    import numpy as np

    if not len(ids):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
    return ids[at] == values


class Toks(list):
    """The tokens of one sentence, with a form -> positions index built once."""

    __slots__ = ("index", "cands")

    def __init__(self, items=()):
        super().__init__(items)
        self.index: dict[str, list[int]] | None = None
        self.cands: dict[int, list] = {}


def _tokens(ctx: "Context", sent: "Sent") -> list[Tok]:
    tk = ctx.tokens
    orth, lemma, space, is_punct, starts, ends = tk.orth, tk.lemma, tk.space, tk.punct, tk.start, tk.end
    out = Toks()
    index: dict[str, list[int]] = {}  # the form index (see _form_index), built on the way
    for di in range(sent.t0, sent.t1):
        if space[di]:
            continue
        text, low, forms, punct, upper = _token_forms(orth[di], lemma[di])
        i = len(out)
        out.append(Tok(i, starts[di], ends[di], text, low, forms, punct or is_punct[di], upper, di))
        for f in forms:
            at = index.get(f)
            if at is None:
                index[f] = [i]
            else:
                at.append(i)
    out.index = index
    return out


_FORM_INDEX: dict[int, tuple[list[Tok], dict[str, list[int]]]] = {}


def _form_index(toks: list[Tok]) -> dict[str, list[int]]:
    """form -> token positions, built once per token list (patterns start only where they can)."""
    if isinstance(toks, Toks):
        if toks.index is None:
            index: dict[str, list[int]] = {}
            for t in toks:
                for f in t.forms:
                    index.setdefault(f, []).append(t.i)
            toks.index = index
        return toks.index
    cached = _FORM_INDEX.get(id(toks))
    if cached is not None and cached[0] is toks:
        return cached[1]
    index: dict[str, list[int]] = {}
    for t in toks:
        for f in t.forms:
            index.setdefault(f, []).append(t.i)
    if len(_FORM_INDEX) > 64:
        _FORM_INDEX.clear()
    _FORM_INDEX[id(toks)] = (toks, index)
    return index


_BY_FIRST: dict[int, tuple[object, dict[str, list[int]]]] = {}


def _candidates(items: list, toks: list[Tok], key=lambda x: x) -> list:
    """The items (patterns or objects with a pattern) whose first word occurs in ``toks``,
    in their original order; an inverted index on first words is built once per list."""
    cached = _BY_FIRST.get(id(items))
    if cached is None or cached[0] is not items:
        by_first: dict[str, list[int]] = {}
        for n, it in enumerate(items):
            for f in key(it).words[0]:
                by_first.setdefault(f, []).append(n)
        cached = (items, by_first)
        _BY_FIRST[id(items)] = cached
    memo = toks.cands if isinstance(toks, Toks) else None
    if memo is not None and id(items) in memo:
        return memo[id(items)]
    by_first = cached[1]
    index = _form_index(toks)
    hit = sorted({n for f in index.keys() & by_first.keys() for n in by_first[f]})
    res = [items[n] for n in hit]
    if memo is not None:
        memo[id(items)] = res
    return res


def _match(toks: list[Tok], pat: Pattern, bounds: frozenset[str], start: int = 0,
           end: int | None = None) -> list[tuple[int, int, tuple[int, ...]]]:
    """All matches of ``pat``: (first token, last token + 1, token indices)."""
    end = len(toks) if end is None else end
    out = []
    first = pat.words[0]
    n = len(pat.words)
    index = _form_index(toks)
    if len(first) == 1:  # one word: its positions, ascending and distinct as the index holds them
        starts = index.get(next(iter(first)), ())
    else:
        starts = sorted({i for f in first for i in index.get(f, ())})
    for i in starts:
        if i < start or i >= end or (pat.final[0] and not _final(toks, i)):
            continue
        idx = [i]
        j = i
        ok = True
        for w in range(1, n):
            found = None
            for k in range(j + 1, min(end, j + 2 + pat.gap)):
                if toks[k].text in bounds and toks[k].text not in pat.words[w]:
                    break
                if toks[k].forms & pat.words[w] and (not pat.final[w] or _final(toks, k)):
                    found = k
                    break
            if found is None:
                ok = False
                break
            idx.append(found)
            j = found
        if ok:
            out.append((i, idx[-1] + 1, tuple(idx)))
    return out


def _final(toks: list[Tok], k: int) -> bool:
    return k + 1 >= len(toks) or toks[k + 1].punct


# --------------------------------------------------------------------------- topic cues

@dataclass
class TopicIndex:
    surface: dict[str, list[tuple[re.Pattern, str]]]  # first word -> (cue regex, topic key)
    lemma_patterns: list[tuple[Pattern, str]]
    surface_any: dict[str, re.Pattern] = field(default_factory=dict)  # first word -> any of its cues


_TOPIC_INDEX: dict[int, TopicIndex] = {}


def _topic_index(catalogue: "Catalogue") -> TopicIndex:
    idx = _TOPIC_INDEX.get(id(catalogue))
    if idx is not None:
        return idx
    keys: dict[str, str] = {}
    for key, cues in sorted(getattr(catalogue, "topic_cues", {}).items()):
        for cue in cues:
            norm = " ".join(cue.translate(_APOS).lower().split())
            if norm:
                keys.setdefault(norm, key)
    cues_by_first: dict[str, list[str]] = {}
    surface: dict[str, list[tuple[re.Pattern, str]]] = {}
    for cue in sorted(keys, key=lambda c: (-len(c), c)):
        first = _WORD.search(cue)
        if not first:
            continue
        surface.setdefault(first.group(0), []).append((_cue_regex([cue]), keys[cue]))
        cues_by_first.setdefault(first.group(0), []).append(cue)
    lemmas = []
    for key, cues in sorted(getattr(catalogue, "topic_cue_lemmas", {}).items()):
        for cue in cues:
            words = cue.translate(_APOS).lower().split()
            if words:
                lemmas.append((_pattern(words, 3), key))
    idx = TopicIndex(surface, lemmas, {w: _cue_regex(cues) for w, cues in cues_by_first.items()})
    _TOPIC_INDEX.clear()
    _TOPIC_INDEX[id(catalogue)] = idx
    return idx


def _cue_regex(cues: list[str]) -> re.Pattern:
    r"""Where one of ``cues`` occurs: its words as written (spaces optional), case-insensitive,
    not inside a word.

    For one cue that is ``(?<![\w-])w1\s*w2(?![\w])``, written with its first character
    ahead of the look-behind, ``c(?<![\w-]c)...``, which asserts the same (the character
    before ``c`` is no word character or hyphen) but lets the regex engine skip to the places
    where ``c`` occurs instead of trying every position. Cues with the same first character
    (those that share a first word) share that prefix.
    """
    by_first: dict[str, list[str]] = {}
    for cue in cues:
        first = re.escape(cue[0])
        by_first.setdefault(first, []).append(r"\s*".join(re.escape(w) for w in cue.split(" "))[len(first):])
    return re.compile("|".join(
        rf"{first}(?<![\w-]{first})(?:" + "|".join(rf"(?:{rest})(?![\w])" for rest in rests) + ")"
        for first, rests in by_first.items()), re.I)


# --------------------------------------------------------------------------- per-sentence analysis

@dataclass(slots=True)
class Target:
    a: int  # token span [a, b)
    b: int
    key: str
    kind: str  # "topic" | entity kind
    borrowed: bool = False  # taken from another sentence: spans do not index this sentence


@dataclass(slots=True)
class HolderMention:
    a: int
    b: int
    key: str
    pronoun: bool = False
    co: bool = False  # "net als X"
    in_pp: bool = False
    any_position: bool = False
    term: bool = False  # a holder term of the lexicon (not a catalogue entity)
    clause_initial: bool = True
    after_prep: bool = False  # "voor het kabinet", "volgens de ministers"


@dataclass(slots=True)
class SentInfo:
    sent: "Sent"
    _toks: list[Tok] | None = None
    ctx: "Context | None" = None
    topics: list[Target] = field(default_factory=list)
    entities: list[Target] = field(default_factory=list)
    holders: list[HolderMention] | None = None  # computed when needed
    stance_holders: list[str] = field(default_factory=list)
    countries: list[Target] = field(default_factory=list)  # every country name, also inside topics
    ents: list = field(default_factory=list)  # the Context's entities in this sentence
    analysed: bool = False
    _all_targets: list[Target] | None = None
    pool_extra: "SentInfo | None" = None  # the sentence this one continues ("Daarbij ...")

    @property
    def toks(self) -> list[Tok]:
        """Tokens are built only for sentences somebody looks at."""
        if self._toks is None:
            self._toks = _tokens(self.ctx, self.sent)
        return self._toks

    def analyse(self, ctx: "Context", tindex: TopicIndex, lex: Lexicon) -> "SentInfo":
        """Topics and entities, computed only when a cue or a later sentence needs them."""
        if not self.analysed:
            self.analysed = True
            self.topics = _find_topics(self, tindex, lex)
            self.entities = _find_entities(ctx, self, lex, self.ents)
        return self

    def all_targets(self, ctx, tindex, lex) -> list[Target]:
        if self._all_targets is None:
            self.analyse(ctx, tindex, lex)
            self._all_targets = _targets_in(self, 0, len(self.toks), lex)
        return self._all_targets

    def pool(self, ctx, tindex, lex) -> list[Target]:
        """What a following anaphor ("deze criteria", "hier") can refer to."""
        own = list(self.all_targets(ctx, tindex, lex))
        if self.pool_extra is not None:
            keys = {t.key for t in own}
            own += [t for t in self.pool_extra.all_targets(ctx, tindex, lex) if t.key not in keys]
        return own


def _tok_at(toks: list[Tok], start: int, end: int) -> tuple[int, int] | None:
    """Token span [a, b) covering the characters [start, end)."""
    ends = [t.end for t in toks]
    a = bisect.bisect_right(ends, start)
    if a >= len(toks):
        return None
    b = a
    while b < len(toks) and toks[b].start < end:
        b += 1
    return (a, max(b, a + 1))


def _find_topics(info: SentInfo, tindex: TopicIndex, lex: Lexicon) -> list[Target]:
    toks = info.toks
    spans: list[Target] = []
    text = info.sent.text.translate(_APOS)
    # surface cues: only those whose first word occurs in the sentence are tried
    for word in set(_WORD.findall(text.lower())):
        if word not in tindex.surface or not tindex.surface_any[word].search(text):
            continue  # no cue starting with this word is in the sentence (one scan for all of them)
        for rx, key in tindex.surface[word]:
            for m in rx.finditer(text):
                ab = _tok_at(toks, info.sent.start + m.start(), info.sent.start + m.end())
                if ab:
                    spans.append(Target(ab[0], ab[1], key, "topic"))
    for pat, key in _candidates(tindex.lemma_patterns, toks, key=lambda x: x[0]):
        for a, b, _ in _match(toks, pat, lex.boundaries):
            spans.append(Target(a, b, key, "topic"))
    # longer spans win over overlapping shorter spans of another topic
    spans.sort(key=lambda s: (-(s.b - s.a), s.a))
    kept: list[Target] = []
    for s in spans:
        if any(k.a < s.b and s.a < k.b and k.key != s.key for k in kept):
            continue
        if any(k.a <= s.a and s.b <= k.b and k.key == s.key for k in kept):
            continue
        kept.append(s)
    kept.sort(key=lambda s: (s.a, s.b))
    return kept


def _catalogue_entity(ctx: "Context", key: str):
    return ctx.catalogue.get(key) or ctx.discovered.get(key)


def _holder_key_for_entity(ctx: "Context", key: str, kind: str) -> str | None:
    gov = ctx.cfg.get("government", "NL")
    ent = _catalogue_entity(ctx, key)
    if key == gov:
        return GOVERNMENT
    if kind == "role" and ent is not None and ent.country == gov and key.startswith("minister"):
        return GOVERNMENT
    if kind == "person" and ent is not None and ent.country == gov and (ent.role or "").startswith("minister"):
        return GOVERNMENT
    return key


def _in_pp(toks: list[Tok], a: int, lex: Lexicon) -> str | None:
    """The preposition governing the phrase that starts at token ``a``, if any."""
    j = a - 1
    steps = 0
    while j >= 0 and steps < 3 and (toks[j].low in lex.articles or (not toks[j].punct and not toks[j].upper
                                                                       and toks[j].low not in lex.prepositions
                                                                       and toks[j].low.endswith("e"))):
        j -= 1
        steps += 1
    if j >= 0 and toks[j].low in lex.prepositions:
        return toks[j].low
    return None


def _find_holders(ctx: "Context", info: SentInfo, lex: Lexicon, ents) -> list[HolderMention]:
    toks = info.toks
    found: list[HolderMention] = []
    taken: set[int] = set()
    lows = tuple(t.low for t in toks)
    has_nato = "navo" in lows or "nato" in lows
    for term in sorted(_candidates(lex.holder_terms, toks, key=lambda h: h.pattern),
                       key=lambda h: -len(h.pattern.words)):
        if term.needs_nato and not has_nato:
            continue
        for a, b, _ in _match(toks, term.pattern, lex.boundaries):
            if any(i in taken for i in range(a, b)):
                continue
            if term.not_followed_by_name and b < len(toks) and toks[b].upper and toks[b].low not in ("van",):
                continue
            found.append(HolderMention(a, b, term.holder, any_position=term.any_position, term=True))
            taken.update(range(a, b))
    for e in ents:
        if e.kind not in lex.holder_kinds or e.key in lex.never_holders:
            continue
        ab = _tok_at(toks, e.start, e.end)
        if ab is None or any(i in taken for i in range(*ab)):
            continue
        ent = _catalogue_entity(ctx, e.key)
        if ent is not None and e.text in ent.adjectives:
            continue  # "Russische": an adjective is never the holder
        key = _holder_key_for_entity(ctx, e.key, e.kind)
        if key:
            found.append(HolderMention(ab[0], ab[1], key))
            taken.update(range(*ab))
    # pronouns
    index = _form_index(toks)
    for pr in lex.pronouns:
        for i in index.get(pr[0], ()):
            if i + len(pr) <= len(toks) and lows[i:i + len(pr)] == pr and not any(
                    j in taken for j in range(i, i + len(pr))):
                found.append(HolderMention(i, i + len(pr), "", pronoun=True))
                taken.update(range(i, i + len(pr)))
    for h in found:
        prep = _in_pp(toks, h.a, lex)
        h.in_pp = prep is not None and prep not in lex.allowed_preps and not h.any_position
        h.after_prep = prep is not None and prep in lex.allowed_preps
        j = h.a - 1
        while j >= 0 and toks[j].low in lex.articles:
            j -= 1
        h.clause_initial = j < 0 or toks[j].punct or toks[j].low in lex.complementisers or \
            toks[j].low in lex.clause_openers or h.after_prep
        if j >= 1 and toks[j].text in (",", "en") and any(
                m.b == j for m in found if m is not h) or (j >= 1 and toks[j].text == "," and any(
                e.b == j for e in info.countries)):
            h.clause_initial = False  # a later member of a list ("Bosnië, Georgië en Moldavië")
        opened = max((x for x in range(h.a) if toks[x].text == "("), default=-1)
        closed = max((x for x in range(h.a) if toks[x].text == ")"), default=-1)
        if opened > closed and not h.term:
            h.in_pp = True  # a name in brackets is an example, not a subject
        for mk in lex.co_holder_markers:
            n = len(mk)
            for back in range(0, 5):
                s = h.a - n - back
                if s >= 0 and lows[s:s + n] == mk and not any(toks[x].punct for x in range(s + n, h.a)):
                    h.co = True
                    break
    found.sort(key=lambda h: h.a)
    # "net als (andere) bondgenoten" marks only the first holder after the marker
    for k, h in enumerate(found):
        if h.co and k > 0 and found[k - 1].co and not any(
                toks[x].punct for x in range(found[k - 1].b, h.a)):
            h.co = False
    return found


def _find_entities(ctx: "Context", info: SentInfo, lex: Lexicon, ents) -> list[Target]:
    out = []
    for e in ents:
        if e.kind not in lex.target_kinds:
            continue
        ab = _tok_at(info.toks, e.start, e.end)
        if ab is None:
            continue
        ent = _catalogue_entity(ctx, e.key)
        adjective = ent is not None and e.text in ent.adjectives
        if adjective and e.kind == "country":
            continue
        if e.kind == "country":
            info.countries.append(Target(ab[0], ab[1], e.key, e.kind))
        if e.kind != "country" and ab[0] >= 2 and info.toks[ab[0] - 1].text == "(" and any(
                t.b == ab[0] - 1 for t in info.topics):
            continue  # "Emerging and Disruptive Technologies (EDT)": the abbreviation of the topic
        over = [t for t in info.topics if t.a < ab[1] and ab[0] < t.b]
        if over:
            if e.kind == "country":
                continue  # inside a topic cue: the topic is the target ("steun aan Oekraïne")
            longest = max(t.b - t.a for t in over)
            if ab[1] - ab[0] <= longest:
                continue  # the topic phrase is the more specific reading
            if ab[1] - ab[0] > longest:
                # the name is longer than the topic phrase inside it ("Enhanced Forward Presence")
                info.topics = [t for t in info.topics if t not in over]
        out.append(Target(ab[0], ab[1], e.key, e.kind))
    return out


# --------------------------------------------------------------------------- the stance rules

@dataclass(slots=True)
class CueHit:
    cue: Cue
    a: int
    b: int
    idx: tuple[int, ...]


def _cue_hits(info: SentInfo, lex: Lexicon) -> list[CueHit]:
    toks = info.toks
    blocked: set[int] = set()
    for bp in _candidates(lex.blockers, toks):
        for a, b, _ in _match(toks, bp, lex.boundaries):
            blocked.update(range(a, b))
    hits: list[CueHit] = []
    for cue in _candidates(lex.cues, toks, key=lambda c: c.pattern):
        for a, b, idx in _match(toks, cue.pattern, lex.boundaries):
            if cue.at_start and a != _first_word(toks):
                continue
            if any(i in blocked for i in idx):
                continue
            hits.append(CueHit(cue, a, b, idx))
    # overlapping hits: the longer pattern (more words) wins, then the earlier
    hits.sort(key=lambda h: (-len(h.idx), h.a))
    kept: list[CueHit] = []
    used: set[int] = set()
    for h in hits:
        if any(i in used for i in h.idx):
            continue
        kept.append(h)
        used.update(h.idx)
    kept.sort(key=lambda h: h.idx[0])
    # "onderstreepte het belang van X": the evaluation is the object of the verb cue
    merged: list[CueHit] = []
    def adjacent(x: CueHit, y: CueHit) -> bool:
        lo, hi = sorted((x.idx[-1], y.idx[0])) if x.idx[0] < y.idx[0] else sorted((y.idx[-1], x.idx[0]))
        return 0 < hi - lo <= 4 and not any(toks[i].punct for i in range(lo + 1, hi))

    for h in kept:
        if h.cue.evaluative and any(adjacent(h, o) for o in kept if not o.cue.evaluative):
            continue
        merged.append(h)
    return merged


def _first_word(toks: list[Tok]) -> int:
    return next((t.i for t in toks if not t.punct), 0)


def _dep_holder(ctx: "Context", info: SentInfo, hit: CueHit, holders: list[HolderMention]) -> HolderMention | None:
    """With a dependency parse: the holder mention inside the subject of the cue's verb, or
    of the nearest verb above it that has one ("het kabinet is van mening dat ...")."""
    doc = ctx.doc
    tok = doc[info.toks[hit.idx[0]].doc_i]
    chain = [tok]
    h = tok
    for _ in range(6):
        if h.head is h:
            break
        h = h.head
        chain.append(h)
    for head in chain:  # the nearest subject up the tree that is a holder
        for child in head.children:
            if child.dep_.startswith("nsubj"):
                sub = {t.i for t in child.subtree}
                for m in holders:
                    if any(info.toks[x].doc_i in sub for x in range(m.a, m.b)):
                        return m
    return None


def _choose_holder(ctx, info: SentInfo, hit: CueHit, lex: Lexicon,
                   has_dep: bool = False) -> tuple[HolderMention | None, list[HolderMention]]:
    holders = [h for h in info.holders if not any(h.a <= i < h.b for i in hit.idx)]
    co = [h for h in holders if h.co and not h.pronoun]
    cands = [h for h in holders if not h.co and not h.in_pp]
    if hit.cue.evaluative:
        # "X is belangrijk": X is evaluated; only holder terms or "voor/volgens X" hold it
        cands = [h for h in cands if h.term or h.after_prep or h.pronoun]
    if has_dep:
        m = _dep_holder(ctx, info, hit, cands)
        if m is not None:
            return m, co
    before = [h for h in cands if h.b <= hit.idx[0] and (h.term or h.pronoun or h.clause_initial)]
    if before:
        return before[0], co
    # inversion: the verb comes first ("onderstreepte Nederland", "hecht het kabinet ...")
    after = [h for h in cands if h.a >= hit.idx[0] and h.a - hit.idx[0] <= 6 and
             not any(info.toks[x].text in lex.boundaries for x in range(hit.idx[0], h.a)) and (
                 # not the subject of a complement clause ("van belang dat bondgenoten ..."),
                 # unless it is the writer ("hoe belangrijk het is dat we ...")
                 info.toks[h.a].low in lex.government_pronouns or
                 not any(info.toks[x].low in lex.complementisers for x in range(hit.idx[-1] + 1, h.a)))]
    if after:
        return after[0], co
    return None, co


_BEFORE_STOPS = frozenset({";", ":", "hoe", "dat", "die", "waarin", "waarbij", "omdat", "aangezien"})


def _scopes(info: SentInfo, hits: list[CueHit], k: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """(before, after) token ranges of the k-th cue's targets."""
    hit = hits[k]
    after_end = hits[k + 1].idx[0] if k + 1 < len(hits) else len(info.toks)
    after = (hit.idx[0] + 1, after_end)
    if hit.cue.scope != "both":
        return (hit.idx[0], hit.idx[0]), after
    lo = hits[k - 1].b if k > 0 else 0
    for j in range(hit.idx[0] - 1, lo - 1, -1):
        if info.toks[j].low in _BEFORE_STOPS:
            lo = j + 1
            break
    return (lo, hit.idx[0]), after


def _country_frames(info: SentInfo, lo: int, hi: int, ents: list[Target], lex: Lexicon):
    toks = info.toks
    framed: list[Target] = []
    spans: list[tuple[int, int]] = []
    for fp in _candidates(lex.country_frames, toks):  # the frames whose first word occurs
        for a, b, _ in _match(toks, fp, lex.boundaries, lo, hi):
            if not (b < len(toks) and toks[b].low in lex.frame_links):
                continue
            j = b + 1
            group = []
            while j < hi:
                c = next((e for e in info.countries if e.a == j), None)
                if c is not None:
                    group.append(c)
                    j = c.b
                    continue
                if toks[j].low in ("en", ",", "of") or toks[j].low in lex.articles:
                    j += 1
                    continue
                break
            if group:
                framed.extend(group)
                spans.append((a, group[-1].b))
    return framed, spans


def _targets_in(info: SentInfo, lo: int, hi: int, lex: Lexicon, hit: CueHit | None = None,
                exclude: Iterable[tuple[int, int]] = ()) -> list[Target]:
    toks = info.toks
    excl = list(exclude)
    cue_toks = [(i, i + 1) for i in hit.idx] if hit else []
    if hi <= lo:
        return []

    def free(t: Target, spans) -> bool:
        return not any(a < t.b and t.a < b for a, b in spans)

    # a topic phrase may contain the cue ("Oekraïne blijven steunen", "EU de belangrijkste partner")
    topics = [t for t in info.topics if free(t, excl) and (
        (t.a < hi and t.b > lo) or (hit is not None and any(t.a <= i < t.b for i in hit.idx)))]
    ents = [t for t in info.entities if lo <= t.a < hi and free(t, excl + cue_toks)]
    framed, frame_spans = _country_frames(info, lo, hi, ents, lex)
    if framed:
        topics = [t for t in topics if not any(t.a < b and a < t.b for a, b in frame_spans)]
    initiatives = [e for e in ents if e.kind != "country"
                   and _in_pp(toks, e.a, lex) not in lex.vehicle_preps]  # "in het Strategisch Concept"
    out = topics + framed + initiatives
    if hit is not None and hit.cue.id in lex.country_object_cues:
        # the country right next to a support verb is its object ("Oekraïne blijven steunen")
        first, last = hit.idx[0], hit.idx[-1]
        for e in ents:
            before = 0 <= first - e.b <= 3 and not any(toks[x].low in lex.articles or toks[x].punct
                                                        for x in range(e.b, first))
            if e.kind == "country" and e not in framed and (before or 0 <= e.a - last - 1 <= 2):
                topic = lex.country_topics.get(e.key)
                out.append(Target(e.a, e.b, topic, "topic") if topic else e)
    if not out and hit is not None and hit.cue.polarity == "concern":
        out = [e for e in ents if e.kind == "country"]
    return out


def _negated(info: SentInfo, hit: CueHit, target: Target, lex: Lexicon) -> bool:
    toks = info.toks
    first = hit.idx[0]
    for n, t in enumerate(toks):
        if t.low not in lex.negators:
            continue
        if n + 1 < len(toks) and toks[n + 1].low in lex.negation_cancellers:
            continue
        if first - lex.negation_window <= n < first:
            # just before the cue ("niet als wenselijk", "geen voorstander")
            if not any(toks[x].text in lex.boundaries for x in range(n, first)):
                return True
        elif first < n:
            # between the cue and the target, or inside the target ("Rusland niet meer als
            # partner", "hecht eraan vast te houden aan het niet instellen van ...")
            lo, hi = (first, target.b) if target.a > first else (target.a, first)
            if lo < n < hi and not any(toks[x].text in (";", ":") for x in range(lo, hi)):
                return True
            # clause-final "niet" after the object ("steunt een Europees leger niet.")
            if n >= target.b and target.a > first and _final(toks, n) and not any(
                    toks[x].text in lex.boundaries for x in range(first, n)):
                return True
    return False


def _outside(info: SentInfo, hit: CueHit, target: Target, lex: Lexicon) -> bool:
    """The target follows "tegen" (the struggle against X is not a position on X)."""
    toks = info.toks
    j = target.a - 1
    while j > hit.idx[-1] and target.a - j <= 3 and (toks[j].low in lex.articles or (
            not toks[j].punct and toks[j].low.endswith("e") and toks[j].low not in lex.prepositions)):
        j -= 1
    return j > hit.idx[-1] and toks[j].low in lex.outside_markers


def _in_purpose(info: SentInfo, hit: CueHit, target: Target, lex: Lexicon) -> bool:
    return any(info.toks[j].low in lex.purpose_markers for j in range(hit.idx[-1] + 1, target.a))


def _is_past(tok: Tok, lex: Lexicon, prev: Tok | None = None) -> bool:
    low = tok.low
    if low in lex.past:
        return True
    lemmas = [f for f in tok.forms if f != low and f.endswith("en")]
    if not lemmas or low.startswith("ge") or low.endswith(("ende", "enden")):
        return False
    if prev is not None and (prev.low in lex.articles or (prev.low.endswith("e") and not prev.upper)):
        return False  # adjectival participle: "de verslechterde situatie"
    return any(low.endswith(s) and low[:3] == lem[:3] and len(low) >= len(lem) - 1
               for lem in lemmas for s in ("de", "den", "te", "ten"))


def _modality(info: SentInfo, hit: CueHit, lex: Lexicon, scope_end: int) -> str:
    """conditional ("indien ..." in the cue's scope, or a sentence opening with "mocht/indien"),
    reported (past tense at the cue or in its clause), intended ("zal", "voornemens" before
    the cue or in its own clause), else stated."""
    toks = info.toks
    first, last = hit.idx[0], hit.idx[-1]
    if any(t.low in lex.conditional for t in toks[first:scope_end]) or (
            toks[_first_word(toks)].low in lex.conditional):
        return "conditional"

    def past(i: int) -> bool:
        return _is_past(toks[i], lex, toks[i - 1] if i else None)

    if past(first) or any(past(i) for i in range(max(0, first - 3), min(len(toks), last + 4))
                          if not toks[i].punct):
        return "reported"
    own_clause_end = next((i for i in range(last + 1, scope_end) if toks[i].low in lex.complementisers),
                          scope_end)
    cue_tok = toks[first]
    finite = cue_tok.low not in cue_tok.forms - {cue_tok.low} and not cue_tok.low.endswith("en") and any(
        f.endswith("en") for f in cue_tok.forms - {cue_tok.low})  # "waardeert", "steunt"
    if any(t.low in lex.intended for t in toks[:first]) or (not finite and any(
            t.low in lex.intended for t in toks[last + 1:own_clause_end])):
        return "intended"
    if any(past(i) for i in range(0, first)):
        return "reported"
    return "stated"


def _meeting_for(letter: Letter, ev: Evidence) -> str | None:
    """The primary meeting, unless this very sentence dates another meeting."""
    primary = letter.primary_meeting
    for m in letter.meetings:
        if m is primary:
            continue
        if m.evidence.start == ev.start and m.evidence.end == ev.end:
            return m.key
    return primary.key if primary else None


# --------------------------------------------------------------------------- entry point

def _starts_anaphoric(info: SentInfo, lex: Lexicon) -> bool:
    toks = info.toks
    f = _first_word(toks)
    return f < len(toks) and toks[f].low in lex.anaphora


def extract_stances(ctx: "Context", letter: Letter) -> list[Stance]:
    """All stances of one letter, one per (sentence, holder, target, polarity)."""
    lex = load_lexicon()
    tindex = _topic_index(ctx.catalogue)
    gov = ctx.cfg.get("government", "NL")
    paragraphs = list(getattr(ctx.src, "paragraphs", []))
    ents_sorted = sorted(ctx.ents, key=lambda e: e.start)
    p_starts = [p.start for p in paragraphs]

    def para_of(pos: int) -> int:
        return bisect.bisect_right(p_starts, pos) - 1

    out: dict[tuple, Stance] = {}
    prev: SentInfo | None = None
    prev_para = -2
    para_infos: list[SentInfo] = []  # earlier sentences of this paragraph

    def sent_holder(x: SentInfo) -> str | None:
        """The holder a sentence talks about: its stance holder, else its first named holder."""
        if x.stance_holders:
            return x.stance_holders[-1]
        if x.holders is None:
            x.holders = _find_holders(ctx, x, lex, x.ents)
        named = [h for h in x.holders if not h.pronoun and not h.in_pp and not h.co and h.key]
        return (gov if named[0].key == GOVERNMENT else named[0].key) if named else None

    def para_holder() -> str | None:
        """The nearest holder before this sentence in the paragraph (for "zij", "ze")."""
        for x in reversed(para_infos):
            h = sent_holder(x)
            if h:
                return h
        return None
    heading: SentInfo | None = None
    running = _anchor_counts(ctx, lex.anchors)
    has_dep = ctx.doc.has_annotation("DEP")
    ei = 0
    for sent in ctx.sents:
        if not sent.body:
            continue
        pi = para_of(sent.start)
        is_heading = 0 <= pi < len(paragraphs) and paragraphs[pi].heading
        i0, i1 = sent.t0, sent.t1
        if i0 >= i1:
            continue
        info = SentInfo(sent, None, ctx)
        # only sentences with an anchor word of some cue are tokenised and matched
        has_anchor = running[i1] > running[i0]
        while ei < len(ents_sorted) and ents_sorted[ei].start < sent.start:
            ei += 1
        ents = []
        j = ei
        while j < len(ents_sorted) and ents_sorted[j].start < sent.end:
            if not ents_sorted[j].inferred:
                ents.append(ents_sorted[j])
            j += 1
        info.ents = ents
        if is_heading:
            heading = info
            prev, prev_para, para_infos = None, pi, []
            continue
        if pi != prev_para:
            prev, para_infos = None, []
        hits = _cue_hits(info, lex) if has_anchor else []
        toks = info.toks if hits else None
        if hits:
            info.analyse(ctx, tindex, lex)
            info.holders = _find_holders(ctx, info, lex, ents)
        for k, hit in enumerate(hits):
            holder_m, co = _choose_holder(ctx, info, hit, lex, has_dep)
            holder = None
            if holder_m is not None:
                holder = (para_holder() if holder_m.pronoun else holder_m.key)
            if holder is None and hit.cue.evaluative and hit.cue.default_holder == "government" \
                    and letter.kind == "annotated-agenda":
                holder = GOVERNMENT
            if holder is None and (hit.cue.inherit_holder or _starts_anaphoric(info, lex)):
                holder = (sent_holder(prev) if prev is not None else None) or para_holder()
            if holder is None and hit.cue.default_holder:
                if hit.cue.default_holder == "government" and letter.kind == "annotated-agenda":
                    holder = GOVERNMENT
                elif hit.cue.default_holder == "allies" and letter.kind == "report":
                    holder = ALLIES_DEFAULT
            if holder is None:
                continue
            (bs, be), (as_, ae) = _scopes(info, hits, k)
            excl = [(m.a, m.b) for m in [holder_m, *co] if m is not None and not m.pronoun]
            targets = _targets_in(info, bs, be, lex, hit, excl) + _targets_in(info, as_, ae, lex, hit, excl)
            if not targets and hit.cue.scope != "both" and _final(toks, hit.idx[-1]):
                # verb-final clause ("zal ... de wapenleveranties aan Oekraïne voortzetten")
                lo = max([m.b for m in [holder_m] if m is not None and not m.pronoun] +
                         [hits[k - 1].b if k else 0] +
                         [x + 1 for x in range(hit.idx[0]) if toks[x].text in (";", ":")])
                targets = _targets_in(info, lo, hit.idx[0], lex, hit, excl)
            # anaphora: "staat hier welwillend tegenover", "is van mening dat dit ..."
            near = [t.low for t in toks[max(0, hit.idx[0] - 1):hit.idx[0]]]
            nxt = [t.low for t in toks[hit.idx[-1] + 1:hit.idx[-1] + 3]]
            if nxt and nxt[0] in lex.complementisers:
                nxt = nxt[1:]
            direct = any(w in lex.anaphora for w in near) or bool(nxt and nxt[0] in lex.anaphora)
            # a demonstrative in the object ("hecht belang aan deze criteria") or a pronominal
            # adverb right after the cue ("levert hieraan een bijdrage")
            anaphoric = direct or any(
                t.low in lex.anaphora and (not t.low.startswith(("hier", "daar")) or t.i == hit.idx[-1] + 1)
                for t in toks[as_:min(ae, hit.idx[-1] + 5)])
            prev_pool = prev.pool(ctx, tindex, lex) if prev is not None and (direct or anaphoric) else []
            if prev_pool and (direct or (not targets and anaphoric)):
                targets = targets + [Target(t.a, t.b, t.key, t.kind, True) for t in prev_pool]
            elif not targets and prev is not None and lex.borrow_initiatives:
                targets = [Target(t.a, t.b, t.key, t.kind, True) for t in prev.all_targets(ctx, tindex, lex)
                           if t.kind == "initiative"]
            if not targets and heading is not None and prev is None and not hit.cue.evaluative:
                targets = [Target(t.a, t.b, t.key, t.kind, True) for t in heading.all_targets(ctx, tindex, lex)]
            holders = [holder] + [h.key for h in co if h.key and h.key != holder]
            holders = [gov if h == GOVERNMENT else h for h in holders]
            ev = ctx.sent_evidence(sent)
            modality = _modality(info, hit, lex, ae)
            meeting = _meeting_for(letter, ev)
            seen_t: set[str] = set()
            for tgt in targets:
                if tgt.key in seen_t:
                    continue
                pol = hit.cue.polarity
                negated = False
                if tgt.borrowed:
                    negated = hit.cue.negatable and any(
                        toks[n].low in lex.negators for n in range(max(0, hit.idx[0] - lex.negation_window), hit.b))
                elif hit.cue.negatable:
                    negated = _negated(info, hit, tgt, lex)
                elif pol == "oppose":
                    negated = any(t.low in lex.negators for t in toks[max(0, hit.a - 3):hit.b])
                if negated and hit.cue.negatable:
                    if pol != "support":
                        continue
                    pol = "oppose"
                if not tgt.borrowed and tgt.a > hit.idx[-1]:
                    if pol == "support" and _outside(info, hit, tgt, lex):
                        continue
                    if hit.cue.polarity == "oppose" and _in_purpose(info, hit, tgt, lex):
                        pol, negated = "support", False
                if pol == "support" and tgt.key in lex.negative_topics:
                    pol = "concern"
                seen_t.add(tgt.key)
                for h in holders:
                    if h == tgt.key:
                        continue
                    key = (ev.start, h, tgt.key, pol)
                    if key not in out:
                        out[key] = Stance(holder=h, target=tgt.key, polarity=pol, modality=modality,
                                          evidence=ev, negated=negated, meeting=meeting, cue=hit.cue.id)
            info.stance_holders.append(holders[0])
        para_infos.append(info)
        first = _WORD.search(sent.text)
        if first and first.group(0).lower() in lex.continuation and prev is not None:
            info.pool_extra = prev
        prev, prev_para = info, pi
    return sorted(out.values(), key=lambda s: (s.evidence.start, s.holder, s.target, s.polarity))
