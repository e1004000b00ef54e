"""Properties of inline markup over any translation and any alignment (hypothesis): real Polish and
Lithuanian sentences from the corpus with random nested inline markup, a translation, and random
word links between them. Whatever the links say, every element comes back exactly once with its
attributes, the tree has the same shape, and the text outside the tags is the translation."""

from __future__ import annotations

import html as html_lib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tests.conftest import corpus
from translators.text.html import parse_html
from translators.text.html_render import project_html
from translators.text.markup import BlockTranslation
from translators.text.projection import tokens
from translators.text.xml_doc import XmlOptions, parse_xml, project_xml

SENTENCES = [s for s in corpus("pl") + corpus("lt") if 3 <= len(s.split()) <= 25]
TARGETS = [s for s in corpus("en") if s.strip()]
TAGS = ["a", "b", "strong", "i", "em", "u", "span", "sup", "sub", "code", "mark", "abbr", "q", "small", "s"]
POINTS = ['<img src="p.png" alt="x">', "<!-- n -->", '<span class="icon"></span>',
          '<span class="ico"><img src="i.png"></span>', '<span translate="no">NIE</span>']


@st.composite
def marked_up(draw: st.DrawFn) -> str:
    """A sentence with random nested inline elements (attributes included) and text-less content."""
    words = draw(st.sampled_from(SENTENCES)).split()
    counter = iter(range(10_000))

    def build(lo: int, hi: int, depth: int, in_link: bool = False) -> str:
        out: list[str] = []
        i = lo
        while i < hi:
            if depth < 4 and draw(st.integers(0, 3)) == 0:
                j = draw(st.integers(i + 1, hi))
                tag = draw(st.sampled_from([t for t in TAGS if t != "a" or not in_link]))  # no <a> in <a>
                attrs = f' id="e{next(counter)}"' + (' href="https://x.org/?a=1&amp;b=2"' if tag == "a" else "")
                if draw(st.booleans()):
                    attrs += ' title="&quot;q&quot; &lt;"'
                out.append(f"<{tag}{attrs}>{build(i, j, depth + 1, in_link or tag == 'a')}</{tag}>")
                i = j
            else:
                out.append(html_lib.escape(words[i], quote=False))
                i += 1
            if i < hi and draw(st.integers(0, 5)) == 0:
                out.append(" " + draw(st.sampled_from(POINTS)))
            if i < hi:
                out.append(" ")
        return "".join(out)

    lead = draw(st.sampled_from(["", POINTS[0] + " "]))
    return f"<p>{lead}{build(0, len(words), 0)}</p>"


@st.composite
def alignment(draw: st.DrawFn, source: str, target: str) -> list[tuple[int, int, int, int]]:
    src, tgt = tokens(source), tokens(target)
    if not src or not tgt:
        return []
    n = draw(st.integers(0, 2 * len(src)))
    pairs = draw(st.lists(st.tuples(st.integers(0, len(src) - 1), st.integers(0, len(tgt) - 1)),
                          min_size=n, max_size=n))
    return [(*src[i], *tgt[k]) for i, k in pairs]


def canonical(node: LexborNode) -> tuple:
    """An element's tag, attributes and its children's canonical forms, sorted: the tree's shape
    (siblings may change places in a translation)."""
    kids = []
    child = node.child
    while child is not None:
        if child.is_element_node:
            kids.append(canonical(child))
        child = child.next
    return (node.tag, tuple(sorted((k, v or "") for k, v in node.attributes.items())), tuple(sorted(kids)))


def elements(html: str) -> list[tuple]:
    root = LexborHTMLParser(html, is_fragment=True).root
    assert root is not None
    return sorted(canonical(n) for n in [root] if n.is_element_node)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_element_kept_once_same_shape_text_is_the_translation(data: st.DataObject) -> None:
    assert SENTENCES and TARGETS
    source_html = data.draw(marked_up())
    doc = parse_html(source_html)
    assert len(doc.blocks) == 1
    source = doc.blocks[0].span.text
    target = data.draw(st.sampled_from([*TARGETS[:200], " ".join(reversed(source.split())), ""]))
    links = data.draw(alignment(source, target))
    done = project_html(doc, [BlockTranslation(target, links)])
    out = done.markup
    assert elements(out) == elements(source_html)  # same tags, attributes and nesting, each once
    assert out.count("<") == source_html.count("<")  # nothing added, nothing lost (no tag split in two)
    out_text = parse_html(out).text
    if target.strip():
        assert squeeze(out_text) == squeeze(target)  # (translate="no" content is not block text)
    # what the alignment could not place is reported, never silently moved
    assert all(u.block == 0 for u in done.uncertain)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_copy_alignment_puts_every_element_back_where_it_was(data: st.DataObject) -> None:
    """A translation equal to the source with each word linked to itself: the output is the input
    (up to whitespace), for any markup."""
    source_html = data.draw(marked_up())
    doc = parse_html(source_html)
    source = doc.blocks[0].span.text
    copy = [(a, b, a, b) for a, b in tokens(source)]
    done = project_html(doc, [BlockTranslation(source + " ", copy)])
    expected = LexborHTMLParser(source_html, is_fragment=True).html or ""
    assert re.sub(r"\s+", " ", done.markup) == re.sub(r"\s+", " ", expected.replace("</p>", " </p>"))
    assert done.uncertain == []


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_xml_placeholders_once_each_in_any_translation(data: st.DataObject) -> None:
    words = data.draw(st.sampled_from(SENTENCES)).split()
    slots = sorted(data.draw(st.sets(st.integers(0, len(words)), min_size=1, max_size=4)))
    parts = []
    for i, w in enumerate([*words, ""]):
        if i in slots:
            parts.append(f'<x id="{i}"/>' if i % 2 else f'<x id="{i}"></x>')
        parts.append(html_lib.escape(w, quote=False))
    xml = " ".join(p for p in parts if p)
    doc = parse_xml(xml, XmlOptions(ignore_tags=frozenset({"x"})))
    source = doc.blocks[0].span.text
    target = data.draw(st.sampled_from(TARGETS[:200]))
    links = data.draw(alignment(source, target))
    out = project_xml(doc, [BlockTranslation(target, links)]).markup
    assert re.findall(r'<x id="(\d+)"', out) == re.findall(r'<x id="(\d+)"', xml)  # each once, in order
    assert squeeze(re.sub(r"<[^>]+>", "", out)) == squeeze(html_lib.escape(target, quote=False))
