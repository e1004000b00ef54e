"""Load, overload and fairness of a real `newsbridge serve` on loopback with tiny Marian models.

    python benchmarks/bench_load.py load [--requests 10000] [--clients 50]
    python benchmarks/bench_load.py overload [--clients 200] [--queue-chars 30000] [--timeout 20]
    python benchmarks/bench_load.py fairness [--article-kb 100] [--models tiny|opus] [--every 0.25]
                                             [--env NEWSBRIDGE_X=value ...]
    python benchmarks/bench_load.py jobs [--records 200000]

load: mixed pl/lt/en translate/summarize/detect requests; statuses, p50/p99, /healthz p50/p99
while loaded, RSS after the first and the last 1,000 requests (goal: 0 5xx, growth < 50 MB,
/healthz p99 < 50 ms). overload: long texts (3-6k chars) against a small queue; every request
must be answered 200, 503 + Retry-After or 504 within its deadline. fairness: p99 of one-sentence
requests while a large article translates, against their p99 on the idle server (goal <= 3x), and
the article's time with them against alone (its throughput may not fall by more than 10%). The
one-sentence requests go one after the other by default (a client that sends its next request as
soon as the last is answered: the most CPU they can take); ``--every S`` paces them, one every S
seconds at most, like an editor's (or a desk's) requests. jobs:
the same p99 while a large job runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks.common import StolenTime, cache_root, machine_note
from tests.loadgen import CORPUS, long_text, mixed_requests, percentile, rss_mb, run_load, summary
from tests.servers import Server

# A larger corpus of real sentences (Tatoeba files), when you have one: NEWSBRIDGE_BENCH_DATA=<folder>
DATA = Path(os.environ["NEWSBRIDGE_BENCH_DATA"]) if os.environ.get("NEWSBRIDGE_BENCH_DATA") else None


def serve(tmp: Path, **extra: str) -> Server:
    return Server(env(tmp, **extra), tmp / f"server-{time.monotonic_ns()}.log")


def tiny_models() -> Path:
    from translators.testing import build_marian

    root = cache_root() / "tiny-4pairs-v1"
    for seed, pair in enumerate(("pl-en", "en-pl", "lt-en", "en-lt")):
        if not (root / pair / "config.json").is_file():
            src, tgt = pair.split("-")
            lines = [(CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines() for lang in (src, tgt)]
            build_marian(root / pair, lines[0], lines[1], seed=seed, spm_vocab=300, max_length=24)
    return root


def env(tmp: Path, **extra: str) -> dict[str, str]:
    return {"NEWSBRIDGE_MODEL_DIR": str(tiny_models()), "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{tmp / 'c.db'}",
            "HF_HUB_OFFLINE": "1", "NEWSBRIDGE_LOG_LEVEL": "WARNING", "NEWSBRIDGE_PRELOAD": "true", **extra}


def bench_load(args: argparse.Namespace, tmp: Path) -> None:
    requests = mixed_requests(args.requests, seed=7, data=DATA)
    with serve(tmp) as server:
        rss_start = rss_mb(server.pid)
        result = asyncio.run(run_load(server.base, requests, clients=args.clients, rss_pid=server.pid,
                                      rss_every=1000, timeout=120))
    five = sum(n for s, n in result.statuses().items() if s >= 500 or s == 0)
    marks = dict(result.rss)
    first = marks.get(1000, result.rss[1][1] if len(result.rss) > 1 else float("nan"))
    last = result.rss[-1][1]
    print(f"load: {len(requests)} requests, {args.clients} clients, {result.wall:.0f} s "
          f"({len(requests) / result.wall:.1f} req/s); statuses {result.statuses()}; 5xx+unanswered {five}")
    print(f"  200 latency: {summary([o.seconds for o in result.outcomes if o.status == 200])}")
    print(f"  /healthz under load: {summary(result.health)}; failures {result.health_failures}")
    print(f"  RSS MB: start {rss_start:.0f}, after first 1000 {first:.0f}, end {last:.0f} "
          f"(growth first->last {last - first:+.0f} MB); samples {[round(r) for _, r in result.rss]}")


def bench_overload(args: argparse.Namespace, tmp: Path) -> None:
    rng = random.Random(3)
    requests = [("/v1/translate", {"text": long_text(rng.randint(3000, 6000), rng.choice(("pl", "lt")), seed=i,
                                                     data=DATA),
                                   "target_lang": "en"}) for i in range(args.clients * 2)]
    extra = {"NEWSBRIDGE_MAX_QUEUE_CHARS": str(args.queue_chars), "NEWSBRIDGE_REQUEST_TIMEOUT": str(args.timeout)}
    with serve(tmp, **extra) as server:
        result = asyncio.run(run_load(server.base, requests, clients=args.clients, timeout=args.timeout + 30))
        metrics = httpx.get(server.base + "/metrics").text
    late = [o for o in result.outcomes if o.seconds > args.timeout + 1]
    no_retry = [o for o in result.outcomes if o.status == 503 and not o.retry_after]
    counters = ("newsbridge_model", "newsbridge_dropped", "newsbridge_problems_total")
    calls = [x for x in metrics.splitlines() if x.startswith(counters)]
    print(f"overload: {len(requests)} requests of 3-6k chars, {args.clients} clients, queue {args.queue_chars} "
          f"chars, deadline {args.timeout:g} s: statuses {result.statuses()}; answered after the deadline+1 s: "
          f"{len(late)}; 503 without Retry-After: {len(no_retry)}")
    unanswered = Counter(o.problem for o in result.outcomes if o.status == 0)
    if unanswered:
        print(f"  unanswered: {dict(unanswered)}")
    print(f"  /healthz under overload: {summary(result.health)}; failures {result.health_failures}")
    for line in calls[:8]:
        print(f"  {line}")
    # The server's own view of each /v1/translate (from its arrival to its answer): the client
    # process, one event loop for all the clients, may itself be the bottleneck of the burst.
    buckets = {float(m.group(1)): float(m.group(2)) for m in re.finditer(
        r'newsbridge_request_seconds_bucket\{endpoint="/v1/translate",le="([0-9.]+)"\} ([0-9.]+)', metrics)}
    within = max((le for le in buckets if le <= args.timeout + 1), default=None)
    if within is not None:
        print(f"  server side: {buckets.get(0.1, 0):.0f} answered within 0.1 s, {buckets[within]:.0f} within "
              f"{within:g} s, of {len(requests)}")


def _shorts() -> list[str]:
    return [s for s in (CORPUS / "pl.txt").read_text(encoding="utf-8").splitlines() if s.strip()]


def _one_sentence_times(url: str, shorts: list[str], n: int, offset: int,
                        while_running: threading.Event | None = None, source: dict[str, str] | None = None,
                        every: float = 0.0) -> list[float]:
    """Seconds of ``n`` one-sentence requests, one after the other, each sent ``every`` seconds after
    the last was sent at the earliest (stops early once ``while_running`` clears)."""
    times: list[float] = []
    with httpx.Client(base_url=url, timeout=300) as c:
        for i in range(n):
            if while_running is not None and not while_running.is_set():
                break
            started = time.perf_counter()
            c.post("/v1/translate", json={"text": shorts[(offset + i) % len(shorts)], "target_lang": "en",
                                          **(source or {})}).raise_for_status()
            times.append(time.perf_counter() - started)
            time.sleep(max(0.0, every - times[-1]))
    return times


_POST_ARTICLE = """
import sys, time
import httpx
body = open(sys.argv[2], "rb").read()
started = time.perf_counter()
httpx.post(sys.argv[1], content=body, headers={"content-type": "application/json"}, timeout=900).raise_for_status()
print(time.perf_counter() - started)
"""


def bench_fairness(args: argparse.Namespace, tmp: Path) -> None:
    """In one server: the idle p99 of one-sentence requests; a 100 KB article alone (its time);
    the same article again while one-sentence requests are sent (their p99, the article's time)."""
    article = long_text(args.article_kb * 1000, "pl", seed=11, data=DATA)
    shorts = _shorts()
    extra = {"NEWSBRIDGE_MAX_CHARS": str(len(article) + 10), "NEWSBRIDGE_REQUEST_TIMEOUT": "600",
             "NEWSBRIDGE_CACHE_ENABLED": "false", **dict(e.split("=", 1) for e in args.env)}
    # opus: the OPUS-MT-sized model (random weights; pl-en only, so the source is given)
    source: dict[str, str] = {}
    if args.models == "opus":
        from benchmarks.common import opus_model_dir

        extra["NEWSBRIDGE_MODEL_DIR"], source["source_lang"] = str(opus_model_dir()), "pl"
    with serve(tmp, **extra) as server:
        _one_sentence_times(server.base, shorts, 5, 2 * args.n, source=source)  # warm-up: first detection etc.
        idle = _one_sentence_times(server.base, shorts, args.n, 0, source=source, every=args.every)

        article_file = tmp / "article.json"
        article_file.write_text(json.dumps({"text": article, "target_lang": "en", **source}), encoding="utf-8")

        def article_seconds() -> float:
            """The article from a client process of its own (a data desk's), as in production: in
            this process its 1-8 MB of request and response would take this process's GIL from
            the one-sentence client, and its delays would count as the server's."""
            done = subprocess.run([sys.executable, "-c", _POST_ARTICLE, server.base + "/v1/translate",
                                   str(article_file)], capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-2000:])
            return float(done.stdout.strip())

        alone = article_seconds()
        running = threading.Event()
        running.set()
        took: list[float] = []

        def long_one() -> None:
            took.append(article_seconds())
            running.clear()

        threading.Thread(target=long_one, daemon=True).start()
        _wait_until_admitted(server.base, len(article), running)  # from then on, the article is in the server
        busy = _one_sentence_times(server.base, shorts, 1_000_000, args.n,  # until the article is done
                                   while_running=running, source=source, every=args.every)
        while running.is_set():
            time.sleep(0.1)
    ratio = percentile(busy, 99) / percentile(idle, 99)
    pace = f"one every {args.every:g} s" if args.every else "back to back"
    print(f"fairness [{args.models} models; {' '.join(args.env) or 'defaults'}; short requests {pace}]: "
          f"idle {summary(idle)}; "
          f"while a {args.article_kb} KB "
          f"article translates {summary(busy)}; p99 ratio {ratio:.2f}x (goal <= 3x); article alone {alone:.1f} s, "
          f"with the short requests {took[0]:.1f} s (throughput {alone / took[0]:.0%} of alone) "
          f"[load avg {os.getloadavg()[0]:.1f}]")


