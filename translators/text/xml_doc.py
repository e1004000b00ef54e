"""XML in, XML out, as DeepL's ``tag_handling=xml`` does it.

The input is checked for well-formedness (expat) and then read as a tree with the exact source
offsets of every tag, so the output is the input with only the translated runs rewritten: tags,
attributes, quoting, comments and the XML declaration are kept byte for byte. A fragment (text
with tags, no single root) is fine, as DeepL accepts it.

Which elements split sentences (DeepL's options, https://developers.deepl.com/docs/xml-and-html-handling):
- ``splitting_tags`` always do; ``non_splitting_tags`` never do (they are inline);
- with ``outline_detection`` (the default) an element is structure when it is not part of running
  text: its parent holds no text of its own beside it (``<par>`` inside ``<content>``), and it is
  not inside an inline element; an element inside running text (``Press <b>Continue</b>``) is
  inline;
- with ``outline_detection=false`` only ``splitting_tags`` split; every other element is inline.
Elements in ``ignore_tags`` are kept as they are, content included, and placed like any other
text-less element (Weblate's placeholders ``<x id="6"/>``, ``<x id="6"></x>``). An element with no
text of its own is such a text-less *point* too. Text is decoded (``&amp;``, ``&#233;``, and HTML's
named entities such as ``&nbsp;``, which rich-text editors put in what they send as XML); CDATA
sections, comments and processing instructions inside a run are kept as points.
"""

from __future__ import annotations

import html
import re
import xml.parsers.expat
from collections.abc import Sequence
from dataclasses import dataclass, field

from translators.base import Span
from translators.text.html import Block, HtmlDocument
from translators.text.inline import Mark, RunBuilder
from translators.text.markup import BlockTranslation, Rendered, Uncertain, label, render_run

__all__ = ["DEFAULT_OPTIONS", "MarkupError", "XmlDocument", "XmlOptions", "escape_xml", "parse_xml", "project_xml",
           "render_xml"]

_TOKEN = re.compile(
    r"""(?P<comment><!--.*?-->)
      | (?P<cdata><!\[CDATA\[.*?\]\]>)
      | (?P<pi><\?.*?\?>)
      | (?P<doctype><!DOCTYPE(?:[^>\[]|\[[^\]]*\])*>)
      | (?P<end></(?P<end_name>[^\s>]+)\s*>)
      | (?P<start><(?P<name>[^\s/>!?]+)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(?P<empty>/?)>)""",
    re.DOTALL | re.VERBOSE,
)
_WS = " \t\n\r\f"
_WRAP = "newsbridge-fragment"
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class MarkupError(ValueError):
    """The input is not well-formed XML."""


def escape_xml(text: str) -> str:
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class XmlOptions:
    """DeepL's XML options (tag names as given, case-sensitive as XML is)."""

    ignore_tags: frozenset[str] = frozenset()
    splitting_tags: frozenset[str] = frozenset()
    non_splitting_tags: frozenset[str] = frozenset()
    outline_detection: bool = True


@dataclass(eq=False)
class _Node:
    kind: str  # "element" | "text" | "other"
    start: int  # source offsets of the whole node
    end: int
    name: str = ""
    open_tag: str = ""  # the start tag as written (an empty element: ``<x/>`` whole)
    text: str = ""  # decoded text of a text node
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = None
    inline: bool = False
    point: bool = False  # kept as it is: ignored, text-less, comment, CDATA, PI


@dataclass(eq=False)
class _Run:
    nodes: list[_Node]
    text: str
    lead_ws: str
    trail_ws: str
    tag: str
    lang: str | None


@dataclass
class XmlDocument(HtmlDocument):
    """An ``HtmlDocument`` whose source is XML: blocks and text as for HTML, no tweets."""

    runs: list[_Run] = field(default_factory=list, repr=False)


