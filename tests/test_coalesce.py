"""CoalescingTranslator: concurrent calls share model calls, every caller gets its own results."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from translators import coalesce, threads
from translators.base import EngineInfo, Lang, ModelIdentity, Translation, describe_backend
from translators.coalesce import CoalescingTranslator, configure_threads


class SlowEcho:
    """Echoes ``[target] text``, takes ``delay`` seconds per call, records each call's texts."""

    def __init__(self, delay: float = 0.02, fail_on: str | None = None) -> None:
        self.delay = delay
        self.fail_on = fail_on
        self.calls: list[tuple[str, str, list[str]]] = []
        self._lock = threading.Lock()

    def supports(self, source: Lang, target: Lang) -> bool:
        return True

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return ModelIdentity(f"echo:{source}-{target}", "1", "1")

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return describe_backend(self, "slow-echo", source, target)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        with self._lock:
            self.calls.append((source, target, list(texts)))
        time.sleep(self.delay)
        if self.fail_on is not None and any(self.fail_on in t for t in texts):
            raise ValueError(f"cannot translate {self.fail_on}")
        return [Translation(f"[{target}] {t}") for t in texts]


def _run_all(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at once from its own thread; an exception is returned, not raised."""
    barrier = threading.Barrier(len(jobs))

    def go(job: Callable[[], object]) -> object:
        barrier.wait()
        try:
            return job()
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(go, jobs, timeout=60))


def test_concurrent_callers_share_batches_and_get_their_own_results() -> None:
    inner = SlowEcho()
    tr = CoalescingTranslator(inner, wait_ms=5)
    requests = [[f"req{i}-text{j}" for j in range(1 + i % 3)] for i in range(48)]
    for _ in range(3):
        results = _run_all([lambda texts=texts: tr.translate_batch(texts, "pl", "en") for texts in requests])
        for texts, got in zip(requests, results, strict=True):
            assert isinstance(got, list)
            assert [t.text for t in got] == [f"[en] {t}" for t in texts]
    sent = sorted(t for _, _, texts in inner.calls for t in texts)
    assert sent == sorted(t for texts in requests for t in texts for _ in range(3))  # each sent once a round
    assert len(inner.calls) < 3 * len(requests)
    assert max(len(texts) for _, _, texts in inner.calls) > 3


def test_lone_caller_does_not_wait_for_company() -> None:
    inner = SlowEcho(delay=0)
    tr = CoalescingTranslator(inner, wait_ms=10_000)
    for i in range(3):
        assert tr.translate_batch([f"t{i}"], "pl", "en") == [Translation(f"[en] t{i}")]
    assert tr.stats.lingered == 0  # no batch waited (up to 10 s) for company that was not coming
    assert tr.translate_batch([], "pl", "en") == []
    assert len(inner.calls) == 3


def test_failure_reaches_only_the_callers_whose_texts_failed() -> None:
    inner = SlowEcho(fail_on="BAD")
    tr = CoalescingTranslator(inner, wait_ms=5)
    requests = [[f"ok{i}"] if i % 7 else [f"ok{i}", "BAD"] for i in range(24)]
    results = _run_all([lambda texts=texts: tr.translate_batch(texts, "pl", "en") for texts in requests])
    for texts, got in zip(requests, results, strict=True):
        if "BAD" in texts:
            assert isinstance(got, ValueError)
        else:
            assert [t.text for t in got] == [f"[en] {t}" for t in texts]
    # and the queue still works afterwards
    assert tr.translate_batch(["again"], "pl", "en") == [Translation("[en] again")]


def test_batches_respect_bounds_and_pairs_never_mix() -> None:
    inner = SlowEcho()
    tr = CoalescingTranslator(inner, wait_ms=5, max_texts=4)
    pairs: list[tuple[Lang, Lang]] = [("pl", "en"), ("lt", "en"), ("en", "pl")]
    jobs = [(f"{i}", pairs[i % 3]) for i in range(36)]
    results = _run_all([lambda t=t, p=p: tr.translate_batch([t], *p) for t, p in jobs])
    for (text, (_, target)), got in zip(jobs, results, strict=True):
        assert [t.text for t in got] == [f"[{target}] {text}"]
    for source, target, texts in inner.calls:
        assert len(texts) <= 4
        assert all(pairs[int(t) % 3] == (source, target) for t in texts)
    big = [f"b{i}" for i in range(10)]  # one request over the bound goes in chunks, in order
    assert [t.text for t in tr.translate_batch(big, "pl", "en")] == [f"[en] {t}" for t in big]
    assert [texts for _, _, texts in inner.calls[-3:]] == [big[:4], big[4:8], big[8:]]


def test_wrong_result_count_is_an_error_not_a_misroute() -> None:
    class Short(SlowEcho):
        def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
            return super().translate_batch(texts, source, target, alignment=alignment)[:-1]

    tr = CoalescingTranslator(Short(), wait_ms=5)
    results = _run_all([lambda i=i: tr.translate_batch([f"a{i}", f"b{i}"], "pl", "en") for i in range(8)])
    assert all(isinstance(r, RuntimeError) for r in results)


def test_identity_and_support_come_from_the_inner_translator() -> None:
    tr = CoalescingTranslator(SlowEcho())
    assert tr.identity("pl", "en") == ModelIdentity("echo:pl-en", "1", "1")
    assert tr.supports("lt", "en")


@pytest.fixture()
def restore_threads(monkeypatch: pytest.MonkeyPatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "_plan", None)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("restore_threads")
def test_configure_threads_divides_cores_between_workers() -> None:
    import torch

    cores = len(os.sched_getaffinity(0))
    plan = configure_threads(0, 1, workers=2)
    assert plan.intra == max(1, cores // 2)
    assert torch.get_num_threads() == plan.intra
    assert configure_threads(0, 1, workers=cores * 4).intra == 1
    assert configure_threads(3, 2).intra == 3
    assert coalesce.thread_plan().inter == 2
    auto = configure_threads(0, 0, backend="ctranslate2")  # concurrent calls pay off for CTranslate2
    assert auto.inter == min(2, cores) and auto.intra * auto.inter <= max(cores, 2)
    assert configure_threads(0, 0, backend="transformers").inter == 1
