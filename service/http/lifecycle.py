"""Graceful shutdown with a deadline (``NEWSBRIDGE_SHUTDOWN_GRACE``, default 25 s).

On SIGTERM/SIGINT (chained in front of the server's own handler, which stops accepting and waits
for connections) the app starts draining:

- new model work is refused at once (503 ``shutting_down``, ``Connection: close``);
- requests in flight go on until ``respond_by`` (80% of the grace), then answer 503
  ``shutting_down`` and their tickets are cancelled, so queued model work is dropped and a
  running translation stops at its next batch;
- uvicorn's ``timeout_graceful_shutdown`` (``server_grace``, 90%) cancels whatever is left;
- a watchdog ends the process at 95% of the grace if anything still holds it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)


def respond_by(grace: float) -> float:
    return grace * 0.8


def server_grace(grace: float) -> float:
    """What ``newsbridge serve`` gives uvicorn as ``timeout_graceful_shutdown``."""
    return grace * 0.9


class Lifecycle:
    def __init__(self, grace: float, on_expire: Callable[[], None]) -> None:
        self.grace = grace
        self.on_expire = on_expire
        self.draining = False
        self.started: float | None = None
        self.expired = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._restore: list[tuple[int, Any]] = []

    # -- start / stop ------------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Hook SIGTERM/SIGINT in front of the server's handlers (main thread only: a test
        client runs the app in another thread and calls ``begin`` itself)."""
        self._loop = loop
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)

            def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
                self.begin()
                if callable(previous):
                    previous(signum, frame)
                elif previous == signal.SIG_DFL:
                    signal.signal(signum, signal.SIG_DFL)
                    signal.raise_signal(signum)

            signal.signal(sig, handler)
            self._restore.append((sig, previous))

    def detach(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig, previous in self._restore:
                signal.signal(sig, previous)
        self._restore.clear()

    def begin(self) -> None:
        """Start draining (idempotent; safe from a signal handler or any thread)."""
        if self.draining:
            return
        self.draining = True
        self.started = time.monotonic()
        log.info("shutting down", extra={"grace_s": self.grace, "respond_by_s": respond_by(self.grace)})
        if self._restore:  # a real server process (signals hooked): nothing may hold it past the grace
            watchdog = threading.Timer(self.grace * 0.95, self._hard_exit)
            watchdog.daemon = True
            watchdog.start()
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._schedule_expiry)

    def _schedule_expiry(self) -> None:
        assert self._loop is not None
        self._loop.call_later(respond_by(self.grace), self._expire)

    def _expire(self) -> None:
        log.warning("shutdown grace: answering the requests still in flight with 503")
        self.expired.set()
        self.on_expire()

    def _hard_exit(self) -> None:  # pragma: no cover - ends the process
        log.error("shutdown grace exceeded; exiting now", extra={"grace_s": self.grace})
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(1)
