"""Superdesk server module: /api/newsbridge/* is proxied to NEWSBRIDGE_URL (superdesk-core 2.8 and later).

Add ``"newsbridge_proxy"`` to ``INSTALLED_APPS`` in the Superdesk server's settings.py (with this
file on the server's Python path) and set, in settings.py or the environment:

    NEWSBRIDGE_URL = "http://newsbridge.internal:8000"   # where newsbridge listens
    NEWSBRIDGE_API_KEY = "..."                           # optional: one of newsbridge's API keys

Superdesk's HTTPProxy (``superdesk.http_proxy``, superdesk-core >= 2.8) forwards every request header
except Host, Authorization and Cookie (Authorization carries the Superdesk session), so newsbridge's key
cannot travel as a bearer token: this proxy adds it as ``X-API-Key``, and the key never reaches the
browser. Without a key, keep newsbridge on the private network. Only signed-in Superdesk users can use
the proxy (HTTPProxy's ``auth=True``).

One file for both server generations: in superdesk-core 2.8/2.9 (Flask) HTTPProxy's
``get_proxy_request_kwargs`` returns the request's keyword arguments; in 3.0 (Quart) it is a coroutine
that the proxy awaits. The override below answers in kind. Runs on Python 3.8 and later (superdesk-core
2.8 supports 3.8): the annotations are never evaluated.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Awaitable
from typing import Any

from superdesk.http_proxy import HTTPProxy, register_http_proxy

logger = logging.getLogger(__name__)


class NewsbridgeProxy(HTTPProxy):
    """Superdesk's HTTPProxy, plus newsbridge's API key as X-API-Key."""

    def __init__(self, *args: Any, api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_key = api_key

    def _with_key(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.api_key:
            kwargs["headers"]["X-API-Key"] = self.api_key
        return kwargs

    async def _with_key_later(self, pending: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        return self._with_key(await pending)

    def get_proxy_request_kwargs(self) -> dict[str, Any] | Awaitable[dict[str, Any]]:  # type: ignore[override]
        kwargs = super().get_proxy_request_kwargs()
        if inspect.isawaitable(kwargs):  # superdesk-core 3.0: the caller awaits what it gets
            return self._with_key_later(kwargs)
        return self._with_key(kwargs)


def _setting(app: Any, name: str) -> str | None:
    return app.config.get(name) or os.environ.get(name) or None


def init_app(app: Any) -> None:
    """Called by Superdesk for each module in INSTALLED_APPS (a Flask app in 2.x, a Quart one in 3.0)."""
    url = _setting(app, "NEWSBRIDGE_URL")
    if not url:
        logger.warning("NEWSBRIDGE_URL is not set: the newsbridge proxy is not available")
        return
    register_http_proxy(app, NewsbridgeProxy(
        endpoint_name="newsbridge.proxy",
        internal_url="newsbridge",
        external_url=url,
        http_methods=["OPTIONS", "GET", "POST"],
        api_key=_setting(app, "NEWSBRIDGE_API_KEY"),
    ))
