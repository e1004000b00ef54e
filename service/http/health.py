"""``/healthz``, ``/readyz`` and ``/metrics``: answered from the event loop, never behind model work.

``/healthz`` and ``/metrics`` are ``async def`` that touch no engine and no database, so a
saturated worker pool or a slow model cannot delay them. ``/readyz`` asks the engine stack for
its state (which may run one bounded database query) in a thread of its own, with a timeout.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.engines import Engines
from service.http.state import StateDep

router = APIRouter(tags=["meta"])
READY_CHECK_TIMEOUT = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (answered by the event loop alone)."""
    return {"status": "ok"}


def _state(engines: Engines) -> dict[str, Any]:
    cache = engines.cache_state()
    backend = engines.translator.describe().backend
    failed = dict(backend.failed_pairs)
    degraded = cache.startswith("degraded") or bool(failed) or not backend.health.ok
    return {"status": "degraded" if degraded else "ok", "cache": cache, "backend": engines.settings.backend,
            "models_loaded": list(backend.loaded_pairs), "models_failed": failed}


@router.get("/readyz", responses={503: {"description": "Starting, shutting down, or the check timed out"}})
async def readyz(state: StateDep) -> JSONResponse:
    """Ready to serve: `ok`; `degraded` while still serving (cache unavailable: requests are
    translated uncached; `models_failed` names each pair whose model failed to load, with why);
    503 while starting or shutting down."""
    running = state.running
    if running is None or running.lifecycle.draining:
        return JSONResponse({"status": "not_ready", "cache": "unknown", "backend": None, "models_loaded": [],
                             "models_failed": {}}, status_code=503)
    try:
        engines = running.engines
        ready = await asyncio.wait_for(asyncio.to_thread(_state, engines), READY_CHECK_TIMEOUT)
    except TimeoutError:
        return JSONResponse({"status": "degraded", "cache": "degraded: health check timed out",
                             "backend": engines.settings.backend, "models_loaded": [], "models_failed": {}},
                            status_code=503)
    return JSONResponse(ready)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
async def metrics_endpoint(state: StateDep) -> Response:
    """Prometheus metrics (answered by the event loop alone)."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
