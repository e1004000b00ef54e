"""``newsbridge batch``: peak memory against archive size, and records/s of the local and Ray engines.

    python -m benchmarks.bench_batch memory --sizes 10000 200000 [--backend echo]
    python -m benchmarks.bench_batch speed --records 2000 --backend tiny --workers 2

Archives are generated (JSONL, Polish and Lithuanian sentences from the test corpus, two per
record, one record in ten a repeat). Each run is a fresh subprocess that reports its own peak
RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) and its rate. ``--backend echo`` is the
``EchoTranslator`` (orchestration, cache and I/O only); ``tiny`` a tiny real Marian model per
pair (``build_marian``). The SQLite cache is on (a fresh file per run) unless ``--no-cache``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "corpus"


def generate(path: Path, n: int) -> Path:
    pl = (CORPUS / "pl.txt").read_text(encoding="utf-8").splitlines()
    lt = (CORPUS / "lt.txt").read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            k = i - 7 if i % 10 == 9 else i  # every tenth record repeats an earlier one
            src = lt if k % 3 == 0 else pl
            text = f"{src[k % len(src)]} {src[(k * 7 + 3) % len(src)]} ({k // len(src)})"
            f.write(json.dumps({"id": f"r{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def tiny_models(root: Path) -> Path:
    from translators.testing import build_marian

    for seed, pair in enumerate(("pl-en", "lt-en")):
        if (root / pair / "config.json").is_file():
            continue
        src, tgt = pair.split("-")
        build_marian(root / pair, (CORPUS / f"{src}.txt").read_text(encoding="utf-8").splitlines(),
                     (CORPUS / f"{tgt}.txt").read_text(encoding="utf-8").splitlines(), seed=seed, spm_vocab=300,
                     max_length=16, num_beams=1)
    return root


def echo_engines() -> object:  # pickled into Ray actors (by value from __main__)
    from service.engines import build_engines
    from service.settings import Settings
    from translators.testing import EchoTranslator

    return build_engines(Settings(), backend=EchoTranslator(), coalesce=False)


def child(args: argparse.Namespace) -> None:
    """One batch run in this process; prints a JSON line with its figures."""
    from service.batch.runner import BatchOptions, default_engines, run_batch

    factory = echo_engines if args.backend == "echo" else default_engines
    options = BatchOptions(args.input, args.output, engine=args.engine, workers=args.workers,
                           batch_records=args.batch_records, progress="none")
    start = time.perf_counter()
    report = run_batch(options, factory)
    seconds = time.perf_counter() - start
    print(json.dumps({"records": report.records, "errors": report.errors, "seconds": round(seconds, 2),
                      "records_per_s": round(report.records / seconds, 1),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


def run_child(tmp: Path, archive: Path, *, backend: str, engine: str, workers: int, batch_records: int,
              cache: bool, model_dir: Path | None) -> dict:
    out = tmp / f"out-{archive.stem}-{engine}-{time.monotonic_ns()}.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
           "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{out}.cache.db", "NEWSBRIDGE_CACHE_ENABLED": str(cache).lower()}
    if model_dir is not None:
        env["NEWSBRIDGE_MODEL_DIR"] = str(model_dir)
    cmd = [sys.executable, "-m", "benchmarks.bench_batch", "_child", str(archive), str(out), "--backend", backend,
           "--engine", engine, "--workers", str(workers), "--batch-records", str(batch_records)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"batch run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("memory", "speed"):
        p = sub.add_parser(name)
        p.add_argument("--backend", choices=("echo", "tiny"), default="echo" if name == "memory" else "tiny")
        p.add_argument("--batch-records", type=int, default=64)
        p.add_argument("--no-cache", action="store_true")
        p.add_argument("--workers", type=int, default=2)
    sub.choices["memory"].add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
    sub.choices["speed"].add_argument("--records", type=int, default=2000)
    c = sub.add_parser("_child")
    c.add_argument("input")
    c.add_argument("output")
    c.add_argument("--backend", default="echo")
    c.add_argument("--engine", default="local")
    c.add_argument("--workers", type=int, default=1)
    c.add_argument("--batch-records", type=int, default=64)
    args = parser.parse_args()
    if args.cmd == "_child":
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as d:
        tmp = Path(d)
        model_dir = tiny_models(tmp / "models") if args.backend == "tiny" else None
        common = {"backend": args.backend, "batch_records": args.batch_records, "cache": not args.no_cache,
                  "model_dir": model_dir}
        if args.cmd == "memory":
            for n in args.sizes:
                archive = generate(tmp / f"archive-{n}.jsonl", n)
                r = run_child(tmp, archive, engine="local", workers=1, **common)
                print(f"{n:>8} records  peak RSS {r['peak_rss_mib']:>7.1f} MiB  {r['records_per_s']:>8.1f} rec/s  "
                      f"({args.backend} backend, cache {'on' if not args.no_cache else 'off'})", flush=True)
        else:
            archive = generate(tmp / f"archive-{args.records}.jsonl", args.records)
            for engine, workers in (("local", 1), ("ray", args.workers)):
                r = run_child(tmp, archive, engine=engine, workers=workers, **common)
                print(f"{engine:>5} x{workers}  {r['records']} records in {r['seconds']:.1f} s  "
                      f"{r['records_per_s']:.1f} rec/s  (driver peak RSS {r['peak_rss_mib']:.0f} MiB, "
                      f"{args.backend} backend)", flush=True)


if __name__ == "__main__":
    main()
