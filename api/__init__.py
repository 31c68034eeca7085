"""The HTTP service: the SPARQL 1.1 Protocol, the Graph Store Protocol, and (later)
linked-data pages and the REST facade, as one FastAPI application.

``create_app(settings, store)`` builds the app (``mipex_kg.api.app``). Modules:

    app                  create_app: state, middleware, routers, start-up and shut-down
    deps                 dependencies: the store, the settings, the write token check
    errors               exception types and the one JSON error body
    negotiation          Accept headers with q-values and wildcards
    formats              the result and RDF formats offered, and how one is chosen
    sparql_text          light lexical analysis of SPARQL text (query form, dataset
                         clauses, protocol dataset for updates)
    sparql_request       an HTTP request -> one SPARQL operation (SPARQL 1.1 Protocol)
    query_pool           queries run in worker processes that are killed at the time limit
    query_worker         the code that runs inside a worker process
    cache                ETags and the LRU cache of serialised responses
    conditional          a read answered with its ETag, a 304, or from the cache
    writes               SPARQL Update and graph writes through the write gate
    service_description  the SPARQL service description (sd:, void:)
    routes/sparql        /sparql
    routes/graph_store   /rdf-graphs/service

The package ``__init__`` imports nothing heavy, because every query worker process
imports ``mipex_kg.engine.worker`` through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mipex_kg.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from mipex_kg.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
