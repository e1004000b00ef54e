"""HTML in, HTML out: extract translatable blocks, put translations back into the same markup.

A *block* is a maximal run of inline content (text and inline elements) directly inside a
block-level element: ``<p>``, ``<h1>``, ``<li>``, ``<td>``, ``<figcaption>``, the text of a
``<div>``, the ``— Author (@handle) date`` tail of a tweet ``<blockquote>``... A ``<br>`` at
run level also ends a block (so lines of an address or a poem stay lines).

Parsing is here; the walk it shares with rendering is ``html_tree.py``, and rendering (putting
translations back, inline elements kept where their text is found) is ``html_render.py``.
Known limitations: whitespace is collapsed also in ``<pre>``; ``<br>`` nested inside an inline
element is flattened to a space; ``<title>``/``<head>`` content is not translated.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

from translators.base import Span
from translators.text.html_tree import Run, collect_runs, kept_nodes, parse_tree
from translators.text.patterns import TWEET_STATUS_URL
from translators.text.quotes import Quote, find_quotes, parse_signature

__all__ = ["Block", "HtmlDocument", "parse_html"]

_FULL_DOCUMENT = re.compile(
    r"^\ufeff?\s*(?:<!--.*?-->\s*)*<(?:!doctype|html[\s>])", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True, slots=True)
class Block:
    """One translatable block: ``span`` into :attr:`HtmlDocument.text`, the tag of the
    element holding it, and the ``lang`` declared on it or its nearest ancestor. ``markup``:
    it holds inline elements (or text-less content) to place in its translation."""

    span: Span
    tag: str
    lang_hint: str | None = None
    markup: bool = False


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


def _tweet(bq: LexborNode, mine: list[int], runs: list[Run], blocks: list[Block], text: str) -> Quote:
    """The tweet in ``bq``, whose blocks are ``mine`` (indices into ``runs``/``blocks``)."""
    body = [i for i in mine if not runs[i].direct] or mine
    signature = next((runs[i].text for i in reversed(mine) if runs[i].direct), None)
    author = handle = date = None
    if signature and (parsed := parse_signature(signature)):
        author, handle, date = parsed
    url = None
    for a in bq.css("a[href]"):
        href = a.attributes.get("href") or ""
        if TWEET_STATUS_URL.match(href):
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
    """Parse an HTML fragment or document into translatable blocks and tweets. Elements marked
    ``translate="no"`` or ``class="notranslate"``, and tags in ``ignore_tags``, are kept as
    they are (a block-level one in place; an inline one before or after its block's text)."""
    fragment = not _FULL_DOCUMENT.match(html)
    _tree, top = parse_tree(html, fragment)
    runs, tweet_nodes = collect_runs(top, kept_nodes(top, ignore_tags))
    blocks: list[Block] = []
    pos = 0
    for r in runs:
        if blocks:
            pos += 2
        blocks.append(Block(Span(pos, pos + len(r.text), r.text), r.tag, r.lang,
                            markup=any(not n.is_text_node for n in r.nodes)))
        pos += len(r.text)
    text = "\n\n".join(r.text for r in runs)
    by_tweet: dict[int, list[int]] = {}
    for i, r in enumerate(runs):
        if r.tweet is not None:
            by_tweet.setdefault(r.tweet, []).append(i)
    tweets = [_tweet(tweet_nodes[t], mine, runs, blocks, text) for t, mine in by_tweet.items()]
    return HtmlDocument(text=text, blocks=blocks, tweets=tweets, source=html, fragment=fragment,
                        ignore_tags=ignore_tags)
