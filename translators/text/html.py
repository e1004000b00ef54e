"""HTML in, HTML out: extract translatable blocks, put translations back into the same markup.

A *block* is a maximal run of inline content (text and inline elements) directly inside a
block-level element: ``<p>``, ``<h1>``, ``<li>``, ``<td>``, ``<figcaption>``, the text of a
``<div>``, the ``— Author (@handle) date`` tail of a tweet ``<blockquote>``... A ``<br>`` at
run level also ends a block (so lines of an address or a poem stay lines).

Rendering re-parses the source, replaces each block's nodes by the translated text and keeps
everything else (attributes, containers, scripts, comments) as serialised by Lexbor. Inside a
block, an inline element survives with its markup when its exact text occurs in the translated
string (as a whole word): elements whose text is a URL / @handle / #hashtag / e-mail are placed
first, wherever the translation moved them (they pass through translation verbatim); other
inline elements (``<b>``, ``<em>``, ``<a>`` around words) then, in document order, where their
text is still free. Otherwise the formatting is flattened to the translated text.
Text-less inline content (images, ``<a><img></a>``, scripts, comments) is kept: before the
text when it stood before any text, after it otherwise.
Elements marked ``translate="no"`` or ``class="notranslate"`` (and any tag named in
``ignore_tags``) are kept untranslated, like text-less content: a block-level one stays where
it is; an inline one is kept whole but moves before or after its block's translated text.
Known limitations: whitespace is collapsed also in ``<pre>``; ``<br>`` nested inside an inline
element is flattened to a space; ``<title>``/``<head>`` content is not translated.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from translators.base import Span
from translators.text.quotes import Quote, find_quotes, parse_signature

__all__ = ["Block", "HtmlDocument", "parse_html", "render_html"]

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
_ATOMIC_TAGS = frozenset(
    {
        "head", "title", "meta", "link", "base", "style", "script", "noscript", "template", "img",
        "picture", "svg", "math", "video", "audio", "source", "track", "iframe", "canvas", "object",
        "embed", "input", "select", "textarea", "button", "wbr", "map", "area",
    }
)  # fmt: skip
_BLOCK_SELECTOR = ",".join(sorted(_BLOCK_TAGS - {"html", "body"}))
_WS = re.compile(r"[ \t\n\r\f]+")
_PROTECTED = re.compile(
    r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S+|(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*"
    r"|@\w{1,50}|#\w+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)
_STATUS_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status(?:es)?/\d+")
_FULL_DOCUMENT = re.compile(
    r"^\ufeff?\s*(?:<!--.*?-->\s*)*<(?:!doctype|html[\s>])", re.IGNORECASE | re.DOTALL
)

_INLINE, _ATOMIC, _BLOCK, _BREAK = range(4)


@dataclass(frozen=True, slots=True)
class Block:
    """One translatable block: ``span`` into :attr:`HtmlDocument.text`, the tag of the
    element holding it, and the ``lang`` declared on it or its nearest ancestor."""

    span: Span
    tag: str
    lang_hint: str | None = None


@dataclass
class HtmlDocument:
    """``text`` is the blocks' texts joined by ``"\\n\\n"``; ``tweets`` are the embedded
    ``blockquote.twitter-tweet`` (``lang_hint`` = their ``<p lang>``)."""

    text: str
    blocks: list[Block]
    tweets: list[Quote]
    source: str = field(repr=False)
    fragment: bool = field(default=True, repr=False)
    ignore_tags: frozenset[str] = field(default=frozenset(), repr=False)

    def quotes(self) -> list[Quote]:
        """Quotes found in ``text`` plus the HTML tweets (which replace any tweet found in
        the plain text at the same place), sorted like :func:`find_quotes`."""
        starts = [t.outer.start for t in self.tweets]  # document order, disjoint

        def overlaps_html_tweet(q: Quote) -> bool:
            k = bisect_right(starts, q.outer.start)
            return (k > 0 and self.tweets[k - 1].outer.end > q.outer.start) or (
                k < len(starts) and starts[k] < q.outer.end
            )

        found = [q for q in find_quotes(self.text) if q.kind != "tweet" or not overlaps_html_tweet(q)]
        found.extend(self.tweets)
        found.sort(key=lambda q: (q.outer.start, -q.outer.end, q.kind != "tweet"))
        return found


@dataclass
class _Run:
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


def _collapse(raw: str) -> str:
    return _WS.sub(" ", raw).strip(" ")


def _kind(node: LexborNode, has_block: set[int], keep: set[int]) -> int:
    if node.is_text_node:
        return _INLINE
    if not node.is_element_node or node.mem_id in keep:
        return _ATOMIC
    tag = node.tag or ""
    if tag in _BLOCK_TAGS:
        return _BLOCK
    if tag == "br":
        return _BREAK
    if tag in _ATOMIC_TAGS:
        return _ATOMIC
    return _BLOCK if node.mem_id in has_block else _INLINE


def _children(node: LexborNode) -> Iterator[LexborNode]:
    child = node.child
    while child is not None:
        yield child
        child = child.next


def _kept(top: list[LexborNode], ignore_tags: frozenset[str]) -> set[int]:
    """``mem_id`` of the elements not to translate: ``translate="no"``, ``class="notranslate"``,
    a tag in ``ignore_tags``."""

    def marked(node: LexborNode) -> bool:
        attrs = node.attributes
        return ((attrs.get("translate") or "").strip().lower() == "no"
                or "notranslate" in (attrs.get("class") or "").split() or (node.tag or "") in ignore_tags)

    selector = ",".join(["[translate]", ".notranslate", *sorted(ignore_tags)])
    keep: set[int] = set()
    for root in top:
        if not root.is_element_node:
            continue
        for node in [root, *root.css(selector)]:
            if marked(node):
                keep.add(node.mem_id)
    return keep


def _texts(nodes: list[LexborNode], keep: set[int] | frozenset[int] = frozenset()) -> dict[int, str]:
    """Raw text of every element in these subtrees by ``mem_id`` (atomic elements: ``""``,
    ``<br>``: a space); one iterative post-order pass."""
    texts: dict[int, str] = {}
    stack: list[tuple[LexborNode, bool]] = [(n, False) for n in reversed(nodes) if n.is_element_node]
    while stack:
        node, done = stack.pop()
        if done:
            texts[node.mem_id] = "".join(
                (c.text_content or "") if c.is_text_node else texts.get(c.mem_id, "") for c in _children(node)
            )
            continue
        tag = node.tag or ""
        if tag in _ATOMIC_TAGS or node.mem_id in keep:
            texts[node.mem_id] = ""
        elif tag == "br":
            texts[node.mem_id] = " "
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(list(_children(node))) if c.is_element_node)
    return texts


def _raw(node: LexborNode, texts: dict[int, str]) -> str:
    if node.is_text_node:
        return node.text_content or ""
    return texts.get(node.mem_id, "") if node.is_element_node else ""


def _parse(html: str, fragment: bool) -> tuple[LexborHTMLParser, list[LexborNode]]:
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


def _collect(top: list[LexborNode], keep: set[int]) -> tuple[list[_Run], list[LexborNode]]:
    """Runs (blocks) in document order, and the tweet blockquotes they refer to."""
    has_block = _containers_of_blocks(top)
    runs: list[_Run] = []
    tweets: list[LexborNode] = []
    run: list[LexborNode] = []

    def flush(ctx: _Ctx) -> None:
        if run:
            texts = _texts(run, keep)
            raw = "".join(_raw(n, texts) for n in run)
            text = _collapse(raw)
            if text:
                stripped = raw.lstrip(" \t\n\r\f")
                lead = raw[: len(raw) - len(stripped)]
                trail = stripped[len(stripped.rstrip(" \t\n\r\f")) :]
                runs.append(_Run(list(run), text, lead, trail, ctx.tag, ctx.lang, ctx.tweet, ctx.direct))
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


def _tweet(bq: LexborNode, mine: list[int], runs: list[_Run], blocks: list[Block], text: str) -> Quote:
    """The tweet in ``bq``, whose blocks are ``mine`` (indices into ``runs``/``blocks``)."""
    body = [i for i in mine if not runs[i].direct] or mine
    signature = next((runs[i].text for i in reversed(mine) if runs[i].direct), None)
    author = handle = date = None
    if signature and (parsed := parse_signature(signature)):
        author, handle, date = parsed
    url = None
    for a in bq.css("a[href]"):
        href = a.attributes.get("href") or ""
        if _STATUS_URL.match(href):
            url = href
    p_lang = bq.css_first("p[lang]")
    lang = (p_lang.attributes.get("lang") if p_lang else None) or bq.attributes.get("lang")
    start, end = blocks[body[0]].span.start, blocks[body[-1]].span.end
    o_start, o_end = blocks[mine[0]].span.start, blocks[mine[-1]].span.end
    return Quote(
        kind="tweet",
        span=Span(start, end, text[start:end]),
        outer=Span(o_start, o_end, text[o_start:o_end]),
        author=author,
        handle=handle,
        date=date,
        url=url,
        lang_hint=lang,
    )


def parse_html(html: str, ignore_tags: frozenset[str] = frozenset()) -> HtmlDocument:
    """Parse an HTML fragment or document into translatable blocks and tweets; elements
    marked not to be translated (and tags in ``ignore_tags``) are kept as they are."""
    fragment = not _FULL_DOCUMENT.match(html)
    _tree, top = _parse(html, fragment)
    runs, tweet_nodes = _collect(top, _kept(top, ignore_tags))
    blocks: list[Block] = []
    pos = 0
    for r in runs:
        if blocks:
            pos += 2
        blocks.append(Block(Span(pos, pos + len(r.text), r.text), r.tag, r.lang))
        pos += len(r.text)
    text = "\n\n".join(r.text for r in runs)
    by_tweet: dict[int, list[int]] = {}
    for i, r in enumerate(runs):
        if r.tweet is not None:
            by_tweet.setdefault(r.tweet, []).append(i)
    tweets = [_tweet(tweet_nodes[t], mine, runs, blocks, text) for t, mine in by_tweet.items()]
    return HtmlDocument(text=text, blocks=blocks, tweets=tweets, source=html, fragment=fragment,
                        ignore_tags=ignore_tags)


# --------------------------------------------------------------------------- rendering


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


class _Intervals:
    """Disjoint half-open intervals, sorted; O(log n) overlap test."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        k = bisect_right(self._starts, start)
        if k and self._ends[k - 1] > start:
            return False
        return k == len(self._starts) or self._starts[k] >= end

    def add(self, start: int, end: int) -> None:
        k = bisect_right(self._starts, start)
        self._starts.insert(k, start)
        self._ends.insert(k, end)


