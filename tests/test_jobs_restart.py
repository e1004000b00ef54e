"""A job survives its server: ``newsbridge serve`` killed with SIGKILL mid-job and started again
finishes the job with every record exactly once, and fires a webhook that verifies with the
``standardwebhooks`` library."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import Server
from tests.test_jobs import Receiver

SECRET = "whsec_" + base64.b64encode(b"restart-test-secret-abcdefghijkl").decode()
pytestmark = pytest.mark.slow


def test_job_resumes_after_sigkill_and_finishes_exactly_once(model_dir: Path, tmp_path: Path) -> None:
    from standardwebhooks import Webhook

    pl = (Path(__file__).parent / "fixtures" / "corpus" / "pl.txt").read_text(encoding="utf-8").splitlines()
    # enough records that the job cannot finish between the poll that sees 4 done and the kill
    # (with 24 it once did, on a quiet machine)
    ids = [f"r{i:03d}" for i in range(120)]
    body = "".join(json.dumps({"id": rid, "text": f"{pl[i % len(pl)]} ({i})", "lang": "pl"}) + "\n"
                   for i, rid in enumerate(ids))
    env = {"NEWSBRIDGE_MODEL_DIR": str(model_dir), "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'nb.db'}",
           "NEWSBRIDGE_JOBS_DIR": str(tmp_path / "jobs"), "NEWSBRIDGE_JOB_BATCH_RECORDS": "2",
           "NEWSBRIDGE_JOB_POLL_S": "0.2", "NEWSBRIDGE_WEBHOOK_SECRET": SECRET, "NEWSBRIDGE_LOG_LEVEL": "WARNING",
           "NEWSBRIDGE_WEBHOOK_ALLOW": "127.0.0.1"}  # the receiver listens on loopback: allowed explicitly
    receiver = Receiver([])
    server = Server(env, tmp_path / "server.log")
    try:
        r = httpx.post(server.base + "/v1/jobs", content=body.encode(), params={"callback_url": receiver.url},
                       headers={"content-type": "application/x-ndjson"}, timeout=60)
        assert r.status_code == 202, r.text
        url = server.base + r.headers["location"]
        deadline = time.monotonic() + 300
        while (done := httpx.get(url, timeout=60).json()["counts"]["done"]) < 4:
            assert time.monotonic() < deadline, server.tail()
            time.sleep(0.1)
        server.kill()
        assert done < len(ids), "the job finished before the kill: make it longer"
        partial = (tmp_path / "jobs" / r.json()["id"] / "results.jsonl").read_bytes().count(b"\n")
        assert 4 <= partial < len(ids)

        server = Server(env, tmp_path / "server.log")  # same database and folder
        url = server.base + r.headers["location"]
        deadline = time.monotonic() + 300
        while (status := httpx.get(url, timeout=60).json())["state"] != "succeeded":
            assert status["state"] in ("queued", "running") and time.monotonic() < deadline, (status, server.tail())
            time.sleep(0.2)
        assert status["counts"] == {"total": 120, "done": 120, "errors": 0, "translated": 120}
        results = httpx.get(url + "/results", timeout=60).text.splitlines()
        assert [json.loads(line)["id"] for line in results] == ids  # each once, in input order

        deadline = time.monotonic() + 30
        while not receiver.calls and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.calls, server.tail()
        headers, raw = receiver.calls[0]
        event = Webhook(SECRET).verify(raw, headers)
        assert event["type"] == "job.succeeded" and event["data"]["counts"]["done"] == 120
    finally:
        server.stop()
        receiver.close()
