"""CTranslate2 (int8) vs transformers (fp32) on the same OPUS-MT-sized Marian weights.

    python -m benchmarks.bench_backends [--sentences 96] [--batch-size 16] [--latency 8]

Both engines get the same 96 real Polish sentences, the model's own beam size (4, as OPUS-MT)
and the same output cap (``max_length_ratio`` * input tokens + 16). The weights are random, so
most outputs run to that cap on both engines: the work is the same, the comparison fair, and
the absolute numbers pessimistic (real translations stop earlier). Figures come from one run
on one input; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    load_sentences,
    machine_note,
    make_translator,
    median_latency,
    opus_model_dir,
    timed,
)
from translators.base import Translator


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--latency", type=int, default=8, help="one-sentence requests timed for latency")
    ap.add_argument("--engines", default="transformers,ctranslate2:int8",
                    help="comma-separated; the first is the baseline of the ratios "
                         "(e.g. transformers,ctranslate2:int8,ctranslate2:float32)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model-dir", type=Path, default=None, help="default: the cached OPUS-sized model")
    args = ap.parse_args(argv)

    model_dir = args.model_dir or opus_model_dir()
    sentences = load_sentences(args.sentences)
    print(f"model: {model_dir}/pl-en  sentences: {len(sentences)}  batch: {args.batch_size}")
    print(machine_note())
    engines: dict[str, Translator] = {}
    for spec in args.engines.split(","):
        backend, _, compute_type = spec.strip().partition(":")
        compute_type = compute_type or ("int8" if backend == "ctranslate2" else "fp32")
        engines[f"{backend} {compute_type}"] = make_translator(
            backend, model_dir, device=args.device, batch_size=args.batch_size, compute_type=compute_type)
    throughput: dict[str, float] = {}
    latency: dict[str, float] = {}
    for name, engine in engines.items():
        engine.translate_batch(sentences[:2], "pl", "en")  # load, convert, warm up (not timed)
        outputs: list[str] = []
        seconds = timed(lambda e=engine, out=outputs: out.extend(
            t.text for t in e.translate_batch(sentences, "pl", "en")))
        throughput[name] = len(sentences) / seconds
        latency[name] = median_latency(engine, sentences[: args.latency])
        chars = sum(map(len, outputs)) / len(outputs)
        print(f"{name:>22}: {throughput[name]:6.2f} sentences/s ({seconds:.1f} s)  "
              f"one-sentence latency (median of {args.latency}): {latency[name] * 1000:7.0f} ms  "
              f"mean output {chars:.0f} chars")
    base, *others = list(engines)
    for other in others:
        print(f"{other} vs {base}: throughput {throughput[other] / throughput[base]:.2f}x, "
              f"one-sentence latency {latency[base] / latency[other]:.2f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
