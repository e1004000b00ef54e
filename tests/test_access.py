"""API keys, quotas, rate limits, trusted proxies, CORS: over HTTP and on the SQL counters."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection

from service.http.app import create_app
from service.http.clients import client_address
from service.http.state import state_of
from service.settings import Settings
from service.storage import db
from service.storage.key_store import KeyStore

TEXT = "Nikt nie został ranny."  # 22 characters


def _settings(tmp_path: Path, model_dir: Path, **kw: object) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, coalesce=False, **kw)


MINUTE_START = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC, the first second of a calendar minute


def _same_minute(c: TestClient) -> None:
    """Rate windows are calendar minutes: the app's access policy sees a clock that stays in one."""
    state_of(c.app).ready().access.clock = lambda: MINUTE_START


def test_spoofed_forwarded_for_does_not_escape_the_rate_limit(tmp_path: Path, model_dir: Path) -> None:
    settings = _settings(tmp_path, model_dir, rate_limit_per_minute=2)
    with TestClient(create_app(settings), client=("203.0.113.7", 40000)) as c:
        _same_minute(c)
        codes = [c.post("/detect", data={"q": TEXT}, headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                 for i in range(3)]
        assert codes == [200, 200, 429]
        r = c.post("/v1/translate", json={"text": TEXT}, headers={"X-Forwarded-For": "192.0.2.99"})
        assert r.status_code == 429 and r.json()["type"].endswith("/rate_limited")
        assert r.json()["request_id"] == r.headers["x-request-id"]  # as every problem body
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        r = c.post("/v2/translate", json={"text": [TEXT], "target_lang": "EN-GB"},
                   headers={"X-Forwarded-For": "192.0.2.100"})
        assert r.status_code == 429 and "message" in r.json()
        state_of(c.app).ready().access.clock = lambda: MINUTE_START + 60  # the next minute: a new window
        assert c.post("/detect", data={"q": TEXT}, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200


def test_forwarded_for_counts_from_a_trusted_proxy(tmp_path: Path, model_dir: Path) -> None:
    settings = _settings(tmp_path, model_dir, rate_limit_per_minute=1, trusted_proxies="10.0.0.0/8")
    with TestClient(create_app(settings), client=("10.1.2.3", 40000)) as c:
        _same_minute(c)
        # each client behind the proxy has its own budget; a spoofed left-most hop changes nothing
        assert c.post("/detect", data={"q": TEXT}, headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.1"}).status_code \
            == 200
        assert c.post("/detect", data={"q": TEXT}, headers={"X-Forwarded-For": "7.7.7.7, 198.51.100.1"}).status_code \
            == 429
        assert c.post("/detect", data={"q": TEXT}, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_client_address_rules() -> None:
    def conn(peer: str, xff: str | None) -> HTTPConnection:
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return HTTPConnection({"type": "http", "client": (peer, 1), "headers": headers})

    trusting = Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8")
    assert client_address(conn("203.0.113.9", "1.2.3.4"), trusting) == "203.0.113.9"  # not a proxy: ignored
    assert client_address(conn("127.0.0.1", "1.2.3.4, 10.0.0.7"), trusting) == "1.2.3.4"
    assert client_address(conn("127.0.0.1", None), trusting) == "127.0.0.1"
    assert client_address(conn("127.0.0.1", "1.2.3.4"), Settings()) == "127.0.0.1"  # nothing trusted


def test_native_quota_429_with_retry_after_and_refund(tmp_path: Path, model_dir: Path) -> None:
    settings = _settings(tmp_path, model_dir, api_keys=["k1"], api_keys_chars_per_month=30)
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/translate", json={"text": TEXT}, headers={"X-Request-ID": "cms-401"})
        assert r.status_code == 401 and r.json()["type"].endswith("/unauthorized")
        assert r.json()["request_id"] == "cms-401"
        assert c.post("/v1/translate", json={"text": TEXT}, headers={"X-API-Key": "k2"}).status_code == 401
        auth = {"X-API-Key": "k1"}
        blank = c.post("/v1/translate", json={"text": " " * 10}, headers=auth)
        assert blank.status_code == 422  # fails, and its 10 characters are given back (10 + 22 > 30):
        assert c.post("/v1/translate", json={"text": TEXT}, headers=auth).status_code == 200
        r = c.post("/v1/translate", json={"texts": [TEXT]}, headers=auth)
        assert r.status_code == 429 and r.json()["type"].endswith("/quota_exceeded")
        assert r.json()["request_id"] == r.headers["x-request-id"]
        assert int(r.headers["Retry-After"]) > 0
        usage = c.get("/v2/usage", headers={"Authorization": "DeepL-Auth-Key k1"}).json()
        assert usage == {"character_count": len(TEXT), "character_limit": 30}
        lt = c.post("/translate", json={"q": TEXT, "source": "pl", "target": "en", "api_key": "k1"})
        assert lt.status_code == 403 and "Quota" in lt.json()["error"]
        dl = c.post("/v2/translate", data={"text": TEXT, "target_lang": "EN-GB", "auth_key": "k1"})
        assert dl.status_code == 456


def test_stored_keys_and_revocation(tmp_path: Path, model_dir: Path) -> None:
    settings = _settings(tmp_path, model_dir)
    with TestClient(create_app(settings)) as c:
        assert c.post("/v1/translate", json={"text": TEXT}).status_code == 200  # open: no key anywhere
        store = KeyStore(db.get_engine(settings.database_url))
        _, key = store.create("desk", requests_per_minute=100)
        state_of(c.app).ready().access._stored_keys = (0.0, False)  # as after KEYS_RECHECK_S
        assert c.post("/v1/translate", json={"text": TEXT}).status_code == 401
        assert c.post("/v1/translate", json={"text": TEXT}, headers={"Authorization": f"Bearer {key}"}).status_code \
            == 200
        assert store.revoke("desk") and not store.revoke("desk")
        assert c.post("/v1/translate", json={"text": TEXT}, headers={"X-API-Key": key}).status_code == 401
        assert store.list() == []


def test_cors_origins(tmp_path: Path, model_dir: Path) -> None:
    settings = _settings(tmp_path, model_dir, cors_origins=["https://cms.example"])
    with TestClient(create_app(settings)) as c:
        r = c.options("/v1/translate", headers={"Origin": "https://cms.example",
                                                "Access-Control-Request-Method": "POST",
                                                "Access-Control-Request-Headers": "x-api-key,content-type"})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://cms.example"
        r = c.options("/v1/translate", headers={"Origin": "https://evil.example",
                                                "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in r.headers


def test_counters_are_atomic_across_connections(url: str) -> None:
    db.upgrade(url)
    store = KeyStore(db.get_engine(url))
    with ThreadPoolExecutor(8) as pool:
        admitted = list(pool.map(lambda _: store.charge("key:a", "2026-11", 7, 700), range(120)))
        list(pool.map(lambda _: store.hit("key:a", 1000), range(40)))
    assert admitted.count(True) == 100  # exactly the quota, never more
    assert store.usage("key:a", "2026-11") == (700, 100)
    assert store.hit("key:a", 1000) == 41


def test_open_api_usage_is_counted_in_memory_and_written_in_few_transactions(tmp_path: Path,
                                                                             model_dir: Path) -> None:
    from sqlalchemy import event

    from service.http.access import month

    settings = _settings(tmp_path, model_dir)
    engine = db.get_engine(settings.database_url)
    writes: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE API_USAGE"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with TestClient(create_app(settings), client=("198.51.100.9", 40000)) as c:
            codes = [c.post("/v1/detect", json={"text": TEXT}).status_code for _ in range(30)]
            assert c.post("/v1/translate", json={"text": " " * 10}).status_code == 422  # refunded
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert codes == [200] * 30
    # 31 requests, 2 writes each before (charge + refund of the failed one): now a few batches
    assert 1 <= len(writes) <= 5, len(writes)
    store = KeyStore(engine)
    assert store.usage("addr:198.51.100.9", month()[0]) == (30 * len(TEXT), 31)


def test_usage_tally_keeps_what_it_could_not_write(tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    from service.http.access import UsageTally

    url = f"sqlite:///{tmp_path / 'u.db'}"
    db.upgrade(url)
    store = KeyStore(db.get_engine(url))
    tally = UsageTally(store, interval=3600)
    tally.add("addr:a", "2026-11", 10)
    tally.add("addr:a", "2026-11", -4, requests=0)  # a refund
    real = store.add_usage

    def down(_: object) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    store.add_usage = down  # type: ignore[method-assign]
    tally.flush()  # fails: nothing is lost
    assert store.usage("addr:a", "2026-11") == (0, 0)
    store.add_usage = real  # type: ignore[method-assign]
    tally.add("addr:a", "2026-11", 5)
    assert store.usage("addr:a", "2026-11") == (0, 0)  # not due yet: counted in memory
    tally.flush()
    assert store.usage("addr:a", "2026-11") == (11, 2)
