"""Fast SHACL Core validation: shapes compiled to SPARQL SELECTs, run in Oxigraph.

pyshacl is the reference for what the shapes mean; this module gives the same
verdicts on the data the project writes, an order of magnitude faster, without
copying the store into rdflib (see /work/shared/PERFORMANCE.md).

``compile_shapes(shapes)`` turns every active constraint of every targeted shape
into one ``CompiledConstraint`` holding one SPARQL SELECT that returns the
violations as ``?focus ?value`` rows (``?value`` unbound for sh:minCount,
sh:maxCount and a property sh:hasValue). ``validate(store, constraints)`` runs them
and returns a ``ValidationReport``.

Supported (SHACL Core, https://www.w3.org/TR/shacl/):

* targets: sh:targetClass (instances of the class and of its subclasses, following
  rdfs:subClassOf* in the data), implicit class targets (a shape that is an
  rdfs:Class), sh:targetSubjectsOf, sh:targetObjectsOf, sh:targetNode;
* node shapes with sh:property, property shapes with a predicate path or
  [ sh:inversePath <p> ], constraints directly on a node shape;
* sh:minCount sh:maxCount sh:datatype sh:class sh:nodeKind sh:minInclusive
  sh:maxInclusive sh:minExclusive sh:maxExclusive sh:pattern (+ sh:flags) sh:in
  sh:hasValue sh:languageIn sh:minLength sh:maxLength;
* sh:deactivated, sh:severity (default sh:Violation), sh:message (default: a
  message naming the constraint).

Anything else in the sh: namespace on a validated shape (sh:or, sh:node, sh:sparql,
sh:closed, complex paths ...) raises ``UnsupportedShapeError``: a shape is never
checked partly.

Comparisons follow the SHACL definitions, which are SPARQL ones: a value for which
``?value >= min`` is not true (an IRI, a string against a number, an ill-typed
literal) violates sh:minInclusive. Where pyshacl departs from the specification, or
where Oxigraph's storage loses information, the verdicts differ; the cases are
listed in tests/test_shacl_compiled.py (``DIVERGENCES``). The one that matters in
practice: Oxigraph stores xsd:int, xsd:nonNegativeInteger and the other integer
subtypes as xsd:integer (and xsd:dateTimeStamp as xsd:dateTime), so
``sh:datatype xsd:nonNegativeInteger`` accepts an xsd:integer in the type's range.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection

from mipex_kg.graph.namespaces import PREFIXES

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
XSD = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"

__all__ = [
    "CompiledConstraint",
    "UnsupportedShapeError",
    "ValidationReport",
    "ValidationResult",
    "compile_shapes",
    "validate",
]


class UnsupportedShapeError(ValueError):
    """A shape uses something this compiler does not implement (or is malformed)."""

    def __init__(self, shape: str, construct: str, detail: str = "") -> None:
        self.shape, self.construct = shape, construct
        text = f"shape {shape}: {construct} is not supported by the compiled SHACL validator"
        super().__init__(text + (f" ({detail})" if detail else "") + "; use pyshacl for it")


@dataclass(frozen=True)
class CompiledConstraint:
    """One constraint of one shape, as a SELECT whose rows ``?focus ?value`` are violations."""

    source_shape: str  # the shape's IRI, or "_:label" for a blank node
    constraint_component: str  # e.g. "http://www.w3.org/ns/shacl#MinCountConstraintComponent"
    path: str | None  # predicate IRI, "^" + IRI for an inverse path, None on a node shape
    severity: str
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
    graph: ox.NamedNode | None = None  # set when graphs were validated one by one


@dataclass
class ValidationReport:
    results: list[ValidationResult] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not any(r.severity == str(SH.Violation) for r in self.results)

    def to_text(self, max_focus_nodes: int = 5) -> str:
        """A readable report: one block per message, with counts and a few focus nodes."""
        by_severity = Counter(_compact(r.severity) for r in self.results)
        head = f"Conforms: {self.conforms}; {len(self.results)} result(s)"
        if by_severity:
            head += " (" + ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items())) + ")"
        groups: dict[tuple, list[ValidationResult]] = defaultdict(list)
        for r in self.results:
            groups[(r.severity, r.message, r.source_shape, r.result_path)].append(r)
        lines = [head]
        for (severity, message, shape, path), rs in sorted(
            groups.items(), key=lambda kv: (kv[0][0] != str(SH.Violation), -len(kv[1]), kv[0][1])
        ):
            lines.append(f"\n[{_compact(severity)}] {message}: {len(rs)} result(s)")
            lines.append(
                f"  shape {_compact(shape)}, {_compact(rs[0].constraint_component)}"
                + (f", path {_compact_path(path)}" if path else "")
            )
            for r in rs[:max_focus_nodes]:
                shown = "" if r.value is None or r.value == r.focus_node else f" value {r.value}"
                lines.append(f"  - {r.focus_node}{shown}")
            if len(rs) > max_focus_nodes:
                lines.append(f"  ... and {len(rs) - max_focus_nodes} more")
        return "\n".join(lines) + "\n"

    def to_graph(self) -> rdflib.Graph:
        """The report as a standard sh:ValidationReport."""
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
            if r.result_path is not None:
                if r.result_path.startswith("^"):
                    path = BNode()
                    g.add((path, SH.inversePath, URIRef(r.result_path[1:])))
                else:
                    path = URIRef(r.result_path)
                g.add((node, SH.resultPath, path))
            if r.value is not None:
                g.add((node, SH.value, _to_rdflib(r.value)))
            shape = r.source_shape
            g.add((node, SH.sourceShape, BNode(shape[2:]) if shape.startswith("_:") else URIRef(shape)))
            g.add((node, SH.sourceConstraintComponent, URIRef(r.constraint_component)))
            g.add((node, SH.resultSeverity, URIRef(r.severity)))
            g.add((node, SH.resultMessage, Literal(r.message)))
        return g


# -- compiling -----------------------------------------------------------------------

# Shape predicates that do not constrain anything (or are read with another one).
_NON_VALIDATING = {
    SH.name, SH.description, SH.order, SH.group, SH.defaultValue, SH.message,
    SH.severity, SH.deactivated, SH.flags, SH.path, SH.property,
    SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
}  # fmt: skip
_VALUE_PARAMS = [
    SH.datatype, SH["class"], SH.nodeKind, SH.minInclusive, SH.maxInclusive,
    SH.minExclusive, SH.maxExclusive, SH.pattern, SH["in"], SH.hasValue,
    SH.languageIn, SH.minLength, SH.maxLength,
]  # fmt: skip
_COUNT_PARAMS = [SH.minCount, SH.maxCount]
_COMPONENT = {  # sh:minCount -> sh:MinCountConstraintComponent
    p: f"{SH}{p[len(SH)].upper()}{p[len(SH) + 1:]}ConstraintComponent" for p in _VALUE_PARAMS + _COUNT_PARAMS
}
# Parameters a well-formed shape gives at most one value (SHACL section 4).
_SINGLE = set(_COUNT_PARAMS) | {
    SH.datatype, SH.nodeKind, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
    SH.maxExclusive, SH["in"], SH.languageIn, SH.minLength, SH.maxLength,
}  # fmt: skip
_COMPARISON = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_NODE_KIND = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
# Datatypes whose well-formedness Oxigraph checks on load: an ill-typed literal keeps
# its datatype but is not numeric / cannot be cast to its own type.
_NUMERIC = {XSD.integer, XSD.decimal, XSD.float, XSD.double}
_CASTABLE = {
    XSD[t] for t in "boolean date dateTime time duration dayTimeDuration yearMonthDuration "
    "gYear gYearMonth gMonth gDay gMonthDay".split()
}
# Integer subtypes, which Oxigraph stores as xsd:integer: (min, max) of the value space.
_INTEGER_SUBTYPES: dict[URIRef, tuple[int | None, int | None]] = {
    XSD.nonNegativeInteger: (0, None), XSD.positiveInteger: (1, None),
    XSD.nonPositiveInteger: (None, 0), XSD.negativeInteger: (None, -1),
    XSD.long: (-(2**63), 2**63 - 1), XSD.int: (-(2**31), 2**31 - 1),
    XSD.short: (-(2**15), 2**15 - 1), XSD.byte: (-128, 127),
    XSD.unsignedLong: (0, 2**64 - 1), XSD.unsignedInt: (0, 2**32 - 1),
    XSD.unsignedShort: (0, 2**16 - 1), XSD.unsignedByte: (0, 255),
}  # fmt: skip


@dataclass
class _Targets:
    classes: set[URIRef] = field(default_factory=set)
    subjects_of: set[URIRef] = field(default_factory=set)
    objects_of: set[URIRef] = field(default_factory=set)
    nodes: set[URIRef | Literal] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.classes or self.subjects_of or self.objects_of or self.nodes)

    def update(self, other: _Targets) -> None:
        for name in ("classes", "subjects_of", "objects_of", "nodes"):
            getattr(self, name).update(getattr(other, name))

    def sparql(self) -> str:
        """A group binding ?focus to each focus node once."""
        branches = [f"?focus {_RDF_TYPE}/{_SUBCLASS}* {_sparql(c)} ." for c in sorted(self.classes)]
        branches += [f"?focus {_sparql(p)} [] ." for p in sorted(self.subjects_of)]
        branches += [f"[] {_sparql(p)} ?focus ." for p in sorted(self.objects_of)]
        if self.nodes:
            branches.append("VALUES ?focus { " + " ".join(_sparql(n) for n in sorted(self.nodes)) + " }")
        union = " UNION ".join("{ " + b + " }" for b in branches)
        return "{ SELECT DISTINCT ?focus WHERE { " + union + " } }"


def compile_shapes(shapes: rdflib.Graph | str, *, format: str = "turtle") -> list[CompiledConstraint]:
    """Compile every active constraint of every targeted shape to one SPARQL SELECT.

    ``shapes`` is a shapes graph or its text (Turtle unless ``format`` says otherwise).

    Raises:
        UnsupportedShapeError: a validated shape uses a construct outside the supported
            subset, or is malformed.
    """
    sg = shapes if isinstance(shapes, rdflib.Graph) else rdflib.Graph().parse(data=shapes, format=format)
    property_targets: dict[Any, _Targets] = defaultdict(_Targets)
    compiled: list[CompiledConstraint] = []
    for shape in sorted(_targeted_shapes(sg), key=str):
        if _deactivated(sg, shape):
            continue
        targets = _targets_of(sg, shape)
        if (shape, SH.path, None) in sg:  # a property shape with targets of its own
            property_targets[shape].update(targets)
            continue
        _check_supported(sg, shape, node_shape=True)
        compiled += _compile_shape(sg, shape, targets, path=None)
        for prop in sg.objects(shape, SH.property):
            if not _deactivated(sg, prop):
                property_targets[prop].update(targets)
    for prop in sorted(property_targets, key=str):
        _check_supported(sg, prop, node_shape=False)
        compiled += _compile_shape(sg, prop, property_targets[prop], path=_path_of(sg, prop))
    return compiled


def _targeted_shapes(sg: rdflib.Graph) -> set:
    found = {s for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
             for s in sg.subjects(p, None)}  # fmt: skip
    shape_types = {SH.NodeShape, SH.PropertyShape}
    for shape_type in shape_types:
        found |= {s for s in sg.subjects(RDF.type, shape_type) if _is_class(sg, s)}
    return found


def _is_class(sg: rdflib.Graph, node) -> bool:
    classes = {RDFS.Class} | set(sg.transitive_subjects(RDFS.subClassOf, RDFS.Class))
    return any(t in classes for t in sg.objects(node, RDF.type))


def _targets_of(sg: rdflib.Graph, shape) -> _Targets:
    t = _Targets(
        classes=set(sg.objects(shape, SH.targetClass)),
        subjects_of=set(sg.objects(shape, SH.targetSubjectsOf)),
        objects_of=set(sg.objects(shape, SH.targetObjectsOf)),
        nodes=set(sg.objects(shape, SH.targetNode)),
    )
    if _is_class(sg, shape):
        t.classes.add(shape)
    for name, values in vars(t).items():
        if any(isinstance(v, BNode) for v in values) or (
            name != "nodes" and any(isinstance(v, Literal) for v in values)
        ):
            raise UnsupportedShapeError(_name(shape), f"a blank node or literal in its {name} target")
    return t


def _deactivated(sg: rdflib.Graph, shape) -> bool:
    return any(isinstance(v, Literal) and v.value is True for v in sg.objects(shape, SH.deactivated))


def _check_supported(sg: rdflib.Graph, shape, *, node_shape: bool) -> None:
    for p in set(sg.predicates(shape, None)):
        if not str(p).startswith(str(SH)) or p in _NON_VALIDATING or p in _VALUE_PARAMS:
            continue
        if p in _COUNT_PARAMS and not node_shape:
            continue
        where = " on a node shape" if p in _COUNT_PARAMS else ""
        raise UnsupportedShapeError(_name(shape), _compact(str(p)) + where)
    if not node_shape and (shape, SH.property, None) in sg:
        raise UnsupportedShapeError(_name(shape), "sh:property on a property shape")
    if (shape, SH.flags, None) in sg and (shape, SH.pattern, None) not in sg:
        raise UnsupportedShapeError(_name(shape), "sh:flags without sh:pattern")


def _path_of(sg: rdflib.Graph, shape) -> str:
    paths = list(sg.objects(shape, SH.path))
    if len(paths) != 1:
        raise UnsupportedShapeError(_name(shape), "a property shape without exactly one sh:path")
    path = paths[0]
    if isinstance(path, URIRef):
        return str(path)
    inverse = list(sg.objects(path, SH.inversePath))
    if len(inverse) == 1 and isinstance(inverse[0], URIRef) and len(set(sg.predicates(path, None))) == 1:
        return "^" + str(inverse[0])
    construct = next((_compact(str(p)) for p in sg.predicates(path, None) if p != SH.inversePath), None)
    raise UnsupportedShapeError(_name(shape), f"the complex sh:path {construct or 'sh:inversePath of a non-IRI'}")


def _compile_shape(sg: rdflib.Graph, shape, targets: _Targets, path: str | None) -> list[CompiledConstraint]:
    """One CompiledConstraint per constraint parameter value of ``shape``."""
    severity = str(sg.value(shape, SH.severity) or SH.Violation)
    message = _message(sg, shape)
    if path is None:
        value_nodes = "BIND(?focus AS ?value)"
    elif path.startswith("^"):
        value_nodes = f"?value <{path[1:]}> ?focus ."
    else:
        value_nodes = f"?focus <{path}> ?value ."
    focus = targets.sparql()
    flags = list(sg.objects(shape, SH.flags))
    if len(flags) > 1 or any(not isinstance(f, Literal) or set(str(f)) - set("imsxq") for f in flags):
        raise UnsupportedShapeError(_name(shape), "sh:flags other than one string of i, m, s, x, q")
    out = []
    for param in _COUNT_PARAMS + _VALUE_PARAMS:
        args = sorted(sg.objects(shape, param), key=str)
        if len(args) > 1 and param in _SINGLE:
            raise UnsupportedShapeError(_name(shape), f"{_compact(param)} with {len(args)} values")
        for arg in args:
            where, describe = _constraint(sg, shape, param, arg, path, str(flags[0]) if flags else "")
            if where is None:  # trivially satisfied (sh:minCount 0)
                continue
            if param in (SH.minCount, SH.maxCount):  # `where` closes the group itself
                sparql = f"SELECT ?focus WHERE {{ {focus} {where}"
            elif param == SH.hasValue:  # no sh:value, as in pyshacl
                sparql = f"SELECT ?focus WHERE {{ {focus} {where} }}"
            else:
                sparql = f"SELECT DISTINCT ?focus ?value WHERE {{ {focus} {value_nodes} {where} }}"
            out.append(
                CompiledConstraint(
                    source_shape=_name(shape),
                    constraint_component=_COMPONENT[param],
                    path=path,
                    severity=severity,
                    message=message or f"{_compact_path(path) + ': ' if path else ''}{describe}",
                    sparql=sparql,
                )
            )
    return out


def _constraint(sg, shape, param, arg, path, flags) -> tuple[str | None, str]:
    """(SPARQL that keeps only violating rows, a description) for one parameter value."""
    name = _name(shape)
    label = f"sh:{param.removeprefix(str(SH))} {_show(sg, arg)}"

    def violates(condition: str) -> str:  # a condition that errors counts as false
        return f"FILTER(!COALESCE({condition}, false))"

    if param in (SH.minCount, SH.maxCount):
        n = _non_negative_int(arg, name, label)
        triple = f"?v <{path[1:]}> ?focus" if path.startswith("^") else f"?focus <{path}> ?v"
        if param == SH.maxCount:
            return f"{triple} }} GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) > {n})", f"{label}: more than {n} values"
        if n == 0:
            return None, label
        if n == 1:
            return f"FILTER NOT EXISTS {{ {triple} }} }}", f"{label}: no value"
        return f"OPTIONAL {{ {triple} }} }} GROUP BY ?focus HAVING (COUNT(DISTINCT ?v) < {n})", (
            f"{label}: fewer than {n} values"
        )
    if param == SH.datatype:
        if not isinstance(arg, URIRef) or arg == RDFS.Datatype:
            raise UnsupportedShapeError(name, f"{label} (only a datatype IRI)")
        return violates(_datatype_condition(arg)), f"{label}: value is not a well-formed literal of that datatype"
    if param == SH["class"]:
        if not isinstance(arg, URIRef):
            raise UnsupportedShapeError(name, f"{label} (only a class IRI)")
        return (
            f"FILTER NOT EXISTS {{ ?value {_RDF_TYPE}/{_SUBCLASS}* {_sparql(arg)} }}",
            f"{label}: value is not an instance of {_compact(str(arg))}",
        )
    if param == SH.nodeKind:
        if arg not in _NODE_KIND:
            raise UnsupportedShapeError(name, f"{label} (not a SHACL node kind)")
        return violates(_NODE_KIND[arg].format(v="?value")), f"{label}: value is not of that node kind"
    if param in _COMPARISON:
        if not isinstance(arg, Literal):
            raise UnsupportedShapeError(name, f"{label} (only a literal bound)")
        return violates(f"?value {_COMPARISON[param]} {_sparql(arg)}"), (
            f"{label}: value is not {_COMPARISON[param]} {arg}"
        )
    if param == SH.pattern:
        if not isinstance(arg, Literal):
            raise UnsupportedShapeError(name, f"{label} (only a string)")
        regex = f"REGEX(STR(?value), {_sparql(Literal(str(arg)))}, {_sparql(Literal(flags))})"
        return violates(f"!isBlank(?value) && {regex}"), f"{label}: value does not match"
    if param == SH["in"]:
        members = _list(sg, arg, name, label)
        if any(isinstance(m, BNode) for m in members):
            raise UnsupportedShapeError(name, f"{label} (a blank node member)")
        condition = " || ".join(f"sameTerm(?value, {_sparql(m)})" for m in members) or "false"
        return violates(condition), f"{label}: value is not one of the allowed values"
    if param == SH.hasValue:
        if isinstance(arg, BNode):
            raise UnsupportedShapeError(name, f"{label} (a blank node)")
        if path is None:
            return violates(f"sameTerm(?focus, {_sparql(arg)})"), f"{label}: focus node is not {arg}"
        triple = f"{_sparql(arg)} <{path[1:]}> ?focus" if path.startswith("^") else f"?focus <{path}> {_sparql(arg)}"
        return f"FILTER NOT EXISTS {{ {triple} }}", f"{label}: missing value"
    if param == SH.languageIn:
        ranges = _list(sg, arg, name, label)
        if any(not isinstance(r, Literal) for r in ranges):
            raise UnsupportedShapeError(name, f"{label} (only string members)")
        matches = " || ".join(f"langMatches(lang(?value), {_sparql(Literal(str(r)))})" for r in ranges)
        return violates(f"isLiteral(?value) && ({matches or 'false'})"), f"{label}: language tag not allowed"
    # sh:minLength, sh:maxLength
    n = _non_negative_int(arg, name, label)
    op = ">=" if param == SH.minLength else "<="
    return violates(f"!isBlank(?value) && STRLEN(STR(?value)) {op} {n}"), f"{label}: value length is not {op} {n}"


def _datatype_condition(dt: URIRef) -> str:
    """True when ?value is a well-formed literal of datatype ``dt`` (as stored by Oxigraph)."""
    if dt == RDFS.Literal:  # pyshacl's reading: every literal
        return "isLiteral(?value)"
    if dt == RDF.langString:
        return "isLiteral(?value) && lang(?value) != ''"
    if dt in _INTEGER_SUBTYPES:
        low, high = _INTEGER_SUBTYPES[dt]
        bounds = "".join(
            f" && ?value {op} {n}" for op, n in ((">=", low), ("<=", high)) if n is not None
        )
        return f"datatype(?value) IN (<{XSD.integer}>, {_sparql(dt)}) && isNumeric(?value){bounds}"
    if dt == XSD.dateTimeStamp:
        return f"datatype(?value) IN (<{XSD.dateTime}>, {_sparql(dt)}) && tz(?value) != ''"
    check = f"datatype(?value) = {_sparql(dt)}"
    if dt in _NUMERIC:
        return check + " && isNumeric(?value)"
    if dt in _CASTABLE:
        return check + f" && isLiteral({_sparql(dt)}(?value))"
    return check  # xsd:string, and datatypes whose lexical space is not checked


def _list(sg: rdflib.Graph, node, shape: str, label: str) -> list:
    if node != RDF.nil and (node, RDF.first, None) not in sg:
        raise UnsupportedShapeError(shape, f"{label} (not an RDF list)")
    return list(Collection(sg, node))


def _non_negative_int(arg, shape: str, label: str) -> int:
    if not isinstance(arg, Literal) or not isinstance(arg.value, int) or arg.value < 0:
        raise UnsupportedShapeError(shape, f"{label} (not a non-negative integer)")
    return int(arg.value)


def _message(sg: rdflib.Graph, shape) -> str | None:
    def english_first(m: Any) -> tuple[bool, str]:
        return getattr(m, "language", None) not in (None, "en"), str(m)

    messages = sorted(sg.objects(shape, SH.message), key=english_first)
    return str(messages[0]) if messages else None


# -- running -------------------------------------------------------------------------


def validate(
    store: ox.Store,
    constraints: Sequence[CompiledConstraint],
    *,
    graphs: Iterable[ox.NamedNode] | None = None,
    union: bool = True,
) -> ValidationReport:
    """Run the compiled constraints over the store.

    The data graph is the union of ``graphs``, or of every graph in the store when
    ``graphs`` is None. With ``union=False`` each graph in ``graphs`` is validated
    on its own (results carry ``graph``), or, when ``graphs`` is None, the store's
    default graph alone. A ``KnowledgeStore`` is accepted too.
    """
    store = getattr(store, "oxigraph", store)
    if graphs is None:
        runs = [(None, {"use_default_graph_as_union": True} if union else {})]
    elif union:
        runs = [(None, {"default_graph": list(graphs)})]
    else:
        runs = [(g, {"default_graph": g}) for g in graphs]
    results = []
    for graph, options in runs:
        for c in constraints:
            rows = store.query(c.sparql, **options)
            has_value = ox.Variable("value") in rows.variables
            for row in rows:
                results.append(
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
                )
    return ValidationReport(results)


# -- terms ---------------------------------------------------------------------------


def _sparql(term: URIRef | Literal) -> str:
    """An rdflib IRI or literal in SPARQL (N-Triples) syntax, canonicalised by Oxigraph."""
    if isinstance(term, URIRef):
        return str(ox.NamedNode(str(term)))
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string))))


def _to_rdflib(term: Any) -> rdflib.term.Identifier:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def _name(node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _show(sg: rdflib.Graph, node) -> str:
    if isinstance(node, URIRef):
        return _compact(str(node))
    if isinstance(node, BNode) and (node, RDF.first, None) in sg:
        return "(" + " ".join(_show(sg, m) for m in Collection(sg, node)) + ")"
    if isinstance(node, Literal):
        plain = node.datatype in (XSD.integer, XSD.decimal, XSD.boolean) and not node.ill_typed
        return str(node) if plain else node.n3()
    return str(node)


_PREFIXES = {"sh": str(SH), **PREFIXES}


def _compact(iri: str) -> str:
    for prefix, ns in _PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri if iri.startswith("_:") else f"<{iri}>"


def _compact_path(path: str) -> str:
    return "^" + _compact(path[1:]) if path.startswith("^") else _compact(path)
