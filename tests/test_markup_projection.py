"""Inline markup placed in a translation through word links (translators.text.projection), with
alignments written out by hand: each test says which source word the model aligned to which
target word, and where the elements must land because of it."""

from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser

from tests.scaling import LINEAR, superlinearity
from translators.text.html import parse_html
from translators.text.html_render import project_html
from translators.text.markup import BlockTranslation, Rendered
from translators.text.projection import WordLink, tokens
from translators.text.xml_doc import XmlOptions, parse_xml, project_xml


def _nth(text: str, word: str, n: int) -> tuple[int, int]:
    pattern = rf"(?<!\w){re.escape(word)}(?!\w)" if word[:1].isalnum() else re.escape(word)
    spots = [m.start() for m in re.finditer(pattern, text)]
    assert len(spots) > n, f"{word!r} #{n} not in {text!r}"
    return spots[n], spots[n] + len(word)


def links(source: str, target: str, pairs: list[tuple[str, str]]) -> list[WordLink]:
    """Word links from ``(source word, target word)`` pairs; ``word#2`` is the word's third
    occurrence."""
    out: list[WordLink] = []
    for s, t in pairs:
        s_word, _, s_n = s.partition("#")
        t_word, _, t_n = t.partition("#")
        a, b = _nth(source, s_word, int(s_n or 0))
        c, d = _nth(target, t_word, int(t_n or 0))
        out.append((a, b, c, d))
    return out


def html_over(html: str, target: str, pairs: list[tuple[str, str]]) -> Rendered:
    doc = parse_html(html)
    assert len(doc.blocks) == 1
    source = doc.blocks[0].span.text
    return project_html(doc, [BlockTranslation(target, links(source, target, pairs))])


def shape(html: str) -> list[tuple[int, str, dict[str, str | None]]]:
    """(depth, tag, attributes) of every element: the tree without its text."""
    out: list[tuple[int, str, dict[str, str | None]]] = []
    node = LexborHTMLParser(html, is_fragment=True).root
    while node is not None:
        stack = [(node, 0)]
        while stack:
            n, depth = stack.pop()
            if n.is_element_node:
                out.append((depth, n.tag or "", dict(n.attributes)))
                kids = []
                c = n.child
                while c is not None:
                    kids.append((c, depth + 1))
                    c = c.next
                stack.extend(reversed(kids))
        node = node.next
    return out


def text_of(html: str) -> str:
    return parse_html(html).text


ISSUE = 'Straż Graniczna <b>zatrzymała</b> w nocy <a id="a1" href="https://strazgraniczna.pl/pl">23 osoby</a>.'
ISSUE_EN = "Border Guard detained 23 people overnight."
ISSUE_LINKS = [("Straż", "Border"), ("Graniczna", "Guard"), ("zatrzymała", "detained"), ("w", "overnight"),
               ("nocy", "overnight"), ("23", "23"), ("osoby", "people"), (".", ".")]


def test_the_issue_example_lands_on_the_aligned_words() -> None:
    done = html_over(f"<p>{ISSUE}</p>", ISSUE_EN, ISSUE_LINKS)
    assert done.markup == ('<p>Border Guard <b>detained</b> <a id="a1" href="https://strazgraniczna.pl/pl">23 people'
                           "</a> overnight.</p>")
    assert done.uncertain == []


def test_placement_follows_the_links_not_the_spelling() -> None:
    """The links say 'pies' is the translation of 'kot': the element goes there, though the
    target also holds the word it wrapped."""
    source, target = "kot <b>pies</b>", "pies kot"
    done = html_over(f"<p>{source}</p>", target, [("kot", "pies"), ("pies", "kot")])
    assert done.markup == "<p>pies <b>kot</b></p>"


def test_siblings_swap_places_with_their_words() -> None:
    done = html_over("<p><b>Jan</b> i <i>Anna</i> przyszli.</p>", "Anna and Jan came.",
                     [("Jan", "Jan"), ("i", "and"), ("Anna", "Anna"), ("przyszli", "came"), (".", ".")])
    assert done.markup == "<p><i>Anna</i> and <b>Jan</b> came.</p>"


