"""Code-point <-> UTF-16 offsets (translators.text.offsets)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.scaling import LINEAR, superlinearity
from translators.base import Span
from translators.text.offsets import Utf16Index, span_to_utf16, to_utf16

# Astral emoji, a flag (two regional indicators), a ZWJ family, skin tone, combining marks,
# BMP CJK, plus arbitrary text.
_PIECES = [
    "😀",
    "🇵🇱",
    "🇱🇹",
    "👨‍👩‍👧",
    "👍🏽",
    "e\u0301",
    "ą",
    "ž",
    "漢",
    "𝕏",
    "\u200d",
    "a",
    " ",
    "\n",
]
_texts = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=5)), max_size=30).map("".join)


def _u16_slice(text: str, s: int, e: int) -> str:
    return text.encode("utf-16-le")[2 * s : 2 * e].decode("utf-16-le")


@given(_texts, st.data())
def test_span_slices_the_same_text_in_utf16(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    s, e = span_to_utf16(text, (start, end))
    assert _u16_slice(text, s, e) == text[start:end]
    assert Utf16Index(text).span(Span(start, end, text[start:end])) == (s, e)


@given(_texts)
def test_index_agrees_with_encoding_everywhere(text: str) -> None:
    index = Utf16Index(text)
    assert index.utf16_length == len(text.encode("utf-16-le")) // 2
    for i in range(len(text) + 1):
        u = index.to_utf16(i)
        assert u == len(text[:i].encode("utf-16-le")) // 2 == to_utf16(text, i)
        assert index.to_codepoint(u) == i


def test_known_values_and_surrogate_split() -> None:
    text = "a😀b🇵🇱c"
    index = Utf16Index(text)
    assert [index.to_utf16(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 8, 9]
    with pytest.raises(ValueError):
        index.to_codepoint(2)  # inside the surrogate pair of 😀
    with pytest.raises(IndexError):
        index.to_utf16(len(text) + 1)
    with pytest.raises(ValueError):
        span_to_utf16(text, (3, 1))
    assert index.spans([(0, 2), Span(3, 5, "🇵🇱")]) == [(0, 3), (4, 8)]


def _all_lookups(text: str) -> list[int]:
    index = Utf16Index(text)
    return [index.to_utf16(i) for i in range(0, len(text) + 1)]


def test_lookups_on_100kb_grow_linearly() -> None:
    text = ("Zażółć 😀 gęślą 🇵🇱 jaźń 👨‍👩‍👧 " * 4000)[:100_000]
    assert _all_lookups(text)[-1] == len(text.encode("utf-16-le")) // 2
    growth = superlinearity(_all_lookups, text[:25_000], text, 4)
    assert growth < LINEAR, f"4x the text cost {4 * growth:.1f}x the CPU time"
