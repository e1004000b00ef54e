"""The editor page's translation memory loop in real headless Chromium (Debian's ``chromium``,
driven by Playwright) against a real ``newsbridge serve`` with tiny models: an editor corrects a
sentence from the keyboard and sees it served from memory; a translator's correction becomes a
suggestion that an editor approves on the page; a close sentence shows the entry with the words
that differ marked. Screenshots under $NEWSBRIDGE_ARTIFACTS (default tests/artifacts/memory/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browsers import chromium
from tests.conftest import SAMPLES
from tests.servers import live_server
from tests.test_cli import run as cli

pytestmark = pytest.mark.slow
EDITOR_KEY = "memory-browser-editor-key-7f1e"
APPEAL = "Apelujemy o niepowielanie niesprawdzonych informacji."
CORRECTION = "We ask you not to spread unverified information."
ARTIFACTS = Path(os.environ.get("NEWSBRIDGE_ARTIFACTS") or Path(__file__).parent / "artifacts") / "memory"


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server whose NEWSBRIDGE_API_KEYS key is an editor's, and a stored translator's key."""
    work = tmp_path_factory.mktemp("memory-editor")
    env = {**os.environ, "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{work / 'cache.db'}",
           "NEWSBRIDGE_MODEL_DIR": str(model_dir), "HF_HUB_OFFLINE": "1"}
    made = cli(["keys", "create", "anna", "--role", "translator"], env)
    assert made.returncode == 0, made.stderr
    with live_server(model_dir, work, NEWSBRIDGE_API_KEYS=EDITOR_KEY) as base:
        yield base, made.stdout.strip()


@pytest.fixture(scope="module")
def browser(server: tuple[str, str]) -> Iterator:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as b:
        yield b


def open_page(browser, base: str, key: str, errors: list[str]):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(f"if (window === window.top) localStorage.setItem('newsbridge.apiKey', {key!r})")
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/")
    return context, page


def translate(page, text: str) -> None:
    page.fill("#text", text)
    page.select_option("#format", "text")
    page.click("#translate")
    page.locator('#status:text-is("Done."), #problem:not([hidden])').first.wait_for(timeout=120_000)
    assert page.is_hidden("#problem"), page.text_content("#problem")


def index_of(page, source: str) -> str:
    node = page.locator("#source .sent", has_text=source)
    assert node.count() == 1
    return node.get_attribute("data-s")


def edit(page, index: str, text: str) -> None:
    """Focus the translated sentence, F2, select all, type, Enter: all from the keyboard."""
    page.locator(f'#target .sent[data-s="{index}"]').focus()
    page.keyboard.press("F2")
    assert page.locator(f'#target .sent[data-s="{index}"].editing[contenteditable]').count() == 1
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_an_editor_corrects_a_sentence_and_sees_it_from_memory(browser, server: tuple[str, str]) -> None:
    base, _ = server
    errors: list[str] = []
    context, page = open_page(browser, base, EDITOR_KEY, errors)
    tweet = (SAMPLES / "pl_ministry_tweet.txt").read_text(encoding="utf-8")
    translate(page, tweet)
    i = index_of(page, APPEAL)
    before = page.text_content(f'#target .sent[data-s="{i}"]')
    assert before != CORRECTION and page.locator("#target .sent.from-memory").count() == 0
    assert "approved entries" in page.text_content("#memory-access")
    # Escape cancels and restores
    page.locator(f'#target .sent[data-s="{i}"]').focus()
    page.keyboard.press("F2")
    page.keyboard.type("something else")
    page.keyboard.press("Escape")
    assert page.text_content(f'#target .sent[data-s="{i}"]') == before
    assert page.locator("#target [contenteditable]").count() == 0
    edit(page, i, CORRECTION)
    page.locator("#status:has-text('translated again')").wait_for(timeout=120_000)
    fixed = page.locator(f'#target .sent[data-s="{i}"]')
    assert fixed.text_content() == CORRECTION
    assert "from-memory" in fixed.get_attribute("class") and "translation memory" in fixed.get_attribute("title")
    assert page.evaluate("document.activeElement.dataset.s") == i  # the focus stays on the sentence
    assert page.locator("#target .sent.from-memory").count() == 1  # the others come from the model as before
    assert "1 sentence or quote from the translation memory" in page.text_content("#meta-list")
    shot(page, "1-corrected-from-memory")
    # the same text again: still memory
    translate(page, tweet)
    assert page.text_content(f'#target .sent[data-s="{i}"]') == CORRECTION
    assert "from-memory" in page.get_attribute(f'#target .sent[data-s="{i}"]', "class")
    # one word away: the entry is offered, the differing word marked; "use" starts an edit with it
    translate(page, "Apelujemy o niepowielanie sprawdzonych informacji.")
    page.locator('#target .sent[data-s="0"]').focus()
    close = page.locator("#memory-close-list .close-item")
    assert close.count() == 1
    assert close.locator(".score").text_content().endswith("%")
    assert close.locator("mark.diff").all_text_contents() == ["niesprawdzonych"]
    assert close.locator(".close-target").text_content() == CORRECTION
    shot(page, "2-close-entry")
    close.locator("button.use").click()
    assert page.text_content('#target .sent[data-s="0"].editing') == CORRECTION
    page.keyboard.press("Escape")
    context.close()
    assert not [e for e in errors if "status of 4" not in e], errors


def test_a_translators_correction_waits_for_an_editor(browser, server: tuple[str, str]) -> None:
    base, translator_key = server
    text = "Nikt nie został ranny w czasie akcji."
    errors: list[str] = []
    context, page = open_page(browser, base, translator_key, errors)
    page.locator("#memory-access:has-text('suggestions')").wait_for()
    translate(page, text)
    edit(page, "0", "Nobody was hurt during the operation.")
    page.locator("#status:has-text('Suggestion')").wait_for(timeout=60_000)
    assert page.locator("#target .sent.from-memory").count() == 0  # not served: waiting
    item = page.locator("#memory-waiting-list .waiting-item", has_text="Nobody was hurt during the operation.")
    assert item.count() == 1 and item.locator("button").count() == 0  # a translator cannot approve
    assert "anna" in item.text_content()
    shot(page, "3-translator-suggests")
    context.close()

    context, page = open_page(browser, base, EDITOR_KEY, errors)
    translate(page, text)
    item = page.locator("#memory-waiting-list .waiting-item", has_text="Nobody was hurt during the operation.")
    item.wait_for()
    item.locator("button.approve").focus()
    page.keyboard.press("Enter")  # approved from the keyboard
    page.locator("#status:has-text('Approved entry')").wait_for(timeout=120_000)
    sent = page.locator('#target .sent[data-s="0"]')
    assert sent.text_content() == "Nobody was hurt during the operation."
    assert "from-memory" in sent.get_attribute("class")
    assert page.locator("#memory-waiting-list .waiting-item", has_text="Nobody was hurt").count() == 0
    shot(page, "4-editor-approved")
    context.close()
    assert not [e for e in errors if "status of 4" not in e], errors
