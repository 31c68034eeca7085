"""``/api/scores``, ``/api/compare``, ``/api/rankings``, ``/api/changes``.

Thin routes over the named queries ``scores``, ``compare``, ``ranking``,
``ranking-unscored`` and ``changes``: the queries do the selecting, ranking (ties
share a rank) and differencing; the routes set comparisons side by side, list
unscored jurisdictions apart, and count positive and negative changes.
"""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mipex_kg.api.query_params import split_list
from mipex_kg.api.routes import docs
from mipex_kg.api.routes.facade import (
    REST_FORMATS,
    Facade,
    InvalidParameter,
    Row,
    choose_format,
    read_page,
    request_params,
    rows_of,
    slice_page,
)
from mipex_kg.api.routes.rest import DEFAULT_PAGE, add_list_route, composed_list


def side_by_side(rows: list[Row], order: list[str]) -> list[Row]:
    """Long rows (one per concept and jurisdiction) -> one row per concept.

    Each row has ``scores`` and ``observations`` by jurisdiction code, the
    ``spread`` (highest minus lowest score) and ``differences`` from the first
    jurisdiction listed.
    """
    pivot: dict[str, Row] = {}
    for row in rows:
        item = pivot.setdefault(row["indicator"], {
            **{k: row[k] for k in ("indicator", "code", "label", "level", "area")},
            "scores": dict.fromkeys(order), "observations": dict.fromkeys(order)})
        item["scores"][row["jurisdictionCode"]] = row["score"]
        item["observations"][row["jurisdictionCode"]] = row["observation"]
    for item in pivot.values():
        present = [s for s in item["scores"].values() if s is not None]
        item["spread"] = _minus(max(present), min(present)) if len(present) > 1 else None
        first = item["scores"][order[0]] if order else None
        item["differences"] = {code: _minus(score, first)
                               for code, score in item["scores"].items() if code != order[0]}
    return list(pivot.values())


def _minus(a: float | None, b: float | None) -> float | None:
    """``a - b`` computed on the published decimals (no binary floating-point noise)."""
    if a is None or b is None:
        return None
    return float(Decimal(repr(a)) - Decimal(repr(b)))


