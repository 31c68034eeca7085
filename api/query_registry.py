"""The named queries of ``queries/``: loaded, checked, bound and run.

Each ``queries/<name>.rq`` is one question the facade answers. Its ``#+`` header
(``query_header``) gives a summary, a description, tags, the page size, the typed
parameters and the result columns; the SPARQL below it says where parameters go
with marker comments (and, optionally, where a page's LIMIT goes: ``#@page``)::

    SELECT ?jurisdiction ?score WHERE {
      #@bind ?indicator ?year
      ?obs mkg:indicator ?indicator ; ...
    }

At a marker, each parameter given becomes ``VALUES ?var { ... }`` (one value or a
list; not ``BIND``, which Virtuoso 7.2 fails to compile before a subquery that
selects the variable: docs/backends.md); a parameter left out binds nothing, so its
variable stays free ("any"). Terms come only from ``query_params`` (parsed, typed, checked
against the store's codes), and are written by ``sparql_term``, which accepts only
IRIs, integers and plain strings without quotes or backslashes: a parameter can never
change the shape of a query. The marker is a comment, so each file is also a plain
SPARQL query that runs as it is.

A parameter without a marker must be a variable the query selects: it is then
bound with pyoxigraph's ``substitutions`` (one value only), as grlc-style queries
expect.

``QueryRegistry.load()`` reads every file and refuses (``HeaderError``, naming the
file and line) a header that is malformed, a parameter with neither a marker nor a
selected variable, a marker without a parameter, columns that differ from the
query's projection, a paginated query without ORDER BY, or a query that does not
parse. ``columns`` may be left out: they are then the selected variables, untyped.

**Engine-specific texts.** Where an engine evaluates the shared text differently
from the standard, the query may carry a text of its own for that engine:
``queries/engines/<engine>/<name>.rq``, SPARQL only (plain ``#`` comments say why;
the ``#+`` header stays in the shared file, and holds for both; docs/backends.md,
"Engine-specific texts of the named queries"). ``prepare`` runs it when the store's
``engine_name`` is that engine, the shared text everywhere else. ``load()`` refuses (``HeaderError``) an engine text without a
shared query, with a ``#+`` header, whose projection or pagination differ from the
shared text's, or whose ``#@bind`` markers leave out one of the shared text's or name
no parameter, so that the one header documents both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mipex_kg.api.query_header import HeaderError, parse_header, parse_scalar
from mipex_kg.api.query_params import LIST_PATTERN, TYPES, ParamType, Term, Vocabulary, split_list
from mipex_kg.api.sparql_text import keyword_count
from mipex_kg.graph.iris import RECOMPUTED_GRAPH
from mipex_kg.graph.namespaces import XSD, sparql_prologue
from mipex_kg.graph.quad_store import QuadStore

MARKER = re.compile(r"^(?P<indent>[ \t]*)#@bind(?P<vars>(?:[ \t]+\?\w+)+)[ \t]*$", re.MULTILINE)
PAGE_MARKER = re.compile(r"^(?P<indent>[ \t]*)#@page[ \t]*$", re.MULTILINE)
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
HEADER_KEYS = {"summary", "description", "tags", "pagination", "params", "columns"}
PARAM_KEYS = {"type", "description", "example", "default", "required", "multiple", "var"}
COLUMN_TYPES = {"iri", "string", "integer", "decimal", "boolean", "date", "datetime"}
UNTYPED = "any"
VOCABULARY_FREE = {"year", "integer", "decimal", "iri", "text", "system-level",
                   "jurisdiction-level", "indicator-level"}
MAX_PAGE = 1000
#: Where a query's engine-specific texts live: ``engines/<engine>/<name>.rq``.
ENGINES_FOLDER = "engines"


class InvalidParameters(ValueError):
    """Request parameters that do not fit a query; ``problems`` name each one."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Param:
    """One typed parameter of a named query."""

    name: str
    var: str
    type: ParamType
    description: str
    example: str | None = None
    default: str | None = None
    required: bool = False
    multiple: bool = False

    def openapi(self, location: str = "query") -> dict[str, Any]:
        """The OpenAPI parameter object."""
        schema = dict(self.type.schema)
        if self.multiple:
            schema = {"type": "string", "pattern": LIST_PATTERN}
        if self.default is not None:
            schema["default"] = parse_scalar(self.default) if schema.get("type") == "integer" \
                else self.default
        lead = "Comma-separated list, each " if self.multiple else "Value: "
        spec = {
            "name": self.name,
            "in": location,
            "required": self.required or location == "path",
            "description": f"{self.description}\n\n{lead}{self.type.help}.",
            "schema": schema,
        }
        if self.example is not None:
            spec["example"] = (parse_scalar(self.example) if schema.get("type") == "integer"
                               else self.example)
        return spec

    def parse(self, raw: str | None, vocab: Vocabulary) -> list[Term] | None:
        """The terms for ``raw`` (None when absent and without a default).

        Raises:
            ValueError: the value does not fit the type.
        """
        if raw is None or raw == "":
            if self.required:
                raise ValueError("required")
            raw = self.default
            if raw is None:
                return None
        items = split_list(raw) if self.multiple else [raw.strip()]
        return [self.type.parse(item, vocab) for item in items]


