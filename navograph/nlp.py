"""Build the spaCy pipeline: a statistical model when one is available, else blank Dutch.

The pipeline always ends with the same rule components, so extraction behaves the same
with or without a model:

* ``navograph_paragraphs``: a line break in the normalised text ends a sentence
  (headings and signature lines are paragraphs of their own);
* ``sentencizer`` and a lookup ``lemmatizer`` when the model has no parser / lemmatizer;
* ``navograph_ruler``: an entity ruler with patterns generated from the catalogue (labels,
  aliases, inflected adjectives, acronyms), each pattern's ``id`` being the entity key and its
  label the entity kind. Model entities that no pattern covers stay as candidates
  (``ent_id_`` empty).

The rule components keep spaCy's rules (:class:`ArraySentencizer` is spaCy's sentencizer,
:class:`LookupLemmatizer` its Dutch lookup lemmatizer, :class:`CatalogueRuler` its entity
ruler) but read a Doc through arrays, each distinct token text looked at once per process
(:class:`TextMap`), instead of building a spaCy ``Token`` object per token.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import spacy
from spacy.attrs import IS_PUNCT, LEMMA, ORTH, SENT_START
from spacy.language import Language
from spacy.pipeline import EntityRuler, Sentencizer
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

if TYPE_CHECKING:
    from .catalogue import Catalogue

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nl_core_news_sm"
# Split compounds on hyphens between letters or digits ("EPF-steun" -> EPF - steun) so that
# catalogue names inside compounds are found; "12-13" splits too, which the date rules handle.
HYPHEN_INFIX = r"(?<=[\w%])[-‐‑](?=[\w])"
# Possessive/plural 's after an acronym: "EDT's" -> EDT 's
APOS_S_SUFFIX = r"(?<=[A-Z0-9])['’]s$"


class TextMap:
    """A function of a token's text, computed once per distinct text in a process.

    ``map(doc, orths)`` gives its value for each of the ``ORTH`` ids (from ``Doc.to_array``)
    as a numpy array: the components below read a Doc's texts this way instead of building a
    spaCy ``Token`` per token.
    """

    def __init__(self, fn, dtype, limit: int = 200_000):
        self.fn, self.dtype, self.limit = fn, dtype, limit
        self._cache: dict[int, object] = {}  # ORTH id -> value

    def map(self, doc: Doc, orths):
        import numpy as np

        cache, strings, fn = self._cache, doc.vocab.strings, self.fn
        if len(cache) > self.limit:
            cache.clear()
        texts, where = np.unique(orths, return_inverse=True)
        values = [cache[o] if o in cache else cache.setdefault(o, fn(strings[o])) for o in texts.tolist()]
        return np.array(values, dtype=self.dtype)[where]


_HAS_NEWLINE = TextMap(lambda text: "\n" in text, bool)


@Language.component("navograph_paragraphs")
def paragraph_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every line break: paragraphs never share a sentence.

    (A token's trailing whitespace is one space at most, never a line break: only its text
    can hold one.)
    """
    import numpy as np

    orths = doc.to_array(ORTH)[:-1]
    if not len(orths):
        return doc
    after = np.flatnonzero(_HAS_NEWLINE.map(doc, orths)) + 1
    if not len(after):
        return doc
    if doc.has_annotation("DEP"):  # spaCy refuses to set sentence starts on a parsed Doc
        for i in after.tolist():
            doc[i].is_sent_start = True  # raises spaCy's error
        return doc
    # one array write: each Token.is_sent_start = True first scans the whole Doc for a parse
    starts = doc.to_array([SENT_START])
    starts[after] = 1
    doc.from_array([SENT_START], starts)
    return doc


