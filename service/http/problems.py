"""HTTP problem details (RFC 9457): the only place that maps an error ``type`` to a status
code and title. What a client learns from an exception is decided by ``service.views.problem_of``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import NewsbridgeError
from service.metrics import Metrics
from service.views import Problem, problem_of
from translators.base import TranslatorError

__all__ = ["PROBLEM_BASE", "PROBLEM_JSON", "STATUS", "install_problem_handlers", "problem_body",
           "problem_response"]

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://newsbridge.dev/problems/"
PROBLEM_JSON = "application/problem+json"

# type -> (title, HTTP status)
STATUS: dict[str, tuple[str, int]] = {
    "empty_text": ("Empty text", 422),
    "text_too_large": ("Text too large", 413),
    "unsupported_language": ("Unsupported language", 422),
    "invalid_request": ("Invalid request", 422),
    "invalid_json": ("Invalid JSON", 400),
    "not_ready": ("Service not ready", 503),
    "unsupported_pair": ("Unsupported language pair", 422),
    "model_missing": ("Model missing", 503),
    "translation_failed": ("Translation failed", 500),
    "not_found": ("Not Found", 404),
    "method_not_allowed": ("Method Not Allowed", 405),
    "internal_error": ("Internal error", 500),
}
_DEFAULT = ("Translation failed", 500)  # an engine error of a type not listed above


def problem_body(problem: Problem, instance: str | None = None) -> dict[str, Any]:
    title, status = STATUS.get(problem.type, _DEFAULT)
    body: dict[str, Any] = {"type": PROBLEM_BASE + problem.type, "title": title, "status": status,
                            "detail": problem.detail}
    if instance:
        body["instance"] = instance
    body.update(problem.extra)
    return body


def problem_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=int(body["status"]), media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Every error an endpoint raises becomes problem details with a stable ``type``."""

    @app.exception_handler(NewsbridgeError)
    @app.exception_handler(TranslatorError)
    async def _domain(request: Request, exc: Exception) -> JSONResponse:
        problem = problem_of(exc)
        metrics.errors.labels(problem.type).inc()
        return problem_response(problem_body(problem, str(request.url.path)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        kind = "invalid_json" if any(e["type"] == "json_invalid" for e in errors) else "invalid_request"
        metrics.errors.labels(kind).inc()
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(problem_body(Problem(kind, detail, {"errors": errors}), str(request.url.path)))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem_response({"type": PROBLEM_BASE + kind, "title": str(exc.detail), "status": exc.status_code,
                                 "detail": str(exc.detail), "instance": str(request.url.path)})

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": str(request.url.path)})
        metrics.errors.labels("internal_error").inc()
        return problem_response(problem_body(problem_of(exc), str(request.url.path)))
