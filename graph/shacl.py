"""Fast SHACL Core validation: shapes compiled to SPARQL SELECTs, run in Oxigraph.

pyshacl is the reference for what the shapes mean; this module gives its verdicts on
the data the project writes, about ten times faster and without copying the store
into rdflib (see /work/shared/PERFORMANCE.md and scripts/bench_shacl.py).

``compile_shapes(shapes)`` turns every active constraint of every targeted shape into
one ``CompiledConstraint`` holding one SPARQL SELECT whose rows ``?focus ?value`` are
the violations (``?value`` is not projected for sh:minCount, sh:maxCount and
sh:hasValue). ``validate(store, constraints)`` runs them and returns a
``ValidationReport``.

Supported (SHACL Core, https://www.w3.org/TR/shacl/):

* targets: sh:targetClass (instances of the class and of its subclasses, following
  rdf:type/rdfs:subClassOf* in the *data*, which must therefore hold the ontology),
  implicit class targets (a shape that is also an rdfs:Class), sh:targetSubjectsOf,
  sh:targetObjectsOf, sh:targetNode;
* node shapes with sh:property; property shapes whose sh:path is an IRI or
  [ sh:inversePath <iri> ], with targets of their own or not; value constraints
  directly on a node shape;
* sh:minCount sh:maxCount sh:datatype sh:class sh:nodeKind sh:minInclusive
  sh:maxInclusive sh:minExclusive sh:maxExclusive sh:pattern (+ sh:flags) sh:in
  sh:hasValue sh:languageIn sh:minLength sh:maxLength;
* sh:deactivated, sh:severity (default sh:Violation), sh:message (default: a message
  naming the path and the constraint).

Anything else in the sh: namespace on a validated shape (sh:or, sh:node, sh:sparql,
sh:closed, a sequence path ...) raises ``UnsupportedShapeError``: a shape is never
checked only in part.

Semantics are the specification's, which are SPARQL's: a value for which
``?value >= $min`` is not true (an IRI, a string against a number, an ill-typed
literal) violates sh:minInclusive; sh:class, sh:in and sh:hasValue compare terms;
sh:minCount counts distinct values. Where pyshacl departs from the specification, or
Oxigraph's storage canonicalises a literal, the verdicts differ: the cases are pinned
in tests/test_shacl_compiled.py (``DIVERGENCES``). The one that matters in practice:
Oxigraph stores xsd:int, xsd:nonNegativeInteger and the other integer subtypes as
xsd:integer (and xsd:dateTimeStamp as xsd:dateTime), so ``sh:datatype
xsd:nonNegativeInteger`` accepts any xsd:integer in that type's range.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection

from mipex_kg.graph.handoff import kept_here
from mipex_kg.graph.namespaces import PREFIXES

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
_INSTANCE_OF = (
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/"
    "<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
)

__all__ = [
    "CompiledConstraint",
    "UnsupportedShapeError",
    "ValidationReport",
    "ValidationResult",
    "compile_shapes",
    "validate",
]


class UnsupportedShapeError(ValueError):
    """A validated shape uses a construct this compiler does not implement, or is malformed."""

    def __init__(self, shape: str, construct: str) -> None:
        self.shape, self.construct = shape, construct
        super().__init__(
            f"shape {shape}: {construct} is not supported by the compiled SHACL validator"
            " (see mipex_kg.graph.shacl; pyshacl supports all of SHACL)"
        )


@dataclass(frozen=True)
class CompiledConstraint:
    """One constraint of one shape: a SELECT whose rows ``?focus [?value]`` are violations."""

    source_shape: str  # the shape's IRI, or "_:label" for a blank node
    constraint_component: str  # e.g. "http://www.w3.org/ns/shacl#MinCountConstraintComponent"
    path: str | None  # the predicate IRI, "^" + IRI for an inverse path, None on a node shape
    severity: str  # IRI, sh:Violation unless the shape says otherwise
    message: str
    sparql: str


@dataclass(frozen=True)
class ValidationResult:
    focus_node: ox.NamedNode | ox.BlankNode | ox.Literal
    result_path: str | None  # as CompiledConstraint.path
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    source_shape: str
    constraint_component: str
    severity: str
    message: str
    graph: ox.NamedNode | None = None  # set when graphs are validated one by one


@dataclass
class ValidationReport:
    results: list[ValidationResult] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """No result of severity sh:Violation (warnings and infos do not fail a graph)."""
        return not any(r.severity == _VIOLATION for r in self.results)

    def to_text(self, max_focus_nodes: int = 5) -> str:
        """A readable report: one block per message, with its count and a few focus nodes."""
        severities = Counter(_compact(r.severity) for r in self.results)
        lines = [f"Conforms: {self.conforms}; {len(self.results)} result(s)"]
        if severities:
            lines[0] += " (" + ", ".join(f"{n} {s}" for s, n in sorted(severities.items())) + ")"
        groups: dict[tuple, list[ValidationResult]] = defaultdict(list)
        for r in self.results:
            groups[(r.severity, r.message, r.source_shape, r.result_path)].append(r)
        for (severity, message, shape, path), rs in sorted(
            groups.items(), key=lambda g: (g[0][0] != _VIOLATION, -len(g[1]), g[0][1])
        ):
            lines.append(f"\n[{_compact(severity)}] {message}: {len(rs)} result(s)")
            where = f", path {_compact_path(path)}" if path else ""
            component = _compact(rs[0].constraint_component)
            lines.append(f"  shape {_compact(shape)}, {component}{where}")
            for r in rs[:max_focus_nodes]:
                shown = "" if r.value is None or r.value == r.focus_node else f" value {r.value}"
                lines.append(f"  - {r.focus_node}{shown}")
            if len(rs) > max_focus_nodes:
                lines.append(f"  ... and {len(rs) - max_focus_nodes} more")
        return "\n".join(lines) + "\n"

    def to_graph(self) -> rdflib.Graph:
        """The report as a standard sh:ValidationReport, for HTTP clients and tools."""
        g = rdflib.Graph()
        g.bind("sh", SH)
        report = BNode()
        g.add((report, RDF.type, SH.ValidationReport))
        g.add((report, SH.conforms, Literal(self.conforms)))
        for r in self.results:
            node = BNode()
            g.add((report, SH.result, node))
            g.add((node, RDF.type, SH.ValidationResult))
            g.add((node, SH.focusNode, _to_rdflib(r.focus_node)))
            if r.result_path is not None and r.result_path.startswith("^"):
                path = BNode()
                g.add((path, SH.inversePath, URIRef(r.result_path[1:])))
                g.add((node, SH.resultPath, path))
            elif r.result_path is not None:
                g.add((node, SH.resultPath, URIRef(r.result_path)))
            if r.value is not None:
                g.add((node, SH.value, _to_rdflib(r.value)))
            shape = r.source_shape
            source = BNode(shape[2:]) if shape.startswith("_:") else URIRef(shape)
            g.add((node, SH.sourceShape, source))
            g.add((node, SH.sourceConstraintComponent, URIRef(r.constraint_component)))
            g.add((node, SH.resultSeverity, URIRef(r.severity)))
            g.add((node, SH.resultMessage, Literal(r.message)))
        return g


# -- compiling -----------------------------------------------------------------------

_VIOLATION = str(SH.Violation)
# Shape predicates that constrain nothing themselves (or are read with another one).
_NON_VALIDATING = {
    SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.message,
    SH.severity, SH.deactivated, SH.flags, SH.path, SH.property,
    SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
}  # fmt: skip
_COUNT_PARAMS = [SH.minCount, SH.maxCount]
_VALUE_PARAMS = [
    SH.datatype, SH["class"], SH.nodeKind, SH.minInclusive, SH.maxInclusive,
    SH.minExclusive, SH.maxExclusive, SH.pattern, SH["in"], SH.hasValue,
    SH.languageIn, SH.minLength, SH.maxLength,
]  # fmt: skip
# Parameters that a well-formed shape gives at most one value.
_SINGLE = set(_COUNT_PARAMS) | set(_VALUE_PARAMS) - {SH["class"], SH.pattern, SH.hasValue}
_COMPARISON = {
    SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"
}  # fmt: skip
_NODE_KIND = {
    SH.IRI: "isIRI(?value)",
    SH.BlankNode: "isBlank(?value)",
    SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "!isLiteral(?value)",
    SH.BlankNodeOrLiteral: "!isIRI(?value)",
    SH.IRIOrLiteral: "!isBlank(?value)",
}
# Datatypes whose lexical forms Oxigraph checks on load: an ill-typed literal keeps its
# datatype but is not numeric, and cannot be cast to its own datatype.
_NUMERIC = {XSD.integer, XSD.decimal, XSD.float, XSD.double}
_CASTABLE = {
    XSD[t]
    for t in [
        "boolean", "date", "dateTime", "time", "duration", "dayTimeDuration",
        "yearMonthDuration", "gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay",
    ]
}  # fmt: skip
# Integer subtypes, which Oxigraph stores as xsd:integer: the bounds of each value space.
_INTEGER_SUBTYPES: dict[URIRef, tuple[int | None, int | None]] = {
    XSD.nonNegativeInteger: (0, None), XSD.positiveInteger: (1, None),
    XSD.nonPositiveInteger: (None, 0), XSD.negativeInteger: (None, -1),
    XSD.long: (-(2**63), 2**63 - 1), XSD.int: (-(2**31), 2**31 - 1),
    XSD.short: (-(2**15), 2**15 - 1), XSD.byte: (-128, 127),
    XSD.unsignedLong: (0, 2**64 - 1), XSD.unsignedInt: (0, 2**32 - 1),
    XSD.unsignedShort: (0, 2**16 - 1), XSD.unsignedByte: (0, 255),
}  # fmt: skip


def compile_shapes(
    shapes: rdflib.Graph | str, *, format: str = "turtle"
) -> list[CompiledConstraint]:
    """Compile every active constraint of every targeted shape to one SPARQL SELECT.

    ``shapes`` is a shapes graph, or its text (Turtle unless ``format`` says otherwise).
    Shapes without targets that no targeted node shape uses are ignored, as in pyshacl.

    Raises:
        UnsupportedShapeError: a validated shape uses a construct outside the supported
            subset, or is malformed.
    """
    sg = shapes
    if not isinstance(sg, rdflib.Graph):
        sg = rdflib.Graph().parse(data=shapes, format=format)
    compiled: list[CompiledConstraint] = []
    # A property shape used by several node shapes is run once, on all their focus nodes.
    property_shapes: dict[Any, _Targets] = defaultdict(_Targets)
    for shape in sorted(_targeted_shapes(sg), key=str):
        if _deactivated(sg, shape):
            continue
        targets = _targets_of(sg, shape)
        if (shape, SH.path, None) in sg:  # a property shape with targets of its own
            property_shapes[shape].update(targets)
            continue
        _check_supported(sg, shape, node_shape=True)
        compiled += _compile_shape(sg, shape, targets, path=None)
        for prop in sg.objects(shape, SH.property):
            if not _deactivated(sg, prop):
                property_shapes[prop].update(targets)
    for prop, targets in sorted(property_shapes.items(), key=lambda item: str(item[0])):
        _check_supported(sg, prop, node_shape=False)
        compiled += _compile_shape(sg, prop, targets, path=_path_of(sg, prop))
    return compiled


@dataclass
class _Targets:
    classes: set[URIRef] = field(default_factory=set)
    subjects_of: set[URIRef] = field(default_factory=set)
    objects_of: set[URIRef] = field(default_factory=set)
    nodes: set[URIRef | Literal] = field(default_factory=set)

    def update(self, other: _Targets) -> None:
        for name, values in vars(other).items():
            getattr(self, name).update(values)

    def sparql(self) -> str:
        """A sub-select binding ?focus to each focus node once."""
        branches = [f"?focus {_INSTANCE_OF} {_sparql(c)} ." for c in sorted(self.classes)]
        branches += [f"?focus {_sparql(p)} [] ." for p in sorted(self.subjects_of)]
        branches += [f"[] {_sparql(p)} ?focus ." for p in sorted(self.objects_of)]
        if self.nodes:
            nodes = " ".join(sorted(_sparql(n) for n in self.nodes))
            branches.append(f"VALUES ?focus {{ {nodes} }}")
        union = " UNION ".join(f"{{ {b} }}" for b in branches)
        return f"{{ SELECT DISTINCT ?focus WHERE {{ {union} }} }}"


def _targeted_shapes(sg: rdflib.Graph) -> set:
    targets = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
    found = {s for p in targets for s in sg.subjects(p, None)}
    for shape_type in (SH.NodeShape, SH.PropertyShape):
        found |= {s for s in sg.subjects(RDF.type, shape_type) if _is_class(sg, s)}
    return found


def _is_class(sg: rdflib.Graph, node: Any) -> bool:
    """An implicit class target: the shape is an rdfs:Class (or of a subclass of it)."""
    classes = {RDFS.Class, *sg.transitive_subjects(RDFS.subClassOf, RDFS.Class)}
    return any(t in classes for t in sg.objects(node, RDF.type))


def _targets_of(sg: rdflib.Graph, shape: Any) -> _Targets:
    targets = _Targets(
        classes=set(sg.objects(shape, SH.targetClass)),
        subjects_of=set(sg.objects(shape, SH.targetSubjectsOf)),
        objects_of=set(sg.objects(shape, SH.targetObjectsOf)),
        nodes=set(sg.objects(shape, SH.targetNode)),
    )
    if _is_class(sg, shape):
        targets.classes.add(shape)
    for name, values in vars(targets).items():
        allowed = (URIRef, Literal) if name == "nodes" else URIRef
        if not all(isinstance(v, allowed) for v in values):
            raise UnsupportedShapeError(_name(shape), f"a blank node or literal as {name} target")
    return targets


def _deactivated(sg: rdflib.Graph, shape: Any) -> bool:
    values = sg.objects(shape, SH.deactivated)
    return any(isinstance(v, Literal) and v.value is True for v in values)


def _check_supported(sg: rdflib.Graph, shape: Any, *, node_shape: bool) -> None:
    for p in sorted(set(sg.predicates(shape, None))):
        if not p.startswith(str(SH)) or p in _NON_VALIDATING or p in _VALUE_PARAMS:
            continue
        if p in _COUNT_PARAMS and not node_shape:
            continue
        where = " on a node shape" if p in _COUNT_PARAMS else ""
        raise UnsupportedShapeError(_name(shape), _compact(p) + where)
    if not node_shape and (shape, SH.property, None) in sg:
        raise UnsupportedShapeError(_name(shape), "sh:property on a property shape")


def _path_of(sg: rdflib.Graph, shape: Any) -> str:
    paths = list(sg.objects(shape, SH.path))
    if len(paths) != 1:
        raise UnsupportedShapeError(_name(shape), f"a property shape with {len(paths)} sh:path")
    path = paths[0]
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in sg:
        raise UnsupportedShapeError(_name(shape), "a sequence sh:path")
    described = list(sg.predicate_objects(path))  # exactly [ sh:inversePath <iri> ]
    if len(described) == 1 and described[0][0] == SH.inversePath:
        inverse = described[0][1]
        if isinstance(inverse, URIRef):
            return f"^{inverse}"
        raise UnsupportedShapeError(_name(shape), "an sh:inversePath of a complex path")
    kind = ", ".join(sorted(_compact(p) for p in set(sg.predicates(path, None))))
    raise UnsupportedShapeError(_name(shape), f"the sh:path [ {kind} ... ]")


@dataclass
class _Check:
    """How one parameter value becomes SPARQL."""

    where: str  # follows the focus nodes (and the value nodes when per_value)
    describe: str  # the default message
    per_value: bool = True  # joins the value nodes and reports ?value


def _compile_shape(
    sg: rdflib.Graph, shape: Any, targets: _Targets, path: str | None
) -> list[CompiledConstraint]:
    """One CompiledConstraint per constraint parameter value of ``shape``."""
    if path is None:
        value_nodes = "BIND(?focus AS ?value)"
    elif path.startswith("^"):
        value_nodes = f"?value <{path[1:]}> ?focus ."
    else:
        value_nodes = f"?focus <{path}> ?value ."
    focus = targets.sparql()
    message = _message(sg, shape)
    out = []
    for param in _COUNT_PARAMS + _VALUE_PARAMS:
        args = sorted(sg.objects(shape, param), key=str)
        if len(args) > 1 and param in _SINGLE:
            raise UnsupportedShapeError(_name(shape), f"{_compact(param)} with {len(args)} values")
        for arg in args:
            check = _check(sg, shape, param, arg, path)
            if check is None:  # sh:minCount 0
                continue
            if check.per_value:
                sparql = (
                    f"SELECT DISTINCT ?focus ?value WHERE {{ {focus} {value_nodes} {check.where} }}"
                )
            else:
                sparql = f"SELECT DISTINCT ?focus WHERE {{ {focus} {check.where} }}"
            component = f"{SH}{param[len(SH)].upper()}{param[len(SH) + 1 :]}ConstraintComponent"
            prefix = f"{_compact_path(path)}: " if path else ""
            out.append(
                CompiledConstraint(
                    source_shape=_name(shape),
                    constraint_component=component,
                    path=path,
                    severity=str(sg.value(shape, SH.severity) or SH.Violation),
                    message=message or prefix + check.describe,
                    sparql=sparql,
                )
            )
    return out


def _check(
    sg: rdflib.Graph, shape: Any, param: URIRef, arg: Any, path: str | None
) -> _Check | None:
    """The SPARQL for one value of one constraint parameter."""
    label = f"{_compact(param)} {_show(sg, arg)}"

    def unsupported(why: str) -> UnsupportedShapeError:
        return UnsupportedShapeError(_name(shape), f"{label} ({why})")

    def holds(condition: str, describe: str) -> _Check:  # a condition that errors is false
        return _Check(f"FILTER(!COALESCE({condition}, false))", f"{label}: {describe}")

    if param in _COUNT_PARAMS:
        # Grouping all subjects of the path first, then joining the focus nodes, is
        # 2-3x faster in Oxigraph than grouping the focus nodes' values.
        n = _count(arg, unsupported)
        triple = f"?v <{path[1:]}> ?focus" if path.startswith("^") else f"?focus <{path}> ?v"
        if param == SH.minCount and n == 0:
            return None
        if param == SH.minCount and n == 1:  # the common case, without grouping
            return _Check(
                f"FILTER NOT EXISTS {{ {triple} }}", f"{label}: no value", per_value=False
            )
        if param == SH.maxCount:
            return _Check(_grouped(triple, f"> {n}"), f"{label}: more than {n} values", False)
        fewer = f"MINUS {_grouped(triple, f'>= {n}')}"
        return _Check(fewer, f"{label}: fewer than {n} values", per_value=False)
    if param == SH.datatype:
        if not isinstance(arg, URIRef) or arg == RDFS.Datatype:
            raise unsupported("only a datatype IRI")
        return holds(_well_formed(arg), "not a well-formed literal of that datatype")
    if param == SH["class"]:
        if not isinstance(arg, URIRef):
            raise unsupported("only a class IRI")
        # One pass over the instances (MINUS) is twice as fast as NOT EXISTS per value.
        instances = f"MINUS {{ ?value {_INSTANCE_OF} {_sparql(arg)} }}"
        return _Check(instances, f"{label}: not an instance of the class")
    if param == SH.nodeKind:
        if arg not in _NODE_KIND:
            raise unsupported("not a SHACL node kind")
        return holds(_NODE_KIND[arg], "not of that node kind")
    if param in _COMPARISON:
        if not isinstance(arg, Literal):
            raise unsupported("only a literal")
        op = _COMPARISON[param]
        return holds(f"?value {op} {_sparql(arg)}", f"value is not {op} {_show(sg, arg)}")
    if param == SH.pattern:
        flags = [str(f) for f in sg.objects(shape, SH.flags)]
        if not isinstance(arg, Literal) or len(flags) > 1 or set("".join(flags)) - set("imsxq"):
            raise unsupported("a string, with at most one sh:flags of i, m, s, x, q")
        pattern, flag = _sparql(Literal(str(arg))), _sparql(Literal("".join(flags)))
        regex = f"REGEX(STR(?value), {pattern}, {flag})"
        if not _regex_compiles(regex):
            raise unsupported("a regular expression that Oxigraph rejects")
        return holds(f"!isBlank(?value) && {regex}", "value does not match")
    if param == SH["in"]:
        members = _list(sg, arg, unsupported)
        if any(isinstance(m, BNode) for m in members):
            raise unsupported("a blank node member")
        allowed = " || ".join(f"sameTerm(?value, {_sparql(m)})" for m in members)
        return holds(allowed or "false", "not one of the allowed values")
    if param == SH.hasValue:
        if isinstance(arg, BNode):
            raise unsupported("a blank node")
        if path is None:
            condition = f"FILTER(!sameTerm(?focus, {_sparql(arg)}))"
            return _Check(condition, f"{label}: the focus node is another node", per_value=False)
        value = _sparql(arg)
        inverse = path.startswith("^")
        triple = f"{value} <{path[1:]}> ?focus" if inverse else f"?focus <{path}> {value}"
        return _Check(f"FILTER NOT EXISTS {{ {triple} }}", f"{label}: missing", per_value=False)
    if param == SH.languageIn:
        ranges = _list(sg, arg, unsupported)
        if not all(isinstance(r, Literal) for r in ranges):
            raise unsupported("only strings")
        tags = [_sparql(Literal(str(r))) for r in ranges]
        matches = " || ".join(f"langMatches(lang(?value), {tag})" for tag in tags)
        return holds(f"isLiteral(?value) && ({matches or 'false'})", "language tag not allowed")
    op = ">=" if param == SH.minLength else "<="  # sh:minLength, sh:maxLength
    n = _count(arg, unsupported)
    return holds(f"!isBlank(?value) && STRLEN(STR(?value)) {op} {n}", f"length is not {op} {n}")


def _grouped(triple: str, count: str) -> str:
    """The subjects of ``triple`` whose number of distinct ?v satisfies ``count``."""
    having = f"HAVING (COUNT(DISTINCT ?v) {count})"
    return f"{{ SELECT ?focus WHERE {{ {triple} }} GROUP BY ?focus {having} }}"


def _well_formed(datatype: URIRef) -> str:
    """True when ?value is a well-formed literal of ``datatype``, as Oxigraph stores it."""
    if datatype == RDFS.Literal:  # pyshacl's reading: any literal
        return "isLiteral(?value)"
    if datatype == RDF.langString:
        return "isLiteral(?value) && lang(?value) != ''"
    if datatype in _INTEGER_SUBTYPES:
        low, high = _INTEGER_SUBTYPES[datatype]
        bounds = [f"?value {op} {n}" for op, n in ((">=", low), ("<=", high)) if n is not None]
        types = f"<{XSD.integer}>, {_sparql(datatype)}"
        return " && ".join([f"datatype(?value) IN ({types})", "isNumeric(?value)", *bounds])
    if datatype == XSD.dateTimeStamp:
        return f"datatype(?value) IN (<{XSD.dateTime}>, {_sparql(datatype)}) && tz(?value) != ''"
    condition = f"datatype(?value) = {_sparql(datatype)}"
    if datatype in _NUMERIC:
        return condition + " && isNumeric(?value)"
    if datatype in _CASTABLE:
        return condition + f" && isLiteral({_sparql(datatype)}(?value))"
    return condition  # xsd:string, and datatypes whose lexical forms are not checked


def _regex_compiles(regex: str) -> bool:
    """Oxigraph turns a bad pattern into an error on every value: catch it here instead."""
    try:
        (row,) = ox.Store().query(f"SELECT ({regex} AS ?ok) WHERE {{ BIND('' AS ?value) }}")
    except (SyntaxError, ValueError, RuntimeError):
        return False
    return row["ok"] is not None


def _list(sg: rdflib.Graph, node: Any, unsupported: Any) -> list:
    if node != RDF.nil and (node, RDF.first, None) not in sg:
        raise unsupported("not an RDF list")
    return list(Collection(sg, node))


def _count(arg: Any, unsupported: Any) -> int:
    value = arg.value if isinstance(arg, Literal) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise unsupported("not a non-negative integer")
    return value


def _message(sg: rdflib.Graph, shape: Any) -> str | None:
    """The shape's sh:message, English or untagged first."""
    messages = sorted(
        sg.objects(shape, SH.message),
        key=lambda m: (getattr(m, "language", None) not in (None, "en"), str(m)),
    )
    return str(messages[0]) if messages else None


