"""Access control for the native API (``/v1/...``): an ASGI middleware in front of its routes.

It reads the request body once (and hands it on unchanged), counts the characters of ``text`` /
``texts``, and asks :class:`service.http.access.Access` to admit the request. Refusals are
problem details: 401 ``unauthorized`` (no or unknown key), 429 ``rate_limited`` and 429
``quota_exceeded``, both with ``Retry-After``. A request that ends in an error gets its
characters back. The compatibility dialects call ``Access`` themselves, with their own errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import NewsbridgeError
from service.http.access import Access, AccessDenied, Charge, header_credential
from service.http.admission import shed
from service.http.clients import client_address
from service.http.problems import problem_body, problem_response
from service.views import Problem

log = logging.getLogger(__name__)
PROTECTED_PREFIX = "/v1/"
STREAMED_PREFIXES = ("/v1/jobs",)  # bodies not read here (characters not counted per request)

# AccessDenied.reason -> problem type (titles and statuses: service.http.problems.STATUS)
_PROBLEMS: dict[str, str] = {
    "missing_key": "unauthorized",
    "invalid_key": "unauthorized",
    "rate": "rate_limited",
    "quota": "quota_exceeded",
}


def request_chars(body: bytes) -> int:
    """Characters of the texts in a native request body (0 when there are none)."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return 0  # the route answers (invalid_json, invalid_encoding, too_deeply_nested)
    if not isinstance(data, dict):
        return 0
    chars = len(data["text"]) if isinstance(data.get("text"), str) else 0
    texts = data.get("texts")
    if isinstance(texts, list):
        chars += sum(len(t) for t in texts if isinstance(t, str))
    return chars


class NativeAccessMiddleware:
    def __init__(self, app: ASGIApp, render: Callable[[NewsbridgeError, Scope], Response]) -> None:
        self.app = app
        self.render = render  # problem response of an error found here (overload: service.http.admission.shed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX) \
                or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        access: Access | None = getattr(scope["app"].state, "access", None)
        if access is None:  # not started yet: the routes answer not_ready
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith(STREAMED_PREFIXES):  # archives stream to disk: key and rate only
            conn = HTTPConnection(scope)
            try:
                await run_in_threadpool(access.admit, header_credential(conn),
                                        client_address(conn, access.settings), 0)
            except AccessDenied as denied:
                await _send_problem(scope, receive, send, denied)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = b""
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        except Exception as exc:  # e.g. the body limit: the route reads it again and answers
            failure = exc

            async def fail() -> Message:
                raise failure

            await self.app(scope, fail, send)
            return
        chars = request_chars(body)

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        overloaded = shed(scope, chars)
        if overloaded is not None:
            await self.render(overloaded, scope)(scope, replay, send)
            return
        conn = HTTPConnection(scope)
        address = client_address(conn, access.settings)
        try:
            ticket: Charge = await run_in_threadpool(access.admit, header_credential(conn), address, chars)
        except AccessDenied as denied:
            await _send_problem(scope, receive, send, denied)
            return

        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, replay, watch)
        finally:
            if status >= 400:
                await run_in_threadpool(ticket.refund)


async def _send_problem(scope: Scope, receive: Receive, send: Send, denied: AccessDenied) -> None:
    headers: dict[str, str] = {}
    if denied.reason in ("missing_key", "invalid_key"):
        headers["WWW-Authenticate"] = 'Bearer realm="newsbridge"'
    if denied.retry_after is not None:
        headers["Retry-After"] = str(denied.retry_after)
    body = problem_body(Problem(_PROBLEMS[denied.reason], denied.message), scope["path"])
    response = problem_response(body, scope.get("state", {}).get("request_id"), headers)
    await response(scope, receive, send)
