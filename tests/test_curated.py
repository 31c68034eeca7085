"""The curated reference files: they parse, say what the sources say, and nothing more."""

from __future__ import annotations

import importlib.util
import re
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from mipex_kg.graph import iris
from mipex_kg.graph.namespaces import ID, sparql_prologue

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
COUNTRIES_CSV = SHARED / "data" / "reference" / "mipex-countries.csv"
DATA_README = SHARED / "data" / "README.md"
SEEDS = SHARED / "seeds"

CURATED = sorted(r.name for r in files("mipex_kg.loaders.curated").iterdir()
                 if r.name.endswith(".ttl"))


def curated_store() -> ox.Store:
    """The curated files alone (no ontology, no validation), each in its own named graph."""
    store = ox.Store()
    for name in CURATED:
        data = files("mipex_kg.loaders.curated").joinpath(name).read_bytes()
        store.load(data, ox.RdfFormat.TURTLE, base_iri=ID,
                   to_graph=iris.named_graph(f"curated/{name[:-4]}"))
    return store


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return curated_store()


def select(store: ox.Store, query: str, **bindings: ox.NamedNode) -> list[dict[str, str]]:
    """Rows of a SELECT over the union of the curated graphs, as plain strings.

    ``bindings`` are bound in a trailing VALUES block, written from the terms
    themselves (never by pasting text into the query).
    """
    if bindings:
        names = " ".join(f"?{k}" for k in bindings)
        terms = " ".join(str(v) for v in bindings.values())
        query = f"{query}\nVALUES ({names}) {{ ({terms}) }}"
    result = store.query(sparql_prologue() + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def node(path: str) -> ox.NamedNode:
    return ox.NamedNode(ID + path)


def seed_text() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"the seed texts are not in {SEEDS}")
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))


# -- every file ------------------------------------------------------------------------


def test_the_curated_files_are_there() -> None:
    assert {"countries.ttl", "evidence.ttl", "organisations.ttl", "regions.ttl",
            "systems.ttl"} <= set(CURATED)


@pytest.mark.parametrize("name", CURATED)
def test_file_parses_with_rdflib_and_oxigraph(name: str) -> None:
    data = files("mipex_kg.loaders.curated").joinpath(name).read_bytes()
    graph = rdflib.Graph().parse(data=data, format="turtle")
    assert len(graph) > 0
    quads = list(ox.parse(data, ox.RdfFormat.TURTLE, base_iri=ID))
    assert len(quads) == len(graph)


def test_every_file_is_its_own_named_graph(store: ox.Store) -> None:
    graphs = sorted(g.value for g in store.named_graphs())
    assert graphs == [f"https://w3id.org/mipex-kg/graph/curated/{n[:-4]}" for n in CURATED]


def test_no_blank_nodes(store: ox.Store) -> None:
    """Every resource has an IRI, so every fact can be linked to and cited."""
    assert not any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
                   for q in store)


# -- the claims of the seeds, as data ----------------------------------------------------


