"""What a text must be before the pipeline works on it: not empty, within the size limit, valid
UTF-8, HTML or XML not nested too deep. The one place these are checked, for every caller (the API, the
LibreTranslate and DeepL dialects, the CLI, batch and jobs); the HTTP layer adds only the limits
of a whole request (``service/http/limits.py``).
"""

from __future__ import annotations

import re

from service.errors import EmptyText, HtmlTooDeep, TextTooLarge, check_text
from service.pipeline.results import Format

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_MAX_HTML_DEPTH", "check_input", "html_depth"]

DEFAULT_MAX_CHARS = 200_000
DEFAULT_MAX_HTML_DEPTH = 256

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)>")
# never opened (void) or closed implicitly by their next sibling: they do not nest
_FLAT = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody", "tfoot", "rt", "rp",
})


def html_depth(html: str, *, xml: bool = False) -> int:
    """Deepest element nesting by a scan of the tags (an upper bound for well-formed markup;
    in HTML, elements with optional end tags are not counted)."""
    depth = deepest = 0
    flat = frozenset() if xml else _FLAT
    for closing, name, self_closing in _TAG.findall(html):
        if name.lower() in flat or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def check_input(text: str, fmt: Format = "text", *, max_chars: int = DEFAULT_MAX_CHARS,
                max_html_depth: int = DEFAULT_MAX_HTML_DEPTH) -> None:
    """Raise ``EmptyText`` (422), ``TextTooLarge`` (413), ``InvalidText`` (422: a lone surrogate
    such as the JSON escape ``"\\ud800"``) or ``HtmlTooDeep`` (413) for a text the pipeline
    must not take."""
    if not text or not text.strip():
        raise EmptyText("text is empty")
    if len(text) > max_chars:
        raise TextTooLarge(f"text has {len(text)} characters; the limit is {max_chars}")
    check_text(text)
    if fmt in ("html", "xml") and (depth := html_depth(text, xml=fmt == "xml")) > max_html_depth:
        raise HtmlTooDeep(f"text nests elements {depth} deep; the limit is {max_html_depth}")
