"""The LibreTranslate and DeepL dialects over HTTP (in process): shapes, errors, options."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.settings import Settings

TWEET_PL = "Funkcjonariusze Straży Granicznej udaremnili kolejną próbę. Nikt nie został ranny."


@pytest.fixture(scope="module")
def compat(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("compat-api")
    settings = Settings(database_url=f"sqlite:///{tmp / 'c.db'}", model_dir=model_dir, coalesce=False)
    with TestClient(create_app(settings)) as c:
        yield c


# ----------------------------------------------------------------------------- LibreTranslate


def test_lt_translate_json_string_and_list(compat: TestClient) -> None:
    one = compat.post("/translate", json={"q": TWEET_PL, "source": "auto", "target": "en", "alternatives": 3})
    assert one.status_code == 200, one.text
    body = one.json()
    assert isinstance(body["translatedText"], str) and body["translatedText"] != TWEET_PL
    assert body["detectedLanguage"]["language"] == "pl" and 50 <= body["detectedLanguage"]["confidence"] <= 100
    assert body["alternatives"] == []
    many = compat.post("/translate", json={"q": [TWEET_PL, "Lietuva"], "source": "pl", "target": "en"}).json()
    assert isinstance(many["translatedText"], list) and len(many["translatedText"]) == 2
    assert "detectedLanguage" not in many  # only when source is auto


def test_lt_form_body_and_html(compat: TestClient) -> None:
    r = compat.post("/translate", data={"q": f"<p>{TWEET_PL} <b>#granica</b></p>", "source": "pl", "target": "en",
                                        "format": "html"})
    assert r.status_code == 200, r.text
    out = r.json()["translatedText"]
    assert out.startswith("<p>") and "<b>#granica</b>" in out


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"source": "pl", "target": "en"}, 400, "missing q"),
    ({"q": "Nikt.", "target": "en"}, 400, "missing source"),
    ({"q": "Nikt.", "source": "pl"}, 400, "missing target"),
    ({"q": "Nikt.", "source": "pl", "target": "de"}, 400, "de is not supported"),
    ({"q": "Die Bundesregierung beobachtet die Lage mit großer Sorge.", "source": "auto", "target": "en"}, 400,
     "none of the supported languages"),
])
def test_lt_errors(compat: TestClient, body: dict, status: int, words: str) -> None:
    r = compat.post("/translate", json=body)
    assert r.status_code == status and words in r.json()["error"]
    assert set(r.json()) == {"error"}


def test_lt_bad_json_and_detect_and_languages(compat: TestClient) -> None:
    r = compat.post("/translate", content=b'{"q": "unterminated', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()
    detected = compat.post("/detect", json={"q": TWEET_PL}).json()
    assert detected[0]["language"] == "pl" and all(set(d) == {"confidence", "language"} for d in detected)
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = compat.request("GET", "/languages", content=b"api_key=x", headers=form)
    assert r.status_code == 200
    assert {lang["code"]: lang["targets"] for lang in r.json()} == {"en": ["lt", "pl"], "lt": ["en", "pl"],
                                                                    "pl": ["en", "lt"]}


# ----------------------------------------------------------------------------- DeepL


def test_deepl_form_with_repeated_text(compat: TestClient) -> None:
    r = compat.post("/v2/translate", data={"text": [TWEET_PL, "", "Lietuva laimėjo."], "target_lang": "en-us",
                                           "source_lang": "pl", "split_sentences": "nonewlines",
                                           "preserve_formatting": "1", "formality": "default"})
    assert r.status_code == 200, r.text
    items = r.json()["translations"]
    assert len(items) == 3 and items[1] == {"detected_source_language": "PL", "text": "", "billed_characters": 0}
    assert all(set(i) >= {"detected_source_language", "text", "billed_characters"} for i in items)
    assert items[0]["billed_characters"] == len(TWEET_PL)


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"text": ["Nikt."]}, 400, "'target_lang' not specified"),
    ({"text": ["Nikt."], "target_lang": "DE"}, 400, "'target_lang' not supported"),
    ({"text": ["Nikt."], "target_lang": "PL-XX"}, 400, "'target_lang' not supported"),
    ({"text": ["Nikt."], "target_lang": "EN", "source_lang": "FR"}, 400, "'source_lang' not supported"),
    ({"target_lang": "EN"}, 400, "'text' not specified"),
    ({"text": ["Nikt."], "target_lang": "PL", "formality": "more"}, 400, "formality"),
    ({"text": ["Nikt."], "target_lang": "PL", "glossary_id": "g-1"}, 400, "Glossaries"),
    ({"text": ["x" * 200_001], "target_lang": "EN-GB"}, 413, "Too Large"),
])
def test_deepl_errors(compat: TestClient, body: dict, status: int, words: str) -> None:
    r = compat.post("/v2/translate", json=body)
    assert r.status_code == status and words in r.json()["message"], r.text


def test_deepl_html_keeps_what_must_not_be_translated(compat: TestClient) -> None:
    html = (f'<div><p>{TWEET_PL}</p><p translate="no">{TWEET_PL}</p><p class="lead notranslate">Nikt nie został '
            f'ranny.</p><code>Nikt nie został ranny.</code></div>')
    r = compat.post("/v2/translate", json={"text": [html], "target_lang": "EN-GB", "tag_handling": "xml",
                                           "ignore_tags": ["code"], "outline_detection": False})
    assert r.status_code == 200, r.text
    out = r.json()["translations"][0]["text"]
    assert out.startswith("<div><p>") and not out.startswith(f"<div><p>{TWEET_PL}")
    assert f'<p translate="no">{TWEET_PL}</p>' in out
    assert '<p class="lead notranslate">Nikt nie został ranny.</p>' in out
    assert "<code>Nikt nie został ranny.</code>" in out


def test_deepl_languages_from_query_or_body(compat: TestClient) -> None:
    source = compat.get("/v2/languages").json()
    assert [lang["language"] for lang in source] == ["EN", "LT", "PL"]
    target = compat.get("/v2/languages", params={"type": "target"}).json()
    body = compat.request("GET", "/v2/languages", data={"type": "target"}).json()
    assert target == body and [lang["language"] for lang in target] == ["EN-GB", "EN-US", "LT", "PL"]
    assert compat.post("/v2/languages", data={"type": "nope"}).status_code == 400