def _wait_until_admitted(url: str, chars: int, running: threading.Event, timeout: float = 60.0) -> None:
    """Until the server holds most of ``chars`` characters of admitted work (its
    ``newsbridge_queue_chars``): the article's body is read, parsed and admitted, and its work
    begins (or it is done already)."""
    deadline = time.monotonic() + timeout
    while running.is_set() and time.monotonic() < deadline:
        m = re.search(r"^newsbridge_queue_chars (\S+)$", httpx.get(url + "/metrics", timeout=30).text, re.M)
        if m is not None and float(m.group(1)) >= chars / 2:
            return
        time.sleep(0.01)


def bench_jobs(args: argparse.Namespace, tmp: Path) -> None:
    """One-sentence requests while a job of ``--records`` records runs (cancelled after the measurement)."""
    shorts = _shorts()
    body = "".join(f'{{"id": "r{i}", "text": {json.dumps(shorts[i % len(shorts)] + f" ({i})")}}}\n'
                   for i in range(args.records))
    extra = {"NEWSBRIDGE_CACHE_ENABLED": "false", **dict(e.split("=", 1) for e in args.env)}
    with serve(tmp, **extra) as server:
        _one_sentence_times(server.base, shorts, 5, 2 * args.n)
        idle = _one_sentence_times(server.base, shorts, args.n, 0)
        r = httpx.post(server.base + "/v1/jobs", content=body.encode(), timeout=300,
                       headers={"content-type": "application/x-ndjson"})
        r.raise_for_status()
        url = server.base + r.headers["location"]
        while httpx.get(url, timeout=30).json()["counts"]["done"] == 0:
            time.sleep(0.2)
        started, done0 = time.perf_counter(), httpx.get(url, timeout=30).json()["counts"]["done"]
        busy = _one_sentence_times(server.base, shorts, args.n, args.n)
        status = httpx.get(url, timeout=30).json()
        rate = (status["counts"]["done"] - done0) / (time.perf_counter() - started)
        httpx.delete(url, timeout=30)
    ratio = percentile(busy, 99) / percentile(idle, 99)
    print(f"jobs: a {args.records}-record job running ({status['state']}, {rate:.0f} records/s meanwhile); "
          f"one-sentence requests idle {summary(idle)}, during the job {summary(busy)}; p99 ratio {ratio:.2f}x "
          f"[load avg {os.getloadavg()[0]:.1f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="which", required=True)
    p = sub.add_parser("load")
    p.add_argument("--requests", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=50)
    p = sub.add_parser("overload")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--queue-chars", type=int, default=30_000)
    p.add_argument("--timeout", type=float, default=20.0)
    p = sub.add_parser("fairness")
    p.add_argument("--article-kb", type=int, default=100)
    p.add_argument("-n", type=int, default=100,
                   help="one-sentence requests timed on the idle server (a p99 of fewer is their slowest one)")
    p.add_argument("--env", action="append", default=[], help="NEWSBRIDGE_X=value for the server (a choice to try)")
    p.add_argument("--models", choices=("tiny", "opus"), default="tiny",
                   help="tiny Marian models (four pairs), or the OPUS-MT-sized pl-en model (random weights)")
    p.add_argument("--every", type=float, default=0.0,
                   help="seconds between the one-sentence requests' starts (default 0: back to back)")
    p = sub.add_parser("jobs")
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("-n", type=int, default=30)
    p.add_argument("--env", action="append", default=[], help="NEWSBRIDGE_X=value for the server")
    args = parser.parse_args()
    print(machine_note())
    import tempfile

    stolen = StolenTime()
    with tempfile.TemporaryDirectory() as tmp:
        {"load": bench_load, "overload": bench_overload, "fairness": bench_fairness,
         "jobs": bench_jobs}[args.which](args, Path(tmp))
    print(stolen.note())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
