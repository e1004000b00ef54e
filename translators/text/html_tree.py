"""The Lexbor walk shared by HTML parsing and rendering: which elements are blocks, inline
or atomic, and the *runs* (maximal stretches of inline content in a block-level element) that
become translatable blocks. Parsing and rendering walk the same source with the same code, so
their runs always correspond."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["ATOMIC_TAGS", "Run", "children", "collapse", "collect_runs", "kept_nodes", "node_texts", "parse_tree"]

_BLOCK_TAGS = frozenset(
    {
        "html", "body", "address", "article", "aside", "blockquote", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
        "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "main",
        "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
        "thead", "tr", "ul",
    }
)  # fmt: skip
# no text of their own to translate; kept as they are
ATOMIC_TAGS = frozenset(
    {
        "head", "title", "meta", "link", "base", "style", "script", "noscript", "template", "img",
        "picture", "svg", "math", "video", "audio", "source", "track", "iframe", "canvas", "object",
        "embed", "input", "select", "textarea", "button", "wbr", "map", "area",
    }
)  # fmt: skip
_BLOCK_SELECTOR = ",".join(sorted(_BLOCK_TAGS - {"html", "body"}))
_WS = re.compile(r"[ \t\n\r\f]+")
_INLINE, _ATOMIC, _BLOCK, _BREAK = range(4)


@dataclass
class Run:
    nodes: list[LexborNode]
    text: str  # collapsed
    lead_ws: str
    trail_ws: str
    tag: str
    lang: str | None
    tweet: int | None  # index into the tweet contexts
    direct: bool  # run sits directly in the tweet blockquote (the signature)


@dataclass
class _Ctx:
    tag: str
    lang: str | None
    tweet: int | None
    direct: bool


def collapse(raw: str) -> str:
    return _WS.sub(" ", raw).strip(" ")


def kept_nodes(top: list[LexborNode], ignore_tags: frozenset[str] = frozenset()) -> frozenset[int]:
    """``mem_id`` of the elements not to translate, kept whole like atomic content:
    ``translate="no"``, ``class="notranslate"``, and tags in ``ignore_tags`` (DeepL's option)."""

    def marked(node: LexborNode) -> bool:
        attrs = node.attributes
        return ((attrs.get("translate") or "").strip().lower() == "no"
                or "notranslate" in (attrs.get("class") or "").split() or (node.tag or "") in ignore_tags)

    selector = ",".join(["[translate]", ".notranslate", *sorted(ignore_tags)])
    keep: set[int] = set()
    for root in top:
        if root.is_element_node:
            keep.update(n.mem_id for n in [root, *root.css(selector)] if marked(n))
    return frozenset(keep)


def _kind(node: LexborNode, has_block: set[int], keep: frozenset[int]) -> int:
    if node.is_text_node:
        return _INLINE
    if not node.is_element_node or node.mem_id in keep:
        return _ATOMIC
    tag = node.tag or ""
    if tag in _BLOCK_TAGS:
        return _BLOCK
    if tag == "br":
        return _BREAK
    if tag in ATOMIC_TAGS:
        return _ATOMIC
    return _BLOCK if node.mem_id in has_block else _INLINE


def children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def node_texts(nodes: list[LexborNode], keep: frozenset[int] = frozenset()) -> dict[int, str]:
    """Raw text of every element in these subtrees by ``mem_id`` (atomic and kept elements:
    ``""``, ``<br>``: a space); one iterative post-order pass."""
    texts: dict[int, str] = {}
    stack: list[tuple[LexborNode, bool]] = [(n, False) for n in reversed(nodes) if n.is_element_node]
    while stack:
        node, done = stack.pop()
        if done:
            texts[node.mem_id] = "".join(
                (c.text_content or "") if c.is_text_node else texts.get(c.mem_id, "") for c in children(node)
            )
            continue
        tag = node.tag or ""
        if tag in ATOMIC_TAGS or node.mem_id in keep:
            texts[node.mem_id] = ""
        elif tag == "br":
            texts[node.mem_id] = " "
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(list(children(node))) if c.is_element_node)
    return texts


def _raw(node: LexborNode, texts: dict[int, str]) -> str:
    if node.is_text_node:
        return node.text_content or ""
    return texts.get(node.mem_id, "") if node.is_element_node else ""


def parse_tree(html: str, fragment: bool) -> tuple[LexborHTMLParser, list[LexborNode]]:
    tree = LexborHTMLParser(html, is_fragment=fragment)
    top: list[LexborNode] = []
    node = tree.root
    while node is not None:
        top.append(node)
        node = node.next
    return tree, top


def _containers_of_blocks(top: list[LexborNode]) -> set[int]:
    """``mem_id`` of every element that has a block-level descendant."""
    marked: set[int] = set()
    for root in top:
        if not root.is_element_node:
            continue
        for block in root.css(_BLOCK_SELECTOR):
            parent = block.parent
            while parent is not None and parent.mem_id not in marked:
                marked.add(parent.mem_id)
                parent = parent.parent
    return marked


def collect_runs(top: list[LexborNode], keep: frozenset[int] = frozenset()) -> tuple[list[Run], list[LexborNode]]:
    """Runs (blocks) in document order, and the tweet blockquotes they refer to; ``keep``
    (see :func:`kept_nodes`) are treated as atomic."""
    has_block = _containers_of_blocks(top)
    runs: list[Run] = []
    tweets: list[LexborNode] = []
    run: list[LexborNode] = []

    def flush(ctx: _Ctx) -> None:
        if run:
            texts = node_texts(run, keep)
            raw = "".join(_raw(n, texts) for n in run)
            text = collapse(raw)
            if text:
                stripped = raw.lstrip(" \t\n\r\f")
                lead = raw[: len(raw) - len(stripped)]
                trail = stripped[len(stripped.rstrip(" \t\n\r\f")) :]
                runs.append(Run(list(run), text, lead, trail, ctx.tag, ctx.lang, ctx.tweet, ctx.direct))
            run.clear()

    root_ctx = _Ctx("#root", None, None, False)
    stack: list[tuple[LexborNode | None, _Ctx]] = [(top[0] if top else None, root_ctx)]
    while stack:
        node, ctx = stack.pop()
        if node is None:
            flush(ctx)
            continue
        stack.append((node.next, ctx))
        kind = _kind(node, has_block, keep)
        if kind in (_INLINE, _ATOMIC):
            run.append(node)
            continue
        flush(ctx)
        if kind == _BLOCK:
            tag = node.tag or ""
            lang = node.attributes.get("lang") or ctx.lang
            tweet, direct = ctx.tweet, False
            if tag == "blockquote" and "twitter-tweet" in (node.attributes.get("class") or "").split():
                tweets.append(node)
                tweet, direct = len(tweets) - 1, True
            stack.append((node.child, _Ctx(tag, lang, tweet, direct)))
    return runs, tweets