# -- running -------------------------------------------------------------------------


def validate(
    store: ox.Store,
    constraints: Sequence[CompiledConstraint],
    *,
    graphs: Iterable[ox.NamedNode] | None = None,
    union: bool = True,
    threads: int = 1,
    focus: Container[ox.NamedNode | ox.BlankNode] | None = None,
) -> ValidationReport:
    """Run compiled constraints over the store; one query each, on ``threads`` threads.

    The data graph is the union of ``graphs``, or of every graph in the store when
    ``graphs`` is None. With ``union=False``, each graph in ``graphs`` is validated on
    its own (its results carry ``graph``), or, when ``graphs`` is None, the store's
    default graph alone. A ``KnowledgeStore`` (anything with ``.oxigraph``) is
    accepted too. ``focus``: report only results on these nodes (the others are
    skipped before a result is made: the recomputation's gate sees some 10^5 rows on
    published scores it only types).
    """
    store = getattr(store, "oxigraph", store)
    if graphs is None:
        runs = [(None, {"use_default_graph_as_union": True} if union else {})]
    elif union:
        runs = [(None, {"default_graph": list(graphs)})]
    else:
        runs = [(g, {"default_graph": g}) for g in graphs]
    def run(task: tuple[ox.NamedNode | None, dict[str, Any], CompiledConstraint]
            ) -> list[ValidationResult]:
        graph, options, c = task
        rows = store.query(c.sparql, **options)
        has_value = ox.Variable("value") in rows.variables
        return [
            ValidationResult(
                focus_node=row["focus"],
                result_path=c.path,
                value=row["value"] if has_value else None,
                source_shape=c.source_shape,
                constraint_component=c.constraint_component,
                severity=c.severity,
                message=c.message,
                graph=graph,
            )
            for row in rows
            if focus is None or row["focus"] in focus
        ]

    # pyoxigraph releases the GIL while it evaluates, so queries on threads overlap.
    tasks = [(graph, options, c) for graph, options in runs for c in constraints]
    if threads > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(threads) as pool:
            answers = list(pool.map(functools.partial(kept_here, run), tasks))
    else:
        answers = [run(task) for task in tasks]
    return ValidationReport([result for answer in answers for result in answer])


