"""Quality flags of one translated unit, from its model text, the model's output and its score.

- ``untranslated``: the output repeats the source's words although the languages differ (a model
  that gives up copies its input; names and numbers alone do not count).
- ``length_ratio``: the output's length, over the source's, is outside what people's translations
  of the pair show: the 0.5th-99.5th percentiles of the Tatoeba test pairs (sources of 20+
  characters) in benchmarks/data, measured by ``benchmarks/quality_thresholds.py``. A pivoted pair
  takes the product of its legs' bounds.
- ``low_confidence``: the model's confidence (its geometric-mean token probability) is below the
  threshold (``NEWSBRIDGE_LOW_CONFIDENCE``; see docs/engines.md for why 0.4).

Each flag is a ``(code, detail)``; the pipeline writes it as a warning ``"<code>: <detail>"``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import regex

from translators.registry import PIVOT
from translators.text.protect import PLACEHOLDER_RE

__all__ = ["LENGTH_RATIO", "LOW_CONFIDENCE", "MIN_RATIO_CHARS", "Flag", "QualityPolicy", "length_bounds",
           "untranslated"]

Flag = tuple[str, str]

LOW_CONFIDENCE = 0.4
MIN_RATIO_CHARS = 20  # shorter sources vary too much ("Tak." -> "Yes, it is.")
# (low, high) of len(translation) / len(source), measured on the Tatoeba test pairs (v2021-08-07) of
# benchmarks/data: 0.5th and 99.5th percentiles over pairs whose source has 20+ characters.
LENGTH_RATIO: dict[str, tuple[float, float]] = {
    "pl-en": (0.233, 2.853),
    "en-pl": (0.22, 2.822),
    "lt-en": (0.587, 1.568),
    "en-lt": (0.55, 1.585),
}
UNTRANSLATED_MIN_WORDS = 3
UNTRANSLATED_SIMILARITY = 0.8

_WORD = regex.compile(r"\p{L}[\p{L}\p{M}'’-]*")


def length_bounds(source: str, target: str) -> tuple[float, float] | None:
    """The pair's bounds, or a pivoted pair's (the product of its legs'); ``None`` if unknown."""
    pair = f"{source}-{target}"
    if pair in LENGTH_RATIO:
        return LENGTH_RATIO[pair]
    first, second = LENGTH_RATIO.get(f"{source}-{PIVOT}"), LENGTH_RATIO.get(f"{PIVOT}-{target}")
    if first is None or second is None:
        return None
    return first[0] * second[0], first[1] * second[1]


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(PLACEHOLDER_RE.sub(" ", text))]


def untranslated(source: str, output: str) -> bool:
    """The output's words are (mostly) the source's, in order: at least 3 words, 80% alike."""
    a, b = _words(source), _words(output)
    if len(a) < UNTRANSLATED_MIN_WORDS or not b:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= UNTRANSLATED_SIMILARITY


@dataclass(frozen=True)
class QualityPolicy:
    low_confidence: float = LOW_CONFIDENCE

    def flags(self, source_lang: str, target_lang: str, model_text: str, output: str,
              score: float | None) -> list[Flag]:
        out: list[Flag] = []
        if source_lang != target_lang and untranslated(model_text, output):
            out.append(("untranslated", f"the output repeats the {source_lang} source instead of translating it"))
        bounds = length_bounds(source_lang, target_lang)
        src_len, out_len = len(model_text.strip()), len(output.strip())
        if bounds is not None and src_len >= MIN_RATIO_CHARS:
            ratio = out_len / src_len
            low, high = bounds
            if not low <= ratio <= high:
                out.append(("length_ratio", f"the translation is {ratio:.2f}x the source's length; "
                                            f"{source_lang}-{target_lang} translations run {low:.2f}-{high:.2f}x"))
        if score is not None and score < self.low_confidence:
            out.append(("low_confidence", f"the model's confidence is {score:.2f} (below {self.low_confidence:.2f})"))
        return out
