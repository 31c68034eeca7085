"""The linked-data modules: their examples run, their routes document themselves."""

from __future__ import annotations

import doctest
import importlib

import pytest
from fastapi import FastAPI

from mipex_kg.api.routes import downloads, linked_data, void


@pytest.mark.parametrize("name", ["mipex_kg.api.html", "mipex_kg.publish.void"])
def test_examples_in_docstrings(name: str) -> None:
    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failures == 0


def test_the_openapi_document_lists_each_read_once() -> None:
    app = FastAPI()
    for module in (linked_data, void, downloads):
        app.include_router(module.router)
    paths = app.openapi()["paths"]  # a duplicate operation id would warn: an error here
    assert {path: list(methods) for path, methods in paths.items()} == {
        "/id/{path}": ["get"], "/def": ["get"], "/.well-known/void": ["get"],
        "/downloads": ["get"], "/downloads/{name}": ["get"]}
