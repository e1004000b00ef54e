"""Issue 22: large requests and jobs give way to interactive ones (translators/give_way.py), and a
long translation's answer is written in pieces with the same bytes."""

from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.responses import TranslationModel
from service.settings import Settings
from service.views import _SENTENCES_AT_ONCE, json_bytes
from translators.base import Lang, Translation
from translators.give_way import GiveWay, bulk, give_way, giving_way
from translators.testing import EchoTranslator

CORPUS = Path(__file__).parent / "fixtures" / "corpus"


# ----------------------------------------------------------------------------- the gate
def test_without_interactive_work_a_bulk_checkpoint_never_pauses() -> None:
    gate = GiveWay(max_pause=5.0, min_run=0.0)
    with bulk(gate):
        for _ in range(1000):
            give_way()
    assert gate.stats.pauses == 0


def test_a_checkpoint_outside_bulk_work_never_pauses() -> None:
    gate = GiveWay(max_pause=0.001, min_run=0.0)
    gate.begin()
    for _ in range(100):
        give_way()  # not bound: a small request, or the CLI
    assert gate.stats.pauses == 0


def test_bulk_work_pauses_while_interactive_work_runs_and_resumes_when_it_ends() -> None:
    now = [0.0]
    gate = GiveWay(max_pause=3600.0, min_run=0.0, clock=lambda: now[0])  # only end() can resume it
    gate.begin()
    done = threading.Event()

    def bulk_work() -> None:
        with bulk(gate):
            give_way()
        done.set()

    threading.Thread(target=bulk_work, daemon=True).start()
    assert not done.wait(0.2)  # paused: the interactive request is still in flight
    now[0] = 7.0  # on the gate's clock, the pause lasted 7 s
    gate.end()
    assert done.wait(30)  # resumed by the end of the interactive request
    assert gate.stats.pauses == 1 and gate.stats.paused_s == 7.0


def test_a_pause_is_bounded_and_the_bulk_work_then_runs_for_min_run_before_the_next() -> None:
    now = [100.0]
    gate = GiveWay(max_pause=0.01, min_run=0.004, clock=lambda: now[0])
    gate.begin()  # an interactive request that never ends
    with bulk(gate):
        now[0] += 0.004  # the bulk work has run min_run since it began
        returned = threading.Event()

        def checkpoint() -> None:
            give_way()  # pauses, but only for max_pause
            returned.set()

        # in this context (the same bulk turn), in a thread, so that an unbounded pause fails
        # the test instead of hanging it
        threading.Thread(target=contextvars.copy_context().run, args=(checkpoint,), daemon=True).start()
        assert returned.wait(30)  # it returned while the interactive request is still in flight
        assert gate.active == 1 and gate.stats.pauses == 1
        give_way()  # no time has passed on the gate's clock since it resumed: it runs on
        now[0] += 0.003
        give_way()
        assert gate.stats.pauses == 1
        now[0] += 0.001  # min_run since it resumed
        give_way()
        assert gate.stats.pauses == 2
    gate.end()


def test_two_interactive_requests_keep_the_gate_shut_until_both_end() -> None:
    gate = GiveWay()
    with gate.interactive():
        with gate.interactive():
            assert gate.active == 2
        assert gate.active == 1
    assert gate.active == 0
    gate.end()  # an extra end never goes below zero
    assert gate.active == 0


def test_giving_way_yields_every_item_in_order_with_a_checkpoint_every_few() -> None:
    now = [0.0]
    gate = GiveWay(max_pause=0.001, min_run=0.0, clock=lambda: now[0])
    gate.begin()
    with bulk(gate):
        assert list(giving_way(range(20), every=8)) == list(range(20))
    assert gate.stats.pauses == 3  # before items 0, 8 and 16
    assert list(giving_way(range(5))) == list(range(5))  # outside bulk work: just the items
    gate.end()


def test_bulk_binding_stays_in_its_own_thread() -> None:
    gate = GiveWay(max_pause=0.001, min_run=0.0)
    gate.begin()
    ran = threading.Event()

    def other_thread() -> None:  # not bound: must not pause
        give_way()
        ran.set()

    with bulk(gate):
        threading.Thread(target=other_thread, daemon=True).start()
        assert ran.wait(30)
    gate.end()
    assert gate.stats.pauses == 0


