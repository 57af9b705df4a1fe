"""A realistic store fixture that follows docs/ARCHITECTURE.md exactly.

Plain module (not a pytest conftest): imported by tests/test_store.py, test_export.py,
test_query.py, test_serve_push.py and benchmarks/bench_queries.py.

Three letters (an annotated agenda and a report of the informal FMM in Berlin, May 2022,
and a letter on the Madrid summit), the catalogue and a small ontology graph.
"""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox

from navograph import vocab

PREFIX_BLOCK = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in vocab.PREFIXES.items())

CATALOGUE_TTL = """
ngid:country/NL a ng:Country ; dcterms:identifier "NL" ;
    skos:prefLabel "Nederland"@nl, "Netherlands"@en ; skos:altLabel "NL"@nl ;
    ng:adjective "Nederlandse"@nl, "Nederlands"@nl ; skos:exactMatch wd:Q55 ; ng:natoMember true .
ngid:country/FI a ng:Country ; dcterms:identifier "FI" ;
    skos:prefLabel "Finland"@nl, "Finland"@en ; ng:adjective "Finse"@nl ; skos:exactMatch wd:Q33 ; ng:natoMember false .
ngid:country/SE a ng:Country ; dcterms:identifier "SE" ;
    skos:prefLabel "Zweden"@nl, "Sweden"@en ; ng:adjective "Zweedse"@nl ; skos:exactMatch wd:Q34 ; ng:natoMember false .
ngid:country/RU a ng:Country ; dcterms:identifier "RU" ;
    skos:prefLabel "Rusland"@nl, "Russia"@en ; ng:adjective "Russische"@nl ; skos:exactMatch wd:Q159 ; ng:natoMember false .
ngid:country/UA a ng:Country ; dcterms:identifier "UA" ;
    skos:prefLabel "Oekraïne"@nl, "Ukraine"@en ; ng:adjective "Oekraïense"@nl ; skos:exactMatch wd:Q212 ; ng:natoMember false .
ngid:country/DE a ng:Country ; dcterms:identifier "DE" ;
    skos:prefLabel "Duitsland"@nl, "Germany"@en ; skos:exactMatch wd:Q183 ; ng:natoMember true .
ngid:country/ES a ng:Country ; dcterms:identifier "ES" ;
    skos:prefLabel "Spanje"@nl, "Spain"@en ; skos:exactMatch wd:Q29 ; ng:natoMember true .
ngid:organisation/NATO a ng:Organisation ; dcterms:identifier "NATO" ;
    skos:prefLabel "NAVO"@nl, "NATO"@en ; skos:altLabel "Noord-Atlantische Verdragsorganisatie"@nl ; skos:exactMatch wd:Q7184 .
ngid:group/AP4 a ng:Group ; skos:prefLabel "AP4"@nl ;
    org:hasMember ngid:country/AU, ngid:country/JP, ngid:country/NZ, ngid:country/KR .
ngid:role/minister-bz a ng:Role ; skos:prefLabel "Minister van Buitenlandse Zaken"@nl .
ngid:role/minister-def a ng:Role ; skos:prefLabel "Minister van Defensie"@nl .
ngid:role/nato-sg a ng:Role ; skos:prefLabel "Secretaris-Generaal van de NAVO"@nl ; ng:roleOf ngid:organisation/NATO .
ngid:person/hoekstra a ng:Person ; skos:prefLabel "Wopke Hoekstra"@nl ; ng:role ngid:role/minister-bz ; schema:nationality ngid:country/NL .
ngid:person/ollongren a ng:Person ; skos:prefLabel "Kajsa Ollongren"@nl ; ng:role ngid:role/minister-def ; schema:nationality ngid:country/NL .
ngid:person/van-haga a ng:Person ; skos:prefLabel "Wybren van Haga"@nl ; schema:nationality ngid:country/NL .
ngid:city/berlin a ng:City ; skos:prefLabel "Berlijn"@nl, "Berlin"@en ; schema:containedInPlace ngid:country/DE .
ngid:city/madrid a ng:City ; skos:prefLabel "Madrid"@nl ; schema:containedInPlace ngid:country/ES .
ngid:scheme/topics a skos:ConceptScheme ; skos:prefLabel "navograph topics"@en .
ngid:topic/enlargement a ng:Topic, skos:Concept ; skos:inScheme ngid:scheme/topics ;
    skos:prefLabel "uitbreiding"@nl, "enlargement"@en ; ng:cue "lidmaatschap"@nl, "toetreding"@nl .
ngid:topic/china a ng:Topic, skos:Concept ; skos:inScheme ngid:scheme/topics ; skos:broader ngid:topic/strategic-concept ;
    skos:prefLabel "China"@nl ; ng:cue "China"@nl .
ngid:topic/strategic-concept a ng:Topic, skos:Concept ; skos:inScheme ngid:scheme/topics ;
    skos:prefLabel "Strategisch Concept"@nl ; ng:cue "Strategisch Concept"@nl .
ngid:topic/support-ukraine a ng:Topic, skos:Concept ; skos:inScheme ngid:scheme/topics ;
    skos:prefLabel "steun aan Oekraïne"@nl ; ng:cue "steun"@nl .
"""

