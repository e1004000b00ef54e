"""Language-detection accuracy and speed, tuned on one half of the data, reported on the other.

    python benchmarks/detect_bench.py [--data DIR] [--limit N] [--no-tune]

DIR holds Tatoeba files ``*.eng-pol.{eng,pol}`` / ``*.eng-lit.{eng,lit}``, one sentence a
line (default: ``NEWSBRIDGE_BENCH_DATA`` when set, else the subset in ``tests/fixtures/detect``).
The distinct pl, lt and en lines (en from both pairs) are split in
two halves (even and odd positions): the ensemble's two weights (function words, pl-/lt-only
letters) are chosen on the *tuning* half, and every figure printed is on the *held-out* half.
Each sentence is tested four ways: its first two words, its first 20 characters, the sentence
with tweet decorations appended, and a realistic tweet: a label in front, one of its own words
made a hashtag, and a handle, a link, a hashtag and an emoji mixed in between its words.
Accuracy counts a hit only for the right one of pl/lt/en. Detectors: langdetect as shipped
(all its languages, seeded), each selectable engine (``NEWSBRIDGE_DETECTOR``) and the ensemble
at both ``NEWSBRIDGE_DETECTION_ACCURACY`` settings (the weights are tuned for ``standard``).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from translators.text import detect as detect_module  # noqa: E402
from translators.text.detect import Accuracy, LanguageDetector  # noqa: E402
from translators.text.detectors import make_detector  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "detect"
SHARED = Path(os.environ["NEWSBRIDGE_BENCH_DATA"]) if os.environ.get("NEWSBRIDGE_BENCH_DATA") else None
FILES = {"pl": ["*.eng-pol.pol"], "lt": ["*.eng-lit.lit"], "en": ["*.eng-pol.eng", "*.eng-lit.eng"]}
LANGS = ("pl", "lt", "en")
EMOJI = ["🇵🇱", "🇱🇹", "⚠️", "👇", "🔥", "✅", "📢", "👉🏻"]
HANDLES = ["@MSWiA_GOV_PL", "@Straz_Graniczna", "@lrt_lt", "@BBCWorld", "@policja_pl", "@VRM_LT"]
TAGS = ["#granica", "#pasienis", "#BREAKING", "#Polska", "#Lietuva", "#news", "#pilne"]
URLS = ["https://t.co/AbCdEf1234", "pic.twitter.com/Qx7LmP2kAa", "https://www.gov.pl/web/mswia", "lrt.lt/n/123"]
LABELS = ["⚠️ PILNE |", "📢 KOMUNIKAT:", "BREAKING:", "SVARBU |", "🔴 NA ŻYWO", ""]


def decorate(sentence: str, i: int = 0) -> str:
    """A sentence with tweet decorations appended (what the detector strips first)."""
    return f"⚠️ PILNE | {sentence} #hashtag @handle https://t.co/xyz 🇵🇱"


def tweet_mixed(sentence: str, i: int) -> str:
    """A realistic tweet: a label, one of the sentence's own words made a hashtag, and a handle,
    a link, a hashtag and an emoji between its words (deterministic per sentence)."""
    rnd = random.Random(i)
    words = sentence.split()
    if len(words) > 2:
        k = rnd.randrange(len(words))
        core = words[k].strip(".,!?;:")
        if core.isalpha():
            words[k] = words[k].replace(core, "#" + core)
    for token in (rnd.choice(HANDLES), rnd.choice(URLS), rnd.choice(TAGS), rnd.choice(EMOJI)):
        words.insert(rnd.randrange(len(words) + 1), token)
    label = rnd.choice(LABELS)
    return f"{label} {' '.join(words)}".strip()


CONDITIONS: dict[str, Callable[[str, int], str]] = {
    "two words": lambda s, i: " ".join(s.split()[:2]),
    "20 chars": lambda s, i: s[:20],
    "tweet, appended": decorate,
    "tweet, mixed in": tweet_mixed,
}


def load(data: Path, limit: int | None = None) -> dict[str, list[str]]:
    """Deduplicated sentences per language; ``limit`` keeps an evenly spaced subset."""
    out: dict[str, list[str]] = {}
    for lang, patterns in FILES.items():
        lines: list[str] = []
        for pattern in patterns:
            for path in sorted(data.glob(pattern)):
                lines += [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        unique = list(dict.fromkeys(ln for ln in lines if ln))
        if not unique:
            raise SystemExit(f"no {lang} sentences ({patterns}) in {data}")
        if limit and len(unique) > limit:
            unique = [unique[i * len(unique) // limit] for i in range(limit)]
        out[lang] = unique
    return out


def default_langdetect() -> Callable[[str], str]:
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def run(text: str) -> str:
        try:
            return detect(text)
        except LangDetectException:
            return "other"

    return run


def split(data: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Tuning half (even positions) and held-out half (odd positions) of each language."""
    return ({lang: lines[0::2] for lang, lines in data.items()}, {lang: lines[1::2] for lang, lines in data.items()})


def measure(run: Callable[[str], str], data: dict[str, list[str]], condition: Callable[[str, int], str]
            ) -> tuple[dict[str, float], float]:
    """Accuracy per language and overall, and texts per second."""
    accuracy: dict[str, float] = {}
    hits = total = 0
    start = time.perf_counter()
    for lang, sentences in data.items():
        right = sum(run(condition(s, i)) == lang for i, s in enumerate(sentences))
        accuracy[lang] = right / len(sentences)
        hits += right
        total += len(sentences)
    elapsed = time.perf_counter() - start
    accuracy["all"] = hits / total
    return accuracy, total / elapsed


