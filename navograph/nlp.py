"""Build the spaCy pipeline: a statistical model when one is available, else blank Dutch.

The pipeline always ends with the same rule components, so extraction behaves the same
with or without a model:

* ``navograph_paragraphs``: a line break in the normalised text ends a sentence
  (headings and signature lines are paragraphs of their own);
* ``sentencizer`` and a lookup ``lemmatizer`` when the model has no parser / lemmatizer;
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
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_suffix_regex

if TYPE_CHECKING:
    from .catalogue import Catalogue

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nl_core_news_sm"
# Split compounds on hyphens between letters or digits ("EPF-steun" -> EPF - steun) so that
# catalogue names inside compounds are found; "12-13" splits too, which the date rules handle.
HYPHEN_INFIX = r"(?<=[\w%])[-‐‑](?=[\w])"
# Possessive/plural 's after an acronym: "EDT's" -> EDT 's
APOS_S_SUFFIX = r"(?<=[A-Z0-9])['’]s$"


@Language.component("navograph_paragraphs")
def paragraph_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every line break: paragraphs never share a sentence."""
    for i, tok in enumerate(doc[:-1]):
        if "\n" in tok.text or "\n" in tok.whitespace_:
            doc[i + 1].is_sent_start = True
    return doc


def _customise_tokenizer(nlp: Language) -> None:
    infixes = list(nlp.Defaults.infixes) + [HYPHEN_INFIX]
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    suffixes = list(nlp.Defaults.suffixes) + [APOS_S_SUFFIX]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search


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
        nlp = spacy.blank("nl")
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
    if "lemmatizer" not in names:
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