ONTOLOGY_TTL = """
<https://w3id.org/navograph/ns> a owl:Ontology ; rdfs:label "navograph vocabulary"@en .
ng:Letter a owl:Class ; rdfs:label "Letter"@en ; rdfs:comment "A government letter to parliament."@en .
ng:Meeting a owl:Class ; rdfs:label "Meeting"@en .
ng:Mention a owl:Class ; rdfs:label "Mention"@en .
ng:Stance a owl:Class ; rdfs:label "Stance"@en .
ng:Participation a owl:Class ; rdfs:label "Participation"@en .
ng:Evidence a owl:Class ; rdfs:subClassOf oa:Annotation ; rdfs:label "Evidence"@en .
ng:Country a owl:Class ; rdfs:subClassOf ng:Actor ; rdfs:label "Country"@en .
ng:Actor a owl:Class ; rdfs:label "Actor"@en .
ng:holder a owl:ObjectProperty ; rdfs:domain ng:Stance ; rdfs:range ng:Actor .
ng:target a owl:ObjectProperty ; rdfs:domain ng:Stance .
ng:polarity a owl:ObjectProperty ; rdfs:domain ng:Stance ; rdfs:range ng:Polarity .
ng:inLetter a owl:ObjectProperty ; rdfs:range ng:Letter .
ng:support a ng:Polarity ; rdfs:label "support"@en .
ng:oppose a ng:Polarity ; rdfs:label "oppose"@en .
ng:concern a ng:Polarity ; rdfs:label "concern"@en .
ng:intended a ng:Modality ; rdfs:label "intended"@en .
ng:reported a ng:Modality ; rdfs:label "reported"@en .
ng:natoMember a owl:DatatypeProperty ; rdfs:range xsd:boolean .
"""


def _ev(doc: str, original: str, quote: str, occurrence: int = 0) -> tuple[str, str]:
    """(evidence IRI, turtle) for ``quote`` found in ``original`` (offsets in code points)."""
    start = -1
    for _ in range(occurrence + 1):
        start = original.index(quote, start + 1)
    end = start + len(quote)
    assert original[start:end] == quote
    ev = vocab.evidence_iri(doc, start, end)
    esc = quote.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    ttl = (
        f"<{ev}> a ng:Evidence ; oa:hasSource <{vocab.letter_iri(doc)}> ; oa:hasSelector <{ev}/selector> .\n"
        f"<{ev}/selector> a oa:TextPositionSelector, oa:TextQuoteSelector ;\n"
        f"    oa:start {start} ; oa:end {end} ; oa:exact \"{esc}\" .\n"
    )
    return ev, ttl