def test_nested_elements_keep_their_nesting() -> None:
    done = html_over('<p><a href="/sg"><b>Straż</b> Graniczna</a> zatrzymała ich.</p>',
                     "The Border Guard detained them.",
                     [("Straż", "Border"), ("Graniczna", "Guard"), ("zatrzymała", "detained"), ("ich", "them")])
    assert done.markup == '<p>The <a href="/sg"><b>Border</b> Guard</a> detained them.</p>'


def test_one_word_to_many_and_many_to_one() -> None:
    done = html_over("<p>Straż <b>zatrzymała</b> ich <i>w nocy</i>.</p>", "The guard has detained them overnight.",
                     [("Straż", "guard"), ("zatrzymała", "has"), ("zatrzymała", "detained"), ("ich", "them"),
                      ("w", "overnight"), ("nocy", "overnight"), (".", ".")])
    assert done.markup == "<p>The guard <b>has detained</b> them <i>overnight</i>.</p>"


def test_unaligned_words_inside_an_element_are_bridged() -> None:
    done = html_over('<p>Zatrzymano <a href="/x">23 osoby</a> wczoraj.</p>',
                     "23 of the people were detained yesterday.",
                     [("Zatrzymano", "detained"), ("23", "23"), ("osoby", "people"), ("wczoraj", "yesterday")])
    assert done.markup == '<p><a href="/x">23 of the people</a> were detained yesterday.</p>'


def test_interleaved_alignment_never_crosses_or_duplicates() -> None:
    """'A B' is bold and 'C' italic, but the translation interleaves them: x(A) y(C) z(B)."""
    done = html_over("<p><b>A B</b> <i>C</i></p>", "x y z", [("A", "x"), ("B", "z"), ("C", "y")])
    assert done.markup.count("<b>") == 1 and done.markup.count("<i>") == 1
    assert shape(done.markup) == shape("<p><b>A B</b> <i>C</i></p>")
    assert done.markup == "<p><b>x</b> <i>y</i> z</p>"


def test_an_unaligned_element_is_kept_between_its_neighbours_and_reported() -> None:
    source = "Straż Graniczna <b>zatrzymała</b> w nocy"
    done = html_over(f"<p>{source}</p>", "Border Guard detained overnight",
                     [("Straż", "Border"), ("Graniczna", "Guard"), ("w", "overnight"), ("nocy", "overnight")])
    assert done.markup == "<p>Border Guard <b>detained</b> overnight</p>"
    assert [(u.start, u.end, u.label) for u in done.uncertain] == [(16, 26, "<b>")]


def test_an_element_with_no_room_is_kept_empty_at_the_word_boundary() -> None:
    done = html_over("<p>raz <b>dwa</b> trzy</p>", "one three", [("raz", "one"), ("trzy", "three")])
    assert done.markup in ("<p>one<b></b> three</p>", "<p>one <b></b>three</p>")
    assert [u.label for u in done.uncertain] == ["<b>"]


def test_points_stay_next_to_their_neighbours() -> None:
    done = html_over('<p>Zdjęcie <img src="a.png"> pokazuje <wbr> granicę <!-- c -->.</p>',
                     "The photo shows the border.",
                     [("Zdjęcie", "photo"), ("pokazuje", "shows"), ("granicę", "border"), (".", ".")])
    assert done.markup == '<p>The photo <img src="a.png"> shows <wbr> the border <!-- c -->.</p>'


def test_text_less_elements_at_the_edges_stay_at_the_edges() -> None:
    done = html_over('<p><img src="a.png"> Podpis zdjęcia <a href="/x"><img src="b.png"></a></p>',
                     "Photo caption", [("Podpis", "caption"), ("zdjęcia", "Photo")])
    assert done.markup == '<p><img src="a.png"> Photo caption <a href="/x"><img src="b.png"></a></p>'


def test_punctuation_at_an_elements_edges_comes_along() -> None:
    done = html_over("<p>Powiedział <i>„nie wiem”</i> i wyszedł.</p>", "He said “I don't know” and left.",
                     [("Powiedział", "said"), ("nie", "I"), ("nie", "don"), ("wiem", "know"), ("i", "and"),
                      ("wyszedł", "left")])
    assert "<i>“I don't know”</i>" in done.markup


