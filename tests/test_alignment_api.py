"""Word links, confidence, origin and quality flags through /v1/translate (issues 18 and 21)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.pipeline.word_links import verbatim_words
from service.settings import Settings
from tests.conftest import corpus

# Corpus sentences (the copy model copies them verbatim) around protected spans and a number.
TWEET = ("Jak jedziesz za granicę, to musisz mieć paszport. Zobacz https://strazgraniczna.pl/pl "
         "i napisz do @MSWiA_GOV_PL 🇵🇱. 25 jest liczbą naturalną.")


@pytest.fixture
def copy_client(tmp_path: Path, copy_model_dir: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cache.db'}", model_dir=copy_model_dir, coalesce=False)
    with TestClient(create_app(settings)) as c:
        yield c


def _utf16(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")


@pytest.mark.parametrize("offsets", ["codepoint", "utf16"])
def test_links_are_exact_and_map_each_word_to_itself_with_the_copy_model(copy_client: TestClient,
                                                                          offsets: str) -> None:
    r = copy_client.post("/v1/translate", json={"text": TWEET, "source_lang": "pl", "target_lang": "en",
                                                 "alignment": True, "offsets": offsets})
    assert r.status_code == 200, r.text
    body = r.json()
    src, tgt = body["source_text"], body["translation_text"]
    cut = (lambda t, s: t[s["start"]:s["end"]]) if offsets == "codepoint" else (
        lambda t, s: _utf16(t, s["start"], s["end"]))
    links = [link for s in body["sentences"] for link in s["alignment"]]
    assert len(links) > 20
    for link in links:
        assert cut(src, link["source"]) == link["source"]["text"]
        assert cut(tgt, link["target"]) == link["target"]["text"]
    same = [1 for link in links if link["source"]["text"] == link["target"]["text"]]
    assert len(same) / len(links) > 0.9
    texts = {link["source"]["text"] for link in links}
    # protected spans and numbers are words too: linked to themselves through masking
    assert {"https://strazgraniczna.pl/pl", "@MSWiA_GOV_PL", "🇵🇱", "25", "paszport"} <= texts
    copied = [s for s in body["sentences"] if s["source"]["text"] == s["target"]["text"] and s["translated"]]
    assert copied
    for s in copied:  # every word of a copied sentence is linked (a URL or handle is one word)
        assert len({link["source"]["text"] for link in s["alignment"]}) >= len(
            {s["source"]["text"][a:b] for a, b in verbatim_words(s["source"]["text"])}) - 1


def test_quote_running_over_two_sentences_gets_its_target_from_the_links(copy_client: TestClient) -> None:
    """A quote that covers two sentences only in part: its target runs from the first to the last
    target word linked to a word inside it, not over the whole sentences."""
    text = "Jak jedziesz za granicę, to musisz mieć „paszport. Z góry schodzi” ogromny potwór."
    body = copy_client.post("/v1/translate", json={"text": text, "source_lang": "pl", "target_lang": "en"}).json()
    quotes = [q for q in body["quotes"] if q["kind"] == "quote"]
    assert len(quotes) == 1 and quotes[0]["sentences"] == [0, 1]
    q, first = quotes[0], body["sentences"][0]
    assert q["target"] is not None
    assert first["target"]["start"] < q["target"]["start"] < first["target"]["end"]  # not the whole sentence
    assert q["target"]["text"].startswith("paszport")  # the copy model links the word to itself
    assert not set(q["target"]["text"].split()) & {"Jak", "jedziesz", "granicę,", "musisz"}
    assert first["alignment"] is None  # computed for the quote, not shown unasked


def test_confidence_origin_and_flags(client: TestClient) -> None:
    text = "Premier zwołał posiedzenie rządu w sprawie sytuacji na granicy z Białorusią."
    first = client.post("/v1/translate", json={"text": text, "source_lang": "pl"}).json()
    s = first["sentences"][0]
    assert s["origin"] == "model" and s["alignment"] is None
    assert 0 < s["translation_confidence"] < 0.4  # random weights: the model is unsure of everything
    assert "low_confidence" in s["flags"]
    assert any(w.startswith("low_confidence: ") for w in s["warnings"])
    again = client.post("/v1/translate", json={"text": text, "source_lang": "pl"}).json()["sentences"][0]
    assert again["origin"] == "cache"
    assert again["translation_confidence"] == s["translation_confidence"]  # kept with the entry
    kept = client.post("/v1/translate", json={"text": "The border is closed.", "target_lang": "en"}).json()
    assert kept["sentences"][0]["origin"] is None and kept["sentences"][0]["translation_confidence"] is None


def test_copied_output_is_flagged_untranslated(copy_client: TestClient) -> None:
    body = copy_client.post("/v1/translate", json={
        "text": "Jak jedziesz za granicę, to musisz mieć paszport.", "source_lang": "pl"}).json()
    s = body["sentences"][0]
    assert s["target"]["text"] == s["source"]["text"]
    assert "untranslated" in s["flags"] and "low_confidence" not in s["flags"]
    assert s["translation_confidence"] > 0.5


def _marked_up(text: str) -> str:
    """Every third word in <b id>, and some others in a link around <em>."""
    out = []
    for i, word in enumerate(text.split(" ")):
        if i % 3 == 1:
            word = f'<b id="b{i}">{word}</b>'
        elif i % 5 == 3:
            word = f'<a href="https://example.org/{i}"><em>{word}</em></a>'
        out.append(word)
    return f"<p>{' '.join(out)}</p>"


_WRAPPED = re.compile(r'<b id="(b\d+)">(.*?)</b>|<a href="https://example.org/(\d+)"><em>(.*?)</em></a>')


def _wrapped(html: str) -> dict[str, str]:
    return {m.group(1) or m.group(3): m.group(2) if m.group(1) else m.group(4) for m in _WRAPPED.finditer(html)}


def test_copy_model_puts_every_inline_element_on_the_words_it_wrapped(copy_client: TestClient) -> None:
    """Placement follows the model's own word links: with the copy model each element wraps the
    same words in the output; where the model misspelled a wrapped word, the element still wraps
    that word's copy (which matching identical words could not find)."""
    sentences = [s for s in corpus("pl") + corpus("lt") if 20 < len(s) <= 120 and not set(s) & set("<>&")][:40]
    assert len(sentences) == 40
    copied = misspelled = 0
    for text in sentences:
        html = _marked_up(text)
        r = copy_client.post("/v1/translate", json={"text": html, "source_lang": "pl", "target_lang": "en",
                                                     "format": "html"})
        assert r.status_code == 200, r.text
        body = r.json()
        out = body["translation"]
        assert sorted(re.findall(r"<[^>]+>", out)) == sorted(re.findall(r"<[^>]+>", html))  # every element, once
        uncertain = " ".join(w for s in body["sentences"] for w in s["warnings"]
                             if w.startswith("markup_placement_uncertain"))
        if body["translation_text"] == body["source_text"]:
            copied += 1
            assert out == html  # every element on exactly the words it wrapped
            continue
        before, after = _wrapped(html), _wrapped(out)
        for key, words_in in before.items():
            if after.get(key) and after[key] != words_in and f'"{key}"' not in uncertain \
                    and f"/{key}" not in uncertain:
                misspelled += 1  # placed by the link from the word to its misspelled copy
    assert copied >= 20
    assert misspelled >= 3
