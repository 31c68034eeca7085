"""Whether a SPARQL operation may reach the network, decided from a real parse.

Two things in SPARQL make an engine open a connection: ``SERVICE <endpoint>`` (in a
query, or in the WHERE clause of an update) and ``LOAD <source>`` (updates). The
service allows ``SERVICE`` only to the configured federation endpoints and ``LOAD``
only from configured source prefixes; everything else that would connect is refused
with 400 before anything runs. (``FROM`` / ``FROM NAMED`` only name graphs of the
store in Oxigraph, which never dereferences them.)

The decision comes from a SPARQL 1.1 parser, not a tokenizer of our own:

1. SPARQL §19.2: ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes are decoded everywhere
   before parsing (``\\u0053ERVICE`` is the keyword SERVICE), as the engine does.
2. A text in which, decoded and folded to lower case, neither ``service`` nor (in an
   update) ``load`` occurs cannot contain either keyword: such texts, nearly all of
   them, need no parse (sound, and it keeps the cost off the hot path).
3. Every other text is parsed with rdflib's SPARQL 1.1 grammar and translated to its
   algebra with the service's predeclared prefixes and the request's base IRI, so
   that every form resolves to the IRI the engine would call: a full IRI, a prefixed
   name, a relative IRI against ``BASE``; ``SERVICE ?var`` (whatever binds it) is
   refused outright.
4. A second, independent reading cross-checks the parse: the lexer of
   ``api.sparql_text`` counts the SERVICE and LOAD keywords outside strings, IRIs and
   comments. If the two disagree, the text is refused as one that cannot be checked.
   A text rdflib cannot parse is refused the same way when it may hold the keywords.

This decision is one of two walls: the query workers themselves cannot open network
sockets (``engine.sandbox``), and an allowed federated query is answered by the one
worker that may (``NetworkDecision.federated``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef

from mipex_kg.api.errors import ProtocolError
from mipex_kg.api.sparql_text import keyword_count, lexemes
from mipex_kg.engine.network_words import decode_escapes, may_connect


class NetworkAccessRefused(ProtocolError):
    """The operation would connect to a place the service does not allow (400)."""

    code = "network_access_refused"


def decode_outside_literals(text: str) -> str:
    r"""The text with codepoint escapes decoded where they stand outside strings and IRIs.

    SPARQL 1.1 (§19.2) decodes ``\uXXXX`` anywhere before parsing, so ``\u0053ERVICE``
    is the keyword SERVICE; Oxigraph follows SPARQL 1.2, which keeps escapes only
    inside strings and IRIs and refuses them elsewhere. Decoding the others first
    gives the 1.1 meaning to every text Oxigraph would refuse, and changes no text
    it accepts (inside strings and IRIs both readings agree).

    >>> print(decode_outside_literals(r'SELECT * { \u0053ERVICE <x\u0041> { ?s ?p "\u0022" } }'))
    SELECT * { SERVICE <x\u0041> { ?s ?p "\u0022" } }
    """
    if "\\" not in text:
        return text
    parts = []
    position = 0  # the start of the run of lexemes outside strings and IRIs
    for kind, start, end in lexemes(text):
        if kind in ("string", "iri"):  # an escape may span lexemes: decode whole runs
            parts.append(decode_escapes(text[position:start]))
            parts.append(text[start:end])
            position = end
    parts.append(decode_escapes(text[position:]))
    return "".join(parts)


@dataclass(frozen=True)
class NetworkUse:
    """The places an operation would connect to, as the grammar reads it."""

    services: tuple[str, ...] = ()  # resolved endpoint IRIs, in order
    variable_services: int = 0  # SERVICE ?var clauses
    loads: tuple[str, ...] = ()  # LOAD sources


def network_use(text: str, *, update: bool, base_iri: str | None = None,
                prefixes: Mapping[str, str] | None = None) -> NetworkUse:
    """Where ``text`` (a query, or an update when ``update``) would connect.

    Raises:
        NetworkAccessRefused: the text may name a SERVICE or LOAD, but it cannot be
            parsed, or the two readings (parser, lexer) disagree.
    """
    if not may_connect(text, update=update):
        return NetworkUse()
    decoded = decode_escapes(text)
    try:
        if update:
            algebra: Any = translateUpdate(parseUpdate(decoded), base=base_iri,
                                           initNs=dict(prefixes or {})).algebra
        else:
            algebra = translateQuery(parseQuery(decoded), base=base_iri,
                                     initNs=dict(prefixes or {})).algebra
    except Exception as error:  # noqa: BLE001 - any failure of the parser means "unchecked"
        raise NetworkAccessRefused(
            "the text mentions SERVICE or LOAD but could not be checked by the service's "
            f"SPARQL parser, so it is not run ({type(error).__name__}: "
            f"{' '.join(str(error).split())[:200]})"
        ) from None
    services: list[str] = []
    variables = 0
    loads: list[str] = []
    for node in _nodes(algebra):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            if isinstance(term, URIRef):
                services.append(str(term))
            else:
                variables += 1
        elif node.name == "Load":
            loads.append(str(node.get("iri")))
    lexed_services, lexed_loads = keyword_count(decoded, "SERVICE"), keyword_count(decoded, "LOAD")
    if lexed_services != len(services) + variables or (update and lexed_loads != len(loads)):
        raise NetworkAccessRefused(
            "the text's SERVICE or LOAD keywords read differently to the parser and to the "
            "lexer, so it cannot be checked and is not run"
        )
    return NetworkUse(tuple(services), variables, tuple(loads))


def _nodes(value: object) -> Iterator[CompValue]:
    """Every algebra node below ``value`` (dicts, lists and CompValues are walked)."""
    stack = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


@dataclass(frozen=True)
class NetworkPolicy:
    """Which endpoints ``SERVICE`` may call and which sources ``LOAD`` may read."""

    endpoints: tuple[str, ...] = ()
    load_sources: tuple[str, ...] = ()

    @classmethod
    def of(cls, endpoints: Sequence[str], load_sources: Sequence[str]) -> NetworkPolicy:
        return cls(tuple(e for e in endpoints if e), tuple(s for s in load_sources if s))

    def check_query(self, text: str, *, base_iri: str | None = None,
                    prefixes: Mapping[str, str] | None = None) -> bool:
        """Whether the query is federated (every SERVICE allowed); refuses the others.

        Raises:
            NetworkAccessRefused: a SERVICE that is not allowed, or a text that
                cannot be checked.
        """
        use = network_use(text, update=False, base_iri=base_iri, prefixes=prefixes)
        self._check_services(use)
        return bool(use.services)

    def check_update(self, text: str, *, base_iri: str | None = None,
                     prefixes: Mapping[str, str] | None = None) -> None:
        """Refuse an update that calls any SERVICE or LOADs from a source not allowed.

        Updates run against the store itself, outside the sandboxed workers, so no
        ``SERVICE`` is allowed in them at all.
        """
        use = network_use(text, update=True, base_iri=base_iri, prefixes=prefixes)
        if use.services or use.variable_services:
            shown = f"<{use.services[0]}>" if use.services else "?variable"
            raise NetworkAccessRefused(
                f"SERVICE {shown} is not allowed in an update: updates cannot call other "
                "endpoints (run the federated part as a query)"
            )
        for source in use.loads:
            if not any(source.startswith(prefix) for prefix in self.load_sources):
                allowed = ", ".join(self.load_sources) or "none (setting MIPEX_KG_LOAD_SOURCES)"
                raise NetworkAccessRefused(
                    f"LOAD <{source}> is not allowed: LOAD may read only from {allowed}"
                )

    def _check_services(self, use: NetworkUse) -> None:
        if use.variable_services:
            raise NetworkAccessRefused(
                "SERVICE with a variable is not allowed: name the endpoint with an IRI"
            )
        for service in use.services:
            if service not in self.endpoints:
                allowed = (f"may only call {', '.join(f'<{e}>' for e in self.endpoints)}"
                           if self.endpoints else "are not allowed here")
                raise NetworkAccessRefused(
                    f"SERVICE <{service}> is not allowed: federated queries {allowed}")
