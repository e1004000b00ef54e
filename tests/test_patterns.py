"""One set of URL/handle/hashtag/e-mail/emoji patterns: protection, detection, HTML rendering
and the summarizer agree on what each decoration is, and none of them keeps a set of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizers.extractive import _content
from translators.text.detect import letters_only
from translators.text.html import parse_html
from translators.text.html_render import render_html
from translators.text.patterns import DECORATION, PROTECTED, URL, strip_decorations
from translators.text.protect import find_protected

ROOT = Path(__file__).resolve().parents[1]
USERS = ["translators/text/protect.py", "translators/text/detect.py", "translators/text/html_render.py",
         "translators/text/html.py", "summarizers/extractive.py"]

DECORATIONS = [
    ("https://www.gov.pl/web/mswia", "url"),
    ("pic.twitter.com/Qx7LmP2kAa", "url"),
    ("www.lrt.lt/naujienos", "url"),
    ("@MSWiA_GOV_PL", "handle"),
    ("#bezpieczeństwo", "hashtag"),
    ("rzecznik@mswia.gov.pl", "email"),
    ("🇵🇱", "emoji"),
    ("👩‍👩‍👧", "emoji"),
]


@pytest.mark.parametrize(("token", "kind"), DECORATIONS)
def test_every_user_sees_the_same_decoration(token: str, kind: str) -> None:
    sentence = f"Premier zwołał posiedzenie {token} rządu"
    # protection: exactly this span, of this kind
    found = [p for p in find_protected(sentence) if p.text == token]
    assert found and found[0].kind == kind
    assert DECORATION.fullmatch(token) and PROTECTED.fullmatch(token)
    # detection: the decoration is gone, the words stay
    assert letters_only(sentence) == "Premier zwołał posiedzenie rządu"
    # HTML: an inline element holding it is placed wherever the translation moved it
    html = f"<p>Premier zwołał posiedzenie <a href='x'>{token}</a> rządu</p>"
    moved = render_html(parse_html(html), [f"{token} The prime minister convened a meeting"])
    assert moved == f"<p><a href=\"x\">{token}</a> The prime minister convened a meeting</p>"
    # summarizer: URLs never count as words of a sentence
    if kind == "url":
        assert URL.fullmatch(token) and _content(sentence) == "premier zwołał posiedzenie rządu"


def test_hashtag_words_can_be_kept() -> None:
    assert strip_decorations("#granica @SG", hashtag_words=True).split() == ["granica"]
    assert letters_only("#granica #bezpieczeństwo") == "granica bezpieczeństwo"


def test_no_user_keeps_its_own_url_or_handle_regex() -> None:
    for path in USERS:
        source = (ROOT / path).read_text(encoding="utf-8")
        for own in ("https?://", "pic\\.twitter", "@\\w", "#\\w", "Extended_Pictographic", "twitter\\.com/\\S"):
            assert own not in source, f"{path} spells out {own!r}; use translators.text.patterns"