def test_attributes_and_escaping() -> None:
    html = '<p>Kliknij <a href="/q?a=1&amp;b=2" title="&quot;x&quot; &lt;y&gt;" data-on>tutaj</a> &amp; czytaj.</p>'
    done = html_over(html, "Click here & read <now>.",
                     [("Kliknij", "Click"), ("tutaj", "here"), ("czytaj", "read")])
    assert done.markup == ('<p>Click <a href="/q?a=1&amp;b=2" title="&quot;x&quot; &lt;y&gt;" data-on="">here</a> '
                           "&amp; read &lt;now&gt;.</p>")


def test_protected_spans_are_anchors_even_when_the_model_links_them_elsewhere() -> None:
    done = html_over('<p>Zobacz <a href="https://x.org">x.org</a> teraz</p>', "See now x.org",
                     [("Zobacz", "See"), ("teraz", "now")])
    assert done.markup == '<p>See now <a href="https://x.org">x.org</a></p>'


def test_an_element_spanning_two_sentences() -> None:
    done = html_over("<p>Jest <b>zimno. Pada</b> śnieg.</p>", "It is cold. It is snowing.",
                     [("Jest", "is"), ("zimno", "cold"), (".", "."), ("Pada", "snowing"), ("śnieg", "snowing"),
                      (".#1", ".#1")])
    assert done.markup == "<p>It is <b>cold. It is snowing</b>.</p>"


@pytest.mark.parametrize("target", ["", "   ", "..."])
def test_degenerate_translations_keep_every_element(target: str) -> None:
    html = '<p>Jan <b>i <i>Anna</i></b> <img src="a.png"> <a href="/x">tu</a>.</p>'
    done = project_html(parse_html(html), [BlockTranslation(target, [])])
    assert sorted(shape(done.markup)) == sorted(shape(html))
    assert {u.label for u in done.uncertain} >= {"<b>", '<a href="/x">'}


def test_xml_placeholders_in_place_with_the_copy_alignment() -> None:
    source = 'Witaj <x id="6"></x>, <x id="10"/> czeka.'
    doc = parse_xml(source, XmlOptions(ignore_tags=frozenset({"x"})))
    text = doc.blocks[0].span.text
    assert text == "Witaj , czeka."
    copy = [(a, b, a, b) for a, b in tokens(text)]
    assert project_xml(doc, [BlockTranslation(text + " ", copy)]).markup == source + " "
    english = "Hello, waiting."
    done = project_xml(doc, [BlockTranslation(english, links(text, english, [("Witaj", "Hello"), (",", ","),
                                                                           ("czeka", "waiting"), (".", ".")]))])
    assert done.markup == 'Hello <x id="6"></x>, <x id="10"/> waiting.'
    reordered = "Waiting, hello."
    done = project_xml(doc, [BlockTranslation(reordered, links(text, reordered, [("Witaj", "hello"), (",", ","),
                                                                               ("czeka", "Waiting")]))])
    assert done.markup.count('<x id="6"></x>') == 1 and done.markup.count('<x id="10"/>') == 1
    assert done.markup == 'Waiting <x id="6"></x>, <x id="10"/> hello.'  # each beside its aligned neighbour


def test_a_long_paragraph_full_of_links_is_placed_in_linear_time() -> None:
    """One block with a link every few words: placement grows with the block, not its square."""
    words = ["Straż", "Graniczna", "zatrzymała", "w", "nocy", "kilka", "osób", "przy", "granicy", "z", "Białorusią."]

    def block(n: int) -> tuple[str, BlockTranslation]:
        source_words = (words * (n // len(words) + 1))[:n]
        parts = [f'<a href="/{i}">{w}</a>' if i % 4 == 1 else w for i, w in enumerate(source_words)]
        text = " ".join(source_words)
        copy = [(a, b, a, b) for a, b in tokens(text)]
        return f"<p>{' '.join(parts)}</p>", BlockTranslation(text.upper(), copy)

    def place(case: tuple[str, BlockTranslation]) -> None:
        html, translation = case
        done = project_html(parse_html(html), [translation])
        assert not done.uncertain

    growth = superlinearity(place, block(1_000), block(4_000), 4)
    assert growth < LINEAR, f"4x the words cost {growth:.1f}x more than linear"
