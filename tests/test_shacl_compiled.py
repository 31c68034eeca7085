"""The compiled SHACL validator gives pyshacl's verdicts.

Every case validates the same Turtle with ``mipex_kg.graph.shacl`` (in Oxigraph) and
with ``pyshacl.validate(..., inference="none")`` (in rdflib) and compares the sets of
(focus node, path, value, constraint component, severity). Blank nodes cannot be
matched across the two stores, so every blank node becomes "_:" and the results are
compared as counts. pyshacl's ``conforms`` follows the specification (no results at
all); the compiled report's ``conforms`` means "no sh:Violation result" (pyshacl's
``allow_warnings=True`` differs from both: it looks at the severity of the node shape).

Where the two must differ, ``DIVERGENCES`` pins what the compiled validator does and
says why (pyshacl departs from the SHACL specification, or Oxigraph's storage
canonicalises a literal).
"""

from __future__ import annotations

import random
import traceback
from collections import Counter

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib import RDF, BNode, Literal, URIRef

from mipex_kg.graph.shacl import (
    SH,
    CompiledConstraint,
    UnsupportedShapeError,
    ValidationReport,
    compile_shapes,
    validate,
)

# rdflib warns about the ill-typed literals these tests are made of.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:rdflib.term")

PREFIXES = """\
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""

# The data of most cases: a class hierarchy and values of every kind.
VALUES = """
ex:Sub rdfs:subClassOf ex:A . ex:SubSub rdfs:subClassOf ex:Sub . ex:Other rdfs:subClassOf ex:B .
ex:a1 a ex:A ; ex:p ex:x , 5 .
ex:a2 a ex:Sub ; ex:p "text" , "text"@en , 5.0 , -1 .
ex:a3 a ex:SubSub , ex:A ; ex:p [ a ex:A ] , "2020-01-01"^^xsd:date , true .
ex:a4 a ex:A .
ex:b1 a ex:B ; ex:p ex:a1 , ex:a2 , "abc"^^xsd:decimal , 1e2 , "12"^^xsd:string .
ex:b2 a ex:Other ; ex:p [ ] , "hello"@en-GB , "Hallo"@de , "100"^^xsd:integer , 100.5 .
ex:x a ex:SubSub .
"""


def node_shape(body: str, target: str = "sh:targetClass ex:A , ex:B") -> str:
    return f"ex:S a sh:NodeShape ; {target} ; {body} ."


def prop(body: str, path: str = "ex:p") -> str:
    return node_shape(f"sh:property [ sh:path {path} ; {body} ]")


CASES: dict[str, tuple[str, str]] = {
    # targets
    "targetClass with subclasses": (prop("sh:minCount 2"), VALUES),
    "targetClass, no instances": (
        node_shape("sh:nodeKind sh:Literal", "sh:targetClass ex:None"),
        VALUES,
    ),
    "implicit class target": (
        "ex:A a rdfs:Class , sh:NodeShape ; sh:property [ sh:path ex:p ; sh:maxCount 1 ] .",
        VALUES,
    ),
    "targetSubjectsOf": (prop("sh:nodeKind sh:IRI", "ex:p"), VALUES.replace("ex:a4 a ex:A .", "")),
    "targetSubjectsOf, targetObjectsOf": (
        node_shape("sh:nodeKind sh:IRI", "sh:targetSubjectsOf rdf:type ; sh:targetObjectsOf ex:p"),
        VALUES,
    ),
    "targetNode, absent and literal nodes": (
        node_shape(
            "sh:property [ sh:path ex:p ; sh:minCount 1 ]",
            "sh:targetNode ex:a1 , ex:nowhere , ex:a4",
        ),
        VALUES,
    ),
    "targetNode literal, node-level": (
        node_shape("sh:datatype xsd:integer", 'sh:targetNode 5 , "x" , ex:a1'),
        VALUES,
    ),
    # cardinality
    "minCount 1": (prop("sh:minCount 1"), VALUES),
    "minCount 3": (prop("sh:minCount 3"), VALUES),
    "minCount 0": (prop("sh:minCount 0"), VALUES),
    "minCount counts distinct values": (
        prop("sh:minCount 2", "ex:q"),
        VALUES + 'ex:a1 ex:q 1 , "01"^^xsd:integer . ex:a2 ex:q 1 , 1.0 . ex:a3 ex:q "a", "a"@en .'
        " ex:a4 ex:q ex:x , ex:x .",
    ),
    "maxCount 1": (prop("sh:maxCount 1"), VALUES),
    "maxCount 0": (prop("sh:maxCount 0"), VALUES),
    "maxCount 4": (prop("sh:maxCount 4"), VALUES),
    "minCount and maxCount on an inverse path": (
        prop("sh:minCount 1 ; sh:maxCount 0", "[ sh:inversePath ex:p ]"),
        VALUES,
    ),
    # value type
    "datatype xsd:string": (prop("sh:datatype xsd:string"), VALUES),
    "datatype rdf:langString": (prop("sh:datatype rdf:langString"), VALUES),
    "datatype rdfs:Literal": (prop("sh:datatype rdfs:Literal"), VALUES),
    "datatype xsd:integer": (
        prop("sh:datatype xsd:integer"),
        VALUES + 'ex:a4 ex:p "abc"^^xsd:integer , "5.0"^^xsd:integer , "+7"^^xsd:integer .',
    ),
    "datatype xsd:decimal, ill-typed": (
        prop("sh:datatype xsd:decimal"),
        VALUES + 'ex:a4 ex:p "12.50"^^xsd:decimal , "x1"^^xsd:decimal , 3 .',
    ),
    "datatype xsd:double": (
        prop("sh:datatype xsd:double"),
        VALUES + 'ex:a4 ex:p "a"^^xsd:double .',
    ),
    "datatype xsd:date, ill-typed": (
        prop("sh:datatype xsd:date"),
        VALUES + 'ex:a4 ex:p "2020-02-30"^^xsd:date , "2021-1-1"^^xsd:date , "2019"^^xsd:gYear .',
    ),
    "datatype xsd:dateTime": (
        prop("sh:datatype xsd:dateTime"),
        VALUES
        + 'ex:a4 ex:p "2020-01-01T10:00:00Z"^^xsd:dateTime , "2020-01-01T10:00:00"^^xsd:dateTime ,'
        ' "noon"^^xsd:dateTime .',
    ),
    "datatype xsd:boolean": (
        prop("sh:datatype xsd:boolean"),
        VALUES + 'ex:a4 ex:p false , "1"^^xsd:boolean , "0"^^xsd:boolean .',
    ),
    "datatype xsd:nonNegativeInteger, well and ill typed": (
        prop("sh:datatype xsd:nonNegativeInteger", "ex:q"),
        VALUES
        + 'ex:a1 ex:q "5"^^xsd:nonNegativeInteger . ex:a2 ex:q "-1"^^xsd:nonNegativeInteger . '
        'ex:a3 ex:q "abc"^^xsd:nonNegativeInteger . ex:a4 ex:q "0"^^xsd:nonNegativeInteger , "x" .',
    ),
    "datatype xsd:int out of range": (
        prop("sh:datatype xsd:int", "ex:q"),
        VALUES + 'ex:a1 ex:q "5"^^xsd:int . ex:a2 ex:q "3000000000"^^xsd:int .',
    ),
    "datatype xsd:anyURI (lexical form unchecked)": (
        prop("sh:datatype xsd:anyURI"),
        VALUES + 'ex:a4 ex:p "http://x"^^xsd:anyURI , <http://x> .',
    ),
    "datatype, custom": (
        prop("sh:datatype ex:dt"),
        VALUES + 'ex:a4 ex:p "a"^^ex:dt , "b"^^ex:other .',
    ),
    "class with subclasses": (prop("sh:class ex:A"), VALUES),
    "class, superclass instance is not enough": (prop("sh:class ex:Sub"), VALUES),
    "class of an absent class": (prop("sh:class ex:Nothing"), VALUES),
    "class on an inverse path": (prop("sh:class ex:B", "[ sh:inversePath ex:p ]"), VALUES),
    **{
        f"nodeKind {kind}": (prop(f"sh:nodeKind sh:{kind}"), VALUES)
        for kind in [
            "IRI",
            "BlankNode",
            "Literal",
            "BlankNodeOrIRI",
            "BlankNodeOrLiteral",
            "IRIOrLiteral",
        ]
    },
    # value range
    "minInclusive 0 (integer bound)": (prop("sh:minInclusive 0"), VALUES),
    "minInclusive 5.0 (decimal bound)": (prop("sh:minInclusive 5.0"), VALUES),
    "minExclusive 5 vs 5.0": (prop("sh:minExclusive 5"), VALUES),
    "minExclusive double bound": (prop("sh:minExclusive 4.9e0"), VALUES),
    "maxInclusive 100, comparable values": (
        prop("sh:maxInclusive 100"),
        VALUES.replace('"abc"^^xsd:decimal', "1")
        .replace("true", "2")
        .replace('"2020-01-01"^^xsd:date', "3"),
    ),
    "maxExclusive 100.5": (
        prop("sh:maxExclusive 100.5", "ex:q"),
        VALUES + 'ex:a1 ex:q 100.5 , 100 , 1e3 , "100"@en , "a" . ex:a2 ex:q ex:x , [] , 100.49 .',
    ),
    "minInclusive on dates": (
        prop('sh:minInclusive "2020-01-01"^^xsd:date', "ex:q"),
        VALUES
        + 'ex:a1 ex:q "2020-01-01"^^xsd:date , "2019-12-31"^^xsd:date , "2021-05-05"^^xsd:date .',
    ),
    "minInclusive on strings": (
        prop('sh:minInclusive "m"', "ex:q"),
        VALUES + 'ex:a1 ex:q "a" , "z" , "m" , 5 , ex:zzz .',
    ),
    "range of a percentage score": (
        prop("sh:minInclusive 0 ; sh:maxInclusive 100 ; sh:datatype xsd:decimal", "ex:q"),
        VALUES + 'ex:a1 ex:q 0.0 , 100.0 , 100.01 , -0.5 , 50 , "50" , "50"^^xsd:decimal .',
    ),
    # string based
    # (1e2 is written "100.0" by rdflib and "100" by Oxigraph: see DIVERGENCES)
    "minLength 4": (prop("sh:minLength 4"), VALUES.replace("1e2", '"1.5"^^xsd:double')),
    "maxLength 4": (prop("sh:maxLength 4"), VALUES.replace("1e2", '"1.5"^^xsd:double')),
    "pattern": (prop('sh:pattern "^[a-z]+$"'), VALUES),
    "pattern with flags i": (prop('sh:pattern "^H" ; sh:flags "i"'), VALUES),
    "pattern on IRIs and numbers": (prop('sh:pattern "example|^5"'), VALUES),
    "pattern with escapes and quotes": (
        prop(r'sh:pattern "^\\d{2}\\.\"?$"', "ex:q"),
        VALUES + r'ex:a1 ex:q "12." , "12.\"" , "1x." , 12 .',
    ),
    "languageIn": (prop('sh:languageIn ( "en" "fr" )'), VALUES),
    "languageIn, case and subtags": (
        prop('sh:languageIn ( "EN" )', "ex:q"),
        VALUES + 'ex:a1 ex:q "a"@en , "b"@EN-us , "c"@eng , "d"@fr , "e" , ex:x .',
    ),
    "languageIn wildcard": (prop('sh:languageIn ( "*" )'), VALUES),
    # other
    "in": (prop('sh:in ( ex:x ex:a1 5 "text" true )'), VALUES),
    "in, decimal canonical forms": (
        prop("sh:in ( 2.0 1 )", "ex:q"),
        VALUES + 'ex:a1 ex:q 2.0 , 1.0 , "1"^^xsd:integer , "01"^^xsd:integer , 2 , "2.0" .',
    ),
    "in, empty list": (prop("sh:in ( )"), VALUES),
    "hasValue": (prop("sh:hasValue 5"), VALUES),
    "hasValue IRI on an inverse path": (
        prop("sh:hasValue ex:b1", "[ sh:inversePath ex:p ]"),
        VALUES,
    ),
    # node-level constraints
    "node-level on a node shape": (
        node_shape(
            'sh:nodeKind sh:IRI ; sh:pattern "a" ; sh:class ex:A ; sh:in ( ex:a1 ex:a2 ex:b2 ) ;'
            " sh:maxLength 20",
            "sh:targetObjectsOf ex:p",
        ),
        VALUES,
    ),
    "node-level hasValue": (node_shape("sh:hasValue ex:a1", "sh:targetNode ex:a1 , ex:a2"), VALUES),
    "node-level value range": (node_shape("sh:minExclusive 1", "sh:targetObjectsOf ex:p"), VALUES),
    # shapes
    "several property shapes and shared property shape": (
        node_shape("sh:property ex:P1 , [ sh:path ex:p ; sh:nodeKind sh:IRI ]")
        + " ex:S2 a sh:NodeShape ; sh:targetClass ex:Sub ; sh:property ex:P1 ."
        " ex:P1 a sh:PropertyShape ; sh:path ex:p ; sh:maxCount 2 ; sh:datatype xsd:string .",
        VALUES,
    ),
    "property shape with its own target": (
        "ex:P a sh:PropertyShape ; sh:targetSubjectsOf ex:p ; sh:path ex:p ; sh:nodeKind sh:IRI .",
        VALUES,
    ),
    "deactivated": (
        node_shape(
            "sh:property [ sh:path ex:p ; sh:minCount 9 ; sh:deactivated true ] ,"
            " [ sh:path ex:p ; sh:maxCount 0 ; sh:deactivated false ]"
        )
        + " ex:Off a sh:NodeShape ; sh:targetClass ex:A ; sh:deactivated true ;"
        " sh:nodeKind sh:Literal .",
        VALUES,
    ),
    "severity": (
        node_shape(
            "sh:property [ sh:path ex:p ; sh:maxCount 1 ; sh:severity sh:Warning ] ,"
            " [ sh:path ex:p ; sh:nodeKind sh:IRI ; sh:severity sh:Info ] ;"
            " sh:severity sh:Warning ; sh:nodeKind sh:BlankNode"
        ),
        VALUES,
    ),
    "blank node focus nodes": (
        node_shape("sh:property [ sh:path ex:p ; sh:minCount 1 ]", "sh:targetObjectsOf ex:p"),
        VALUES,
    ),
}


def _pyshacl_keys(shapes: str, data: str) -> tuple[bool, Counter]:
    data_graph = rdflib.Graph().parse(data=data, format="turtle")
    shapes_graph = rdflib.Graph().parse(data=shapes, format="turtle")
    conforms, report, _ = pyshacl.validate(data_graph, shacl_graph=shapes_graph, inference="none")
    keys = set()
    for r in report.subjects(RDF.type, SH.ValidationResult):
        path = report.value(r, SH.resultPath)
        if isinstance(path, BNode):
            path = "^" + str(report.value(path, SH.inversePath))
        keys.add(
            (
                _term(report.value(r, SH.focusNode)),
                None if path is None else str(path),
                _term(report.value(r, SH.value)),
                str(report.value(r, SH.sourceConstraintComponent)),
                str(report.value(r, SH.resultSeverity)),
            )
        )
    return conforms, _collapse(keys)


def _compiled(shapes: str, data: str) -> ValidationReport:
    store = ox.Store()
    store.load(data.encode(), ox.RdfFormat.TURTLE, to_graph=ox.NamedNode("http://example.org/g"))
    return validate(store, compile_shapes(shapes))


def _compiled_keys(report: ValidationReport) -> Counter:
    keys = {
        (
            str(r.focus_node),
            r.result_path,
            None if r.value is None else str(r.value),
            r.constraint_component,
            r.severity,
        )
        for r in report.results
    }
    return _collapse(keys)


_CANON = ox.Store()


def _term(term) -> str | None:
    """An rdflib term as Oxigraph writes it (Oxigraph canonicalises literals)."""
    if term is None:
        return None
    if isinstance(term, BNode):
        return f"_:{term}"  # collapsed after deduplication
    _CANON.clear()
    _CANON.load(f"<x:s> <x:p> {term.n3()} .".encode(), ox.RdfFormat.N_TRIPLES)
    return str(next(iter(_CANON)).object)


def _collapse(keys: set[tuple]) -> Counter:
    """Blank nodes from the two stores cannot be matched: count them as "_:"."""
    return Counter(
        tuple("_:" if isinstance(k, str) and k.startswith("_:") else k for k in key) for key in keys
    )


def _assert_same_conformance(
    report: ValidationReport, pyshacl_conforms: bool, keys: Counter
) -> None:
    assert (not report.results) == pyshacl_conforms
    assert report.conforms == all(key[4] != str(SH.Violation) for key in keys)


@pytest.mark.parametrize("case", list(CASES))
def test_same_results_as_pyshacl(case: str) -> None:
    shapes, data = CASES[case]
    shapes, data = PREFIXES + shapes, PREFIXES + data
    expected_conforms, expected = _pyshacl_keys(shapes, data)
    report = _compiled(shapes, data)
    assert _compiled_keys(report) == expected
    _assert_same_conformance(report, expected_conforms, expected)


def test_cases_cover_every_component_and_both_verdicts() -> None:
    components, violated = set(), set()
    for shapes, data in CASES.values():
        for c in compile_shapes(PREFIXES + shapes):
            components.add(c.constraint_component)
        for r in _compiled(PREFIXES + shapes, PREFIXES + data).results:
            violated.add(r.constraint_component)
    expected = {
        str(SH) + name + "ConstraintComponent"
        for name in [
            "MinCount",
            "MaxCount",
            "Datatype",
            "Class",
            "NodeKind",
            "MinInclusive",
            "MaxInclusive",
            "MinExclusive",
            "MaxExclusive",
            "Pattern",
            "In",
            "HasValue",
            "LanguageIn",
            "MinLength",
            "MaxLength",
        ]
    }
    assert components == expected
    assert violated == expected


# -- where the compiled validator and pyshacl differ, on purpose ----------------------

# (case, shapes, data, the compiled validator's results as (focus, value) pairs, why)
DIVERGENCES = [
    (
        "integer subtype stored as xsd:integer",
        prop("sh:datatype xsd:nonNegativeInteger"),
        "ex:a a ex:A ; ex:p 5 , -5 .",
        {("<http://example.org/a>", '"-5"^^<http://www.w3.org/2001/XMLSchema#integer>')},
        "Oxigraph stores every integer subtype as xsd:integer, so 5 passes (pyshacl: violation)",
    ),
    (
        "ill-typed literal is not comparable (max)",
        prop("sh:maxInclusive 100"),
        'ex:a a ex:A ; ex:p "abc"^^xsd:decimal , true , "2020-01-01"^^xsd:date , 50 .',
        {
            ("<http://example.org/a>", '"abc"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
            ("<http://example.org/a>", '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
            ("<http://example.org/a>", '"2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date>'),
        },
        "SHACL: a value for which `100 >= v` is not true violates; pyshacl passes these",
    ),
    (
        "ill-typed gYear",
        prop("sh:datatype xsd:gYear"),
        'ex:a a ex:A ; ex:p "2019"^^xsd:gYear , "19"^^xsd:gYear .',
        {("<http://example.org/a>", '"19"^^<http://www.w3.org/2001/XMLSchema#gYear>')},
        "pyshacl does not check the lexical form of xsd:gYear and passes both",
    ),
    (
        "lexical forms rdflib accepts and XSD does not",
        prop("sh:datatype xsd:decimal"),
        'ex:a a ex:A ; ex:p "1e5"^^xsd:decimal , " 1.5"^^xsd:decimal , 1.5 .',
        {
            ("<http://example.org/a>", '"1e5"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
            ("<http://example.org/a>", '" 1.5"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        },
        "Python's Decimal() accepts exponents and spaces; xsd:decimal does not",
    ),
    (
        "languageIn with a range of two subtags uses langMatches",
        prop('sh:languageIn ( "de-CH" )'),
        'ex:a a ex:A ; ex:p "a"@de-CH-1996 , "b"@de , "c"@de-ch .',
        {("<http://example.org/a>", '"b"@de')},
        "pyshacl compares only the first subtag, so it rejects de-CH-1996 too",
    ),
    (
        "value that is not comparable with the bound (min)",
        prop('sh:minInclusive "2020-01-01"^^xsd:date'),
        'ex:a a ex:A ; ex:p 7 , "2020-06-01"^^xsd:date .',
        {("<http://example.org/a>", '"7"^^<http://www.w3.org/2001/XMLSchema#integer>')},
        "pyshacl orders literals of unrelated datatypes by datatype and passes 7",
    ),
    (
        "ill-typed boolean",
        prop("sh:datatype xsd:boolean"),
        'ex:a a ex:A ; ex:p "yes"^^xsd:boolean , true .',
        {("<http://example.org/a>", '"yes"^^<http://www.w3.org/2001/XMLSchema#boolean>')},
        'rdflib rewrites "yes" to "false" when parsing, so pyshacl passes it',
    ),
    (
        "literals are canonicalised by Oxigraph (sh:in)",
        prop("sh:in ( 2.0 )"),
        "ex:a a ex:A ; ex:p 2.00 , 2.0 , 2 .",
        {("<http://example.org/a>", '"2"^^<http://www.w3.org/2001/XMLSchema#integer>')},
        "Oxigraph stores 2.00 and 2.0 as one term, rdflib keeps two: pyshacl rejects 2.00",
    ),
    (
        "literals are canonicalised by Oxigraph (string length)",
        prop("sh:maxLength 3"),
        'ex:a a ex:A ; ex:p 1e2 , "1.5"^^xsd:double , 1.50 .',
        set(),
        "the lexical forms checked are Oxigraph's (100, 1.5, 1.5); rdflib's are 100.0, 1.5, 1.50",
    ),
]


@pytest.mark.parametrize("case", DIVERGENCES, ids=[d[0] for d in DIVERGENCES])
def test_divergences_from_pyshacl(case) -> None:
    _, shapes, data, expected, _why = case
    report = _compiled(PREFIXES + shapes, PREFIXES + data)
    assert {(str(r.focus_node), str(r.value)) for r in report.results} == expected


# -- random graphs -----------------------------------------------------------------

# Values and constraints on which pyshacl follows the specification (see DIVERGENCES).
RANDOM_VALUES = [
    "ex:n0", "ex:n1", "ex:n2", "[]", "[ a ex:A ]", "0", "1", "5", "-3", "1.5", "2.5", "100",
    '"1.5"^^xsd:double', '"a"', '"text"', '"5"', '"x"@en', '"y"@fr', '"z"@en-GB', "true",
    '"abc"^^xsd:decimal', '"2020-01-01"^^xsd:date', '"7"^^xsd:string',
]  # fmt: skip
RANDOM_CONSTRAINTS = [
    "sh:minCount 1", "sh:minCount 2", "sh:maxCount 1", "sh:maxCount 2", "sh:datatype xsd:integer",
    "sh:datatype xsd:decimal", "sh:datatype xsd:string", "sh:datatype rdf:langString",
    "sh:class ex:A", "sh:class ex:B", "sh:nodeKind sh:IRI", "sh:nodeKind sh:BlankNodeOrLiteral",
    "sh:minInclusive 1", "sh:minExclusive 1.0", 'sh:pattern "^[a-z]"',
    'sh:pattern "X|1" ; sh:flags "i"',
    'sh:in ( ex:n0 1 "a" )', "sh:hasValue 5", 'sh:languageIn ( "en" )', "sh:minLength 2",
    "sh:maxLength 3",
]  # fmt: skip


def _random_case(rng: random.Random) -> tuple[str, str]:
    data = ["ex:B rdfs:subClassOf ex:A ."]
    for i in range(rng.randint(1, 6)):
        types = rng.sample(["ex:A", "ex:B", "ex:C"], rng.randint(0, 2))
        if types:
            data.append(f"ex:n{i} a {', '.join(types)} .")
        for p in ("ex:p", "ex:q"):
            for value in rng.sample(RANDOM_VALUES, rng.randint(0, 3)):
                data.append(f"ex:n{i} {p} {value} .")
    shapes = []
    for s in range(rng.randint(1, 3)):
        target = rng.choice(
            ["sh:targetClass ex:A", "sh:targetClass ex:B", "sh:targetSubjectsOf ex:q",
             "sh:targetObjectsOf ex:p", "sh:targetNode ex:n0 , ex:n5"]
        )  # fmt: skip
        properties = []
        for _ in range(rng.randint(1, 3)):
            constraints = {}  # at most one value per parameter
            for c in rng.sample(RANDOM_CONSTRAINTS, rng.randint(1, 3)):
                constraints[c.split()[0]] = c
            path = rng.choice(["ex:p", "ex:q", "[ sh:inversePath ex:p ]"])
            severity = rng.choice(["", "", "sh:severity sh:Info ; "])
            properties.append(f"[ sh:path {path} ; {severity}{' ; '.join(constraints.values())} ]")
        node_level = [c for c in RANDOM_CONSTRAINTS if "Count" not in c and rng.random() < 0.1]
        node_level = {c.split()[0]: c for c in node_level}.values()
        severity = rng.choice(["", "", " ; sh:severity sh:Warning"])
        shapes.append(
            f"ex:S{s} a sh:NodeShape ; {target} ; sh:property {' , '.join(properties)}"
            + "".join(f" ; {c}" for c in node_level)
            + severity
            + " ."
        )
    return "\n".join(shapes), "\n".join(data)


@pytest.mark.parametrize("seed", range(150))
def test_random_graphs_same_results_as_pyshacl(seed: int) -> None:
    shapes, data = _random_case(random.Random(seed))
    shapes, data = PREFIXES + shapes, PREFIXES + data
    expected_conforms, expected = _pyshacl_keys(shapes, data)
    report = _compiled(shapes, data)
    assert _compiled_keys(report) == expected, shapes + "\n" + data
    _assert_same_conformance(report, expected_conforms, expected)


# -- unsupported constructs ----------------------------------------------------------

UNSUPPORTED = {
    "sh:or": (node_shape("sh:or ( [ sh:nodeKind sh:IRI ] [ sh:nodeKind sh:Literal ] )"), "sh:or"),
    "sh:and": (prop("sh:and ( [ sh:minCount 1 ] )"), "sh:and"),
    "sh:not": (node_shape("sh:not [ sh:nodeKind sh:IRI ]"), "sh:not"),
    "sh:node": (prop("sh:node ex:Other"), "sh:node"),
    "sh:sparql": (node_shape('sh:sparql [ sh:select "SELECT $this WHERE {}" ]'), "sh:sparql"),
    "sh:qualifiedValueShape": (
        prop("sh:qualifiedValueShape [ sh:class ex:A ] ; sh:qualifiedMinCount 1"),
        "sh:qualified",
    ),
    "sh:closed": (node_shape("sh:closed true"), "sh:closed"),
    "sh:equals": (prop("sh:equals ex:q"), "sh:equals"),
    "sh:uniqueLang": (prop("sh:uniqueLang true"), "sh:uniqueLang"),
    "sequence path": (prop("sh:minCount 1", "( ex:p ex:q )"), "sh:path"),
    "alternative path": (
        prop("sh:minCount 1", "[ sh:alternativePath ( ex:p ex:q ) ]"),
        "sh:alternativePath",
    ),
    "zeroOrMore path": (prop("sh:minCount 1", "[ sh:zeroOrMorePath ex:p ]"), "sh:zeroOrMorePath"),
    "inverse of a complex path": (
        prop("sh:minCount 1", "[ sh:inversePath [ sh:oneOrMorePath ex:p ] ]"),
        "sh:inversePath",
    ),
    "minCount on a node shape": (node_shape("sh:minCount 1"), "sh:minCount on a node shape"),
    "nested property shape": (prop("sh:property [ sh:path ex:q ; sh:minCount 1 ]"), "sh:property"),
    "property shape without a path": (node_shape("sh:property [ sh:minCount 1 ]"), "sh:path"),
    "sh:datatype rdfs:Datatype": (prop("sh:datatype rdfs:Datatype"), "sh:datatype"),
    "blank node in sh:in": (prop("sh:in ( [] )"), "sh:in"),
    "bad sh:minCount": (prop('sh:minCount "one"'), "sh:minCount"),
    "bad sh:flags": (prop('sh:pattern "a" ; sh:flags "g"'), "sh:flags"),
    "two values of sh:nodeKind": (
        prop("sh:nodeKind sh:IRI , sh:Literal"),
        "sh:nodeKind with 2 values",
    ),
    "boolean sh:minCount": (prop("sh:minCount true"), "sh:minCount"),
    "a regex Oxigraph rejects": (prop('sh:pattern "[a-"'), "Oxigraph rejects"),
    "blank node target": (node_shape("sh:nodeKind sh:IRI", "sh:targetNode []"), "target"),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_unsupported_constructs_raise(case: str) -> None:
    shapes, construct = UNSUPPORTED[case]
    with pytest.raises(UnsupportedShapeError) as error:
        compile_shapes(PREFIXES + shapes)
    assert construct in str(error.value)
    assert "shape " in str(error.value)


def test_unsupported_construct_on_an_untargeted_shape_is_ignored() -> None:
    shapes = PREFIXES + "ex:Unused a sh:NodeShape ; sh:or ( ) ." + prop("sh:minCount 1")
    assert len(compile_shapes(shapes)) == 1


# -- the report ------------------------------------------------------------------------


def _report() -> ValidationReport:
    shapes = PREFIXES + node_shape(
        'sh:property [ sh:path ex:p ; sh:nodeKind sh:IRI ; sh:message "p must be an IRI"@en ] ,'
        " [ sh:path [ sh:inversePath ex:p ] ; sh:maxCount 0 ; sh:severity sh:Warning ]"
    )
    return _compiled(shapes, PREFIXES + VALUES)


def test_report_fields_and_messages() -> None:
    report = _report()
    assert not report.conforms
    iri_results = [
        r for r in report.results if r.constraint_component.endswith("NodeKindConstraintComponent")
    ]
    assert {r.message for r in iri_results} == {"p must be an IRI"}
    assert all(
        r.severity == str(SH.Violation) and r.result_path == "http://example.org/p"
        for r in iri_results
    )
    warning = [r for r in report.results if r.severity == str(SH.Warning)]
    assert sorted(str(r.focus_node)[:2] for r in warning) == [
        "<h", "<h", "<h", "_:"  # ex:a1, ex:a2, ex:x and the blank node ex:a3 points at
    ]  # fmt: skip
    assert all(r.value is None and r.result_path == "^http://example.org/p" for r in warning)
    assert "sh:maxCount 0" in warning[0].message


def test_warnings_only_conform() -> None:
    shapes = PREFIXES + prop("sh:maxCount 0 ; sh:severity sh:Warning")
    report = _compiled(shapes, PREFIXES + VALUES)
    assert report.results and report.conforms


def test_to_text_groups_by_message() -> None:
    text = _report().to_text(max_focus_nodes=2)
    assert text.startswith("Conforms: False; 20 result(s) (16 sh:Violation, 4 sh:Warning)")
    assert "[sh:Violation] p must be an IRI: 16 result(s)" in text
    assert "... and 14 more" in text
    assert "[sh:Warning]" in text and "path ^<http://example.org/p>" in text


def test_to_graph_is_a_standard_report() -> None:
    report = _report()
    g = report.to_graph()
    (node,) = g.subjects(RDF.type, SH.ValidationReport)
    assert g.value(node, SH.conforms) == Literal(False)
    assert len(list(g.objects(node, SH.result))) == len(report.results)
    inverse = [p for p in g.objects(None, SH.resultPath) if isinstance(p, BNode)]
    assert inverse and all(
        g.value(p, SH.inversePath) == URIRef("http://example.org/p") for p in inverse
    )
    assert (None, SH.resultMessage, Literal("p must be an IRI")) in g
    # readable by rdflib's Turtle round trip
    assert len(rdflib.Graph().parse(data=g.serialize(format="turtle"), format="turtle")) == len(g)


# -- graphs --------------------------------------------------------------------------


def test_graph_selection_and_union() -> None:
    ontology, data, other = (
        ox.NamedNode(f"http://example.org/graph/{n}") for n in ("ont", "data", "other")
    )
    store = ox.Store()
    store.load(
        (PREFIXES + "ex:Sub rdfs:subClassOf ex:A .").encode(),
        ox.RdfFormat.TURTLE,
        to_graph=ontology,
    )
    store.load((PREFIXES + "ex:s a ex:Sub .").encode(), ox.RdfFormat.TURTLE, to_graph=data)
    store.load((PREFIXES + "ex:t a ex:A ; ex:p 1 .").encode(), ox.RdfFormat.TURTLE, to_graph=other)
    constraints = compile_shapes(PREFIXES + prop("sh:minCount 1"))

    def focus(report: ValidationReport) -> set[str]:
        return {r.focus_node.value.rsplit("/", 1)[1] for r in report.results}

    assert focus(validate(store, constraints)) == {"s"}  # all graphs
    assert focus(validate(store, constraints, graphs=[data, ontology])) == {"s"}  # subclass seen
    assert focus(validate(store, constraints, graphs=[data])) == set()  # no ontology: not an ex:A
    assert focus(validate(store, constraints, graphs=[other])) == set()
    assert focus(validate(store, constraints, union=False)) == set()  # the empty default graph
    separately = validate(store, constraints, graphs=[data, other], union=False)
    assert separately.results == []


def test_triples_repeated_in_several_graphs_count_once() -> None:
    # Oxigraph's union default graph returns a triple once per graph that holds it.
    store = ox.Store()
    for g in ("http://example.org/g1", "http://example.org/g2"):
        store.load(
            (PREFIXES + 'ex:s a ex:A ; ex:p "x" .').encode(),
            ox.RdfFormat.TURTLE,
            to_graph=ox.NamedNode(g),
        )
    shapes = PREFIXES + prop("sh:maxCount 1 ; sh:minCount 2 ; sh:datatype xsd:integer")
    report = validate(store, compile_shapes(shapes))
    assert sorted(r.constraint_component.split("#")[1] for r in report.results) == [
        "DatatypeConstraintComponent", "MinCountConstraintComponent"
    ]  # fmt: skip


def test_compiled_queries_are_plain_selects() -> None:
    for c in compile_shapes(PREFIXES + CASES["range of a percentage score"][0]):
        assert c.sparql.startswith("SELECT ") and "?focus" in c.sparql
        ox.Store().query(c.sparql)  # parses and runs


def test_the_project_shapes_compile() -> None:
    from importlib.resources import files

    texts = [
        r.read_text("utf-8") for r in files("mipex_kg.shapes").iterdir() if r.name.endswith(".ttl")
    ]
    if not texts:
        pytest.skip("no shapes in shapes/ yet")
    constraints = compile_shapes("\n".join(texts))
    assert constraints and all(c.sparql.startswith("SELECT") for c in constraints)
    validate(ox.Store(), constraints)  # every query runs


def test_a_constraint_failing_on_a_thread_hands_over_none_of_its_locals() -> None:
    """With ``threads``, each constraint's query runs on a pool thread and its rows (a
    pyoxigraph iterator, which may only be dropped on the thread that made it) are a
    local of that thread's frame; a failure there is raised again on the caller's
    thread. The failing frame must come back with its locals emptied (the traceback
    stays, for the log), else the rows could be dropped on the wrong thread."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))
    constraint = CompiledConstraint("urn:shape", str(SH.MinCountConstraintComponent), None,
                                    str(SH.Violation), "m", "SELECT ?focus WHERE { ?focus ?p ?o }")

    class Failing:  # the focus filter fails while the rows are being read
        def __contains__(self, node: object) -> bool:
            raise LookupError("no focus here")

    with pytest.raises(LookupError, match="no focus here") as raised:
        validate(store, [constraint, constraint], threads=2, focus=Failing())
    frames = {frame.f_code.co_name: frame for frame, _ in traceback.walk_tb(raised.value.__traceback__)}
    assert "run" in frames and frames["run"].f_locals == {}  # kept for the log, emptied
