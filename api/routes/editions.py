"""``/api/editions/compare``: one jurisdiction's score on an indicator in both instruments.

A thin list route over the named query ``compare-editions``: the query follows the
crosswalk between the MIPEX 2015 and 2020 instruments (graph/crosswalk) and returns
the scores of the indicator asked and of its counterparts, year by year, from every
edition, with how each relates to the one asked.
"""

from __future__ import annotations

from fastapi import APIRouter

from mipex_kg.api.routes.facade import Facade
from mipex_kg.api.routes.rest import add_list_route


def build_router(facade: Facade) -> APIRouter:
    router = APIRouter(prefix="/api/editions", tags=["scores"])
    add_list_route(
        router, facade, "/compare", "compare-editions",
        summary="One jurisdiction's score on an indicator across the MIPEX 2015 and 2020 "
        "instruments",
        description="The scores of the indicator asked (a 2020 code such as ab9, or a 2015 "
        "one such as mipex-2015:9) and of its counterparts in the other instrument, found "
        "through the crosswalk, with the mapping relation and the text similarity of each.")
    return router
