"""Every query in queries/ on the graph of the five seed letters returns the rows a reader of
the letters expects (expected values read from the letters, quoted in the comments)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from navograph.query import run_query
from navograph.store import Store

QUERIES = sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.rq"))
BERLIN, BRUSSELS_23, BUCHAREST, REPORT_FMM, REPORT_DMM = (
    "000_645f0c655bd661fc", "001_3f16caf3b043f998", "002_c7ef2874810d3985",
    "003_66e0d524007c50af", "004_95be2f4c36980282")


@pytest.fixture(scope="module")
def rows(seeds_store):
    path, _ = seeds_store
    out = {}
    with Store(path, read_only=True) as st:
        for q in QUERIES:
            buf = io.StringIO()
            run_query(st, str(q), fmt="csv", out=buf)
            out[q.stem] = list(csv.DictReader(io.StringIO(buf.getvalue())))
    return out


def test_every_query_has_a_description_and_returns_rows(rows):
    assert len(QUERIES) >= 10
    for q in QUERIES:
        assert q.read_text(encoding="utf-8").startswith("# "), q.name
        assert rows[q.stem], f"{q.name} returned no rows on the seeds"


def test_meetings(rows):
    by_key = {r["meeting"]: r for r in rows["meetings"]}
    # "Op zaterdag 14 en zondag 15 mei 2022 zal een informele bijeenkomst ... plaatsvinden in Berlijn."
    berlin = by_key["fmm_2022-05-14--2022-05-15_berlin"]
    assert (berlin["city"], berlin["informal"], berlin["primaryIn"]) == ("Berlin", "true", BERLIN)
    # Bucharest, 29-30 November 2022, is what letter 002 is about
    assert by_key["fmm_2022-11-29--2022-11-30_bucharest"]["primaryIn"] == BUCHAREST
    # the Vilnius summit is named in 001 ("11 en 12 juli van dit jaar") and 002 ("in juli 2023")
    assert by_key["summit_2023-07-11--2023-07-12_vilnius"]["letters"] == "2"


def test_participants(rows):
    got = {(r["meeting"], r["participant"]) for r in rows["participants"]}
    # Berlin: "met deelname van de Ministers van Buitenlandse Zaken van Finland en Zweden"
    assert {("fmm_2022-05-14--2022-05-15_berlin", "FI"), ("fmm_2022-05-14--2022-05-15_berlin", "SE")} <= got
    # DMM February 2022: "in aanwezigheid van NAVO-partners Georgië en Oekraïne", "EU Hoge Vertegenwoordiger Borrell"
    dmm = "dmm_2022-02-16--2022-02-17_brussels"
    assert {(dmm, "GE"), (dmm, "UA"), (dmm, "borrell")} <= got
    assert not any(p == "NATO" or p == "NL" for _, p in got)


def test_letters(rows):
    by = {r["letter"]: r for r in rows["letters"]}
    assert by[REPORT_DMM]["date"] == "2022-02-26" and by[REPORT_DMM]["signatories"] == "ollongren"
    assert by[REPORT_FMM]["kind"] == "report" and by[REPORT_FMM]["signatories"] == "hoekstra"
    assert by[BERLIN]["kind"] == "annotated-agenda" and by[BERLIN]["meetingStart"] == "2022-05-14"


def test_citations(rows):
    got = {(r["letter"], r["document"], r["submitter"]) for r in rows["citations"]}
    # 003: "conform de motie Van Haga1" with footnote "1 Kamerstuk 28 676, nr. 394"
    assert (REPORT_FMM, "kst-28676-394", "van-haga") in got
    # 004: "(Handelingen II 2021/22, nr. 53, ...)"
    assert (REPORT_DMM, "h-tk-20212022-53", "") in got


def test_country_mentions_quote_sentences_about_ukraine(rows):
    assert {r["letter"] for r in rows["country-mentions"]} == {BERLIN, BRUSSELS_23, BUCHAREST, REPORT_FMM, REPORT_DMM}
    assert all("Oekra" in r["sentence"] for r in rows["country-mentions"])


def test_initiatives_by_letter(rows):
    got = {(r["initiative"], r["letter"]) for r in rows["initiatives-by-letter"]}
    # UCAP in 001 and 002, DIANA in 003, EPF in 000
    assert {("UCAP", BRUSSELS_23), ("UCAP", BUCHAREST), ("DIANA", REPORT_FMM), ("EPF", BERLIN)} <= got


def test_positions_and_evidence(rows):
    nl = rows["positions-of-actor"]
    # "Het kabinet ziet deze rol op dit moment ook niet als wenselijk" (a NATO role in arms deliveries)
    assert any(r["targetKey"] == "nato-arms-deliveries" and r["polarity"] == "oppose" and r["letter"] == BERLIN
               for r in nl)
    # dates ascend
    dates = [r["date"] for r in nl if r["date"]]
    assert dates == sorted(dates)
    who = {(r["holderKey"], r["polarity"]) for r in rows["who-stands-where"]}
    assert ("NL", "support") in who and ("ALLIES", "support") in who
    ev = rows["stance-evidence"]
    assert ev and all(r["quote"] for r in ev)
    for r in rows["changed-positions"]:
        assert (r["polarity1"], r["modality1"]) != (r["polarity2"], r["modality2"])


def test_changed_positions_compare_each_letter_with_the_one_before(rows):
    changed = rows["changed-positions"]
    # The letters in time order: 004 (DMM 16-17 Feb 2022), 003 (FMM 6-7 Apr 2022), 000 (Berlin,
    # 14-15 May 2022), 002 (Bucharest, 29-30 Nov 2022), 001 (Brussels, 4-5 Apr 2023).
    # On China, 002 says "Het kabinet is van mening dat dit uitdagingen zijn waartoe de NAVO zich
    # moet verhouden" (support, stated) and 001, the next letter, "maakt het kabinet zich zorgen
    # over de strategische toenadering tussen China en Rusland" (concern, stated).
    china = [r for r in changed if (r["holderKey"], r["targetKey"]) == ("NL", "china")]
    assert any((r["letter1"], r["polarity1"], r["modality1"], r["date1"], r["letter2"], r["polarity2"],
                r["modality2"], r["date2"]) == (BUCHAREST, "support", "stated", "2022-11-29",
                                                BRUSSELS_23, "concern", "stated", "2023-04-04")
               and "zorgen over de strategische toenadering" in r["quote2"].replace("\n", "") for r in china)
    # 001 is compared with 002 only, not also with the earlier letters on China (003: "het alert
    # blijven op de uitdagingen waarvoor China het bondgenootschap stelt"; 000: "Het kabinet is van
    # mening dat China als nieuwe uitdaging ...")
    assert {r["letter1"] for r in china if r["letter2"] == BRUSSELS_23} == {BUCHAREST}
    # 000 and 002 both hold the cabinet's opinion ("is van mening"): no change from 000 to 002
    assert not [r for r in china if r["letter2"] == BUCHAREST]
    # in general: one earlier letter per later letter, holder and target, and time runs forward
    earlier = {}
    for r in changed:
        earlier.setdefault((r["holderKey"], r["targetKey"], r["letter2"]), set()).add(r["letter1"])
        if r["date1"] and r["date2"]:
            assert r["date1"] <= r["date2"]
    assert all(len(v) == 1 for v in earlier.values())
