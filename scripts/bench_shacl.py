"""Time the compiled SHACL validator against pyshacl on synthetic MIPEX-shaped data.

    /work/venv/bin/python scripts/bench_shacl.py [--triples 500000] [--no-pyshacl]

Builds observations shaped like docs/model.md (56 countries x 13 years x N indicators,
about 12 triples each, plus the reference data and the ontology's subclass axioms
they need), with a few hundred deliberate violations. Validates them with
``mipex_kg.graph.shacl`` in an in-memory Oxigraph store and with
``pyshacl.validate(inference="none")`` on an rdflib graph, prints the timings
and checks that both found the same (focus node, path, value, component) results.
Not a test: one run each, on a shared machine.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import time
import warnings

import pyoxigraph as ox
import pyshacl
import rdflib

from mipex_kg.graph.shacl import SH, compile_shapes, validate

M = "https://w3id.org/mipex-kg/"
PREFIXES = f"""\
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#> .
@prefix mkg: <{M}def#> .
@prefix id: <{M}id/> .
"""

SHAPES = (
    PREFIXES
    + """
[] a sh:NodeShape ; sh:targetClass qb:Observation ;
  sh:property
    [ sh:path qb:dataSet ; sh:minCount 1 ; sh:maxCount 1 ; sh:class qb:DataSet ] ,
    [ sh:path mkg:jurisdiction ; sh:minCount 1 ; sh:maxCount 1 ; sh:class mkg:Jurisdiction ] ,
    [ sh:path mkg:indicator ; sh:minCount 1 ; sh:maxCount 1 ; sh:class mkg:Indicator ] ,
    [ sh:path mkg:refPeriod ; sh:minCount 1 ; sh:maxCount 1 ; sh:class mkg:ReferencePeriod ] ,
    [ sh:path mkg:score ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:decimal ;
      sh:minInclusive 0 ; sh:maxInclusive 100 ] ,
    [ sh:path sdmx-attribute:unitMeasure ; sh:minCount 1 ; sh:maxCount 1 ;
      sh:in ( id:unit/points-0-100 ) ] ,
    [ sh:path sdmx-attribute:obsStatus ; sh:minCount 1 ; sh:maxCount 1 ;
      sh:in ( id:status/published id:status/recomputed id:status/reported ) ] ,
    [ sh:path mkg:comment ; sh:maxCount 1 ; sh:datatype xsd:string ] ,
    [ sh:path prov:wasDerivedFrom ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ,
    [ sh:path mkg:sourceSheet ; sh:maxCount 1 ; sh:datatype xsd:string ] ,
    [ sh:path mkg:sourceCell ; sh:maxCount 1 ; sh:datatype xsd:string ;
      sh:pattern "^[A-Z]{1,3}[1-9][0-9]*$" ] ,
    [ sh:path mkg:sourceCode ; sh:maxCount 1 ; sh:datatype xsd:string ] .
[] a sh:NodeShape ; sh:targetClass mkg:Country ;
  sh:property [ sh:path skos:notation ; sh:minCount 1 ; sh:maxCount 1 ; sh:pattern "^[A-Z]{3}$" ] ,
    [ sh:path skos:prefLabel ; sh:minCount 1 ; sh:languageIn ( "en" ) ] .
[] a sh:NodeShape ; sh:targetClass mkg:Indicator ;
  sh:property [ sh:path skos:notation ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ] ,
    [ sh:path skos:inScheme ; sh:minCount 1 ; sh:class mkg:IndicatorSystem ] ,
    [ sh:path [ sh:inversePath mkg:indicator ] ; sh:minCount 1 ; sh:severity sh:Warning ] .
[] a sh:NodeShape ; sh:targetClass mkg:ReferencePeriod ;
  sh:property [ sh:path mkg:year ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:integer ;
    sh:minInclusive 1900 ; sh:maxInclusive 2100 ] .
"""
)


def full_ids(turtle: str) -> str:
    """id:country/SWE -> <https://w3id.org/mipex-kg/id/country/SWE> (rdflib rejects the "/")."""
    return re.sub(r"\bid:([\w/.-]+)", f"<{M}id/\\1>", turtle)


SHAPES = full_ids(SHAPES)


def synthetic_data(triples: int, seed: int = 1) -> str:
    """N-Triples-like Turtle of about ``triples`` triples, with ~0.2% violations."""
    rng = random.Random(seed)
    countries = [f"A{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(56)]  # AAA, AAB ...
    years = range(2007, 2020)
    n_indicators = max(1, round(triples / 12.3 / (len(countries) * len(years))))
    out = [
        PREFIXES,
        "mkg:Country rdfs:subClassOf mkg:Jurisdiction .",
        "mkg:Region rdfs:subClassOf mkg:Jurisdiction .",
        "mkg:PolicyIndicator rdfs:subClassOf mkg:Indicator .",
        "mkg:PolicyArea rdfs:subClassOf mkg:Indicator .",
        "mkg:Edition rdfs:subClassOf qb:DataSet .",
        "mkg:IndicatorSystem rdfs:subClassOf skos:ConceptScheme .",
        "id:system/mipex a mkg:IndicatorSystem . id:edition/mipex-2020 a mkg:Edition .",
    ]
    for c in countries:
        out.append(
            f'id:country/{c} a mkg:Country ; skos:notation "{c}X" ; skos:prefLabel "{c}"@en .'
        )
    for y in years:
        out.append(f"id:period/{y} a mkg:ReferencePeriod ; mkg:year {y} .")
    for i in range(n_indicators):
        out.append(
            f'id:indicator/mipex/i{i} a mkg:PolicyIndicator ; skos:notation "i{i}" ;'
            " skos:inScheme id:system/mipex ."
        )
    bad = [  # ways to break an observation
        lambda o: o.replace(" mkg:refPeriod", " mkg:otherPeriod"),
        lambda o: re.sub(r"mkg:score [0-9.]+", "mkg:score 150.0", o),
        lambda o: o.replace("mkg:score ", 'mkg:score "n/a" , '),
        lambda o: o.replace("mkg:jurisdiction id:country/", "mkg:jurisdiction id:nowhere/"),
        lambda o: o.replace('mkg:sourceCell "', 'mkg:sourceCell "e'),
        lambda o: o.replace("id:status/published", "id:status/draft"),
        lambda o: o.replace("mkg:score ", "mkg:score 1.5 , "),
    ]
    n = 0
    for c in countries:
        for y in years:
            for i in range(n_indicators):
                n += 1
                comment = ' ; mkg:comment "checked"' if n % 5 == 0 else ""
                obs = (
                    f"id:score/mipex-2020/{c}/{y}/i{i} a qb:Observation ;"
                    f" qb:dataSet id:edition/mipex-2020 ; mkg:jurisdiction id:country/{c} ;"
                    f" mkg:indicator id:indicator/mipex/i{i} ; mkg:refPeriod id:period/{y} ;"
                    f" mkg:score {rng.randint(0, 100)}.{rng.randint(0, 9)} ;"
                    " sdmx-attribute:unitMeasure id:unit/points-0-100 ;"
                    " sdmx-attribute:obsStatus id:status/published ;"
                    f' prov:wasDerivedFrom id:source/abc ; mkg:sourceSheet "{c}" ;'
                    f' mkg:sourceCell "E{n % 900 + 2}" ; mkg:sourceCode "i{i}"{comment} .'
                )
                if rng.random() < 0.002:
                    obs = rng.choice(bad)(obs)
                out.append(obs)
    out.append('id:indicator/mipex/unused a mkg:PolicyIndicator ; skos:notation "unused" ;'
               " skos:inScheme id:system/mipex .")  # fmt: skip
    return full_ids("\n".join(out) + "\n")


def keys_from_pyshacl(report: rdflib.Graph) -> set[tuple]:
    canon = ox.Store()
    keys = set()
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        path = report.value(r, SH.resultPath)
        if isinstance(path, rdflib.BNode):
            path = "^" + str(report.value(path, SH.inversePath))
        value = report.value(r, SH.value)
        if value is not None:  # as Oxigraph writes it
            canon.clear()
            canon.load(f"<x:s> <x:p> {value.n3()} .".encode(), ox.RdfFormat.N_TRIPLES)
            value = str(next(iter(canon)).object)
        focus = str(report.value(r, SH.focusNode))
        keys.add(
            (focus, path and str(path), value, str(report.value(r, SH.sourceConstraintComponent)))
        )
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, default=500_000)
    parser.add_argument("--no-pyshacl", action="store_true")
    parser.add_argument("--per-constraint", action="store_true", help="time every query")
    args = parser.parse_args()

    data = synthetic_data(args.triples)
    print(f"shapes: {len(compile_shapes(SHAPES))} compiled constraints")

    mark = time.perf_counter()
    store = ox.Store()
    store.load(data.encode(), ox.RdfFormat.TURTLE)
    load = time.perf_counter() - mark
    print(f"data: {len(store):,} triples")
    mark = time.perf_counter()
    constraints = compile_shapes(SHAPES)
    report = validate(store, constraints)
    ours = time.perf_counter() - mark
    print(f"compiled: load into Oxigraph {load:.1f} s, compile + validate {ours:.2f} s, "
          f"{len(report.results)} results, conforms={report.conforms}")  # fmt: skip
    if args.per_constraint:
        timings = []
        for c in constraints:
            mark = time.perf_counter()
            validate(store, [c])
            timings.append(
                (time.perf_counter() - mark, c.constraint_component.split("#")[1], c.path)
            )
        for seconds, component, path in sorted(timings, reverse=True)[:8]:
            print(f"  {seconds:6.3f} s  {component:32} {path}")
    if args.no_pyshacl:
        return

    mark = time.perf_counter()
    graph = rdflib.Graph().parse(data=data, format="turtle")
    parse = time.perf_counter() - mark
    mark = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        conforms, report_graph, _ = pyshacl.validate(
            graph, shacl_graph=rdflib.Graph().parse(data=SHAPES, format="turtle"), inference="none",
            allow_warnings=True,
        )  # fmt: skip
    seconds = time.perf_counter() - mark
    theirs = keys_from_pyshacl(report_graph)
    print(f"pyshacl: parse into rdflib {parse:.1f} s, validate {seconds:.1f} s, "
          f"{len(theirs)} results, conforms={conforms}")  # fmt: skip
    mine = {
        (str(r.focus_node).strip("<>"), r.result_path, None if r.value is None else str(r.value),
         r.constraint_component)
        for r in report.results
    }  # fmt: skip
    print(f"same results: {mine == theirs}" + ("" if mine == theirs else f" ({mine ^ theirs})"))
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
