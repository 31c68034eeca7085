"""RDF Data Cube integrity: the constraints IC-1 to IC-21 of the W3C Recommendation.

``check_cube(store)`` is what ``mipex-kg validate --cube`` runs. It follows the
specification (https://www.w3.org/TR/vocab-data-cube/ section 11):

1. **Normalisation first** (section 10): what the constraints read of the union of
   all graphs is copied into a scratch in-memory store (the store itself may be
   read-only and is never changed; see ``normalised_copy``),
   then phase 1 adds the implied types and ``qb:componentProperty`` links, and phase 2
   copies values attached at data-set, slice and measure-property level down to the
   observations (``NORMALISATION``).
2. **Each constraint** is one SPARQL query (``CONSTRAINTS``): the ASK of the
   specification turned into a SELECT that names every offending node, so the report
   lists each violation instead of a yes/no.

Where this deliberately differs from the text of the specification:

* **IC-12** (no two observations of a data set share all dimension values) is one
  aggregate query per data structure definition: ``GROUP BY`` the data set and the
  values of its dimensions, ``HAVING (COUNT(DISTINCT ?obs) > 1)``. The specification's
  formulation compares every pair of observations of a data set, which is quadratic
  (``IC12_PAIRWISE`` keeps it for comparison: ``ic12_pairwise``, and
  bench/bench_cube_ic12.py times both). Grouping compares
  terms, not values: two numerically equal literals spelt differently would not count
  as the same dimension value (the project's dimension values are IRIs).
* **IC-19** for a ``skos:Collection`` code list checks membership (``skos:member+``)
  without also requiring ``rdf:type skos:Concept`` on the value: the editor's own test
  fixtures (collection-complete.ttl) expect that to pass.
* **IC-20 / IC-21** are instantiated once per ``qb:parentChildProperty`` found in the
  data (a plain property for IC-20, ``[ owl:inverseOf p ]`` for IC-21), as the
  specification says; a hierarchy whose parent-child property is neither is reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from mipex_kg.graph.store import KnowledgeStore

PROLOGUE = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
"""

# -- normalisation (specification section 10.3) ---------------------------------------

#: Phase 1 (type and property closure), then phase 2 (push attachments down).
NORMALISATION: tuple[tuple[str, str], ...] = (
    ("observation types", """
INSERT { ?o a qb:Observation } WHERE { [] qb:observation ?o };
INSERT { ?o a qb:Observation . ?ds a qb:DataSet } WHERE { ?o qb:dataSet ?ds };
INSERT { ?s a qb:Slice } WHERE { [] qb:slice ?s };
INSERT { ?sk a qb:SliceKey } WHERE { [] qb:sliceStructure ?sk }"""),
    ("component properties", """
INSERT { ?cs qb:componentProperty ?p . ?p a qb:DimensionProperty } WHERE { ?cs qb:dimension ?p };
INSERT { ?cs qb:componentProperty ?p . ?p a qb:MeasureProperty } WHERE { ?cs qb:measure ?p };
INSERT { ?cs qb:componentProperty ?p . ?p a qb:AttributeProperty }
WHERE { ?cs qb:attribute ?p }"""),
    ("attachments pushed down", """
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:DataSet .
  ?dataset qb:structure/qb:component ?spec ; ?comp ?value .
  ?obs qb:dataSet ?dataset };
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:Slice .
  ?dataset qb:structure/qb:component ?spec ; qb:slice ?slice .
  ?slice ?comp ?value ; qb:observation ?obs };
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp .
  ?comp a qb:DimensionProperty .
  ?dataset qb:structure/qb:component ?spec ; qb:slice ?slice .
  ?slice ?comp ?value ; qb:observation ?obs };
INSERT { ?obs ?comp ?value } WHERE {
  ?spec qb:componentProperty ?comp ; qb:componentAttachment qb:MeasureProperty .
  ?dataset qb:structure/qb:component ?spec .
  ?comp a qb:AttributeProperty .
  ?measure a qb:MeasureProperty ; ?comp ?value .
  ?obs qb:dataSet ?dataset ; ?measure [] }"""),
)