class _Memo:
    """An engine whose answers are remembered per text (tuning re-scores the same texts)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.memo = inner, {}

    def __getattr__(self, name: str) -> Callable[[str], Any]:
        method = getattr(self.inner, name)

        def call(text: str) -> Any:
            key = (name, text)
            if key not in self.memo:
                self.memo[key] = method(text)
            return self.memo[key]

        return call


def detector_run(detector: Any) -> Callable[[str], str]:
    return lambda text: detector.detect(text).lang


def tune(data: dict[str, list[str]], accuracy: Accuracy) -> tuple[float, float, float]:
    """The (function-word, letter) weights with the best mean accuracy over the conditions on
    ``data`` for the ensemble of that ``accuracy``; returns them and that accuracy."""
    probe = LanguageDetector(accuracy=accuracy)
    probe.detect("warm up")
    engines = LanguageDetector._engines[accuracy]
    memo = detect_module._Engines(_Memo(engines.langid), _Memo(engines.langid_wide), _Memo(engines.lingua),
                                  _Memo(engines.lingua_wide), engines.lingua_code)
    LanguageDetector._engines[accuracy] = memo
    best = (0.0, 0.0, -1.0)
    try:
        for lexicon, letters in itertools.product((0.0, 1.0, 2.0, 3.0, 4.0, 6.0), (0.0, 0.5, 1.0, 2.0)):
            detector = LanguageDetector(lexicon, letters, accuracy=accuracy)
            run = detector_run(detector)
            scores = [measure(run, data, c)[0]["all"] for c in CONDITIONS.values()]
            mean = sum(scores) / len(scores)
            print(f"  tune: words {lexicon:3.1f}, letters {letters:3.1f}: mean {100 * mean:6.2f}%", flush=True)
            if mean > best[2]:
                best = (lexicon, letters, mean)
    finally:
        LanguageDetector._engines[accuracy] = engines
    return best


def table(runs: dict[str, Callable[[str], str]], data: dict[str, list[str]]) -> None:
    header = f"{'detector':24} {'condition':16} " + " ".join(f"{c:>7}" for c in (*LANGS, "all"))
    print(header + f" {'texts/s':>8}")
    print("-" * (len(header) + 9))
    for name, run in runs.items():
        for cname, condition in CONDITIONS.items():
            accuracy, speed = measure(run, data, condition)
            cells = " ".join(f"{100 * accuracy[c]:6.2f}%" for c in (*LANGS, "all"))
            print(f"{name:24} {cname:16} {cells} {speed:8.0f}", flush=True)


def side_checks(detector: LanguageDetector) -> None:
    """Hand-written checks: other languages, English naming Polish places, short quotes."""
    def rows(name: str) -> list[list[str]]:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        return [ln.split("\t") for ln in text.splitlines() if ln and not ln.startswith("#")]

    other = rows("other.txt")
    wrong = [(lang, s) for lang, s in other if detector.detect(s).lang != "other"]
    print(f"\nother-language sentences -> other: {len(other) - len(wrong)}/{len(other)}  missed: {wrong}")
    names = [r[0] for r in rows("en_names.txt")]
    wrong_en = [s for s in names if detector.detect(s).lang != "en"]
    print(f"English naming pl/lt places -> en: {len(names) - len(wrong_en)}/{len(names)}  missed: {wrong_en}")
    quotes = rows("short_quotes.txt")
    wrong_q = [(lang, s) for lang, s in quotes if detector.detect(s).lang != lang]
    print(f"short quotes: {len(quotes) - len(wrong_q)}/{len(quotes)}  missed: {wrong_q}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=SHARED if SHARED is not None and SHARED.is_dir() else FIXTURES)
    parser.add_argument("--limit", type=int, default=None, help="sentences per language (evenly spaced)")
    parser.add_argument("--no-tune", action="store_true", help="keep the shipped weights")
    args = parser.parse_args(argv)
    tuning, held_out = split(load(args.data, args.limit))
    print(f"data: {args.data}; tuning half: " + ", ".join(f"{lang} {len(s)}" for lang, s in tuning.items())
          + "; held-out half: " + ", ".join(f"{lang} {len(s)}" for lang, s in held_out.items()))
    start = time.perf_counter()
    LanguageDetector().detect("warm up")
    print(f"engines loaded in {time.perf_counter() - start:.1f} s\n")
    weights = LanguageDetector().weights
    if not args.no_tune:
        lexicon, letters, mean = tune(tuning, "standard")
        weights = (lexicon, letters)
        print(f"chosen on the tuning half: function words {lexicon}, letters {letters} "
              f"(mean {100 * mean:.2f}%); shipped: {LanguageDetector().weights}\n")
    runs: dict[str, Callable[[str], str]] = {"langdetect as shipped": default_langdetect()}
    for name in ("langdetect", "py3langid", "lingua"):
        runs[f"{name} (selectable)"] = detector_run(make_detector(name))
    ensemble = LanguageDetector(*weights)
    runs["ensemble (default)"] = detector_run(ensemble)
    runs["ensemble, high accuracy"] = detector_run(LanguageDetector(*weights, accuracy="high"))
    print("held-out half:")
    table(runs, held_out)
    side_checks(ensemble)


if __name__ == "__main__":
    main()
