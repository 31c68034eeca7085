"""``/health`` and ``/ready``: the two routes a load balancer or orchestrator probes.

* ``GET /health`` (liveness): 200 as long as the process serves HTTP. It touches
  neither the store nor the query engine, so a slow or unreachable store never gets
  a healthy copy restarted.
* ``GET /ready`` (readiness): 200 when the query engine runs and the store answers
  ``ASK {}``; otherwise 503 with ``Retry-After`` and the usual problem body (RFC 9457)
  (``error: "not_ready"``, ``detail`` saying which). See ``api.readiness`` for why
  a flood of queries cannot starve it and a flood of probes cannot load the store.

Both answer HEAD too, are never cached (``Cache-Control: no-store``), and are
not part of the OpenAPI description of the data service.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mipex_kg.api.errors import problem_response
from mipex_kg.api.readiness import Readiness

router = APIRouter(include_in_schema=False)

#: Seconds a load balancer is asked to wait before it probes a copy that is not ready.
RETRY_AFTER = 5
NO_STORE = {"Cache-Control": "no-store"}


@router.api_route("/health", methods=["GET", "HEAD"])
async def health() -> JSONResponse:
    """The process is alive and serves HTTP."""
    return JSONResponse({"status": "alive"}, headers=NO_STORE)


@router.api_route("/ready", methods=["GET", "HEAD"])
async def ready(request: Request) -> JSONResponse:
    """The copy can answer queries now (engine running, store reachable)."""
    readiness: Readiness = request.app.state.readiness
    reason = await readiness.why_not_ready()
    if reason is None:
        return JSONResponse({"status": "ready"}, headers=NO_STORE)
    return problem_response(503, "not_ready", reason, request.url.path,
                            headers={**NO_STORE, "Retry-After": str(RETRY_AFTER)})
