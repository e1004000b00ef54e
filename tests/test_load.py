"""Bounded CI versions of the load, overload and shutdown benchmarks (``benchmarks/bench_load.py``
runs the full ones): real servers on loopback (``tests/servers.py``), real tiny Marian models,
real HTTP clients (``tests/loadgen.py``). Figures are printed (``-s``); the assertions are about
outcomes and events (statuses, log lines, the requests' own deadlines), not timings."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from tests.loadgen import long_text, mixed_requests, run_load, summary
from tests.servers import Server, serve_in_thread
from translators.cancellation import current_token
from translators.marian import MarianTranslator

pytestmark = pytest.mark.slow
STARTUP_S = 300  # PRELOAD loads and runs every model before the server listens: slow on a busy machine


def server_env(model_dir: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"NEWSBRIDGE_MODEL_DIR": str(model_dir), "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
            "HF_HUB_OFFLINE": "1", "NEWSBRIDGE_LOG_LEVEL": "WARNING", "NEWSBRIDGE_PRELOAD": "true", **extra}


def test_mixed_load_through_newsbridge_serve(model_dir: Path, tmp_path: Path) -> None:
    requests = mixed_requests(200, seed=1)
    with Server(server_env(model_dir, tmp_path), tmp_path / "server.log", timeout=STARTUP_S) as server:
        result = asyncio.run(run_load(server.base, requests, clients=20, rss_pid=server.pid, rss_every=100))
        errors = [line for line in server.log_lines() if "unexpected error" in line]
    statuses = result.statuses()
    print(f"\nload: {len(requests)} requests, 20 clients, {result.wall:.1f} s, statuses {statuses}, "
          f"200s {summary([o.seconds for o in result.outcomes if o.status == 200])}, "
          f"/healthz {summary(result.health)}, RSS MB {[round(r) for _, r in result.rss]}")
    assert len(result.outcomes) == len(requests)
    assert statuses == {200: len(requests)}, statuses  # no 5xx, no refusals at this load
    assert result.health and result.health_failures == 0
    assert not errors


def in_flight(url: str, n: int, answered: list[int] | None = None, total: int = 0, timeout: float = 60.0) -> bool:
    """Wait until the server holds at least ``n`` requests' admitted work (its /metrics gauge) and,
    with ``total``, every one of the ``total`` requests is either held or ``answered`` already."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = httpx.get(url + "/metrics", timeout=10).text
        line = next(x for x in metrics.splitlines() if x.startswith("newsbridge_queue_requests "))
        held = float(line.split()[1])
        if held >= n and held + len(answered or []) >= total:
            return True
        time.sleep(0.02)
    return False


def test_sigterm_with_requests_in_flight_exits_within_the_grace(model_dir: Path, tmp_path: Path) -> None:
    grace = 6.0
    env = server_env(model_dir, tmp_path, NEWSBRIDGE_SHUTDOWN_GRACE=str(grace))
    bodies = [{"text": long_text(2500, lang, seed=i), "target_lang": "en"}
              for i, lang in enumerate(["pl", "lt"] * 6)]
    with Server(env, tmp_path / "server.log", timeout=STARTUP_S) as server:
        answers: list[int] = []

        def client(body: dict) -> None:
            try:
                answers.append(httpx.post(server.base + "/v1/translate", json=body, timeout=60).status_code)
            except httpx.HTTPError:
                answers.append(0)

        threads = [threading.Thread(target=client, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        # every request reached the server (a client connecting after SIGTERM is refused, rightly),
        # and at least half of them are still being worked on
        assert in_flight(server.base, len(bodies) // 2, answers, len(bodies))
        code = server.terminate()
        for t in threads:
            t.join(30)
        log = server.log_lines()
    print(f"\nSIGTERM with {len(bodies)} requests in flight (grace {grace} s): exit status {code}; "
          f"answers {sorted(answers)}")
    # within the grace: the watchdog, which ends a process still held at 95% of it, never fired
    assert code != 1 and not [line for line in log if "shutdown grace exceeded" in line], log[-15:]
    assert len(answers) == len(bodies)
    assert set(answers) <= {200, 503}, answers  # finished, or told to retry: none left unanswered


class Recording(MarianTranslator):
    """Records, per model call, whose work it was (the bound ticket) and whether that request's
    deadline had passed when the call began."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[bool, str]] = []

    def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[override]
        ticket = current_token.get()
        self.calls.append((ticket is not None and ticket.expired(), ticket.request_id if ticket else ""))
        return super().translate_batch(texts, source, target, alignment=alignment)


def test_overload_every_request_answered_in_time_and_no_work_for_abandoned_ones(model_dir: Path,
                                                                                   tmp_path: Path) -> None:
    deadline = 8.0
    settings = Settings(model_dir=model_dir, database_url=f"sqlite:///{tmp_path / 'c.db'}", coalesce=False,
                        max_queue_chars=12_000, request_timeout=deadline, log_level="WARNING", preload=True)
    backend = Recording(model_dir)
    app = create_app(settings, engine_factory=lambda s: build_engines(s, backend=backend))
    ids = [uuid.uuid4().hex for _ in range(60)]
    requests = [("/v1/translate", {"text": long_text(3000 + 50 * (i % 60), "pl" if i % 2 else "lt", seed=i),
                                   "target_lang": "en"}) for i in range(60)]
    with serve_in_thread(app) as url:
        result = asyncio.run(run_load(url, requests, clients=60, timeout=deadline + 6, request_ids=ids))
    answered = {o.request_id: o for o in result.outcomes}
    statuses = result.statuses()
    print(f"\noverload: 60 clients x 3k chars, queue 12k chars, deadline {deadline:g} s: statuses {statuses}, "
          f"slowest answer {max(o.seconds for o in result.outcomes):.2f} s, /healthz {summary(result.health)}, "
          f"model calls {len(backend.calls)}")
    assert len(result.outcomes) == 60
    assert set(statuses) <= {200, 503, 504} and 503 in statuses
    assert any(rid for _, rid in backend.calls)  # some work was admitted and reached the model
    for o in result.outcomes:  # each answered (the server's deadline is 6 s shorter than the client's)
        if o.status == 503:
            assert o.retry_after and int(o.retry_after) >= 1
    assert result.health_failures == 0
    refused = {o.request_id for o in result.outcomes if o.status == 503}
    assert not [c for c in backend.calls if c[1] in refused]  # refused: never reached a model
    calls = [(late, rid) for late, rid in backend.calls if rid]  # without a request: PRELOAD's warm-up decode
    assert calls and all(rid in answered for _, rid in calls)
    late = [rid for was_late, rid in calls if was_late]
    assert not late, late  # no model call began for a request after its deadline
