"""The REST facade's overhead: each route's median latency over HTTP next to its queries.

For every REST route, on the fully loaded store (reference data and both official
workbooks, in memory): the median time of the named queries the route runs, run
directly in pyoxigraph (query + reading every row), and the median latency of the
route itself over HTTP (uvicorn on 127.0.0.1, one keep-alive connection, requests
one after the other), with the facade's result cache off. The difference is the
facade: parameter checks, binding, JSON building, HTTP. The last column is the same
route with the result cache on (the data is read-mostly: repeated questions are
answered from memory until the store changes).

    python bench/bench_rest.py [--data ../shared/data/mipex] [--repeat 25]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from mipex_kg.api.errors import install_error_handlers
from mipex_kg.api.routes.resources import register_rest
from mipex_kg.graph.store import KnowledgeStore
from mipex_kg.loaders.pipeline import Loader

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mipex"
SCORE = "https://w3id.org/mipex-kg/id/score/mipex-2020/SWE/2019/overall-with-health"

#: route (path and query string) -> the named queries it runs, with their parameters
ROUTES: list[tuple[str, list[tuple[str, dict[str, str]]]]] = [
    ("/api/systems", [("systems", {})]),
    ("/api/systems/mipex", [("systems", {"system": "mipex"}),
                            ("system-editions", {"system": "mipex"}),
                            ("policy-areas", {"system": "mipex"}),
                            ("classification-axes", {"system": "mipex"})]),
    ("/api/policy-areas?system=mipex", [("policy-areas", {"system": "mipex"})]),
    ("/api/indicators?system=mipex", [("indicators", {"system": "mipex"})]),
    ("/api/indicators/aa1", [("indicator", {"indicator": "aa1"}),
                             ("sub-indicators", {"indicator": "aa1"}),
                             ("indicator-years", {"indicator": "aa1"}),
                             ("indicator-scores", {"indicator": "aa1", "year": "2024"})]),
    ("/api/jurisdictions", [("jurisdictions", {})]),
    ("/api/jurisdictions/SWE", [("jurisdiction", {"jurisdiction": "SWE"}),
                                ("jurisdictions", {"country": "SWE", "level": "region"}),
                                ("latest-scores", {"jurisdiction": "SWE"}),
                                ("jurisdiction-time-series", {"jurisdiction": "SWE"})]),
    ("/api/scores?jurisdiction=SWE&indicator=overall-with-health",
     [("scores", {"jurisdiction": "SWE", "indicator": "overall-with-health"})]),
    ("/api/scores?jurisdiction=SWE", [("scores", {"jurisdiction": "SWE"})]),
    ("/api/scores", [("scores", {})]),
    ("/api/compare?jurisdictions=SWE,ESP,FIN&year=2019",
     [("compare", {"jurisdictions": "SWE,ESP,FIN", "year": "2019"})]),
    ("/api/rankings?indicator=overall-with-health&year=2019",
     [("ranking", {"indicator": "overall-with-health", "year": "2019"}),
      ("ranking-unscored", {"indicator": "overall-with-health", "year": "2019"})]),
    ("/api/changes?jurisdiction=SWE&from=2014&to=2019",
     [("changes", {"jurisdiction": "SWE", "from": "2014", "to": "2019"})]),
    (f"/api/provenance?score={SCORE}", [("provenance", {"score": SCORE})]),
]


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def load(data: Path) -> KnowledgeStore:
    store = KnowledgeStore()
    loader = Loader(store)
    loader.load_reference_data()
    for name in ("mipex_core_2007-2019.xlsx", "mipex_EU_2020-2024.xlsx"):
        loader.load_workbook(data / name)
    return store


def serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    start = time.perf_counter()
    store = load(args.data)
    print(f"loaded {len(store)} quads in {time.perf_counter() - start:.1f} s")
    app = FastAPI()
    install_error_handlers(app)
    facade = register_rest(app, store, cache_size=0)
    vocab = facade.vocabulary.get()
    server, thread, url = serve(app)
    print("| route | named queries | direct pyoxigraph (ms) | REST over HTTP (ms) | "
          "overhead (ms) | REST, cache on (ms) |\n|---|---|---:|---:|---:|---:|")
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            for route, queries in ROUTES:
                plans = []
                for name, values in queries:
                    query = facade.registry[name]
                    bound = query.parse_params(values, vocab)
                    sparql = query.bind(bound)
                    if query.pagination is not None:
                        sparql = query.page(sparql, query.pagination, 0)
                    plans.append((sparql, query.substitutions(bound) or None))

                def direct(plans: list[tuple[str, object]] = plans) -> None:
                    for sparql, subs in plans:
                        list(store.query(sparql, substitutions=subs))  # type: ignore[arg-type]

                def rest(route: str = route) -> None:
                    response = http.get(route)
                    assert response.status_code == 200, (route, response.text[:300])

                facade.cache_size = 0
                d, r = median_ms(direct, args.repeat), median_ms(rest, args.repeat)
                facade.cache_size = 256
                cached = median_ms(rest, args.repeat)
                names = ", ".join(name for name, _ in queries)
                print(f"| `{route}` | {names} | {d:.1f} | {r:.1f} | {r - d:.1f} | "
                      f"{cached:.1f} |", flush=True)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
