"""Shared benchmark helpers: the OPUS-MT-sized stand-in model, the input, the translators.

The model is ``build_marian(size="opus")`` (d_model 512, 6+6 layers, vocab ~58k, ~74M
parameters, random weights) with a SentencePiece vocabulary trained on real Polish/English
Tatoeba lines and OPUS-MT's beam size (4). It is built once (about a minute) and cached under
``$NEWSBRIDGE_BENCH_CACHE`` (default ``~/.cache/newsbridge-bench/``).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from translators.base import Translator
from translators.marian import DecodeOptions
from translators.user_cache import publish_folder

HERE = Path(__file__).parent
ROOT = HERE.parent
PL96 = HERE / "data" / "pl96.txt"
# A folder of Tatoeba v2021-08-07 files (tatoeba.v2021-08-07.eng-pol.pol, ...) when you have one; the
# benchmarks fall back to the repository's fixtures without it (docs/benchmarks.md says which).
TATOEBA = Path(os.environ.get("NEWSBRIDGE_BENCH_DATA", HERE / "data" / "tatoeba"))
FIXTURE = ROOT / "tests" / "fixtures" / "tatoeba_pl_en_240.tsv"
MODEL_TAG = "opus-pl-en-v1"  # bump when the build recipe below changes


def cache_root() -> Path:
    return Path(os.environ.get("NEWSBRIDGE_BENCH_CACHE", Path.home() / ".cache" / "newsbridge-bench"))


def load_sentences(n: int = 96) -> list[str]:
    """The benchmark input: real Polish Tatoeba sentences of 8-30 words (see data/README.md)."""
    lines = [s for s in PL96.read_text(encoding="utf-8").splitlines() if s.strip()]
    return lines[:n]


def _training_lines() -> tuple[list[str], list[str], int]:
    """Polish/English lines for the SentencePiece vocabularies, and a vocabulary size."""
    pol, eng = TATOEBA / "tatoeba.v2021-08-07.eng-pol.pol", TATOEBA / "tatoeba.v2021-08-07.eng-pol.eng"
    if pol.is_file() and eng.is_file():
        read = [f.read_text(encoding="utf-8").splitlines() for f in (pol, eng)]
        return read[0], read[1], 8000
    rows = [line.split("\t") for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    return [r[0] for r in rows], [r[1] for r in rows], 1000


def opus_model_dir(log: Callable[[str], None] = print) -> Path:
    """A ``NEWSBRIDGE_MODEL_DIR``-style folder whose ``pl-en/`` is the OPUS-sized model (cached)."""
    from translators.testing import build_marian

    model_dir = cache_root() / MODEL_TAG
    if (model_dir / "pl-en" / "config.json").is_file():
        return model_dir
    log(f"building the OPUS-MT-sized model into {model_dir} (once, about a minute)...")
    started = time.perf_counter()
    pl, en, vocab = _training_lines()
    with publish_folder(model_dir, complete=lambda d: (d / "pl-en" / "config.json").is_file()) as tmp:
        build_marian(tmp / "pl-en", pl, en, size="opus", spm_vocab=vocab, num_beams=4, max_length=512)
    log(f"built in {time.perf_counter() - started:.0f} s")
    return model_dir


def make_translator(backend: str, model_dir: Path, *, device: str = "cpu", batch_size: int = 16,
                    compute_type: str = "int8", intra_threads: int = 0) -> Translator:
    """The one place benchmarks construct an engine (the same knobs as ``service.settings``)."""
    options = DecodeOptions(batch_size=batch_size)
    if backend == "transformers":
        from translators.marian import MarianTranslator

        return MarianTranslator(model_dir, device=device, options=options)
    if backend == "ctranslate2":
        from translators.ct2 import CTranslate2Translator
        from translators.threads import configure_threads

        plan = configure_threads(intra_threads, 0, backend="ctranslate2")  # the service's default plan
        return CTranslate2Translator(model_dir, device=device, options=options, compute_type=compute_type,
                                     intra_threads=plan.intra, inter_threads=plan.inter)
    raise ValueError(f"unknown backend {backend!r}")


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_latency(translator: Translator, sentences: Sequence[str]) -> float:
    """Median seconds for one one-sentence request."""
    times = [timed(lambda s=s: translator.translate_batch([s], "pl", "en")) for s in sentences]
    return statistics.median(times)


def python_loop_ms(n: int = 1_000_000, repeat: int = 5) -> float:
    """Milliseconds this machine takes now for a fixed pure-Python loop (the best of ``repeat``):
    the speed of the moment, beside which a run's figures can be read. This shared machine runs
    at different speeds from one hour to the next, even from one minute to the next (the same loop:
    45-55 ms in its fast phases, 65-75 ms in its slow ones), and not all of the difference shows as
    stolen time."""

    def loop() -> int:
        total = 0
        for i in range(n):
            total += i
        return total

    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        loop()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def machine_note() -> str:
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    return (f"{cores} cores available, load average {load:.1f} (shared machine: expect noise); "
            f"a fixed Python loop takes {python_loop_ms():.0f} ms now")


class StolenTime:
    """The share of the machine's CPU time the hypervisor gave to other guests (``steal`` in
    ``/proc/stat``) between ``__init__`` and ``note()``: on a shared virtual machine the same run
    can be a third slower from one hour to the next, and this says when that was the cause.
    Empty where ``/proc/stat`` has no such column."""

    def __init__(self) -> None:
        self.start = self._read()

    @staticmethod
    def _read() -> list[int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = f.readline().split()
        except OSError:
            return None
        return [int(x) for x in fields[1:]] if fields and fields[0] == "cpu" and len(fields) > 8 else None

    def note(self) -> str:
        end = self._read()
        if self.start is None or end is None:
            return ""
        spent = [b - a for a, b in zip(self.start, end, strict=False)]
        total = sum(spent[:8])  # user nice system idle iowait irq softirq steal (guest is within user)
        if not total:
            return ""
        return (f"CPU stolen by the host during the run: {spent[7] / total:.1%}; "
                f"the fixed Python loop takes {python_loop_ms():.0f} ms now")
