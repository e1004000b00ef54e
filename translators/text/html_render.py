"""Rendering: an HTML document with each block's text replaced by its translation.

Rendering re-parses the source, replaces each block's nodes by the translated text and keeps
everything else (attributes, containers, scripts, comments) as serialised by Lexbor. Inside a
block, an inline element survives with its markup when its exact text occurs in the translated
string (as a whole word): elements whose text is a URL / @handle / #hashtag / e-mail are placed
first, wherever the translation moved them (they pass through translation verbatim); other
inline elements (``<b>``, ``<em>``, ``<a>`` around words) then, in document order, where their
text is still free. Otherwise the formatting is flattened to the translated text.
Text-less inline content (images, ``<a><img></a>``, scripts, comments) is kept: before the
text when it stood before any text, after it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from selectolax.lexbor import LexborNode

from translators.text.html import HtmlDocument
from translators.text.html_tree import (
    ATOMIC_TAGS,
    Run,
    children,
    collapse,
    collect_runs,
    kept_nodes,
    node_texts,
    parse_tree,
)
from translators.text.intervals import Intervals
from translators.text.patterns import DECORATION

__all__ = ["render_html"]

def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _find_word(hay: str, needle: str, start: int, end: int) -> int:
    """First occurrence of ``needle`` in ``hay[start:end]`` not glued to a word on either side."""
    i = hay.find(needle, start, end)
    while i >= 0:
        j = i + len(needle)
        if (i == 0 or not _is_word(needle[0]) or not _is_word(hay[i - 1])) and (
            j == len(hay) or not _is_word(needle[-1]) or not _is_word(hay[j])
        ):
            return i
        i = hay.find(needle, i + 1, end)
    return -1


def _find_free(hay: str, needle: str, start: int, taken: Intervals) -> int:
    """First whole-word occurrence of ``needle`` from ``start`` not overlapping ``taken``."""
    i = _find_word(hay, needle, start, len(hay))
    while i >= 0 and not taken.free(i, i + len(needle)):
        i = _find_word(hay, needle, i + 1, len(hay))
    return i


def _dfs(nodes: list[LexborNode], visit: Callable[[LexborNode], bool]) -> None:
    """Pre-order walk; ``visit`` returns whether to descend."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if visit(node):
            stack.extend(reversed(list(children(node))))


def _atomic_or_empty(node: LexborNode, texts: dict[int, str], keep: frozenset[int]) -> bool:
    if not node.is_element_node or (node.tag or "") in ATOMIC_TAGS or node.mem_id in keep:
        return True
    return not collapse(texts.get(node.mem_id, ""))


def _replace_run(run: Run, translated: str, keep: frozenset[int]) -> None:
    """Replace a run's nodes by ``translated``, keeping inline elements found in it."""
    leading: list[LexborNode] = []
    trailing: list[LexborNode] = []
    protected: list[tuple[LexborNode, str]] = []
    seen_text = False
    texts = node_texts(run.nodes, keep)

    def visit_protected(node: LexborNode) -> bool:
        nonlocal seen_text
        if node.is_text_node:
            seen_text = seen_text or bool(collapse(node.text_content or ""))
            return False
        if node.tag == "br":
            return False
        if _atomic_or_empty(node, texts, keep):
            (trailing if seen_text else leading).append(node)
            return False
        text = collapse(texts[node.mem_id])
        if DECORATION.fullmatch(text):
            seen_text = True
            protected.append((node, text))
            return False
        return True

    _dfs(run.nodes, visit_protected)

    taken = Intervals()
    placed: list[tuple[int, int, LexborNode]] = []
    resume: dict[str, int] = {}  # repeated protected texts map to occurrences in order
    for node, text in protected:  # any order: a translation may move a link or a handle
        i = _find_free(translated, text, resume.get(text, 0), taken)
        if i >= 0:
            placed.append((i, i + len(text), node))
            taken.add(i, i + len(text))
            resume[text] = i + len(text)
    protected_ids = {n.mem_id for n, _ in protected}
    container = run.nodes[0].parent
    stop = container.mem_id if container is not None else None
    holds_protected: set[int] = set()
    for node, _ in protected:
        parent = node.parent
        while parent is not None and parent.mem_id != stop and parent.mem_id not in holds_protected:
            holds_protected.add(parent.mem_id)
            parent = parent.parent

    cursor = 0  # other inline elements: in document order
    missing: set[str] = set()  # not found from an earlier cursor: not found later either

    def visit_other(node: LexborNode) -> bool:
        nonlocal cursor
        if node.is_text_node or node.tag == "br" or _atomic_or_empty(node, texts, keep):
            return False
        if node.mem_id in protected_ids:
            return False
        if node.mem_id in holds_protected:
            return True
        text = collapse(texts[node.mem_id])
        if len(text) < 2 or text in missing:
            return True
        i = _find_free(translated, text, cursor, taken)
        if i < 0:
            missing.add(text)
            return True
        placed.append((i, i + len(text), node))
        taken.add(i, i + len(text))
        cursor = i + len(text)
        return False

    _dfs(run.nodes, visit_other)

    pieces: list[str | LexborNode] = [*leading, run.lead_ws]
    pos = 0
    for start, end, node in sorted(placed, key=lambda p: p[0]):
        pieces += [translated[pos:start], node]
        pos = end
    pieces += [translated[pos:], run.trail_ws, *trailing]

    anchor = run.nodes[0]
    for piece in pieces:
        if isinstance(piece, str):
            if piece:
                anchor.insert_before(piece)
        else:
            anchor.insert_before(piece)  # a deep copy; the original goes with the run
    for node in run.nodes:
        node.decompose()


def render_html(doc: HtmlDocument, translated_blocks: list[str]) -> str:
    """``doc``'s HTML with each block's text replaced by its translation (HTML-escaped)."""
    if len(translated_blocks) != len(doc.blocks):
        raise ValueError(f"{len(translated_blocks)} translations for {len(doc.blocks)} blocks")
    tree, top = parse_tree(doc.source, doc.fragment)
    keep = kept_nodes(top, doc.ignore_tags)
    runs, _ = collect_runs(top, keep)
    if len(runs) != len(doc.blocks):  # the same parser on the same source: cannot differ
        raise RuntimeError("document structure changed between parse and render")
    for run, translated in zip(runs, translated_blocks, strict=True):
        _replace_run(run, translated, keep)
    return tree.html or ""