# -- the constraints ----------------------------------------------------------------------


@dataclass(frozen=True)
class Constraint:
    """One integrity constraint: a SELECT whose rows are violations (?focus, ?value)."""

    id: str
    title: str
    message: str
    query: str


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("IC-1", "Unique DataSet",
               "an observation must belong to exactly one data set (qb:dataSet)", """
SELECT DISTINCT ?focus ?value WHERE {
  { ?focus a qb:Observation . FILTER NOT EXISTS { ?focus qb:dataSet ?any } }
  UNION
  { ?focus a qb:Observation ; qb:dataSet ?value, ?other . FILTER (?value != ?other) }
}"""),
    Constraint("IC-2", "Unique DSD",
               "a data set must have exactly one structure (qb:structure)", """
SELECT DISTINCT ?focus ?value WHERE {
  { ?focus a qb:DataSet . FILTER NOT EXISTS { ?focus qb:structure ?any } }
  UNION
  { ?focus a qb:DataSet ; qb:structure ?value, ?other . FILTER (?value != ?other) }
}"""),
    Constraint("IC-3", "DSD includes measure",
               "a data structure definition must include at least one measure", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus a qb:DataStructureDefinition .
  FILTER NOT EXISTS { ?focus qb:component [ qb:componentProperty [ a qb:MeasureProperty ] ] }
}"""),
    Constraint("IC-4", "Dimensions have range",
               "a dimension property must have an rdfs:range", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus a qb:DimensionProperty . FILTER NOT EXISTS { ?focus rdfs:range [] }
}"""),
    Constraint("IC-5", "Concept dimensions have code lists",
               "a dimension whose range is skos:Concept must have a qb:codeList", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus a qb:DimensionProperty ; rdfs:range skos:Concept .
  FILTER NOT EXISTS { ?focus qb:codeList [] }
}"""),
    Constraint("IC-6", "Only attributes may be optional",
               "only attributes may be declared qb:componentRequired false", """
SELECT DISTINCT ?focus ?value WHERE {
  ?value qb:component ?spec .
  ?spec qb:componentRequired "false"^^xsd:boolean ; qb:componentProperty ?focus .
  FILTER NOT EXISTS { ?focus a qb:AttributeProperty }
}"""),
    Constraint("IC-7", "Slice keys must be declared",
               "a slice key must belong to a data structure definition (qb:sliceKey)", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus a qb:SliceKey .
  FILTER NOT EXISTS { [ a qb:DataStructureDefinition ] qb:sliceKey ?focus }
}"""),
    Constraint("IC-8", "Slice keys consistent with DSD",
               "every component of a slice key must be a component of its structure", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus a qb:SliceKey ; qb:componentProperty ?value .
  ?dsd qb:sliceKey ?focus .
  FILTER NOT EXISTS { ?dsd qb:component [ qb:componentProperty ?value ] }
}"""),
    Constraint("IC-9", "Unique slice structure",
               "a slice must have exactly one slice key (qb:sliceStructure)", """