# ----------------------------------------------------------------------------- through HTTP
class HoldingEcho(EchoTranslator):
    """The echo translator, whose calls with a text containing ``HOLD`` wait until released."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        if any("HOLD" in t for t in texts):
            self.entered.set()
            assert self.release.wait(30), "the test never released the held call"
        return super().translate_batch(texts, source, target, alignment=alignment)


def _article(sentences: int) -> str:
    lines = [s for s in (CORPUS / "pl.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
    assert len(lines) >= 50
    return " ".join(lines[i % len(lines)] for i in range(sentences))


def _bulk_pauses(metrics: str) -> float | None:
    m = re.search(r"^newsbridge_bulk_pauses_total (\S+)$", metrics, re.M)
    return None if m is None else float(m.group(1))


def _article_beside_a_held_sentence(tmp_path: Path, **settings: object) -> tuple[dict, dict, str]:
    """A one-sentence request held inside the model while a 300-sentence article is posted; then
    released. Both answers, and /metrics once both are done."""
    s = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", coalesce=True, **settings)
    backend = HoldingEcho()
    engines = build_engines(s, backend=backend)
    article = _article(300)
    assert len(article) > s.interactive_chars
    out: dict[str, dict] = {}
    with TestClient(create_app(s, engines=engines)) as c:
        def post(name: str, text: str) -> None:
            r = c.post("/v1/translate", json={"text": text, "source_lang": "pl", "target_lang": "en"})
            assert r.status_code == 200, r.text
            out[name] = r.json()

        short = threading.Thread(target=post, args=("short", "HOLD: premier zwołał posiedzenie rządu."))
        short.start()
        assert backend.entered.wait(30)
        long = threading.Thread(target=post, args=("article", article))
        long.start()
        # until the article pauses (or, with nothing to give way to, for a second: it is planned
        # by then and waits for the held call's model batch)
        deadline = time.monotonic() + (30 if s.interactive_chars else 1)
        while time.monotonic() < deadline and not (_bulk_pauses(c.get("/metrics").text) or 0):
            time.sleep(0.02)
        backend.release.set()
        short.join(30)
        long.join(60)
        metrics = c.get("/metrics").text
    return out["short"], out["article"], metrics


def test_an_article_gives_way_to_a_one_sentence_request_in_flight(tmp_path: Path) -> None:
    short, article, metrics = _article_beside_a_held_sentence(tmp_path)
    assert short["translation"].startswith("[en] HOLD")
    pauses = _bulk_pauses(metrics)
    assert pauses is not None and pauses >= 1  # the article paused while the sentence was in flight
    paused = re.search(r"^newsbridge_bulk_paused_seconds_total (\S+)$", metrics, re.M)
    assert paused is not None and float(paused.group(1)) > 0
    # and lost nothing: every sentence translated, in order
    assert len(article["sentences"]) >= 250
    assert all(s["translated"] for s in article["sentences"])
    assert article["translation"].count("[en] ") >= len(article["sentences"])


def test_with_interactive_chars_0_nothing_gives_way(tmp_path: Path) -> None:
    _, article, metrics = _article_beside_a_held_sentence(tmp_path, interactive_chars=0)
    assert len(article["sentences"]) >= 250
    assert _bulk_pauses(metrics) in (None, 0.0)


# ----------------------------------------------------------------------------- the answer's bytes
def test_a_long_translation_is_written_in_pieces_with_the_same_bytes(tmp_path: Path) -> None:
    s = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", coalesce=False)
    engines = build_engines(s, backend=EchoTranslator())
    # quote marks, a '"sentences":[]' inside the text, emoji, and more sentences than one piece holds
    text = " ".join(f'Zdanie {i} mówi "sentences":[] i „cytat” 🇵🇱.' for i in range(3 * _SENTENCES_AT_ONCE + 7))
    with TestClient(create_app(s, engines=engines)) as c:
        r = c.post("/v1/translate", json={"text": text, "source_lang": "pl", "target_lang": "en"})
    assert r.status_code == 200, r.text
    model = TranslationModel.model_validate_json(r.content)
    assert len(model.sentences) > _SENTENCES_AT_ONCE
    plain = model.__pydantic_serializer__.to_json(model)
    assert json_bytes(model) == plain  # the pieces join into exactly what one call writes
    assert r.content == plain
