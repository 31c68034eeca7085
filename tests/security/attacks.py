"""The corpus: queries and updates that hide a network access, as hypothesis strategies.

Every attack points a ``SERVICE``, ``LOAD``, ``FROM``, ``USING`` / ``WITH`` / graph
operation, or a protocol dataset parameter at a canary, disguised along the
dimensions of ``dimensions``. A *family* varies some dimensions and keeps the others
at their plainest option, so a failing family names the kind of bypass; noise
(query form, separators, SILENT, the inner pattern) always varies so texts differ.
``FAMILIES`` lists them with how many examples a test draws and how many distinct
texts those must at least be.

The glue patterns match ``data.SERVICE_DATA``, so the engine really reaches a
clause behind them: a bypass shows as a canary connection, not as an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from hypothesis import strategies as st

from tests.security import dimensions as dim
from tests.security.dimensions import Option, Targets, Term


@dataclass(frozen=True)
class Attack:
    """One query or update, the options that built it, and protocol parameters."""

    kind: Literal["query", "update"]
    text: str
    family: str
    recipe: tuple[str, ...]
    engine_valid: bool = True
    params: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        return f"{self.family} [{', '.join(self.recipe) or 'plain'}]"


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:\\")


def join(left: str, separator: str, right: str) -> str:
    """``left + separator + right``; an empty separator becomes a space where the two
    tokens would otherwise run together into one name."""
    if not separator and left[-1:] in _NAME_CHARS and right[:1] in _NAME_CHARS:
        separator = " "
    return left + separator + right


@dataclass
class _Choices:
    """The options drawn for one attack; dimensions outside ``vary`` stay plainest."""

    draw: st.DrawFn
    vary: frozenset[str]
    targets: Targets
    recipe: list[str] = field(default_factory=list)
    engine_valid: bool = True

    def option(self, dimension: str, options: Sequence[Option], *, noise: bool = False) -> object:
        chosen = options[0]
        if noise or dimension in self.vary:
            chosen = self.draw(st.sampled_from(options))
        if chosen is not options[0]:
            self.recipe.append(f"{dimension}={chosen.name}")
        self.engine_valid = self.engine_valid and chosen.engine_valid
        return chosen.value

    def text(self, dimension: str, options: Sequence[Option], *, noise: bool = False) -> str:
        return str(self.option(dimension, options, noise=noise))

    def url(self) -> str:
        """A canary URL, its host and path written as drawn."""
        host = self.option("host", dim.HOSTS)
        path = self.option("path", dim.PATHS)
        assert callable(host) and callable(path)
        return str(host(self.targets)) + str(path(self.targets))

    def term(self, endpoints: Sequence[Option]) -> Term:
        build = self.option("endpoint", endpoints)
        assert callable(build)
        term = build(self.url())
        assert isinstance(term, Term)
        return term

    def attack(self, kind: Literal["query", "update"], family: str, text: str,
               params: tuple[tuple[str, str], ...] = ()) -> Attack:
        return Attack(kind, text, family, tuple(self.recipe), self.engine_valid, params)


def _clause(choices: _Choices, keywords: Sequence[Option], modifier: str,
            modifiers: Sequence[Option], term: Term) -> tuple[str, str]:
    """``KEYWORD [MODIFIER] term`` (SILENT, NAMED ...), its tokens parted by one drawn
    separator; returns the clause and the separator."""
    separator = choices.text("separator", dim.SEPARATORS, noise=True)
    clause = choices.text("keyword", keywords)
    extra = choices.text(modifier, modifiers, noise=True)
    if extra:
        clause = join(clause, separator, extra)
    return join(clause, separator, term.term), separator


def _service_where(choices: _Choices, endpoints: Sequence[Option]) -> tuple[str, Term]:
    """A WHERE group holding ``<glue>SERVICE [SILENT] <endpoint> {inner}`` somewhere."""
    term = choices.term(endpoints)
    clause, separator = _clause(choices, dim.SERVICE_KEYWORDS, "silent", dim.SILENTS, term)
    clause = join(clause, separator, choices.text("inner", dim.INNERS, noise=True))
    block = term.before + choices.text("glue", dim.GLUES) + clause
    wrapper = choices.text("wrapper", dim.WRAPPERS)
    return wrapper.replace("_B_", block).replace("_ALLOWED_", f"<{choices.targets.allowed}>"), term


@st.composite
def _service_operations(draw: st.DrawFn, targets: Targets, family: str, vary: frozenset[str],
                        *, kind: Literal["query", "update"], endpoints: Sequence[Option],
                        forms: Sequence[Option]) -> Attack:
    choices = _Choices(draw, vary, targets)
    where, term = _service_where(choices, endpoints)
    form = choices.text("form", forms, noise=True)
    return choices.attack(kind, family, term.prologue + form.replace("_W_", where) + term.after)


#: A query with a SERVICE clause aimed at a canary.
service_queries = partial(_service_operations, kind="query", endpoints=dim.ENDPOINTS,
                          forms=dim.QUERY_FORMS)
#: An INSERT / DELETE whose WHERE clause calls a canary with SERVICE.
service_updates = partial(_service_operations, kind="update", endpoints=dim.UPDATE_ENDPOINTS,
                          forms=dim.MODIFY_FORMS)


@st.composite
def from_queries(draw: st.DrawFn, targets: Targets, family: str, vary: frozenset[str]) -> Attack:
    """A query whose FROM or FROM NAMED names a canary URL."""
    choices = _Choices(draw, vary, targets)
    term = choices.term(dim.IRI_ENDPOINTS)
    clause, separator = _clause(choices, dim.FROM_KEYWORDS, "named", dim.NAMED, term)
    text = join(choices.text("head", dim.FROM_HEADS, noise=True), separator, clause)
    return choices.attack("query", family, f"{term.prologue}{text}{{ ?s ?p ?o }}")


@st.composite
def dataset_parameter_queries(draw: st.DrawFn, targets: Targets, family: str,
                              vary: frozenset[str]) -> Attack:
    """A plain query whose protocol dataset (default-graph-uri ...) is a canary URL."""
    choices = _Choices(draw, vary, targets)
    parameter = choices.text("parameter", dim.DATASET_PARAMETERS, noise=True)
    form = choices.text("form", dim.QUERY_FORMS, noise=True)
    return choices.attack("query", family, form.replace("_W_", "{ ?s ?p ?o }"),
                          ((parameter, choices.url()),))


@st.composite
def load_updates(draw: st.DrawFn, targets: Targets, family: str, vary: frozenset[str]) -> Attack:
    """An update that LOADs a canary URL, maybe after or before other operations."""
    choices = _Choices(draw, vary, targets)
    term = choices.term(dim.IRI_ENDPOINTS)
    clause, _ = _clause(choices, dim.LOAD_KEYWORDS, "silent", dim.SILENTS, term)
    clause = join(clause, "", choices.text("after", dim.AFTER_LOAD, noise=True))
    return choices.attack("update", family,
                          term.prologue + choices.text("glue", dim.BEFORE_LOAD) + clause)


@st.composite
def graph_iri_updates(draw: st.DrawFn, targets: Targets, family: str,
                      vary: frozenset[str]) -> Attack:
    """An update naming a canary URL as a graph (USING, WITH, ADD ...), or a plain one
    with a canary URL as using-graph-uri / using-named-graph-uri."""
    choices = _Choices(draw, vary, targets)
    term = choices.term(dim.IRI_ENDPOINTS)
    template = choices.text("form", dim.GRAPH_IRI_UPDATES, noise=True)
    params: tuple[tuple[str, str], ...] = ()
    if "USING" not in template.upper() and "WITH" not in template and draw(st.booleans()):
        parameter = choices.text("parameter", dim.UPDATE_DATASET_PARAMETERS, noise=True)
        params = ((parameter, choices.url()),)
    return choices.attack("update", family, term.prologue + template.replace("_T_", term.term),
                          params)


# -- the families ---------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A strategy, the dimensions it varies, the examples a test draws from it, the
    distinct texts those must at least be, and whether the bare engine would open
    connections for such attacks (SERVICE, LOAD; not FROM, USING, graph IRIs)."""

    name: str
    build: Callable[[Targets, str, frozenset[str]], st.SearchStrategy[Attack]]
    vary: frozenset[str]
    examples: int
    distinct: int
    reaches_engine: bool = True

    def strategy(self, targets: Targets) -> st.SearchStrategy[Attack]:
        return self.build(targets, self.name, self.vary)