def _find_free(hay: str, needle: str, start: int, taken: _Intervals) -> int:
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
            stack.extend(reversed(list(_children(node))))


def _atomic_or_empty(node: LexborNode, texts: dict[int, str], keep: set[int]) -> bool:
    if not node.is_element_node or (node.tag or "") in _ATOMIC_TAGS or node.mem_id in keep:
        return True
    return not _collapse(texts.get(node.mem_id, ""))


def _replace_run(run: _Run, translated: str, keep: set[int]) -> None:
    """Replace a run's nodes by ``translated``, keeping inline elements found in it."""
    leading: list[LexborNode] = []
    trailing: list[LexborNode] = []
    protected: list[tuple[LexborNode, str]] = []
    seen_text = False
    texts = _texts(run.nodes, keep)

    def visit_protected(node: LexborNode) -> bool:
        nonlocal seen_text
        if node.is_text_node:
            seen_text = seen_text or bool(_collapse(node.text_content or ""))
            return False
        if node.tag == "br":
            return False
        if _atomic_or_empty(node, texts, keep):
            (trailing if seen_text else leading).append(node)
            return False
        text = _collapse(texts[node.mem_id])
        if _PROTECTED.fullmatch(text):
            seen_text = True
            protected.append((node, text))
            return False
        return True

    _dfs(run.nodes, visit_protected)

    taken = _Intervals()
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
        text = _collapse(texts[node.mem_id])
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
    tree, top = _parse(doc.source, doc.fragment)
    keep = _kept(top, doc.ignore_tags)
    runs, _ = _collect(top, keep)
    if len(runs) != len(doc.blocks):  # the same parser on the same source: cannot differ
        raise RuntimeError("document structure changed between parse and render")
    for run, translated in zip(runs, translated_blocks, strict=True):
        _replace_run(run, translated, keep)
    return tree.html or ""