@dataclass(frozen=True)
class Column:
    """One result column: its name, value type and meaning."""

    name: str
    type: str
    description: str

    def json_schema(self) -> dict[str, Any]:
        if self.type == UNTYPED:
            return {"description": self.description}
        kind = {"iri": "string", "decimal": "number", "date": "string", "datetime": "string"}
        schema: dict[str, Any] = {"type": [kind.get(self.type, self.type), "null"],
                                  "description": self.description}
        if self.type in ("iri", "date"):
            schema["format"] = {"iri": "iri", "date": "date"}[self.type]
        return schema


@dataclass(frozen=True)
class NamedQuery:
    """One named query: its documentation, parameters, columns and SPARQL."""

    name: str
    file: str
    summary: str
    description: str
    tags: tuple[str, ...]
    pagination: int | None
    params: dict[str, Param]
    columns: dict[str, Column]
    text: str
    sparql: str
    substituted: frozenset[str] = frozenset()
    #: SPARQL of their own for some engines (engine name -> text), see the module doc.
    engine_texts: Mapping[str, str] = field(default_factory=dict)

    def sparql_for(self, engine: str) -> str:
        """The text to run on ``engine``: its own when it has one, else the shared one."""
        return self.engine_texts.get(engine, self.sparql)

    @property
    def federated(self) -> bool:
        """Whether the query calls other SPARQL endpoints (SERVICE)."""
        return keyword_count(self.sparql, "SERVICE") > 0

    def substitutions(self, bound: Mapping[str, Sequence[Term] | None]) -> dict[ox.Variable, Term]:
        """The pyoxigraph substitutions for parameters bound without a marker."""
        return {
            ox.Variable(self.params[name].var): terms[0]
            for name in self.substituted
            if (terms := bound.get(name))
        }

    def parse_params(self, values: Mapping[str, str | None], vocab: Vocabulary,
                     location: str = "query") -> dict[str, list[Term] | None]:
        """The bound terms of every parameter, from request values.

        Raises:
            InvalidParameters: every problem, each naming its parameter.
        """
        bound: dict[str, list[Term] | None] = {}
        problems = []
        for name, param in self.params.items():
            try:
                bound[name] = param.parse(values.get(name), vocab)
            except ValueError as exc:
                problems.append((f"{location}.{name}", str(exc)))
        if problems:
            raise InvalidParameters(problems)
        return bound

    def bind(self, bound: Mapping[str, Sequence[Term] | None], engine: str = "") -> str:
        """The SPARQL text for ``engine`` with each marker replaced by the bound terms."""
        by_var = {p.var: bound.get(name) for name, p in self.params.items()}

        def replace(match: re.Match[str]) -> str:
            lines = []
            for var in match["vars"].split():
                terms = by_var.get(var[1:])
                if not terms:
                    continue
                lines.append(f"VALUES {var} {{ {' '.join(sparql_term(t) for t in terms)} }}")
            return "\n".join(match["indent"] + line for line in lines)

        return MARKER.sub(replace, self.sparql_for(engine))

    def page(self, sparql: str, limit: int, offset: int) -> str:
        """``sparql`` limited to one page (one row more, to know if another follows).

        The LIMIT goes where a ``#@page`` marker stands (a subquery that orders the
        rows, so that the outer query only decorates one page), else at the end.
        """
        clause = f"LIMIT {int(limit) + 1} OFFSET {int(offset)}"
        if PAGE_MARKER.search(sparql):
            return PAGE_MARKER.sub(lambda m: m["indent"] + clause, sparql, count=1)
        return f"{sparql}\n{clause}"


