"""The ways to disguise a network access, one list of named options per dimension.

The first option of every list is the plainest; a corpus family (``attacks``) varies
some dimensions and keeps the others at their first option. An option is a text, or
for ``HOSTS``, ``PATHS`` and ``ENDPOINTS`` a function that builds one. Templates
carry placeholders ``_B_`` (the block that holds the clause), ``_W_`` (the WHERE
group), ``_T_`` (a graph IRI) and ``_ALLOWED_`` (the allowed endpoint).

``engine_valid`` is false for the options pyoxigraph's grammar refuses although a
reader might take them for the keyword: SPARQL 1.1 §19.2 escapes outside IRIs and
strings (valid SPARQL, which pyoxigraph does not decode there), and ``_:b.SERVICE``
(one blank node label ``b.SERVICE``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.security.data import EX, SCRATCH, XSD_STRING


@dataclass(frozen=True)
class Targets:
    """Where attacks point: two canaries as (host, port), and the allowed endpoint."""

    canary: tuple[str, int]
    other: tuple[str, int]
    allowed: str


@dataclass(frozen=True)
class Term:
    """An endpoint as written in the text: the term, the prologue line it needs, the
    statement that binds it (before the clause), and text for the end of the query."""

    term: str
    prologue: str = ""
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class Option:
    name: str
    value: object
    engine_valid: bool = True


def texts(*values: str, invalid: Sequence[str] = ()) -> tuple[Option, ...]:
    """Options named after their text."""
    return tuple(Option(repr(value), value, value not in invalid) for value in values)


# -- the canary's address -------------------------------------------------------------


def _at_canary(authority: str) -> Callable[[Targets], str]:
    """Scheme and authority with ``{port}`` the first canary's port."""
    return lambda targets: authority.format(port=targets.canary[1],
                                            allowed=targets.allowed.split("/")[2])


def _at_other(authority: str) -> Callable[[Targets], str]:
    """Scheme and authority with ``{host}`` and ``{port}`` the second canary's."""
    return lambda targets: authority.format(host=targets.other[0], port=targets.other[1])


HOSTS = (
    Option("canary", _at_canary("http://127.0.0.1:{port}")),
    Option("localhost", _at_canary("http://localhost:{port}")),
    Option("127.1", _at_canary("http://127.1:{port}")),
    Option("decimal", _at_canary("http://2130706433:{port}")),
    Option("hex", _at_canary("http://0x7f000001:{port}")),
    Option("octal", _at_canary("http://0177.0.0.1:{port}")),
    Option("ipv4-mapped-ipv6", _at_canary("http://[::ffff:127.0.0.1]:{port}")),
    Option("upper-case", _at_canary("HTTP://LOCALHOST:{port}")),
    Option("https", _at_canary("https://127.0.0.1:{port}")),
    Option("user-info", _at_canary("http://user:secret@127.0.0.1:{port}")),
    Option("allowed-as-user-info", _at_canary("http://{allowed}@127.0.0.1:{port}")),
    Option("other-canary", _at_other("http://{host}:{port}")),
    Option("other-decimal", _at_other("http://2130706434:{port}")),
    Option("other-short", _at_other("http://127.2:{port}")),
)

#: The path after the authority; some carry the allowed endpoint's URL or path.
PATHS = (
    Option("root", lambda targets: "/"),
    Option("allowed-path", lambda targets: "/" + targets.allowed.split("/", 3)[3]),
    Option("allowed-in-query", lambda targets: f"/sparql?{targets.allowed}"),
    Option("allowed-in-fragment", lambda targets: f"/#{targets.allowed}"),
)


# -- how the endpoint IRI is written --------------------------------------------------