_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_XML_NAMED = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _numeric_entities(source: str) -> str:
    """HTML's named entities (``&nbsp;``, ``&copy;``) as character references, for the check
    only: rich-text editors put them in what they send as XML (wagtail-localize does)."""

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _XML_NAMED:
            return m.group()
        char = html.unescape(m.group())
        return m.group() if char == m.group() else "".join(f"&#{ord(c)};" for c in char)

    return _NAMED.sub(repl, source)


def _check_well_formed(source: str, fragment: bool) -> None:
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> None:
        raise MarkupError("Tag handling parsing failed, please check input: entity declarations are not accepted")

    parser.EntityDeclHandler = refuse
    source = _numeric_entities(source)
    body = f"<{_WRAP}>{source}</{_WRAP}>" if fragment else source
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        shift = len(_WRAP) + 2 if fragment and exc.lineno == 1 else 0
        where = f"line {exc.lineno}, column {max(1, exc.offset - shift + 1)}"
        raise MarkupError(f"Tag handling parsing failed, please check input: "
                          f"{xml.parsers.expat.ErrorString(exc.code)} ({where})") from None


def _tree(source: str) -> _Node:
    root = _Node("element", 0, len(source), name="#root")
    stack = [root]
    pos = 0

    def text(a: int, b: int) -> None:
        if b > a:
            stack[-1].children.append(_Node("text", a, b, text=html.unescape(source[a:b]), parent=stack[-1]))

    for m in _TOKEN.finditer(source):
        text(pos, m.start())
        pos = m.end()
        parent = stack[-1]
        if m.group("start"):
            node = _Node("element", m.start(), m.end(), name=m.group("name"), open_tag=m.group(), parent=parent)
            parent.children.append(node)
            if not m.group("empty"):
                stack.append(node)
        elif m.group("end"):
            node = stack.pop()
            node.end = m.end()
        else:  # comment, CDATA section, processing instruction, doctype: kept as they are
            parent.children.append(_Node("other", m.start(), m.end(), parent=parent))
    text(pos, len(source))
    return root