AGENDA_DOC = "000_fixture_agenda"
AGENDA_TEXT = (
    "GEANNOTEERDE AGENDA VAN DE INFORMELE NAVO MINISTERIËLE BIJEENKOMST VAN 14 EN 15 MEI 2022\n\n"
    "Op zaterdag 14 en zondag 15 mei 2022 zal een informele bijeenkomst van de NAVO-Ministers "
    "van Buitenlandse Zaken (FMM) plaatsvinden in Berlijn.\n"
    "Het kabinet waardeert de deelname van Finland en Zweden aan deze informele bijeenkomst en zal "
    "zich constructief opstellen indien een van deze landen een aanvraag zou indienen voor het "
    "lidmaatschap van de NAVO.\n"
    "De Russische inval in Oekraïne heeft de veiligheidssituatie fundamenteel veranderd.\n"
    "Het kabinet is van mening dat de NAVO oog moet hebben voor de uitdagingen die China stelt.\n"
)
REPORT_DOC = "001_fixture_report"
REPORT_TEXT = (
    "VERSLAG VAN DE INFORMELE NAVO MINISTERIËLE BIJEENKOMST VAN 14 EN 15 MEI 2022 IN BERLIJN\n\n"
    "Op 14 en 15 mei 2022 vond in Berlijn een informele bijeenkomst plaats van de NAVO-ministers "
    "van Buitenlandse Zaken, met deelname van Finland en Zweden.\n"
    "Nederland steunt een snelle toetreding van Finland en Zweden.\n"
    "Zoals gemeld in Kamerstuk 28676, nr. 404 blijft de steun aan Oekraïne onverminderd.\n"
    "De motie van het lid Van Haga (Kamerstuk 28676, nr. 394) is hierbij betrokken.\n"
)
SUMMIT_DOC = "002_fixture_summit"
SUMMIT_TEXT = (
    "GEANNOTEERDE AGENDA NAVO-TOP MADRID 2022\n\n"
    "De NAVO-top vindt plaats in Madrid op 29 en 30 juni 2022.\n"
    "Het kabinet maakt zich zorgen over de Russische dreiging.\n"
    "Nederland zal het nieuwe Strategisch Concept steunen.\n"
)
LETTER_TEXTS = {AGENDA_DOC: AGENDA_TEXT, REPORT_DOC: REPORT_TEXT, SUMMIT_DOC: SUMMIT_TEXT}

FMM = "fmm_2022-05-14--2022-05-15_berlin"
SUMMIT = "summit_2022-06-29--2022-06-30_madrid"


def _meeting_fmm() -> str:
    return f"""
<{vocab.meeting_iri(FMM)}> a ng:Meeting ; dcterms:identifier "{FMM}" ;
    rdfs:label "Informele NAVO-bijeenkomst van ministers van Buitenlandse Zaken, Berlijn, 14-15 mei 2022"@nl ;
    ng:meetingKind "fmm" ; schema:startDate "2022-05-14"^^xsd:date ; schema:endDate "2022-05-15"^^xsd:date ;
    ng:year "2022"^^xsd:gYear ; schema:location ngid:city/berlin ; ng:informal true .
"""