class ArraySentencizer(Sentencizer):
    """spaCy's rule-based sentencizer (the same rule, punctuation and annotation), computed on
    the Doc's arrays instead of a ``Token`` object per token.

    spaCy's rule: after a sentence-final character (``punct_chars``: ".", "!", "?", ...) the
    next token that is neither punctuation nor such a character starts a sentence; so does the
    first token. That is: a word token starts a sentence when a final character stands between
    it and the word token before it (or, for the first word, anywhere before it).
    """

    def predict(self, docs):
        import numpy as np

        chars, final_text = getattr(self, "_final_text", (None, None))
        if chars != self.punct_chars:  # first call, or punct_chars loaded since
            chars = frozenset(self.punct_chars)
            final_text = TextMap(chars.__contains__, bool)
            self._final_text = (chars, final_text)
        guesses = []
        for doc in docs:
            if not len(doc):
                guesses.append([])
                continue
            arr = doc.to_array([ORTH, IS_PUNCT])
            final = final_text.map(doc, arr[:, 0])
            words = np.flatnonzero(~final & (arr[:, 1] == 0))
            finals_upto = np.cumsum(final)
            before = np.concatenate(([0], finals_upto[words[:-1]]))  # finals up to the previous word
            starts = np.zeros(len(doc), dtype=bool)
            starts[0] = True
            starts[words[finals_upto[words] > before]] = True
            guesses.append(starts.tolist())
        return guesses


@Language.factory("navograph_sentencizer")
def make_sentencizer(nlp: Language, name: str) -> ArraySentencizer:
    return ArraySentencizer(name)


class LookupLemmatizer:
    """Lemmas as spaCy's Dutch lemmatizer gives them in ``lookup`` mode, for tokens without one.

    ``DutchLemmatizer.lookup_lemmatize``: the lower-case token text looked up in the
    ``lemma_lookup`` table of spacy-lookups-data, else the lower-case text itself. The same
    table and rule, cheaper: the table is a plain dict (spaCy's ``Table`` hashes its ~200,000
    keys when it loads), each distinct token text is looked up once per process, and a Doc's
    lemmas are written with one ``Doc.from_array``.
    """

    def __init__(self, vocab, table: dict[str, str]):
        import numpy as np

        self.vocab = vocab
        self.table = table
        self._lemma = TextMap(self._lookup, np.uint64)  # token text -> lemma id

    def _lookup(self, text: str) -> int:
        low = text.lower()
        return self.vocab.strings.add(self.table.get(low, low))

    @classmethod
    def dutch(cls, vocab) -> "LookupLemmatizer":
        from spacy.util import load_language_data, registry

        return cls(vocab, load_language_data(registry.lookups.get("nl")["lemma_lookup"]))

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        arr = doc.to_array([ORTH, LEMMA])
        unset = arr[:, 1] == 0  # spaCy's lemmatizer never overwrites a lemma
        if unset.any():
            arr[unset, 1] = self._lemma.map(doc, arr[unset, 0])
            doc.from_array([LEMMA], arr[:, 1:])
        return doc


