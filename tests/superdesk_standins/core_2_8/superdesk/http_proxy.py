"""Stand-in for superdesk-core 2.8/2.9's ``superdesk.http_proxy`` on Flask (synchronous), written from its
documented behaviour (../../README.md)."""

from __future__ import annotations

import json
from typing import Any

import requests
from flask import Flask, Response, abort, current_app, make_response, request

from superdesk import __version__

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                        "transfer-encoding", "upgrade"})
# Superdesk's API error body (SuperdeskApiError.unauthorizedError() through the app's error handler)
UNAUTHORIZED = {"_status": "ERR", "_message": "", "_issues": {"auth": 1}, "internal_error": 401}


class HTTPProxy:
    def __init__(self, endpoint_name: str, internal_url: str, external_url: str,
                 http_methods: list[str] | None = None, auth: bool = True, use_cors: bool = True) -> None:
        self.endpoint_name = endpoint_name
        self.internal_url = internal_url.strip("/")
        self.external_url = external_url
        self.http_methods = http_methods or ["OPTIONS", "GET", "POST", "PATCH", "PUT", "DELETE"]
        self.auth = auth
        self.use_cors = use_cors
        self.session = requests.Session()

    def get_internal_url(self, app: Flask | None = None) -> str:
        return f"/{(app or current_app).config['URL_PREFIX'].lstrip('/')}/{self.internal_url}"

    def process_request(self, path: str) -> Response:
        self.authenticate()
        response = make_response() if request.method == "OPTIONS" else self.send_proxy_request()
        if self.use_cors:
            response.headers["Access-Control-Allow-Methods"] = ",".join(self.http_methods)
        return response

    def authenticate(self) -> None:
        if self.auth and request.headers.get("Authorization") != current_app.config["SESSION_TOKEN"]:
            abort(current_app.response_class(json.dumps(UNAUTHORIZED), 401, content_type="application/json"))

    def send_proxy_request(self) -> Response:
        result = self.session.request(**self.get_proxy_request_kwargs())
        return self.construct_response(result)

    def get_proxy_request_kwargs(self) -> dict[str, Any]:
        rest = request.full_path.replace(self.get_internal_url(), "")
        url = self.external_url if rest == "?" else self.external_url.rstrip("/") + "/" + rest.lstrip("/")
        headers = {k: v for k, v in request.headers if k.lower() not in ("host", "authorization", "cookie")}
        headers["User-Agent"] = f"Superdesk-{__version__}"
        return {"url": url, "method": request.method, "headers": headers, "data": request.get_data(),
                "allow_redirects": True, "stream": True, "timeout": current_app.config["HTTP_PROXY_TIMEOUT"]}

    def construct_response(self, result: requests.Response) -> Response:
        headers = [(k, v) for k, v in result.raw.headers.items() if k.lower() not in HOP_BY_HOP]
        return current_app.response_class(result.content, result.status_code, headers,
                                          content_type=result.headers.get("Content-Type"))


def register_http_proxy(app: Flask, proxy: HTTPProxy) -> None:
    internal_url = proxy.get_internal_url(app)
    app.add_url_rule(internal_url, proxy.endpoint_name, proxy.process_request, defaults={"path": ""},
                     methods=proxy.http_methods)
    app.add_url_rule(f"{internal_url}/<path:path>", proxy.endpoint_name, proxy.process_request,
                     methods=proxy.http_methods)
