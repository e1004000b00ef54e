"""32 concurrent one-sentence requests through ``CoalescingTranslator`` vs the same 32 one by one.

    python -m benchmarks.bench_concurrency [--requests 32] [--backend ctranslate2] [--wait-ms 5]

Each request runs in its own thread (as FastAPI runs sync endpoints in a threadpool). The
engine is the OPUS-MT-sized random-weight model (see ``benchmarks.common``). Outputs run to
the length cap, which depends on each sentence's own length (bucketed), so coalesced and
one-by-one requests do the same decoding work and give the same outputs.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import load_sentences, machine_note, make_translator, opus_model_dir, timed
from translators.base import EngineInfo, Lang, ModelIdentity, Translation, Translator
from translators.coalesce import CoalescingTranslator


class _Counting:
    """Passes calls through, counting them and the texts in each."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner
        self.batches: list[list[str]] = []

    def supports(self, source: Lang, target: Lang) -> bool:
        return self.inner.supports(source, target)

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return self.inner.identity(source, target)

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return self.inner.describe(source, target)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        self.batches.append(list(texts))
        return self.inner.translate_batch(texts, source, target, alignment=alignment)


def concurrent(translator: Translator, sentences: list[str]) -> list[str]:
    results: list[str] = [""] * len(sentences)
    barrier = threading.Barrier(len(sentences))

    def one(i: int) -> None:
        barrier.wait()
        results[i] = translator.translate_batch([sentences[i]], "pl", "en")[0].text

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(sentences))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def decode_steps(engine: Any, calls: list[list[str]]) -> int:
    """Output token-steps the length caps allow for these calls (random weights run to them)."""
    m = engine.load("pl", "en")
    return sum(engine.options.output_cap(m.count_tokens(t), None) for texts in calls for t in texts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=1, help="alternate the two modes; report the best of each")
    ap.add_argument("--backend", choices=["ctranslate2", "transformers"], default="ctranslate2")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--wait-ms", type=float, default=5.0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model-dir", type=Path, default=None, help="default: the cached OPUS-sized model")
    args = ap.parse_args(argv)

    model_dir = args.model_dir or opus_model_dir()
    sentences = load_sentences(args.requests)
    engine = make_translator(args.backend, model_dir, device=args.device, compute_type=args.compute_type)
    engine.translate_batch(sentences[:2], "pl", "en")  # load, convert, warm up (not timed)
    print(f"model: {model_dir}/pl-en  backend: {args.backend}  requests: {len(sentences)}")
    print(machine_note())

    seq = conc = float("inf")
    for _ in range(args.rounds):
        one_by_one: list[str] = []
        seq = min(seq, timed(lambda out=one_by_one: out.extend(
            engine.translate_batch([s], "pl", "en")[0].text for s in sentences)))
        counting = _Counting(engine)
        coalescing = CoalescingTranslator(counting, wait_ms=args.wait_ms)
        together: list[str] = []
        conc = min(conc, timed(lambda c=coalescing, out=together: out.extend(concurrent(c, sentences))))
        print(f"  round: model calls of sizes {[len(b) for b in counting.batches]}")

    same = sum(a == b for a, b in zip(one_by_one, together, strict=True))
    work = decode_steps(engine, counting.batches) / decode_steps(engine, [[s] for s in sentences])
    print(f"one by one:          {seq:6.2f} s  ({len(sentences) / seq:6.2f} requests/s)")
    print(f"concurrent+coalesce: {conc:6.2f} s  ({len(sentences) / conc:6.2f} requests/s)")
    print(f"speed-up: {seq / conc:.2f}x   identical outputs: {same}/{len(sentences)}")
    print(f"decode work allowed by the length caps: coalesced = {work:.2f}x one-by-one")
    return 0


if __name__ == "__main__":
    sys.exit(main())
