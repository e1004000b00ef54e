"""Half-open intervals and splicing: the one interval index and the one ``splice`` shared by the
pipeline (quotes over sentences, sentences over HTML blocks) and HTML rendering (inline elements
placed in a translated block) and unmasking (fills put back into a verbatim text)."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Sequence

__all__ = ["Intervals", "splice"]


class Intervals:
    """Sorted, disjoint half-open ``[start, end)`` intervals with logarithmic queries (aligning
    many quotes with many sentences, or placing many inline elements, stays near-linear)."""

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()) -> None:
        self.items: list[tuple[int, int]] = sorted(intervals)
        self.ends = [b for _, b in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def overlapping(self, start: int, end: int) -> range:
        """Indices (into the sorted ``items``) of the intervals that overlap ``[start, end)``."""
        first = bisect_right(self.ends, start)
        last = first
        while last < len(self.items) and self.items[last][0] < end:
            last += 1
        return range(first, last)

    def containing(self, start: int, end: int) -> bool:
        """Whether one interval holds all of ``[start, end)``."""
        return any(self.items[i][0] <= start and end <= self.items[i][1] for i in self.overlapping(start, end))

    def free(self, start: int, end: int) -> bool:
        """Whether no interval overlaps ``[start, end)``."""
        return not self.overlapping(start, end)

    def add(self, start: int, end: int) -> None:
        """Add an interval that overlaps none of the others (see ``free``)."""
        insort(self.items, (start, end))
        insort(self.ends, end)


def splice(text: str, fills: Sequence[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """Replace each ``text[start:end]`` by its fill (``fills`` sorted, disjoint); returns the new
    text and where each fill lies in it."""
    out: list[str] = []
    where: list[tuple[int, int]] = []
    cursor = pos = 0
    for a, b, fill in fills:
        out.append(text[cursor:a])
        pos += a - cursor
        where.append((pos, pos + len(fill)))
        out.append(fill)
        pos += len(fill)
        cursor = b
    out.append(text[cursor:])
    return "".join(out), where
