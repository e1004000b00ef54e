"""Jobs share the requests' budget: a job's characters are charged to its key as it runs (out of
quota: it stops, what it finished kept), and its chunks are admitted into the server's work budget
within their share, so interactive requests keep their room."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from service.batch.chunks import Outcome
from service.engines import build_engines
from service.http.app import create_app
from service.jobs import job_engine
from service.jobs.job_engine import JobBudget, JobEngine
from service.settings import Settings
from service.storage.db import ensure_schema, get_engine
from service.storage.key_store import KeyStore
from tests.test_jobs import NDJSON
from tests.test_run_work import Gated

SENTENCE = "Premier zwołał posiedzenie rządu."  # 33 characters


def settings_for(tmp_path: Path, model_dir: Path, **extra) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'nb.db'}", model_dir=model_dir, jobs_dir=tmp_path / "jobs",
                    job_batch_records=3, job_poll_s=0.05, **extra)


def key_with_quota(settings: Settings, chars: int) -> tuple[KeyStore, str]:
    engine = get_engine(settings.database_url)
    ensure_schema(engine)
    store = KeyStore(engine)
    return store, store.create("desk", chars_per_month=chars)[1]


def records(texts: list[str]) -> bytes:
    return "".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts)).encode()


def test_a_job_is_charged_as_it_runs_and_stops_when_the_quota_is_used_up(tmp_path: Path, model_dir: Path) -> None:
    settings = settings_for(tmp_path, model_dir)
    texts = [f"{SENTENCE[:-1]} {i}." for i in range(9)]
    store, key = key_with_quota(settings, sum(map(len, texts[:6])) + 10)  # two chunks of three records
    with TestClient(create_app(settings)) as c:
        auth = {"X-API-Key": key}
        r = c.post("/v1/jobs", content=records(texts), headers={**NDJSON, **auth})
        assert r.status_code == 202, r.text
        status = _wait(c, r.json()["id"], auth)
        assert status["state"] == "failed" and status["error"].startswith("quota_exceeded"), status
        assert "kept" in status["error"]
        assert status["counts"]["done"] == 6
        lines = c.get(f"/v1/jobs/{status['id']}/results", headers=auth).text.splitlines()
        assert [json.loads(x)["id"] for x in lines] == [f"r{i}" for i in range(6)]  # the finished work is kept
        other = {"X-API-Key": store.create("other")[1]}
        assert c.get(f"/v1/jobs/{status['id']}", headers=other).status_code == 404  # another key does not see it
    period = time.strftime("%Y-%m", time.gmtime())
    used = store.usage("key:desk", period)[0]
    assert used == sum(map(len, texts[:6]))


def test_error_records_are_refunded_and_the_rest_charged(tmp_path: Path, model_dir: Path) -> None:
    settings = settings_for(tmp_path, model_dir)
    store, key = key_with_quota(settings, 10_000)
    german = "Die Bundesregierung beobachtet die Lage an der Grenze mit großer Sorge."
    texts = [SENTENCE, german, "Labas rytas, Vilniau.", SENTENCE + " Tak."]
    with TestClient(create_app(settings)) as c:
        auth = {"X-API-Key": key}
        r = c.post("/v1/jobs", content=records(texts), headers={**NDJSON, **auth})
        status = _wait(c, r.json()["id"], auth)
    assert status["state"] == "succeeded" and status["counts"]["errors"] == 1
    period = time.strftime("%Y-%m", time.gmtime())
    assert store.usage("key:desk", period)[0] == sum(len(t) for t in texts) - len(german)


def test_job_chunks_are_admitted_within_their_share_of_the_work_budget(tmp_path: Path, model_dir: Path) -> None:
    settings = settings_for(tmp_path, model_dir, max_queue_chars=1000, job_queue_share=0.5, cache_enabled=False)
    backend = Gated(model_dir)
    app = create_app(settings, engine_factory=lambda s: build_engines(s, backend=backend))
    with TestClient(app) as c:
        backend.gate.set()
        assert c.post("/v1/translate", json={"text": "Rozgrzewka, bez znaczenia."}).status_code == 200
        backend.gate.clear()
        admission = c.app.state.newsbridge.running.work.admission

        # a request holding more than the jobs' share: the job's chunk waits for it
        long = " ".join([SENTENCE] * 18)  # 611 characters > 500
        answers: list = []
        t = threading.Thread(target=lambda: answers.append(c.post("/v1/translate", json={"text": long})))
        t.start()
        assert backend.entered.wait(30)
        job = c.post("/v1/jobs", content=records(["Labas rytas, Vilniau."] * 3), headers=NDJSON).json()["id"]
        _until(lambda: c.get(f"/v1/jobs/{job}").json()["state"] == "running")
        time.sleep(0.3)  # a chunk that were admitted would show in the budget by now
        assert (admission.requests, admission.chars) == (1, len(long))  # the request alone

        backend.gate.set()  # the request finishes, then the job's chunk is admitted and runs
        t.join(60)
        assert answers and answers[0].status_code == 200
        assert _wait(c, job, {})["state"] == "succeeded"

        # while a job's chunk is in the model, its characters are in the budget like a request's
        backend.gate.clear()
        backend.entered.clear()
        job = c.post("/v1/jobs", content=records(["Labas rytas, Vilniau."] * 3), headers=NDJSON).json()["id"]
        assert backend.entered.wait(30)
        assert (admission.requests, admission.chars) == (1, 3 * len("Labas rytas, Vilniau."))
        backend.gate.set()
        assert _wait(c, job, {})["state"] == "succeeded"
        assert (admission.requests, admission.chars) == (0, 0)


def test_a_chunk_waits_for_a_model_being_converted_instead_of_failing(monkeypatch) -> None:
    calls: list[int] = []
    converting = json.dumps({"id": "r0", "line": 1, "error": {"type": "model_converting", "detail": "later"}})

    def fake_process(engines, chunk, target, summarize, quality="best"):  # type: ignore[no-untyped-def]
        calls.append(len(chunk))
        if len(calls) == 1:
            return [Outcome(converting, error=True)]
        return [Outcome(json.dumps({"id": "r0", "translation": "ok"}), error=False)]

    monkeypatch.setattr(job_engine, "process_chunk", fake_process)
    slept: list[float] = []
    budget = JobBudget(None, None, None, 0.5, lambda: None)
    engine = JobEngine(None, "en", False, budget, "j1", sleep=lambda s: slept.append(s) or False)  # type: ignore[arg-type]
    from service.batch.records import Record

    out = list(engine.map_chunks([[Record(id="r0", line=1, text="Tak.", source_lang="pl", format="text")]]))
    assert calls == [1, 1] and slept == [2.0]
    assert len(out) == 1 and not out[0][0].error


def _until(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _wait(c: TestClient, job_id: str, headers: dict[str, str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while (status := c.get(f"/v1/jobs/{job_id}", headers=headers).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    return status
