"""``/api/provenance``: the chain from one score to its origin.

A thin route over the named query ``provenance``: its one row, grouped into the
steps of the chain (score, cell, file, load, edition, publication).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mipex_kg.api.routes import docs
from mipex_kg.api.routes.facade import (
    REST_FORMATS,
    Facade,
    Row,
    choose_format,
    request_params,
)
from mipex_kg.api.routes.rest import detail_response, one_row

STEPS: dict[str, tuple[str, ...]] = {
    "score": ("observation", "jurisdiction", "indicator", "year", "score", "status"),
    "cell": ("sheet", "cell", "sourceCode"),
    "file": ("source", "fileName", "sha256", "byteSize", "originalUrl"),
    "load": ("loadActivity", "loadedAt", "software", "graph"),
    "edition": ("edition", "editionTitle", "publisher", "publisherName", "rights"),
    "publication": ("source", "publicationTitle", "quotation"),
}


def chain(row: Row) -> dict[str, Any]:
    """The flat row as steps; a step with nothing to say is null.

    A score read from a file has a cell, a file and a load; one reported in an
    article has a publication instead.
    """
    steps: dict[str, Any] = {step: {k: row.get(k) for k in keys} for step, keys in STEPS.items()}
    from_file = row.get("sha256") is not None
    for step in ("cell", "file", "load"):
        if not from_file and all(v is None for k, v in steps[step].items() if k != "source"):
            steps[step] = None
    if from_file or (row.get("publicationTitle") is None and row.get("quotation") is None):
        steps["publication"] = None
    return steps


def build_router(facade: Facade) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["provenance"])
    query = facade.registry["provenance"]

    def provenance(request: Request) -> Response:
        values = request_params(request, [*query.params, "format"])
        fmt = choose_format(request, values, REST_FORMATS)
        rows = facade.run("provenance", values)
        row = one_row(rows, "score", values.get("score", ""))
        return detail_response(request, fmt, chain(row), (rows.columns, [row]))

    step_schema = {step: {"type": ["object", "null"], "properties": {
        k: query.columns[k].json_schema() for k in keys}} for step, keys in STEPS.items()}
    docs.add_get(
        router, "/provenance", provenance,
        summary="Where one score came from: cell, sheet, file, load, edition, licence",
        description="The chain from a score to its origin: the cell and sheet it was read "
        "from, the file (sha256, original address), the load activity, the edition, its "
        "publisher and licence statement; or, for a score reported in an article, the "
        "publication and the sentence quoted. In CSV: one flat row.\n\nNamed query: "
        "provenance.",
        parameters=docs.query_params(query) + [docs.format_param(REST_FORMATS)],
        schema={"type": "object", "properties": {**step_schema, "links": docs.links_schema()}},
        offered=REST_FORMATS, codes=(404, 406, 422))
    return router
