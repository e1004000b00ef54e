"""Quote and embedded-tweet finding (translators.text.quotes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.scaling import LINEAR, superlinearity
from translators.text.quotes import Quote, find_quotes, find_tweets, parse_signature, parse_tweet_date

SAMPLES = Path(__file__).parent / "fixtures" / "samples"


def _texts(text: str, kind: str = "quote") -> list[str]:
    return [q.span.text for q in find_quotes(text) if q.kind == kind]


def _check_spans(text: str, quotes: list[Quote]) -> None:
    for q in quotes:
        assert text[q.span.start : q.span.end] == q.span.text
        assert text[q.outer.start : q.outer.end] == q.outer.text
        assert q.outer.start <= q.span.start <= q.span.end <= q.outer.end


# ----------------------------------------------------------------------------- samples


def test_pl_ministry_tweet_sample() -> None:
    text = (SAMPLES / "pl_ministry_tweet.txt").read_text(encoding="utf-8")
    found = find_quotes(text)
    _check_spans(text, found)
    tweet, quote = found
    assert tweet.kind == "tweet"
    assert tweet.author == "MSWiA"
    assert tweet.handle == "@MSWiA_GOV_PL"
    assert tweet.date == "12 listopada 2021"
    assert tweet.span.text.startswith("⚠️ KOMUNIKAT | W nocy")
    assert tweet.span.text.endswith("pic.twitter.com/Qx7LmP2kAa")
    assert tweet.outer.text.endswith("— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021")
    assert quote.kind == "quote"
    assert quote.span.text == "Sytuacja jest pod kontrolą, patrole zostały wzmocnione"
    assert quote.outer.text == "„Sytuacja jest pod kontrolą, patrole zostały wzmocnione”"
    assert quote.speaker == "Rzecznik SG"


def test_lt_news_sample() -> None:
    text = (SAMPLES / "lt_news.txt").read_text(encoding="utf-8")
    (quote,) = find_quotes(text)
    _check_spans(text, [quote])
    assert quote.span.text == "Situacija kontroliuojama, tačiau esame pasirengę įvairiems scenarijams"
    assert quote.speaker == "ministerijos atstovas spaudai"


# ----------------------------------------------------------------------------- quote marks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Powiedział: „Nie ustąpimy” i wyszedł.", ["Nie ustąpimy"]),
        ('Powiedział „Nie ustąpimy" i wyszedł.', ["Nie ustąpimy"]),
        ("Mówił »coś ważnego« oraz «coś innego».", ["coś ważnego", "coś innego"]),
        ("Jis sakė: „Mes pasiruošę“.", ["Mes pasiruošę"]),
        ("She said “we are ready” today.", ["we are ready"]),
        ("She said ‘we are ready’ today.", ["we are ready"]),
        ('He said "we are ready" today.', ["we are ready"]),
        ("Il a dit «nous sommes prêts».", ["nous sommes prêts"]),
        ("„Zapaść. Chaos. Potem cisza” – napisał.", ["Zapaść. Chaos. Potem cisza"]),
        ("„Pierwsze zdanie.\nDrugie w nowej linii.”", ["Pierwsze zdanie.\nDrugie w nowej linii."]),
    ],
)
def test_quote_styles(text: str, expected: list[str]) -> None:
    found = find_quotes(text)
    _check_spans(text, found)
    assert [q.span.text for q in found] == expected


def test_nested_quotes_outer_first() -> None:
    text = "„Powiedział mi ‚nigdy więcej’ i wyszedł” – relacjonuje świadek. “He said ‘never again’ twice.”"
    found = find_quotes(text)
    _check_spans(text, found)
    assert [q.span.text for q in found] == [
        "Powiedział mi ‚nigdy więcej’ i wyszedł",
        "nigdy więcej",
        "He said ‘never again’ twice.",
        "never again",
    ]


def test_lithuanian_nested() -> None:
    text = "„Jis pasakė ‚ne‘ ir išėjo“, – sakė liudininkas."
    assert _texts(text) == ["Jis pasakė ‚ne‘ ir išėjo", "ne"]


def test_apostrophes_are_not_quotes() -> None:
    text = "We don’t know, the Lithuanians’ plan isn’t public and it’s ’90s style."
    assert find_quotes(text) == []
    assert _texts("“Don’t panic,” she said. ‘It’s fine’ he added.") == ["Don’t panic,", "It’s fine"]


def test_inch_marks_and_stray_ascii_are_ignored() -> None:
    assert find_quotes('A 15" screen costs 300 zł.') == []
    assert _texts('A 15" screen and a "real quote" here.') == ["real quote"]


def test_short_and_empty_quotes_are_ignored() -> None:
    assert find_quotes("Litera „a” i puste „ ” oraz “”.") == []


def test_unclosed_quote_is_dropped_at_paragraph_end() -> None:
    text = "Zaczął „i nie skończył.\n\nNowy akapit z „prawdziwym cytatem” tutaj."
    found = find_quotes(text)
    assert [q.span.text for q in found] == ["prawdziwym cytatem"]
    # a quote never crosses a blank line
    assert find_quotes("„Pierwszy akapit\n\ndrugi akapit”") == []


def test_unclosed_inner_quote_is_popped_by_outer_close() -> None:
    assert _texts("“He said ‘go away and left.” Then nothing.") == ["He said ‘go away and left."]


# ----------------------------------------------------------------------------- speakers


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("„To zorganizowana akcja” – powiedział rzecznik.", "rzecznik"),
        ("„Nie ustąpimy” – przekazała ministra", "ministra"),
        ("Rzecznik SG: „Sytuacja jest pod kontrolą”.", "Rzecznik SG"),
        ("„Situacija kontroliuojama“, – sakė ministerijos atstovas.", "ministerijos atstovas"),
        ("“We will not back down,” said the minister.", "the minister"),
        ("“We will not back down,” the minister said.", "the minister"),
        ("A spokesperson told reporters: “We are monitoring the situation.”", "A spokesperson"),
        ("Minister said: „Nie ustąpimy” and left the room.", "Minister"),
    ],
)
def test_speaker_attribution(text: str, speaker: str) -> None:
    (quote,) = find_quotes(text)
    assert quote.speaker == speaker


def test_no_speaker_without_attribution() -> None:
    (quote,) = find_quotes("The word “freedom” and the minister said nothing.")
    assert quote.speaker is None  # no comma inside the quote: not an English attribution


# ----------------------------------------------------------------------------- tweets


@pytest.mark.parametrize(
    ("signature", "author", "handle", "day"),
    [
        ("— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021", "MSWiA", "@MSWiA_GOV_PL", date(2021, 11, 12)),
        ("&mdash; Straż Graniczna (@Straz_Graniczna) November 12, 2021", "Straż Graniczna",
         "@Straz_Graniczna", date(2021, 11, 12)),
        ("- VRM (@VRM_LT) 2021 m. lapkričio 12 d.", "VRM", "@VRM_LT", date(2021, 11, 12)),
        ("– Ministerstwo Spraw Wewnętrznych 🇵🇱 (@MSWiA) Nov 3, 2021", "Ministerstwo Spraw Wewnętrznych 🇵🇱",
         "@MSWiA", date(2021, 11, 3)),
    ],
)  # fmt: skip
def test_tweet_signatures(signature: str, author: str, handle: str, day: date) -> None:
    text = f"Earlier paragraph, not part of it.\n\nTreść tweeta o granicy. #granica {signature}\n\nNext."
    (tweet,) = find_tweets(text)
    _check_spans(text, [tweet])
    assert (tweet.author, tweet.handle) == (author, handle)
    assert parse_tweet_date(tweet.date or "") == day
    assert tweet.span.text == "Treść tweeta o granicy. #granica"
    assert tweet.outer.text == f"Treść tweeta o granicy. #granica {signature}"


def test_tweet_signature_on_its_own_line_or_paragraph() -> None:
    own_line = "Intro.\n\nTweet body line one\nline two\n— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021"
    (tweet,) = find_tweets(own_line)
    assert tweet.span.text == "Tweet body line one\nline two"
    own_para = "Intro.\n\nTweet body.\n\n— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021\n\nAfter."
    (tweet,) = find_tweets(own_para)
    assert tweet.span.text == "Tweet body."
    assert tweet.outer.text == "Tweet body.\n\n— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021"


def test_not_a_tweet() -> None:
    assert find_tweets("Kontakt (@MSWiA_GOV_PL) 12 listopada 2021 i dalej tekst.") == []
    assert find_tweets("Bez daty — MSWiA (@MSWiA_GOV_PL) wczoraj") == []
    assert find_tweets("— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021") == []  # no body at all


def test_parse_signature_and_dates() -> None:
    assert parse_signature("— Straż Graniczna (@Straz_Graniczna) November 12, 2021") == (
        "Straż Graniczna",
        "@Straz_Graniczna",
        "November 12, 2021",
    )
    assert parse_signature("no signature here") is None
    assert parse_tweet_date("February 30, 2021") is None
    assert parse_tweet_date("1 maja 2020 r.") == date(2020, 5, 1)


# ----------------------------------------------------------------------------- speed


_PARA = (
    "Rzecznik SG: „Sytuacja jest pod kontrolą”. „To zorganizowana akcja” – powiedział rzecznik. "
    "“We will not back down,” said the minister. He didn’t say ‘why’. „Situacija kontroliuojama“, "
    '– sakė atstovas. Tekst "w cudzysłowie" i »inny« oraz «jeszcze». '
    "Treść tweeta — MSWiA (@MSWiA_GOV_PL) 12 listopada 2021\n\n"
)
_NEWS = (
    "Vidaus reikalų ministerija pranešė, kad pasienyje su Baltarusija sustiprinta apsauga. "
    "„Situacija kontroliuojama, tačiau esame pasirengę įvairiems scenarijams“, – sakė ministerijos "
    "atstovas spaudai. Per praėjusią parą pasieniečiai neįleido 120 migrantų.\n\n"
    "A spokesperson told reporters: “We are monitoring the situation around the clock.” Lithuania "
    "said it would keep additional troops at its own border. Officials gave no further details "
    "about the operation, which began on Monday and is expected to last several weeks.\n\n"
)


def _count(text: str) -> int:
    return len(find_quotes(text))


@pytest.mark.parametrize("block", [_NEWS, _PARA], ids=["news", "a quote every ~35 chars"])
def test_100kb_article_grows_linearly(block: str) -> None:
    article = (block * 400)[:100_000]
    assert _count(article) > (2500 if block is _PARA else 300)
    growth = superlinearity(find_quotes, article[:25_000], article, 4)
    assert growth < LINEAR, f"4x the text cost {4 * growth:.1f}x the CPU time"


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "„a " * (n // 3),
        lambda n: '"' * n,
        lambda n: '„‚“”‘’«»‹›"' * (n // 11),
        lambda n: "x (@a) 12 listopada 2021 " * (n // 25),
        lambda n: "- " * (n // 2) + "(@a) 12 listopada 2021",
        lambda n: ": „ab” " * (n // 7),
    ],
    ids=["unclosed", "ascii", "all-marks", "handles", "dashes", "colons"],
)
def test_pathological_inputs_stay_linear(make: Callable[[int], str]) -> None:
    growth = superlinearity(find_quotes, make(25_000), make(100_000), 4)
    assert growth < LINEAR, f"4x the text cost {4 * growth:.1f}x the CPU time"