def agenda_ttl() -> str:
    d, t = AGENDA_DOC, AGENDA_TEXT
    L = vocab.letter_iri(d)
    M = vocab.meeting_iri(FMM)
    ev_meet, t1 = _ev(d, t, "zal een informele bijeenkomst van de NAVO-Ministers van Buitenlandse Zaken (FMM) plaatsvinden in Berlijn")
    ev_fi, t2 = _ev(d, t, "Finland")
    ev_se, t3 = _ev(d, t, "Zweden")
    ev_ru, t4 = _ev(d, t, "Russische")
    ev_st, t5 = _ev(d, t, "Het kabinet is van mening dat de NAVO oog moet hebben voor de uitdagingen die China stelt.")
    ev_en, t6 = _ev(d, t, "zich constructief opstellen indien een van deze landen een aanvraag zou indienen voor het lidmaatschap van de NAVO")
    f = lambda kind, local: f"<{vocab.fact_iri(d, kind, local)}>"  # noqa: E731
    return f"""
<{L}> a ng:Letter ; dcterms:identifier "{d}" ;
    dcterms:title "Geannoteerde agenda van de informele NAVO ministeriële bijeenkomst van 14 en 15 mei 2022"@nl ;
    ng:letterKind "annotated-agenda" ; dcterms:date "2022-05-10"^^xsd:date ;
    ng:signatory ngid:person/hoekstra ; ng:primaryMeeting <{M}> ;
    ng:sourceFile "seeds/{d}.txt" ; ng:sha256 "{'a' * 64}" .
{_meeting_fmm()}
{f('meeting-ref', '1')} a ng:MeetingReference ; ng:meeting <{M}> ; ng:inLetter <{L}> ; ng:primary true ; ng:evidence <{ev_meet}> .
{f('participation', '1')} a ng:Participation ; ng:meeting <{M}> ; ng:participant ngid:country/FI ; ng:inLetter <{L}> ; ng:evidence <{ev_fi}> .
{f('participation', '2')} a ng:Participation ; ng:meeting <{M}> ; ng:participant ngid:country/SE ; ng:inLetter <{L}> ; ng:evidence <{ev_se}> .
{f('mention', '1')} a ng:Mention ; ng:refersTo ngid:country/FI ; ng:surfaceForm "Finland" ; ng:inLetter <{L}> ; ng:evidence <{ev_fi}> .
{f('mention', '2')} a ng:Mention ; ng:refersTo ngid:country/SE ; ng:surfaceForm "Zweden" ; ng:inLetter <{L}> ; ng:evidence <{ev_se}> .
{f('mention', '3')} a ng:Mention ; ng:refersTo ngid:country/RU ; ng:surfaceForm "Russische" ; ng:inLetter <{L}> ; ng:evidence <{ev_ru}> .
{f('stance', '1')} a ng:Stance ; ng:holder ngid:country/NL ; ng:target ngid:topic/china ;
    ng:polarity ng:concern ; ng:modality ng:stated ; ng:negated false ; ng:cue "van mening" ;
    ng:meeting <{M}> ; dcterms:date "2022-05-14"^^xsd:date ; ng:inLetter <{L}> ; ng:evidence <{ev_st}> .
{f('stance', '2')} a ng:Stance ; ng:holder ngid:country/NL ; ng:target ngid:topic/enlargement ;
    ng:polarity ng:support ; ng:modality ng:conditional ; ng:negated false ; ng:cue "constructief opstellen" ;
    ng:meeting <{M}> ; dcterms:date "2022-05-14"^^xsd:date ; ng:inLetter <{L}> ; ng:evidence <{ev_en}> .
{t1}{t2}{t3}{t4}{t5}{t6}"""