def _escaped(url: str) -> str:
    """``url`` with the ":" after the scheme and the first letter of the host escaped."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}\\U0000003A//\\u{ord(rest[0]):04X}{rest[1:]}"


def _split_last_segment(url: str) -> tuple[str, str]:
    """(everything up to the last "/", the rest): a namespace and a local name."""
    head, _, tail = url.rpartition("/")
    return head + "/", tail


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.partition('/')[0]}/"


ENDPOINTS = (
    Option("iri", lambda url: Term(f"<{url}>")),
    Option("prefixed", lambda url: Term(
        f"c:{_split_last_segment(url)[1]}", f"PREFIX c: <{_split_last_segment(url)[0]}>\n")),
    Option("empty-prefix", lambda url: Term(":", f"PREFIX : <{url}>\n")),
    Option("base-relative", lambda url: Term(
        f"<{url.removeprefix(_origin(url))}>", f"BASE <{_origin(url)}>\n")),
    Option("base-empty", lambda url: Term("<>", f"BASE <{url}>\n")),
    Option("prefix-lower-case", lambda url: Term(
        f"c:{_split_last_segment(url)[1]}", f"prefix c: <{_split_last_segment(url)[0]}>\n")),
    Option("base-lower-case", lambda url: Term("<>", f"base <{url}>\n")),
    Option("escaped-prefix", lambda url: Term(
        f"c:{_split_last_segment(url)[1]}",
        f"PREFIX c: <{_escaped(_split_last_segment(url)[0])}>\n")),
    Option("escaped-base", lambda url: Term(
        f"<{url.removeprefix(_origin(url))}>", f"BASE <{_escaped(_origin(url))}>\n")),
    Option("network-path", lambda url: Term(f"<//{url.partition('://')[2]}>")),
    Option("escaped-iri", lambda url: Term(f"<{_escaped(url)}>")),
    Option("values", lambda url: Term("?v", before=f"VALUES ?v {{ <{url}> }} ")),
    Option("bind", lambda url: Term("?v", before=f"BIND(<{url}> AS ?v) ")),
    Option("bind-iri-function", lambda url: Term("$v", before=f'BIND(IRI("{url}") AS $v) ')),
    Option("trailing-values", lambda url: Term("?v", after=f" VALUES ?v {{ <{url}> }}")),
)
_VARIABLES = ("values", "bind", "bind-iri-function", "trailing-values")
#: Forms allowed where the grammar wants an IRI (LOAD, FROM, USING, WITH, graphs).
IRI_ENDPOINTS = tuple(e for e in ENDPOINTS if e.name not in _VARIABLES)
#: Forms allowed in an update's WHERE clause (no VALUES after it).
UPDATE_ENDPOINTS = tuple(e for e in ENDPOINTS if e.name != "trailing-values")


# -- around the keyword ---------------------------------------------------------------

#: Right before the keyword, without the whitespace a reader expects.
GLUES = texts(
    "", "?s ?p true.", "?s ?p true", "?s ?p 1.", "?s ?p 1", "?s ?p 1.0e0.", "?s ?p 1.5.",
    '?s ?p "x".', '?s ?p "x"', "?s ?p 'x'", "?s ?p '''x'''.", '?s ?p "x"@en.',
    f'?s ?p "x"^^<{XSD_STRING}>.', f"?s ?p <{EX}o>.", f"?s ?p <{EX}o>", "?s ?p _:b .",
    "?s ?p _:b.", "?s ?p [].", "?s ?p []", "[ ?p ?o ]", "?s ?p (1 2).", "?s ?p (1 2)",
    "?s ?p ?o;", "?s ?p ?o.", "?s ?p ?o ", "FILTER(true)", "BIND(1 AS ?x)", "{ ?s ?p ?o }",
    "OPTIONAL{?s ?p ?o}", "#c\n", "#}\n", "# SERVICE <x>\n", '?s ?p "}".', '?s ?p "#".',
    '?s ?p "\\"".',
    invalid=("?s ?p _:b.",),
)

#: Between the tokens after the keyword ("" only where tokens cannot run together).
SEPARATORS = texts(" ", "", "\t", "\n", "\r\n", "#c\n", " #}\n", "#\u00e9\n")

SERVICE_KEYWORDS = texts(
    "SERVICE", "service", "sErViCe", "\\u0053ERVICE", "\\U00000053ERVICE", "SERVIC\\u0045",
    "\\u0073\\u0065rvice",
    invalid=("\\u0053ERVICE", "\\U00000053ERVICE", "SERVIC\\u0045", "\\u0073\\u0065rvice"),
)
SILENTS = texts("", "SILENT", "silent", "SiLeNt")
INNERS = texts("{ }", "{}", "{ ?a ?b ?c }", "{?a ?b ?c.}")

#: Where the clause is nested (``_B_``: the clause and what precedes it).
WRAPPERS = (
    Option("group", "{ _B_ }"),
    Option("nested-group", "{ { _B_ } }"),
    Option("optional", "{ OPTIONAL { _B_ } }"),
    Option("union-left", "{ { _B_ } UNION { } }"),
    Option("union-right", "{ { } UNION { _B_ } }"),
    Option("minus", "{ ?s ?p ?o MINUS { _B_ } }"),
    Option("filter-exists", "{ FILTER EXISTS { _B_ } }"),
    Option("filter-not-exists", "{ FILTER NOT EXISTS { _B_ } }"),
    Option("exists-in-expression", "{ FILTER(true && EXISTS { _B_ }) }"),
    Option("bind-exists", "{ BIND(EXISTS { _B_ } AS ?e) }"),
    Option("graph-variable", "{ GRAPH ?g { _B_ } }"),
    Option("graph-iri", f"{{ GRAPH <{EX}g> {{ _B_ }} }}"),
    Option("subquery", "{ { SELECT * WHERE { _B_ } } }"),
    Option("subquery-limit", "{ { SELECT * { _B_ } LIMIT 1 } }"),
    Option("deep", "{ OPTIONAL { { SELECT * { FILTER NOT EXISTS { { } UNION { _B_ } } } } } }"),
    Option("after-allowed-service", "{ SERVICE _ALLOWED_ { ?x ?y ?z } _B_ }"),
    Option("inside-allowed-service", "{ SERVICE _ALLOWED_ { _B_ } }"),
)

QUERY_FORMS = texts(
    "SELECT * WHERE _W_", "SELECT*_W_", "ASK _W_", "ASK WHERE _W_",
    "CONSTRUCT { ?s ?p ?o } WHERE _W_", "DESCRIBE ?s WHERE _W_", "SELECT DISTINCT ?s _W_ LIMIT 5",
    "SELECT (COUNT(*) AS ?n) _W_", "SELECT ?s _W_",
)

# -- FROM and the protocol's dataset --------------------------------------------------

FROM_KEYWORDS = texts("FROM", "from", "fRoM", "\\u0046ROM", invalid=("\\u0046ROM",))
FROM_HEADS = texts("SELECT *", "SELECT*", "SELECT ?s", "SELECT (1 AS ?x)", "ASK",
                   "CONSTRUCT{?s ?p ?o}", "DESCRIBE ?s", "SELECT *#c\n")
NAMED = texts("", "NAMED", "named")
DATASET_PARAMETERS = texts("default-graph-uri", "named-graph-uri")
UPDATE_DATASET_PARAMETERS = texts("using-graph-uri", "using-named-graph-uri")

# -- updates --------------------------------------------------------------------------

LOAD_KEYWORDS = texts("LOAD", "load", "LoAd", "\\u004COAD", invalid=("\\u004COAD",))
#: Operations before the LOAD, written as tightly as the grammar allows.
BEFORE_LOAD = texts(
    "", f'INSERT DATA{{GRAPH{SCRATCH}{{<{EX}a><{EX}b>"x"}}}};', f"CLEAR SILENT GRAPH {SCRATCH};",
    f"CREATE SILENT GRAPH{SCRATCH};", "#c\n",
    f"INSERT{{GRAPH{SCRATCH}{{?s ?p ?o}}}}WHERE{{?s ?p true}};",
)
AFTER_LOAD = texts("", f" INTO GRAPH {SCRATCH}", f"INTO GRAPH{SCRATCH}",
                   f";CLEAR SILENT GRAPH {SCRATCH}")

_GRAPH_TEMPLATE = f"GRAPH {SCRATCH} {{ ?s ?p ?o }}"
MODIFY_FORMS = texts(
    f"INSERT {{ {_GRAPH_TEMPLATE} }} WHERE _W_",
    f"DELETE {{ {_GRAPH_TEMPLATE} }} WHERE _W_",
    f"DELETE {{ {_GRAPH_TEMPLATE} }} INSERT {{ {_GRAPH_TEMPLATE} }} WHERE _W_",
    "INSERT{}WHERE _W_",
    f"WITH {SCRATCH} DELETE {{ ?s ?p ?o }} WHERE _W_",
    f"DELETE WHERE {{ {_GRAPH_TEMPLATE} }};INSERT {{ }} WHERE _W_",
)

#: Updates that name a canary URL (``_T_``) as a graph: nothing should be fetched.
GRAPH_IRI_UPDATES = texts(
    f"INSERT {{ {_GRAPH_TEMPLATE} }} USING _T_ WHERE {{ ?s ?p ?o }}",
    f"INSERT {{ {_GRAPH_TEMPLATE} }} USING NAMED _T_ WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "INSERT{}USING _T_ WHERE{}",
    f"DELETE {{ {_GRAPH_TEMPLATE} }} using _T_ WHERE {{ ?s ?p ?o }}",
    "WITH _T_ INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    f"ADD SILENT _T_ TO {SCRATCH}",
    f"COPY SILENT _T_ TO {SCRATCH}",
    "CREATE SILENT GRAPH _T_",
    "CLEAR SILENT GRAPH _T_",
    "DROP SILENT GRAPH _T_",
)
