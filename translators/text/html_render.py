"""Rendering: an HTML document with each block's text replaced by its translation, every inline
element kept and placed over the words aligned to the ones it wrapped.

Rendering re-parses the source with the walk parsing used (``html_tree``), so its runs are the
blocks. A run whose translation is its own text is left exactly as it was. Otherwise its inline
content becomes a tree (``translators.text.inline``: elements around ranges of the block's text,
text-less content such as images, comments and ``translate="no"`` elements at positions),
``translators.text.projection`` places each of them in the translation through the block's word
links, and the run's nodes are replaced by the markup written from that: tags and attributes as
Lexbor serializes them, text escaped. Everything outside the runs (containers, scripts, attributes
of blocks) is left to Lexbor's serializer.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

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
from translators.text.inline import Mark, RunBuilder
from translators.text.markup import BlockTranslation, Rendered, Uncertain, label, render_run

__all__ = ["escape_html", "project_html", "render_html", "start_tag"]

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\xa0": "&nbsp;", '"': "&quot;"})


def escape_html(text: str) -> str:
    """Text as Lexbor serializes it."""
    return text.translate(_TEXT_ESCAPES)


def start_tag(node: LexborNode) -> str:
    """An element's start tag as Lexbor serializes it (an attribute without a value gets ``=""``)."""
    attrs = "".join(f' {k}="{(v or "").translate(_ATTR_ESCAPES)}"' for k, v in node.attributes.items())
    return f"<{node.tag}{attrs}>"


def _inline_tree(run: Run, keep: frozenset[int]) -> Mark:
    """The run's inline content as a tree over its (collapsed) text."""
    texts = node_texts(run.nodes, keep)
    b = RunBuilder()
    stack: list[tuple[LexborNode, bool]] = [(n, False) for n in reversed(run.nodes)]
    while stack:
        node, done = stack.pop()
        if done:
            b.close()
            continue
        if node.is_text_node:
            b.add_text(node.text_content or "")
            continue
        tag = node.tag or ""
        if not node.is_element_node or tag in ATOMIC_TAGS or node.mem_id in keep:
            b.add_point(node.html or "")
        elif tag == "br":  # nested in an inline element (a <br> at run level ends the block)
            b.add_point(node.html or "<br>")
            b.add_text(" ")
        elif not collapse(texts.get(node.mem_id, "")):
            b.add_point(node.html or "")
        else:
            opening = start_tag(node)
            b.open(opening, f"</{tag}>", label(opening))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(list(children(node))))
    root = b.finish()
    if b.text != run.text:  # the same collapse rules on the same nodes: cannot differ
        raise RuntimeError("inline tree text differs from the block text")
    return root


def project_html(doc: HtmlDocument, blocks: Sequence[BlockTranslation | str]) -> Rendered:
    """``doc``'s HTML with each block's text replaced by its translation, inline elements placed
    through its links; with the elements the alignment could not place."""
    if len(blocks) != len(doc.blocks):
        raise ValueError(f"{len(blocks)} translations for {len(doc.blocks)} blocks")
    tree, top = parse_tree(doc.source, doc.fragment)
    keep = kept_nodes(top, doc.ignore_tags)
    runs, _ = collect_runs(top, keep)
    if len(runs) != len(doc.blocks):  # the same parser on the same source: cannot differ
        raise RuntimeError("document structure changed between parse and render")
    nonce = secrets.token_hex(6)
    while nonce in doc.source:  # pragma: no cover - 48 random bits
        nonce = secrets.token_hex(6)
    pieces: list[str] = []
    uncertain: list[Uncertain] = []
    for index, (run, block) in enumerate(zip(runs, blocks, strict=True)):
        translation = block if isinstance(block, BlockTranslation) else BlockTranslation(block)
        if translation.text == run.text:
            continue  # untranslated: the nodes stay as they were
        root = _inline_tree(run, keep)
        markup, missed = render_run(index, root, run.text, translation, escape_html, run.lead_ws, run.trail_ws)
        uncertain += missed
        run.nodes[0].insert_before(f"\ue000{nonce}:{len(pieces)}\ue001")
        pieces.append(markup)
        for node in run.nodes:
            node.decompose()
    html = tree.html or ""
    if pieces:
        html = re.sub(f"\ue000{nonce}:([0-9]+)\ue001", lambda m: pieces[int(m.group(1))], html)
    return Rendered(html, uncertain)


def render_html(doc: HtmlDocument, blocks: Sequence[BlockTranslation | str]) -> str:
    """``doc``'s HTML with each block's text replaced by its translation (see ``project_html``)."""
    return project_html(doc, blocks).markup
