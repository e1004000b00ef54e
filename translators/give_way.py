"""Interactive work first: bulk work gives way, at its checkpoints, while small requests run.

A one-sentence request and a 100 KB article in one server share one interpreter lock. The
article's Python work (segmentation, detection, protection, assembly, the model calls'
tokenization) takes the lock back every switch interval, so the short request gets about half
of it and takes twice its idle time or more; the express lane (``translators.coalesce``) keeps
it from waiting for the article's model batch, not from sharing the lock. Here the article
*pauses* while short requests run: at each checkpoint (``give_way()``, between sentences and
between model batches) a bulk caller whose gate has interactive work in flight waits, without
the lock, until that work is done, for at most ``max_pause`` seconds; then it runs for at least
``min_run`` seconds before it pauses again, so it keeps at least ``min_run / (min_run +
max_pause)`` of its time however many short requests come (half, by default). Pauses are
bounded, so nothing can wait for a paused caller for long (a medium request sharing its model
batch, a shutdown).

    gate = GiveWay()
    gate.begin(); ...; gate.end()          # around a small request (the event loop calls these)
    with bulk(gate):                       # around a large one, in its worker thread
        pipeline.translate(article)        # whose loops call give_way()

A checkpoint outside ``bulk`` (a small request, a CLI run) costs one context-variable read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["GiveWay", "bulk", "give_way", "giving_way"]

T = TypeVar("T")


@dataclass
class GiveWayStats:
    pauses: int = 0
    paused_s: float = 0.0


class GiveWay:
    """The gate one server's requests share. ``begin``/``end`` count the interactive work in
    flight; bulk work bound with ``bulk(gate)`` pauses for it at ``give_way()``."""

    def __init__(self, *, max_pause: float = 0.004, min_run: float = 0.004,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.max_pause = max_pause
        self.min_run = min_run
        self.clock = clock
        self.stats = GiveWayStats()
        self._active = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    @property
    def active(self) -> int:
        """Interactive requests in flight."""
        return self._active

    def begin(self) -> None:
        with self._lock:
            self._active += 1
            self._idle.clear()

    def end(self) -> None:
        with self._lock:
            self._active = max(0, self._active - 1)
            if self._active == 0:
                self._idle.set()

    @contextmanager
    def interactive(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        finally:
            self.end()

    def _pause(self) -> None:
        """Wait (lock-free for the interpreter) until no interactive work is in flight, at most
        ``max_pause``."""
        started = self.clock()
        self._idle.wait(self.max_pause)
        waited = self.clock() - started
        with self._lock:
            self.stats.pauses += 1
            self.stats.paused_s += waited


@dataclass(eq=False)
class _Turn:
    """One bulk caller's standing at its gate: when it last resumed."""

    gate: GiveWay
    resumed: float

    def checkpoint(self) -> None:
        gate = self.gate
        if not gate._active:
            return
        if gate.clock() - self.resumed < gate.min_run:
            return
        gate._pause()
        self.resumed = gate.clock()


_turn: ContextVar[_Turn | None] = ContextVar("newsbridge_bulk_turn", default=None)


@contextmanager
def bulk(gate: GiveWay | None) -> Iterator[None]:
    """Bind the block's work (in this thread, and in what copies its context) as bulk work of
    ``gate``: its checkpoints give way to the gate's interactive work. ``None``: no gate."""
    token = _turn.set(None if gate is None else _Turn(gate, resumed=gate.clock()))
    try:
        yield
    finally:
        _turn.reset(token)


def give_way() -> None:
    """A checkpoint: bulk work pauses here while interactive work runs (see the module)."""
    turn = _turn.get()
    if turn is not None:
        turn.checkpoint()


def giving_way(items: Iterable[T], every: int = 8) -> Iterator[T]:
    """``items``, with a checkpoint before every ``every``-th one (for loops and comprehensions)."""
    turn = _turn.get()
    if turn is None:
        yield from items
        return
    for i, item in enumerate(items):
        if i % every == 0:
            turn.checkpoint()
        yield item
