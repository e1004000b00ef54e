"""integrations/superdesk/server/newsbridge_proxy.py inside a Superdesk server's proxy, both generations: the
stand-ins in tests/superdesk_standins (superdesk-core 2.8/2.9 on Flask, synchronous; 3.0 on Quart, coroutines) run
the module as Superdesk does (``init_app(app)`` from INSTALLED_APPS) and forward to a real ``newsbridge serve``
with API keys on. A real Superdesk (MongoDB, Elasticsearch, Redis) is not run here."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json as json_module
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from tests.servers import live_server

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "integrations" / "superdesk" / "server" / "newsbridge_proxy.py"
STANDINS = Path(__file__).resolve().parent / "superdesk_standins"
KEY = "superdesk-proxy-key-51c0"
SESSION = "superdesk-session-token"
BODY = {"text": "Premier zwołał posiedzenie rządu w sprawie granicy.", "source_lang": "auto", "target_lang": "en"}
SHAPES = ["core_2_8", "core_3_0"]


@pytest.fixture(scope="module")
def newsbridge(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(model_dir, tmp_path_factory.mktemp("sdproxy"), NEWSBRIDGE_API_KEYS=KEY) as base:
        yield base


@contextmanager
def superdesk_core(shape: str) -> Iterator[ModuleType]:
    """newsbridge_proxy imported against one stand-in ``superdesk`` package; sys.path and sys.modules restored."""

    def forget() -> None:
        for name in [m for m in sys.modules if m == "superdesk" or m.startswith("superdesk.")]:
            del sys.modules[name]

    forget()
    sys.path.insert(0, str(STANDINS / shape))
    try:
        spec = importlib.util.spec_from_file_location(f"newsbridge_proxy_{shape}", MODULE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(STANDINS / shape))
        forget()


class Forwarded:
    """What the proxy's requests.Session really sent to newsbridge (a response hook)."""

    def __init__(self) -> None:
        self.requests: list[requests.PreparedRequest] = []

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.requests.append(response.request)
        return response


def _app(shape: str, module: ModuleType, config: dict[str, Any]) -> Any:
    if shape == "core_2_8":
        from flask import Flask as App
    else:
        from quart import Quart as App
    app = App("superdesk-standin")
    app.config.update(URL_PREFIX="api", SESSION_TOKEN=SESSION, HTTP_PROXY_TIMEOUT=(5, 120), **config)
    module.init_app(app)  # what Superdesk does for each module in INSTALLED_APPS
    return app


