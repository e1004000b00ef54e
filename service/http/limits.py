"""Limits every text-taking endpoint applies before any model work is queued.

- ``max_batch_texts``: number of ``texts`` (413 ``too_many_texts``);
- ``max_chars``: characters of one text (413 ``text_too_large``);
- ``max_request_chars``: characters of all texts of one request (413 ``request_too_large``);
- ``max_html_depth``: element nesting of ``format=html`` input (413 ``html_too_deep``);
- text no UTF-8 can carry (lone surrogates, e.g. the JSON escape ``"\\ud800"``): 422 ``invalid_text``.

The body size itself is limited while it is read (``service.http.middleware.BodyLimit``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from service.errors import (
    HtmlTooDeep,
    NewsbridgeError,
    RequestTooLarge,
    TextTooLarge,
    TooManyTexts,
    check_text,
)
from service.settings import Settings

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
# never opened (void) or closed implicitly by their next sibling: they do not nest
_FLAT = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "rt", "rp",
})


def html_depth(html: str) -> int:
    """Deepest element nesting by a scan of the tags (an upper bound for well-formed markup;
    elements with optional end tags are not counted)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(html):
        if name.lower() in _FLAT or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def check_one(text: str, settings: Settings, *, fmt: str = "text", index: int | None = None) -> None:
    """The per-text limits: size, encoding, HTML nesting."""
    where = f"texts[{index}]" if index is not None else "text"
    if len(text) > settings.max_chars:
        raise TextTooLarge(f"{where} has {len(text)} characters; the limit is {settings.max_chars}")
    check_text(text, index=index)
    if fmt == "html" and (depth := html_depth(text)) > settings.max_html_depth:
        raise HtmlTooDeep(f"{where} nests elements {depth} deep; the limit is {settings.max_html_depth}")


def check_request(texts: Sequence[str], settings: Settings, *, fmt: str = "text",
                  batch: bool = False) -> tuple[int, dict[int, NewsbridgeError]]:
    """Check one request's texts. Request-wide limits (count, total size) and, for a single
    text, its own limits raise; for a batch, each failing text's problem is returned by index
    (it is answered in its place and the others go on). Returns the characters to admit."""
    if len(texts) > settings.max_batch_texts:
        raise TooManyTexts(f"{len(texts)} texts in one request; the limit is {settings.max_batch_texts}")
    total = sum(map(len, texts))
    if total > settings.max_request_chars:
        raise RequestTooLarge(f"the request has {total} characters in all; the limit is "
                              f"{settings.max_request_chars}")
    bad: dict[int, NewsbridgeError] = {}
    for i, text in enumerate(texts):
        try:
            check_one(text, settings, fmt=fmt, index=i if batch else None)
        except NewsbridgeError as exc:
            if not batch:
                raise
            bad[i] = exc
    return total - sum(len(texts[i]) for i in bad), bad
