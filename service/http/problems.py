"""Problem details (RFC 9457) and the app's exception handlers: the only place that maps an
error ``type`` to an HTTP status and title. What a caller learns from an exception is decided by
``service.views.problem_of``; this module adds the status, the ``instance`` and the request id.

Every problem body is built by ``problem_body`` from the one ``STATUS`` table and sent by
``problem_response``, which adds the request's ``request_id`` (the access gate, the middleware and
the handlers below all go through them). An unexpected error is logged exactly
once, structured, with the request id, its type and a traceback of file/line/function frames: no
request headers, no local variables, and no more than the first 200 characters of the
exception's message (which may quote the text being translated).
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from service.errors import NewsbridgeError
from service.metrics import Metrics
from service.views import INTERNAL_DETAIL, Problem, problem_of
from translators.base import TranslatorError

__all__ = ["PROBLEM_BASE", "PROBLEM_JSON", "REQUEST_ID_HEADER", "STATUS", "install_handlers", "log_unexpected",
           "problem_body", "problem_item", "problem_response", "report"]

log = logging.getLogger("service.errors")
PROBLEM_BASE = "https://newsbridge.dev/problems/"
PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-ID"
_MESSAGE_CHARS = 200

# type -> (title, HTTP status). A type not listed is an unexpected failure: 500, and logged.
STATUS: dict[str, tuple[str, int]] = {
    "empty_text": ("Empty text", 422),
    "text_too_large": ("Text too large", 413),
    "unsupported_language": ("Unsupported language", 422),
    "invalid_request": ("Invalid request", 422),
    "invalid_json": ("Invalid JSON", 400),
    "not_ready": ("Service not ready", 503),
    "invalid_text": ("Invalid text", 422),
    "too_many_texts": ("Too many texts", 413),
    "request_too_large": ("Request too large", 413),
    "html_too_deep": ("HTML nested too deeply", 413),
    "invalid_markup": ("Invalid markup", 422),
    "overloaded": ("Server overloaded", 503),
    "shutting_down": ("Server shutting down", 503),
    "deadline_exceeded": ("Request deadline exceeded", 504),
    "client_closed_request": ("Client closed request", 499),
    # engine errors (translators.base.TranslatorError and its kin)
    "unsupported_pair": ("Unsupported language pair", 422),  # no request reaches it: languages are checked first
    "model_missing": ("Model missing", 503),
    "cancelled": ("Request cancelled", 503),
    "model_load_failed": ("Model failed to load", 503),
    "model_converting": ("Model being converted", 503),
    "internal_error": ("Internal error", 500),
    # jobs (service/http/jobs.py)
    "job_too_large": ("Job too large", 413),
    "job_not_found": ("Job not found", 404),
    "unsupported_media_type": ("Unsupported media type", 415),
    "jobs_unavailable": ("Jobs unavailable", 503),
    "callback_url_refused": ("Callback URL refused", 400),
    # glossaries (service/http/glossaries.py; the DeepL dialect maps them to its own statuses)
    "glossary_not_found": ("Glossary not found", 404),
    "invalid_glossary": ("Invalid glossary", 400),
    "glossary_too_large": ("Glossary too large", 413),
    "unsupported_glossary_pair": ("Unsupported glossary language pair", 422),
    "glossary_pair_mismatch": ("Glossary does not match the language pair", 422),
    "glossary_forbidden": ("Glossary not modifiable", 403),
    "too_many_glossaries": ("Too many glossaries", 409),
    "glossaries_unavailable": ("Glossaries unavailable", 503),
    # access (service/http/access_gate.py)
    "unauthorized": ("Unauthorized", 401),
    "rate_limited": ("Too many requests", 429),
    "quota_exceeded": ("Quota exceeded", 429),
    # translation memory (service/http/memory_api.py)
    "forbidden": ("Forbidden", 403),
    "memory_entry_not_found": ("Memory entry not found", 404),
    "memory_conflict": ("Memory conflict", 409),
    "memory_unavailable": ("Translation memory unavailable", 503),
    "invalid_tmx": ("Invalid TMX", 422),
    # the request itself (the handlers below)
    "invalid_encoding": ("Invalid encoding", 400),
    "too_deeply_nested": ("Too deeply nested", 400),
    "invalid_body": ("Invalid body", 400),
    "not_found": ("Not found", 404),
    "method_not_allowed": ("Method not allowed", 405),
    "body_too_large": ("Body too large", 413),
}
_UNKNOWN = ("Translation failed", 500)


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def problem_body(problem: Problem, instance: str | None = None, *, status: int | None = None) -> dict[str, Any]:
    """The body of a problem; ``status`` only for an HTTP error of no known type (``http_error``)."""
    title, known = STATUS.get(problem.type, _UNKNOWN)
    status = known if problem.type in STATUS or status is None else status
    detail = INTERNAL_DETAIL if problem.internal else problem.detail
    body: dict[str, Any] = {"type": PROBLEM_BASE + problem.type, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(problem.extra)
    return body


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


def report(exc: BaseException, request: Request) -> Problem:
    """The problem for ``exc``; an unexpected one (a crash, or an engine error of an unknown
    type) is logged, once even when reported twice."""
    problem = problem_of(exc)
    if (problem.internal or problem.type not in STATUS) and not getattr(exc, "_newsbridge_logged", False):
        log_unexpected(exc, request_id=request_id_of(request), path=request.url.path)
        with contextlib.suppress(AttributeError):  # an exception type with __slots__
            exc._newsbridge_logged = True  # type: ignore[attr-defined]
    return problem


def error_response(exc: NewsbridgeError, scope: Scope, metrics: Metrics) -> JSONResponse:
    """The problem response for an expected error raised outside a route (an ASGI middleware)."""
    problem = problem_of(exc)
    metrics.errors.labels(problem.type).inc()
    return problem_response(problem_body(problem, scope.get("path")), scope.get("state", {}).get("request_id"),
                            exc.headers)


def problem_item(exc: BaseException, request: Request, metrics: Metrics) -> dict[str, Any]:
    """The problem body for one failed item of a batch request (logged when unexpected)."""
    problem = report(exc, request)
    metrics.errors.labels(problem.type).inc()
    return problem_body(problem)


_INVALID_BODY = {
    UnicodeDecodeError: ("invalid_encoding", "the request body is not valid UTF-8"),
    RecursionError: ("too_deeply_nested", "the JSON body is nested too deeply"),
}
_HTTP_KINDS = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def install_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Problem details for every error a request can meet (unexpected ones: see the middleware)."""

    @app.exception_handler(NewsbridgeError)
    @app.exception_handler(TranslatorError)
    async def _problem(request: Request, exc: Exception) -> JSONResponse:
        problem = report(exc, request)
        metrics.errors.labels(problem.type).inc()
        return problem_response(problem_body(problem, request.url.path), request_id_of(request),
                                getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        kind = "invalid_json" if any(e["type"] == "json_invalid" for e in errors) else "invalid_request"
        metrics.errors.labels(kind).inc()
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem_response(problem_body(Problem(kind, detail, {"errors": errors}), request.url.path),
                                request_id_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        known = next((v for t, v in _INVALID_BODY.items() if isinstance(exc.__cause__, t)), None)
        kind, detail = known or (_HTTP_KINDS.get(exc.status_code, "http_error"), str(exc.detail))
        metrics.errors.labels(kind).inc()
        return problem_response(problem_body(Problem(kind, detail), request.url.path, status=exc.status_code),
                                request_id_of(request), dict(exc.headers or {}))
