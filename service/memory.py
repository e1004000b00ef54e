"""Keep the server's resident memory flat under load (glibc only; elsewhere a no-op).

Measured with ``benchmarks/bench_load.py``: the growth under concurrent load is the allocator,
not live objects. Each worker thread that allocates gets its own malloc arena (up to 8 per
core), and freed model-sized buffers stay in them; glibc's dynamic mmap threshold also climbs
after the first large frees, so later large tensors come from the heap and fragment it.

- ``tune_allocator()`` (at server start, before the worker threads exist): at most
  ``arenas`` arenas and a fixed mmap threshold, so large buffers go back to the system on free;
- ``Trimmer.maybe_trim()`` (after a request's work, at most every ``interval`` seconds):
  ``malloc_trim(0)`` returns the free pages at the top of every arena.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def tune_allocator(arenas: int = 2, mmap_threshold: int = 1 << 20) -> bool:
    """Returns whether glibc took the settings."""
    libc = _libc()
    if libc is None:
        return False
    ok = bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))
    log.debug("malloc tuned", extra={"arenas": arenas, "mmap_threshold": mmap_threshold, "ok": ok})
    return ok


class Trimmer:
    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self._libc = _libc()
        self._last = 0.0
        self._lock = threading.Lock()

    def maybe_trim(self) -> bool:
        if self._libc is None:
            return False
        now = time.monotonic()
        if now - self._last < self.interval or not self._lock.acquire(blocking=False):
            return False
        try:
            self._last = now
            self._libc.malloc_trim(0)
            return True
        finally:
            self._lock.release()
