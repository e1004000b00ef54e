"""Problem details responses and the app's exception handlers.

Every problem body carries the request's ``request_id``. An unexpected error is logged exactly
once, here, structured, with the request id, its type and a traceback of file/line/function
frames: no request headers, no local variables, and no more than the first 200 characters of
the exception's message (which may quote the text being translated).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import PROBLEM_BASE, ProblemError, as_problem
from service.metrics import Metrics

log = logging.getLogger("service.errors")
PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
_MESSAGE_CHARS = 200


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def problem_response(body: dict[str, Any], request_id: str | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    if request_id:
        body = {**body, "request_id": request_id}
    headers = dict(headers or {})
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(body, status_code=int(body["status"]), media_type=PROBLEM_JSON, headers=headers)


def safe_traceback(exc: BaseException) -> str:
    """Frames (file, line, function, source line) of ``exc`` and its causes; messages cut short."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(parts) < 4:
        seen.add(id(current))
        stack = traceback.extract_tb(current.__traceback__)
        message = str(current)
        if len(message) > _MESSAGE_CHARS:
            message = message[:_MESSAGE_CHARS] + "…"
        parts.append("".join(stack.format()) + f"{type(current).__qualname__}: {message}")
        current = current.__cause__ or current.__context__
    return "\nCaused by:\n".join(parts)


def log_unexpected(exc: BaseException, *, request_id: str | None, path: str, **extra: Any) -> None:
    """The one log record of an unexpected error."""
    log.error("unexpected error", extra={"request_id": request_id, "path": path,
                                         "error_type": type(exc).__qualname__,
                                         "traceback": safe_traceback(exc), **extra})


def report(problem: ProblemError, request: Request) -> ProblemError:
    """Logs the unexpected error behind an internal problem (once: the problem remembers)."""
    cause = problem.__cause__
    if problem.status >= 500 and cause is not None and not getattr(problem, "logged", False):
        log_unexpected(cause, request_id=request_id_of(request), path=request.url.path)
        problem.logged = True  # type: ignore[attr-defined]
    return problem


def problem_item(exc: BaseException, request: Request, metrics: Metrics) -> dict[str, Any]:
    """The problem body for one failed item of a batch request (logged when unexpected)."""
    problem = report(as_problem(exc), request)
    metrics.errors.labels(problem.type).inc()
    return problem.to_problem()


_INVALID_BODY = {
    UnicodeDecodeError: ("invalid_encoding", "Invalid encoding", 400, "the request body is not valid UTF-8"),
    RecursionError: ("too_deeply_nested", "Too deeply nested", 400, "the JSON body is nested too deeply"),
}


def install_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Problem details for every error a request can meet (unexpected ones: see the middleware)."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        report(exc, request)
        metrics.errors.labels(exc.type).inc()
        return problem_response(exc.to_problem(request.url.path), request_id_of(request), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        bad_json = any(e["type"] == "json_invalid" for e in errors)
        kind = "invalid_json" if bad_json else "invalid_request"
        metrics.errors.labels(kind).inc()
        return problem_response({
            "type": PROBLEM_BASE + kind, "title": "Invalid JSON" if bad_json else "Invalid request",
            "status": 400 if bad_json else 422, "instance": request.url.path,
            "detail": "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors), "errors": errors},
            request_id_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = next((v for t, v in _INVALID_BODY.items() if isinstance(exc.__cause__, t)), None)
        if known is not None:
            kind, title, status, detail = known
        else:
            kind = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
                exc.status_code, "invalid_body" if exc.status_code == 400 else "http_error")
            title, status, detail = str(exc.detail), exc.status_code, str(exc.detail)
        metrics.errors.labels(kind).inc()
        return problem_response({"type": PROBLEM_BASE + kind, "title": title, "status": status,
                                 "detail": detail, "instance": request.url.path},
                                request_id_of(request), dict(exc.headers or {}))
