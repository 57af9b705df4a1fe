"""The entity catalogue and the topic scheme (ontology/catalogue.ttl, ontology/topics.ttl)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from navograph import ontology_dir, project_dir
from navograph.catalogue import CatalogueError, SurfaceForm, is_acronym, load_catalogue
from navograph.model import ENTITY_KINDS
from navograph.vocab import entity_iri

GOLD = project_dir() / "gold"

NATO_32 = set("AL BE BG CA HR CZ DK EE FI FR DE GR HU IS IT LV LT LU ME NL MK NO PL PT RO SK SI ES SE TR GB US".split())
EU_27 = set("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())

# Key rules of gold/GUIDELINE.md ("Keys"), per kind.
KEY_RULES = {
    "country": r"[A-Z]{2}",
    "organisation": r"[A-Z0-9][A-Z0-9-]*",
    "group": r"[A-Z0-9][A-Z0-9-]*",
    "initiative": r"[A-Z0-9][A-Z0-9-]*",
    "person": r"[a-z]+(-[a-z]+)*",
    "role": r"[a-z0-9]+(-[a-z0-9]+)*",
    "topic": r"[a-z0-9]+(-[a-z0-9]+)*",
    "city": r"[a-z0-9]+(-[a-z0-9]+)*",
}

# Surface forms that legitimately name more than one entity; the NLP layer must decide
# from context. Anything else that is ambiguous is a catalogue error.
ALLOWED_AMBIGUITIES = {
    "Luxemburg": {("country", "LU"), ("city", "luxembourg")},
    "Luxembourg": {("country", "LU"), ("city", "luxembourg")},
}
# Keys shared by two kinds (different IRIs, same key): the European Commission keeps the
# guideline's key EC, Ecuador its ISO code EC.
ALLOWED_KEY_CLASHES = {"EC": ("organisation", "country")}


@pytest.fixture(scope="module")
def cat():
    return load_catalogue()


def _gold_files():
    return sorted(GOLD.glob("*.yaml"))


def _key(value) -> str:
    # YAML 1.1 reads an unquoted NO (Norway) as False; the gold quotes it, but be safe.
    if value is False:
        return "NO"
    return str(value)


# --------------------------------------------------------------------------- loading
def test_catalogue_loads_every_kind(cat):
    for kind in ENTITY_KINDS:
        assert cat.by_kind(kind), f"no {kind} in the catalogue"
    assert len(cat.topics) >= 31
    assert all(e.kind == "topic" for e in cat.topics.values())
    assert all(e.kind != "topic" for e in cat.entities.values())


def test_load_is_cached_and_default_dir(cat):
    assert load_catalogue() is cat
    assert load_catalogue(ontology_dir()) is cat


def test_every_entity_has_labels_in_both_languages(cat):
    for ent in cat.all_entities():
        assert ent.label_nl and ent.label_en, f"{ent.kind} {ent.key} lacks a prefLabel @nl or @en"


def test_countries_are_complete(cat):
    countries = {e.key for e in cat.by_kind("country")}
    # 193 UN members + Kosovo, Palestine, Taiwan, Vatican City
    assert len(countries) == 197
    assert {"XK", "PS", "TW", "VA", "NL", "UA", "RU", "CN", "KP", "KR", "SS", "TL"} <= countries


def test_exactly_32_nato_members(cat):
    flagged = {e.key for e in cat.by_kind("country") if e.key in cat.nato_members}
    assert flagged == NATO_32
    assert len(cat.nato_members) == 32


def test_exactly_27_eu_members(cat):
    assert set(cat.eu_members) == EU_27


def test_keys_follow_guideline_rules(cat):
    for ent in cat.all_entities():
        assert re.fullmatch(KEY_RULES[ent.kind], ent.key), f"{ent.kind} key {ent.key!r} breaks the key rule"


def test_key_clashes_are_only_the_known_ones(cat):
    assert cat.clashes == ALLOWED_KEY_CLASHES
    # get() without a kind prefers the organisation; with a kind it is exact
    assert cat.get("EC").kind == "organisation"
    assert cat.get("EC", "country").label_en == "Ecuador"
    assert cat.get("EC", "organisation").label_nl == "Europese Commissie"


def test_gold_keys_exist_in_catalogue(cat):
    files = _gold_files()
    assert files, "no gold files found"
    missing = []
    for path in files:
        gold = yaml.safe_load(path.read_text(encoding="utf-8"))
        for category, keys in (gold.get("mentions") or {}).items():
            for key in keys or []:
                if _key(key) not in cat:
                    missing.append(f"{path.name}: mention {category} {key}")
        for st in gold.get("stances") or []:
            for field in ("holder", "target"):
                if _key(st[field]) not in cat:
                    missing.append(f"{path.name}: stance {field} {st[field]}")
        for key in gold.get("participants") or []:
            if _key(key) not in cat:
                missing.append(f"{path.name}: participant {key}")
        for key in gold.get("signatories") or []:
            if cat.get(_key(key), "person") is None:
                missing.append(f"{path.name}: signatory {key}")
        for m in gold.get("meetings") or []:
            if m.get("city") and cat.get(m["city"], "city") is None:
                missing.append(f"{path.name}: meeting city {m['city']}")
    assert not missing, "\n".join(missing)


def test_gold_mention_categories_match_kinds(cat):
    category_kind = {"countries": "country", "organisations": "organisation", "groups": "group",
                     "initiatives": "initiative", "persons": "person"}
    for path in _gold_files():
        gold = yaml.safe_load(path.read_text(encoding="utf-8"))
        for category, keys in (gold.get("mentions") or {}).items():
            for key in keys or []:
                assert cat.get(_key(key), category_kind[category]) is not None, f"{path.name}: {category} {key}"


def test_guideline_topics_are_in_the_scheme(cat):
    text = (GOLD / "GUIDELINE.md").read_text(encoding="utf-8")
    section = text.split("## Topics", 1)[1]
    keys = [k for k in re.findall(r"^\| ([a-z][a-z0-9-]+) \|", section, flags=re.M) if k != "topic"]
    assert len(keys) >= 31
    assert set(keys) <= set(cat.topics)


# --------------------------------------------------------------------------- content
@pytest.mark.parametrize("adjective,key", [
    ("Russische", "RU"), ("Russisch", "RU"), ("Oekraïense", "UA"), ("Oekraïens", "UA"),
    ("Finse", "FI"), ("Fins", "FI"), ("Zweedse", "SE"), ("Zweeds", "SE"),
    ("Nederlandse", "NL"), ("Amerikaanse", "US"), ("Britse", "GB"), ("Zuid-Koreaanse", "KR"),
])
def test_adjectives_map_to_countries(cat, adjective, key):
    hits = {(sf.kind, sf.key) for sf in cat.surface_forms() if sf.text == adjective and sf.form_type == "adjective"}
    assert hits == {("country", key)}


@pytest.mark.parametrize("alias,kind,key", [
    ("Nieuw Zeeland", "country", "NZ"), ("Nieuw-Zeeland", "country", "NZ"),
    ("Zuid Korea", "country", "KR"), ("Zuid-Korea", "country", "KR"),
    ("Bosnië en Herzegovina", "country", "BA"), ("Bosnië-Herzegovina", "country", "BA"),
    ("VS", "country", "US"), ("Verenigde Staten", "country", "US"), ("Amerika", "country", "US"),
    ("VK", "country", "GB"), ("Türkiye", "country", "TR"),
    ("NAVO", "organisation", "NATO"), ("VN", "organisation", "UN"), ("OVSE", "organisation", "OSCE"),
    ("Noord-Atlantische Raad", "organisation", "NAC"), ("Nuclear Planning Group", "organisation", "NPG"),
    ("uw Kamer", "organisation", "TK"), ("OESO", "organisation", "OECD"),
    ("Asia Pacific Four", "group", "AP4"), ("Asia-Pacific 4", "group", "AP4"), ("Benelux-landen", "group", "BENELUX"),
    ("bondgenoten", "group", "ALLIES"), ("Noordse landen", "group", "NORDICS"),
    ("SG NAVO", "role", "nato-sg"), ("EUHV", "role", "eu-hr"), ("Hoge Vertegenwoordiger van de EU", "role", "eu-hr"),
    ("SACEUR", "role", "saceur"),
    ("Van Haga", "person", "van-haga"), ("W.B. Hoekstra", "person", "hoekstra"),
    ("Strategisch Concept", "initiative", "STRATEGIC-CONCEPT"), ("Strategische Concept", "initiative", "STRATEGIC-CONCEPT"),
    ("NAVO2030", "initiative", "NATO2030"), ("NATO Russia Founding Act", "initiative", "NATO-RUSSIA-FOUNDING-ACT"),
    ("Comprehensive Cyber Defence Policy Action Plan", "initiative", "CYBER-DEFENCE-ACTION-PLAN"),
    ("EDT’s", "initiative", "EDT"), ("SNMG I", "initiative", "SNMG1"), ("eFP", "initiative", "EFP"),
    ("Defense Investment Pledge", "initiative", "DIP"), ("European Peace Facility", "initiative", "EPF"),
    ("Berlijn", "city", "berlin"), ("Boekarest", "city", "bucharest"), ("Brussel", "city", "brussels"),
    ("Den Haag", "city", "the-hague"), ("Kiev", "city", "kyiv"), ("Boetsja", "city", "bucha"),
])
def test_surface_forms(cat, alias, kind, key):
    hits = {(sf.kind, sf.key) for sf in cat.surface_forms() if sf.text == alias}
    assert (kind, key) in hits


def test_het_bondgenootschap_is_not_a_nato_alias(cat):
    assert "het bondgenootschap" not in cat.get("NATO").aliases
    assert not [sf for sf in cat.surface_forms() if sf.text.lower() in ("bondgenootschap", "het bondgenootschap")]


def test_surface_form_types(cat):
    forms = {(sf.text, sf.key): sf.form_type for sf in cat.surface_forms()}
    assert forms[("NAVO", "NATO")] == "acronym"
    assert forms[("Finland", "FI")] == "label"
    assert forms[("Nieuw Zeeland", "NZ")] == "alias"
    assert forms[("Finse", "FI")] == "adjective"
    assert forms[("EDT's", "EDT")] == "acronym"
    assert all(isinstance(sf, SurfaceForm) and sf.form_type in {"label", "alias", "adjective", "acronym"}
               for sf in cat.surface_forms())
    assert is_acronym("AP4") and is_acronym("eFP") and not is_acronym("Benelux") and not is_acronym("SG NAVO")


def test_no_unexpected_ambiguous_surface_forms(cat):
    assert cat.ambiguous_surface_forms() == ALLOWED_AMBIGUITIES


def test_ap4_members(cat):
    ap4 = cat.get("AP4", "group")
    assert set(ap4.members) == {"AU", "JP", "NZ", "KR"} and len(ap4.members) == 4


def test_group_members_are_countries(cat):
    for grp in cat.by_kind("group"):
        assert grp.members, f"group {grp.key} has no members"
        for m in grp.members:
            assert cat.get(m, "country") is not None, f"group {grp.key}: unknown member {m}"
    assert set(cat.members("ALLIES")) == NATO_32
    assert set(cat.members("BENELUX")) == {"BE", "NL", "LU"}
    assert set(cat.members("NORDICS")) == {"DK", "FI", "IS", "NO", "SE"}
    assert set(cat.members("BALTICS")) == {"EE", "LV", "LT"}


def test_cities_have_countries(cat):
    for city in cat.by_kind("city"):
        assert city.country and cat.get(city.country, "country"), f"city {city.key} lacks a known country"
    assert cat.city_country("berlin") == "DE"
    assert cat.city_country("wales") == "GB"
    assert "brussels" in cat.countries_with_cities()["BE"]


def test_persons_roles_and_nationalities(cat):
    assert cat.get("hoekstra").role == "minister-bz" and cat.get("hoekstra").country == "NL"
    assert cat.get("ollongren").role == "minister-defensie"
    assert cat.get("borrell").role == "eu-hr"
    assert cat.get("stoltenberg").role == "nato-sg"
    for p in cat.by_kind("person"):
        if p.role:
            assert cat.get(p.role, "role") is not None, f"{p.key}: unknown role {p.role}"
        if p.country:
            assert cat.get(p.country, "country") is not None


def test_wikidata_ids_are_well_formed(cat):
    ids = [e.wikidata for e in cat.all_entities() if e.wikidata]
    assert all(re.fullmatch(r"Q[1-9][0-9]*", i) for i in ids)
    assert cat.get("NL").wikidata == "Q55"
    dupes = {i for i in ids if ids.count(i) > 1}
    assert not dupes, f"one Wikidata id on several entities: {dupes}"


def test_topics_scheme(cat):
    assert cat.get("nato-arms-deliveries").broader == ("ukraine-support",)
    assert "resilience" in cat.get("critical-infrastructure").broader
    for key, topic in cat.topics.items():
        assert cat.topic_cues[key], f"topic {key} has no ng:cue"
        assert cat.topic_cue_lemmas[key], f"topic {key} has no ng:cueLemma"
        assert all(l == l.lower() for l in cat.topic_cue_lemmas[key])
        for b in topic.broader:
            assert b in cat.topics
    assert "steun aan Oekraïne" in cat.topic_cues["ukraine-support"]
    assert "afschrikking verdediging" in cat.topic_cue_lemmas["deterrence-defence"]


def test_topic_cues_are_not_copied_sentences(cat):
    for key, cues in cat.topic_cues.items():
        for cue in cues:
            assert len(cue.split()) <= 9, f"topic {key}: cue too long to be a general phrase: {cue!r}"


def test_entity_iris_are_valid(cat):
    for ent in cat.all_entities():
        assert " " not in entity_iri(ent.kind, ent.key)


# --------------------------------------------------------------------------- errors
def test_turtle_syntax_error_names_file_and_line(tmp_path: Path):
    for name in ("catalogue.ttl", "topics.ttl"):
        shutil.copy(ontology_dir() / name, tmp_path / name)
    bad = tmp_path / "catalogue.ttl"
    text = bad.read_text(encoding="utf-8").splitlines()
    text.insert(30, 'country:XX a ng:Country ; dcterms:identifier "XX" ;;; skos:prefLabel "oops .')
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(tmp_path)
    msg = str(exc.value)
    assert "catalogue.ttl" in msg and re.search(r"catalogue\.ttl:3[01]\b", msg), msg


def test_identifier_must_match_iri(tmp_path: Path):
    for name in ("catalogue.ttl", "topics.ttl"):
        shutil.copy(ontology_dir() / name, tmp_path / name)
    bad = tmp_path / "catalogue.ttl"
    bad.write_text(bad.read_text(encoding="utf-8").replace('dcterms:identifier "FI"', 'dcterms:identifier "FIN"'),
                   encoding="utf-8")
    with pytest.raises(CatalogueError, match="FIN"):
        load_catalogue(tmp_path)


def test_edit_invalidates_cache(tmp_path: Path):
    for name in ("catalogue.ttl", "topics.ttl"):
        shutil.copy(ontology_dir() / name, tmp_path / name)
    first = load_catalogue(tmp_path)
    assert first.get("ZZ") is None
    with open(tmp_path / "catalogue.ttl", "a", encoding="utf-8") as fh:
        fh.write('\ncountry:ZZ a ng:Country ; dcterms:identifier "ZZ" ;\n'
                 '    skos:prefLabel "Zedland"@nl, "Zedland"@en ; ng:adjective "Zeds"@nl .\n')
    second = load_catalogue(tmp_path)
    assert second is not first
    assert second.get("ZZ", "country").adjectives == ("Zeds",)
