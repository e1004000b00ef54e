"""WorkRunner.run through the app: admission (503 + Retry-After), deadline (504, ticket cancelled),
shutdown drain (503), with a real tiny Marian model behind a gate the test controls."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.http.state import state_of
from service.settings import Settings
from translators.cancellation import current_token
from translators.marian import MarianTranslator


class Gated(MarianTranslator):
    """Waits at ``gate`` before each model call; records the tickets it saw cancelled."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.saw_cancelled = threading.Event()
        self.calls = 0
        self.interruptible = True  # False: like a model mid-batch, the call finishes once started

    def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[override]
        self.entered.set()
        ticket = current_token.get()
        while not self.gate.wait(0.01):
            if self.interruptible and ticket is not None and ticket.dropped():  # a batch's: all callers' are
                self.saw_cancelled.set()
                ticket.check()
        self.calls += 1
        return super().translate_batch(texts, source, target, alignment=alignment)


def app_with(settings: Settings, **update) -> tuple[TestClient, Gated]:
    s = settings.model_copy(update=update)
    backend = Gated(s.model_dir)
    return TestClient(create_app(s, engine_factory=lambda st: build_engines(st, backend=backend))), backend


def warm_up(c: TestClient, backend: Gated) -> None:
    """Load the model and the detectors with the gate open, then close it."""
    backend.gate.set()
    assert c.post("/v1/translate", json={"text": "Rozgrzewka, bez znaczenia."}).status_code == 200
    backend.gate.clear()
    backend.entered.clear()
    backend.calls = 0


def drained(c: TestClient, timeout: float = 10.0) -> bool:
    """The admitted work has left the worker threads (while the gate is still closed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state_of(c.app).ready().work.admission.requests == 0:
            return True
        time.sleep(0.05)
    return False


def post_in_thread(c: TestClient, body: dict, out: list) -> threading.Thread:
    t = threading.Thread(target=lambda: out.append(c.post("/v1/translate", json=body)))
    t.start()
    return t


def test_over_budget_is_refused_at_once_with_retry_after(settings: Settings) -> None:
    client, backend = app_with(settings, max_queue_chars=60)
    with client as c:
        warm_up(c, backend)
        first: list = []
        t = post_in_thread(c, {"text": "Dzień dobry, jak się masz dzisiaj?"}, first)
        assert backend.entered.wait(30)
        r = c.post("/v1/translate", json={"text": "Kot siedział na krześle w kuchni."})
        assert t.is_alive() and not first  # answered while the first still holds the model: not after it
        assert r.status_code == 503 and r.json()["type"].endswith("/overloaded")
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # health is not behind the queue
        # refused as soon as its body is read: before validation (the route would say 422 for "xx")
        shed = c.post("/v1/summarize", json={"text": "Kot siedział na krześle w kuchni.", "target_lang": "xx"})
        assert shed.status_code == 503 and shed.json()["type"].endswith("/overloaded"), shed.text
        assert int(shed.headers["retry-after"]) >= 1 and shed.json()["request_id"] == shed.headers["x-request-id"]
        lt = c.post("/translate", json={"q": "Kot siedział na krześle w kuchni.", "source": "pl", "target": "en"})
        assert lt.status_code == 503 and "error" in lt.json()  # the dialect's own shape, through run_work
        assert 'newsbridge_requests_total{endpoint="/v1/summarize",status="503"} 1.0' in c.get("/metrics").text
        assert 'newsbridge_queue_requests 1.0' in c.get("/metrics").text
        backend.gate.set()
        t.join(60)
        assert first[0].status_code == 200
        # the budget was given back: the same request is admitted now
        assert c.post("/v1/translate", json={"text": "Kot siedział na krześle w kuchni."}).status_code == 200


def test_deadline_answers_504_and_drops_the_work(settings: Settings) -> None:
    client, backend = app_with(settings)
    with client as c:
        warm_up(c, backend)
        state_of(c.app).ready().work.timeout = 1.0  # NEWSBRIDGE_REQUEST_TIMEOUT, once the models are loaded
        r = c.post("/v1/translate", json={"text": "Dzień dobry."})
        assert r.status_code == 504 and r.json()["type"].endswith("/deadline_exceeded"), r.text
        assert not backend.gate.is_set()  # the answer came while the model call still waited
        assert drained(c)  # the worker stopped although the gate never opened: the work was dropped
        assert backend.calls == 0
        backend.gate.set()


def _metric(c: TestClient, name: str) -> float:
    lines = [x for x in c.get("/metrics").text.splitlines() if x.startswith(name + " ")]
    assert len(lines) == 1, name
    return float(lines[0].split()[1])


def test_metrics_count_model_work_and_the_work_dropped_at_the_deadline(settings: Settings) -> None:
    client, backend = app_with(settings, coalesce=True)
    with client as c:
        warm_up(c, backend)
        texts_before = _metric(c, "newsbridge_model_texts_total")
        assert texts_before >= 1 and _metric(c, "newsbridge_model_calls_total") >= 1
        assert _metric(c, "newsbridge_dropped_texts_total") == 0
        backend.interruptible = False  # the first call runs to its end, like a model mid-batch
        state_of(c.app).ready().work.timeout = 1.5
        answers: list = []
        first = post_in_thread(c, {"text": "Dzień dobry, jak się masz dzisiaj?"}, answers)
        assert backend.entered.wait(30)  # the first holds the model
        second = post_in_thread(c, {"text": "Kot siedział na krześle w kuchni."}, answers)  # queued behind it
        first.join(30)
        second.join(30)
        assert sorted(r.status_code for r in answers) == [504, 504]
        backend.gate.set()  # the first's call ends; nothing of the second may follow it
        assert drained(c)
        assert _metric(c, "newsbridge_dropped_texts_total") == 1  # the queued text never reached the model
        assert _metric(c, "newsbridge_model_texts_total") == texts_before + 1  # only the one in flight
        assert backend.calls == 1


def test_shutdown_drain_answers_in_flight_with_503(settings: Settings) -> None:
    client, backend = app_with(settings, shutdown_grace=1.0)
    with client as c:
        warm_up(c, backend)
        out: list = []
        t = post_in_thread(c, {"text": "Dzień dobry."}, out)
        assert backend.entered.wait(30)
        c.portal.call(state_of(c.app).ready().lifecycle.begin)  # what SIGTERM does in a server process
        t.join(30)
        assert out[0].status_code == 503 and out[0].json()["type"].endswith("/shutting_down")
        assert drained(c) and backend.calls == 0
        r = c.post("/v1/translate", json={"text": "Dzień dobry."})
        assert r.status_code == 503 and r.headers["connection"] == "close"
        assert c.get("/readyz").status_code == 503
        backend.gate.set()
