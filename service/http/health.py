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
from service.settings import Settings
from translators.registry import DEFAULT_TIER, TIERED, TIERS, Tier, available_pairs

router = APIRouter(tags=["meta"])
READY_CHECK_TIMEOUT = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (answered by the event loop alone)."""
    return {"status": "ok"}


def configuration(settings: Settings) -> dict[str, Any]:
    """What serves: the language detector, the backend and its compute type, and each direct
    pair's model (where its files come from: its folder, or its hub id), of the default tier
    (``models``) and of every tier (``tiers``); read from the settings and the registry, nothing
    loaded. ``compute_type`` ``auto`` (transformers): each checkpoint's own dtype (OPUS-MT: float32)."""

    def located(tier: Tier) -> dict[str, str]:
        where = available_pairs(settings.model_dir, tier)
        return {pair: f"{settings.model_dir}/{spec.folder}" if where[pair] == "local" else where[pair]
                for pair, spec in TIERED[tier].items()}

    return {"detector": settings.detector, "backend": settings.backend,
            "compute_type": settings.ct2_compute_type if settings.backend == "ctranslate2" else "auto",
            "models": located(DEFAULT_TIER), "tiers": {tier: located(tier) for tier in TIERS}}


def _state(engines: Engines, starting: bool) -> dict[str, Any]:
    cache = engines.cache_state()
    backend = engines.translator.describe().backend
    failed = dict(backend.failed_pairs)
    memory = "disabled" if engines.memory_guard is None else str(engines.memory_guard.health())
    converting = list(backend.converting_pairs)
    degraded = (cache.startswith("degraded") or memory.startswith("degraded") or bool(failed) or bool(converting)
                or not backend.health.ok)
    status = "starting" if starting else "degraded" if degraded else "ok"
    return {"status": status, "cache": cache, "memory": memory, **configuration(engines.settings),
            "models_loaded": list(backend.loaded_pairs), "models_converting": converting, "models_failed": failed}


@router.get("/readyz", responses={503: {"description": "Draining after SIGTERM (on a connection already open), "
                                                       "or the check timed out"}})
async def readyz(state: StateDep) -> JSONResponse:
    """Ready to serve: `ok`; `degraded` while still serving: the cache is unavailable (requests
    are translated uncached), the translation memory is skipped (`memory`: requests are
    translated without it), a model is being converted to CTranslate2 (`models_converting` names
    each such pair: its requests get 503 `model_converting` with `Retry-After` meanwhile), or a
    model failed to load (`models_failed` names each such pair, with why; the others serve). Names
    the language detector, the backend and its compute type, and each pair's model.

    While the models are prepared at start-up (`NEWSBRIDGE_PRELOAD`, on for `newsbridge serve`:
    conversion, loading, a first decode) the server answers 503 `starting` (with what is loaded and
    converting so far). From SIGTERM on it accepts no new connection: a load balancer's check is
    refused then. A check on a connection that was already open while the server drains gets 503
    `not_ready`; one whose own check timed out, 503 `degraded`."""
    running = state.running
    if running is None or running.lifecycle.draining:
        return JSONResponse({"status": "not_ready", "cache": "unknown", "memory": "unknown",
                             **configuration(state.settings),
                             "models_loaded": [], "models_converting": [], "models_failed": {}}, status_code=503)
    engines, starting = running.engines, running.starting
    try:
        ready = await asyncio.wait_for(asyncio.to_thread(_state, engines, starting), READY_CHECK_TIMEOUT)
    except TimeoutError:
        return JSONResponse({"status": "degraded", "cache": "degraded: health check timed out", "memory": "unknown",
                             **configuration(engines.settings), "models_loaded": [], "models_converting": [],
                             "models_failed": {}}, status_code=503)
    return JSONResponse(ready, status_code=503 if starting else 200)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
async def metrics_endpoint(state: StateDep) -> Response:
    """Prometheus metrics (answered by the event loop alone)."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
