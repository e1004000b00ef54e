"""``create_app(settings, ...)``: the FastAPI application. Engines are built in the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service.engines import Engines, build_engines
from service.http.access import build_access
from service.http.compat_deepl import router as deepl_router
from service.http.compat_libretranslate import router as libretranslate_router
from service.http.editor import router as editor_router
from service.http.guard import NativeAccessMiddleware
from service.http.middleware import BodyLimit, RequestContext
from service.http.problems import PROBLEM_JSON, install_handlers, problem_response
from service.http.routes import router
from service.logs import configure_logging
from service.metrics import Metrics
from service.settings import Settings

__all__ = ["PROBLEM_JSON", "create_app", "problem_response"]
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
        app.state.access = build_access(settings)
        if settings.preload:
            for pair in ("pl-en", "lt-en", "en-pl", "en-lt"):
                src, tgt = pair.split("-")
                try:
                    app.state.engines.translator.identity(src, tgt)
                except Exception as exc:
                    log.warning("could not preload model", extra={"pair": pair, "error": str(exc)})
        log.info("newsbridge ready", extra={"backend": settings.backend, "cache": app.state.engines.cache_state()})
        try:
            yield
        finally:
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
    app.include_router(libretranslate_router)
    app.include_router(deepl_router)
    app.include_router(editor_router)
    install_handlers(app, metrics)
    app.add_middleware(NativeAccessMiddleware)  # innermost: keys, quotas, rate limits of /v1
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"],
                           expose_headers=["Retry-After", "X-Request-ID"])
    app.add_middleware(RequestContext, metrics=metrics)  # outer: every response has a request id
    return app