def report_ttl() -> str:
    d, t = REPORT_DOC, REPORT_TEXT
    L = vocab.letter_iri(d)
    M = vocab.meeting_iri(FMM)
    k404 = vocab.official_iri("kst-28676-404")
    k394 = vocab.official_iri("kst-28676-394")
    ev_meet, t1 = _ev(d, t, "Op 14 en 15 mei 2022 vond in Berlijn een informele bijeenkomst plaats")
    ev_fi, t2 = _ev(d, t, "Finland")
    ev_se, t3 = _ev(d, t, "Zweden")
    ev_st, t4 = _ev(d, t, "Nederland steunt een snelle toetreding van Finland en Zweden.")
    ev_cit, t5 = _ev(d, t, "Kamerstuk 28676, nr. 404")
    ev_mot, t6 = _ev(d, t, "De motie van het lid Van Haga (Kamerstuk 28676, nr. 394)")
    ev_ua, t7 = _ev(d, t, "Oekraïne")
    f = lambda kind, local: f"<{vocab.fact_iri(d, kind, local)}>"  # noqa: E731
    return f"""
<{L}> a ng:Letter ; dcterms:identifier "{d}" ;
    dcterms:title "Verslag van de informele NAVO ministeriële bijeenkomst van 14 en 15 mei 2022"@nl ;
    ng:letterKind "report" ; dcterms:date "2022-05-20"^^xsd:date ;
    ng:signatory ngid:person/hoekstra ; ng:primaryMeeting <{M}> ;
    ng:sourceFile "seeds/{d}.txt" ; ng:sha256 "{'b' * 64}" ; dcterms:references <{k404}> .
{_meeting_fmm()}
{f('meeting-ref', '1')} a ng:MeetingReference ; ng:meeting <{M}> ; ng:inLetter <{L}> ; ng:primary true ; ng:evidence <{ev_meet}> .
{f('participation', '1')} a ng:Participation ; ng:meeting <{M}> ; ng:participant ngid:country/FI ; ng:inLetter <{L}> ; ng:evidence <{ev_fi}> .
{f('participation', '2')} a ng:Participation ; ng:meeting <{M}> ; ng:participant ngid:country/SE ; ng:inLetter <{L}> ; ng:evidence <{ev_se}> .
{f('mention', '1')} a ng:Mention ; ng:refersTo ngid:country/FI ; ng:surfaceForm "Finland" ; ng:inLetter <{L}> ; ng:evidence <{ev_fi}> .
{f('mention', '2')} a ng:Mention ; ng:refersTo ngid:country/UA ; ng:surfaceForm "Oekraïne" ; ng:inLetter <{L}> ; ng:evidence <{ev_ua}> .
{f('stance', '1')} a ng:Stance ; ng:holder ngid:country/NL ; ng:target ngid:topic/enlargement ;
    ng:polarity ng:support ; ng:modality ng:stated ; ng:negated false ; ng:cue "steunt" ;
    ng:meeting <{M}> ; dcterms:date "2022-05-15"^^xsd:date ; ng:inLetter <{L}> ; ng:evidence <{ev_st}> .
{f('citation', '1')} a ng:Citation ; ng:cites <{k404}> ; ng:inLetter <{L}> ; ng:evidence <{ev_cit}> .
<{k404}> a ng:ParliamentaryDocument ; dcterms:identifier "kst-28676-404" ; ng:dossier "28676" ; ng:documentNumber "404" .
{f('motion', '1')} a ng:Motion ; ng:submitter ngid:person/van-haga ; ng:officialDocument <{k394}> ; ng:inLetter <{L}> ; ng:evidence <{ev_mot}> .
<{k394}> a ng:ParliamentaryDocument ; dcterms:identifier "kst-28676-394" ; ng:dossier "28676" ; ng:documentNumber "394" .
{t1}{t2}{t3}{t4}{t5}{t6}{t7}"""


def summit_ttl() -> str:
    d, t = SUMMIT_DOC, SUMMIT_TEXT
    L = vocab.letter_iri(d)
    M = vocab.meeting_iri(SUMMIT)
    ev_meet, t1 = _ev(d, t, "De NAVO-top vindt plaats in Madrid op 29 en 30 juni 2022.")
    ev_ru, t2 = _ev(d, t, "Russische")
    ev_st1, t3 = _ev(d, t, "Het kabinet maakt zich zorgen over de Russische dreiging.")
    ev_st2, t4 = _ev(d, t, "Nederland zal het nieuwe Strategisch Concept steunen.")
    f = lambda kind, local: f"<{vocab.fact_iri(d, kind, local)}>"  # noqa: E731
    return f"""
<{L}> a ng:Letter ; dcterms:identifier "{d}" ; dcterms:title "Geannoteerde agenda NAVO-top Madrid 2022"@nl ;
    ng:letterKind "annotated-agenda" ;
    ng:signatory ngid:person/hoekstra, ngid:person/ollongren ; ng:primaryMeeting <{M}> ;
    ng:sourceFile "seeds/{d}.txt" ; ng:sha256 "{'c' * 64}" .
<{M}> a ng:Meeting ; dcterms:identifier "{SUMMIT}" ; rdfs:label "NAVO-top Madrid 2022"@nl ;
    ng:meetingKind "summit" ; schema:startDate "2022-06-29"^^xsd:date ; schema:endDate "2022-06-30"^^xsd:date ;
    ng:year "2022"^^xsd:gYear ; schema:location ngid:city/madrid .
{f('meeting-ref', '1')} a ng:MeetingReference ; ng:meeting <{M}> ; ng:inLetter <{L}> ; ng:primary true ; ng:evidence <{ev_meet}> .
{f('mention', '1')} a ng:Mention ; ng:refersTo ngid:country/RU ; ng:surfaceForm "Russische" ; ng:inLetter <{L}> ; ng:evidence <{ev_ru}> .
{f('stance', '1')} a ng:Stance ; ng:holder ngid:country/NL ; ng:target ngid:country/RU ;
    ng:polarity ng:concern ; ng:modality ng:stated ; ng:negated false ; ng:cue "maakt zich zorgen" ;
    ng:meeting <{M}> ; ng:inLetter <{L}> ; ng:evidence <{ev_st1}> .
{f('stance', '2')} a ng:Stance ; ng:holder ngid:country/NL ; ng:target ngid:topic/strategic-concept ;
    ng:polarity ng:support ; ng:modality ng:intended ; ng:negated false ; ng:cue "zal ... steunen" ;
    ng:meeting <{M}> ; ng:inLetter <{L}> ; ng:evidence <{ev_st2}> .
ngid:initiative/strategisch-concept-2022 a ng:Initiative ; rdfs:label "Strategisch Concept 2022"@nl ;
    ng:discoveredIn <{L}> ; ng:evidence <{ev_st2}> .
{t1}{t2}{t3}{t4}"""


