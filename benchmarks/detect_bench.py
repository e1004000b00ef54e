"""Language-detection accuracy and speed: default langdetect vs ``LanguageDetector``.

    python benchmarks/detect_bench.py [--data DIR] [--limit N] [--engines]

DIR holds Tatoeba files ``*.eng-pol.{eng,pol}`` / ``*.eng-lit.{eng,lit}``, one sentence a
line (default: ``../shared/data`` next to the repository if present, else the subset in
``tests/fixtures/detect``). Every pl, lt and en line (en from both pairs, deduplicated) is
tested three ways: its first two words, its first 20 characters, and the whole sentence
with tweet decorations. Accuracy counts a hit only for the right one of pl/lt/en.
``--engines`` adds the single engines restricted to pl/lt/en, for comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from translators.text.detect import LanguageDetector  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "detect"
SHARED = ROOT.parent / "shared" / "data"
FILES = {"pl": ["*.eng-pol.pol"], "lt": ["*.eng-lit.lit"], "en": ["*.eng-pol.eng", "*.eng-lit.eng"]}
LANGS = ("pl", "lt", "en")


def decorate(sentence: str) -> str:
    """A sentence dressed as a tweet: label, hashtag, handle, link, flag."""
    return f"⚠️ PILNE | {sentence} #hashtag @handle https://t.co/xyz 🇵🇱"


CONDITIONS: dict[str, Callable[[str], str]] = {
    "two words": lambda s: " ".join(s.split()[:2]),
    "20 chars": lambda s: s[:20],
    "tweet": decorate,
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


def single_engines() -> dict[str, Callable[[str], str]]:
    """Each engine alone, restricted to pl/lt/en, on the raw text."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException
    from lingua import Language, LanguageDetectorBuilder
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    factory = DetectorFactory()
    factory.set_seed(0)
    profiles = [Path(PROFILES_DIRECTORY, lang).read_text(encoding="utf-8") for lang in LANGS]
    factory.load_json_profile(profiles)

    def langdetect3(text: str) -> str:
        try:
            detector = factory.create()
            detector.append(text)
            return str(detector.detect())
        except LangDetectException:
            return "other"

    langid = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    langid.set_languages(list(LANGS))
    codes = {Language.POLISH: "pl", Language.LITHUANIAN: "lt", Language.ENGLISH: "en"}
    lingua = LanguageDetectorBuilder.from_languages(*codes).build()
    return {
        "langdetect pl/lt/en": langdetect3,
        "py3langid pl/lt/en": lambda t: str(langid.classify(t)[0]),
        "lingua pl/lt/en": lambda t: codes.get(lingua.detect_language_of(t), "other"),
    }


def measure(run: Callable[[str], str], data: dict[str, list[str]], condition: Callable[[str], str]
            ) -> tuple[dict[str, float], float]:
    """Accuracy per language and overall, and texts per second."""
    accuracy: dict[str, float] = {}
    hits = total = 0
    start = time.perf_counter()
    for lang, sentences in data.items():
        right = sum(run(condition(s)) == lang for s in sentences)
        accuracy[lang] = right / len(sentences)
        hits += right
        total += len(sentences)
    elapsed = time.perf_counter() - start
    accuracy["all"] = hits / total
    return accuracy, total / elapsed


def table(runs: dict[str, Callable[[str], str]], data: dict[str, list[str]]) -> None:
    header = f"{'detector':22} {'condition':10} " + " ".join(f"{c:>7}" for c in (*LANGS, "all"))
    print(header + f" {'texts/s':>8}")
    print("-" * (len(header) + 9))
    for name, run in runs.items():
        for cname, condition in CONDITIONS.items():
            accuracy, speed = measure(run, data, condition)
            cells = " ".join(f"{100 * accuracy[c]:6.2f}%" for c in (*LANGS, "all"))
            print(f"{name:22} {cname:10} {cells} {speed:8.0f}", flush=True)


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
    parser.add_argument("--data", type=Path, default=SHARED if SHARED.is_dir() else FIXTURES)
    parser.add_argument("--limit", type=int, default=None, help="sentences per language (evenly spaced)")
    parser.add_argument("--engines", action="store_true", help="also the single engines, restricted")
    args = parser.parse_args(argv)
    data = load(args.data, args.limit)
    print(f"data: {args.data}  " + ", ".join(f"{lang} {len(s)}" for lang, s in data.items()))
    ours = LanguageDetector()
    start = time.perf_counter()
    ours.detect("warm up")
    print(f"engines loaded in {time.perf_counter() - start:.1f} s\n")
    runs: dict[str, Callable[[str], str]] = {"langdetect (default)": default_langdetect()}
    if args.engines:
        runs.update(single_engines())
    runs["newsbridge"] = lambda t: ours.detect(t).lang
    table(runs, data)
    side_checks(ours)


if __name__ == "__main__":
    main()
