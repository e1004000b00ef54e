"""The express lane: with an engine that runs calls in parallel, a one-sentence request does not
wait for the article's batch in flight; it runs beside it. The article keeps one lane."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from service.engines import build_engines
from service.settings import Settings
from tests.test_fair_scheduling import _start, _translate, _wait_queued
from translators.base import EngineInfo, Lang, ModelIdentity, Translation, describe_backend
from translators.cancellation import CancelToken
from translators.coalesce import CoalescingTranslator
from translators.ct2 import CTranslate2Translator
from translators.testing import EchoTranslator


class Gate:
    """An echo engine whose calls each wait for their own release (``release(i)``: the i-th call)."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gates: list[threading.Event] = []
        self.started = threading.Condition()

    def supports(self, source: Lang, target: Lang) -> bool:
        return True

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return ModelIdentity(f"gate:{source}-{target}", "1", "1")

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return describe_backend(self, "gate", source, target)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        gate = threading.Event()
        with self.started:
            self.calls.append(list(texts))
            self.gates.append(gate)
            self.started.notify_all()
        assert gate.wait(30), "the test never released this call"
        return [Translation(f"[{target}] {t}") for t in texts]

    def wait_calls(self, n: int, timeout: float = 30) -> bool:
        with self.started:
            return self.started.wait_for(lambda: len(self.calls) >= n, timeout)

    def release(self, i: int) -> None:
        self.gates[i].set()

    def drain(self, *threads: threading.Thread) -> None:
        """Release every call, present and future, until ``threads`` end."""
        while any(t.is_alive() for t in threads):
            with self.started:
                for g in self.gates:
                    g.set()
            for t in threads:
                t.join(timeout=0.01)


def test_a_short_request_runs_beside_the_articles_batch() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate, wait_ms=0, max_texts=8, express_slots=1)
    article = [f"article sentence {i}." for i in range(40)]
    long_t, long_box = _start(_translate, tr, article, CancelToken("article"))
    assert gate.wait_calls(1)  # the article's first batch is in the model, and stays there
    short_t, short_box = _start(_translate, tr, ["One short sentence."], CancelToken("short"))
    assert gate.wait_calls(2)  # the short one's call starts beside it
    gate.release(1)
    short_t.join(timeout=30)
    assert short_box.get("result") == [Translation("[en] One short sentence.")]
    assert gate.calls[1] == ["One short sentence."] and tr.stats.express_calls == 1
    assert long_t.is_alive()  # the article's batch is still held
    gate.drain(long_t)
    assert [t.text for t in long_box["result"]] == [f"[en] {s}" for s in article]
    assert all(len(c) <= 8 for c in gate.calls) and tr.stats.express_calls == 1  # the article never used it


def test_without_the_express_lane_it_waits_for_the_batch_in_flight() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate, wait_ms=0, max_texts=8, express_slots=0)
    long_t, _ = _start(_translate, tr, [f"article sentence {i}." for i in range(40)], CancelToken("article"))
    assert gate.wait_calls(1)
    short_t, short_box = _start(_translate, tr, ["One short sentence."], CancelToken("short"))
    _wait_queued(tr, 2)
    assert not gate.wait_calls(2, timeout=0.3)  # nothing else starts while the batch is held
    gate.drain(short_t, long_t)
    assert "One short sentence." in gate.calls[1] and tr.stats.express_calls == 0
    assert short_box.get("result") == [Translation("[en] One short sentence.")]


def test_a_large_request_never_takes_the_express_lane() -> None:
    gate = Gate()
    tr = CoalescingTranslator(gate, wait_ms=0, max_texts=8, express_slots=1, express_texts=4)
    first_t, _ = _start(_translate, tr, [f"a{i}" for i in range(16)], CancelToken("a"))
    assert gate.wait_calls(1)
    second_t, second_box = _start(_translate, tr, [f"b{i}" for i in range(5)], CancelToken("b"))  # 5 > 4 texts
    _wait_queued(tr, 2)
    assert not gate.wait_calls(2, timeout=0.3)
    gate.drain(first_t, second_t)
    assert tr.stats.express_calls == 0 and len(second_box["result"]) == 5


def test_the_service_gives_ctranslate2_an_express_lane_and_transformers_none(tmp_path: Path,
                                                                             model_dir: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir)
    ct2 = CTranslate2Translator(model_dir, device="cpu", inter_threads=2, intra_threads=1)
    assert build_engines(settings, backend=ct2).coalescer.express_slots == 1
    assert build_engines(settings, backend=EchoTranslator()).coalescer.express_slots == 0
    off = settings.model_copy(update={"express_lane": False})
    assert build_engines(off, backend=ct2).coalescer.express_slots == 0