_HOST = frozenset({"host", "path"})
_EVERYTHING = frozenset({"glue", "keyword", "endpoint", "wrapper"}) | _HOST

QUERY_FAMILIES = (
    Family("service-glue", service_queries, frozenset({"glue"}), 90, 70),
    Family("service-keyword", service_queries, frozenset({"keyword"}), 40, 30),
    Family("service-endpoint", service_queries, frozenset({"endpoint"}), 60, 45),
    Family("service-host", service_queries, _HOST, 60, 45),
    Family("service-nesting", service_queries, frozenset({"wrapper"}), 70, 55),
    Family("service-hidden-endpoint", service_queries, frozenset({"glue", "endpoint"}), 60, 50),
    Family("service-hidden-host", service_queries, frozenset({"glue"}) | _HOST, 60, 50),
    Family("service-hidden-nesting", service_queries, frozenset({"glue", "wrapper"}), 60, 50),
    Family("service-everything", service_queries, _EVERYTHING, 100, 90),
    Family("from", from_queries, frozenset({"keyword", "endpoint"}) | _HOST, 50, 40, False),
    Family("dataset-parameters", dataset_parameter_queries, _HOST, 20, 15, False),
)
UPDATE_FAMILIES = (
    Family("load", load_updates, frozenset({"keyword", "endpoint", "glue"}) | _HOST, 70, 55),
    Family("update-service", service_updates, _EVERYTHING, 70, 60),
    Family("update-graph-iri", graph_iri_updates, frozenset({"endpoint"}) | _HOST, 40, 30,
           False),
)
FAMILIES = QUERY_FAMILIES + UPDATE_FAMILIES
