"""``create_app(settings, ...)``: the FastAPI application. Engines are built in the lifespan."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request

from service.engines import Engines, build_engines
from service.http.problems import install_problem_handlers
from service.http.routes import router
from service.logs import configure_logging
from service.metrics import Metrics
from service.settings import Settings

log = logging.getLogger(__name__)

def create_app(settings: Settings | None = None, *, engines: Engines | None = None,
               engine_factory: Callable[[Settings], Engines] | None = None) -> FastAPI:
    """Build the app. ``engines`` (ready-made) or ``engine_factory`` replace the default
    ``build_engines(settings)``; either way nothing heavy happens before start-up."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engines = engines or (engine_factory or build_engines)(settings)
        if settings.preload:
            for pair in ("pl-en", "lt-en", "en-pl", "en-lt"):
                src, tgt = pair.split("-")
                try:
                    app.state.engines.translator.identity(src, tgt)
                except Exception as exc:
                    log.warning("could not preload model", extra={"pair": pair, "error": str(exc)})
        log.info("newsbridge ready", extra={"backend": settings.backend, "cache": app.state.engines.cache_state()})
        yield
        app.state.engines = None

    app = FastAPI(
        title="newsbridge",
        version="0.1.0",
        summary="Translation and summarization for newsrooms (pl, lt, en), with quotes kept aligned.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.include_router(router)

    install_problem_handlers(app, metrics)

    @app.middleware("http")
    async def _observe(request: Request, call_next: Callable[[Request], Any]) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        endpoint = getattr(route, "path", "unmatched")
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
        return response

    return app