def test_basque_country_scored_77_on_mipex_r_with_its_source(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?score ?status ?unit ?period ?dataset ?structure ?article ?title ?seed WHERE {
          ?obs a qb:Observation ; mkg:jurisdiction ?j ; mkg:indicator ?i ; mkg:score ?score ;
               mkg:refPeriod ?period ; sdmx-attribute:obsStatus ?status ;
               sdmx-attribute:unitMeasure ?unit ; qb:dataSet ?dataset ;
               prov:wasDerivedFrom ?article .
          ?dataset a qb:DataSet ; qb:structure ?structure .
          ?article a mkg:Publication ; dct:title ?title ; dct:source ?seed .
          ?i a mkg:OverallIndicator ; skos:inScheme ?system .
        }""", j=node("region/ES21"), system=node("system/mipex-r"))
    assert len(rows) == 1
    row = rows[0]
    assert Decimal(row["score"]) == Decimal(77)
    assert row["status"] == ID + "status/reported"
    assert row["unit"] == ID + "unit/points-0-100"
    # One data set per publication, citing it (Data Cube IC-12 across publications).
    assert row["dataset"] == ID + "dataset/reported/integration-diverse-basque-country-mipex-r"
    assert select(store, "SELECT ?s WHERE { ?d a mkg:ReportedDataSet ; dct:source ?s }",
                  d=node("dataset/reported/integration-diverse-basque-country-mipex-r")) == [
        {"s": row["article"]}]
    assert row["structure"] == ID + "dsd/mipex-scores"
    assert row["article"] == ID + "publication/integration-diverse-basque-country-mipex-r"
    assert row["title"] == ("Integration in a diverse Basque Country: "
                            "Using MIPEX-R to Evaluate Basque Policies")
    assert row["seed"] == ID + "source-text/mipex-in-use"
    # The source gives no year, and none is invented.
    assert row["period"] == ID + "period/not-stated"
    assert not select(store, "SELECT ?y WHERE { ?p mkg:year ?y }", p=node("period/not-stated"))


def test_the_score_is_an_xsd_decimal(store: ox.Store) -> None:
    scores = [q.object for q in store.quads_for_pattern(
        None, ox.NamedNode("https://w3id.org/mipex-kg/def#score"), None)]
    assert scores and all(s.datatype.value.endswith("#decimal") for s in scores)


def test_vienna_ranked_above_the_basque_country(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?rank ?above ?aboveName ?source WHERE {
          ?r a mkg:RankingStatement ; mkg:subject ?j ; mkg:system ?system ; mkg:rank ?rank ;
             mkg:surpassedBy ?above ; dct:source ?source .
          ?above skos:prefLabel ?aboveName .
        }""", j=node("region/ES21"), system=node("system/mipex-r"))
    assert rows == [{"rank": "2", "above": ID + "region/AT13", "aboveName": "Vienna",
                     "source": ID + "publication/integration-diverse-basque-country-mipex-r"}]
    first = select(store, "SELECT ?j WHERE { ?r a mkg:RankingStatement ; mkg:subject ?j ; "
                          "mkg:system ?system ; mkg:rank 1 }", system=node("system/mipex-r"))
    assert first == [{"j": ID + "region/AT13"}]


def test_areas_to_improve(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?area ?label WHERE { ?a a mkg:Assessment ; mkg:subject ?j ;
          mkg:areaToImprove ?area . ?area skos:prefLabel ?label }""", j=node("region/ES21"))
    assert rows == [{"area": ID + "indicator/mipex-r/area-housing", "label": "housing"}]
    texts = {r["t"] for r in select(store, "SELECT ?t WHERE { ?a mkg:subject ?j ; "
                                           "mkg:areaToImproveText ?t }", j=node("region/ES21"))}
    assert texts == {"housing", "social support", "collaborative governance"}


MIPEX_R_AXES = {
    "policy areas": ["antidiscrimination", "culture and religion", "education", "healthcare",
                     "housing", "labour market", "language", "social security and assistance"],
    "governance system": ["actions", "actors and relations", "resources"],
    "governance process": ["evaluation", "formulation", "implementation", "policy output"],
    "target population": ["Beneficiaries of International Protection", "Third Country Nationals"],
}


def test_mipex_r_has_four_axes_of_8_3_4_2_concepts(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?axisName ?label WHERE {
          ?axis a mkg:ClassificationAxis ; mkg:axisOf ?system ; skos:prefLabel ?axisName ;
                skos:member ?c .
          ?c a skos:Concept ; skos:inScheme ?system ; skos:prefLabel ?label .
        }""", system=node("system/mipex-r"))
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["axisName"], []).append(row["label"])
    assert {k: sorted(v) for k, v in found.items()} == MIPEX_R_AXES
    assert [len(found[a]) for a in MIPEX_R_AXES] == [8, 3, 4, 2]