def _call(shape: str, app: Any, method: str, path: str, headers: dict[str, str],
          json: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
    """(status, headers with lower-case names, JSON body or None) through the app's own test client."""
    if shape == "core_2_8":
        r = app.test_client().open(path, method=method, headers=headers, json=json)
        data = r.get_data()
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, json_module.loads(data) if data else None

    async def go() -> tuple[int, dict[str, str], Any]:
        r = await app.test_client().open(path, method=method, headers=headers, json=json)
        data = await r.get_data()
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, json_module.loads(data) if data else None

    return asyncio.run(go())


def _proxy(app: Any) -> Any:
    return app.view_functions["newsbridge.proxy"].__self__


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_translate_through_superdesks_proxy_with_the_key_as_x_api_key(shape: str, newsbridge: str) -> None:
    with superdesk_core(shape) as module:
        app = _app(shape, module, {"NEWSBRIDGE_URL": newsbridge, "NEWSBRIDGE_API_KEY": KEY})
        proxy = _proxy(app)
        assert isinstance(proxy, module.NewsbridgeProxy) and proxy.auth is True
        forwarded = Forwarded()
        proxy.session.hooks["response"].append(forwarded.hook)
        status, _headers, body = _call(shape, app, "POST", "/api/newsbridge/v1/translate",
                                       {"Authorization": SESSION, "Cookie": "session=abc"}, BODY)
        assert status == 200, body
        assert body["source_lang"] == "pl" and body["target_lang"] == "en" and body["translation"]
        assert len(forwarded.requests) == 1
        sent = forwarded.requests[0]
        assert sent.method == "POST" and sent.url is not None
        assert sent.url.startswith(f"{newsbridge}/v1/translate")
        assert sent.headers["X-API-Key"] == KEY
        assert "Authorization" not in sent.headers and "Cookie" not in sent.headers
        assert sent.headers["User-Agent"].startswith("Superdesk-")

        # GET with a query string; OPTIONS is answered by the proxy itself (after the same authentication)
        status, _headers, body = _call(shape, app, "GET", "/api/newsbridge/v1/languages?x=1",
                                       {"Authorization": SESSION})
        assert status == 200 and {lang["code"] for lang in body["languages"]} == {"pl", "lt", "en"}
        assert forwarded.requests[-1].url == f"{newsbridge}/v1/languages?x=1"
        status, headers, _body = _call(shape, app, "OPTIONS", "/api/newsbridge/v1/translate",
                                       {"Authorization": SESSION})
        assert status == 200 and "POST" in headers["access-control-allow-methods"]
        assert len(forwarded.requests) == 2


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_signed_in_users_only_and_newsbridges_refusal_passes_through(shape: str, newsbridge: str) -> None:
    with superdesk_core(shape) as module:
        app = _app(shape, module, {"NEWSBRIDGE_URL": newsbridge, "NEWSBRIDGE_API_KEY": KEY})
        forwarded = Forwarded()
        _proxy(app).session.hooks["response"].append(forwarded.hook)
        status, _headers, body = _call(shape, app, "POST", "/api/newsbridge/v1/translate", {}, BODY)
        assert status == 401 and forwarded.requests == [], "no Superdesk session, nothing forwarded"
        assert body["internal_error"] == 401  # Superdesk's error shape (the widget's transport reads it)

        keyless = _app(shape, module, {"NEWSBRIDGE_URL": newsbridge})
        status, headers, body = _call(shape, keyless, "POST", "/api/newsbridge/v1/translate",
                                      {"Authorization": SESSION}, BODY)
        assert status == 401, "without NEWSBRIDGE_API_KEY the Superdesk session token is not a newsbridge key"
        assert headers["content-type"].startswith("application/problem+json")
        assert body["type"].endswith("/unauthorized")


@pytest.mark.parametrize("shape", SHAPES)
def test_without_newsbridge_url_no_proxy_and_a_warning(shape: str, caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBRIDGE_URL", raising=False)
    with superdesk_core(shape) as module, caplog.at_level(logging.WARNING):
        app = _app(shape, module, {})
        assert "newsbridge.proxy" not in app.view_functions
    assert "NEWSBRIDGE_URL is not set" in caplog.text


@pytest.mark.parametrize("shape", SHAPES)
def test_the_override_answers_in_kind(shape: str) -> None:
    """2.8: a dict, as the synchronous caller uses it; 3.0: an awaitable, as the coroutine caller awaits it.
    (The synchronous override in a 3.0 server failed with "'coroutine' object is not subscriptable".)"""
    with superdesk_core(shape) as module:
        app = _app(shape, module, {"NEWSBRIDGE_URL": "http://newsbridge.invalid", "NEWSBRIDGE_API_KEY": KEY})
        proxy = _proxy(app)
        if shape == "core_2_8":
            with app.test_request_context("/api/newsbridge/v1/translate", method="POST",
                                          headers={"Authorization": SESSION}):
                kwargs = proxy.get_proxy_request_kwargs()
            assert isinstance(kwargs, dict)
        else:
            async def go() -> dict[str, Any]:
                async with app.test_request_context("/api/newsbridge/v1/translate", method="POST",
                                                    headers={"Authorization": SESSION}):
                    pending = proxy.get_proxy_request_kwargs()
                    assert not isinstance(pending, dict)
                    return await pending

            kwargs = asyncio.run(go())
        assert kwargs["headers"]["X-API-Key"] == KEY and "Authorization" not in kwargs["headers"]
        assert kwargs["url"].startswith("http://newsbridge.invalid/v1/translate")


def test_the_module_parses_as_python_3_8() -> None:
    """superdesk-core 2.8 runs on Python 3.8; newer syntax would fail at import there."""
    ast.parse(MODULE.read_text(encoding="utf-8"), feature_version=(3, 8))
