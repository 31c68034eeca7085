"""The project's SHACL shapes, compiled once, and whole-store validation.

The shapes in shapes/*.ttl are compiled to SPARQL (``mipex_kg.graph.shacl``) and run
in Oxigraph; pySHACL stays the reference for what they mean (the tests check that
both give the same results).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any

from mipex_kg.graph.shacl import compile_shapes, validate
from mipex_kg.graph.store import KnowledgeStore


def shapes_text() -> str:
    """All shapes files, concatenated as one Turtle document."""
    return "\n".join(
        resource.read_text(encoding="utf-8")
        for resource in sorted(files("mipex_kg.shapes").iterdir(), key=lambda r: r.name)
        if resource.name.endswith(".ttl")
    )


@lru_cache(maxsize=1)
def project_constraints() -> list[Any]:
    """The compiled constraints of the project's shapes."""
    return compile_shapes(shapes_text())


def validate_store(store: KnowledgeStore, cube: bool = False) -> tuple[str, bool]:
    """Validate every graph of the store together; returns (readable report, conforms)."""
    report = validate(store.oxigraph, project_constraints())
    text, conforms = report.to_text(), report.conforms
    if cube:
        from mipex_kg.publish.cube import check_cube

        cube_text, cube_ok = check_cube(store)
        text, conforms = f"{text}\n\n{cube_text}", conforms and cube_ok
    return text, conforms
