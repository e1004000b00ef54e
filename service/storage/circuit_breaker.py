"""A circuit breaker and a time limit around the cache store.

The cache is an optimisation, never a point of failure, and never a reason to wait: every
store call runs with a time limit, and after ``failures`` consecutive failures or timeouts
the store is skipped (reads find nothing, writes are dropped: requests are translated
uncached at full speed) for ``reset_s`` seconds. Then one call is let through (half-open):
if it succeeds the store is used again, otherwise it stays skipped for another period.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal, TypeVar

from translators.base import Health
from translators.cached import CacheEntry, TranslationStore

__all__ = ["CircuitBreaker", "GuardedStore", "StoreTimeout"]

log = logging.getLogger(__name__)
T = TypeVar("T")
State = Literal["closed", "open", "half-open"]


class StoreTimeout(TimeoutError):
    """A store call did not answer within its time limit."""


class CircuitBreaker:
    """Closed -> (``failures`` in a row) -> open -> (``reset_s``) -> half-open -> closed/open."""

    def __init__(self, failures: int = 3, reset_s: float = 30.0, *,
                 clock: Callable[[], float] = time.monotonic, name: str = "cache") -> None:
        self.name = name  # what it guards, for the log and /readyz ("cache", "translation memory")
        self.failures = max(1, failures)
        self.reset_s = reset_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._count = 0
        self._opened_at = 0.0
        self._probing = False
        self.last_error = ""

    @property
    def state(self) -> State:
        with self._lock:
            if self._state == "open" and self._clock() - self._opened_at >= self.reset_s:
                return "half-open"
            return self._state

    def allow(self) -> bool:
        """May a call go through now? In half-open state only one probe at a time does."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._clock() - self._opened_at < self.reset_s or self._probing:
                return False
            self._probing = True  # this caller is the probe
            return True

    def success(self) -> None:
        with self._lock:
            if self._state != "closed":
                log.info("%s store answers again; circuit closed", self.name)
            self._state, self._count, self._probing = "closed", 0, False

    def failure(self, error: BaseException) -> None:
        with self._lock:
            self.last_error = f"{type(error).__name__}: {error}".strip()
            self._count += 1
            reopen = self._probing or self._state == "open"
            self._probing = False
            if reopen or self._count >= self.failures:
                if self._state == "closed":
                    log.warning("%s store failing; circuit open, skipping it", self.name,
                                extra={"failures": self._count, "skip_s": self.reset_s, "error": self.last_error})
                self._state, self._opened_at = "open", self._clock()

    def trip(self, error: BaseException) -> None:
        """Open the circuit now (the store failed where it must not, e.g. on start)."""
        with self._lock:
            self._count = max(self._count + 1, self.failures)
        self.failure(error)

    def health(self) -> Health:
        state = self.state
        if state == "closed":
            return Health()
        return Health("degraded", f"{self.name} skipped (circuit {state}) after {self._count} failure(s): "
                                  f"{self.last_error}")


class GuardedStore:
    """A ``TranslationStore`` that bounds and, when it keeps failing, skips another one."""

    def __init__(self, inner: TranslationStore, *, timeout_s: float = 1.0, failures: int = 3,
                 reset_s: float = 30.0, breaker: CircuitBreaker | None = None) -> None:
        self.inner = inner
        self.timeout_s = timeout_s
        self.breaker = breaker or CircuitBreaker(failures, reset_s)
        # Calls stuck on a dead socket keep their thread until the driver gives up; a few
        # workers bound that, and an open circuit stops sending them new calls.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cache-store")

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        if not keys:
            return {}
        return self._call(lambda: self.inner.get_many(keys), skipped={})

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        if entries:
            self._call(lambda: self.inner.put_many(entries), skipped=None)

    def ping(self) -> bool:
        try:
            return bool(self._call(self.inner.ping, skipped=False, ok=bool))
        except Exception:
            return False

    def health(self) -> Health:
        return self.breaker.health()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _call(self, fn: Callable[[], T], *, skipped: T, ok: Callable[[T], bool] = lambda _: True) -> T:
        """Run ``fn`` within the time limit; ``skipped`` when the circuit is open. A failure
        or timeout is counted and raised (the caller logs it and serves uncached)."""
        if not self.breaker.allow():
            return skipped
        future = self._pool.submit(fn)
        try:
            result = future.result(timeout=self.timeout_s)
        except FutureTimeout:
            future.cancel()
            error = StoreTimeout(f"cache store did not answer within {self.timeout_s:g} s")
            self.breaker.failure(error)
            raise error from None
        except Exception as exc:
            self.breaker.failure(exc)
            raise
        if ok(result):
            self.breaker.success()
        else:
            self.breaker.failure(RuntimeError("ping failed"))
        return result
