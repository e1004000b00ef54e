"""Issue 11: the coalescer schedules fairly across requests and drops abandoned work."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from translators.base import EngineInfo, Lang, ModelIdentity, Translation, describe_backend
from translators.cancellation import CancelToken, WorkCancelled, bind
from translators.coalesce import CoalescingTranslator


class Gate:
    """An echo engine whose calls block until released one at a time, recording each call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.entered = threading.Semaphore(0)
        self.release = threading.Semaphore(0)
        self._lock = threading.Lock()

    def supports(self, source: Lang, target: Lang) -> bool:
        return True

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return ModelIdentity(f"gate:{source}-{target}", "1", "1")

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return describe_backend(self, "gate", source, target)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        with self._lock:
            self.calls.append(list(texts))
        self.entered.release()
        assert self.release.acquire(timeout=30), "test never released the model call"
        return [Translation(f"[{target}] {t}") for t in texts]

    def step(self) -> None:
        """Wait for the next model call to start, then let it finish."""
        assert self.entered.acquire(timeout=30), "no model call started"
        self.release.release()


def _start(fn, *args) -> tuple[threading.Thread, dict]:  # type: ignore[no-untyped-def]
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = fn(*args)
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def _translate(tr: CoalescingTranslator, texts: list[str], ticket: CancelToken | None = None) -> list[Translation]:
    with bind(ticket):
        return tr.translate_batch(texts, "pl", "en")


def _wait_queued(tr: CoalescingTranslator, n: int) -> None:
    """Until ``n`` callers are inside translate_batch for pl-en."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        q = tr._queues.get(("pl", "en"))
        if q is not None and q.in_flight >= n:
            return
        time.sleep(0.005)
    raise AssertionError("callers did not queue")


def test_a_short_request_waits_one_chunk_behind_a_long_article() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate, wait_ms=0, max_texts=8, max_chars=10_000)
    article = [f"article sentence {i}." for i in range(200)]
    long_t, long_box = _start(_translate, tr, article, CancelToken("article"))
    gate.entered.acquire(timeout=30)  # the article's first chunk is in the model
    short_t, short_box = _start(_translate, tr, ["One short sentence."], CancelToken("short"))
    _wait_queued(tr, 2)
    gate.release.release()  # first chunk done
    gate.step()  # the second call: the short request rides along with the next article chunk
    short_t.join(timeout=30)
    assert short_box.get("result") == [Translation("[en] One short sentence.")]
    assert "One short sentence." in gate.calls[1]  # released with the second model call
    assert all(len(c) <= 8 for c in gate.calls)
    while long_t.is_alive():  # the rest of the article
        gate.step()
        long_t.join(timeout=0.01)
    assert [t.text for t in long_box["result"]] == [f"[en] {s}" for s in article]
    assert len(gate.calls) == 26  # 201 texts in full chunks of 8
    assert tr.stats.model_calls == len(gate.calls)
    assert tr.stats.texts_sent == 201


def test_each_caller_gets_a_share_of_every_batch() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate, wait_ms=0, max_texts=6, max_chars=10_000)
    first_t, _ = _start(_translate, tr, ["warm-up"], None)
    gate.entered.acquire(timeout=30)
    jobs = [_start(_translate, tr, [f"{name}{i}" for i in range(30)], CancelToken(name)) for name in "abc"]
    _wait_queued(tr, 4)
    gate.release.release()
    gate.step()
    batch = gate.calls[1]
    assert len(batch) == 6
    assert {t[0] for t in batch} == {"a", "b", "c"}  # 2 texts each, none starved
    while any(t.is_alive() for t, _ in jobs):
        gate.step()
        for t, _ in jobs:
            t.join(timeout=0.01)
    for name, (_, box) in zip("abc", jobs, strict=True):
        assert [t.text for t in box["result"]] == [f"[en] {name}{i}" for i in range(30)]
    first_t.join(timeout=30)


def test_cancelled_and_expired_tickets_never_reach_the_model() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate, wait_ms=0, max_texts=64)
    blocker_t, _ = _start(_translate, tr, ["blocker"], None)
    gate.entered.acquire(timeout=30)
    gone = CancelToken("gone")
    now = [0.0]
    late = CancelToken("late", deadline=0.2, clock=lambda: now[0])
    kept = CancelToken("kept", deadline=60, clock=lambda: now[0])
    gone_t, gone_box = _start(_translate, tr, ["cancel me 1", "cancel me 2"], gone)
    late_t, late_box = _start(_translate, tr, ["too late"], late)
    kept_t, kept_box = _start(_translate, tr, ["keep me"], kept)
    _wait_queued(tr, 4)
    gone.cancel()
    gone_t.join(timeout=5)  # the cancelled caller returns at once, while the model is still busy
    assert not gone_t.is_alive()
    assert isinstance(gone_box.get("error"), WorkCancelled) and gone_box["error"].type == "cancelled"
    now[0] = 0.3  # past the late one's deadline (a waiting caller looks every 50 ms)
    late_t.join(timeout=5)
    assert isinstance(late_box.get("error"), WorkCancelled) and late_box["error"].type == "deadline_exceeded"
    gate.release.release()
    gate.step()
    kept_t.join(timeout=30)
    blocker_t.join(timeout=30)
    assert kept_box.get("result") == [Translation("[en] keep me")]
    sent = [t for call in gate.calls for t in call]
    assert sent == ["blocker", "keep me"]
    assert tr.stats.texts_dropped == 3 and tr.stats.requests_dropped == 2
    assert tr.stats.model_calls == 2 and tr.stats.texts_sent == 2


def test_a_dropped_ticket_is_refused_before_queueing() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate)
    ticket = CancelToken.with_timeout("old", 0)
    with pytest.raises(WorkCancelled):
        _translate(tr, ["x"], ticket)
    assert gate.calls == [] and tr.stats.model_calls == 0


def test_a_shared_call_runs_under_a_ticket_dropped_only_when_all_are() -> None:
    """The engine sees a ticket during a shared call: one caller going away must not stop the
    others' work, so the call's ticket is dropped only when every caller's is."""
    from translators.cancellation import current_token

    seen: list[bool] = []

    class Looking(Gate):
        def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
            out = super().translate_batch(texts, source, target, alignment=alignment)
            ticket = current_token.get()
            seen.append(ticket is not None and ticket.dropped())
            return out

    gate = Looking()
    tr = CoalescingTranslator(gate, wait_ms=0)
    blocker_t, _ = _start(_translate, tr, ["blocker"], None)
    gate.entered.acquire(timeout=30)
    a, b = CancelToken("a"), CancelToken("b")
    a_t, a_box = _start(_translate, tr, ["from a"], a)
    b_t, b_box = _start(_translate, tr, ["from b"], b)
    _wait_queued(tr, 3)
    gate.release.release()
    gate.entered.acquire(timeout=30)  # a and b share the second call
    a.cancel()
    gate.release.release()
    for t in (a_t, b_t, blocker_t):
        t.join(timeout=30)
    assert gate.calls[1] == ["from a", "from b"] or gate.calls[1] == ["from b", "from a"]
    assert seen == [False, False]
    assert b_box.get("result") == [Translation("[en] from b")]
    # a's caller may be the one running the call: it then gets the result computed anyway
    assert isinstance(a_box.get("error"), WorkCancelled) or a_box.get("result") == [Translation("[en] from a")]
