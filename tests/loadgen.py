"""Load generation against a running newsbridge (started with ``tests/servers.py``): mixed
pl/lt/en requests, concurrent clients, a ``/healthz`` prober and RSS samples. Used by
``tests/test_load.py`` (bounded CI runs) and ``benchmarks/bench_load.py`` (full runs, which may
draw its sentences from a larger corpus: ``data``).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"


# ----------------------------------------------------------------------------- input
def sentences(lang: str, data: Path | None = None) -> list[str]:
    """Real sentences: the Tatoeba files of ``data`` when given and present, else the fixtures."""
    tatoeba = {"pl": "eng-pol.pol", "lt": "eng-lit.lit", "en": "eng-pol.eng"}[lang]
    path = data / f"tatoeba.v2021-08-07.{tatoeba}" if data is not None else None
    source = path if path is not None and path.is_file() else CORPUS / f"{lang}.txt"
    return [s for s in source.read_text(encoding="utf-8").splitlines() if s.strip()]


def mixed_requests(n: int, seed: int = 0, data: Path | None = None) -> list[tuple[str, dict[str, Any]]]:
    """``n`` (path, body) pairs: 1-4 sentences of pl, lt or en; 80% translate (into English, or
    from English into pl/lt), 10% summarize, 10% detect."""
    rng = random.Random(seed)
    pools = {lang: sentences(lang, data) for lang in ("pl", "lt", "en")}
    out: list[tuple[str, dict[str, Any]]] = []
    for _ in range(n):
        lang = rng.choice(("pl", "lt", "en"))
        text = " ".join(rng.choice(pools[lang]) for _ in range(rng.randint(1, 4)))
        target = rng.choice(("pl", "lt")) if lang == "en" else "en"
        roll = rng.random()
        if roll < 0.8:
            out.append(("/v1/translate", {"text": text, "target_lang": target}))
        elif roll < 0.9:
            out.append(("/v1/summarize", {"text": text, "target_lang": target, "max_sentences": 2}))
        else:
            out.append(("/v1/detect", {"text": text}))
    return out


def long_text(chars: int, lang: str = "pl", seed: int = 0, data: Path | None = None) -> str:
    rng = random.Random(seed)
    pool = sentences(lang, data)
    parts: list[str] = []
    size = 0
    while size < chars:
        s = rng.choice(pool)
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)


# ----------------------------------------------------------------------------- memory
def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ----------------------------------------------------------------------------- clients
@dataclass
class Outcome:
    path: str
    status: int  # 0: no answer (client timeout or connection error)
    seconds: float
    started: float  # time.monotonic() when sent
    retry_after: str | None = None
    problem: str | None = None
    request_id: str = ""


@dataclass
class LoadResult:
    outcomes: list[Outcome]
    health: list[float]  # /healthz latencies (s)
    health_failures: int
    rss: list[tuple[int, float]]  # (requests completed, RSS MB)
    wall: float

    def statuses(self) -> dict[int, int]:
        return dict(sorted(Counter(o.status for o in self.outcomes).items()))

    def latency(self, q: float, status: int | None = 200) -> float:
        xs = sorted(o.seconds for o in self.outcomes if status is None or o.status == status)
        return percentile(xs, q)


def percentile(xs: Sequence[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))]


def summary(xs: Sequence[float]) -> str:
    if not xs:
        return "n=0"
    return (f"n={len(xs)} p50={percentile(xs, 50) * 1000:.1f} ms p99={percentile(xs, 99) * 1000:.1f} ms "
            f"max={max(xs) * 1000:.1f} ms mean={statistics.mean(xs) * 1000:.1f} ms")


_PROBER = """
import json, sys, threading, time
import httpx
url, interval = sys.argv[1], float(sys.argv[2])
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
latencies, failures = [], 0
with httpx.Client(base_url=url, timeout=10.0) as client:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            failures += client.get("/healthz").status_code != 200
        except httpx.HTTPError:
            failures += 1
        latencies.append(time.perf_counter() - started)
        if len(latencies) == 1:
            print("ready", flush=True)
        stop.wait(interval)
print(json.dumps([latencies, failures]), flush=True)
"""


class HealthProber:
    """``GET /healthz`` every ``interval`` seconds from a process of its own, so neither the load
    clients' event loop nor their share of the GIL delays (and inflates) its timings: what it
    measures is the server. ``start()``, then ``stop()`` -> (latencies, failures)."""

    def __init__(self, url: str, interval: float) -> None:
        self.url, self.interval = url, interval
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> HealthProber:
        """Starts the process and returns after its first probe (the load starts after it)."""
        self._proc = subprocess.Popen([sys.executable, "-c", _PROBER, self.url, str(self.interval)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        if self._proc.stdout.readline().strip() != "ready":
            self._proc.kill()
            raise RuntimeError("the /healthz prober did not start")
        return self

    def stop(self) -> tuple[list[float], int]:
        assert self._proc is not None
        out, _ = self._proc.communicate(timeout=60)  # closing stdin stops it
        latencies, failures = json.loads(out)
        return latencies, failures


async def run_load(url: str, requests: Sequence[tuple[str, dict[str, Any]]], *, clients: int,
                   timeout: float = 60.0, rss_pid: int | None = None, rss_every: int = 500,
                   health_interval: float = 0.1, request_ids: Sequence[str] | None = None) -> LoadResult:
    """``clients`` concurrent clients, each sending the next request when its last was answered
    (with ``X-Request-ID`` from ``request_ids`` when given)."""
    outcomes: list[Outcome] = []
    rss: list[tuple[int, float]] = [(0, rss_mb(rss_pid))] if rss_pid else []
    queue: asyncio.Queue[tuple[str, dict[str, Any], str]] = asyncio.Queue()
    for i, (path, body) in enumerate(requests):
        queue.put_nowait((path, body, request_ids[i] if request_ids else ""))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        while True:
            try:
                path, body, rid = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.monotonic()
            try:
                r = await http.post(path, json=body, headers={"X-Request-ID": rid} if rid else None)
                problem = r.json().get("type", "").rsplit("/", 1)[-1] if r.status_code >= 400 else None
                o = Outcome(path, r.status_code, time.monotonic() - started, started,
                            r.headers.get("retry-after"), problem, rid)
            except (httpx.HTTPError, ValueError) as exc:  # problem: what went wrong, for the report
                o = Outcome(path, 0, time.monotonic() - started, started, problem=type(exc).__name__,
                            request_id=rid)
            outcomes.append(o)
            if rss_pid and len(outcomes) % rss_every == 0:
                rss.append((len(outcomes), rss_mb(rss_pid)))

    started = time.perf_counter()
    prober = HealthProber(url, health_interval).start()
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    wall = time.perf_counter() - started
    health, failures = prober.stop()
    if rss_pid:
        rss.append((len(outcomes), rss_mb(rss_pid)))
    return LoadResult(outcomes, health, failures, rss, wall)
