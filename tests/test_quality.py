"""Quality flags: thresholds measured on the Tatoeba pairs, the checks on real sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.pipeline.quality import LENGTH_RATIO, MIN_RATIO_CHARS, QualityPolicy, length_bounds, untranslated

# 300 Tatoeba v2021-08-07 test pairs per language pair (a subset of the sets the bounds were measured on:
# benchmarks/quality_thresholds.py on the full sets)
DATA = Path(__file__).parent / "fixtures" / "detect"
FILES = {"pl-en": ("eng-pol", "pol", "eng"), "en-pl": ("eng-pol", "eng", "pol"),
         "lt-en": ("eng-lit", "lit", "eng"), "en-lt": ("eng-lit", "eng", "lit")}


def pairs(direction: str) -> list[tuple[str, str]]:
    name, src, tgt = FILES[direction]
    read = [(DATA / f"tatoeba.v2021-08-07.{name}.{lang}").read_text(encoding="utf-8").splitlines()
            for lang in (src, tgt)]
    return list(zip(*read, strict=True))


@pytest.mark.parametrize("direction", sorted(FILES))
def test_people_s_translations_fall_within_the_length_bounds(direction: str) -> None:
    """The bounds are the 0.5th-99.5th percentiles of the full sets: on a subset nearly all pass,
    and a flag would fire on a translation of half or twice the usual length."""
    policy = QualityPolicy(low_confidence=0.0)
    src, tgt = direction.split("-")
    rows = [(s, t) for s, t in pairs(direction) if len(s.strip()) >= MIN_RATIO_CHARS]
    assert len(rows) > 100
    flagged = [(s, t) for s, t in rows if any(c == "length_ratio" for c, _ in policy.flags(src, tgt, s, t, None))]
    assert len(flagged) <= len(rows) * 0.03, flagged
    low, high = LENGTH_RATIO[direction]
    assert 0.1 < low < 0.8 and 1.2 < high < 3.5
    s, t = rows[0]
    assert any(c == "length_ratio" for c, _ in policy.flags(src, tgt, s, t + " " + t + " " + t + " " + t, None))


def test_untranslated_flags_no_human_translation() -> None:
    rows = [row for direction in FILES for row in pairs(direction)]
    assert len(rows) == 1200
    assert sum(untranslated(s, t) for s, t in rows) == 0


def test_untranslated_needs_words_not_names_or_numbers() -> None:
    assert untranslated("Straż Graniczna zatrzymała w nocy 23 osoby.", "Straż Graniczna zatrzymała w nocy 23 osoby.")
    assert untranslated("Straż Graniczna zatrzymała QZ0 w nocy.", "straż graniczna zatrzymała QZ0 w nocy")
    assert not untranslated("Donald Tusk.", "Donald Tusk.")  # fewer than three words
    assert not untranslated("Straż Graniczna zatrzymała w nocy 23 osoby.", "The Border Guard detained 23 people.")


def test_policy_flags() -> None:
    policy = QualityPolicy(low_confidence=0.4)
    src = "Straż Graniczna zatrzymała w nocy dwadzieścia trzy osoby."
    assert policy.flags("pl", "en", src, "The Border Guard detained twenty-three people at night.", 0.8) == []
    codes = [c for c, _ in policy.flags("pl", "en", src, "Yes.", 0.2)]
    assert codes == ["length_ratio", "low_confidence"]
    assert [c for c, _ in policy.flags("pl", "en", src, src, 0.9)] == ["untranslated"]
    assert policy.flags("pl", "en", "Tak.", "Yes, of course it is.", None) == []  # too short to judge
    low, high = length_bounds("pl", "lt") or (0, 0)
    assert low == pytest.approx(LENGTH_RATIO["pl-en"][0] * LENGTH_RATIO["en-lt"][0])
    assert high == pytest.approx(LENGTH_RATIO["pl-en"][1] * LENGTH_RATIO["en-lt"][1])