def _texts(root: _Node, ignore: frozenset[str]) -> dict[int, str]:
    """Decoded text of every element (ignored ones: ``""``), by ``id``; iterative post-order."""
    out: dict[int, str] = {}
    stack: list[tuple[_Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out[id(node)] = "".join(c.text if c.kind != "element" else out[id(c)] for c in node.children)
        elif node.name in ignore and node is not root:
            out[id(node)] = ""
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children if c.kind == "element")
    return out


def _classify(root: _Node, options: XmlOptions, texts: dict[int, str]) -> None:
    """Mark inline elements and points (top-down: inside an inline element all is inline)."""
    stack = [root]
    while stack:
        node = stack.pop()
        has_text = any(c.kind == "text" and c.text.strip(_WS) for c in node.children)
        for c in node.children:
            if c.kind != "element":
                c.inline = True
                c.point = c.kind == "other"
                continue
            if c.name in options.ignore_tags or not texts[id(c)].strip(_WS):
                c.inline = c.point = True
                continue
            if c.name in options.splitting_tags:
                c.inline = False
            elif node.inline or c.name in options.non_splitting_tags or not options.outline_detection:
                c.inline = True
            else:
                c.inline = has_text
            stack.append(c)
    # an element holding structure is structure itself
    order: list[_Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(c for c in node.children if c.kind == "element" and not c.point)
    for node in reversed(order):
        if node.inline and any(c.kind == "element" and not c.inline for c in node.children):
            node.inline = False


def _runs(root: _Node, texts: dict[int, str]) -> list[_Run]:
    runs: list[_Run] = []

    def flush(nodes: list[_Node], block: _Node, lang: str | None) -> None:
        if not nodes:
            return
        raw = "".join(n.text if n.kind == "text" else ("" if n.point else texts[id(n)]) for n in nodes)
        stripped = raw.strip(_WS)
        if stripped:
            lead = raw[:len(raw) - len(raw.lstrip(_WS))]
            trail = raw[len(raw.rstrip(_WS)):]
            runs.append(_Run(list(nodes), _collapse(raw), lead, trail, block.name, lang))
        nodes.clear()

    # (block element, its language, index of the next child, the current run)
    stack: list[tuple[_Node, str | None, int, list[_Node]]] = [(root, None, 0, [])]
    while stack:
        block, lang, i, run = stack.pop()
        if i == len(block.children):
            flush(run, block, lang)
            continue
        child = block.children[i]
        stack.append((block, lang, i + 1, run))
        if child.inline:
            run.append(child)
            continue
        flush(run, block, lang)
        child_lang = _attr(child.open_tag, "xml:lang") or lang
        stack.append((child, child_lang, 0, []))
    return runs


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf"""\s{re.escape(name)}\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag)
    return html.unescape(m.group(1) if m.group(1) is not None else m.group(2)) if m else None


def _collapse(raw: str) -> str:
    return re.sub(r"[ \t\n\r\f]+", " ", raw).strip(" ")


DEFAULT_OPTIONS = XmlOptions()


def parse_xml(source: str, options: XmlOptions = DEFAULT_OPTIONS) -> XmlDocument:
    """Check and parse XML (a document or a fragment) into translatable blocks."""
    head = source.lstrip("\ufeff \t\r\n")
    fragment = not head.startswith(("<?xml", "<!DOCTYPE"))
    _check_well_formed(source, fragment)
    root = _tree(source)
    texts = _texts(root, options.ignore_tags)
    _classify(root, options, texts)
    runs = _runs(root, texts)
    blocks: list[Block] = []
    pos = 0
    for r in runs:
        if blocks:
            pos += 2
        blocks.append(Block(Span(pos, pos + len(r.text), r.text), r.tag, r.lang,
                            markup=any(n.kind != "text" for n in r.nodes)))
        pos += len(r.text)
    return XmlDocument(text="\n\n".join(r.text for r in runs), blocks=blocks, tweets=[], source=source,
                       fragment=fragment, ignore_tags=options.ignore_tags, runs=runs)


def _inline_tree(run: _Run, source: str) -> Mark:
    b = RunBuilder()
    stack: list[tuple[_Node, bool]] = [(n, False) for n in reversed(run.nodes)]
    while stack:
        node, done = stack.pop()
        if done:
            b.close()
        elif node.kind == "text":
            b.add_text(node.text)
        elif node.point:
            b.add_point(source[node.start:node.end])
        else:
            b.open(node.open_tag, f"</{node.name}>", label(node.open_tag))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children))
    root = b.finish()
    if b.text != run.text:  # pragma: no cover - the same collapse rules on the same text
        raise RuntimeError("inline tree text differs from the block text")
    return root


def project_xml(doc: XmlDocument, blocks: Sequence[BlockTranslation | str]) -> Rendered:
    """``doc``'s XML with each block's text replaced by its translation, every element and
    placeholder of the block placed through its word links; the rest of the source unchanged."""
    if len(blocks) != len(doc.runs):
        raise ValueError(f"{len(blocks)} translations for {len(doc.runs)} blocks")
    out: list[str] = []
    uncertain: list[Uncertain] = []
    cursor = 0
    for index, (run, block) in enumerate(zip(doc.runs, blocks, strict=True)):
        translation = block if isinstance(block, BlockTranslation) else BlockTranslation(block)
        if translation.text == run.text:
            continue
        start, end = run.nodes[0].start, run.nodes[-1].end
        markup, missed = render_run(index, _inline_tree(run, doc.source), run.text, translation, escape_xml,
                                    run.lead_ws, run.trail_ws)
        uncertain += missed
        out += [doc.source[cursor:start], markup]
        cursor = end
    out.append(doc.source[cursor:])
    return Rendered("".join(out), uncertain)


def render_xml(doc: XmlDocument, blocks: Sequence[BlockTranslation | str]) -> str:
    """``doc``'s XML with each block's text replaced by its translation (see ``project_xml``)."""
    return project_xml(doc, blocks).markup
