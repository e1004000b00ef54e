"""Batching across requests: concurrent ``translate_batch`` calls share model calls, fairly.

Leader/follower: a caller that finds its pair idle becomes the leader and runs the model on a
batch taken from everything queued (waiting up to ``wait_ms`` for company when traffic is
bursty). Callers arriving while a model call runs queue up; when it returns, a waiting caller
leads the next batch. No dispatcher thread, no wait for a lone caller, and each caller gets
its own results (or its own exception) back.

Fair: a batch holds at most ``max_texts`` texts and ``max_chars`` characters, shared between
callers (grouped by their ``CancelToken``) shortest-remaining first, each getting at least an
equal share per round. A long article is translated in chunks, and a one-sentence request
that arrives meanwhile waits for at most the chunk in flight, not for the whole article.

Express lane (``express_slots``): a model batch in flight cannot be cut short, so a one-sentence
request that arrives while an article's batch runs would wait for all of it. When the engine runs
independent calls in parallel (CTranslate2 with ``inter_threads`` >= 2), up to ``express_slots``
more calls per pair are kept for small requests (at most ``express_texts`` texts): such a
request leads a batch of small requests' texts at once, beside the running one, instead of waiting.
The article keeps its one lane, so its throughput is what it was.

Abandoned work is dropped: texts whose caller's ticket was cancelled or ran past its deadline
leave the queue before any model call, and that caller gets ``WorkCancelled``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

from translators.base import EngineInfo, Lang, ModelIdentity, Translation, Translator
from translators.cancellation import CancelToken, WorkCancelled, bind, current_token
from translators.give_way import give_way
from translators.threads import ThreadPlan, configure_threads, thread_plan

__all__ = ["CoalesceStats", "CoalescingTranslator", "ThreadPlan", "configure_threads", "thread_plan"]

log = logging.getLogger(__name__)

_POLL_S = 0.05  # how often a waiting caller with a ticket looks whether it was cancelled


@dataclass(eq=False)
class _Request:
    texts: Sequence[str]
    ticket: CancelToken | None
    alignment: bool = False  # the caller asked for word links
    results: list[Translation | None] = field(default_factory=list)
    taken: int = 0  # texts[:taken] were handed to a model call (in order)
    filled: int = 0  # results received
    done: bool = False
    error: BaseException | None = None

    @property
    def group(self) -> object:
        """Requests of one ticket (one HTTP request) share their fair share."""
        return self.ticket if self.ticket is not None else self

    def finish(self, error: BaseException | None = None) -> None:
        self.error, self.done = error, True


_Item = tuple[_Request, int]  # (request, index of one of its texts)


@dataclass
class CoalesceStats:
    """What reached the inner engine (tests and metrics read these; updated under a lock)."""

    model_calls: int = 0
    texts_sent: int = 0
    requests_dropped: int = 0
    texts_dropped: int = 0
    lingered: int = 0  # batches whose leader waited for company (bursty traffic), never a lone caller
    express_calls: int = 0  # model calls of small requests run beside a running batch


@dataclass(eq=False)
class _PairQueue:
    cond: threading.Condition = field(default_factory=threading.Condition)
    pending: list[_Request] = field(default_factory=list)  # requests with texts not yet taken
    busy: bool = False  # a leader is collecting or running a batch
    express: int = 0  # express batches (small requests only) running beside it
    lingering: bool = False
    in_flight: int = 0  # callers inside translate_batch for this pair
    last_overlap: float = float("-inf")  # when two callers were last in flight at once


class _BatchToken(CancelToken):
    """The ticket a shared model call runs under: dropped only when every caller's is."""

    def __init__(self, tickets: Sequence[CancelToken | None]) -> None:
        super().__init__("batch")
        self.tickets = list(tickets)

    def dropped(self) -> bool:
        return bool(self.tickets) and all(t is not None and t.dropped() for t in self.tickets)

    def error(self) -> WorkCancelled:
        expired = all(t is not None and t.expired() for t in self.tickets)
        return WorkCancelled("every request in the batch was dropped", expired=expired)


