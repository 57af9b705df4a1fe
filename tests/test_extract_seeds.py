"""Facts a reader finds in the five seed letters, checked on what the extractor produces.

Every expected value here was read from the letter text (quoted in the comments), not
copied from the program's output.
"""
from __future__ import annotations

import datetime as dt

import pytest

BERLIN = "000_645f0c655bd661fc"
BRUSSELS_2023 = "001_3f16caf3b043f998"
BUCHAREST = "002_c7ef2874810d3985"
REPORT_FMM = "003_66e0d524007c50af"
REPORT_DMM = "004_95be2f4c36980282"


def primary(letter):
    m = letter.primary_meeting
    assert m is not None, f"{letter.doc}: no primary meeting"
    return m


def participants(letter):
    return {p.participant for p in letter.participations}


def mentioned(letter, kind=None):
    return {m.key for m in letter.mentions if kind is None or m.kind == kind}


def test_berlin_meeting_is_informal_two_days_with_finland_and_sweden(seed_letters):
    # "Op zaterdag 14 en zondag 15 mei 2022 zal een informele bijeenkomst van de
    #  NAVO-Ministers van Buitenlandse Zaken (FMM) plaatsvinden in Berlijn."
    _, letter = seed_letters[BERLIN]
    m = primary(letter)
    assert (m.kind, m.start, m.end, m.city) == ("fmm", dt.date(2022, 5, 14), dt.date(2022, 5, 15), "berlin")
    assert m.informal is True
    # "een diner ... met deelname van de Ministers van Buitenlandse Zaken van Finland en Zweden"
    assert participants(letter) == {"FI", "SE"}
    assert letter.kind == "annotated-agenda"


def test_berlin_letter_names_the_other_dated_meetings(seed_letters):
    _, letter = seed_letters[BERLIN]
    got = {(m.kind, m.start, m.end, m.city) for m in letter.meetings if not m.primary}
    # "de bijeenkomst van circa veertig defensieministers in Ramstein op 26 april jl." (not NATO)
    assert ("other", dt.date(2022, 4, 26), dt.date(2022, 4, 26), "ramstein") in got
    # "de NAVO-top in Madrid, van 28 tot en met 30 juni"
    assert ("summit", dt.date(2022, 6, 28), dt.date(2022, 6, 30), "madrid") in got
    # "de Raad Buitenlandse Zaken van maandag 16 mei 2022 en de Raad Buitenlandse Zaken/Defensie op dinsdag 17 mei 2022"
    assert ("eu-council", dt.date(2022, 5, 16), dt.date(2022, 5, 16), None) in got
    assert ("eu-council", dt.date(2022, 5, 17), dt.date(2022, 5, 17), None) in got
    # the dinner on "zaterdagavond 14 mei" and the sessions on "15 mei" are parts of the meeting itself
    assert not any(m.start == dt.date(2022, 5, 15) and m.end == dt.date(2022, 5, 15) for m in letter.meetings)


def test_bucharest_meeting_date_and_city(seed_letters):
    # "Op dinsdag 29 en woensdag 30 november 2022 zal een bijeenkomst van de NAVO-Ministers van
    #  Buitenlandse Zaken plaatsvinden in Boekarest, Roemenië."
    _, letter = seed_letters[BUCHAREST]
    m = primary(letter)
    assert (m.kind, m.start, m.end, m.city, m.informal) == (
        "fmm", dt.date(2022, 11, 29), dt.date(2022, 11, 30), "bucharest", False)
    # "van 12-13 oktober 2022" is the Defence ministers' meeting
    assert any(x.kind == "dmm" and x.start == dt.date(2022, 10, 12) and x.end == dt.date(2022, 10, 13)
               for x in letter.meetings)
    # invitees, the dinner guests and the partners of session 4
    assert {"FI", "SE", "UA", "kuleba", "borrell", "BA", "GE", "MD"} <= participants(letter)
    # the Benelux/Nordic meeting "En marge van deze bijeenkomst" is a side meeting
    assert not {"DK", "IS", "NO", "LU"} & participants(letter)


def test_year_only_meetings_get_their_year_from_context(seed_letters):
    _, letter = seed_letters[BRUSSELS_2023]
    years = {(m.kind, m.year, m.city) for m in letter.meetings}
    # "Sinds de laatste FMM in november" in a letter about April 2023 -> November 2022
    assert ("fmm", 2022, None) in years
    # "Op de Top in Wales in 2014"
    assert ("summit", 2014, "wales") in years
    # "de NAVO-Top in Vilnius, die op 11 en 12 juli van dit jaar zal plaatsvinden"
    vilnius = [m for m in letter.meetings if m.city == "vilnius"]
    assert len(vilnius) == 1 and vilnius[0].start == dt.date(2023, 7, 11) and vilnius[0].end == dt.date(2023, 7, 12)


def test_report_letters_kind_date_and_signatories(seed_letters):
    _, fmm = seed_letters[REPORT_FMM]
    # "Hierbij bied ik u het verslag aan ..." signed "W.B. Hoekstra"; no date line
    assert fmm.kind == "report" and fmm.signatories == ["hoekstra"] and fmm.date is None
    _, dmm = seed_letters[REPORT_DMM]
    # "Den Haag, 26 februari 2022" ... "De Minister van Defensie, K.H. Ollongren"
    assert dmm.kind == "report" and dmm.date == dt.date(2022, 2, 26) and dmm.signatories == ["ollongren"]
    m = primary(dmm)
    assert (m.kind, m.start, m.end, m.city) == ("dmm", dt.date(2022, 2, 16), dt.date(2022, 2, 17), "brussels")
    # "de in 2014 in Wales gemaakte afspraken" names the Wales summit through the known-meetings data
    assert any(x.kind == "summit" and x.year == 2014 and x.city == "wales" for x in dmm.meetings)