@Language.factory("navograph_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    return LookupLemmatizer.dutch(nlp.vocab)


class CatalogueRuler(EntityRuler):
    """spaCy's EntityRuler. With ``overwrite_ents`` (as navograph runs it) a match replaces
    the entities it overlaps without first reading the entity type of each matched token,
    which spaCy does for every match (a ``Token`` per token) and then ignores."""

    def set_annotations(self, doc: Doc, matches) -> None:
        if not self.overwrite:
            return super().set_annotations(doc, matches)
        entities = list(doc.ents)
        new_entities = []
        seen_tokens: set[int] = set()
        for match_id, start, end in matches:  # longest first, as EntityRuler.match sorts them
            if start not in seen_tokens and end - 1 not in seen_tokens:
                if match_id in self._ent_ids:
                    label, ent_id = self._ent_ids[match_id]
                    new_entities.append(Span(doc, start, end, label=label, span_id=ent_id))
                else:
                    new_entities.append(Span(doc, start, end, label=match_id))
                entities = [e for e in entities if not (e.start < end and e.end > start)]
                seen_tokens.update(range(start, end))
        doc.ents = entities + new_entities


@Language.factory("navograph_entity_ruler", default_config={"phrase_matcher_attr": None, "overwrite_ents": True})
def make_entity_ruler(nlp: Language, name: str, phrase_matcher_attr, overwrite_ents: bool) -> CatalogueRuler:
    return CatalogueRuler(nlp, name, phrase_matcher_attr=phrase_matcher_attr, overwrite_ents=overwrite_ents)


def _infix_finditer(defaults):
    return compile_infix_regex(list(defaults.infixes) + [HYPHEN_INFIX]).finditer


def _suffix_search(defaults):
    return compile_suffix_regex(list(defaults.suffixes) + [APOS_S_SUFFIX]).search


@spacy.registry.tokenizers("navograph.tokenizer.v1")
def create_tokenizer():
    """spaCy's tokenizer for the language's defaults (as ``spacy.Tokenizer.v1``) with
    navograph's infix and suffix, built once."""

    def tokenizer(nlp: Language) -> Tokenizer:
        d = nlp.Defaults
        return Tokenizer(nlp.vocab, rules=d.tokenizer_exceptions,
                         prefix_search=compile_prefix_regex(d.prefixes).search if d.prefixes else None,
                         suffix_search=_suffix_search(d), infix_finditer=_infix_finditer(d),
                         token_match=d.token_match, url_match=d.url_match)

    return tokenizer


def _customise_tokenizer(nlp: Language) -> None:
    """A loaded model's tokenizer with navograph's infix and suffix.

    Every rule set on a spaCy ``Tokenizer`` reloads its ~14,000 special cases, so a plain
    ``Tokenizer`` is rebuilt once with the new rules instead."""
    tok = nlp.tokenizer
    if type(tok) is not Tokenizer:  # some other tokenizer: set the two rules on it
        tok.infix_finditer = _infix_finditer(nlp.Defaults)
        tok.suffix_search = _suffix_search(nlp.Defaults)
        return
    nlp.tokenizer = Tokenizer(nlp.vocab, rules=tok.rules, prefix_search=tok.prefix_search,
                              suffix_search=_suffix_search(nlp.Defaults),
                              infix_finditer=_infix_finditer(nlp.Defaults), token_match=tok.token_match,
                              url_match=tok.url_match, faster_heuristics=tok.faster_heuristics,
                              max_cache_size=tok.max_cache_size)


def _variants(form: str, form_type: str) -> set[str]:
    """Surface variants of one catalogue form: as written, capitalised, upper case."""
    out = {form}
    if form_type not in ("acronym",) and form[:1].islower():
        out.add(form[:1].upper() + form[1:])
    if len(form) > 3:
        out.add(form.upper())
    return out


def entity_patterns(catalogue: "Catalogue", nlp: Language) -> list[dict]:
    """spaCy EntityRuler token patterns generated from the catalogue's surface forms."""
    seen: set[tuple[str, str, str]] = set()
    patterns: list[dict] = []
    for surface, key, kind, form_type in catalogue.surface_forms():
        surface = surface.strip()
        if not surface:
            continue
        for variant in sorted(_variants(surface, form_type)):
            sig = (variant, key, kind)
            if sig in seen:
                continue
            seen.add(sig)
            toks = [t.text for t in nlp.make_doc(variant) if not t.is_space]
            if not toks:
                continue
            patterns.append({"label": kind.upper(), "pattern": [{"ORTH": t} for t in toks], "id": key})
    patterns.sort(key=lambda p: (p["id"], p["label"], [t["ORTH"] for t in p["pattern"]]))
    return patterns


def phrase_patterns(patterns: list[dict], nlp: Language) -> list[dict]:
    """The ORTH token patterns of :func:`entity_patterns` as phrase patterns where possible.

    A phrase pattern (spaCy's PhraseMatcher: one hash lookup per token) matches exactly the
    token sequences of the ORTH token pattern (spaCy's Matcher: every pattern tried at every
    token), and the EntityRuler merges both matchers' results as one set, so the entities are
    the same; with the catalogue's ~3,000 forms the ruler gets about 40x faster. A pattern
    whose tokens, joined by spaces, do not tokenise back to the same tokens stays a token pattern.
    """
    out = []
    for p in patterns:
        toks = [t["ORTH"] for t in p["pattern"]]
        phrase = " ".join(toks)
        if [t.text for t in nlp.make_doc(phrase)] == toks:
            out.append({"label": p["label"], "pattern": phrase, "id": p["id"]})
        else:
            out.append(p)
    return out


def _load_model(model: str | None) -> Language | None:
    name = model or DEFAULT_MODEL
    try:
        return spacy.load(name)
    except (OSError, IOError) as exc:
        if model:  # asked for explicitly: an error, not a silent fallback
            raise RuntimeError(f"cannot load spaCy pipeline {model!r}: {exc}") from exc
        log.info("no %s installed; using a blank Dutch pipeline", DEFAULT_MODEL)
        return None


def build_pipeline(model: str | Path | None = None, catalogue: "Catalogue | None" = None,
                   *, use_default_model: bool = True) -> Language:
    """The pipeline for ``model`` (name or path), ``nl_core_news_sm`` when installed, else blank ``nl``.

    ``use_default_model=False`` skips looking for ``nl_core_news_sm`` (blank pipeline unless
    ``model`` is given).
    """
    if catalogue is None:
        from .catalogue import load_catalogue

        catalogue = load_catalogue()
    nlp = _load_model(str(model) if model else None) if (model or use_default_model) else None
    if nlp is None:
        nlp = spacy.blank("nl", config={"nlp": {"tokenizer": {"@tokenizers": "navograph.tokenizer.v1"}}})
    else:
        _customise_tokenizer(nlp)
    names = set(nlp.pipe_names)
    # The ruler goes in first: it runs the pipes before it over its ~3,000 phrase patterns
    # (only their tokens matter), and the rule components below are put in front of it after.
    ruler_cfg = {"overwrite_ents": True, "phrase_matcher_attr": None}
    ruler = nlp.add_pipe("navograph_entity_ruler", name="navograph_ruler", config=ruler_cfg)
    ruler.add_patterns(phrase_patterns(entity_patterns(catalogue, nlp), nlp))
    has_parser = "parser" in names or "senter" in names
    if has_parser:
        # a parser respects sentence starts set before it runs
        nlp.add_pipe("navograph_paragraphs", before="parser" if "parser" in names else "senter")
    else:
        # the sentencizer overwrites every sentence start, so paragraphs go after it
        nlp.add_pipe("navograph_sentencizer", name="sentencizer", before="navograph_ruler")
        nlp.add_pipe("navograph_paragraphs", after="sentencizer")
    if "lemmatizer" not in names and nlp.lang == "nl":
        nlp.add_pipe("navograph_lemmatizer", name="lemmatizer", before="navograph_ruler")
    elif "lemmatizer" not in names:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"}, before="navograph_ruler")
        nlp.get_pipe("lemmatizer").initialize()
    nlp.meta.setdefault("navograph", {})["model"] = str(model or (DEFAULT_MODEL if "ner" in names else "blank:nl"))
    return nlp


def model_name(nlp: Language) -> str:
    return nlp.meta.get("navograph", {}).get("model", nlp.meta.get("name", "?"))


def has_statistical_ner(nlp: Language) -> bool:
    return "ner" in nlp.pipe_names


_SURROGATE = re.compile("[\ud800-\udfff]")


def spacy_text(text: str) -> str:
    """``text`` as spaCy can take it: lone surrogates (which a ``str`` may hold, e.g. from a
    PDF text layer or a caller) become U+FFFD. spaCy's tokenizer encodes every token as
    UTF-8 and raises on them. One character for one, so every offset stays the same."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WS.sub(" ", text).strip()


def pipe(nlp: Language, texts: Iterable[str], *, batch_size: int = 8, n_process: int = 1):
    return nlp.pipe(texts, batch_size=batch_size, n_process=n_process)
