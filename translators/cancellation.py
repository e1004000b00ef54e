"""Whose work is this? A cancellation token per request, carried in a context variable.

The HTTP layer (or any caller) binds a ``CancelToken`` around a request; the engines read it
where the work is queued or between model batches, so work nobody waits for any more (the
deadline passed, or the client went away) is dropped instead of computed:

    ticket = CancelToken("req-1", deadline=time.monotonic() + 30)
    with bind(ticket):
        pipeline.translate(...)      # the coalescer checks current_token.get() between model batches
    ...
    ticket.cancel()                  # from another thread: the client disconnected

Context variables follow ``contextvars.copy_context()``, so a ticket bound in an ``async``
handler reaches the worker thread that ``run_in_threadpool``/``asyncio.to_thread`` starts.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from translators.base import TranslatorError

__all__ = ["CancelToken", "WorkCancelled", "bind", "current_token"]

_ids = itertools.count(1)


class WorkCancelled(TranslatorError):
    """The work was dropped: ``type`` is ``deadline_exceeded`` (the ticket expired) or
    ``cancelled`` (the caller went away)."""

    def __init__(self, message: str, *, expired: bool) -> None:
        super().__init__(message)
        self.expired = expired
        self.type = "deadline_exceeded" if expired else "cancelled"


@dataclass(eq=False)
class CancelToken:
    """One HTTP request / one caller's work. ``deadline`` is in ``clock()`` seconds
    (``time.monotonic`` unless a test gives another clock)."""

    request_id: str = field(default_factory=lambda: f"work-{next(_ids)}")
    deadline: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    @classmethod
    def with_timeout(cls, request_id: str, timeout_s: float | None) -> CancelToken:
        return cls(request_id, None if timeout_s is None else time.monotonic() + timeout_s)

    def expired(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def cancel(self) -> None:
        self.cancelled.set()

    def dropped(self) -> bool:
        """Nobody waits for this work any more (cancelled or past its deadline)."""
        return self.cancelled.is_set() or self.expired()

    def remaining(self) -> float | None:
        """Seconds left before the deadline (``None``: no deadline); never negative."""
        return None if self.deadline is None else max(0.0, self.deadline - self.clock())

    def error(self) -> WorkCancelled:
        if self.cancelled.is_set():
            return WorkCancelled(f"request {self.request_id} was cancelled", expired=False)
        return WorkCancelled(f"request {self.request_id} ran past its deadline", expired=True)

    def check(self) -> None:
        """Raise ``WorkCancelled`` when the work was dropped."""
        if self.dropped():
            raise self.error()


current_token: ContextVar[CancelToken | None] = ContextVar("newsbridge_work_ticket", default=None)


@contextmanager
def bind(ticket: CancelToken | None) -> Iterator[CancelToken | None]:
    """Make ``ticket`` the current one for the block (``None`` unbinds)."""
    token = current_token.set(ticket)
    try:
        yield ticket
    finally:
        current_token.reset(token)

