"""What the graph holds, counted live from the store, and what to do when scores are missing.

    overview = Overview.of(store)
    overview.editions          # each edition with its system, years and number of scores
    overview.has_scores        # False on a store with the reference data only
    overview.missing_data_hint # the sentence the command line, the landing page and
                               # the API's errors show when no workbook is loaded

The landing page shows the counts; ``serve`` prints the loaded editions at start-up;
the REST routes add the hint to their "unknown ..." errors, so a user who started
the service without the workbooks learns why from the first answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from mipex_kg.graph.store import KnowledgeStore

#: The sentence that tells how to get the scores into the store.
MISSING_DATA_HINT = (
    "No MIPEX workbook is loaded: the store holds the reference data only (systems, "
    "jurisdictions, projects, publications), no scores. Start the service with the workbooks: "
    "`MIPEX_KG_DATA_DIR=/path/to/workbooks mipex-kg serve` (a folder holding "
    "mipex_core_2007-2019.xlsx and mipex_EU_2020-2024.xlsx), or `mipex-kg serve --fetch` "
    "to download them from mipex.eu on a machine with internet access."
)

_EDITIONS = """
SELECT ?edition ?title ?system ?systemName (COUNT(?o) AS ?scores) (MIN(?year) AS ?first)
       (MAX(?year) AS ?last) (COUNT(DISTINCT ?j) AS ?jurisdictions) (SAMPLE(?c) AS ?citation)
WHERE {
  ?o qb:dataSet ?edition ; mkg:score ?score ; mkg:jurisdiction ?j ; mkg:refPeriod ?p .
  ?p mkg:year ?year .
  ?edition mkg:editionOf ?system .
  OPTIONAL { ?edition dct:title ?title }
  OPTIONAL { ?system skos:prefLabel ?systemName }
  OPTIONAL { ?edition dct:bibliographicCitation ?c }
}
GROUP BY ?edition ?title ?system ?systemName
ORDER BY ?system ?first ?edition
"""

_ANY_EDITION_SCORE = "ASK { ?o qb:dataSet ?edition ; mkg:score ?score . ?edition mkg:editionOf ?s }"


def scores_loaded(store: KnowledgeStore) -> bool:
    """Whether any edition of an indicator system has scores in the store (the workbooks
    are loaded); scores that publications report do not count."""
    return bool(store.query(_ANY_EDITION_SCORE))


_COUNTS = """
SELECT ?systems ?jurisdictions WHERE {
  { SELECT (COUNT(DISTINCT ?system) AS ?systems) WHERE { ?system a mkg:IndicatorSystem } }
  { SELECT (COUNT(DISTINCT ?j) AS ?jurisdictions)
    WHERE { ?j a/rdfs:subClassOf* mkg:Jurisdiction } }
}
"""


@dataclass(frozen=True)
class Edition:
    """One edition that has scores in the store."""

    iri: str
    title: str
    system: str
    system_name: str
    scores: int
    first_year: int
    last_year: int
    jurisdictions: int
    citation: str


@dataclass(frozen=True)
class Overview:
    """Counts of what the store holds."""

    systems: int
    jurisdictions: int
    editions: tuple[Edition, ...]

    @classmethod
    def of(cls, store: KnowledgeStore) -> Overview:
        counts = next(iter(store.query(_COUNTS)))
        editions = tuple(
            Edition(row["edition"].value, _text(row["title"]) or row["edition"].value,
                    row["system"].value, _text(row["systemName"]) or row["system"].value,
                    _int(row["scores"]), _int(row["first"]), _int(row["last"]),
                    _int(row["jurisdictions"]), _text(row["citation"]))
            for row in store.query(_EDITIONS))
        return cls(_int(counts["systems"]), _int(counts["jurisdictions"]), editions)

    @property
    def has_scores(self) -> bool:
        return bool(self.editions)

    @property
    def scores(self) -> int:
        return sum(e.scores for e in self.editions)

    @property
    def years(self) -> tuple[int, int] | None:
        if not self.editions:
            return None
        return min(e.first_year for e in self.editions), max(e.last_year for e in self.editions)

    def summary(self) -> str:
        """One line for the command line: the editions loaded, or the hint."""
        if not self.has_scores:
            return MISSING_DATA_HINT
        loaded = ", ".join(f"{e.iri.rsplit('/', 1)[-1]} ({e.first_year}-{e.last_year}, "
                           f"{e.scores:,} scores)" for e in self.editions)
        return f"Editions loaded: {loaded}."


def _text(term: ox.Literal | None) -> str:
    return term.value if isinstance(term, ox.Literal) else ""


def _int(term: ox.Literal | None) -> int:
    return int(term.value) if isinstance(term, ox.Literal) else 0
