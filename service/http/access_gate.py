"""Access control for the native API (``/v1/...``): an ASGI middleware in front of its routes.

It reads the request body once (and hands it on unchanged), counts the characters of ``text`` /
``texts``, and asks :class:`service.http.access.Access` to admit the request. Refusals are
problem details: 401 ``unauthorized`` (no or unknown key), 429 ``rate_limited`` and 429
``quota_exceeded``, both with ``Retry-After``. A request that ends in an error gets its
characters back. The admitted principal is left in the request's state (``request.state.principal``)
for the routes that keep things per key (glossaries). The compatibility dialects call ``Access``
themselves, with their own errors.
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
from service.http.clients import client_address
from service.http.problems import problem_body, problem_response
from service.http.state import Running, state_of
from service.views import Problem

log = logging.getLogger(__name__)
PROTECTED_PREFIX = "/v1/"
# bodies not read here (characters not counted per request): archives, and TMX files (their own size limit)
STREAMED_PREFIXES = ("/v1/jobs", "/v1/memory/import")
KEY_SUBJECTS = ("key:", "env:")  # principals that are API keys (an open API charges addresses)
_OWNER = "newsbridge_key"  # where the request's scope state holds the key that owns what it makes

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
        self.render = render  # problem response of an error found here (overload: WorkRunner.shed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        running = state_of(scope).running if _guarded(scope) else None
        if running is None:  # not a /v1 request, or not started yet (the routes answer not_ready)
            await self.app(scope, receive, send)
        elif scope["path"].startswith(STREAMED_PREFIXES):  # archives stream to disk: key and rate only
            charge = await self._admit(scope, receive, send, running.access, 0)
            if charge is not None:
                if charge.principal.subject.startswith(KEY_SUBJECTS):  # a key owns the jobs it posts
                    scope.setdefault("state", {})[_OWNER] = charge.principal.subject  # (and pays for them)
                await self.app(scope, receive, send)
        else:
            await self._guard(scope, receive, send, running)

    async def _guard(self, scope: Scope, receive: Receive, send: Send, running: Running) -> None:
        """Read the body, refuse at once when overloaded, admit (charge) the request, and give
        the characters back when it ends in an error."""
        try:
            messages, body = await _read_body(receive)
        except Exception as exc:  # e.g. the body limit: the route reads it again and answers
            await self.app(scope, _raising(exc), send)
            return
        chars = request_chars(body)

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        overloaded = running.work.shed(scope["path"], chars)
        if overloaded is not None:
            scope.setdefault("state", {})["endpoint"] = scope["path"]  # no route runs: label the metrics
            await self.render(overloaded, scope)(scope, replay, send)
            return
        charge = await self._admit(scope, receive, send, running.access, chars)
        if charge is None:
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
                await run_in_threadpool(charge.refund)

    @staticmethod
    async def _admit(scope: Scope, receive: Receive, send: Send, access: Access, chars: int) -> Charge | None:
        """The request's charge, or None once its refusal (401, 429) has been sent."""
        conn = HTTPConnection(scope)
        try:
            charge: Charge = await run_in_threadpool(access.admit, header_credential(conn),
                                                     client_address(conn, access.settings), chars)
        except AccessDenied as denied:
            await _send_problem(scope, receive, send, denied)
            return None
        scope.setdefault("state", {})["principal"] = charge.principal  # who asks: memory roles, per-key glossaries
        return charge


def key_owner(conn: HTTPConnection) -> str | None:
    """The API key (its principal, e.g. ``key:desk``) a jobs request was admitted with; None when
    the API is open. A job posted with a key is that key's: other keys do not see it."""
    owner = conn.scope.get("state", {}).get(_OWNER)
    return owner if isinstance(owner, str) else None


def _guarded(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIX) and scope.get("method") != "OPTIONS"


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """The request's messages (to replay to the app) and its body."""
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return messages, body


def _raising(exc: Exception) -> Receive:
    async def fail() -> Message:
        raise exc

    return fail


async def _send_problem(scope: Scope, receive: Receive, send: Send, denied: AccessDenied) -> None:
    headers: dict[str, str] = {}
    if denied.reason in ("missing_key", "invalid_key"):
        headers["WWW-Authenticate"] = 'Bearer realm="newsbridge"'
    if denied.retry_after is not None:
        headers["Retry-After"] = str(denied.retry_after)
    body = problem_body(Problem(_PROBLEMS[denied.reason], denied.message), scope["path"])
    response = problem_response(body, scope.get("state", {}).get("request_id"), headers)
    await response(scope, receive, send)
