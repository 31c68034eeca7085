"""The REST facade and the named-query endpoints, mounted on an application.

``register_rest(app, store)`` loads the named queries (refusing to start on a
malformed one: ``HeaderError`` names the file and line) and adds one router per
resource group:

    queries        /api/queries, /api/queries/{name}
    systems        /api/systems, /api/systems/{id}, /api/policy-areas
    indicators     /api/indicators, /api/indicators/{code}
    jurisdictions  /api/jurisdictions, /api/jurisdictions/{id}
    scores         /api/scores, /api/compare, /api/rankings, /api/changes
    provenance     /api/provenance

Every route is a plain ``def``: FastAPI runs it in its thread pool, so the blocking
pyoxigraph calls never hold up the event loop.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI

from mipex_kg.api.query_registry import QueryRegistry
from mipex_kg.api.routes import (
    editions,
    indicators,
    jurisdictions,
    provenance,
    queries,
    scores,
    systems,
)
from mipex_kg.api.routes.facade import Facade, remember_client
from mipex_kg.graph.store import KnowledgeStore


def register_rest(app: FastAPI, store: KnowledgeStore,
                  registry: QueryRegistry | None = None, *, cache_size: int = 256) -> Facade:
    """Add the named-query endpoints and the REST resources to ``app``.

    Args:
        app: the application (its error handlers turn refusals into the JSON body).
        store: the store the routes read.
        registry: the named queries; None loads ``queries/``.
        cache_size: named-query results kept per store version (0: no cache).

    Returns:
        The ``Facade`` the routes share (also kept as ``app.state.facade``).

    Raises:
        HeaderError: a named query is malformed (file and line in the message).
    """
    facade = Facade(store, registry or QueryRegistry.load(), app.state.engine, cache_size)
    for module in (queries, systems, indicators, jurisdictions, scores, editions, provenance):
        app.include_router(module.build_router(facade), dependencies=[Depends(remember_client)])
    app.state.facade = facade
    return facade
