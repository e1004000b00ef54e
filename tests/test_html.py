"""HTML in, HTML out (translators.text.html)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from tests.scaling import LINEAR, superlinearity
from translators.text.html import HtmlDocument, parse_html
from translators.text.html_render import project_html, render_html
from translators.text.quotes import parse_tweet_date

SAMPLE = Path(__file__).parent / "fixtures" / "samples" / "en_article_with_pl_tweet.html"
_PROTECTED = re.compile(r"(?:https?://|pic\.twitter\.com/)\S+|@\w+|#\w+")


def _upper_unprotected(text: str) -> str:
    """A stand-in translation: upper-case everything except protected spans (as the pipeline)."""
    out, pos = [], 0
    for m in _PROTECTED.finditer(text):
        out += [text[pos : m.start()].upper(), m.group()]
        pos = m.end()
    return "".join([*out, text[pos:].upper()])


def _identity(doc: HtmlDocument) -> list[str]:
    return [b.span.text for b in doc.blocks]


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    root = LexborHTMLParser(html, is_fragment=True).root
    out: list[tuple[str, dict[str, str | None]]] = []
    node = root
    while node is not None:
        if node.is_element_node:
            out += [(n.tag or "", n.attributes) for n in node.traverse() if n.is_element_node]
        node = node.next
    return out


@pytest.fixture(scope="module")
def sample() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def test_sample_blocks(sample: str) -> None:
    doc = parse_html(sample)
    assert [doc.text[b.span.start : b.span.end] for b in doc.blocks] == [b.span.text for b in doc.blocks]
    assert doc.text == "\n\n".join(b.span.text for b in doc.blocks)
    assert [b.tag for b in doc.blocks] == ["h1", "p", "p", "blockquote", "p"]
    texts = [b.span.text for b in doc.blocks]
    assert texts[0] == "Border guards report new crossing attempts"
    assert texts[2].startswith("Funkcjonariusze Straży Granicznej") and texts[2].endswith(
        "pic.twitter.com/AbCdEf1234"
    )
    assert texts[3] == "— Straż Graniczna (@Straz_Graniczna) November 12, 2021"  # &mdash; decoded
    assert texts[4].startswith("A spokesperson told reporters: “We are monitoring")
    assert doc.blocks[2].lang_hint == "pl"


def test_sample_tweet(sample: str) -> None:
    doc = parse_html(sample)
    (tweet,) = doc.tweets
    assert tweet.kind == "tweet"
    assert tweet.author == "Straż Graniczna"
    assert tweet.handle == "@Straz_Graniczna"
    assert tweet.date == "November 12, 2021"
    assert parse_tweet_date(tweet.date) is not None
    assert tweet.url == "https://twitter.com/Straz_Graniczna/status/1458000000000000000"
    assert tweet.lang_hint == "pl"
    body = doc.text[tweet.span.start : tweet.span.end]
    assert body == tweet.span.text == doc.blocks[2].span.text
    assert body.startswith("Funkcjonariusze") and "Straż Graniczna (@" not in body
    assert doc.text[tweet.outer.start : tweet.outer.end] == tweet.outer.text
    assert tweet.outer.text.endswith("November 12, 2021")


def test_sample_quotes_merge_html_tweet(sample: str) -> None:
    doc = parse_html(sample)
    quotes = doc.quotes()
    assert [q.kind for q in quotes] == ["tweet", "quote"]
    assert quotes[0].url is not None  # the HTML tweet, not the plain-text detection
    assert quotes[1].span.text == "We are monitoring the situation around the clock."
    assert quotes[1].speaker == "A spokesperson"


def test_identity_render_keeps_visible_text_and_markup(sample: str) -> None:
    doc = parse_html(sample)
    html = render_html(doc, _identity(doc))
    assert parse_html(html).text == doc.text
    assert _elements(html) == _elements(sample)
    assert LexborHTMLParser(html).body.text() == LexborHTMLParser(sample).body.text()


def test_uppercase_render_keeps_block_markup_and_protected_links(sample: str) -> None:
    doc = parse_html(sample)
    html = render_html(doc, [_upper_unprotected(t) for t in _identity(doc)])
    assert '<a href="https://t.co/AbCdEf1234">pic.twitter.com/AbCdEf1234</a>' in html
    assert '<blockquote class="twitter-tweet"><p lang="pl" dir="ltr">FUNKCJONARIUSZE' in html
    assert html.startswith("<article>\n<h1>BORDER GUARDS REPORT NEW CROSSING ATTEMPTS</h1>")
    rendered = parse_html(html)
    assert rendered.text == _upper_unprotected(doc.text)
    assert [b.tag for b in rendered.blocks] == [b.tag for b in doc.blocks]
    # every element kept, also the date link whose text the "translation" changed
    assert _elements(html) == _elements(sample)
    assert f'<a href="{doc.tweets[0].url}">NOVEMBER 12, 2021</a>' in html


def test_translations_are_escaped() -> None:
    doc = parse_html("<p>Hello</p>")
    html = render_html(doc, ['<script>alert("x")</script> & co'])
    assert html == '<p>&lt;script&gt;alert("x")&lt;/script&gt; &amp; co</p>'


def test_block_structure() -> None:
    html = (
        "<div>Intro <b>text</b><p>Para &amp; more&nbsp;x</p>tail text</div>"
        "<p>line one<br>line two</p>"
        "<ul><li>Item <em>one</em><ul><li>sub item</li></ul></li></ul>"
        "<table><tr><td>A1</td><td> B2 </td></tr></table>"
        "<figure><img src='a.png'><figcaption>Caption</figcaption></figure>"
        "<a href='/card'><div>Card title</div></a>"
        "<script>var s = '<p>not text</p>';</script><style>p{}</style>"
    )
    doc = parse_html(html)
    assert [(b.tag, b.span.text) for b in doc.blocks] == [
        ("div", "Intro text"),
        ("p", "Para & more\xa0x"),
        ("div", "tail text"),
        ("p", "line one"),
        ("p", "line two"),
        ("li", "Item one"),
        ("li", "sub item"),
        ("td", "A1"),
        ("td", "B2"),
        ("figcaption", "Caption"),
        ("div", "Card title"),
    ]
    out = render_html(doc, [t.upper() for t in _identity(doc)])
    assert "<p>LINE ONE<br>LINE TWO</p>" in out
    assert "<td> B2 </td>" in out  # surrounding whitespace of a block is kept
    assert "<script>var s = '<p>not text</p>';</script><style>p{}</style>" in out
    assert '<a href="/card"><div>CARD TITLE</div></a>' in out
    assert '<figure><img src="a.png"><figcaption>CAPTION</figcaption></figure>' in out


def test_inline_elements_kept_without_an_alignment() -> None:
    """No word links given: identical words place what they can, the rest is kept anyway and
    reported as uncertain (never flattened, never dropped)."""
    doc = parse_html('<p>Minister <b>Kamiński</b> spoke in <a href="/w">Warsaw</a> today.</p>')
    done = project_html(doc, ["Minister Kamiński przemawiał dziś w Warszawie."])
    assert "<b>Kamiński</b>" in done.markup
    assert done.markup.count('<a href="/w">') == 1 and done.markup.count("</a>") == 1
    assert parse_html(done.markup).text == "Minister Kamiński przemawiał dziś w Warszawie."
    assert [(u.block, doc.blocks[0].span.text[u.start:u.end], u.label) for u in done.uncertain] == [
        (0, "Warsaw", '<a href="/w">')]


def test_protected_inline_elements_survive_reordering() -> None:
    doc = parse_html(
        '<p>Follow <a href="https://x.com/a">@a</a> and see <a href="https://t.co/z">t.co/z</a></p>'
    )
    out = render_html(doc, ["Zobacz t.co/z i obserwuj @a"])
    assert out == (
        '<p>Zobacz <a href="https://t.co/z">t.co/z</a> i obserwuj <a href="https://x.com/a">@a</a></p>'
    )
    # a link nested in ordinary formatting: both kept, nested as they were
    doc = parse_html('<p><em>see <a href="https://x.org">https://x.org</a> now</em></p>')
    assert render_html(doc, ["zobacz https://x.org teraz"]) == (
        '<p>zobacz <em><a href="https://x.org">https://x.org</a></em> teraz</p>'
    )


def test_text_less_inline_content_is_kept() -> None:
    doc = parse_html('<p><img src="a.png"> Caption <a href="/x"><img src="b.png"></a><!-- note --></p>')
    assert doc.text == "Caption"
    out = render_html(doc, ["Podpis"])
    assert out == '<p><img src="a.png"> Podpis <a href="/x"><img src="b.png"></a><!-- note --></p>'


def test_full_document_round_trip() -> None:
    html = (
        '<!DOCTYPE html><html lang="lt"><head><meta charset="utf-8"><title>Antraštė</title></head>'
        "<body><p>Pirmas  sakinys\n su  tarpais.</p></body></html>"
    )
    doc = parse_html(html)
    assert doc.text == "Pirmas sakinys su tarpais."
    assert doc.blocks[0].lang_hint == "lt"
    out = render_html(doc, ["First sentence."])
    assert out.startswith('<!DOCTYPE html><html lang="lt"><head><meta charset="utf-8"><title>Antraštė')
    assert out.endswith("<body><p>First sentence.</p></body></html>")


def test_render_needs_one_translation_per_block(sample: str) -> None:
    doc = parse_html(sample)
    with pytest.raises(ValueError):
        render_html(doc, ["only one"])
    assert parse_html("") == HtmlDocument(text="", blocks=[], tweets=[], source="")
    assert render_html(parse_html(""), []) == ""


def test_100kb_article_is_linear(sample: str) -> None:
    inner = sample.replace("<article>", "").replace("</article>", "")
    para = (
        '<p>Officials said on <b>Friday</b> that <a href="https://example.org/a">groups</a> tried '
        "to cross near <em>Kuźnica</em>. See https://example.org and #granica.</p>\n"
    )

    def article(size: int) -> str:
        body = ""
        while len(body) < size:
            body += inner + para * 3
        return f"<article>{body}</article>"

    def round_trip(html: str) -> str:
        doc = parse_html(html)
        return render_html(doc, [_upper_unprotected(t) for t in _identity(doc)])

    html = article(100_000)
    doc = parse_html(html)
    out = round_trip(html)
    assert len(doc.tweets) > 50 and len(doc.blocks) > 500
    assert out.count('<a href="https://t.co/AbCdEf1234">pic.twitter.com/AbCdEf1234</a>') == len(doc.tweets)
    small = article(25_000)
    growth = superlinearity(round_trip, small, html, len(html) / len(small))
    assert growth < LINEAR, f"{len(html) / len(small):.1f}x the markup cost {growth:.1f}x more than linear"


def test_deep_nesting_does_not_recurse() -> None:
    html = "<p>" + "<span>" * 3000 + "deep text" + "</span>" * 3000 + "</p>"
    doc = parse_html(html)
    assert doc.text == "deep text"
    assert parse_html(render_html(doc, ["głęboki tekst"])).text == "głęboki tekst"


def test_blocks_say_whether_they_hold_inline_markup() -> None:
    doc = parse_html('<h1>Tytuł</h1><p>Straż <b>zatrzymała</b> ich.</p><p>Zdjęcie <img src="a.png"></p><p>Nic</p>')
    assert [(b.span.text, b.markup) for b in doc.blocks] == [
        ("Tytuł", False), ("Straż zatrzymała ich.", True), ("Zdjęcie", True), ("Nic", False)]