def sparql_term(term: Term) -> str:
    """A term in SPARQL syntax; only IRIs, integers and plain strings are written.

    >>> sparql_term(ox.Literal(2019)), sparql_term(ox.NamedNode("https://x.org/a"))
    ('2019', '<https://x.org/a>')

    Raises:
        ValueError: any other term, or a string with a quote, backslash or line break.
    """
    if isinstance(term, ox.NamedNode):
        if re.search(r"[\s<>\"{}|\\^`]", term.value):
            raise ValueError(f"refusing to write IRI {term.value!r}")
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        if term.datatype == XSD.integer and re.fullmatch(r"-?\d{1,18}", term.value):
            return term.value
        if term.datatype == XSD.decimal and re.fullmatch(r"-?\d{1,15}\.\d{1,15}", term.value):
            return term.value
        if term.datatype == XSD.decimal and re.fullmatch(r"-?\d{1,15}", term.value):
            return f"{term.value}.0"
        if term.datatype == XSD.string and not re.search(r"[\"\\\r\n]", term.value):
            return f'"{term.value}"'
    raise ValueError(f"refusing to write term {term!r}")


@dataclass
class Rows:
    """The solutions of one run: column names, solutions, whether more follow."""

    columns: list[str]
    solutions: list[ox.QuerySolution]
    has_more: bool = False
    limit: int | None = None
    offset: int = 0


@dataclass
class QueryRegistry:
    """Every named query, by name."""

    queries: dict[str, NamedQuery] = field(default_factory=dict)

    @classmethod
    def load(cls, package: str = "mipex_kg.queries") -> QueryRegistry:
        """Read and check every ``.rq`` file of ``package`` and its engine texts.

        Raises:
            HeaderError: a malformed or inconsistent file (file and line in the message).
        """
        return cls.from_folder(files(package))

    @classmethod
    def from_directory(cls, folder: Path) -> QueryRegistry:
        """Read and check every ``.rq`` file of a folder (for tests and tools)."""
        return cls.from_folder(Path(folder))

    @classmethod
    def from_folder(cls, folder: Traversable | Path) -> QueryRegistry:
        """The queries of ``folder/*.rq``, with ``folder/engines/<engine>/*.rq``."""
        registry = cls()
        for resource in _rq_files(folder):
            query = parse_query(resource.name, resource.read_text(encoding="utf-8"))
            registry.queries[query.name] = query
        engines = folder / ENGINES_FOLDER
        if engines.is_dir():
            for engine in sorted(engines.iterdir(), key=lambda r: r.name):
                for resource in _rq_files(engine) if engine.is_dir() else ():
                    registry._add_engine_text(engine.name, resource)
        return registry

    def _add_engine_text(self, engine: str, resource: Traversable | Path) -> None:
        """Attach one engine's text to its shared query (checked against it)."""
        file = f"{ENGINES_FOLDER}/{engine}/{resource.name}"
        query = self.queries.get(resource.name.removesuffix(".rq"))
        if query is None:
            raise HeaderError(file, 1, "an engine's text needs a shared query of the "
                              f"same name ({resource.name} beside the engines folder)")
        text = check_engine_text(query, file, resource.read_text(encoding="utf-8"))
        self.queries[query.name] = replace(
            query, engine_texts={**query.engine_texts, engine: text})

    def __getitem__(self, name: str) -> NamedQuery:
        return self.queries[name]

    def prepare(self, store: QuadStore, name: str,
                bound: Mapping[str, Sequence[Term] | None], limit: int | None = None,
                offset: int = 0, *, engine: str | None = None) -> PreparedQuery:
        """The SPARQL, substitutions and dataset of one run (one page when paginated):
        the text for the store's engine (``engine``, when given, instead: tests compare
        the texts on one store)."""
        query = self.queries[name]
        sparql = query.bind(bound, store.engine_name if engine is None else engine)
        if query.pagination is not None:
            limit = query.pagination if limit is None else limit
            sparql = query.page(sparql, limit, offset)
        default_graph = dataset_for(store, query).get("default_graph")
        return PreparedQuery(
            sparql, query.substitutions(bound),
            None if default_graph is None else tuple(g.value for g in default_graph),
            limit, offset, query.pagination is not None)

    def run(self, store: QuadStore, name: str, bound: Mapping[str, Sequence[Term] | None],
            limit: int | None = None, offset: int = 0, *, engine: str | None = None) -> Rows:
        """Run one named query in this process (tests, tools; the service uses the engine)."""
        prepared = self.prepare(store, name, bound, limit, offset, engine=engine)
        dataset: dict[str, Any] = {}
        if prepared.default_graphs is not None:
            dataset["default_graph"] = [ox.NamedNode(g) for g in prepared.default_graphs]
        results = store.query(prepared.sparql, substitutions=prepared.substitutions or None,
                              **dataset)
        return prepared.rows([v.value for v in results.variables], list(results))


