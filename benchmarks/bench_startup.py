"""First use of `newsbridge serve` on default settings: start-up, first request, memory, torch.

    python benchmarks/bench_startup.py [--pairs pl-en,en-pl,lt-en,en-lt] [--env NEWSBRIDGE_X=value]
                                       [--restarts 8]

Two runs on one copy of the tiny Marian models (the tests' recipe; by default all four direct
pairs, so that no pair is looked up on the hub): a **cold** start (the model folders as a download
leaves them: nothing converted yet, a new database) and a **warm** start, a restart (whatever the
cold run left on disk: the converted models, the database at its schema). For each: seconds
until ``/healthz`` answers, until ``/readyz`` answers 200 (past ``starting``), the first
translation's latency (sent as soon as ``/healthz`` answers, like a client that does not wait
for readiness), the process's RSS after it, and whether libtorch is mapped into the server.
Only ``NEWSBRIDGE_MODEL_DIR`` and ``NEWSBRIDGE_DATABASE_URL`` are set: everything else is the default.

Then ``--restarts`` more restarts with no request at all, timed to ``/healthz`` and to ``/readyz``
200 (the start-up goal: ready within 2 s when the models are converted): one start says little on
a shared machine, so their median, fastest and slowest, and the CPU time the host stole meanwhile.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks.common import StolenTime, machine_note
from tests.loadgen import CORPUS, rss_mb

ROOT = Path(__file__).resolve().parents[1]
FIRST = {"pl": "Premier zwołał posiedzenie rządu.", "en": "The prime minister called a cabinet meeting.",
         "lt": "Premjeras sušaukė vyriausybės posėdį."}


def build_models(root: Path, pairs: list[str]) -> Path:
    from translators.testing import build_marian

    for seed, pair in enumerate(pairs):
        src, tgt = pair.split("-")
        lines = [(CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines() for lang in (src, tgt)]
        build_marian(root / pair, lines[0], lines[1], seed=seed, spm_vocab=300, max_length=24,
                     prefix=">>pol<< " if tgt == "pl" else None)
    return root


def libtorch_mapped(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def one_start(models: Path, workdir: Path, pairs: list[str], label: str,
              extra: dict[str, str]) -> dict[str, object]:
    log = (workdir / f"{label}.log").open("wb")
    proc, base, started = _launch(models, workdir, extra, log)
    out: dict[str, object] = {}
    try:
        with httpx.Client(base_url=base, timeout=120) as c:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError((workdir / f"{label}.log").read_text()[-3000:])
                try:
                    if c.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.02)
            out["healthz_s"] = time.perf_counter() - started
            src, tgt = pairs[0].split("-")
            t0 = time.perf_counter()
            r = c.post("/v1/translate", json={"text": FIRST[src], "source_lang": src, "target_lang": tgt})
            out["first_request_s"] = time.perf_counter() - t0
            out["first_status"] = r.status_code
            if r.status_code != 200:
                out["first_problem"] = r.json().get("type")
                while c.post("/v1/translate", json={"text": FIRST[src], "source_lang": src,
                                                    "target_lang": tgt}).status_code != 200:
                    time.sleep(0.2)
                out["first_200_s"] = time.perf_counter() - t0
            # ready: past `starting` (200; `degraded` when pairs without a folder here, e.g. lt-en
            # offline, failed: they are named in models_failed, the others serve)
            while (ready := c.get("/readyz")).status_code != 200:
                time.sleep(0.02)
            out["ready_status"] = ready.json().get("status")
            out["ready_s"] = time.perf_counter() - started
            time.sleep(1.0)  # idle after the first request
            out["rss_mb"] = rss_mb(proc.pid)
            out["libtorch"] = libtorch_mapped(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
    return out


def restart(models: Path, workdir: Path, extra: dict[str, str]) -> tuple[float, float]:
    """Seconds from launch to ``/healthz`` 200 and to ``/readyz`` 200 of one more restart on the
    same folders (no request: nothing but the probes competes with the start-up)."""
    proc, base, started = _launch(models, workdir, extra, subprocess.DEVNULL)
    healthz = None
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"newsbridge serve exited {proc.returncode}")
                try:
                    if healthz is None and c.get("/healthz").status_code == 200:
                        healthz = time.perf_counter() - started
                    if healthz is not None and c.get("/readyz").status_code == 200:
                        return healthz, time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _launch(models: Path, workdir: Path, extra: dict[str, str],
            output: Any) -> tuple[subprocess.Popen[bytes], str, float]:
    """``newsbridge serve`` on a free port with only the model folder and the database set (and
    ``extra``): the process, its base URL, and ``time.perf_counter()`` at its launch."""
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSBRIDGE_")}, "PYTHONPATH": str(ROOT),
           "HF_HUB_OFFLINE": "1", "NEWSBRIDGE_MODEL_DIR": str(models),
           "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{workdir / 'newsbridge.db'}", **extra}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=workdir)
    return proc, f"http://127.0.0.1:{port}", started


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", default="pl-en,en-pl,lt-en,en-lt",
                    help="model folders to create (the first is requested)")
    ap.add_argument("--env", action="append", default=[], help="NEWSBRIDGE_X=value to set (default: none)")
    ap.add_argument("--restarts", type=int, default=8, help="more restarts, timed without requests")
    args = ap.parse_args()
    pairs = args.pairs.split(",")
    settings = dict(e.split("=", 1) for e in args.env)
    print(machine_note(), "; settings:", " ".join(args.env) or "defaults")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = build_models(work / "models", pairs)
        for label in ("cold", "warm"):
            r = one_start(models, work, pairs, label, settings)
            extra = f" ({r['first_problem']}; first 200 after {r['first_200_s']:.2f} s)" if "first_problem" in r \
                else ""
            print(f"{label}: /healthz after {r['healthz_s']:.2f} s, /readyz 200 ({r['ready_status']}) after "
                  f"{r['ready_s']:.2f} s; "
                  f"first request {r['first_request_s']:.2f} s -> {r['first_status']}{extra}; "
                  f"RSS after it {r['rss_mb']:.0f} MB; libtorch mapped: {r['libtorch']}  "
                  f"[load avg {os.getloadavg()[0]:.1f}]")
        if args.restarts:
            stolen = StolenTime()
            times = [restart(models, work, settings) for _ in range(args.restarts)]
            ready = sorted(r for _, r in times)
            healthz = statistics.median(h for h, _ in times)
            print(f"{args.restarts} restarts (no request): /healthz median {healthz:.2f} s; "
                  f"/readyz 200 median {statistics.median(ready):.2f} s "
                  f"(fastest {ready[0]:.2f}, slowest {ready[-1]:.2f}; within 2 s: "
                  f"{sum(r <= 2.0 for r in ready)} of {len(ready)}); {stolen.note()}")
        shutil.rmtree(models, ignore_errors=True)


if __name__ == "__main__":
    main()