def build_router(facade: Facade) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["scores"])
    registry = facade.registry
    add_list_route(
        router, facade, "/scores", "scores",
        summary="Scores, filtered by jurisdictions, indicators or area, years and edition",
        description="Each score with its value exactly as published, the experts' comment, "
        "its status and the IRI of the observation (see /api/provenance).")

    def compare(request: Request) -> Response:
        values = request_params(request, [*registry["compare"].params, "limit", "offset",
                                          "format"])
        fmt = choose_format(request, values, REST_FORMATS)
        page = read_page(values, DEFAULT_PAGE)
        rows = rows_of(facade.run("compare", values))
        order = _codes(facade, values["jurisdictions"])
        items, more = slice_page(side_by_side(rows, order), page)
        if fmt == "csv":
            columns = ["indicator", "code", "label", "level", *order, "spread"]
            items = [{**i, **i["scores"]} for i in items]
            return composed_list(request, fmt, columns, items, page, more, {})
        columns = ["indicator", "code", "label", "level", "area", "scores", "observations",
                   "spread", "differences"]
        return composed_list(request, fmt, columns, items, page, more,
                             {"jurisdictions": order, "year": int(values["year"])})

    by_code = {"type": "object", "additionalProperties": {"type": ["number", "null"]}}
    compare_item = {"type": "object", "properties": {
        **{k: registry["compare"].columns[k].json_schema()
           for k in ("indicator", "code", "label", "level", "area")},
        "scores": {**by_code, "description": "Score by jurisdiction code (null: no score)."},
        "observations": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "spread": {"type": ["number", "null"], "description": "Highest minus lowest score."},
        "differences": {**by_code, "description": "Each jurisdiction's score minus the first's."},
    }}
    schema = docs.list_schema({}, True, {"jurisdictions": {"type": "array",
                                                          "items": {"type": "string"}},
                                         "year": {"type": "integer"}})
    schema["properties"]["items"] = {"type": "array", "items": compare_item}
    docs.add_get(
        router, "/compare", compare,
        summary="Jurisdictions side by side, by overall score, area and indicator",
        description="For one year, each concept's score in each jurisdiction, the spread "
        "and the differences from the first jurisdiction listed.\n\nNamed query: compare.",
        parameters=docs.query_params(registry["compare"]) + docs.page_params(DEFAULT_PAGE)
        + [docs.format_param(REST_FORMATS)],
        schema=schema, offered=REST_FORMATS)

    def rankings(request: Request) -> Response:
        values = request_params(request, [*registry["ranking"].params, "limit", "offset",
                                          "format"])
        fmt = choose_format(request, values, REST_FORMATS)
        page = read_page(values, DEFAULT_PAGE)
        ranking = facade.run("ranking", values)
        unscored = rows_of(facade.run("ranking-unscored", {
            k: values.get(k) for k in ("indicator", "year")}))
        items, more = slice_page(rows_of(ranking), page)
        return composed_list(request, fmt, ranking.columns, items, page, more,
                             {"year": int(values["year"]), "unscored": unscored})

    schema = docs.list_schema(registry["ranking"].columns, True, {
        "year": {"type": "integer"},
        "unscored": {"type": "array",
                     "items": docs.row_schema(registry["ranking-unscored"].columns),
                     "description": "Jurisdictions covered by the system but without a score "
                     "on the indicator that year (named query ranking-unscored)."}})
    docs.add_get(
        router, "/rankings", rankings,
        summary="Jurisdictions ranked on one indicator in one year",
        description="Highest score first; equal scores share a rank (1, 2, 2, 4) and are "
        "flagged as tied; jurisdictions without a score that year are listed apart. In CSV: "
        "the ranking.\n\nNamed queries: ranking, ranking-unscored.",
        parameters=docs.query_params(registry["ranking"]) + docs.page_params(DEFAULT_PAGE)
        + [docs.format_param(REST_FORMATS)],
        schema=schema, offered=REST_FORMATS)

    def changes(request: Request) -> Response:
        values = request_params(request, [*registry["changes"].params, "limit", "offset",
                                          "format"])
        fmt = choose_format(request, values, REST_FORMATS)
        page = read_page(values, DEFAULT_PAGE)
        rows = facade.run("changes", values)
        if int(values["from"]) >= int(values["to"]):  # both checked as years by run()
            raise InvalidParameter.of([("query.to", "must be a later year than from")])
        all_items = rows_of(rows)
        items, more = slice_page(all_items, page)
        counts = {d: sum(1 for i in all_items if i["direction"] == d)
                  for d in ("positive", "negative")}
        return composed_list(request, fmt, rows.columns, items, page, more, counts)

    schema = docs.list_schema(registry["changes"].columns, True, {
        "positive": {"type": "integer", "description": "Scores that rose."},
        "negative": {"type": "integer", "description": "Scores that fell."}})
    docs.add_get(
        router, "/changes", changes,
        summary="Which scores of a jurisdiction changed between two years",
        description="Every overall score, area, indicator and sub-indicator whose score "
        "changed, by how much, positive or negative, with the experts' comments of both "
        "years.\n\nNamed query: changes.",
        parameters=docs.query_params(registry["changes"]) + docs.page_params(DEFAULT_PAGE)
        + [docs.format_param(REST_FORMATS)],
        schema=schema, offered=REST_FORMATS)
    return router


def _codes(facade: Facade, raw: str) -> list[str]:
    """The codes of the jurisdictions asked for, in the order given."""
    param = facade.registry["compare"].params["jurisdictions"]
    vocab = facade.vocabulary.get()
    codes = {iri.value: code for code, iri in vocab.jurisdictions.items()}
    return [codes[param.type.parse(item, vocab).value] for item in split_list(raw)]