# -- terms ---------------------------------------------------------------------------


def _sparql(term: URIRef | Literal) -> str:
    """An rdflib IRI or literal in SPARQL syntax (N-Triples, so escaped safely)."""
    if isinstance(term, URIRef):
        return str(ox.NamedNode(str(term)))
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    return str(ox.Literal(str(term), datatype=ox.NamedNode(term.datatype or XSD.string)))


def _to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Identifier:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == str(XSD.string):
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _name(node: Any) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _show(sg: rdflib.Graph, node: Any) -> str:
    """A shape parameter's value, short: mkg:Country, 100, "^[A-Z]{3}$", ("en" "fr")."""
    if isinstance(node, URIRef):
        return _compact(node)
    if isinstance(node, BNode) and (node, RDF.first, None) in sg:
        return "(" + " ".join(_show(sg, m) for m in Collection(sg, node)) + ")"
    if isinstance(node, Literal):
        plain = node.datatype in (XSD.integer, XSD.decimal, XSD.boolean) and not node.ill_typed
        return str(node) if plain else node.n3()
    return str(node)


_PREFIXES = {"sh": str(SH), **PREFIXES}


def _compact(iri: str) -> str:
    for prefix, namespace in _PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri if iri.startswith("_:") else f"<{iri}>"


def _compact_path(path: str) -> str:
    return "^" + _compact(path[1:]) if path.startswith("^") else _compact(path)
