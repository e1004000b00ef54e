"""Request ids, errors logged once, hostile input and limits, through the app with real tiny models."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.http.clients import client_address
from service.settings import Settings
from translators.marian import MarianTranslator

PROBLEM = "application/problem+json"
TEXT_ENDPOINTS = ("/v1/translate", "/v1/summarize", "/v1/detect")
BATCH_ENDPOINTS = ("/v1/translate", "/v1/summarize")  # the ones that take `texts` (a constant: never empty)


def problem_of(r, status: int, kind: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"].endswith("/" + kind), body
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    r = client.post("/v1/translate", json={"text": "Dzień dobry."}, headers={"X-Request-ID": "cms-42"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "cms-42"
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32 and generated != client.get("/healthz").headers["x-request-id"]
    # an id with characters that do not belong in a log line is replaced
    r = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert "<" not in r.headers["x-request-id"]
    body = problem_of(client.post("/v1/translate", json={"text": ""}, headers={"X-Request-ID": "abc"}),
                      422, "empty_text")
    assert body["request_id"] == "abc"


@pytest.mark.parametrize("path", TEXT_ENDPOINTS)
def test_lone_surrogate_is_a_client_error(client: TestClient, path: str) -> None:
    raw = b'{"text": "Dzie\\ud800 dobry."}'  # valid JSON, but no UTF-8 can carry the result
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert "texts" not in problem_of(r, 422, "invalid_text")["detail"]


def test_lone_surrogate_in_a_batch_fails_that_text_only(client: TestClient) -> None:
    raw = b'{"texts": ["Dzie\\udfff.", "Dzie\\u0144 dobry."]}'
    r = client.post("/v1/translate", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["error"]["type"].endswith("/invalid_text") and "translation" in second


@pytest.mark.parametrize("path", TEXT_ENDPOINTS)
def test_invalid_utf8_and_deep_nesting_are_client_errors(client: TestClient, path: str) -> None:
    r = client.post(path, content=b'{"text": "Dzie\xc5 \xff dobry"}', headers={"content-type": "application/json"})
    problem_of(r, 400, "invalid_encoding")
    deep = b"[" * 100_000 + b"]" * 100_000
    problem_of(client.post(path, content=deep, headers={"content-type": "application/json"}),
               400, "too_deeply_nested")
    nested = {"text": "Dzień dobry.", "extra": json.loads("[" * 300 + "]" * 300)}
    problem_of(client.post(path, json=nested), 422, "invalid_request")


def test_body_limit_is_checked_while_reading(settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1000})
    with TestClient(create_app(small)) as c:
        big = json.dumps({"text": "a" * 5000}).encode()
        problem_of(c.post("/v1/translate", content=big, headers={"content-type": "application/json"}),
                   413, "body_too_large")

        def chunks():  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(50):
                yield b"a" * 100
            yield b'"}'

        r = c.post("/v1/translate", content=chunks(), headers={"content-type": "application/json"})
        problem_of(r, 413, "body_too_large")
        assert c.post("/v1/translate", json={"text": "Dzień dobry."}).status_code == 200


def test_unexpected_error_is_logged_once_without_the_text(settings: Settings, caplog) -> None:
    secret = "Tajny tekst redakcji " * 40

    class Broken(MarianTranslator):
        def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[override]
            raise RuntimeError(f"engine exploded on {texts[0]}")

    app = create_app(settings, engine_factory=lambda s: build_engines(s, backend=Broken(s.model_dir)))
    with TestClient(app) as c, caplog.at_level(logging.INFO):
        r = c.post("/v1/translate", json={"text": secret}, headers={"X-Request-ID": "req-500"})
        body = problem_of(r, 500, "internal_error")
        assert secret not in r.text and body["request_id"] == "req-500"
    records = [rec for rec in caplog.records if rec.getMessage() == "unexpected error"]
    assert len(records) == 1
    rec = records[0]
    assert rec.request_id == "req-500" and rec.error_type == "RuntimeError"
    assert "translate_batch" in rec.traceback  # the frames are there
    assert secret not in rec.traceback and len(rec.traceback) < 20_000
    assert not hasattr(rec, "headers") and rec.exc_info is None


def test_client_address_trusts_forwarded_for_only_from_trusted_proxies(settings: Settings) -> None:
    from starlette.requests import Request

    def request(peer: str, xff: str | None) -> Request:
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return Request({"type": "http", "client": (peer, 5000), "headers": headers})

    none = settings
    assert client_address(request("127.0.0.1", "203.0.113.9"), none) == "127.0.0.1"
    proxies = settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    assert client_address(request("127.0.0.1", "203.0.113.9"), proxies) == "203.0.113.9"
    assert client_address(request("127.0.0.1", "198.51.100.7, 203.0.113.9, 10.1.2.3"), proxies) == "203.0.113.9"
    assert client_address(request("127.0.0.1", "<script>"), proxies) == "127.0.0.1"
    assert client_address(request("192.0.2.1", "203.0.113.9"), proxies) == "192.0.2.1"  # peer not trusted
    anyone = settings.model_copy(update={"trusted_proxies": "*"})
    assert client_address(request("192.0.2.1", "[2001:db8::1]:443"), anyone) == "2001:db8::1"


def test_limits_on_every_text_endpoint(settings: Settings) -> None:
    tight = settings.model_copy(update={"max_chars": 200, "max_request_chars": 400, "max_batch_texts": 3,
                                        "max_html_depth": 5})
    with TestClient(create_app(tight)) as c:
        for path in TEXT_ENDPOINTS:
            problem_of(c.post(path, json={"text": "Zdanie. " * 30}), 413, "text_too_large")
            deep = "<div>" * 8 + "Zdanie." + "</div>" * 8
            problem_of(c.post(path, json={"text": deep, "format": "html"}), 413, "html_too_deep")
            ok = "<p>Zdanie.<p>Drugie.<ul><li>a<li>b</ul>"  # implicit ends do not count as nesting
            assert c.post(path, json={"text": ok, "format": "html"}).status_code == 200
        for path in BATCH_ENDPOINTS:
            problem_of(c.post(path, json={"texts": ["Zdanie."] * 4}), 413, "too_many_texts")
            problem_of(c.post(path, json={"texts": ["Zdanie. " * 19] * 3}),
                       413, "request_too_large")
            r = c.post(path, json={"texts": ["Dzień dobry.", "Zdanie. " * 30]})
            assert r.status_code == 200
            assert r.json()["results"][1]["error"]["type"].endswith("/text_too_large")


