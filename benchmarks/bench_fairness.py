"""Fairness: how long a one-sentence request waits while a long article of the same pair is
being translated, against the same request on an idle engine — in one run, for the fair
coalescer (chunks of ``--max-texts``) and for first-come-first-served whole requests (what
the coalescer did before: the article went to the model in one call).

    python -m benchmarks.bench_fairness [--article 1000] [--shorts 10] [--max-texts 64]

Model: a tiny random-weight Marian pl-en built here (tests' recipe), so it runs anywhere in
seconds; the ratio, not the absolute time, is the figure.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from translators.cancellation import CancelToken, bind
from translators.coalesce import CoalescingTranslator
from translators.marian import DecodeOptions, MarianTranslator
from translators.testing import build_marian

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "corpus"


def _model(root: Path) -> Path:
    pl = (CORPUS / "pl.txt").read_text(encoding="utf-8").splitlines()
    en = (CORPUS / "en.txt").read_text(encoding="utf-8").splitlines()
    build_marian(root / "pl-en", pl, en, spm_vocab=300, max_length=16, num_beams=1)
    return root


def _short_latency(tr: CoalescingTranslator, text: str) -> float:
    start = time.perf_counter()
    with bind(CancelToken("short")):
        tr.translate_batch([text], "pl", "en")
    return time.perf_counter() - start


def measure(tr: CoalescingTranslator, article: list[str], shorts: list[str]) -> tuple[float, float, float]:
    """(median idle latency, median latency during the article, the article's own time)."""
    idle = statistics.median(_short_latency(tr, s) for s in shorts)
    took: list[float] = []

    def run_article() -> None:
        start = time.perf_counter()
        with bind(CancelToken("article")):
            tr.translate_batch(article, "pl", "en")
        took.append(time.perf_counter() - start)

    thread = threading.Thread(target=run_article)
    thread.start()
    time.sleep(0.2)  # the article is in the model
    busy = []
    for s in shorts:
        if not thread.is_alive():
            break
        busy.append(_short_latency(tr, s))
    thread.join()
    return idle, statistics.median(busy) if busy else float("nan"), took[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--article", type=int, default=1000, help="sentences in the long article")
    ap.add_argument("--shorts", type=int, default=10, help="one-sentence requests measured")
    ap.add_argument("--max-texts", type=int, default=64, help="texts per model call (the service: 4 x batch size)")
    args = ap.parse_args()
    pl = [s for s in (CORPUS / "pl.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
    article = [f"{pl[i % len(pl)]} ({i})" for i in range(args.article)]
    shorts = [pl[i % len(pl)] for i in range(args.shorts)]
    with tempfile.TemporaryDirectory() as tmp:
        backend = MarianTranslator(_model(Path(tmp)), device="cpu", options=DecodeOptions(batch_size=16))
        backend.translate_batch(["Rozgrzewka."], "pl", "en")  # load once
        setups = {"fair (chunks)": CoalescingTranslator(backend, wait_ms=0, max_texts=args.max_texts),
                  "whole requests (FIFO)": CoalescingTranslator(backend, wait_ms=0, max_texts=10**9,
                                                                max_chars=10**12)}
        print(f"article: {args.article} sentences; {args.shorts} one-sentence requests; tiny pl-en model, CPU")
        for name, tr in setups.items():
            idle, busy, article_s = measure(tr, article, shorts)
            print(f"{name:>22}: idle median {idle * 1000:7.1f} ms, during the article {busy * 1000:8.1f} ms "
                  f"(ratio {busy / idle:6.1f}x); article took {article_s:.2f} s; "
                  f"model calls {tr.stats.model_calls}")


if __name__ == "__main__":
    main()
