"""Issue 11: a failing cache database never slows requests down for long — a circuit breaker
skips it after a few failures or timeouts, ``/readyz`` says so, and it is tried again later.

Real databases where possible: a socket that accepts and never answers (a hanging PostgreSQL),
a port nobody listens on, and an SQLite file opened read-only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from service.storage import db
from service.storage.cache_store import SqlTranslationStore
from service.storage.circuit_breaker import CircuitBreaker, GuardedStore, StoreTimeout
from translators.cached import CachedTranslator, CacheEntry, MemoryStore, TranslationStore
from translators.testing import EchoTranslator


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    db.dispose_engines()


@pytest.fixture
def hanging_db() -> Iterator[str]:
    """A PostgreSQL URL whose server accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(conn)  # held open, never answered

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgresql+psycopg://u:pw@127.0.0.1:{server.getsockname()[1]}/x"
    stop.set()
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def unreachable_db() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now
    return f"postgresql+psycopg://u:pw@127.0.0.1:{port}/x"


class Counting:
    """A store that counts the calls reaching the real one behind it: a skipped store is one no
    call reaches, so none can wait for it."""

    def __init__(self, inner: TranslationStore) -> None:
        self.inner = inner
        self.calls = 0

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        self.calls += 1
        return self.inner.get_many(keys)

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        self.calls += 1
        self.inner.put_many(entries)

    def ping(self) -> bool:
        self.calls += 1
        return self.inner.ping()


def _count_calls(store: TranslationStore | None) -> Counting:
    assert isinstance(store, GuardedStore), store
    counting = Counting(store.inner)
    store.inner = counting
    return counting


def test_breaker_opens_after_repeated_failures_and_half_opens_later() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, reset_s=10, clock=lambda: now[0])
    assert breaker.allow() and breaker.state == "closed" and breaker.health().ok
    breaker.failure(RuntimeError("one"))
    assert breaker.allow()  # one failure is not a pattern
    breaker.failure(RuntimeError("two"))
    assert breaker.state == "open" and not breaker.allow()
    assert not breaker.health().ok and "two" in breaker.health().detail
    now[0] = 10.5
    assert breaker.state == "half-open"
    assert breaker.allow()  # one probe...
    assert not breaker.allow()  # ...at a time
    breaker.failure(RuntimeError("still down"))
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 21.0
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.allow() and breaker.health().ok


def test_hanging_database_costs_little_once_the_circuit_is_open(hanging_db: str) -> None:
    counting = Counting(SqlTranslationStore(hanging_db))
    store = GuardedStore(counting, timeout_s=0.2, failures=2, reset_s=60)
    inner = EchoTranslator()
    cached = CachedTranslator(inner, store)
    for i in range(2):
        cached.translate_batch([f"Zdanie {i}."], "pl", "en")
    assert counting.calls == 2  # each read hung until its time limit (no write after a failed read)
    assert "did not answer within 0.2 s" in store.breaker.last_error
    assert store.breaker.state == "open"
    for i in range(5):
        out = cached.translate_batch([f"Inne zdanie {i}."], "pl", "en")
        assert out[0].text == f"[en] Inne zdanie {i}." and not out[0].cached
    assert counting.calls == 2  # none of the later requests touched (so none waited for) the store
    assert len(inner.calls) == 7  # every request was translated, uncached
    assert not cached.health().ok and "circuit open" in cached.health().detail
    assert store.ping() is False and counting.calls == 2  # skipped while open: no wait either
    with pytest.raises(StoreTimeout):  # a direct call past the breaker would time out
        GuardedStore(SqlTranslationStore(hanging_db), timeout_s=0.1).get_many(["k"])


def test_half_open_retry_closes_the_circuit_when_the_store_answers_again() -> None:
    class Flaky(MemoryStore):
        down = True

        def get_many(self, keys):  # type: ignore[no-untyped-def]
            if self.down:
                raise ConnectionError("database is down")
            return super().get_many(keys)

    flaky = Flaky()
    now = [0.0]
    store = GuardedStore(flaky, timeout_s=1, breaker=CircuitBreaker(failures=1, reset_s=0.2, clock=lambda: now[0]))
    cached = CachedTranslator(EchoTranslator(), store)
    cached.translate_batch(["a"], "pl", "en")
    assert store.breaker.state == "open"
    flaky.down = False
    cached.translate_batch(["b"], "pl", "en")  # still skipped: no read, and the write is dropped
    assert flaky.entries == {}
    now[0] = 0.25  # the reset period is over
    cached.translate_batch(["c"], "pl", "en")  # the half-open probe succeeds
    assert store.breaker.state == "closed" and cached.health().ok
    assert cached.translate_batch(["c"], "pl", "en")[0].cached


def test_unreachable_database_through_the_api(unreachable_db: str, tmp_path: Path) -> None:
    settings = Settings(database_url=unreachable_db, cache_timeout=0.5, cache_breaker_failures=2,
                        cache_breaker_reset=60, coalesce=False)
    engines = build_engines(settings, backend=EchoTranslator())
    with TestClient(create_app(settings, engines=engines)) as c:
        counting = _count_calls(engines.store)
        ready = c.get("/readyz").json()
        for i in range(5):
            r = c.post("/v1/translate", json={"text": f"Premier zwołał posiedzenie rządu numer {i}."})
            assert r.status_code == 200, r.text
            assert r.json()["cached"]["hits"] == 0
    assert ready["status"] == "degraded" and "circuit open" in ready["cache"]
    assert counting.calls == 0  # the start found it down: no request (nor /readyz) waits for it
    assert ready["memory"].startswith("degraded: translation memory skipped")  # the same database
    assert any(w.startswith("memory_unavailable:") for w in r.json()["warnings"])  # said, not silent


def test_hanging_database_through_the_api(hanging_db: str) -> None:
    settings = Settings(database_url=hanging_db, cache_timeout=0.3, cache_breaker_failures=2,
                        cache_breaker_reset=60, coalesce=False)
    engines = build_engines(settings, backend=EchoTranslator())  # the start waits out one connect timeout
    with TestClient(create_app(settings, engines=engines)) as c:
        counting = _count_calls(engines.store)
        for i in range(4):
            r = c.post("/v1/translate", json={"text": f"Minister podpisał ustawę numer {i}.", "target_lang": "lt"})
            assert r.status_code == 200, r.text
        ready = c.get("/readyz").json()
    assert ready["status"] == "degraded" and "circuit open" in ready["cache"]
    assert counting.calls == 0  # pl->lt reads the cache per leg: a hanging read per leg and request before


def test_read_only_sqlite_is_served_uncached(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    db.upgrade(f"sqlite:///{path}")
    url = f"sqlite:///file:{path}?mode=ro&uri=true"  # a read-only file system, as SQLite sees it
    settings = Settings(database_url=url, cache_breaker_failures=2, coalesce=False)
    engines = build_engines(settings, backend=EchoTranslator())
    with TestClient(create_app(settings, engines=engines)) as c:
        for i in range(4):
            r = c.post("/v1/translate", json={"text": f"Rząd przyjął projekt numer {i}."})
            assert r.status_code == 200, r.text
            assert r.json()["translation"].startswith("[en] ")
        ready = c.get("/readyz").json()
    assert ready["status"] == "degraded", ready
    assert "readonly" in ready["cache"].replace("-", "").replace(" ", "").lower(), ready
