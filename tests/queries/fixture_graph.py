"""The fixture graph of the named-query and REST tests: reference data plus a tiny workbook.

Five countries (SE, FI, PT, ES, AT), 2014 and 2019, two strands: enough for every
named query to return rows. Sweden's scores change between the years (a positive
and a negative change, with comments); Spain and Austria tie on the overall score
in 2019, so rankings must share a rank.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import Loader

from tests.workbook_builder import Column, Strand, write_workbook

YEARS = (2014, 2019)

#: sheet -> (overall 2014, overall 2019, aa1 2014, aa1 2019, ba21 2014, ba21 2019)
COUNTRIES: dict[str, tuple[float, float, int, int, int, int]] = {
    "SE": (87.25, 86.5, 50, 100, 100, 50),
    "FI": (84.0, 84.5, 100, 100, 100, 100),
    "PT": (80.0, 81.5, 50, 50, 100, 100),
    "ES": (60.0, 60.0, 0, 50, 50, 50),
    "AT": (55.0, 60.0, 0, 0, 50, 50),
}


def country_sheet(values: tuple[float, float, int, int, int, int]) -> dict[str, Any]:
    o14, o19, aa14, aa19, ba14, ba19 = values
    strands = [
        Strand("a", "Labour Market Mobility Strand", [
            Column("a", title="Labour Market Mobility", question="Average of the strand",
                   scores={2014: (aa14 + 100) / 2, 2019: (aa19 + 100) / 2}),
            Column("aa1", title="Immediate access to labour market",
                   question="What categories of foreign residents have equal access?",
                   answers="100 - All of them\n0 - Only A or none",
                   scores={2014: aa14, 2019: aa19},
                   comments={2019: "Reform of 2016: all residents."} if aa14 != aa19 else {}),
            Column("ab6", title="Public employment services", scores={2014: 100, 2019: 100}),
        ]),
        Strand("b", "Family Reunification Strand", [
            Column("b", title="Family Reunion", question="Average of the strand",
                   scores={2014: (ba14 + 25) / 2, 2019: (ba19 + 25) / 2}),
            Column("bb28", title="Pre-entry requirement", scores={2014: 25, 2019: 25}),
            Column(None, "bb28a", title="a. Pre-entry language", scores={2014: 0, 2019: 0}),
            Column(None, "bb28b", title="b. Pre-entry integration", scores={2014: 50, 2019: 50}),
            Column("ba21", title="Residence period", scores={2014: ba14, 2019: ba19},
                   comments={2019: "New rules from 2016."} if ba14 != ba19 else {}),
        ]),
    ]
    overall = {2014: (o14, o14 + 0.5, o14 - 0.5), 2019: (o19, o19 + 0.5, o19 - 0.5)}
    return {"years": YEARS, "overall": overall, "strands": strands}


def build_fixture_store(folder: Path, reference_dump: bytes) -> KnowledgeStore:
    """A fresh in-memory store: the reference data and the tiny workbook, loaded."""
    store = KnowledgeStore()
    store.oxigraph.load(reference_dump, ox.RdfFormat.N_QUADS)
    workbook = write_workbook(folder / "mipex_fixture_2014-2019.xlsx",
                              {code: country_sheet(v) for code, v in COUNTRIES.items()})
    Loader(store).load_workbook(workbook)
    return store