@dataclass(frozen=True)
class PreparedQuery:
    """One run of a named query, ready for an engine: text, substitutions, dataset."""

    sparql: str
    substitutions: dict[ox.Variable, Term]
    default_graphs: tuple[str, ...] | None  # None: the union of every graph
    limit: int | None
    offset: int
    paginated: bool

    def rows(self, columns: list[str], solutions: list[ox.QuerySolution]) -> Rows:
        """The ``Rows`` of this run from its solutions (the extra row says more follow)."""
        limit = self.limit
        has_more = limit is not None and len(solutions) > limit
        return Rows(columns, solutions[:limit] if has_more else solutions, has_more,
                    limit if self.paginated else None, self.offset)



#: Queries tagged so read the recomputed scores; all others see only published and
#: reported ones, so that a recomputed figure never appears as a second score.
RECOMPUTED_TAG = "recompute"


def dataset_for(store: QuadStore, query: NamedQuery) -> dict[str, Any]:
    """The query's default graph: every graph, but graph/recomputed only when tagged."""
    if RECOMPUTED_TAG in query.tags or not store.has_graph(RECOMPUTED_GRAPH):
        return {}
    return {"default_graph": [g for g in store.named_graphs() if g != RECOMPUTED_GRAPH]}


def parse_query(file: str, text: str) -> NamedQuery:
    """One named query from its file text.

    Raises:
        HeaderError: anything wrong, with the file and line.
    """
    lines = text.splitlines()
    header, count = parse_header(lines, file)
    if not header:
        raise HeaderError(file, 1, "no '#+' header at the top of the file")
    where = header["__lines__"]
    for key in where:
        if key not in HEADER_KEYS:
            raise HeaderError(file, where[key], f"unknown header key {key!r}; "
                              f"expected {', '.join(sorted(HEADER_KEYS))}")
    for key in ("summary", "description"):
        if not isinstance(header.get(key), str | int) or not str(header.get(key)).strip():
            raise HeaderError(file, where.get(key, count), f"the header needs a {key!r} text")
    pagination = header.get("pagination")
    if pagination is not None and not (isinstance(pagination, int) and 0 < pagination <= MAX_PAGE):
        raise HeaderError(file, where["pagination"], f"pagination must be 1 to {MAX_PAGE}")
    tags = header.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise HeaderError(file, where["tags"], "tags must be a list such as [scores]")
    params = _params(file, header.get("params", {}), where.get("params", 1))
    columns = _columns(file, header.get("columns"), where.get("columns", 1))
    sparql = "\n".join(lines[count:]).strip() + "\n"
    query = NamedQuery(file.removesuffix(".rq"), file, str(header["summary"]),
                       str(header["description"]), tuple(tags), pagination,
                       params, columns, text, sparql)
    return _check_body(query, count + 1)


