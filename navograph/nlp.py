"""Build the spaCy pipeline: a statistical model when one is available, else blank Dutch.

The pipeline always ends with the same rule components, so extraction behaves the same
with or without a model:

* ``navograph_paragraphs``: a line break in the normalised text ends a sentence
  (headings and signature lines are paragraphs of their own);
* ``sentencizer`` and a lookup ``lemmatizer`` when the model has no parser / lemmatizer
  (for Dutch :class:`LookupLemmatizer`: spaCy's Dutch lookup lemmas, computed once per word);
* ``entity_ruler``: patterns generated from the catalogue (labels, aliases, inflected
  adjectives, acronyms), each pattern's ``id`` being the entity key and its label the
  entity kind. Model entities that no pattern covers stay as candidates (``ent_id_`` empty).
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import spacy
from spacy.attrs import LEMMA, ORTH, SENT_START
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
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


_NEWLINE_ORTHS: dict[int, bool] = {}  # token text id -> the text holds a line break


@Language.component("navograph_paragraphs")
def paragraph_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every line break: paragraphs never share a sentence.

    Whether a token's text holds a line break is looked up once per distinct text (a token's
    trailing whitespace is one space at most, never a line break).
    """
    import numpy as np

    orths = doc.to_array(ORTH)[:-1]
    if not len(orths):
        return doc
    cache, strings = _NEWLINE_ORTHS, doc.vocab.strings
    if len(cache) > 200_000:
        cache.clear()
    texts = np.unique(orths)
    breaking = [o for o in texts.tolist()
                if (cache[o] if o in cache else cache.setdefault(o, "\n" in strings[o]))]
    if not breaking:
        return doc
    after = np.flatnonzero(np.isin(orths, np.array(breaking, dtype=orths.dtype))) + 1
    if doc.has_annotation("DEP"):  # spaCy refuses to set sentence starts on a parsed Doc
        for i in after.tolist():
            doc[i].is_sent_start = True  # raises spaCy's error
        return doc
    # one array write: each Token.is_sent_start = True first scans the whole Doc for a parse
    starts = doc.to_array([SENT_START])
    starts[after] = 1
    doc.from_array([SENT_START], starts)
    return doc


class LookupLemmatizer:
    """Lemmas as spaCy's Dutch lemmatizer gives them in ``lookup`` mode, for tokens without one.

    ``DutchLemmatizer.lookup_lemmatize``: the lower-case token text looked up in the
    ``lemma_lookup`` table of spacy-lookups-data, else the lower-case text itself. The same
    table and rule, cheaper: the table is a plain dict (spaCy's ``Table`` hashes its ~200,000
    keys when it loads), each distinct token text is looked up once per process, and a Doc's
    lemmas are written with one ``Doc.from_array``.
    """

    def __init__(self, vocab, table: dict[str, str]):
        self.vocab = vocab
        self.table = table
        self._lemma_of: dict[int, int] = {}  # token text id -> lemma id

    @classmethod
    def dutch(cls, vocab) -> "LookupLemmatizer":
        from spacy.util import load_language_data, registry

        return cls(vocab, load_language_data(registry.lookups.get("nl")["lemma_lookup"]))

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        arr = doc.to_array([ORTH, LEMMA])
        lemma_of, strings, table = self._lemma_of, self.vocab.strings, self.table
        if len(lemma_of) > 200_000:
            lemma_of.clear()
        lemmas = []
        for orth, lemma in arr.tolist():
            if lemma == 0:  # not set yet (spaCy's lemmatizer never overwrites)
                lemma = lemma_of.get(orth)
                if lemma is None:
                    low = strings[orth].lower()
                    lemma = lemma_of[orth] = strings.add(table.get(low, low))
            lemmas.append(lemma)
        arr[:, 1] = lemmas
        doc.from_array([LEMMA], arr[:, 1:])
        return doc


@Language.factory("navograph_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LookupLemmatizer:
    return LookupLemmatizer.dutch(nlp.vocab)


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
    has_parser = "parser" in names or "senter" in names
    if has_parser:
        # a parser respects sentence starts set before it runs
        nlp.add_pipe("navograph_paragraphs", before="parser" if "parser" in names else "senter")
    else:
        # the sentencizer overwrites every sentence start, so paragraphs go after it
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("navograph_paragraphs", after="sentencizer")
    if "lemmatizer" not in names and nlp.lang == "nl":
        nlp.add_pipe("navograph_lemmatizer", name="lemmatizer")
    elif "lemmatizer" not in names:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.get_pipe("lemmatizer").initialize()
    ruler_cfg = {"overwrite_ents": True, "phrase_matcher_attr": None}
    ruler = nlp.add_pipe("entity_ruler", name="navograph_ruler", config=ruler_cfg)
    ruler.add_patterns(phrase_patterns(entity_patterns(catalogue, nlp), nlp))
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
