"""Federated named queries: the EU endpoints they are written for, moved by the settings.

The named queries ``queries/federated-*.rq`` are plain SPARQL 1.1 federated queries
written for the real EU endpoints (``SERVICE <https://data.europa.eu/sparql>`` ...),
so any engine with federation runs them as they are. The service runs them in its
engine's one networked worker (``QueryEngine``: pyoxigraph's own ``SERVICE``, within
the query time limit), after ``retarget`` has replaced each known endpoint IRI with
the address configured for it (a mirror, a stand-in for tests); the guard then
allows exactly those addresses.
"""

from __future__ import annotations

import re

from mipex_kg.api.sparql_text import tokens
from mipex_kg.settings import Settings

#: The EU endpoints the named queries are written for -> the setting that may move them.
ENDPOINTS: dict[str, str] = {
    "https://publications.europa.eu/webapi/rdf/sparql": "eu_country_endpoint",
    "http://publications.europa.eu/webapi/rdf/sparql": "eu_country_endpoint",
    "https://data.europa.eu/sparql": "eu_nuts_endpoint",
    "https://cordis.europa.eu/datalab/sparql": "cordis_endpoint",
}


def retarget(sparql: str, settings: Settings) -> str:
    """The query with each known EU endpoint, written ``SERVICE [SILENT] <iri>``, replaced
    by the address its setting names; everything else is left as written.

    Strings, comments and IRIs that merely contain the word SERVICE are not touched
    (the lexer of ``api.sparql_text`` reads the text). An endpoint written as a
    prefixed name is not moved: the engine's guard then refuses it unless allowed.

    >>> settings = Settings(store=None, eu_nuts_endpoint="http://127.0.0.1:9/q")
    >>> retarget("SELECT * { SERVICE SILENT <https://data.europa.eu/sparql> { ?s ?p ?o } }",
    ...          settings)
    'SELECT * { SERVICE SILENT <http://127.0.0.1:9/q> { ?s ?p ?o } }'
    """
    edits: list[tuple[int, int, str]] = []
    expect_iri = False
    for token in tokens(sparql):
        if token.keyword == "SERVICE":
            expect_iri = True
        elif expect_iri and token.keyword == "SILENT":
            continue
        else:
            if expect_iri and token.kind == "iri" and token.text[1:-1] in ENDPOINTS:
                target = getattr(settings, ENDPOINTS[token.text[1:-1]])
                if re.search(r"[\s<>\"{}|\\^`]", target):
                    raise ValueError(f"not an IRI: {target!r}")
                edits.append((token.start, token.end, f"<{target}>"))
            expect_iri = False
    for start, end, replacement in reversed(edits):
        sparql = sparql[:start] + replacement + sparql[end:]
    return sparql
