"""What word links cost, and whether both backends agree on confidence.

    python -m benchmarks.bench_alignment [--sentences 96] [--rounds 2] [--backends ctranslate2 transformers]
                                         [--agreement 200]

*Cost*: the same Polish sentences (benchmarks/data/pl96.txt) translated by the OPUS-MT-sized
random-weight model (``common.opus_model_dir``), with ``alignment=False`` and ``alignment=True``
in alternation, ``rounds`` times each, on one backend at a time; throughput of each and the ratio,
from one run, and a check that every translation is the same either way.

With ``--model-dir`` (say, the copy model), corpus sentences through that model instead: a tiny
model whose outputs are real sentences, so the word-link work is the largest share it can be.

*Agreement*: ``--agreement N`` sentences (tests/fixtures/tatoeba_pl_en_240.tsv, then the corpus)
through a tiny random-weight Marian model (as tests/conftest.py builds) on both backends with
greedy decoding and CTranslate2 in float32: the largest and mean difference of
``Translation.score`` (``translation_confidence``) where the texts are the same.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import FIXTURE, ROOT, load_sentences, machine_note, make_translator, opus_model_dir
from translators.base import Translation


def cost(backend: str, sentences: list[str], rounds: int, model_dir: Path | None = None) -> None:
    tr = make_translator(backend, model_dir or opus_model_dir())
    tr.translate_batch(sentences[:4], "pl", "en", alignment=True)  # load and warm up
    plain_s: list[float] = []
    linked_s: list[float] = []
    plain: list[Translation] = []
    linked: list[Translation] = []
    for _ in range(rounds):
        started = time.perf_counter()
        plain = tr.translate_batch(sentences, "pl", "en")
        plain_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        linked = tr.translate_batch(sentences, "pl", "en", alignment=True)
        linked_s.append(time.perf_counter() - started)
    same = sum(a.text == b.text for a, b in zip(plain, linked, strict=True))
    links = sum(len(t.alignment or ()) for t in linked)
    p, q = statistics.median(plain_s), statistics.median(linked_s)
    print(f"{backend}: {len(sentences)} sentences, median of {rounds}: plain {len(sentences) / p:.1f} sentences/s, "
          f"with alignment {len(sentences) / q:.1f} sentences/s; alignment costs {q / p:.2f}x the time "
          f"({len(sentences) / q / (len(sentences) / p):.0%} of the throughput); same translations {same}/"
          f"{len(sentences)}; {links} word links")


def agreement(n: int, model_dir: Path | None = None) -> None:
    from translators.ct2 import CTranslate2Translator
    from translators.marian import DecodeOptions, MarianTranslator
    from translators.testing import build_marian

    rows = [line.split("\t") for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    corpus = ROOT / "tests" / "fixtures" / "corpus"
    pl = [r[0] for r in rows] + (corpus / "pl.txt").read_text(encoding="utf-8").splitlines()
    en = [r[1] for r in rows] + (corpus / "en.txt").read_text(encoding="utf-8").splitlines()
    sentences = [s for s in dict.fromkeys(pl) if s.strip()][:n]
    root = model_dir or Path(tempfile.mkdtemp(prefix="bench-agreement-"))
    if model_dir is None:
        build_marian(root / "pl-en", pl, en, seed=0, spm_vocab=300, max_length=24)
    options = DecodeOptions(num_beams=1)
    a = MarianTranslator(root, device="cpu", options=options).translate_batch(sentences, "pl", "en")
    b = CTranslate2Translator(root, device="cpu", options=options, compute_type="float32").translate_batch(
        sentences, "pl", "en")
    pairs = [(x.score, y.score) for x, y in zip(a, b, strict=True) if x.text == y.text]
    diffs = [abs(x - y) for x, y in pairs if x is not None and y is not None]
    what = f"the model of {model_dir}" if model_dir else "tiny random-weight model"
    print(f"agreement: {len(sentences)} sentences, {what}, greedy, CTranslate2 float32: same text "
          f"{len(pairs)}/{len(sentences)}; |confidence difference| max {max(diffs):.5f}, mean "
          f"{statistics.mean(diffs):.5f}; within 0.02: {sum(d < 0.02 for d in diffs)}/{len(diffs)}; confidence "
          f"range {min(x for x, _ in pairs):.3f}-{max(x for x, _ in pairs):.3f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=96)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--backends", nargs="*", default=["ctranslate2", "transformers"])
    ap.add_argument("--agreement", type=int, default=200)
    ap.add_argument("--model-dir", type=Path, default=None, help=(
        "another NEWSBRIDGE_MODEL_DIR for the cost (e.g. the copy model of tests/conftest.py, whose outputs are "
        "real sentences); its input is then tests/fixtures/corpus/pl.txt"))
    args = ap.parse_args(argv)
    print(machine_note())
    sentences = load_sentences(args.sentences)
    if args.model_dir is not None:
        lines = (ROOT / "tests" / "fixtures" / "corpus" / "pl.txt").read_text(encoding="utf-8").splitlines()
        sentences = [s for s in lines if 20 < len(s) <= 140][:args.sentences]
    for backend in args.backends:
        cost(backend, sentences, args.rounds, args.model_dir)
    if args.agreement:
        agreement(args.agreement)
        if args.model_dir is not None:
            agreement(args.agreement, args.model_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