SELECT DISTINCT ?focus ?value WHERE {
  { ?focus a qb:Slice . FILTER NOT EXISTS { ?focus qb:sliceStructure ?any } }
  UNION
  { ?focus a qb:Slice ; qb:sliceStructure ?value, ?other . FILTER (?value != ?other) }
}"""),
    Constraint("IC-10", "Slice dimensions complete",
               "a slice must have a value for every dimension of its slice key", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus qb:sliceStructure [ qb:componentProperty ?value ] .
  FILTER NOT EXISTS { ?focus ?value [] }
}"""),
    Constraint("IC-11", "All dimensions required",
               "an observation must have a value for every dimension of its structure", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus qb:dataSet/qb:structure/qb:component/qb:componentProperty ?value .
  ?value a qb:DimensionProperty .
  FILTER NOT EXISTS { ?focus ?value [] }
}"""),
    Constraint("IC-12", "No duplicate observations",
               "two observations of one data set must not share every dimension value",
               "(one aggregate query per structure: see ic12_queries)"),
    Constraint("IC-13", "Required attributes",
               "an observation must have a value for every required attribute", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus qb:dataSet/qb:structure/qb:component ?component .
  ?component qb:componentRequired "true"^^xsd:boolean ; qb:componentProperty ?value .
  FILTER NOT EXISTS { ?focus ?value [] }
}"""),
    Constraint("IC-14", "All measures present",
               "an observation of a cube without qb:measureType must have every measure", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus qb:dataSet/qb:structure ?dsd .
  FILTER NOT EXISTS { ?dsd qb:component/qb:componentProperty qb:measureType }
  ?dsd qb:component/qb:componentProperty ?value .
  ?value a qb:MeasureProperty .
  FILTER NOT EXISTS { ?focus ?value [] }
}"""),
    Constraint("IC-15", "Measure dimension consistent",
               "an observation must have a value for the measure its qb:measureType names", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus qb:dataSet/qb:structure ?dsd ; qb:measureType ?value .
  ?dsd qb:component/qb:componentProperty qb:measureType .
  FILTER NOT EXISTS { ?focus ?value [] }
}"""),
    Constraint("IC-16", "Single measure on measure dimension observation",
               "an observation with qb:measureType must not have values for other measures", """
SELECT DISTINCT ?focus ?value WHERE {
  ?focus qb:dataSet/qb:structure ?dsd ; qb:measureType ?measure ; ?value [] .
  ?dsd qb:component/qb:componentProperty qb:measureType .
  ?dsd qb:component/qb:componentProperty ?value .
  ?value a qb:MeasureProperty .
  FILTER (?value != ?measure)
}"""),
    Constraint("IC-17", "All measures present in measures dimension cube",
               "in a qb:measureType cube every point must have an observation for every measure",
               """
SELECT DISTINCT ?focus ?value WHERE {
  {
    SELECT ?focus ?numMeasures (COUNT(?obs2) AS ?value) WHERE {
      {
        SELECT ?dsd (COUNT(?m) AS ?numMeasures) WHERE {
          ?dsd qb:component/qb:componentProperty ?m . ?m a qb:MeasureProperty .
        } GROUP BY ?dsd
      }
      ?focus qb:dataSet/qb:structure ?dsd ; qb:dataSet ?dataset ; qb:measureType ?m1 .
      ?obs2 qb:dataSet ?dataset ; qb:measureType ?m2 .
      FILTER NOT EXISTS {
        ?dsd qb:component/qb:componentProperty ?dim .
        FILTER (?dim != qb:measureType)
        ?dim a qb:DimensionProperty .
        ?focus ?dim ?v1 . ?obs2 ?dim ?v2 .
        FILTER (?v1 != ?v2)
      }
    } GROUP BY ?focus ?numMeasures
    HAVING (COUNT(?obs2) != ?numMeasures)
  }
}"""),
    Constraint("IC-18", "Consistent data set links",
               "an observation in a slice of a data set must belong to that data set", """
SELECT DISTINCT ?focus ?value WHERE {
  ?value qb:slice ?slice . ?slice qb:observation ?focus .
  FILTER NOT EXISTS { ?focus qb:dataSet ?value }
}"""),
    Constraint("IC-19", "Codes from code list",
               "a dimension value must be a code of the dimension's code list", """
SELECT DISTINCT ?focus ?value WHERE {
  {
    ?focus qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty ; qb:codeList ?list .
    ?list a skos:ConceptScheme .
    ?focus ?dim ?value .
    FILTER NOT EXISTS { ?value a skos:Concept ; skos:inScheme ?list }
  } UNION {
    ?focus qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty ; qb:codeList ?list .
    ?list a skos:Collection .
    ?focus ?dim ?value .
    FILTER NOT EXISTS { ?list skos:member+ ?value }
  }
}"""),
    Constraint("IC-20", "Codes from hierarchy",
               "a dimension value must be reachable from a root of its hierarchical code list",
               "(instantiated per parent-child property: see hierarchy_queries)"),
    Constraint("IC-21", "Codes from hierarchy (inverse)",
               "a dimension value must be reachable from a root of its hierarchical code list "
               "(inverse parent-child property)",
               "(instantiated per parent-child property: see hierarchy_queries)"),
)

