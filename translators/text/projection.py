"""Inline markup projected onto a translation through word alignment.

Given a block's source text with its inline tree (``translators.text.inline``: marks around
ranges, points at positions), its translation and word links between the two (source span <->
target span, from the model's own alignment), every mark gets a target range and every point a
target position. The rules (compare bergamot-translator's ``html.cpp``, which gives each target
token the tag stack of its best-aligned source token and may therefore split an element in
two; here an element is never duplicated, so each one gets exactly one contiguous range):

1. Texts are cut into tokens (protected spans such as URLs, handles and numbers are one token
   each; words; every other non-space character alone) and links become token pairs.
2. Top-down, siblings compete for the target tokens inside their parent's range: each target
   token is *owned* by the sibling (or the parent's own text) whose source tokens link to it
   most; a mark takes the contiguous stretch of tokens it owns with the most weight, bridging
   unaligned tokens but never a token owned by another. Such stretches of different siblings
   cannot overlap, so siblings never cross and children stay inside their parent.
3. A mark that owns no token is still placed: around the unaligned target words between the
   translations of its source neighbours, or empty at that word boundary (``uncertain``).
4. A point goes next to the translation of its nearest aligned source neighbour (after the
   previous word or before the next one, whitespace as in the source), outside its siblings;
   at the start or end of its parent it stays there. Points of one parent keep their order
   (a pair of placeholders standing for ``<b>`` and ``</b>`` never swaps).
5. Punctuation a mark wraps at its edges (``<i>„cytat”</i>``) is taken along when the same kind
   of punctuation stands unowned at the edge of its target range.

Links from the model are completed by *anchors*: protected spans and numbers occurring in both
texts (they pass through translation verbatim) link to each other with a higher weight. Without
links (a caller that has no alignment) words are matched by identical spelling; that is a guess
and only a fallback.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

import regex

from translators.text.inline import Mark, Placement, Point
from translators.text.patterns import WORD_CHARS
from translators.text.protect import find_protected

__all__ = ["WordLink", "anchor_links", "lexical_links", "project", "tokens"]

WordLink = tuple[int, int, int, int]  # (src_start, src_end, tgt_start, tgt_end), code points

_WORD = regex.compile(rf"[{WORD_CHARS}]+|\S")
_IS_WORD = regex.compile(rf"[{WORD_CHARS}]")
_ANCHOR_WEIGHT = 2


def tokens(text: str) -> list[tuple[int, int]]:
    """Tokens of ``text``: protected spans and numbers whole, words, single other characters."""
    out: list[tuple[int, int]] = []
    pos = 0
    for p in find_protected(text):
        out += [m.span() for m in _WORD.finditer(text, pos, p.start)]
        out.append((p.start, p.end))
        pos = p.end
    out += [m.span() for m in _WORD.finditer(text, pos)]
    return out


class _Tokens:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = tokens(text)
        self.starts = [a for a, _ in self.spans]
        self.ends = [b for _, b in self.spans]

    def __len__(self) -> int:
        return len(self.spans)

    def covering(self, start: int, end: int) -> range:
        """Indices of the tokens overlapping ``[start, end)``."""
        if end <= start:
            return range(0)
        return range(bisect_right(self.ends, start), bisect_left(self.starts, end))

    def word(self, i: int) -> bool:
        a, _ = self.spans[i]
        return _IS_WORD.match(self.text, a) is not None

    def punct(self, i: int) -> bool:
        a, b = self.spans[i]
        return b - a == 1 and not self.word(i)


def anchor_links(source: str, target: str) -> list[WordLink]:
    """Protected spans and numbers found in both texts, the n-th occurrence of a string in the
    source linked to its n-th occurrence in the target."""
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for p in find_protected(target):
        found[p.text].append((p.start, p.end))
    used: dict[str, int] = defaultdict(int)
    out: list[WordLink] = []
    for p in find_protected(source):
        spots = found.get(p.text)
        if spots and used[p.text] < len(spots):
            a, b = spots[used[p.text]]
            used[p.text] += 1
            out.append((p.start, p.end, a, b))
    return out


def lexical_links(source: str, target: str) -> list[WordLink]:
    """Identically spelled words (case-insensitive) in the longest matching order: the guess
    used only when no alignment is given."""
    src, tgt = tokens(source), tokens(target)
    a = [source[s:e].casefold() for s, e in src]
    b = [target[s:e].casefold() for s, e in tgt]
    out: list[WordLink] = []
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for d in range(block.size):
            (s0, s1), (t0, t1) = src[block.a + d], tgt[block.b + d]
            out.append((s0, s1, t0, t1))
    return out


class _Projector:
    def __init__(self, source: str, target: str, links: Iterable[WordLink], anchors: Iterable[WordLink]) -> None:
        self.src = _Tokens(source)
        self.tgt = _Tokens(target)
        pairs: dict[tuple[int, int], int] = {}
        for weight, group in ((1, links), (_ANCHOR_WEIGHT, anchors)):
            for s0, s1, t0, t1 in group:
                for i in self.src.covering(s0, s1):
                    for k in self.tgt.covering(t0, t1):
                        pairs[(i, k)] = max(pairs.get((i, k), 0), weight)
        self.links: list[dict[int, int]] = [{} for _ in range(len(self.src))]  # source token -> {target: weight}
        for (i, k), w in pairs.items():
            self.links[i][k] = w
        self.placed: dict[int, Placement] = {}

    # -------------------------------------------------------------------- helpers

    def _weights(self, src_tokens: Iterable[int], lo: int, hi: int) -> dict[int, int]:
        w: dict[int, int] = defaultdict(int)
        for i in src_tokens:
            for k, x in self.links[i].items():
                if lo <= k < hi:
                    w[k] += x
        return w

    def _linked(self, i: int, lo: int, hi: int) -> list[int]:
        return sorted(k for k in self.links[i] if lo <= k < hi)

    def _char(self, lo: int, hi: int) -> tuple[int, int]:
        """Character range of target tokens ``[lo, hi)`` (``hi > lo``)."""
        return self.tgt.starts[lo], self.tgt.ends[hi - 1]

    def _place_empty(self, node: Mark | Point, pos: int, uncertain: bool) -> None:
        """``node`` (and for a mark, all it holds) at ``pos``, empty."""
        self.placed[id(node)] = Placement(pos, pos, uncertain)
        if isinstance(node, Mark):
            stack: list[Mark | Point] = list(node.children)
            while stack:
                n = stack.pop()
                self.placed[id(n)] = Placement(pos, pos, False)
                if isinstance(n, Mark):
                    stack.extend(n.children)

    # -------------------------------------------------------------------- one level

    def run(self, root: Mark) -> dict[int, Placement]:
        todo: list[tuple[Mark, int, int, int, int]] = [(root, 0, len(self.tgt), 0, len(self.tgt.text))]
        while todo:
            mark, lo, hi, clo, chi = todo.pop()
            todo.extend(self._level(mark, lo, hi, clo, chi))
        return self.placed

    def _level(self, parent: Mark, lo: int, hi: int, clo: int, chi: int) -> list[tuple[Mark, int, int, int, int]]:
        """Place ``parent``'s children inside its target tokens ``[lo, hi)`` (characters
        ``[clo, chi)``); returns the children marks to place in turn with their ranges."""
        marks = [c for c in parent.children if isinstance(c, Mark)]
        points = [c for c in parent.children if isinstance(c, Point)]
        spans: dict[int, tuple[int, int]] = {}  # id(mark) -> target token range [a, b)
        empty: dict[int, int] = {}  # id(mark) -> character position
        if marks:
            owner, weights = self._owners(parent, marks, lo, hi)
            taken = [False] * (hi - lo)
            unplaced: list[Mark] = []
            for j, m in enumerate(marks):
                best = self._best_stretch(j, m, parent, owner, weights[j], lo, hi)
                if best is None:
                    unplaced.append(m)
                    continue
                spans[id(m)] = best
                for k in range(*best):
                    taken[k - lo] = True
            for j, m in enumerate(marks):  # punctuation at the edges
                if id(m) in spans:
                    spans[id(m)] = self._take_edges(m, j, spans[id(m)], owner, taken, lo, hi)
            for m in unplaced:
                where = self._fallback(m, parent, owner, taken, lo, hi, clo, chi)
                if isinstance(where, tuple):
                    spans[id(m)] = where
                    for k in range(*where):
                        taken[k - lo] = True
                else:
                    empty[id(m)] = where
        ranges = {mid: self._char(a, b) for mid, (a, b) in spans.items()}
        floor = clo  # text-less siblings keep their order (Weblate's <x/> for <b> stays before the one for </b>)
        for p in points:
            pos, uncertain = self._point(p, parent, lo, hi, clo, chi)
            pos = max(self._outside(pos, p.order, marks, ranges, empty), floor)
            self.placed[id(p)] = Placement(pos, pos, uncertain)
            floor = pos
        todo: list[tuple[Mark, int, int, int, int]] = []
        for m in marks:
            if id(m) in spans:
                a, b = spans[id(m)]
                cs, ce = ranges[id(m)]
                self.placed[id(m)] = Placement(cs, ce, m in unplaced)
                todo.append((m, a, b, cs, ce))
            else:
                self._place_empty(m, self._outside(empty[id(m)], m.order, marks, ranges, empty), True)
        return todo

    def _owners(self, parent: Mark, marks: Sequence[Mark], lo: int, hi: int
                ) -> tuple[dict[int, int], list[dict[int, int]]]:
        """Target token -> index of the sibling that links to it most (``-1``: the parent's own
        text), ties going to a mark over the parent's text, then to the first mark; and each
        mark's weight per target token."""
        covered: set[int] = set()
        best: dict[int, tuple[int, int]] = {}  # k -> (weight, -rank)
        weights: list[dict[int, int]] = []
        for j, m in enumerate(marks):
            mine = self.src.covering(m.start, m.end)
            covered.update(i for i in mine if m.start <= self.src.starts[i] and self.src.ends[i] <= m.end)
            weights.append(self._weights(mine, lo, hi))
            for k, w in weights[-1].items():
                if (w, -j) > best.get(k, (0, 0)):
                    best[k] = (w, -j)
        own = [i for i in self.src.covering(parent.start, parent.end) if i not in covered]
        for k, w in self._weights(own, lo, hi).items():
            if w > best.get(k, (0, 0))[0]:
                best[k] = (w, 1)
        return {k: (-r if r <= 0 else -1) for k, (_, r) in best.items()}, weights

    def _best_stretch(self, j: int, m: Mark, parent: Mark, owner: dict[int, int], weights: dict[int, int],
                      lo: int, hi: int) -> tuple[int, int] | None:
        """The stretch of target tokens ``[a, b)`` that mark ``j`` owns with the most weight,
        bridging unowned tokens and stopping at tokens owned by others."""
        owned = sorted(k for k in weights if owner.get(k) == j)
        if not owned:
            return None
        span = max(1, parent.end - parent.start)
        expected = lo + (m.start - parent.start) / span * (hi - lo)
        best: tuple[float, float, int, int] | None = None
        first = last = -1
        score = 0
        for k in range(owned[0], owned[-1] + 2):
            o = owner.get(k) if k <= owned[-1] else -2
            if o == j:
                if first < 0:
                    first = k
                last = k
                score += weights.get(k, 0)
            elif o is not None:  # another's token, or past the last owned one
                if first >= 0:
                    key = (score, -abs((first + last) / 2 - expected), first, last + 1)
                    if best is None or key[:2] > best[:2]:
                        best = key
                first = last = -1
                score = 0
        return None if best is None else (best[2], best[3])

    def _take_edges(self, m: Mark, j: int, span: tuple[int, int], owner: dict[int, int],
                    taken: list[bool], lo: int, hi: int) -> tuple[int, int]:
        src = self.src.covering(m.start, m.end)
        lead = 0
        for i in src:
            if not self.src.punct(i) or self.src.starts[i] < m.start:
                break
            lead += 1
        trail = 0
        for i in reversed(src):
            if not self.src.punct(i) or self.src.ends[i] > m.end:
                break
            trail += 1
        a, b = span

        def free(k: int) -> bool:
            return lo <= k < hi and not taken[k - lo] and owner.get(k, j) == j and self.tgt.punct(k)

        while lead and free(a - 1):
            a -= 1
            lead -= 1
            taken[a - lo] = True
        while trail and free(b):
            taken[b - lo] = True
            b += 1
            trail -= 1
        return a, b

    def _neighbour(self, i_range: Iterable[int], lo: int, hi: int) -> tuple[int | None, list[int], bool]:
        """The first source token in ``i_range`` with links into ``[lo, hi)``: its index, its
        target tokens, and whether a word without links was passed on the way."""
        skipped = False
        for i in i_range:
            linked = self._linked(i, lo, hi)
            if linked:
                return i, linked, skipped
            skipped = skipped or self.src.word(i)
        return None, [], skipped

    def _fallback(self, m: Mark, parent: Mark, owner: dict[int, int], taken: list[bool], lo: int, hi: int,
                  clo: int, chi: int) -> tuple[int, int] | int:
        """A mark the alignment does not place: between the translations of its nearest aligned
        source neighbours, at the same relative place in that gap as it has in the source gap,
        around free unaligned target tokens (as many as it has source tokens), else empty there."""
        inside = self.src.covering(parent.start, parent.end)
        mine = self.src.covering(m.start, m.end)
        if not mine:  # pragma: no cover - a mark always has text
            return clo
        i_left, left, _ = self._neighbour(range(min(mine.start, inside.stop) - 1, inside.start - 1, -1), lo, hi)
        i_right, right, _ = self._neighbour(range(max(mine.stop, inside.start), inside.stop), lo, hi)
        if left and right and max(left) >= min(right):  # crossing neighbours: keep the left one
            i_right, right = None, []
        s_lo = i_left + 1 if i_left is not None else inside.start
        s_hi = i_right if i_right is not None else inside.stop
        t_lo = max(left) + 1 if left else lo
        t_hi = min(right) if right else hi
        share = max(1, s_hi - s_lo)
        a = t_lo + round((mine.start - s_lo) / share * (t_hi - t_lo))
        b = t_lo + round((mine.stop - s_lo) / share * (t_hi - t_lo))
        a, b = min(max(a, t_lo), t_hi), min(max(b, t_lo), t_hi)
        if b == a and t_hi > t_lo:
            a, b = (a, a + 1) if a < t_hi else (a - 1, a)
        best: tuple[int, int] | None = None
        k = a
        while k < b:  # the longest stretch of free tokens in [a, b)
            if taken[k - lo] or k in owner:
                k += 1
                continue
            j = k
            while j < b and not taken[j - lo] and j not in owner:
                j += 1
            if best is None or j - k > best[1] - best[0]:
                best = (k, j)
            k = j
        if best is not None:
            return best
        pos = self.tgt.starts[a] if a < hi else chi
        if a > lo and (a >= hi or taken[a - lo]):
            pos = self.tgt.ends[a - 1]
        return pos

    def _point(self, p: Point, parent: Mark, lo: int, hi: int, clo: int, chi: int) -> tuple[int, bool]:
        """A point's target position and whether it is uncertain."""
        inside = self.src.covering(parent.start, parent.end)
        k = bisect_right(self.src.ends, p.pos)  # first token ending after the point
        k = min(max(k, inside.start), inside.stop)
        if k == inside.start:
            return clo, False  # before all of its parent's text
        if k == inside.stop:
            return chi, False  # after it
        prev_i, prev_t, prev_skip = self._neighbour(range(k - 1, inside.start - 1, -1), lo, hi)
        next_i, next_t, next_skip = self._neighbour(range(k, inside.stop), lo, hi)
        if prev_i is None and next_i is None:
            share = (p.pos - parent.start) / max(1, parent.end - parent.start)
            return (clo if share < 0.5 else chi), True
        d_prev = p.pos - self.src.ends[prev_i] if prev_i is not None else None
        d_next = self.src.starts[next_i] - p.pos if next_i is not None else None
        if d_next is not None and p.space_after and p.space_before:
            d_next += 1  # whitespace on both sides collapsed to the one before the point
        text = self.tgt.text
        if d_next is None or (d_prev is not None and d_prev <= d_next):
            assert prev_i is not None
            pos = self.tgt.ends[max(prev_t)]
            if d_prev and pos < chi and text[pos].isspace():
                pos += 1
            return pos, prev_skip
        assert next_i is not None
        pos = self.tgt.starts[min(next_t)]
        if d_next and pos > clo and text[pos - 1].isspace():
            pos -= 1
        return pos, next_skip

    @staticmethod
    def _outside(pos: int, order: int, marks: Sequence[Mark], ranges: dict[int, tuple[int, int]],
                 empty: dict[int, int]) -> int:
        """``pos`` moved out of any sibling's range: to its end when the node came after the
        sibling in the source, to its start otherwise."""
        for m in marks:
            r = ranges.get(id(m))
            if r is not None and r[0] < pos < r[1]:
                return r[1] if order > m.order else r[0]
        return pos


def project(root: Mark, source: str, target: str, links: Sequence[WordLink] | None) -> dict[int, Placement]:
    """Where each mark and point under ``root`` (by ``id``) lands in ``target``, the translation
    of ``source`` (the run's text); ``links`` from the model's alignment, or ``None`` when there
    is none (identical words are then matched instead)."""
    anchors = anchor_links(source, target)
    given = lexical_links(source, target) if links is None else links
    return _Projector(source, target, given, anchors).run(root)
