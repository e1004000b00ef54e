"""Quotes inside quotes (and inside tweets): which quote holds which, and what to carve out.

A quotation inside a sentence is carved out of it and translated on its own; a quotation
inside that quotation is carved out of the quotation's unit in turn, and so on, so that every
quote's target span is exact by construction, however deep. A quote that fills its whole unit
(but for quotation marks and punctuation) is not carved: the unit is the quote, and the
quotes inside it are carved from the unit instead.

Quotation marks nest properly (``find_quotes`` pairs them on a stack), so the quotes form a
forest; tweets are not carved (they hold whole sentences) but are parents too.
"""

from __future__ import annotations

from collections.abc import Sequence

from translators.text.quotes import Quote


def quote_forest(quotes: Sequence[Quote]) -> tuple[list[int], dict[int, list[int]]]:
    """Indices of the outermost quotations and the direct children of each (kind ``quote``
    only), in document order."""
    roots: list[int] = []
    children: dict[int, list[int]] = {}
    stack: list[int] = []
    order = sorted((i for i, q in enumerate(quotes) if q.kind == "quote"),
                   key=lambda i: (quotes[i].outer.start, -quotes[i].outer.end))
    for i in order:
        q = quotes[i].outer
        while stack and quotes[stack[-1]].outer.end < q.end:  # ends before q does: not a container
            stack.pop()
        if stack:
            children.setdefault(stack[-1], []).append(i)
        else:
            roots.append(i)
        stack.append(i)
    return roots, children


def parents(quotes: Sequence[Quote]) -> list[int | None]:
    """For each quote, the index of the innermost other quote or tweet whose content holds it."""
    out: list[int | None] = [None] * len(quotes)
    order = sorted(range(len(quotes)), key=lambda i: (quotes[i].outer.start, -quotes[i].outer.end,
                                                      quotes[i].kind != "tweet"))
    stack: list[int] = []
    for i in order:
        q = quotes[i].outer
        while stack and not (quotes[stack[-1]].span.start <= q.start and q.end <= quotes[stack[-1]].span.end):
            stack.pop()
        out[i] = stack[-1] if stack else None
        stack.append(i)
    return out


def carve(lo: int, text: str, quotes: Sequence[Quote], candidates: Sequence[int],
          children: dict[int, list[int]]) -> list[tuple[int, int, int]]:
    """Parts of ``text`` (which starts at ``lo`` in the document) to carve out: ``(start, end,
    quote index)`` relative to ``text``, for the ``candidates`` (disjoint quotes) that overlap
    it; a candidate that fills ``text`` is not carved, its children are tried instead."""
    hi = lo + len(text)
    out: list[tuple[int, int, int]] = []
    for qi in candidates:
        q = quotes[qi]
        a, b = max(q.span.start, lo), min(q.span.end, hi)
        if a >= b or not text[a - lo:b - lo].strip():
            continue
        rest = (text[:a - lo] + text[b - lo:]).strip()
        if not any(ch.isalnum() for ch in rest):  # the quote is the whole unit: look inside it
            out += carve(lo, text, quotes, children.get(qi, []), children)
            continue
        piece = text[a - lo:b - lo]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        out.append((a - lo + lead, b - lo - trail, qi))
    return out


__all__ = ["carve", "parents", "quote_forest"]