def test_mentions_inflected_adjectives_and_groups(seed_letters):
    _, letter = seed_letters[REPORT_DMM]
    # "de Finse en Zweedse ministers van Defensie" -> FI and SE
    assert {"FI", "SE"} <= mentioned(letter, "country")
    # "De Benelux-landen", "(w.o. Asia Pacific en EU)"
    assert {"BENELUX", "AP4"} <= mentioned(letter, "group")
    # "De veiligheid van Noord-Amerika en Europa": not the United States
    assert "US" not in mentioned(letter, "country")
    _, b = seed_letters[BUCHAREST]
    # "collega's uit Denemarken, Finland, IJsland, Noorwegen en Zweden": all Nordic states named
    assert "NORDICS" in mentioned(b, "group")
    # "Zr.Ms. Tromp ... (de SNMG I)"
    assert "SNMG1" in mentioned(b, "initiative")


def test_allies_are_a_holder_not_a_mention(seed_letters):
    for _, letter in seed_letters.values():
        assert "ALLIES" not in mentioned(letter)


def test_acronym_definition_and_titled_persons(seed_letters):
    _, fmm = seed_letters[REPORT_FMM]
    # "het handvest aangenomen voor DIANA (Defence Innovation Accelerator for the North Atlantic)"
    assert "DIANA" in mentioned(fmm, "initiative")
    # "de EU Hoge Vertegenwoordiger Borrell", "de Oekraïense minister Kuleba", "de motie Van Haga"
    assert {"borrell", "kuleba", "van-haga", "hoekstra"} <= mentioned(fmm, "person")
    _, dmm = seed_letters[REPORT_DMM]
    # "door het lid Sjoerdsma"
    assert "sjoerdsma" in mentioned(dmm, "person")


def test_citations_and_motions(seed_letters):
    _, berlin = seed_letters[BERLIN]
    ids = {c.identifier for c in berlin.citations}
    # footnote 1: "Kamerstuk 28 676, nr. 404; Kamerstuk 28 676, nr. 386 en Kamerstukken 28 676 en 36 045, nr. 403."
    assert {"kst-28676-404", "kst-28676-386", "kst-28676-403"} <= ids
    multi = next(c for c in berlin.citations if c.identifier == "kst-28676-403")
    assert multi.dossiers == ("28676", "36045")
    _, fmm = seed_letters[REPORT_FMM]
    # "conform de motie Van Haga1" with footnote "1 Kamerstuk 28 676, nr. 394"
    motions = [c for c in fmm.citations if c.kind == "motie"]
    assert motions and all(c.motion_submitter == "van-haga" for c in motions)
    assert {c.identifier for c in motions} == {"kst-28676-394", "kst-28676-397"}
    _, dmm = seed_letters[REPORT_DMM]
    # "(Handelingen II 2021/22, nr. 53, ...)"
    assert "h-tk-20212022-53" in {c.identifier for c in dmm.citations}


@pytest.mark.parametrize("doc", [BERLIN, BRUSSELS_2023, BUCHAREST, REPORT_FMM, REPORT_DMM])
def test_every_evidence_quote_is_the_original_text_at_its_offsets(seed_letters, doc):
    src, letter = seed_letters[doc]
    evidences = [m.evidence for m in letter.meetings] + [m.evidence for m in letter.mentions]
    evidences += [p.evidence for p in letter.participations] + [c.evidence for c in letter.citations]
    evidences += [s.evidence for s in letter.stances] + list(letter.signatory_evidence)
    assert evidences
    for ev in evidences:
        assert ev.doc == doc
        assert 0 <= ev.start < ev.end <= len(src.original)
        assert src.original[ev.start:ev.end] == ev.quote


@pytest.mark.parametrize("doc", [BERLIN, REPORT_DMM])
def test_the_doc_read_once_holds_what_spacy_tokens_say(seed_letters, analyser, doc):
    """extract.read_doc (the lists every rule reads) against spaCy's own Token, Span and
    Doc.sents views of the same Doc; a text that is not the Doc's is not used."""
    from navograph.extract import read_doc

    src, _ = seed_letters[doc]
    d = analyser.nlp(src.text)
    tk = read_doc(d, src.text)
    assert tk.text == d.text
    assert tk.orth == [t.text for t in d]
    assert tk.lemma == [t.lemma_ for t in d]
    assert tk.start == [t.idx for t in d] and tk.end == [t.idx + len(t.text) for t in d]
    assert tk.space == [t.is_space for t in d] and tk.punct == [t.is_punct for t in d]
    assert tk.ws == [bool(t.whitespace_) for t in d]
    assert tk.sent_starts == [s.start for s in d.sents]
    assert tk.ents == [(e.start, e.end, e.start_char, e.end_char, e.label_, e.ent_id_) for e in d.ents]
    assert len(tk.ents) > 20  # a seed letter names many entities
    assert list(tk.lower_ids) == [t.lower for t in d] and list(tk.lemma_ids) == [t.lemma for t in d]
    other = src.text[:-1] + ("x" if src.text[-1:] != "x" else "y")  # same length, another last token
    assert read_doc(d, other).text == d.text
