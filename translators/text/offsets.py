"""Code-point <-> UTF-16 code-unit offset conversion (for JavaScript clients).

Python indexes strings by code point; JavaScript by UTF-16 code unit, where every
astral character (emoji, most flags' halves, ...) counts twice. Only astral characters
make the two differ, so :class:`Utf16Index` stores just their positions: building is one
C-speed regex pass, a lookup is a binary search over the astral characters (O(1) when
the text has none).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable

from translators.base import Span

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

SpanLike = Span | tuple[int, int]


def _bounds(span: SpanLike) -> tuple[int, int]:
    if isinstance(span, Span):
        return span.start, span.end
    start, end = span
    return start, end


class Utf16Index:
    """Converts many offsets into one text; build once (O(n)), look up in O(log k)."""

    __slots__ = ("_astral", "_astral_u16", "_len", "_len_u16")

    def __init__(self, text: str) -> None:
        self._astral: list[int] = [m.start() for m in _ASTRAL.finditer(text)]
        # UTF-16 offset at which the j-th astral character starts.
        self._astral_u16: list[int] = [cp + j for j, cp in enumerate(self._astral)]
        self._len = len(text)
        self._len_u16 = len(text) + len(self._astral)

    @property
    def utf16_length(self) -> int:
        """Length of the text in UTF-16 code units (JavaScript ``str.length``)."""
        return self._len_u16

    def to_utf16(self, index: int) -> int:
        """UTF-16 offset of code-point offset ``index`` (``0 <= index <= len(text)``)."""
        if not 0 <= index <= self._len:
            raise IndexError(f"offset {index} outside 0..{self._len}")
        if not self._astral:
            return index
        return index + bisect_left(self._astral, index)

    def to_codepoint(self, offset: int) -> int:
        """Code-point offset of UTF-16 offset ``offset``; ``ValueError`` inside a surrogate pair."""
        if not 0 <= offset <= self._len_u16:
            raise IndexError(f"offset {offset} outside 0..{self._len_u16}")
        if not self._astral_u16:
            return offset
        j = bisect_left(self._astral_u16, offset)
        if j > 0 and self._astral_u16[j - 1] + 1 == offset:
            raise ValueError(f"UTF-16 offset {offset} splits a surrogate pair")
        return offset - j

    def span(self, span: SpanLike) -> tuple[int, int]:
        """``(start, end)`` of a code-point span in UTF-16 code units."""
        start, end = _bounds(span)
        if start > end:
            raise ValueError(f"span start {start} > end {end}")
        return self.to_utf16(start), self.to_utf16(end)

    def spans(self, spans: Iterable[SpanLike]) -> list[tuple[int, int]]:
        return [self.span(s) for s in spans]


def to_utf16(text: str, index: int) -> int:
    """UTF-16 offset of one code-point offset (O(index); use :class:`Utf16Index` for many)."""
    if not 0 <= index <= len(text):
        raise IndexError(f"offset {index} outside 0..{len(text)}")
    return index + len(_ASTRAL.findall(text, 0, index))


def span_to_utf16(text: str, span: SpanLike) -> tuple[int, int]:
    """``(start, end)`` of one code-point span in UTF-16 code units."""
    start, end = _bounds(span)
    if start > end:
        raise ValueError(f"span start {start} > end {end}")
    return to_utf16(text, start), to_utf16(text, end)
