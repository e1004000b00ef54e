"""XML in, XML out (translators.text.xml_doc): DeepL's tag_handling=xml and its options."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from translators.text.markup import BlockTranslation
from translators.text.projection import tokens
from translators.text.xml_doc import MarkupError, XmlOptions, parse_xml, project_xml, render_xml

DOC = """<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the root -->
<document>
  <meta>
    <title>Tytuł &amp; podtytuł</title>
  </meta>
  <content>
    <par>To jest <b id='x'>pierwsze</b> zdanie. Po nim drugie.</par>
    <par>To jest trzecie zdanie.<![CDATA[ <raw> ]]></par>
  </content>
</document>"""


def _copy(doc_text: str) -> list[tuple[int, int, int, int]]:
    return [(a, b, a, b) for a, b in tokens(doc_text)]


def test_outline_detection_finds_the_structure() -> None:
    doc = parse_xml(DOC)
    assert [(b.tag, b.span.text) for b in doc.blocks] == [
        ("title", "Tytuł & podtytuł"),
        ("par", "To jest pierwsze zdanie. Po nim drugie."),
        ("par", "To jest trzecie zdanie."),
    ]
    assert not doc.fragment


def test_untouched_blocks_and_everything_around_them_are_byte_for_byte() -> None:
    doc = parse_xml(DOC)
    assert render_xml(doc, [b.span.text for b in doc.blocks]) == DOC
    out = render_xml(doc, [b.span.text.upper() for b in doc.blocks])
    assert out == (DOC.replace("Tytuł &amp; podtytuł", "TYTUŁ &amp; PODTYTUŁ")
                   .replace("To jest <b id='x'>pierwsze</b> zdanie. Po nim drugie.",
                            "TO JEST <b id='x'>PIERWSZE</b> ZDANIE. PO NIM DRUGIE.")
                   .replace("To jest trzecie zdanie.", "TO JEST TRZECIE ZDANIE."))
    ET.fromstring(out.encode())


def test_splitting_and_non_splitting_tags() -> None:
    xml = "<doc><t>Nikt nie został <em>ranny</em>.</t><t>Granica jest zamknięta.</t></doc>"
    assert [b.span.text for b in parse_xml(xml).blocks] == ["Nikt nie został ranny.", "Granica jest zamknięta."]
    flat = parse_xml(xml, XmlOptions(outline_detection=False))
    assert [b.span.text for b in flat.blocks] == ["Nikt nie został ranny.Granica jest zamknięta."]
    split = parse_xml(xml, XmlOptions(outline_detection=False, splitting_tags=frozenset({"t"})))
    assert [b.span.text for b in split.blocks] == ["Nikt nie został ranny.", "Granica jest zamknięta."]
    # a tag DeepL is told never splits stays inline even where outline detection would split
    glued = parse_xml("<p><s>Nikt nie został</s><s> ranny.</s></p>", XmlOptions(non_splitting_tags=frozenset({"s"})))
    assert [b.span.text for b in glued.blocks] == ["Nikt nie został ranny."]
    assert [b.span.text for b in parse_xml("<p><s>Nikt nie został</s><s> ranny.</s></p>").blocks] == [
        "Nikt nie został", "ranny."]


def test_ignored_and_text_less_elements_are_points() -> None:
    xml = 'Kliknij <x id="0"/> i <keep>nie tłumacz</keep> <x id="1"></x>tutaj.'
    doc = parse_xml(xml, XmlOptions(ignore_tags=frozenset({"keep"})))
    text = doc.blocks[0].span.text
    assert text == "Kliknij i tutaj."
    out = project_xml(doc, [BlockTranslation(text + " ", _copy(text))])
    assert out.markup == xml + " " and out.uncertain == []


def test_entities_decoded_for_the_model_and_escaped_back() -> None:
    doc = parse_xml("<p>A &lt; B &amp; C &#233; &quot;q&quot; &apos;</p>")
    assert doc.blocks[0].span.text == "A < B & C é \"q\" '"
    assert render_xml(doc, ["x < y & z"]) == "<p>x &lt; y &amp; z</p>"


def test_html_named_entities_are_read_as_their_characters() -> None:
    doc = parse_xml("<p>Straż&nbsp;Graniczna &copy; 2024</p>")
    assert doc.blocks[0].span.text == "Straż\xa0Graniczna © 2024"


@pytest.mark.parametrize("bad", ["<b>x</i>", "<b>x", "x</b>", "a & b", "<p a=1>x</p>", "&nosuchentity;",
                                 '<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>'])
def test_malformed_xml_is_refused(bad: str) -> None:
    with pytest.raises(MarkupError, match="Tag handling parsing failed"):
        parse_xml(bad)


def test_deep_xml_does_not_recurse() -> None:
    xml = "<p>" + "<s>" * 3000 + "tekst" + "</s>" * 3000 + "</p>"
    doc = parse_xml(xml, XmlOptions(non_splitting_tags=frozenset({"s"})))
    assert doc.blocks[0].span.text == "tekst"
    out = render_xml(doc, ["text"])
    assert out == "<p>" + "<s>" * 3000 + "text" + "</s>" * 3000 + "</p>"
