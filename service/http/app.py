"""``create_app(settings, ...)``: the FastAPI application. Engines are built in the lifespan."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.engines import Engines, build_engines
from service.errors import PROBLEM_BASE, ProblemError
from service.http import compat_deepl, compat_libretranslate
from service.http.access import build_access
from service.http.guard import NativeAccessMiddleware
from service.http.routes import router
from service.logs import configure_logging
from service.metrics import Metrics
from service.settings import Settings

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=int(body["status"]), media_type=PROBLEM_JSON)


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
    app.include_router(compat_libretranslate.router)
    app.include_router(compat_deepl.router)
    app.add_middleware(NativeAccessMiddleware)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"],
                           expose_headers=["Retry-After"])

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        metrics.errors.labels(exc.type).inc()
        return problem_response(exc.to_problem(str(request.url.path)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        bad_json = any(e["type"] == "json_invalid" for e in errors)
        kind = "invalid_json" if bad_json else "invalid_request"
        metrics.errors.labels(kind).inc()
        return problem_response({
            "type": PROBLEM_BASE + kind, "title": "Invalid JSON" if bad_json else "Invalid request",
            "status": 400 if bad_json else 422, "instance": str(request.url.path),
            "detail": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors), "errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem_response({"type": PROBLEM_BASE + kind, "title": str(exc.detail), "status": exc.status_code,
                                 "detail": str(exc.detail), "instance": str(request.url.path)})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": str(request.url.path)})
        metrics.errors.labels("internal_error").inc()
        return problem_response({"type": PROBLEM_BASE + "internal_error", "title": "Internal error", "status": 500,
                                 "detail": "an unexpected error occurred; see the server log",
                                 "instance": str(request.url.path)})

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