BY_ID = {c.id: c for c in CONSTRAINTS}

#: The specification's own IC-12: every pair of observations of a data set (quadratic).
IC12_PAIRWISE = """
ASK {
  FILTER( ?allEqual )
  {
    SELECT (MIN(?equal) AS ?allEqual) WHERE {
      ?obs1 qb:dataSet ?dataset .
      ?obs2 qb:dataSet ?dataset .
      FILTER (?obs1 != ?obs2)
      ?dataset qb:structure/qb:component/qb:componentProperty ?dim .
      ?dim a qb:DimensionProperty .
      ?obs1 ?dim ?value1 .
      ?obs2 ?dim ?value2 .
      BIND( ?value1 = ?value2 AS ?equal)
    } GROUP BY ?obs1 ?obs2
  }
}"""


def _select(store: ox.Store, query: str) -> ox.QuerySolutions:
    """The solutions of a SELECT (with the cube prefixes)."""
    results = store.query(PROLOGUE + query)
    assert isinstance(results, ox.QuerySolutions)
    return results


def _ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(PROLOGUE + query))


def _ntriples(store: ox.Store, construct: str, union: bool = False) -> bytes:
    """The triples a CONSTRUCT gives, as N-Triples (serialised by oxigraph itself)."""
    results = store.query(PROLOGUE + construct, use_default_graph_as_union=union)
    assert isinstance(results, ox.QueryTriples)
    return results.serialize(format=ox.RdfFormat.N_TRIPLES) or b""


def _select_union(store: ox.Store, union: bool, query: str) -> ox.QuerySolutions:
    results = store.query(PROLOGUE + query, use_default_graph_as_union=union)
    assert isinstance(results, ox.QuerySolutions)
    return results


def _iri(term: ox.NamedNode) -> str:
    return f"<{term.value}>"


def ic12_queries(store: ox.Store) -> list[str]:
    """IC-12 as one aggregate query per data structure definition that has dimensions."""
    dims: dict[str, list[ox.NamedNode]] = {}
    for row in _select(store, """
        SELECT DISTINCT ?dsd ?dim WHERE {
          ?dsd qb:component/qb:componentProperty ?dim . ?dim a qb:DimensionProperty .
          FILTER (isIRI(?dim))
        }"""):
        dims.setdefault(str(row["dsd"]), []).append(row["dim"])
    queries = []
    for dsd, dimensions in sorted(dims.items()):
        dimensions = sorted(dimensions, key=lambda d: d.value)
        variables = " ".join(f"?v{i}" for i in range(len(dimensions)))
        patterns = " ".join(f"?obs {_iri(d)} ?v{i} ." for i, d in enumerate(dimensions))
        queries.append(f"""
SELECT ?dataset (SAMPLE(?obs) AS ?focus) (COUNT(DISTINCT ?obs) AS ?value) WHERE {{
  ?obs qb:dataSet ?dataset . ?dataset qb:structure {dsd} .
  {patterns}
}} GROUP BY ?dataset {variables}
HAVING (COUNT(DISTINCT ?obs) > 1)""")
    return queries


