"""Pure ASGI middleware (no BaseHTTPMiddleware: it would hide client disconnects from endpoints).

``RequestContext`` (outermost of ours): a request id per request (``X-Request-ID`` accepted when
sane, else generated), echoed in the response header, bound to structlog's context for every log
line of the request; metrics per route and status; and any error nothing else handled becomes a
500 problem, logged once (Starlette's own error middleware would log it a second time).

``BodyLimit``: the body is counted while it is read and refused (413 problem) past
``max_body_bytes`` before anything parses it; a ``Content-Length`` over the limit is refused
before a byte is read.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problems import REQUEST_ID_HEADER, log_unexpected, problem_body, problem_response
from service.logs import bound_contextvars
from service.metrics import Metrics
from service.views import INTERNAL_DETAIL, Problem

_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit} bytes")


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                log_unexpected(exc, request_id=request_id, path=scope.get("path", ""))
                self.metrics.errors.labels("internal_error").inc()
                if not response_started:
                    response = problem_response(problem_body(
                        Problem("internal_error", INTERNAL_DETAIL, internal=True), scope.get("path", "")), request_id)
                    await response(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                endpoint = getattr(route, "path", None) or scope.get("state", {}).get("endpoint", "unmatched")
                self.metrics.requests.labels(endpoint, str(status)).inc()
                self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_body_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.exempt = exempt_prefixes  # routes with their own limit (jobs stream to disk)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.exempt and scope.get("path", "").startswith(self.exempt)):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            request_id = scope.get("state", {}).get("request_id")
            response = problem_response(problem_body(
                Problem("body_too_large", f"the request body ({length} bytes) is over the limit of {self.limit} bytes"),
                scope.get("path", "")), request_id, {"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0
        limit = self.limit

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)
