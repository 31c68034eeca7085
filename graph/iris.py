"""Minting the project's IRIs from codes (never from row numbers).

All IRIs live under ``https://w3id.org/mipex-kg/id/``; named graphs under
``https://w3id.org/mipex-kg/graph/``. Codes from the workbooks are not uniform
(``gc_new (128, 129, 133, 135)``, ``fb_new ``), so every path segment goes through
:func:`slug`, and the original code is kept as ``skos:notation`` by the loaders.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pyoxigraph import NamedNode

from mipex_kg.graph.namespaces import GRAPH, ID

_UNSAFE = re.compile(r"[^a-z0-9_.-]+")

#: The IRIs minted from codes are remembered: a workbook mints the same few hundred
#: (indicators, countries, years) for each of its 10^4-10^5 scores, and minting them
#: again was a tenth of building its triples (docs/performance.md).
_remembered = lru_cache(maxsize=4096)


@_remembered
def slug(code: str) -> str:
    """A safe, lower-case IRI path segment for ``code``.

    >>> slug("gc_new (128, 129, 133, 135)")
    'gc_new-128-129-133-135'
    >>> slug(" fb105a ")
    'fb105a'
    """
    cleaned = _UNSAFE.sub("-", code.strip().lower()).strip("-")
    if not cleaned:
        raise ValueError(f"cannot mint an IRI segment from code {code!r}")
    return cleaned


def system(system_id: str) -> NamedNode:
    """An indicator system, e.g. ``system("mipex")``."""
    return NamedNode(f"{ID}system/{slug(system_id)}")


@_remembered
def edition(edition_id: str) -> NamedNode:
    """An edition (one ``qb:DataSet``), e.g. ``edition("mipex-2020")``."""
    return NamedNode(f"{ID}edition/{slug(edition_id)}")


@_remembered
def indicator(system_id: str, code: str) -> NamedNode:
    """An indicator, policy area, overall score or sub-indicator concept of a system."""
    return NamedNode(f"{ID}indicator/{slug(system_id)}/{slug(code)}")


@_remembered
def country(iso3: str) -> NamedNode:
    """A country by its ISO 3166 alpha-3 code."""
    if not re.fullmatch(r"[A-Z]{3}", iso3):
        raise ValueError(f"not an ISO 3166 alpha-3 code: {iso3!r}")
    return NamedNode(f"{ID}country/{iso3}")


def region(nuts_code: str) -> NamedNode:
    """A region by its NUTS code."""
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{1,3}", nuts_code):
        raise ValueError(f"not a NUTS code: {nuts_code!r}")
    return NamedNode(f"{ID}region/{nuts_code}")


def municipality(country_iso3: str, local_code: str) -> NamedNode:
    """A municipality by its country and local code."""
    return NamedNode(f"{ID}municipality/{country_iso3}-{slug(local_code)}")


@_remembered
def period(year: int) -> NamedNode:
    """A reference year, as an IRI rather than an ``xsd:gYear`` literal."""
    return NamedNode(f"{ID}period/{int(year)}")


def score(edition_id: str, jurisdiction_code: str, year: int, indicator_code: str) -> NamedNode:
    """One published observation."""
    return NamedNode(
        f"{ID}score/{slug(edition_id)}/{jurisdiction_code}/{int(year)}/{slug(indicator_code)}"
    )


def source(sha256: str) -> NamedNode:
    """A source file, by the sha256 of its bytes."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return NamedNode(f"{ID}source/{sha256}")


def activity(kind: str, key: str) -> NamedNode:
    """A PROV activity such as one load of one file."""
    return NamedNode(f"{ID}activity/{slug(kind)}/{slug(key)}")


def organisation(org_id: str) -> NamedNode:
    return NamedNode(f"{ID}organisation/{slug(org_id)}")


def project(project_id: str) -> NamedNode:
    return NamedNode(f"{ID}project/{slug(project_id)}")


def publication(pub_id: str) -> NamedNode:
    return NamedNode(f"{ID}publication/{slug(pub_id)}")


def concept(kind: str, code: str) -> NamedNode:
    """A term of one of the project's small code lists (unit, status ...)."""
    return NamedNode(f"{ID}{slug(kind)}/{slug(code)}")


def named_graph(name: str) -> NamedNode:
    """A named graph, e.g. ``named_graph("mipex-core-2007-2019")``."""
    return NamedNode(f"{GRAPH}{'/'.join(slug(part) for part in name.split('/'))}")


# -- the named graphs of the store: every graph name the code relies on is minted here --

#: The OWL ontology and the data structure definition (``mipex-kg load --reference``).
ONTOLOGY_GRAPH = named_graph("ontology")
#: Composite scores recomputed from the rules (their own graph, never mixed with published).
RECOMPUTED_GRAPH = named_graph("recomputed")
#: The links between the 2015 indicators and the 2020 ones.
CROSSWALK_GRAPH = named_graph("crosswalk")
#: Under this prefix: one graph per curated reference file (``curated/<file stem>``).
CURATED_PREFIX = GRAPH + "curated/"
#: Under this prefix: reference data loaded from files of ../shared (``reference/<name>``).
REFERENCE_PREFIX = GRAPH + "reference/"
#: Under this prefix: one graph per reported-scores CSV (``reported/<file stem>``).
REPORTED_PREFIX = GRAPH + "reported/"
#: Under this prefix: graphs created by a Graph Store Protocol POST without a graph name.
GSP_PREFIX = GRAPH + "gsp/"
#: Under this prefix: graphs that older versions loaded new content into before moving
#: it into place; still hidden from readers and dropped on open, should a store hold one.
STAGING_PREFIX = GRAPH + "staging/"
#: Stands for the default graph when a gate groups triples by graph.
DEFAULT_GRAPH_STAND_IN = NamedNode(GRAPH + "default")


def curated_graph(stem: str) -> NamedNode:
    """The named graph of a curated reference file, e.g. ``curated/countries``."""
    return named_graph(f"curated/{stem}")


def workbook_graph(path: Path) -> NamedNode:
    """The named graph of a workbook: the slug of its file name."""
    return named_graph(slug(path.stem).replace("_", "-"))


def reported_graph(path: Path) -> NamedNode:
    """The named graph of a reported-scores CSV: ``graph/reported/<slug of its file stem>``."""
    return NamedNode(f"{REPORTED_PREFIX}{slug(path.stem).replace('_', '-')}")


def software(version: str) -> NamedNode:
    """This software at one version, the agent of every load."""
    return NamedNode(f"{ID}software/mipex-kg/{slug(version)}")
