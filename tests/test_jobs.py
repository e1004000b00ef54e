"""``/v1/jobs`` through the app (TestClient), tiny real Marian models, a real SQLite file, and a
real webhook receiver on loopback whose signatures are checked with the ``standardwebhooks``
library."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.http.state import state_of
from service.settings import Settings

ARCHIVE = Path(__file__).parent / "fixtures" / "samples" / "archive.jsonl"
SECRET = "whsec_" + base64.b64encode(b"newsbridge-test-secret-0123456789").decode()
NDJSON = {"content-type": "application/x-ndjson"}


def make_client(tmp_path: Path, model_dir: Path, **extra) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cache.db'}", model_dir=model_dir, coalesce=False,
                        jobs_dir=tmp_path / "jobs", job_batch_records=3, job_poll_s=0.2, webhook_backoff_s=0.01,
                        **extra)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path, model_dir: Path) -> Iterator[TestClient]:
    # the receivers below listen on loopback: the operator allows it explicitly (refused otherwise)
    with make_client(tmp_path, model_dir, webhook_secret=SECRET, webhook_allow=["127.0.0.1"]) as c:
        yield c


def wait_finished(client: TestClient, job_id: str, timeout: float = 120, headers: dict | None = None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if status["state"] in ("succeeded", "failed", "cancelled"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {status['state']} after {timeout} s")


class Receiver:
    """A webhook receiver on 127.0.0.1: answers the given statuses in turn (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.calls.append((dict(self.headers.items()), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_ndjson_job_runs_to_results_in_input_order_with_a_signed_webhook(client: TestClient) -> None:
    from standardwebhooks import Webhook

    receiver = Receiver([500, 503])  # two failures first: the third attempt is delivered
    jobs_dir = state_of(client.app).ready().settings.jobs_dir
    assert jobs_dir is not None and not jobs_dir.exists()  # made by the first job, not by starting
    try:
        r = client.post("/v1/jobs", content=ARCHIVE.read_bytes(), headers=NDJSON,
                        params={"target_lang": "en", "callback_url": receiver.url})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        assert r.headers["location"] == f"/v1/jobs/{job_id}"
        status = wait_finished(client, job_id)
        assert status["state"] == "succeeded"
        expected = [json.loads(line)["id"] if line.startswith('{"id": "') and line.endswith("}") else None
                    for line in ARCHIVE.read_text(encoding="utf-8").splitlines()]
        assert status["counts"] == {"total": 11, "done": 11, "errors": status["counts"]["errors"],
                                    "translated": 11 - status["counts"]["errors"]}
        assert status["counts"]["errors"] >= 3  # empty text, broken JSON, German
        results = client.get(f"/v1/jobs/{job_id}/results")
        assert results.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in results.text.splitlines()]
        assert [rec["line"] for rec in lines] == list(range(1, 12))
        assert [rec["id"] for rec in lines][:7] == expected[:7]
        errors = {rec["id"]: rec["error"]["type"] for rec in lines if "error" in rec}
        assert errors["empty-001"] == "empty_text" and errors["broken-001"] == "invalid_json"
        assert all(rec.get("translation") for rec in lines if "error" not in rec)

        deadline = time.monotonic() + 30
        while len(receiver.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(receiver.calls) == 3
        headers, body = receiver.calls[-1]
        event = Webhook(SECRET).verify(body, headers)  # raises unless the signature verifies
        assert event["type"] == "job.succeeded" and event["data"]["id"] == job_id
        assert event["data"]["counts"]["done"] == 11
        assert len({h["webhook-id"] for h, _ in receiver.calls}) == 1  # one message, retried
        with pytest.raises(Exception, match="signature"):
            Webhook("whsec_" + base64.b64encode(b"another secret").decode()).verify(body, headers)
        while client.get(f"/v1/jobs/{job_id}").json()["webhook"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.1)  # the receiver has it; the job records it a moment later
        assert client.get(f"/v1/jobs/{job_id}").json()["webhook"] == "delivered"
    finally:
        receiver.close()


def test_multipart_upload_with_form_fields(client: TestClient) -> None:
    body = "\n".join(json.dumps({"id": f"a{i}", "text": "Vyriausybė pritarė naujam projektui."}) for i in range(4))
    r = client.post("/v1/jobs", files={"file": ("archive.jsonl", body.encode(), "application/x-ndjson")},
                    data={"target_lang": "pl", "source_lang": "lt", "summarize": "true"})
    assert r.status_code == 202, r.text
    status = wait_finished(client, r.json()["id"])
    assert (status["state"], status["counts"]["done"], status["counts"]["errors"]) == ("succeeded", 4, 0)
    assert status["options"] == {"source_lang": "lt", "target_lang": "pl", "summarize": True, "quality": "best"}
    lines = [json.loads(line) for line in client.get(f"/v1/jobs/{status['id']}/results").text.splitlines()]
    assert [rec["id"] for rec in lines] == ["a0", "a1", "a2", "a3"]
    assert all(rec["target_lang"] == "pl" and "summary" in rec for rec in lines)


def test_a_failing_receiver_never_fails_the_job(client: TestClient) -> None:
    receiver = Receiver([500] * 20)
    try:
        r = client.post("/v1/jobs", content=b'{"id": "x", "text": "Granica"}\n', headers=NDJSON,
                        params={"callback_url": receiver.url})
        job_id = r.json()["id"]
        assert wait_finished(client, job_id)["state"] == "succeeded"
        deadline = time.monotonic() + 30
        while client.get(f"/v1/jobs/{job_id}").json()["webhook"] != "failed" and time.monotonic() < deadline:
            time.sleep(0.1)
        status = client.get(f"/v1/jobs/{job_id}").json()
        assert status["state"] == "succeeded" and status["webhook"] == "failed"  # not what the far side said
        assert len(receiver.calls) == 6  # NEWSBRIDGE_WEBHOOK_ATTEMPTS
    finally:
        receiver.close()


def test_problems_size_media_type_options_and_unknown(tmp_path: Path, model_dir: Path) -> None:
    with make_client(tmp_path, model_dir, max_job_bytes=100) as client:
        big = b'{"id": "1", "text": "' + b"a" * 200 + b'"}\n'
        r = client.post("/v1/jobs", content=big, headers=NDJSON)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/job_too_large")
        r = client.post("/v1/jobs", content=iter([big[:60], big[60:]]), headers=NDJSON)  # chunked, no length
        assert r.status_code == 413
        assert not any((tmp_path / "jobs").glob("*/input.jsonl"))  # nothing kept
        r = client.post("/v1/jobs", content=b"{}", headers={"content-type": "text/plain"})
        assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (415, "unsupported_media_type")
        r = client.post("/v1/jobs", content=b'{"text": "a"}\n', headers=NDJSON, params={"target_lang": "de"})
        assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (422, "invalid_request")
        assert "target_lang" in r.json()["detail"]
        r = client.post("/v1/jobs", content=b"\n\n", headers=NDJSON)
        assert r.status_code == 422
        r = client.post("/v1/jobs", content=b'{"text": "a"}\n', headers=NDJSON,
                        params={"callback_url": "http://127.0.0.1:9/x"})
        assert r.status_code == 422 and "NEWSBRIDGE_WEBHOOK_SECRET" in r.json()["detail"]
        r = client.get("/v1/jobs/0123456789abcdef")
        assert (r.status_code, r.json()["type"].rsplit("/", 1)[1]) == (404, "job_not_found")


def test_delete_cancels_a_queued_job_and_deletes_a_finished_one(tmp_path: Path, model_dir: Path) -> None:
    with make_client(tmp_path, model_dir, job_workers=0) as client:  # nothing runs: the job stays queued
        job_id = client.post("/v1/jobs", content=ARCHIVE.read_bytes(), headers=NDJSON).json()["id"]
        assert client.get(f"/v1/jobs/{job_id}").json()["state"] == "queued"
        r = client.delete(f"/v1/jobs/{job_id}")
        assert (r.status_code, r.json()["state"]) == (202, "cancelled")
        assert client.delete(f"/v1/jobs/{job_id}").status_code == 204  # finished: deleted
        assert client.get(f"/v1/jobs/{job_id}").status_code == 404
        assert not (tmp_path / "jobs" / job_id).exists()


def test_a_job_posted_with_a_key_is_that_keys(tmp_path: Path, model_dir: Path) -> None:
    with make_client(tmp_path, model_dir, api_keys=["desk-key", "other-key"]) as c:
        desk = {"X-API-Key": "desk-key"}
        r = c.post("/v1/jobs", content=ARCHIVE.read_bytes(), headers={**NDJSON, **desk})
        assert r.status_code == 202, r.text
        job = r.headers["location"]
        assert wait_finished(c, r.json()["id"], headers=desk)["state"] == "succeeded"
        for path in (job, job + "/results"):
            other = c.get(path, headers={"X-API-Key": "other-key"})
            assert other.status_code == 404 and other.json()["type"].endswith("/job_not_found")
        assert c.delete(job, headers={"X-API-Key": "other-key"}).status_code == 404
        assert c.get(job).status_code == 401
