"""Model work of a request: admitted against a budget, bounded by a deadline, dropped when nobody
waits for it.

``await WorkRunner.run(request, chars, fn)`` is the one way an endpoint runs blocking work:

- **admission**: the characters (and requests) of admitted work still in the server are bounded
  (``NEWSBRIDGE_MAX_QUEUE_CHARS``, ``NEWSBRIDGE_MAX_QUEUE_REQUESTS``); beyond that the request is
  answered at once with 503 ``overloaded`` and a ``Retry-After`` estimated from the recent
  throughput. A single request larger than the budget is admitted when nothing else is queued.
- **deadline**: after ``NEWSBRIDGE_REQUEST_TIMEOUT`` seconds the request answers 504
  ``deadline_exceeded``; its ticket is cancelled, so the coalescer drops its queued texts and a
  running translation stops at its next batch.
- **disconnect**: a client that goes away cancels the ticket the same way.
- **shutdown**: see ``service.http.lifecycle``.

``fn`` runs in a worker thread with the ticket bound (``translators.cancellation.bind``) and a copy of
the request's context variables (the request id for logs). The budget is released when the
thread really finishes, not when the answer leaves: abandoned work still occupies the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request

from service.errors import ClientClosed, DeadlineExceeded, Overloaded, ShuttingDown
from service.http.lifecycle import Lifecycle
from service.memory import Trimmer
from translators.cancellation import CancelToken, bind
from translators.give_way import GiveWay, bulk

T = TypeVar("T")


class Admission:
    """The budget of model work in the server; thread-safe. Holds the live tickets too, so a
    shutdown can cancel them all."""

    def __init__(self, max_chars: int, max_requests: int) -> None:
        self.max_chars = max_chars
        self.max_requests = max_requests
        self.chars = 0
        self.requests = 0
        self._rate = 0.0  # characters per second, moving average of finished work
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)  # background work waits on it for room
        self._tickets: dict[int, CancelToken] = {}

    def admit(self, chars: int, ticket: CancelToken) -> None:
        with self._lock:
            self._check(chars)
            self.chars += chars
            self.requests += 1
            self._tickets[id(ticket)] = ticket

    def release(self, chars: int, ticket: CancelToken, seconds: float) -> None:
        with self._lock:
            self.chars -= chars
            self.requests -= 1
            self._tickets.pop(id(ticket), None)
            if seconds > 0 and chars > 0 and not ticket.cancelled.is_set():
                rate = chars / seconds
                self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate
            self._released.notify_all()

    def admit_background(self, chars: int, ticket: CancelToken, share: float, wait_s: float) -> bool:
        """Admit background work (a job's chunk) only while it leaves requests their room: all
        admitted work stays within ``share`` of the character budget with a request slot to spare
        (or nothing else is in the server). Waits up to ``wait_s`` for room; False if none came."""
        with self._released:
            if not self._background_fits(chars, share):
                self._released.wait(wait_s)
                if not self._background_fits(chars, share):
                    return False
            self.chars += chars
            self.requests += 1
            self._tickets[id(ticket)] = ticket
            return True

    def _background_fits(self, chars: int, share: float) -> bool:
        """(Holding the lock.)"""
        fits = self.chars + chars <= self.max_chars * share and self.requests < self.max_requests - 1
        return fits or self.requests == 0

    def refuse_if_over(self, chars: int) -> None:
        """Raise ``Overloaded`` when ``admit(chars)`` would now (reserving nothing: see ``shed``)."""
        with self._lock:
            self._check(chars)

    def _check(self, chars: int) -> None:
        """(Holding the lock) raise ``Overloaded`` unless ``chars`` more fit, or nothing is queued."""
        fits = self.chars + chars <= self.max_chars and self.requests < self.max_requests
        if not fits and self.requests > 0:
            raise Overloaded(f"the server has {self.chars} characters of work queued (limit {self.max_chars}); "
                             "retry later", headers={"Retry-After": str(self._retry_after())})

    def cancel_all(self) -> int:
        with self._lock:
            tickets = list(self._tickets.values())
        for t in tickets:
            t.cancelled.set()
        return len(tickets)

    def _retry_after(self) -> int:
        """Seconds until the queue has drained, from the recent throughput (1 to 60)."""
        if self._rate <= 0:
            return 5
        return max(1, min(60, math.ceil(self.chars / self._rate)))


def lower_priority(nice: int) -> None:
    """Run the calling thread (and the threads it starts: a model's thread pool) ``nice`` levels
    below the event loop. On Linux a thread has its own nice value; raising it needs no privilege.
    With the cores busy decoding, the event loop then still gets a core at once: /healthz, the
    metrics and 503 refusals do not wait behind the models."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))


class WorkRunner:
    """Per app: the admission budget, the worker threads (``nice`` levels below the event
    loop), the request timeout, and the lifecycle whose shutdown refuses and ends the work."""

    def __init__(self, admission: Admission, lifecycle: Lifecycle, threads: int, timeout: float,
                 nice: int = 0, interactive_chars: int = 0, gate: GiveWay | None = None) -> None:
        self.admission = admission
        self.lifecycle = lifecycle
        self.timeout = timeout
        # requests of up to interactive_chars run first: larger ones give way to them (0: off)
        self.interactive_chars = interactive_chars
        self.gate = gate if gate is not None else GiveWay()
        self.trimmer = Trimmer()
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="newsbridge-work",
                                           initializer=lower_priority, initargs=(nice,))

    @property
    def bulk_gate(self) -> GiveWay | None:
        """The gate larger work gives way at (``translators.give_way.bulk``); None when off."""
        return self.gate if self.interactive_chars else None

    def close(self) -> None:
        self.admission.cancel_all()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def shed(self, path: str, chars: int) -> Overloaded | None:
        """The refusal ``run`` would give a native model-work request of ``chars`` characters
        now, found as soon as its body is read: before it is parsed again, validated or charged
        to a key (``service.http.access_gate`` asks). Under a burst each refusal then costs the
        event loop a fraction of the full path, and ``/healthz`` does not wait behind them.
        ``run`` still decides for the requests that pass (the budget may fill in between)."""
        if path not in SHED_PATHS:
            return None
        try:
            self.admission.refuse_if_over(chars)
        except Overloaded as exc:
            return exc
        return None

    async def run(self, request: Request, chars: int, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a worker thread once admitted; see the module's docstring."""
        if self.lifecycle.draining:
            raise ShuttingDown("the server is shutting down; retry on another instance",
                               headers={"Retry-After": "1", "Connection": "close"})
        request_id = getattr(request.state, "request_id", None) or ""
        started = time.monotonic()
        ticket = CancelToken(request_id=request_id, deadline=started + self.timeout, cancelled=threading.Event())
        self.admission.admit(chars, ticket)
        interactive = self.interactive_chars > 0 and chars <= self.interactive_chars
        gate = None if interactive else self.bulk_gate

        def call() -> T:
            began = time.monotonic()
            try:
                with bind(ticket), bulk(gate):
                    return fn()
            finally:
                self.admission.release(chars, ticket, time.monotonic() - began)
                self.trimmer.maybe_trim()

        # an interactive request counts until its answer is ready: bulk work pauses meanwhile
        with self.gate.interactive() if interactive else contextlib.nullcontext():
            loop = asyncio.get_running_loop()
            try:
                future = loop.run_in_executor(self.executor, contextvars.copy_context().run, call)
            except RuntimeError:  # the executor is shut down
                self.admission.release(chars, ticket, 0.0)
                raise ShuttingDown("the server is shutting down", headers={"Retry-After": "1"}) from None
            return await self._await(request, future, ticket, self.timeout - (time.monotonic() - started))

    async def _await(self, request: Request, future: asyncio.Future[T], ticket: CancelToken, timeout: float) -> T:
        """The work's result, or the error of what came first: a disconnect, the shutdown grace,
        the deadline (each cancels the ticket: queued work is dropped, running work stops)."""
        gone = asyncio.ensure_future(_disconnected(request))
        expired = asyncio.ensure_future(self.lifecycle.expired.wait())
        try:
            done, _ = await asyncio.wait({future, gone, expired}, timeout=timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # the server cancelled the request task
            ticket.cancelled.set()
            raise
        finally:
            gone.cancel()
            expired.cancel()
        if future in done:
            return future.result()
        ticket.cancelled.set()
        future.add_done_callback(_consume)
        if gone in done:
            raise ClientClosed("the client closed the connection")
        if expired in done:
            raise ShuttingDown("the server is shutting down; retry on another instance",
                               headers={"Retry-After": "1", "Connection": "close"})
        raise DeadlineExceeded(f"the request took longer than {self.timeout:g} s; its remaining work was dropped")


SHED_PATHS = frozenset({"/v1/translate", "/v1/summarize", "/v1/detect"})


async def _disconnected(request: Request) -> None:
    """Returns when the client disconnects (the body has been read already)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _consume(future: asyncio.Future) -> None:  # type: ignore[type-arg]
    """Retrieve the abandoned work's outcome so asyncio never warns about it."""
    if not future.cancelled():
        future.exception()