def _rq_files(folder: Traversable | Path) -> list[Traversable | Path]:
    """The ``.rq`` files of one folder, by name."""
    return sorted((r for r in folder.iterdir() if r.name.endswith(".rq") and r.is_file()),
                  key=lambda r: r.name)


def check_engine_text(query: NamedQuery, file: str, text: str) -> str:
    """An engine's text of ``query`` (its SPARQL, comments kept), once checked to fit
    the shared header: no header of its own, a SELECT that parses, the same columns
    in the same order, a marker for every variable the shared text binds by marker,
    and pagination as the shared text has it. It may also mark a parameter the shared
    text substitutes (bound by pyoxigraph in every subquery, by a ``VALUES`` at the
    top on a remote store): where an engine does not carry that ``VALUES`` into a
    subquery, the marker binds it there too.

    Raises:
        HeaderError: what differs, naming the file.
    """
    if any(line.startswith("#+") for line in text.splitlines()):
        raise HeaderError(file, 1, f"an engine's text takes no '#+' header: "
                          f"{query.file} documents it")
    sparql = text.strip() + "\n"
    projected = _selected(file, 1, sparql)
    if projected != list(query.columns):
        raise HeaderError(file, 1, f"the query selects {projected}, {query.file} has the "
                          f"columns {list(query.columns)} (same names, same order)")
    marked, shared_marked = set(_markers(sparql)), set(_markers(query.sparql))
    if missing := sorted(shared_marked - marked):
        raise HeaderError(file, 1, f"it has no '#@bind' marker for {missing}, which "
                          f"{query.file} binds by marker")
    declared = {f"?{p.var}" for p in query.params.values()}
    if undeclared := sorted(marked - declared):
        raise HeaderError(file, 1, f"its markers name {undeclared}, no parameter of "
                          f"{query.file}")
    pages, shared_pages = (len(PAGE_MARKER.findall(t)) for t in (sparql, query.sparql))
    if pages != shared_pages:
        raise HeaderError(file, 1, f"its '#@page' markers ({pages}) differ from "
                          f"{query.file}'s ({shared_pages})")
    if query.pagination is not None and not ORDER_BY.search(sparql):
        raise HeaderError(file, 1, "a paginated query needs ORDER BY (stable pages)")
    return sparql


def _selected(file: str, line: int, sparql: str) -> list[str]:
    """The variables a named query's SPARQL selects (parsed by the engine, on no data).

    Raises:
        HeaderError: it does not parse, or is not a SELECT query.
    """
    try:
        results = ox.Store().query(sparql_prologue() + sparql)
    except SyntaxError as exc:
        raise HeaderError(file, line, f"the query does not parse: {exc}") from None
    if not isinstance(results, ox.QuerySolutions):
        raise HeaderError(file, line, "a named query must be a SELECT query")
    return [v.value for v in results.variables]


def _markers(sparql: str) -> list[str]:
    """The variables ``#@bind`` markers bind (where and how often is the text's choice)."""
    return sorted({v for m in MARKER.finditer(sparql) for v in m["vars"].split()})


def _params(file: str, spec: Any, line: int) -> dict[str, Param]:
    """Parameters from a mapping (name: attributes) or a grlc-style list (- name: ...)."""
    if isinstance(spec, list):
        named = {}
        for item in spec:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise HeaderError(file, line, "each item of the params list needs a 'name'")
            named[item["name"]] = item
            named.setdefault("__lines__", {})[item["name"]] = item["__lines__"]["name"]
        spec = named
    if not isinstance(spec, dict):
        raise HeaderError(file, line, "params must map each parameter name to its attributes")
    params = {}
    for name, attrs in spec.items():
        if name == "__lines__":
            continue
        at = spec["__lines__"][name]
        if not isinstance(attrs, dict):
            raise HeaderError(file, at, f"parameter {name!r} needs a type and a description")
        params[name] = _param(file, name, attrs, at)
    return params