def hierarchy_queries(store: ox.Store) -> tuple[list[str], list[str], list[str]]:
    """IC-20 and IC-21 instantiated per parent-child property; and unusable hierarchies."""
    direct, inverse, unusable = [], [], []
    for row in _select(store, """
        SELECT DISTINCT ?list ?pcp ?inv WHERE {
          ?list a qb:HierarchicalCodeList .
          OPTIONAL { ?list qb:parentChildProperty ?pcp .
                     OPTIONAL { ?pcp owl:inverseOf ?inv } }
        }"""):
        pcp, inv = row["pcp"], row["inv"]
        if isinstance(pcp, ox.NamedNode):
            direct.append(pcp.value)
        elif isinstance(inv, ox.NamedNode):
            inverse.append(inv.value)
        else:
            unusable.append(str(row["list"]))
    template = """
SELECT DISTINCT ?focus ?value WHERE {{
  ?focus qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
  ?dim a qb:DimensionProperty ; qb:codeList ?list .
  ?list a qb:HierarchicalCodeList ; qb:parentChildProperty {pcp} .
  ?focus ?dim ?value .
  FILTER NOT EXISTS {{ ?list qb:hierarchyRoot/{path}* ?value }}
}}"""
    ic20 = [template.format(pcp=f"<{p}>", path=f"<{p}>") for p in sorted(set(direct))]
    ic21 = [template.format(pcp=f"[ owl:inverseOf <{p}> ]", path=f"(^<{p}>)")
            for p in sorted(set(inverse))]
    return ic20, ic21, unusable


# -- running them ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    constraint: str
    focus: str
    value: str | None

    def describe(self) -> str:
        base = BY_ID[self.constraint].message
        extra = ""
        if self.value is not None:
            extra = (f" ({self.value} observations share the dimension values)"
                     if self.constraint == "IC-12" else f" (value {self.value})")
        return f"{self.focus}: {base}{extra}"