class CoalescingTranslator:
    """Wraps any ``Translator``; thread-safe. ``max_chars`` stands in for a token bound
    (the wrapper has no tokenizer); the inner translator still batches by tokens itself."""

    def __init__(self, inner: Translator, *, wait_ms: float = 5.0, max_texts: int = 64,
                 max_chars: int = 16_000, clock: Callable[[], float] = time.monotonic,
                 express_slots: int = 0, express_texts: int = 4) -> None:
        self.inner = inner
        self.express_slots = max(0, express_slots)
        self.express_texts = max(1, express_texts)
        self.clock = clock  # seconds, monotonic: when callers overlapped, how long a leader lingers
        self.wait_s = max(0.0, wait_ms) / 1000.0
        self.max_texts = max(1, max_texts)
        self.max_chars = max(1, max_chars)
        self.stats = CoalesceStats()
        self._stats_lock = threading.Lock()
        self._queues: dict[tuple[str, str], _PairQueue] = {}
        self._queues_lock = threading.Lock()

    # -- Translator protocol -------------------------------------------------------------
    def supports(self, source: Lang, target: Lang) -> bool:
        return self.inner.supports(source, target)

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return self.inner.identity(source, target)

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        legs = (self.identity(source, target),) if source is not None and target is not None else ()
        return EngineInfo("coalescing", self.inner.describe(), legs)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        """A shared model call asks for word links when any of its callers does (links never
        change a translation); a caller that did not ask gets none."""
        if not texts:
            return []
        ticket = current_token.get()  # captured in the caller's thread
        if ticket is not None and ticket.dropped():
            self._count(requests_dropped=1, texts_dropped=len(texts))
            raise ticket.error()
        q = self._queue(source, target)
        req = _Request(list(texts), ticket, alignment, [None] * len(texts))
        with q.cond:
            now = self.clock()
            # Idle pair, but callers overlapped a moment ago: more are likely on their way.
            linger = not q.busy and not q.pending and now - q.last_overlap < self.wait_s
            q.in_flight += 1
            if q.in_flight > 1:
                q.last_overlap = now
            q.pending.append(req)
            if q.lingering:
                q.cond.notify_all()
            try:
                self._serve(q, req, linger, source, target)
            finally:
                q.in_flight -= 1
        if req.error is not None:
            raise req.error
        return [r for r in req.results if r is not None]

    # -- scheduling ------------------------------------------------------------------------
    def _serve(self, q: _PairQueue, req: _Request, linger: bool, source: Lang, target: Lang) -> None:
        """Wait (holding ``q.cond``) until ``req`` is done, leading batches whenever no one is."""
        while not req.done:
            if req.ticket is not None and req.ticket.dropped():
                self._abandon(q, req)
                break
            if q.busy and req.taken < len(req.texts) and q.express < self.express_slots and self._small(req):
                self._lead_express(q, source, target)
                continue
            if q.busy or req.taken == len(req.texts):  # someone leads, or our texts are in flight
                q.cond.wait(_POLL_S if req.ticket is not None else None)
                continue
            q.busy = True
            try:
                if linger:
                    self._linger(q)
                batch = self._take(q)
                if batch:
                    self._run_released(q, batch, source, target, bulk_lane=True)
            finally:
                q.busy = False
                q.cond.notify_all()
            linger = False

    def _run_released(self, q: _PairQueue, batch: list[_Item], source: Lang, target: Lang,
                      bulk_lane: bool = False) -> None:
        """(Holding ``q.cond``) run ``batch`` with the lock released, then deliver its outcomes;
        on the main lane, a bulk leader first gives way to interactive work (translators.give_way)."""
        q.cond.release()
        try:
            if bulk_lane:
                give_way()
            outcomes = self._run(batch, source, target)
        finally:
            q.cond.acquire()
        self._deliver(q, outcomes)

    def _small(self, req: _Request) -> bool:
        """A small request (a few sentences): may use the express lane."""
        return len(req.texts) <= self.express_texts

    def _lead_express(self, q: _PairQueue, source: Lang, target: Lang) -> None:
        """(Holding ``q.cond``) run one batch of small requests' texts beside the main lane's."""
        q.express += 1
        try:
            small = [r for r in q.pending if self._small(r) and not (r.ticket is not None and r.ticket.dropped())]
            batch = self._mark_taken(q, [(r, i) for r in small for i in range(r.taken, len(r.texts))][: self.max_texts])
            if batch:
                self._count(express_calls=1)
                self._run_released(q, batch, source, target)
        finally:
            q.express -= 1
            q.cond.notify_all()

    def _queue(self, source: str, target: str) -> _PairQueue:
        with self._queues_lock:
            return self._queues.setdefault((source, target), _PairQueue())

    def _full(self, q: _PairQueue) -> bool:
        texts = sum(len(r.texts) - r.taken for r in q.pending)
        chars = sum(len(t) for r in q.pending for t in r.texts[r.taken:])
        return texts >= self.max_texts or chars >= self.max_chars

    def _linger(self, q: _PairQueue) -> None:
        """Wait (lock released) up to ``wait_s`` for more requests, unless the batch is full."""
        self._count(lingered=1)
        deadline = self.clock() + self.wait_s
        q.lingering = True
        try:
            while not self._full(q) and (left := deadline - self.clock()) > 0:
                q.cond.wait(left)
        finally:
            q.lingering = False

    def _abandon(self, q: _PairQueue, req: _Request) -> None:
        """Drop ``req``'s queued texts (texts in flight finish, their results are discarded)."""
        assert req.ticket is not None
        if req in q.pending:
            q.pending.remove(req)
        self._count(requests_dropped=1, texts_dropped=len(req.texts) - req.taken)
        req.taken = len(req.texts)
        req.finish(req.ticket.error())
        q.cond.notify_all()

    def _take(self, q: _PairQueue) -> list[_Item]:
        """The next batch: drop abandoned requests, then share the bounds between callers,
        shortest remaining first, each caller getting at least an equal share per round."""
        for r in list(q.pending):
            if r.ticket is not None and r.ticket.dropped():
                self._abandon(q, r)
        groups: dict[object, deque[_Item]] = {}
        for r in q.pending:
            items = groups.setdefault(r.group, deque())
            items.extend(islice(((r, i) for i in range(r.taken, len(r.texts))), self.max_texts - len(items)))
        active = sorted(groups.values(), key=lambda g: sum(len(r.texts[i]) for r, i in g))
        batch: list[_Item] = []
        chars = 0
        while active and len(batch) < self.max_texts:
            share_texts = max(1, (self.max_texts - len(batch)) // len(active))
            share_chars = max(1, (self.max_chars - chars) // len(active))
            still: list[deque[_Item]] = []
            for items in active:
                took, took_chars = 0, 0
                while items and len(batch) < self.max_texts:
                    size = len(items[0][0].texts[items[0][1]])
                    if batch and chars + size > self.max_chars:
                        return self._mark_taken(q, batch)  # full
                    if took and (took >= share_texts or took_chars + size > share_chars):
                        break
                    batch.append(items.popleft())
                    chars, took, took_chars = chars + size, took + 1, took_chars + size
                if items:
                    still.append(items)
            active = still
        return self._mark_taken(q, batch)

    @staticmethod
    def _mark_taken(q: _PairQueue, batch: list[_Item]) -> list[_Item]:
        for r, i in batch:
            r.taken = max(r.taken, i + 1)
        q.pending = [r for r in q.pending if r.taken < len(r.texts)]
        return batch

    def _deliver(self, q: _PairQueue, outcomes: list[tuple[_Request, list[_Item], list[Translation] | None,
                                                          BaseException | None]]) -> None:
        for r, items, outs, error in outcomes:
            if r.done:  # abandoned while its texts were in flight
                continue
            if error is not None:
                if r in q.pending:
                    q.pending.remove(r)
                r.taken = len(r.texts)
                r.finish(error)
                continue
            assert outs is not None
            for (_, i), out in zip(items, outs, strict=True):
                r.results[i] = out
            r.filled += len(items)
            if r.filled == len(r.texts):
                r.finish()

    # -- model calls -----------------------------------------------------------------------
    def _run(self, batch: list[_Item], source: Lang, target: Lang
             ) -> list[tuple[_Request, list[_Item], list[Translation] | None, BaseException | None]]:
        """One inner call for the batch; if it fails, each request's part alone, so only the
        callers whose texts fail see an exception. Never raises: every part gets an outcome."""
        parts: dict[_Request, list[_Item]] = {}
        for item in batch:
            parts.setdefault(item[0], []).append(item)
        tickets = [r.ticket for r in parts]
        flat = [r.texts[i] for r, i in batch]
        aligned = any(r.alignment for r in parts)
        try:
            with bind(_BatchToken(tickets)):
                out = self._call(flat, source, target, aligned)
        except Exception as exc:
            dropped = isinstance(exc, WorkCancelled)  # every caller's ticket was dropped meanwhile
            if len(parts) == 1 and not dropped:
                return [(r, items, None, exc) for r, items in parts.items()]
            if not dropped:
                log.warning("coalesced batch failed; retrying requests one by one", exc_info=True)
            return [self._run_one(r, items, source, target) for r, items in parts.items()]
        except BaseException as exc:  # interrupted: nobody may be left waiting
            return [(r, items, None, exc) for r, items in parts.items()]
        by_request: dict[_Request, list[Translation]] = {}
        for (r, _), t in zip(batch, out, strict=True):
            by_request.setdefault(r, []).append(t if r.alignment or t.alignment is None else replace(t, alignment=None))
        return [(r, items, by_request[r], None) for r, items in parts.items()]

    def _run_one(self, r: _Request, items: list[_Item], source: Lang, target: Lang
                 ) -> tuple[_Request, list[_Item], list[Translation] | None, BaseException | None]:
        if r.ticket is not None and r.ticket.dropped():
            return r, items, None, r.ticket.error()
        try:
            with bind(r.ticket):
                return r, items, self._call([r.texts[i] for _, i in items], source, target, r.alignment), None
        except BaseException as exc:
            return r, items, None, exc

    def _call(self, texts: list[str], source: Lang, target: Lang, alignment: bool) -> list[Translation]:
        self._count(model_calls=1, texts_sent=len(texts))
        out = self.inner.translate_batch(texts, source, target, alignment=alignment)
        if len(out) != len(texts):
            raise RuntimeError(f"translator returned {len(out)} results for {len(texts)} texts")
        return out

    def _count(self, **delta: int) -> None:
        with self._stats_lock:
            for name, n in delta.items():
                setattr(self.stats, name, getattr(self.stats, name) + n)
