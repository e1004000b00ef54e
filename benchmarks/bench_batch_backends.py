"""End to end through ``newsbridge batch``: CTranslate2 vs transformers on the same OPUS-MT-sized weights.

    python benchmarks/bench_batch_backends.py [--sentences 96]

Each backend runs ``newsbridge batch`` as its own process on the same JSONL of real Polish
sentences, with a fresh SQLite cache (so every sentence reaches the model), the model's own
beam size (4) and the same output cap. The CTranslate2 conversion is made once before timing
(it is cached next to the model on first use). Wall time includes process start and model
loading: what a data desk would see. Goal: CTranslate2 >= 3x faster.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, load_sentences, machine_note, opus_model_dir


def run_batch(backend: str, model_dir: Path, archive: Path, out_dir: Path) -> tuple[float, int]:
    env = dict(os.environ, NEWSBRIDGE_BACKEND=backend, NEWSBRIDGE_MODEL_DIR=str(model_dir),
               NEWSBRIDGE_DATABASE_URL=f"sqlite:///{out_dir / f'{backend}.db'}", HF_HUB_OFFLINE="1",
               NEWSBRIDGE_LOG_LEVEL="WARNING")
    output = out_dir / f"{backend}.jsonl"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "service.cli", "batch", str(archive), "--output", str(output),
                    "--source-lang", "pl", "--target-lang", "en", "--no-progress"], env=env, cwd=ROOT, check=True)
    seconds = time.perf_counter() - started
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert all("error" not in r for r in records), "batch reported errors"
    return seconds, len(records)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=96)
    args = ap.parse_args(argv)
    from translators.ct2 import convert_pair

    model_dir = opus_model_dir()
    convert_pair("pl-en", model_dir, "int8")  # once, cached; not part of the timing
    sentences = load_sentences(args.sentences)
    print(machine_note())
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        archive = out_dir / "pl.jsonl"
        archive.write_text("".join(json.dumps({"id": f"s{i}", "text": s}, ensure_ascii=False) + "\n"
                                   for i, s in enumerate(sentences)), encoding="utf-8")
        seconds = {}
        for backend in ("transformers", "ctranslate2"):
            seconds[backend], n = run_batch(backend, model_dir, archive, out_dir)
            print(f"{backend:13} {n} records in {seconds[backend]:6.1f} s = {n / seconds[backend]:5.2f} records/s")
    ratio = seconds["transformers"] / seconds["ctranslate2"]
    print(f"ratio: ctranslate2 int8 is {ratio:.1f}x faster end to end than transformers fp32 (goal >= 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
