"""Sentence segmentation of Polish, Lithuanian and English news text and tweets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.scaling import LINEAR, superlinearity
from translators.base import Span
from translators.text.protect import find_protected
from translators.text.segment import split_sentences

SAMPLES = Path(__file__).parent / "fixtures" / "samples"


def texts(text: str, lang: str | None = None) -> list[str]:
    return [s.text for s in split_sentences(text, lang)]


def check_invariants(text: str, spans: list[Span]) -> None:
    covered = [False] * len(text)
    prev_end = 0
    for s in spans:
        assert prev_end <= s.start < s.end <= len(text)
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip()
        for i in range(s.start, s.end):
            covered[i] = True
        prev_end = s.end
    lost = [ch for ch, c in zip(text, covered, strict=True) if not c and not ch.isspace()]
    assert not lost, f"characters outside every sentence: {lost!r}"


# ------------------------------------------------------------------------ samples


def test_ministry_tweet() -> None:
    text = (SAMPLES / "pl_ministry_tweet.txt").read_text(encoding="utf-8")
    assert texts(text, "pl") == texts(text) == [
        "⚠️ KOMUNIKAT |",
        "W nocy funkcjonariusze Straży Granicznej zatrzymali 23 osoby, które nielegalnie przekroczyły granicę "
        "w rejonie Białowieży.",
        "Rzecznik SG: „Sytuacja jest pod kontrolą, patrole zostały wzmocnione”.",
        "Apelujemy o niepowielanie niesprawdzonych informacji.",
        "#granica #bezpieczeństwo https://www.gov.pl/web/mswia pic.twitter.com/Qx7LmP2kAa",
        "— MSWiA (@MSWiA_GOV_PL) 12 listopada 2021",
    ]
    check_invariants(text, split_sentences(text))


def test_lithuanian_news() -> None:
    text = (SAMPLES / "lt_news.txt").read_text(encoding="utf-8")
    assert texts(text, "lt") == texts(text) == [
        "Vidaus reikalų ministerija pranešė, kad pasienyje su Baltarusija sustiprinta apsauga.",
        "„Situacija kontroliuojama, tačiau esame pasirengę įvairiems scenarijams“, – sakė ministerijos atstovas "
        "spaudai.",
        "Per praėjusią parą pasieniečiai neįleido 120 migrantų, dar 15 asmenų buvo sulaikyti.",
        "Seimas svarsto galimybę įvesti nepaprastąją padėtį pasienio ruože.",
    ]


def test_archive_records() -> None:
    records = {}
    for line in (SAMPLES / "archive.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # the broken line is for the batch tests
        records[rec["id"]] = rec["text"]
    assert texts(records["pl-002"]) == [
        "Straż Graniczna poinformowała, że w ciągu doby odnotowano ponad 300 prób nielegalnego przekroczenia granicy.",
        "„To zorganizowana akcja” – powiedział rzecznik.",
    ]
    assert texts(records["mixed-001"]) == [
        "Minister said: „Nie ustąpimy” and left the room.",
        "#Poland @MSWiA_GOV_PL https://example.org/a?b=1",
    ]
    assert texts(records["empty-001"]) == []
    assert texts(records["pl-004"]) == ["Granica"]


def test_embedded_tweet_text_from_html_sample() -> None:
    # the text of the <blockquote class="twitter-tweet"> in en_article_with_pl_tweet.html, tags removed
    text = (
        "Funkcjonariusze Straży Granicznej udaremnili kolejną próbę siłowego przekroczenia granicy. "
        "Nikt nie został ranny. pic.twitter.com/AbCdEf1234 — Straż Graniczna (@Straz_Graniczna) November 12, 2021"
    )
    assert (SAMPLES / "en_article_with_pl_tweet.html").read_text(encoding="utf-8").count("Nikt nie został ranny.") == 1
    assert texts(text) == [
        "Funkcjonariusze Straży Granicznej udaremnili kolejną próbę siłowego przekroczenia granicy.",
        "Nikt nie został ranny.",
        "pic.twitter.com/AbCdEf1234",
        "— Straż Graniczna (@Straz_Graniczna) November 12, 2021",
    ]


# ------------------------------------------------------------------------ rules

CASES = [
    # Polish abbreviations that do not end a sentence
    ("pl", "Premier zwołał posiedzenie m.in. w sprawie granicy. Następne zdanie.",
     ["Premier zwołał posiedzenie m.in. w sprawie granicy.", "Następne zdanie."]),
    ("pl", "Zatrzymano ok. 300 osób, tj. więcej niż wczoraj. Kolejne.",
     ["Zatrzymano ok. 300 osób, tj. więcej niż wczoraj.", "Kolejne."]),
    ("pl", "Na ul. Marszałkowskiej prof. Nowak i dr. Kowalski rozmawiali ok. godz. 12:30. Potem wyszli.",
     ["Na ul. Marszałkowskiej prof. Nowak i dr. Kowalski rozmawiali ok. godz. 12:30.", "Potem wyszli."]),
    ("pl", "Gen. Kowalski i płk. Nowak przybyli na pl. św. Piotra. Koniec.",
     ["Gen. Kowalski i płk. Nowak przybyli na pl. św. Piotra.", "Koniec."]),
    ("pl", "Straty to 1,5 mln. zł i 300 tys. euro, np. Polska i tzw. Zachód. Koniec.",
     ["Straty to 1,5 mln. zł i 300 tys. euro, np. Polska i tzw. Zachód.", "Koniec."]),
    ("pl", "Rozmawiano ws. granicy. J. Kowalski przyjechał. Koniec.",
     ["Rozmawiano ws. granicy.", "J. Kowalski przyjechał.", "Koniec."]),
    # dates and ordinals
    ("pl", "Spotkanie odbyło się 8 listopada 2021 r. w Warszawie. Następnie wyjechał.",
     ["Spotkanie odbyło się 8 listopada 2021 r. w Warszawie.", "Następnie wyjechał."]),
    ("pl", "Spotkanie odbyło się 8 listopada 2021 r. Premier wyjechał.",
     ["Spotkanie odbyło się 8 listopada 2021 r.", "Premier wyjechał."]),
    ("pl", "W 2021 r. Premier zwołał posiedzenie. Od 1 stycznia 2022 r. Polska wprowadza zmiany.",
     ["W 2021 r. Premier zwołał posiedzenie.", "Od 1 stycznia 2022 r. Polska wprowadza zmiany."]),
    ("pl", "3. pułk wyruszył 11. listopada. Koniec.", ["3. pułk wyruszył 11. listopada.", "Koniec."]),
    ("lt", "2021 m. lapkričio 12 d. pasienyje buvo sulaikyta 15 asmenų. Kitas sakinys.",
     ["2021 m. lapkričio 12 d. pasienyje buvo sulaikyta 15 asmenų.", "Kitas sakinys."]),
    ("lt", "Įstatymas priimtas 2021 m. Seimas pritarė.", ["Įstatymas priimtas 2021 m.", "Seimas pritarė."]),
    # Lithuanian abbreviations
    ("lt", "Tai įvyko XX a. pabaigoje, apie 10 val. ryto. Kitas.",
     ["Tai įvyko XX a. pabaigoje, apie 10 val. ryto.", "Kitas."]),
    ("lt", "Gedimino pr. ir Vilniaus g. sankryžoje, pvz. prie 5 tūkst. žmonių. Kitas.",
     ["Gedimino pr. ir Vilniaus g. sankryžoje, pvz. prie 5 tūkst. žmonių.", "Kitas."]),
    ("lt", "Nedarbas išaugo iki 5 proc. Vyriausybė svarsto priemones.",
     ["Nedarbas išaugo iki 5 proc.", "Vyriausybė svarsto priemones."]),
    # English
    ("en", "Mr. Smith met Dr. Jones in the U.S. yesterday. They talked.",
     ["Mr. Smith met Dr. Jones in the U.S. yesterday.", "They talked."]),
    ("en", "He bought apples, etc. and left. He bought pears, etc. Then he returned.",
     ["He bought apples, etc. and left.", "He bought pears, etc.", "Then he returned."]),
    ("en", "It happened on Jan. 5 at St. Mary's church, i.e. downtown. Nobody came.",
     ["It happened on Jan. 5 at St. Mary's church, i.e. downtown.", "Nobody came."]),
    ("en", "Believe me. Be more flexible. I hope Tom is OK. I do.",
     ["Believe me.", "Be more flexible.", "I hope Tom is OK.", "I do."]),
    ("en", "Mark Smith Jr. said so. So do I. I like trips.", ["Mark Smith Jr. said so.", "So do I.", "I like trips."]),
    # quotes
    ("pl", "„Pierwsze zdanie. Drugie zdanie.” – dodał płk. Nowak. Koniec.",
     ["„Pierwsze zdanie.", "Drugie zdanie.” – dodał płk. Nowak.", "Koniec."]),
    ("en", "A spokesperson said: “We are monitoring the situation.” Lithuania said so.",
     ["A spokesperson said: “We are monitoring the situation.”", "Lithuania said so."]),
    ("pl", "Powiedział: „Nie ustąpimy!”. Potem wyszedł.", ["Powiedział: „Nie ustąpimy!”.", "Potem wyszedł."]),
    # never split inside URLs, e-mails, decimals
    ("pl", "Zobacz https://www.gov.pl/web/mswia i pic.twitter.com/Qx7LmP2kAa. Koniec. Pisz na biuro@mswia.gov.pl. OK.",
     ["Zobacz https://www.gov.pl/web/mswia i pic.twitter.com/Qx7LmP2kAa.", "Koniec.",
      "Pisz na biuro@mswia.gov.pl.", "OK."]),
    ("en", "Inflation hit 3.5 percent. Visit gov.pl. Then Www.Example.com/A.B. Done.",
     ["Inflation hit 3.5 percent.", "Visit gov.pl.", "Then Www.Example.com/A.B.", "Done."]),
    # tweets
    ("pl", "PILNE | Premier zwołał posiedzenie rządu.", ["PILNE |", "Premier zwołał posiedzenie rządu."]),
    ("pl", "Zwołał posiedzenie #granica #bezpieczeństwo", ["Zwołał posiedzenie #granica #bezpieczeństwo"]),
    ("pl", "Dziękujemy! 🇵🇱🇵🇱 #granica, @MSWiA_GOV_PL", ["Dziękujemy!", "🇵🇱🇵🇱 #granica, @MSWiA_GOV_PL"]),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_rules(lang: str, text: str, expected: list[str]) -> None:
    assert texts(text, lang) == expected
    check_invariants(text, split_sentences(text, lang))


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_rules_without_language(lang: str, text: str, expected: list[str]) -> None:
    """Unknown language: the union of the rules still gets every case right."""
    assert texts(text) == expected


def test_line_breaks_always_end_a_sentence() -> None:
    text = "Pierwsza linia bez kropki\ndruga linia\r\n\r\nNowy akapit. Drugie!\u2028Trzecie"
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["Pierwsza linia bez kropki", "druga linia", "Nowy akapit.", "Drugie!", "Trzecie"]
    check_invariants(text, spans)


def test_offsets_after_emoji_and_astral_characters() -> None:
    text = "👨‍👩‍👧 Rodzina 𝔘 przyjechała. 🇵🇱 Druga."
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["👨‍👩‍👧 Rodzina 𝔘 przyjechała.", "🇵🇱 Druga."]
    check_invariants(text, spans)


def test_empty_and_blank() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n\t ") == []


# ------------------------------------------------------------------------ properties and speed

ALPHABET = st.sampled_from(
    ["Premier", "m.in.", "r.", "2021", "3.5", "1,5", "np.", "Mr.", "U.S.", "etc.", "„", "”", "“", "»", "(", ")",
     "–", "—", "|", ".", "!", "?", "…", ",", " ", " ", " ", "\n", "\n\n", "\r\n", "\u2028", "#granica",
     "@MSWiA_GOV_PL", "https://www.gov.pl/web/mswia", "pic.twitter.com/Qx7LmP2kAa", "gov.pl", "⚠️", "🇵🇱",
     "👍🏽", "KOMUNIKAT", "ą", "x", "A", "Ė", "e\u0301", "𝔘", "(@x)"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(ALPHABET, max_size=40).map("".join), st.text()), st.sampled_from([None, "pl", "lt", "en"]))
def test_spans_cover_text(text: str, lang: str | None) -> None:
    spans = split_sentences(text, lang)
    check_invariants(text, spans)
    for p in find_protected(text):  # never split inside a URL, e-mail or number
        if p.kind in ("url", "email", "number"):
            assert not any(p.start < s.end < p.end or p.start < s.start < p.end for s in spans), p


def _article() -> str:
    paragraphs = [
        (SAMPLES / "lt_news.txt").read_text(encoding="utf-8"),
        (SAMPLES / "pl_ministry_tweet.txt").read_text(encoding="utf-8"),
        "Mr. Smith met Dr. Jones in the U.S. on Jan. 5. They talked about 3.5 percent growth, etc. Nothing else.",
        "Spotkanie odbyło się 8 listopada 2021 r. w Warszawie, m.in. z prof. Nowakiem. Premier wyjechał o godz. 12:30.",
    ]
    block = "\n\n".join(paragraphs) + "\n\n"
    return (block * (100_000 // len(block) + 1))[:100_000]


@pytest.mark.parametrize("shape", ["paragraphs", "one line"])
def test_100kb_article_grows_linearly(shape: str) -> None:
    text = _article() if shape == "paragraphs" else _article().replace("\n", " ")
    spans = split_sentences(text)
    assert len(spans) > 1000
    check_invariants(text, spans)
    growth = superlinearity(split_sentences, text[:25_000], text, 4)
    assert growth < LINEAR, f"4x the text cost {4 * growth:.1f}x the CPU time"


@pytest.mark.parametrize("make", [lambda n: "a" * n, lambda n: "a." * (n // 2), lambda n: "1.2." * (n // 4),
                                  lambda n: "#a" * (n // 2), lambda n: "https://x.pl/" + ")" * n,
                                  lambda n: "Było to w 2021 r. Potem " * (n // 25)],
                         ids=["letters", "dots", "numbers", "hashtags", "url-parens", "abbreviations"])
def test_pathological_inputs_stay_linear(make: Callable[[int], str]) -> None:
    text = make(100_000)
    check_invariants(text, split_sentences(text))
    growth = superlinearity(split_sentences, make(25_000), text, 4)
    assert growth < LINEAR, f"4x the text cost {4 * growth:.1f}x the CPU time"
