"""The inline content of one block as a tree over its text, for HTML and XML alike.

A block's text (what the model translates) is the collapsed text of its inline content; the
inline elements around parts of it (``<b>``, ``<a href>``, ``<span>``, ...) are *marks* with a
range in that text, nested like the source; the content without text of its own (``<img>``,
``<br>`` inside an element, comments, ``<x id="6"/>`` placeholders, elements not to translate)
are *points* at a position in it. ``RunBuilder`` builds the tree from the source in document
order (whitespace collapsed exactly as the block's text is: runs of ASCII whitespace become one
space, none at the ends); ``serialize`` writes the tree back over a translation, given where
``translators.text.projection`` placed each mark and point.

Walks are iterative: an inline element nested 3,000 deep is no reason to recurse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Mark", "Placement", "Point", "RunBuilder", "serialize", "walk"]

_WS = re.compile(r"[ \t\n\r\f]+")
_NO_SPACE_BEFORE = frozenset(".,;:!?…)]}»”’")  # punctuation a restored space never precedes
_NO_SPACE_AFTER = frozenset("([{„«“‘¿¡")  # ... and never follows


@dataclass(eq=False)
class Point:
    """Text-less inline content at ``pos`` in the block's text; ``markup`` is written as is.
    ``space_before`` / ``space_after``: whitespace stood right before / after it in the source
    (collapsing a block's whitespace may leave only one of the two in its text)."""

    pos: int
    markup: str
    order: int = 0
    space_before: bool = False
    space_after: bool = False  # document order among the run's marks and points


@dataclass(eq=False)
class Mark:
    """An inline element around ``[start, end)`` of the block's text; ``open``/``close`` are
    its tags as written in the output; ``label`` names it in warnings (``<a href="...">``)."""

    start: int
    end: int
    open: str = ""
    close: str = ""
    label: str = ""
    children: list[Mark | Point] = field(default_factory=list)
    order: int = 0


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a mark (``[start, end)``) or a point (``start == end``) lands in the translation;
    ``uncertain``: the alignment did not place it (it was placed by its neighbours)."""

    start: int
    end: int
    uncertain: bool = False


def walk(root: Mark) -> Iterator[Mark | Point]:
    """Every mark and point under ``root`` (not ``root``), in document order."""
    stack: list[Mark | Point] = list(reversed(root.children))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Mark):
            stack.extend(reversed(node.children))


class RunBuilder:
    """Builds a run's text and its tree from source events in document order."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._len = 0
        self._pending_space = False  # whitespace seen after text, written only if text follows
        self._unstarted: list[Mark] = []  # opened marks whose first character is still to come
        self._order = 0
        self.root = Mark(0, 0)
        self._stack: list[Mark] = [self.root]
        self._recent: list[Point] = []  # points with no text after them yet
        self._ws_last = False  # the last source text seen ended in whitespace

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def add_text(self, raw: str) -> None:
        if raw:
            self._ws_last = raw[-1] in " \t\n\r\f"
        pos = 0
        for m in _WS.finditer(raw):
            self._word(raw[pos:m.start()])
            self._space()
            pos = m.end()
        self._word(raw[pos:])

    def _space(self) -> None:
        for p in self._recent:
            p.space_after = True
        self._recent.clear()
        if self._len:
            self._pending_space = True

    def _word(self, chunk: str) -> None:
        if not chunk:
            return
        self._recent.clear()
        if self._pending_space:
            self._parts.append(" ")
            self._len += 1
            self._pending_space = False
        for mark in self._unstarted:
            mark.start = self._len
        self._unstarted.clear()
        self._parts.append(chunk)
        self._len += len(chunk)

    def open(self, open_tag: str, close_tag: str, label: str) -> None:
        self._order += 1
        mark = Mark(-1, -1, open_tag, close_tag, label, order=self._order)
        self._stack[-1].children.append(mark)
        self._stack.append(mark)
        self._unstarted.append(mark)

    def close(self) -> None:
        mark = self._stack.pop()
        if mark.start >= 0:
            mark.end = self._len
            return
        # no text inside after all: the element is a point (with whatever points it holds)
        self._unstarted.remove(mark)
        parent = self._stack[-1]
        parent.children.pop()
        inner = [c for c in mark.children if isinstance(c, Point)]
        for c in inner:
            self._recent.remove(c)
        self._point(mark.open + "".join(c.markup for c in inner) + mark.close, mark.order)
        if inner:
            self._stack[-1].children[-1].space_before = inner[0].space_before

    def add_point(self, markup: str) -> None:
        self._order += 1
        self._point(markup, self._order)

    def _point(self, markup: str, order: int) -> None:
        pos = self._len + (1 if self._pending_space else 0)
        point = Point(pos, markup, order, space_before=self._ws_last)
        self._stack[-1].children.append(point)
        self._recent = [point]
        self._ws_last = False

    def finish(self) -> Mark:
        """The run's root mark (``[0, len(text))``); ends clamped to the text."""
        while len(self._stack) > 1:
            self.close()
        self.root.end = self._len
        for node in walk(self.root):
            if isinstance(node, Point) and node.pos > self._len:
                node.pos = self._len
        return self.root


class _Writer:
    """Output text and tags; a point's source whitespace is restored where the translation has
    none next to it (``Witaj <x/> czeka`` -> ``Hello <x/> waiting``, not ``Hello<x/>waiting``)."""

    def __init__(self, escape: Callable[[str], str]) -> None:
        self.out: list[str] = []
        self.escape = escape
        self.last = ""  # the last text character written ("" before any; "x" after a point)
        self.owed = False  # a point wants whitespace after it

    def _settle(self, next_text: str = "") -> None:
        if self.owed and not next_text[:1].isspace() and next_text[:1] not in _NO_SPACE_BEFORE:
            self.out.append(" ")
            self.last = " "
        self.owed = False

    def text(self, chunk: str) -> None:
        if chunk:
            self._settle(chunk)
            self.out.append(self.escape(chunk))
            self.last = chunk[-1]

    def tag(self, markup: str, *, closing: bool = False) -> None:
        if markup and not closing:
            self._settle()
        self.out.append(markup)

    def point(self, p: Point) -> None:
        self._settle()
        if p.space_before and self.last and not self.last.isspace() and self.last not in _NO_SPACE_AFTER:
            self.out.append(" ")
        self.out.append(p.markup)
        self.last = "x"
        self.owed = p.space_after


def serialize(root: Mark, target: str, placed: dict[int, Placement], escape: Callable[[str], str],
              lead: str = "", trail: str = "") -> str:
    """The markup of ``lead + target + trail`` with every mark and point of ``root`` at its
    placement (``placed`` by ``id``; offsets into ``target``). Points of ``root`` at the very
    start / end of the target go outside ``lead`` / ``trail``; the rest is shifted past
    ``lead``. Text is written through ``escape``; each placement is clamped into its parent's
    and after its previous sibling's, so the output is well-formed whatever it is given."""
    full = lead + target + trail
    shift = len(lead)

    def span(node: Mark | Point, top: bool) -> tuple[int, int]:
        p = placed[id(node)]
        if top and isinstance(node, Point):
            if p.start == 0:
                return 0, 0
            if p.start >= len(target):
                return len(full), len(full)
        return p.start + shift, p.end + shift

    w = _Writer(escape)
    # frames: (mark, its children sorted with their spans, next child, cursor, end)
    stack: list[tuple[Mark, list[tuple[int, int, Mark | Point]], int, int, int]] = []

    def enter(mark: Mark, start: int, end: int) -> None:
        top = mark is root
        kids = sorted(((*span(c, top), c) for c in mark.children), key=lambda k: (k[0], k[1], k[2].order))
        stack.append((mark, kids, 0, start, end))

    enter(root, 0, len(full))
    while stack:
        mark, kids, i, cursor, end = stack.pop()
        if i == len(kids):
            w.text(full[cursor:end])
            w.tag(mark.close, closing=True)
            if stack:  # the parent resumes after this mark
                parent, pkids, pi, _, pend = stack.pop()
                stack.append((parent, pkids, pi, end, pend))
            continue
        start, stop, child = kids[i]
        start = min(max(start, cursor), end)
        stop = min(max(stop, start), end)
        w.text(full[cursor:start])
        stack.append((mark, kids, i + 1, start, end))  # a mark's frame resumes at its end (set on close)
        if isinstance(child, Point):
            w.point(child)
        else:
            w.tag(child.open)
            enter(child, start, stop)
    return "".join(w.out)
