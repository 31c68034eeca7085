"""Clients for the linked-data tests: the ASGI app called in-process, over a given store.

The app is built around a store the test already has (``reference_store``, fresh per
test, or the session's ``real_store``, read only). ``AppClient`` sends each request
straight to the ASGI app through httpx (Starlette's TestClient warns that its httpx
support is deprecated); the app's start-up (the SPARQL worker pool, which these
routes do not use) never runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import rdflib
from fastapi import FastAPI

from mipex_kg.api.app import create_app
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.settings import Settings

#: RDF formats: media type -> rdflib parser name.
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
    "text/n3": "n3",
}


class AppClient:
    """A synchronous HTTP client of an ASGI app, in-process (base URL http://testserver)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **options)

        return asyncio.run(send())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def head(self, url: str, **options: Any) -> httpx.Response:
        return self.request("HEAD", url, **options)

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the query engine the app started (its workers, its snapshot folder)."""
        self.app.state.engine.close()


def client_for(store: KnowledgeStore, **settings: Any) -> AppClient:
    """A client of ``create_app`` serving ``store`` (in-memory settings, no start-up);
    use it in a ``with`` block, which stops the app's query engine at its end."""
    return AppClient(create_app(Settings(store=None, **settings), store))


def parse(body: bytes, media_type: str) -> rdflib.Graph:
    """``body`` parsed by rdflib as one graph (dataset formats: every graph merged)."""
    name = RDFLIB_FORMATS[media_type.split(";")[0].strip()]
    if name in ("trig", "nquads"):
        dataset = rdflib.Dataset()
        dataset.parse(data=body, format=name)
        merged = rdflib.Graph()
        for quad in dataset.quads((None, None, None, None)):
            merged.add(quad[:3])
        return merged
    return rdflib.Graph().parse(data=body, format=name)


@pytest.fixture
def reference_client(reference_store: KnowledgeStore) -> Iterator[AppClient]:
    with client_for(reference_store) as client:
        yield client


@pytest.fixture(scope="module")
def real_client(real_store: KnowledgeStore) -> Iterator[AppClient]:
    with client_for(real_store) as client:
        yield client