def test_mipex_r_concepts_are_in_exactly_one_scheme(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?c (COUNT(?s) AS ?n) WHERE { ?c skos:inScheme ?s . FILTER(STRSTARTS(STR(?c),
          "https://w3id.org/mipex-kg/id/indicator/mipex-r/")) } GROUP BY ?c""")
    assert len(rows) == 18  # 17 axis concepts + the overall score
    assert {r["n"] for r in rows} == {"1"}


def test_mipex_r_labels_are_spelled_as_the_launch_text_spells_them(store: ox.Store) -> None:
    text = seed_text()
    labels = [r["l"] for r in select(store, "SELECT ?l WHERE { ?c skos:inScheme ?s ; "
                                            "skos:prefLabel ?l }", s=node("system/mipex-r"))]
    assert len(labels) == 18
    assert all(label in text for label in labels)


def test_mipex_r_areas_match_mipex_strands(store: ox.Store) -> None:
    rows = select(store, "SELECT ?r ?m WHERE { ?r skos:closeMatch ?m ; skos:inScheme ?s }",
                  s=node("system/mipex-r"))
    pairs = {(r["r"].rsplit("/", 1)[-1], r["m"].removeprefix(ID)) for r in rows}
    assert pairs == {("area-education", "indicator/mipex/c"),
                     ("area-healthcare", "indicator/mipex/h"),
                     ("area-labour-market", "indicator/mipex/a"),
                     ("area-antidiscrimination", "indicator/mipex/g")}


def test_systems_their_levels_and_lineage(store: ox.Store) -> None:
    rows = select(store, """
        SELECT ?s ?level ?from WHERE { ?s a mkg:IndicatorSystem .
          OPTIONAL { ?s mkg:level ?level } OPTIONAL { ?s mkg:adaptedFrom ?from } }""")
    got = {r["s"].removeprefix(ID + "system/"): (r["level"] and r["level"].split("#")[1],
                                                 r["from"] and r["from"].removeprefix(ID))
           for r in rows}
    assert got == {
        "mipex": ("NationalLevel", None),
        # the 2015 edition's instrument, replaced by the 2020 one (not adapted from it)
        "mipex-2015": ("NationalLevel", None),
        "mipex-r": ("RegionalLevel", "system/mipex"),
        "mipex-l": ("LocalLevel", "system/mipex"),
        # The seed lists it among research that uses MIPEX, not as adapted from it.
        "child-centred-integration-indicators": (None, None),
        "education-equity-southern-spain": (None, "system/mipex"),
    }


def test_who_built_mipex_r(store: ox.Store) -> None:
    rows = select(store, """SELECT ?project ?creator WHERE {
        ?s prov:wasGeneratedBy ?project ; dct:creator ?creator }""", s=node("system/mipex-r"))
    assert {(r["project"], r["creator"]) for r in rows} == {
        (ID + "project/regin", ID + "organisation/cidob"),
        (ID + "project/regin", ID + "organisation/mpg")}
    launch = select(store, "SELECT ?d WHERE { ?s foaf:page ?w . ?w dct:issued ?d }",
                    s=node("system/mipex-r"))
    assert launch == [{"d": "2022-05-10"}]


def test_system_counts(store: ox.Store) -> None:
    rows = select(store, """SELECT ?s ?p ?n WHERE { ?s ?p ?n .
        FILTER(STRSTARTS(STR(?p), "https://w3id.org/mipex-kg/def#numberOf")) }""")
    got = {(r["s"].removeprefix(ID + "system/"), r["p"].split("#numberOf")[1], int(r["n"]))
           for r in rows}
    assert got == {("mipex", "Jurisdictions", 56), ("mipex", "PolicyAreas", 8),
                   ("mipex-2015", "Indicators", 167), ("mipex-2015", "Jurisdictions", 38),
                   ("mipex-2015", "PolicyAreas", 8),
                   ("mipex-r", "Indicators", 61), ("mipex-r", "Jurisdictions", 25),
                   ("child-centred-integration-indicators", "OutcomeIndicators", 14),
                   ("child-centred-integration-indicators", "ContextualIndicators", 16)}


def test_no_funding_or_grant_is_asserted(store: ox.Store) -> None:
    """The seeds do not say who funded REGIN or Whole-COMM."""
    funding = select(store, """SELECT ?p ?o WHERE { ?p ?pred ?o .
        FILTER(?pred IN (eurio:identifier, eurio:isFundedBy, eurio:hasFundingAmount)) }""")
    assert funding == []
    comments = select(store, "SELECT ?p ?c WHERE { ?p a mkg:ResearchProject ; rdfs:comment ?c }")
    assert {r["p"] for r in comments} == {ID + "project/regin", ID + "project/whole-comm"}
    assert all("not stated by the cited sources" in r["c"] for r in comments)


def test_editions_cite_and_state_rights_without_a_licence(store: ox.Store) -> None:
    rows = select(store, """SELECT ?e ?citation ?rights WHERE { ?e a mkg:Edition ;
        dct:bibliographicCitation ?citation ; dct:rights/rdfs:label ?rights }""")
    assert {r["e"].removeprefix(ID) for r in rows} == {"edition/mipex-2020",
                                                       "edition/mipex-2025-eu",
                                                       "edition/mipex-2015"}
    citations = {r["e"]: r["citation"] for r in rows}
    assert citations[ID + "edition/mipex-2020"] == (
        "Solano, G. & Huddleston, T. (2020) Migrant Integration Policy Index 2020, CIDOB and MPG")
    assert citations[ID + "edition/mipex-2015"] == (
        "Huddleston, T., Bilgili, O., Joki, A.-L. & Vankova, Z. (2015) Migrant Integration "
        "Policy Index 2015, CIDOB and MPG")
    assert select(store, "SELECT ?l WHERE { ?e dct:license ?l }") == []
    if DATA_README.is_file():
        readme = " ".join(DATA_README.read_text(encoding="utf-8").split())
        statement = re.search(r"Licence: .*?do not redistribute it\.", readme)
        assert statement is not None
        assert {r["rights"] for r in rows} == {statement.group(0)}


def test_every_fact_names_its_source(store: ox.Store) -> None:
    """Everything described from a source text says which one."""
    unsourced = select(store, """SELECT ?x WHERE {
        VALUES ?kind { org:Organization mkg:ResearchProject mkg:IndicatorSystem mkg:Region
                       mkg:RankingStatement mkg:Assessment mkg:Publication foaf:Document
                       mkg:ClassificationAxis }
        ?x a ?kind .
        FILTER NOT EXISTS { ?x dct:source ?s }
        FILTER(!STRSTARTS(STR(?x), "https://w3id.org/mipex-kg/id/source-text/")) }""")
    assert unsourced == []
    underived = select(store, "SELECT ?o WHERE { ?o a qb:Observation "
                              "FILTER NOT EXISTS { ?o prov:wasDerivedFrom ?p } }")
    assert underived == []
    unknown = select(store, """SELECT ?x ?s WHERE { ?x dct:source ?s .
        FILTER NOT EXISTS { ?s a ?type } }""")
    assert unknown == []


def test_quotations_and_titles_are_word_for_word(store: ox.Store) -> None:
    text = seed_text()
    quotes = [r["q"] for r in select(store, "SELECT DISTINCT ?q WHERE { ?x mkg:quotation ?q }")]
    assert len(quotes) == 2
    titles = [r["t"] for r in select(store, "SELECT ?t WHERE { ?p a mkg:Publication ; "
                                            "dct:title ?t }")]
    assert len(titles) == 6
    for value in quotes + [t for t in titles if not t.startswith("[")]:
        assert value in text, value


def test_seed_texts_are_publications(store: ox.Store) -> None:
    rows = select(store, "SELECT ?t ?d WHERE { ?s a mkg:Publication ; dct:title ?t . "
                         "OPTIONAL { ?s dct:date ?d } }",
                  s=node("source-text/mipex-r-website-launch"))
    assert rows == [{"t": "New website offers open-source access to migrant integration "
                          "governance data on a regional level", "d": "2022-05-10"}]
    assert select(store, "SELECT ?d WHERE { ?s dct:date ?d }",
                  s=node("source-text/mipex-in-use")) == []


def test_publications_use_and_adapt_systems(store: ox.Store) -> None:
    rows = select(store, """SELECT ?p ?how ?s WHERE { ?p ?how ?s .
        FILTER(?how IN (mkg:usesSystem, mkg:adaptsSystem)) }""")
    got = {(r["p"].removeprefix(ID + "publication/"), r["how"].split("#")[1],
            r["s"].removeprefix(ID + "system/")) for r in rows}
    assert got == {
        ("education-equity-southern-spain", "adaptsSystem", "mipex"),
        ("child-centred-integration-indicators", "usesSystem", "mipex"),
        ("production-of-evidence-migrant-integration-policy-eu", "usesSystem", "mipex"),
        ("integration-diverse-basque-country-mipex-r", "usesSystem", "mipex-r"),
    }


def test_organisations(store: ox.Store) -> None:
    rows = select(store, """SELECT ?o ?name ?alt ?place WHERE { ?o a org:Organization,
        foaf:Organization ; foaf:name ?name ; skos:altLabel ?alt ; mkg:locality ?place }""")
    assert {(r["o"].removeprefix(ID), r["name"], r["alt"], r["place"]) for r in rows} == {
        ("organisation/mpg", "Migration Policy Group", "MPG", "Brussels"),
        ("organisation/cidob", "Barcelona Centre for International Affairs", "CIDOB",
         "Barcelona")}


# -- jurisdictions -----------------------------------------------------------------------


def test_56_countries(store: ox.Store) -> None:
    rows = select(store, "SELECT ?c WHERE { ?c a mkg:Country }")
    assert len(rows) == 56


def test_country_codes(store: ox.Store) -> None:
    rows = select(store, """SELECT ?iso2 ?iso3 ?num ?mipex ?eu ?wd ?label WHERE {
        ?c a mkg:Country ; mkg:isoAlpha2 ?iso2 ; mkg:isoAlpha3 ?iso3 ; skos:notation ?iso3 ;
           mkg:isoNumeric ?num ; mkg:mipexCode ?mipex ; skos:exactMatch ?eu ; owl:sameAs ?wd ;
           skos:prefLabel ?label }""")
    by_iso3 = {r["iso3"]: r for r in rows}
    assert len(by_iso3) == len(rows) == 56
    assert by_iso3["GBR"]["mipex"] == "UK" and by_iso3["GBR"]["iso2"] == "GB"
    assert by_iso3["TUR"]["mipex"] == "TU"
    assert by_iso3["AUT"]["num"] == "040"
    assert by_iso3["NLD"]["wd"] == "http://www.wikidata.org/entity/Q55"
    assert by_iso3["SWE"]["eu"] == "http://publications.europa.eu/resource/authority/country/SWE"


def test_regions(store: ox.Store) -> None:
    rows = select(store, """SELECT ?code ?country ?nuts ?level WHERE { ?r a mkg:Region ;
        skos:notation ?code ; mkg:partOf ?country ; skos:exactMatch ?nuts ; mkg:nutsLevel ?level .
        ?country a mkg:Country }""")
    got = {r["code"]: (r["country"].removeprefix(ID + "country/"), r["nuts"], int(r["level"]))
           for r in rows}
    assert len(got) == len(rows) == 8
    for code, (_, nuts, _) in got.items():
        assert nuts == f"http://data.europa.eu/nuts/code/{code}"
    assert {c: (country, level) for c, (country, _, level) in got.items()} == {
        "ES21": ("ESP", 2), "AT13": ("AUT", 2), "PT20": ("PRT", 2), "ITF3": ("ITA", 2),
        "ES51": ("ESP", 2), "ES62": ("ESP", 2), "ITF4": ("ITA", 2), "SE224": ("SWE", 3)}
    partners = select(store, "SELECT ?r WHERE { ?r mkg:partnerRegionOf ?p }",
                      p=node("project/regin"))
    assert {r["r"].removeprefix(ID + "region/") for r in partners} == {
        "PT20", "ITF3", "ES51", "ES62", "ITF4", "SE224"}


# -- countries.ttl is the CSV, regenerated ----------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_countries_ttl",
                                                  ROOT / "scripts" / "make_countries_ttl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    if not COUNTRIES_CSV.is_file():
        pytest.skip(f"the country table is not at {COUNTRIES_CSV}")
    return _generator().read_rows(COUNTRIES_CSV)


def test_countries_ttl_is_what_the_script_makes_from_the_csv(
    csv_rows: list[dict[str, str]],
) -> None:
    curated = files("mipex_kg.loaders.curated").joinpath("countries.ttl").read_text("utf-8")
    generated = _generator().render(COUNTRIES_CSV)
    assert isomorphic(rdflib.Graph().parse(data=curated, format="turtle"),
                      rdflib.Graph().parse(data=generated, format="turtle"))
    assert curated == generated, "rerun scripts/make_countries_ttl.py"


def test_countries_match_the_csv_row_by_row(
    store: ox.Store, csv_rows: list[dict[str, str]],
) -> None:
    assert len(csv_rows) == 56
    for row in csv_rows:
        iso3 = row["iso_alpha3"]
        got = select(store, """SELECT ?iso2 ?num ?mipex ?eu ?wd WHERE { ?c a mkg:Country ;
            mkg:isoAlpha2 ?iso2 ; mkg:isoNumeric ?num ; mkg:mipexCode ?mipex ;
            skos:exactMatch ?eu ; owl:sameAs ?wd }""", c=node(f"country/{iso3}"))
        qid = "Q55" if iso3 == "NLD" else row["wikidata_qid"]
        assert got == [{"iso2": row["iso_alpha2"], "num": row["iso_numeric"],
                        "mipex": row["mipex_sheet_code"], "eu": row["eu_country_authority_iri"],
                        "wd": f"http://www.wikidata.org/entity/{qid}"}], iso3


def test_edition_coverage_matches_the_csv(store: ox.Store, csv_rows: list[dict[str, str]]) -> None:
    for column, edition, count in (("in_mipex_2007_2019_file", "mipex-2020", 56),
                                   ("in_mipex_eu_2020_2024_file", "mipex-2025-eu", 28)):
        got = {r["c"].removeprefix(ID + "country/") for r in select(
            store, "SELECT ?c WHERE { ?e dct:spatial ?c }", e=node(f"edition/{edition}"))}
        expected = {r["iso_alpha3"] for r in csv_rows if r[column] == "True"}
        assert got == expected and len(got) == count