def _param(file: str, name: str, attrs: dict[str, Any], at: int) -> Param:
    lines = attrs["__lines__"]
    for key in lines:
        if key not in PARAM_KEYS | {"name"}:
            raise HeaderError(file, lines[key], f"unknown parameter key {key!r}; "
                              f"expected {', '.join(sorted(PARAM_KEYS))}")
    if "type" not in attrs:
        raise HeaderError(file, at, f"parameter {name!r} has no 'type'")
    if attrs["type"] not in TYPES:
        raise HeaderError(file, lines["type"], f"unknown type {attrs['type']!r}; "
                          f"expected one of {', '.join(TYPES)}")
    var = str(attrs.get("var", name.replace("-", "_")))
    if not re.fullmatch(r"[A-Za-z_]\w*", var) or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise HeaderError(file, at, f"parameter {name!r}: name or variable not allowed")
    description = str(attrs.get("description") or f"The value of ?{var} in the query.")
    param = Param(name, var, TYPES[attrs["type"]], description,
                  None if attrs.get("example") is None else str(attrs["example"]),
                  None if attrs.get("default") is None else str(attrs["default"]),
                  attrs.get("required") is True, attrs.get("multiple") is True)
    if attrs["type"] in VOCABULARY_FREE:
        for key in ("example", "default"):
            if attrs.get(key) is not None:
                try:
                    param.parse(str(attrs[key]), Vocabulary.empty())
                except ValueError as exc:
                    raise HeaderError(file, lines[key], str(exc)) from None
    return param


def _columns(file: str, spec: Any, line: int) -> dict[str, Column]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise HeaderError(file, line, "columns must map each column to 'type description'")
    columns = {}
    for name, value in spec.items():
        if name == "__lines__":
            continue
        kind, _, description = str(value).partition(" ")
        if kind not in COLUMN_TYPES or not description.strip():
            raise HeaderError(file, spec["__lines__"][name], f"column {name!r}: expected "
                              f"'<{'|'.join(sorted(COLUMN_TYPES))}> description'")
        columns[name] = Column(name, kind, description.strip())
    return columns


def _check_body(query: NamedQuery, first: int) -> NamedQuery:
    """Check the SPARQL against the header; return the query with its binding plan."""
    file = query.file
    marked = {v[1:] for m in MARKER.finditer(query.sparql) for v in m["vars"].split()}
    declared = {p.var: name for name, p in query.params.items()}
    for var in sorted(marked - set(declared)):
        line = next((n for n, text in enumerate(query.text.splitlines(), 1)
                     if MARKER.match(text) and f"?{var}" in text.split()), first)
        raise HeaderError(file, line, f"marker '#@bind ?{var}' names no declared parameter")
    if query.pagination is not None and not ORDER_BY.search(query.sparql):
        raise HeaderError(file, first, "a paginated query needs ORDER BY (stable pages)")
    if PAGE_MARKER.search(query.sparql) and query.pagination is None:
        raise HeaderError(file, first, "a '#@page' marker needs 'pagination' in the header")
    projected = _selected(file, first, query.sparql)
    substituted = []
    for var, name in declared.items():
        if var in marked:
            continue
        if var not in projected or query.params[name].multiple:
            raise HeaderError(file, first, f"parameter {name!r} needs a '#@bind ?{var}' marker "
                              f"(or, for one value, ?{var} among the selected variables)")
        substituted.append(name)
    columns = query.columns or {v: Column(v, UNTYPED, f"the query's ?{v}") for v in projected}
    if projected != list(columns):
        raise HeaderError(file, first, f"the query selects {projected}, the header's columns "
                          f"are {list(columns)} (same names, same order)")
    return replace(query, columns=columns, substituted=frozenset(substituted))
