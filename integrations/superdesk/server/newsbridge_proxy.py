"""Superdesk server module: /api/newsbridge/* is proxied to NEWSBRIDGE_URL.

Add ``"newsbridge_proxy"`` to ``INSTALLED_APPS`` in the Superdesk server's settings.py (with this
file on the server's Python path) and set, in settings.py or the environment:

    NEWSBRIDGE_URL = "http://newsbridge.internal:8000"   # where newsbridge listens
    NEWSBRIDGE_API_KEY = "..."                           # optional: one of newsbridge's API keys

Superdesk's HTTPProxy forwards every request header except Host, Authorization and Cookie
(Authorization carries the Superdesk session), so newsbridge's key cannot travel as a bearer token:
this proxy adds it as ``X-API-Key``, and the key never reaches the browser. Without a key, keep
newsbridge on the private network. Only signed-in Superdesk users can use the proxy (``auth=True``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask
from superdesk.http_proxy import HTTPProxy, register_http_proxy

logger = logging.getLogger(__name__)


class NewsbridgeProxy(HTTPProxy):
    """Superdesk's HTTPProxy, plus newsbridge's API key as X-API-Key."""

    def __init__(self, *args: Any, api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_key = api_key

    def get_proxy_request_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_proxy_request_kwargs()
        if self.api_key:
            kwargs["headers"]["X-API-Key"] = self.api_key
        return kwargs


def init_app(app: Flask) -> None:
    url = app.config.get("NEWSBRIDGE_URL") or os.environ.get("NEWSBRIDGE_URL")
    if not url:
        logger.warning("NEWSBRIDGE_URL is not set: the newsbridge proxy is not available")
        return
    register_http_proxy(app, NewsbridgeProxy(
        endpoint_name="newsbridge.proxy",
        internal_url="newsbridge",
        external_url=url,
        http_methods=["OPTIONS", "GET", "POST"],
        api_key=app.config.get("NEWSBRIDGE_API_KEY") or os.environ.get("NEWSBRIDGE_API_KEY"),
    ))
