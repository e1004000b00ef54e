"""``newsbridge batch``: local vs Ray engines, model loads, memory against archive size, driver ceiling.

    newsbridge bench batch                      # all three parts below, in one run
    newsbridge bench batch speed --records 2000 # local, Ray 1 actor, Ray 2 actors, same archive
    newsbridge bench batch memory --sizes 10000 200000 [--engine ray]
    newsbridge bench batch driver --records 50000

Archives are generated (JSONL, Polish and Lithuanian sentences from the test corpus, two per
record, one record in ten a repeat). Each run is a fresh subprocess that reports its rate (end
to end, Ray start and model loads included, and steady: from the first chunk written to the
end), its model loads, the driver's peak RSS (``getrusage``) and the largest Ray actor's.
``speed`` uses a tiny real Marian model per pair (``build_marian``); ``memory`` the
``EchoTranslator`` (the streaming machinery, not a model: 200,000 records run in minutes);
``driver`` a no-op engine (what the driver alone can read, order and write). The SQLite cache is
on (a fresh file per run) unless ``--no-cache``.
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
from collections.abc import Iterable, Iterator
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


def echo_engines(settings: object) -> object:  # pickled into Ray actors (by reference: benchmarks.bench_batch)
    from service.engines import build_engines
    from translators.testing import EchoTranslator

    return build_engines(settings, backend=EchoTranslator(), coalesce=False)  # type: ignore[arg-type]


class NoopEngine:
    """Maps each record to a small line without translating: the driver's own ceiling."""

    def map_chunks(self, chunks: Iterable[list]) -> Iterator[list]:
        from service.batch.chunks import Outcome

        for chunk in chunks:
            yield [Outcome(json.dumps({"id": r.id, "line": r.line}), False) for r in chunk]

    def collect_stats(self) -> object:
        from service.batch.chunks import EngineStats

        return EngineStats(actors=0)

    def close(self) -> None:
        pass


def child(args: argparse.Namespace) -> None:
    """One batch run in this process; prints a JSON line with its figures."""
    from service.batch.chunks import batch_engines
    from service.batch.runner import BatchOptions, run_batch
    from service.settings import Settings

    factory = echo_engines if args.backend == "echo" else batch_engines
    options = BatchOptions(args.input, args.output, engine="local" if args.engine == "noop" else args.engine,
                           workers=args.workers, batch_records=args.batch_records, progress="none")
    first: list[tuple[float, int]] = []

    def on_progress(done: int, errors: int) -> bool:
        if not first:
            first.append((time.perf_counter(), done))
        return True

    start = time.perf_counter()
    report = run_batch(options, factory, settings=Settings(), on_progress=on_progress,  # type: ignore[arg-type]
                       engine=NoopEngine() if args.engine == "noop" else None)  # type: ignore[arg-type]
    end = time.perf_counter()
    t0, n0 = first[0] if first else (start, 0)
    print(json.dumps({"records": report.records, "errors": report.errors, "seconds": round(end - start, 2),
                      "records_per_s": round(report.records / (end - start), 1),
                      "steady_per_s": round((report.records - n0) / max(end - t0, 1e-9), 1),
                      "model_loads": report.engine.model_loads, "actors": report.engine.actors,
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "worker_rss_mib": report.engine.worker_peak_rss_mib}))


def run_child(tmp: Path, archive: Path, *, backend: str, engine: str, workers: int, batch_records: int,
              cache: bool, model_dir: Path | None) -> dict:
    out = tmp / f"out-{archive.stem}-{engine}-{time.monotonic_ns()}.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "NEWSBRIDGE_LOG_LEVEL": "WARNING",
           "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{out}.cache.db", "NEWSBRIDGE_CACHE_ENABLED": str(cache).lower()}
    if model_dir is not None:
        env["NEWSBRIDGE_MODEL_DIR"] = str(model_dir)
    cmd = [sys.executable, "-m", "benchmarks.bench_batch", "_child", str(archive), str(out), "--backend", backend,
           "--engine", engine, "--workers", str(workers), "--batch-records", str(batch_records)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"batch run failed:\n{done.stderr[-3000:]}")
    out.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def speed(tmp: Path, records: int, common: dict) -> None:
    archive = generate(tmp / f"archive-{records}.jsonl", records)
    common = {**common, "backend": "tiny", "model_dir": tiny_models(tmp / "models")}
    print(f"speed: {records} records, tiny real Marian models (pl-en, lt-en), same archive for each run", flush=True)
    local = None
    for engine, workers in (("local", 1), ("ray", 1), ("ray", 2)):
        r = run_child(tmp, archive, engine=engine, workers=workers, **common)
        local = local or r
        print(f"  {engine:>5} x{workers}: {r['records_per_s']:7.1f} rec/s end to end ({r['seconds']:.1f} s), "
              f"{r['steady_per_s']:7.1f} rec/s steady; {r['model_loads']} model loads in {r['actors']} "
              f"process(es); ratio to local {r['records_per_s'] / local['records_per_s']:.2f} end to end, "
              f"{r['steady_per_s'] / local['steady_per_s']:.2f} steady", flush=True)


def memory(tmp: Path, sizes: list[int], engine: str, common: dict) -> None:
    print(f"memory: {engine} engine, Echo backend (streaming machinery, no model)", flush=True)
    base = None
    for n in sizes:
        archive = generate(tmp / f"archive-{n}.jsonl", n)
        r = run_child(tmp, archive, engine=engine, workers=2 if engine == "ray" else 1,
                      **{**common, "backend": "echo", "model_dir": None})
        base = base or r
        worker = f", largest actor {r['worker_rss_mib']:.1f} MiB" if engine == "ray" else ""
        print(f"  {n:>8} records: driver peak RSS {r['peak_rss_mib']:7.1f} MiB{worker} "
              f"(x{r['peak_rss_mib'] / base['peak_rss_mib']:.3f} of the first), {r['records_per_s']:.1f} rec/s",
              flush=True)
        archive.unlink()


def driver(tmp: Path, records: int, common: dict) -> None:
    archive = generate(tmp / f"archive-{records}.jsonl", records)
    r = run_child(tmp, archive, engine="noop", workers=1, **{**common, "backend": "echo", "model_dir": None})
    print(f"driver: no-op engine, {records} records: {r['records_per_s']:.0f} rec/s read, ordered and written "
          f"(the ceiling of one driver, whatever the cluster)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd")
    for name in ("all", "speed", "memory", "driver"):
        p = sub.add_parser(name)
        p.add_argument("--batch-records", type=int, default=64)
        p.add_argument("--no-cache", action="store_true")
        p.add_argument("--records", type=int, default=2000 if name != "driver" else 50_000)
        p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
        p.add_argument("--engine", choices=("local", "ray"), default="ray")
    c = sub.add_parser("_child")
    c.add_argument("input")
    c.add_argument("output")
    c.add_argument("--backend", default="echo")
    c.add_argument("--engine", default="local")
    c.add_argument("--workers", type=int, default=1)
    c.add_argument("--batch-records", type=int, default=64)
    args = parser.parse_args(sys.argv[1:] or ["all"])
    if args.cmd == "_child":
        child(args)
        return
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as d:
        tmp = Path(d)
        common = {"batch_records": args.batch_records, "cache": not args.no_cache}
        if args.cmd in ("all", "speed"):
            speed(tmp, args.records, common)
        if args.cmd in ("all", "driver"):
            driver(tmp, 50_000 if args.cmd == "all" else args.records, common)
        if args.cmd in ("all", "memory"):
            memory(tmp, args.sizes, args.engine, common)


if __name__ == "__main__":
    main()