_PNAME = re.compile(r"(?<![<\w])(" + "|".join(vocab.PREFIXES) + r"):([A-Za-z0-9_\-./%]*[A-Za-z0-9_\-/%])")


def _expand(ttl: str) -> str:
    """Turtle does not allow '/' in local names (``ngid:country/NL``): write those as <IRI>."""
    return _PNAME.sub(lambda m: f"<{vocab.PREFIXES[m.group(1)]}{m.group(2)}>" if "/" in m.group(2) else m.group(0), ttl)


def _parse(ttl: str, graph: str) -> list[ox.Quad]:
    g = ox.NamedNode(graph)
    ttl = _expand(ttl)
    triples = ox.parse(PREFIX_BLOCK + ttl, format=ox.RdfFormat.TURTLE)
    return [ox.Quad(t.subject, t.predicate, t.object, g) for t in triples]


def fixture_graphs() -> dict[str, list[ox.Quad]]:
    """graph IRI -> quads, for three letters plus the catalogue and ontology graphs."""
    return {
        vocab.graph_iri(AGENDA_DOC): _parse(agenda_ttl(), vocab.graph_iri(AGENDA_DOC)),
        vocab.graph_iri(REPORT_DOC): _parse(report_ttl(), vocab.graph_iri(REPORT_DOC)),
        vocab.graph_iri(SUMMIT_DOC): _parse(summit_ttl(), vocab.graph_iri(SUMMIT_DOC)),
        vocab.CATALOGUE_GRAPH: _parse(CATALOGUE_TTL, vocab.CATALOGUE_GRAPH),
        vocab.ONTOLOGY_GRAPH: _parse(ONTOLOGY_TTL, vocab.ONTOLOGY_GRAPH),
    }


def fixture_meta(graph: str) -> dict:
    from navograph.store import letter_of_graph

    doc = letter_of_graph(graph)
    if doc is None:
        return {"source": "ontology/"}
    return {"letter": doc, "source": f"seeds/{doc}.txt", "sha256": {"000": "a", "001": "b", "002": "c"}[doc[:3]] * 64}


def build_fixture_store(path: Path):
    """A read-write navograph Store at ``path`` filled with the fixture graphs."""
    from navograph.store import Store

    st = Store(path)
    for g, quads in fixture_graphs().items():
        st.replace_graph(g, quads, fixture_meta(g))
    return st


# -- process helpers shared by the serve/push tests ---------------------------------------

def oxigraph_bin() -> str:
    cand = Path(sys.executable).parent / "oxigraph"
    if cand.exists():
        return str(cand)
    found = shutil.which("oxigraph")
    if not found:
        raise RuntimeError("oxigraph server binary not found")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read()
                return
        except Exception as exc:  # noqa: BLE001
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} not up after {timeout}s: {last}")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
