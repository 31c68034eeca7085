"""First start: fill an empty store with the reference data and the official workbooks.

``first_start`` is what ``mipex-kg serve`` runs before it starts listening (with
``--fetch``, it downloads the missing workbooks first), so the first command on a
fresh machine gives a working service with real data; ``ensure_loaded`` is its
loading part. It loads what is missing or changed and leaves everything else alone
(each load is a no-op when its graph already holds the same file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from mipex_kg.graph.quad_store import QuadStore
from mipex_kg.loaders.fetch import fetch_workbooks
from mipex_kg.loaders.known_sources import KNOWN_WORKBOOKS, KnownWorkbook
from mipex_kg.loaders.pipeline import Loader, LoadReport

#: Where ``serve --fetch`` and ``fetch`` put the workbooks when no folder is set.
DEFAULT_DATA_DIR = Path("data/mipex")


def workbooks_in(data_dir: Path) -> list[Path]:
    """The MIPEX workbooks in a folder: the known official files first, then any other xlsx."""
    known = [data_dir / k.file_name for k in KNOWN_WORKBOOKS if (data_dir / k.file_name).is_file()]
    others = sorted(p for p in data_dir.glob("*.xlsx") if p not in known and not p.name.startswith("~$"))
    return known + others


def ensure_loaded(
    store: QuadStore,
    data_dir: Path | None,
    report: Callable[[str], None] = lambda line: None,
) -> list[LoadReport]:
    """Load the ontology, the curated files and the workbooks in ``data_dir``."""
    loader = Loader(store)
    # the snapshot on disk is written from the first graph on, beside the loads
    with store.batch(), store.snapshot_ahead():
        reports = loader.load_reference_data()
        if data_dir is not None:
            for path in workbooks_in(Path(data_dir)):
                reports.append(loader.load_workbook(path))
        for item in reports:
            report(item.summary())
        derive_after(store, reports, report)
    return reports


def derive_after(store: QuadStore, reports: list[LoadReport],
                 report: Callable[[str], None], *, recompute: bool = True) -> None:
    """What follows loads in a batch: the recomputation (unless ``recompute`` is False)
    and the crosswalk, each only when the loads changed what it reads, with the
    snapshot on disk written meanwhile (``snapshot_ahead``)."""
    with store.snapshot_ahead():
        recomputed = recompute_after(store, reports) if recompute else None
        if recomputed:
            report(recomputed)
        crosswalk = crosswalk_after(store, reports)
        if crosswalk:
            report(crosswalk)


def first_start(
    store: QuadStore,
    data_dir: Path | None,
    *,
    fetch: bool = False,
    report: Callable[[str], None] = lambda line: None,
    workbooks: Sequence[KnownWorkbook] = KNOWN_WORKBOOKS,
    timeout: float = 60.0,
) -> list[LoadReport]:
    """What ``serve`` does before it listens: fetch the workbooks if asked, then load.

    With ``fetch``, the known workbooks missing from ``data_dir`` (default
    ``data/mipex``) are downloaded and their sha256 checked; files already there are
    kept. A download that fails (no network, a changed file) is reported and the
    service starts with what it has: the reference data at least.
    """
    if fetch:
        data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
        try:
            for line in fetch_workbooks(data_dir, timeout, workbooks):
                report(line)
        except OSError as exc:
            report(f"could not fetch the workbooks into {data_dir}: {exc}")
    if data_dir is not None and not Path(data_dir).is_dir():
        data_dir = None
    return ensure_loaded(store, data_dir, report)


def recompute_after(store: QuadStore, reports: list[LoadReport]) -> str | None:
    """Recompute the composite scores when a load changed a workbook or the rules.

    Returns the recomputation's summary, or None when nothing needed recomputing.
    """
    changed = [r for r in reports if r.status == "loaded"
               and (r.source.lower().endswith(".xlsx") or "aggregation-rules" in r.graph)]
    if not changed or not store.query("ASK { ?o a qb:Observation ; sdmx-attribute:obsStatus "
                                      "<https://w3id.org/mipex-kg/id/status/published> }"):
        return None
    from mipex_kg.loaders.recompute import recompute_store

    return recompute_store(store).summary()


def crosswalk_after(store: QuadStore, reports: list[LoadReport]) -> str | None:
    """Rebuild the crosswalk between the 2015 and 2020 instruments when a load changed a
    workbook (their concepts) and both are in the store.

    Returns the crosswalk's summary, or None when nothing needed rebuilding.
    """
    if not any(r.status == "loaded" and r.source.lower().endswith(".xlsx") for r in reports):
        return None
    from mipex_kg.loaders.crosswalk import crosswalk_store

    built = crosswalk_store(store)
    return built.summary() if built else None
