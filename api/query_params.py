"""Typed parameters of the named queries: from request text to an RDF term, or a refusal.

Every parameter a named query declares has a type from ``TYPES``. A type turns the
text of a request parameter into one pyoxigraph term (an IRI or a typed literal) and
refuses anything else with ``ValueError`` (the caller answers 422). Codes (countries,
regions, indicators, systems, editions) must be ones the store knows: the
``Vocabulary`` lists them, rebuilt whenever the store changes. No value ever reaches
SPARQL as text: the registry binds the terms (see ``query_registry``).

>>> TYPES["year"].parse("2019", Vocabulary.empty())
<Literal value=2019 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
>>> TYPES["year"].parse("2019 } ", Vocabulary.empty())
Traceback (most recent call last):
...
ValueError: not a year: '2019 } '
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from mipex_kg.graph.iris import slug
from mipex_kg.graph.namespaces import MKG, XSD
from mipex_kg.graph.store import KnowledgeStore

Term = ox.NamedNode | ox.Literal
MAX_ITEMS = 60

_IRI_PATTERN = r"^https?://[^\s<>\"{}|\\^`]+$"
_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,60}$"
_TEXT_PATTERN = r"^[\w .,'\u2019()&-]{1,100}$"  # \u2019: the typographic apostrophe


class UnknownValue(ValueError):
    """A well-formed value that names nothing the store knows (a 404 in a path)."""


@dataclass
class Vocabulary:
    """The codes the store knows, by kind, each mapped to its IRI."""

    jurisdictions: dict[str, ox.NamedNode] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)
    indicators: dict[str, list[ox.NamedNode]] = field(default_factory=dict)
    areas: set[str] = field(default_factory=set)
    systems: dict[str, ox.NamedNode] = field(default_factory=dict)
    editions: dict[str, ox.NamedNode] = field(default_factory=dict)
    iris: set[str] = field(default_factory=set)
    #: systems replaced by a later one (dct:isReplacedBy): a bare code names the later's
    replaced: set[str] = field(default_factory=set)

    @classmethod
    def empty(cls) -> Vocabulary:
        return cls()

    @classmethod
    def of(cls, store: KnowledgeStore) -> Vocabulary:
        """Read every known code from the store (a few small queries)."""
        vocab = cls()
        for row in store.query(_JURISDICTIONS):
            iri = row["j"]
            vocab.jurisdictions[row["code"].value.upper()] = iri
            if row["kind"] == MKG.Country:
                vocab.countries.add(iri.value)
        for row in store.query(_SYSTEMS):
            vocab.systems[_last(row["s"].value)] = row["s"]
            if row["replaced"] is not None:
                vocab.replaced.add(row["s"].value)
        for row in store.query(_EDITIONS):
            vocab.editions[_last(row["d"].value)] = row["d"]
        for row in store.query(_INDICATORS):
            iri, system = row["c"], _last(row["system"].value)
            for key in {row["code"].value.lower(), _last(iri.value)}:
                vocab._add_indicator(key, iri)
                vocab._add_indicator(f"{system}/{key}", iri)
                vocab._add_indicator(f"{system}:{key}", iri)
            if row["area"] is not None:
                vocab.areas.add(iri.value)
        vocab.iris = {t.value for t in vocab.jurisdictions.values()} | {
            t.value for ts in vocab.indicators.values() for t in ts
        }
        return vocab

    def _add_indicator(self, key: str, iri: ox.NamedNode) -> None:
        known = self.indicators.setdefault(key, [])
        if iri not in known:
            known.append(iri)


def _last(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


_JURISDICTIONS = """
SELECT DISTINCT ?j ?code ?kind WHERE {
  VALUES ?kind { mkg:Country mkg:Region mkg:Municipality }
  ?j a ?kind ; skos:notation ?code .
}"""
_SYSTEMS = ("SELECT DISTINCT ?s ?replaced WHERE { ?s a mkg:IndicatorSystem "
            "OPTIONAL { ?s dct:isReplacedBy ?newer BIND(true AS ?replaced) } }")
_EDITIONS = "SELECT DISTINCT ?d WHERE { ?d a qb:DataSet }"
_INDICATORS = """
SELECT DISTINCT ?c ?code ?system ?area WHERE {
  ?c a skos:Concept ; skos:inScheme ?system .
  ?system a mkg:IndicatorSystem .
  { ?c skos:notation ?code } UNION { ?c skos:hiddenLabel ?code }
  OPTIONAL { ?c a mkg:PolicyArea . BIND(true AS ?area) }
}"""


class VocabularyCache:
    """The store's ``Vocabulary``, rebuilt when the store's version changes."""

    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._version: str | None = None
        self._vocab = Vocabulary.empty()

    def get(self) -> Vocabulary:
        version = self.store.version
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self._vocab = Vocabulary.of(self.store)
                    self._version = version
        return self._vocab


@dataclass(frozen=True)
class ParamType:
    """How one kind of parameter is documented (JSON Schema) and parsed."""

    name: str
    schema: dict[str, Any]
    parse: Callable[[str, Vocabulary], Term]
    help: str


def _year(raw: str, vocab: Vocabulary) -> Term:
    if not re.fullmatch(r"\d{4}", raw) or not 1900 <= int(raw) <= 2100:
        raise ValueError(f"not a year: {raw!r}")
    return ox.Literal(int(raw))


def _integer(raw: str, vocab: Vocabulary) -> Term:
    if not re.fullmatch(r"-?\d{1,15}", raw):
        raise ValueError(f"not an integer: {raw!r}")
    return ox.Literal(int(raw))


def _decimal(raw: str, vocab: Vocabulary) -> Term:
    if not re.fullmatch(r"-?\d{1,15}(\.\d{1,15})?", raw):
        raise ValueError(f"not a decimal number: {raw!r}")
    return ox.Literal(raw, datatype=XSD.decimal)


def _iri(raw: str, vocab: Vocabulary) -> Term:
    if not re.fullmatch(_IRI_PATTERN[1:-1], raw):
        raise ValueError(f"not an http(s) IRI: {raw!r}")
    try:
        return ox.NamedNode(raw)
    except ValueError as exc:
        raise ValueError(f"not a valid IRI: {raw!r} ({exc})") from None


def _text(raw: str, vocab: Vocabulary) -> Term:
    if not re.fullmatch(_TEXT_PATTERN[1:-1], raw):
        raise ValueError(
            f"not a search text: {raw!r} (1 to 100 letters, digits, spaces and . , ' ( ) & -)"
        )
    return ox.Literal(raw.strip())


def _known_iri(raw: str, vocab: Vocabulary) -> ox.NamedNode | None:
    if raw.startswith(("http://", "https://")) and raw in vocab.iris:
        return ox.NamedNode(raw)
    return None


def _jurisdiction(raw: str, vocab: Vocabulary, countries_only: bool = False) -> Term:
    what = "country" if countries_only else "jurisdiction"
    term = _known_iri(raw, vocab) or vocab.jurisdictions.get(raw.upper())
    if term is None:
        if not re.fullmatch(r"[A-Za-z0-9]{2,5}|https?://\S+", raw):
            raise ValueError(f"not a {what} code: {raw!r}")
        raise UnknownValue(f"unknown {what}: {raw!r}")
    if countries_only and term.value not in vocab.countries:
        raise UnknownValue(f"not a country: {raw!r}")
    return term


def _indicator(raw: str, vocab: Vocabulary, areas_only: bool = False) -> Term:
    what = "policy area" if areas_only else "indicator"
    term = _known_iri(raw, vocab)
    if term is None:
        if not re.fullmatch(_CODE_PATTERN[1:-1], raw):
            raise ValueError(f"not an {what} code: {raw!r}")
        candidates = vocab.indicators.get(raw.lower()) or vocab.indicators.get(
            _slug_or_none(raw) or "", []
        )
        if areas_only:
            candidates = [c for c in candidates if c.value in vocab.areas]
        current = [c for c in candidates if _scheme_of(c).replace("/indicator/", "/system/")
                   not in vocab.replaced]
        if len(candidates) > 1 and len(current) == 1:
            candidates = current  # a bare code names the current system's concept
        if not candidates:
            raise UnknownValue(f"unknown {what}: {raw!r}")
        if len(candidates) > 1:
            choices = ", ".join(f"{_last(_scheme_of(c))}:{_last(c.value)}" for c in candidates)
            raise ValueError(f"ambiguous {what} {raw!r}: say which system ({choices})")
        term = candidates[0]
    if areas_only and term.value not in vocab.areas:
        raise UnknownValue(f"not a policy area: {raw!r}")
    return term


def _slug_or_none(raw: str) -> str | None:
    try:
        return "/".join(slug(part) for part in raw.split("/"))
    except ValueError:
        return None


def _scheme_of(iri: ox.NamedNode) -> str:
    return iri.value.rsplit("/", 1)[0]


def _keyed(kind: str, table: Callable[[Vocabulary], dict[str, ox.NamedNode]]) -> Callable[
    [str, Vocabulary], Term
]:
    def parse(raw: str, vocab: Vocabulary) -> Term:
        known = table(vocab)
        term = _known_iri(raw, vocab) or known.get(raw.lower()) or next(
            (t for t in known.values() if t.value == raw), None
        )
        if term is None:
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,60}|https?://\S+", raw.lower()):
                raise ValueError(f"not a{'n' if kind[0] in 'aeiou' else ''} {kind} identifier: "
                                 f"{raw!r}")
            raise UnknownValue(f"unknown {kind}: {raw!r}; known: {', '.join(sorted(known))}")
        return term

    return parse


def _enum(mapping: dict[str, ox.NamedNode]) -> Callable[[str, Vocabulary], Term]:
    def parse(raw: str, vocab: Vocabulary) -> Term:
        if raw.lower() not in mapping:
            raise ValueError(f"{raw!r} is not one of {', '.join(mapping)}")
        return mapping[raw.lower()]

    return parse


SYSTEM_LEVELS = {"national": MKG.NationalLevel, "regional": MKG.RegionalLevel,
                 "local": MKG.LocalLevel}
JURISDICTION_LEVELS = {"country": MKG.Country, "region": MKG.Region,
                       "municipality": MKG.Municipality}
INDICATOR_LEVELS = {"overall": MKG.OverallIndicator, "area": MKG.PolicyArea,
                    "indicator": MKG.PolicyIndicator, "sub-indicator": MKG.SubIndicator}

_JURISDICTION_SCHEMA = {"type": "string", "pattern": r"^([A-Za-z0-9]{2,5}|https?://\S+)$"}
_INDICATOR_SCHEMA = {"type": "string",
                     "pattern": r"^([A-Za-z0-9][A-Za-z0-9_.:/-]{0,60}|https?://\S+)$"}
_KEY_SCHEMA = {"type": "string", "pattern": r"^([A-Za-z0-9][A-Za-z0-9-]{0,60}|https?://\S+)$"}

TYPES: dict[str, ParamType] = {t.name: t for t in (
    ParamType("year", {"type": "integer", "minimum": 1900, "maximum": 2100}, _year,
              "a year (four digits)"),
    ParamType("integer", {"type": "integer", "minimum": -(10**15), "maximum": 10**15},
              _integer, "an integer"),
    ParamType("decimal", {"type": "string", "pattern": r"^-?\d{1,15}(\.\d{1,15})?$"}, _decimal,
              "a decimal number such as 0.01"),
    ParamType("iri", {"type": "string", "format": "iri", "pattern": _IRI_PATTERN}, _iri,
              "an absolute http(s) IRI"),
    ParamType("text", {"type": "string", "pattern": _TEXT_PATTERN, "maxLength": 100}, _text,
              "a search text"),
    ParamType("jurisdiction", _JURISDICTION_SCHEMA, _jurisdiction,
              "a country (ISO 3166 alpha-3, e.g. SWE) or region (NUTS code, e.g. ES21), "
              "or its IRI"),
    ParamType("country", _JURISDICTION_SCHEMA,
              lambda raw, vocab: _jurisdiction(raw, vocab, countries_only=True),
              "a country: ISO 3166 alpha-3 code (e.g. ESP) or its IRI"),
    ParamType("indicator", _INDICATOR_SCHEMA, _indicator,
              "an indicator code as the source spells it (aa1, overall-with-health), "
              "optionally prefixed by its system (mipex-r:overall or mipex-r/overall), or its IRI"),
    ParamType("area", _INDICATOR_SCHEMA,
              lambda raw, vocab: _indicator(raw, vocab, areas_only=True),
              "a policy area code (a to h for MIPEX, e.g. mipex-r/area-housing), or its IRI"),
    ParamType("system", _KEY_SCHEMA, _keyed("system", lambda v: v.systems),
              "an indicator system: the last segment of its IRI (mipex, mipex-r, mipex-l)"),
    ParamType("edition", _KEY_SCHEMA, _keyed("edition", lambda v: v.editions),
              "an edition or dataset: the last segment of its IRI (mipex-2020, mipex-2025-eu)"),
    ParamType("system-level", {"type": "string", "enum": list(SYSTEM_LEVELS)},
              _enum(SYSTEM_LEVELS), "the level a system measures at"),
    ParamType("jurisdiction-level", {"type": "string", "enum": list(JURISDICTION_LEVELS)},
              _enum(JURISDICTION_LEVELS), "the kind of jurisdiction"),
    ParamType("indicator-level", {"type": "string", "enum": list(INDICATOR_LEVELS)},
              _enum(INDICATOR_LEVELS), "the level in the indicator hierarchy"),
)}

#: The JSON Schema of a comma-separated list of values of any type.
LIST_PATTERN = r"^[^,\s<>\"{}|\\^`]+(,[^,\s<>\"{}|\\^`]+)*$"


def split_list(raw: str) -> list[str]:
    """The items of a comma-separated list, without blanks or repeats.

    Raises:
        ValueError: empty, or more than ``MAX_ITEMS`` items.
    """
    items = list(dict.fromkeys(item.strip() for item in raw.split(",") if item.strip()))
    if not items:
        raise ValueError("empty list")
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} values")
    return items
