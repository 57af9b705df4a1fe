"""The spaCy pipeline factory: blank Dutch fallback, catalogue-generated patterns, and the
statistical-NER path, tested with a small NER pipeline this test trains itself (no download)."""
from __future__ import annotations

import random

import pytest
import spacy
from spacy.training import Example

from navograph.nlp import build_pipeline, entity_patterns, has_statistical_ner


@pytest.fixture(scope="module")
def catalogue():
    from navograph.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="module")
def blank(catalogue):
    return build_pipeline(catalogue=catalogue, use_default_model=False)


def ents(doc):
    return [(e.text, e.label_, e.ent_id_) for e in doc.ents]


def test_blank_pipeline_has_the_rule_components(blank):
    names = blank.pipe_names
    assert "sentencizer" in names and "lemmatizer" in names and "navograph_ruler" in names
    assert names.index("navograph_paragraphs") > names.index("sentencizer")
    assert not has_statistical_ner(blank)


def test_inflected_adjectives_and_names_map_to_keys(blank):
    doc = blank("De Russische agressie tegen Oekraïne en de Finse en Zweedse ministers.")
    keys = {e.ent_id_ for e in doc.ents}
    assert {"RU", "UA", "FI", "SE"} <= keys


def test_names_inside_hyphenated_compounds_are_found(blank):
    # the Dutch tokenizer keeps "EPF-steun" whole; navograph splits on the hyphen
    doc = blank("Een vierde tranche EPF-steun en de NAVO-ministers en EDT's.")
    keys = {e.ent_id_ for e in doc.ents}
    assert {"EPF", "NATO", "EDT"} <= keys


def test_paragraph_breaks_end_sentences(blank):
    doc = blank("Werksessie I: Oekraïne\n\nTijdens de eerste werksessie spreken de ministers.")
    sents = [s.text.strip() for s in doc.sents if s.text.strip()]
    assert sents[0] == "Werksessie I: Oekraïne"


def test_lemmas_come_from_the_lookup_tables(blank):
    doc = blank("Het kabinet steunt de stappen en veroordeelde de aanval.")
    lemmas = {t.text: t.lemma_ for t in doc}
    assert lemmas["steunt"] == "steunen"


_TRICKY = [
    "Wat nu?! Niets... Of toch: ja. “Zeker.” Nee", "a . . b ! c", "Het eind.", "。Japans。 Klaar",
    "Werksessie I: Oekraïne\n\nDe ministers spreken.\nK.H. Ollongren\n", "", " ", "\n\n\n", "?",
    "De NAVO-ministers (o.a. Finland) steunden Oekraïne; Zweden ook. EDT's en 't kabinet.",
]


def test_sentences_and_lemmas_are_spacys_rules(blank):
    """The sentencizer and the lookup lemmatizer give what spaCy's own components give on the
    same tokens, and every line break starts a sentence."""
    from pathlib import Path

    ref = spacy.blank("nl")
    ref_sentencizer = ref.add_pipe("sentencizer")
    ref_lemmatizer = ref.add_pipe("lemmatizer", config={"mode": "lookup"})
    ref_lemmatizer.initialize()
    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    for text in _TRICKY + [p.read_text(encoding="utf-8") for p in seeds]:
        ours, theirs = blank.make_doc(text), blank.make_doc(text)
        blank.get_pipe("sentencizer")(ours)
        ref_sentencizer(theirs)
        assert [t.is_sent_start for t in ours] == [t.is_sent_start for t in theirs], text
        blank.get_pipe("navograph_paragraphs")(ours)
        for i, tok in enumerate(ours[:-1]):
            if "\n" in tok.text:
                assert ours[i + 1].is_sent_start, (text, i)
        blank.get_pipe("lemmatizer")(ours)
        ref_lemmatizer(theirs)
        assert [t.lemma_ for t in ours] == [t.lemma_ for t in theirs], text


def test_patterns_are_generated_from_the_catalogue(catalogue, blank):
    patterns = entity_patterns(catalogue, blank)
    by_id = {}
    for p in patterns:
        by_id.setdefault(p["id"], []).append([t["ORTH"] for t in p["pattern"]])
    assert ["Oekraïense"] in by_id["UA"]
    assert ["Asia", "-", "Pacific", "Four"] in by_id["AP4"]
    # deterministic: the same catalogue gives the same patterns
    assert patterns == entity_patterns(catalogue, blank)


def test_a_missing_model_given_by_name_is_an_error(catalogue):
    with pytest.raises(RuntimeError, match="cannot load spaCy pipeline"):
        build_pipeline("nl_no_such_model_xyz", catalogue)


def _train_tiny_ner(path):
    """A blank Dutch pipeline with an NER component trained on a handful of sentences."""
    nlp = spacy.blank("nl")
    ner = nlp.add_pipe("ner")
    data = [
        ("Minister Verhoeven sprak met de ambassadeur.", [(9, 18, "PERSON")]),
        ("Verhoeven bezocht de Zuidelijke Alliantie.", [(0, 9, "PERSON"), (21, 41, "ORG")]),
        ("De Zuidelijke Alliantie steunt het plan van Verhoeven.", [(3, 23, "ORG"), (44, 53, "PERSON")]),
        ("Het overleg in Oekraïne met Verhoeven ging door.", [(15, 23, "GPE"), (28, 37, "PERSON")]),
        ("De Zuidelijke Alliantie en Verhoeven spraken in Oekraïne.", [(3, 23, "ORG"), (27, 36, "PERSON"), (48, 56, "GPE")]),
    ]
    for _, spans in data:
        for *_, label in spans:
            ner.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": s}) for t, s in data]
    random.seed(0)
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(60):
        random.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.0)
    nlp.to_disk(path)
    return data


def test_statistical_ner_path_with_a_self_trained_model(tmp_path, catalogue):
    from navograph.extract import extract_letter
    from navograph.ingest import normalise

    data = _train_tiny_ner(tmp_path / "tiny")
    nlp = build_pipeline(str(tmp_path / "tiny"), catalogue)
    assert has_statistical_ner(nlp)
    # the model's own entities are there, and the catalogue's rules win where they overlap
    text = data[4][0]
    doc = nlp(text)
    found = ents(doc)
    assert ("Oekraïne", "COUNTRY", "UA") in found
    model_only = [(t, lab) for t, lab, i in found if not i]
    assert ("Verhoeven", "PERSON") in model_only and ("Zuidelijke Alliantie", "ORG") in model_only
    # model entities no rule covers become candidate entities, typed by the rules
    src = normalise(text, doc_id="tiny-ner")
    letter = extract_letter(src, nlp(src.text), catalogue)
    discovered = {e.key: e.kind for e in letter.entities}
    assert discovered.get("verhoeven") == "person"
    assert discovered.get("ZUIDELIJKE-ALLIANTIE") == "organisation"
    assert {"verhoeven", "ZUIDELIJKE-ALLIANTIE", "UA"} <= {m.key for m in letter.mentions}
