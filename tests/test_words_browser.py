"""The editor page's word links and confidence shading in real headless Chromium against a real
``newsbridge serve`` with the copy model (its word alignment links each word to itself): hovering
a word lights its aligned word in the other pane, clicking keeps it lit, unsure or flagged
sentences are shaded and listed under "Check first"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browsers import chromium
from tests.conftest import corpus
from tests.servers import live_server
from tests.test_editor_browser import ARTIFACTS, shot

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(copy_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(copy_model_dir, tmp_path_factory.mktemp("words")) as base:
        yield base


@pytest.fixture(scope="module")
def page(server: str) -> Iterator:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto(server + "/")
        yield pg
    assert not errors, errors


def test_hovering_a_word_lights_its_aligned_word(page) -> None:
    sentences = [s for s in corpus("pl") if 40 < len(s) <= 100][:3]
    assert len(sentences) == 3
    page.fill("#text", " ".join(sentences))
    page.select_option("#source_lang", "pl")
    page.click("#translate")
    page.locator('#status:text-is("Done."), #problem:not([hidden])').first.wait_for(timeout=120_000)
    assert page.is_hidden("#problem"), page.text_content("#problem")
    source_words, target_words = page.locator("#source .w"), page.locator("#target .w")
    assert source_words.count() > 15 and target_words.count() > 15
    # the copy model aligns a word with its own copy: hover one, the same word lights on the other side
    checked = 0
    for k in (1, 4, 7, 10):
        word = source_words.nth(k)
        word.hover()
        lit = page.locator("#target .w.lit-w")
        assert lit.count() >= 1
        assert word.text_content() in lit.all_text_contents()
        assert page.locator("#source .w.lit-w-self").count() >= 1
        checked += 1
    assert checked == 4
    # and from the translation back to the original
    target_words.nth(2).hover()
    assert target_words.nth(2).text_content() in page.locator("#source .w.lit-w").all_text_contents()
    # a click keeps the link lit while the pointer moves on; clicking it again lets go
    word = source_words.nth(3)
    word.click()
    lit = page.locator("#target .w.lit-w").all_text_contents()
    assert lit
    page.locator("#meta").hover()
    source_words.nth(8).hover()
    assert page.locator("#target .w.lit-w").all_text_contents() == lit
    word.click()
    page.locator("#meta").hover()
    assert page.locator("#target .w.lit-w").count() == 0
    shot(page, "words-1-linked")


def test_unsure_and_flagged_sentences_are_shaded_and_listed_first(page) -> None:
    page.fill("#text", "Jak jedziesz za granicę, to musisz mieć paszport. Z góry schodzi ogromny potwór.")
    page.select_option("#source_lang", "pl")
    page.click("#translate")
    page.locator('#status:text-is("Done."), #problem:not([hidden])').first.wait_for(timeout=120_000)
    shaded = page.locator("#target .sent.conf-low, #target .sent.conf-mid, #target .sent.conf-high")
    assert shaded.count() == 2
    assert "model confidence" in (shaded.first.get_attribute("title") or "")
    # the copy model copies Polish into the English pane: flagged untranslated, listed under Check first
    assert page.is_visible("#check")
    items = page.locator("#check-list .check-item")
    assert items.count() == 2 and "untranslated" in items.first.text_content()
    items.first.locator("button").click()
    assert page.evaluate("document.activeElement.closest('#target') !== null")
    shot(page, "words-2-check-first")
