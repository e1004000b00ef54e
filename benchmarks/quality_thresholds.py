"""The quality-flag thresholds, measured on people's translations (the Tatoeba test pairs).

``length_ratio``: per direction, len(translation) / len(source) over the pairs whose source has
``MIN_RATIO_CHARS``+ characters; the bounds are the 0.5th and 99.5th percentiles, so about 1% of
human translations fall outside. ``untranslated``: how many human translations the check
flags (it should be none). Run: ``NEWSBRIDGE_BENCH_DATA=<folder of the Tatoeba v2021-08-07 files>
python -m benchmarks.quality_thresholds`` (the figures in the code were measured on the full test
sets: eng-pol 10,099 pairs, eng-lit 2,528; ``../shared/data`` in this project's workspace).
"""

from __future__ import annotations

from benchmarks.common import TATOEBA as DATA
from service.pipeline.quality import LENGTH_RATIO, MIN_RATIO_CHARS, untranslated

FILES = {"pl-en": ("eng-pol", "pol", "eng"), "en-pl": ("eng-pol", "eng", "pol"),
         "lt-en": ("eng-lit", "lit", "eng"), "en-lt": ("eng-lit", "eng", "lit")}
LOW, HIGH = 0.005, 0.995


def pairs(direction: str) -> list[tuple[str, str]]:
    name, src, tgt = FILES[direction]
    sources = (DATA / f"tatoeba.v2021-08-07.{name}.{src}").read_text(encoding="utf-8").splitlines()
    targets = (DATA / f"tatoeba.v2021-08-07.{name}.{tgt}").read_text(encoding="utf-8").splitlines()
    return list(zip(sources, targets, strict=False))


def percentile(values: list[float], q: float) -> float:
    xs = sorted(values)
    k = (len(xs) - 1) * q
    f = int(k)
    return xs[f] + (xs[min(f + 1, len(xs) - 1)] - xs[f]) * (k - f)


def measured_bounds(direction: str) -> tuple[float, float]:
    ratios = [len(t.strip()) / len(s.strip()) for s, t in pairs(direction) if len(s.strip()) >= MIN_RATIO_CHARS]
    return round(percentile(ratios, LOW), 3), round(percentile(ratios, HIGH), 3)


def main() -> None:
    for direction in FILES:
        rows = pairs(direction)
        low, high = measured_bounds(direction)
        flagged = sum(untranslated(s, t) for s, t in rows)
        print(f"{direction}: {len(rows)} pairs; length ratio bounds {low}-{high} (in the code: "
              f"{LENGTH_RATIO[direction][0]}-{LENGTH_RATIO[direction][1]}); untranslated flags {flagged}")


if __name__ == "__main__":
    main()