@dataclass
class CubeReport:
    """Violations per constraint, with the time each step took."""

    triples: int = 0
    violations: dict[str, list[Violation]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        return not any(self.violations.values())

    def failed(self) -> set[str]:
        return {ic for ic, found in self.violations.items() if found}

    def to_text(self, max_examples: int = 5) -> str:
        total = sum(len(v) for v in self.violations.values())
        lines = [f"RDF Data Cube integrity (W3C IC-1 to IC-21, on a normalised copy of "
                 f"{self.triples} triples): "
                 + ("conforms" if self.conforms else f"{total} violations")]
        for constraint in CONSTRAINTS:
            if constraint.id not in self.violations:
                continue
            found = self.violations[constraint.id]
            status = "ok" if not found else f"{len(found)} violation{'s' * (len(found) > 1)}"
            lines.append(f"  {constraint.id:<6} {constraint.title:<50} {status}")
            lines.extend(f"      {v.describe()}" for v in found[:max_examples])
            if len(found) > max_examples:
                lines.append(f"      ... and {len(found) - max_examples} more")
        lines.extend(f"  note: {note}" for note in self.notes)
        timing = ", ".join(f"{step} {secs:.2f} s" for step, secs in self.seconds.items())
        lines.append(f"  time: {timing}")
        return "\n".join(lines)


#: The properties of the cube vocabulary (cube.ttl), and the others the normalisation
#: and the constraints read.
_CUBE = "http://purl.org/linked-data/cube#"
_READ_PREDICATES = tuple(_CUBE + p for p in (
    "attribute", "codeList", "component", "componentAttachment", "componentProperty",
    "componentRequired", "concept", "dataSet", "dimension", "hierarchyRoot", "measure",
    "measureDimension", "measureType", "observation", "observationGroup", "order",
    "parentChildProperty", "slice", "sliceKey", "sliceStructure", "structure")) + (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2000/01/rdf-schema#range",
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "http://www.w3.org/2004/02/skos/core#member",
    "http://www.w3.org/2002/07/owl#inverseOf",
)


def normalised_copy(source: ox.Store, union: bool = True) -> tuple[ox.Store, dict[str, float]]:
    """A scratch store holding what the constraints read of the source, normalised.

    What they read: every triple whose predicate is a property of the cube vocabulary
    or another of ``_READ_PREDICATES``, is a component property of some structure (dimension values,
    measures, attributes, on observations, slices, data sets or measures) or a
    parent-child property of a hierarchical code list. Everything else (labels,
    provenance, the experts' comments ...) stays behind, which makes the copy smaller
    without changing any answer. ``union``: read the union of all graphs.
    """
    seconds: dict[str, float] = {}
    mark = time.perf_counter()
    extra = {row["p"].value for row in _select_union(source, union, """
        SELECT DISTINCT ?p WHERE {
          { [] qb:dimension|qb:measure|qb:attribute|qb:componentProperty ?p }
          UNION { [] qb:parentChildProperty ?p }
          UNION { [] qb:parentChildProperty/owl:inverseOf ?p }
          FILTER(isIRI(?p))
        }""")}
    values = " ".join(f"<{p}>" for p in sorted(set(_READ_PREDICATES) | extra))
    data = _ntriples(source, f"""
        CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o }}""", union)
    scratch = ox.Store()
    scratch.bulk_load(data, ox.RdfFormat.N_TRIPLES)
    seconds["copy"] = time.perf_counter() - mark
    mark = time.perf_counter()
    for _, update in NORMALISATION:
        scratch.update(PROLOGUE + update)
    seconds["normalise"] = time.perf_counter() - mark
    return scratch, seconds


def _rows(store: ox.Store, query: str, constraint: str) -> list[Violation]:
    found = []
    for row in _select(store, query):
        focus, value = row["focus"], row["value"]
        shown = value.value if isinstance(value, ox.Literal) else value
        found.append(Violation(constraint, str(focus), None if shown is None else str(shown)))
    return found


def run_constraints(store: ox.Store, only: Iterable[str] | None = None) -> CubeReport:
    """Run the constraints (all, or those in ``only``) on an already normalised store."""
    wanted = set(only) if only is not None else set(BY_ID)
    report = CubeReport(triples=len(store))
    for constraint in CONSTRAINTS:
        if constraint.id not in wanted:
            continue
        mark = time.perf_counter()
        if constraint.id == "IC-12":
            found = [v for q in ic12_queries(store) for v in _rows(store, q, "IC-12")]
        elif constraint.id in ("IC-20", "IC-21"):
            ic20, ic21, unusable = hierarchy_queries(store)
            queries = ic20 if constraint.id == "IC-20" else ic21
            found = [v for q in queries for v in _rows(store, q, constraint.id)]
            if constraint.id == "IC-20":
                report.notes.extend(
                    f"{lst}: a qb:HierarchicalCodeList without a usable qb:parentChildProperty "
                    "(IC-20/IC-21 cannot check it)" for lst in unusable)
        else:
            found = _rows(store, constraint.query, constraint.id)
        report.violations[constraint.id] = sorted(set(found),
                                                  key=lambda v: (v.focus, v.value or ""))
        report.seconds[constraint.id] = time.perf_counter() - mark
    return report


def integrity_report(source: ox.Store, only: Iterable[str] | None = None,
                     union: bool = True) -> CubeReport:
    """Normalise a copy of ``source`` and run the constraints on it."""
    scratch, seconds = normalised_copy(source, union)
    mark = time.perf_counter()
    report = run_constraints(scratch, only)
    report.seconds = {**seconds, **report.seconds, "all constraints": time.perf_counter() - mark}
    return report


def check_cube(store: KnowledgeStore) -> tuple[str, bool]:
    """The Data Cube integrity report of the whole store: (readable text, conforms)."""
    report = integrity_report(store.oxigraph)
    return report.to_text(), report.conforms


def ic12_pairwise(store: ox.Store) -> bool:
    """IC-12 as the specification writes it (pairwise ASK) on a normalised store: True
    when two observations of a data set share every dimension value. Quadratic; kept as
    the independent reading that the aggregate form is checked against."""
    return _ask(store, IC12_PAIRWISE)
