"""Every error on a DeepL path (``/v2`` and below) in DeepL's shape: ``{"message": ...}``.

The DeepL adapter answers its own errors that way; what happens before or outside it — an unknown
``/v2/...`` path (404), a wrong method (405), a body over the limit (413), an unexpected fault
(500) — is written as problem details by the layers that catch it. DeepL clients read
``message`` (Weblate shows it; the SDKs raise it), so this outermost middleware rewrites a
problem-details answer on a ``/v2`` path into ``{"message": <the problem's detail>}``, keeping
its status and headers. Any other answer passes untouched.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.problems import PROBLEM_JSON

DEEPL_PREFIX = "/v2"


def is_deepl_path(path: str) -> bool:
    return path == DEEPL_PREFIX or path.startswith(DEEPL_PREFIX + "/")


def deepl_body(problem: bytes) -> bytes:
    """``{"message": detail}`` from a problem-details body (its title if it has no detail)."""
    try:
        data = json.loads(problem)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    message = data.get("detail") or data.get("title") or "Error"
    return json.dumps({"message": str(message)}).encode()


class DeepLErrorShape:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_deepl_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        start: Message | None = None  # held back while a problem body is collected
        chunks: list[bytes] = []

        async def shaped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if ctype.split(b";")[0].strip().decode("latin-1") == PROBLEM_JSON:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = deepl_body(b"".join(chunks))
                headers = [(k, v) for k, v in start.get("headers", [])
                           if k.lower() not in (b"content-type", b"content-length")]
                headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, shaped)
