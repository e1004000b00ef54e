"""The LibreTranslate and DeepL dialects over HTTP (in process): shapes, errors, options."""

from __future__ import annotations

import re
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


def test_lt_weblate_placeholders_come_back_once_each(compat: TestClient) -> None:
    """Weblate's LibreTranslate machinery: JSON, q a list, no format; its placeholders are [X<n>X]."""
    texts = ["Witaj [X6X], [X10X] czeka.", "[X0X] plików usunięto z [X12X].", "Granica jest zamknięta."]
    r = compat.post("/translate", json={"q": texts, "source": "pl", "target": "en"})
    assert r.status_code == 200, r.text
    out = r.json()["translatedText"]
    assert len(out) == 3
    for text, translated in zip(texts, out, strict=True):
        found = re.findall(r"\[X\d+X\]", text)
        assert sorted(re.findall(r"\[X\d+X\]", translated)) == sorted(found), translated
    assert out[1].startswith("[X0X] ")  # a placeholder at the edge stays at the edge


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


def test_raw_utf8_form_bodies_are_read_as_utf8(compat: TestClient) -> None:
    """What ``curl -d q='Nikt nie został ranny.'`` sends: the form's UTF-8 bytes as they are, not
    percent-encoded. Both dialects read them as UTF-8 (the URL-encoded form standard), the same
    as the percent-encoded form (pl -> pl keeps the text: what was read comes back)."""
    text = "Nikt nie został ranny."  # 22 characters, 23 UTF-8 bytes
    form = {"content-type": "application/x-www-form-urlencoded"}
    lt = compat.post("/translate", content=f"q={text}&source=pl&target=pl".encode(), headers=form)
    assert lt.status_code == 200, lt.text
    assert lt.json()["translatedText"] == text
    dl = compat.post("/v2/translate", content=f"text={text}&source_lang=PL&target_lang=PL".encode(), headers=form)
    assert dl.status_code == 200, dl.text
    item = dl.json()["translations"][0]
    assert item["text"] == text and item["billed_characters"] == 22
    encoded = compat.post("/v2/translate", data={"text": text, "source_lang": "PL", "target_lang": "PL"})
    assert encoded.json()["translations"][0] == item
    bad = compat.post("/translate", content=b"q=Nikt \xff&source=pl&target=en", headers=form)
    assert bad.status_code == 400 and "UTF-8" in bad.json()["error"].upper().replace("UTF8", "UTF-8")


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
    ({"text": ["Nikt."], "target_lang": "EN-GB", "glossary_id": "g-1"}, 400, "requires the source_lang"),
    ({"text": ["Nikt."], "target_lang": "EN-GB", "source_lang": "PL", "glossary_id": "g-1"}, 400, "'glossary_id'"),
    ({"text": ["Nikt."], "target_lang": "EN-GB", "source_lang": "PL",
      "glossary_id": "96ab91fd-e715-41a1-adeb-5d701f84a483"}, 404, "Glossary not found"),
    ({"text": ["x" * 200_001], "target_lang": "EN-GB"}, 413, "Too Large"),
])
def test_deepl_errors(compat: TestClient, body: dict, status: int, words: str) -> None:
    r = compat.post("/v2/translate", json=body)
    assert r.status_code == status and words in r.json()["message"], r.text


def test_deepl_html_keeps_what_must_not_be_translated(compat: TestClient) -> None:
    html = (f'<div><p>{TWEET_PL}</p><p translate="no">{TWEET_PL}</p><p class="lead notranslate">Nikt nie został '
            f'ranny.</p><code>Nikt nie został ranny.</code></div>')
    r = compat.post("/v2/translate", json={"text": [html], "target_lang": "EN-GB", "tag_handling": "html",
                                           "ignore_tags": ["code"]})
    assert r.status_code == 200, r.text
    out = r.json()["translations"][0]["text"]
    assert out.startswith("<div><p>") and not out.startswith(f"<div><p>{TWEET_PL}")
    assert f'<p translate="no">{TWEET_PL}</p>' in out
    assert '<p class="lead notranslate">Nikt nie został ranny.</p>' in out
    assert "<code>Nikt nie został ranny.</code>" in out


def test_deepl_xml_is_parsed_as_xml(compat: TestClient) -> None:
    """Self-closing placeholders stay self-closing and come back once each; ignored tags keep their
    content; splitting tags make blocks; everything outside the translated text is byte for byte."""
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<doc><meta><title>Granica</title></meta>\n'
           '<par>Witaj <x id="6"/>, <x id="10"></x> czeka na <b>granicy</b>.</par>'
           '<par>Nikt <keep>nie został</keep> ranny.</par></doc>')
    r = compat.post("/v2/translate", json={"text": [xml], "target_lang": "EN-GB", "source_lang": "PL",
                                           "tag_handling": "xml", "ignore_tags": ["x", "keep"]})
    assert r.status_code == 200, r.text
    out = r.json()["translations"][0]["text"]
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<doc><meta><title>')
    assert out.count('<x id="6"/>') == 1 and out.count('<x id="10"></x>') == 1
    assert out.count("<b>") == 1 and out.count("</b>") == 1 and "<keep>nie został</keep>" in out
    assert out.count("<par>") == 2 and out.endswith("</par></doc>")
    import xml.etree.ElementTree as ET

    ET.fromstring(out.encode())  # well-formed
    bad = compat.post("/v2/translate", json={"text": ["<b>Nikt</i>"], "target_lang": "EN-GB", "tag_handling": "xml"})
    assert bad.status_code == 400 and "Tag handling parsing failed" in bad.json()["message"], bad.text
    as_html = compat.post("/v2/translate", json={"text": ["Witaj <x id=\"6\"/> czeka."], "target_lang": "EN-GB",
                                                 "tag_handling": "html"})
    assert as_html.status_code == 200  # HTML has no self-closing elements: no 400 there


def test_deepl_weblate_request_shape(compat: TestClient) -> None:
    """What weblate.machinery.deepl.DeepLTranslation sends: JSON, every text of a batch, tag_handling=xml,
    ignore_tags=["x"], its placeholders as <x id="n"></x> (format_replacement), text escaped with
    html.escape; it reads translations[i].text and html.unescapes it."""
    import html

    texts = ['Witaj <x id="6"></x>, <x id="10"></x> czeka.', "Plik <x id=\"5\"></x> &quot;raport&quot; &amp; "
             "<x id=\"27\"></x> usunięto.", 'Liczba: <x id="0"></x>']
    body = {"text": texts, "source_lang": "PL", "target_lang": "EN-GB", "formality": "default",
            "tag_handling": "xml", "ignore_tags": ["x"]}
    r = compat.post("/v2/translate", json=body, headers={"Authorization": "DeepL-Auth-Key anything"})
    assert r.status_code == 200, r.text
    out = [t["text"] for t in r.json()["translations"]]
    assert len(out) == 3
    for text, translated in zip(texts, out, strict=True):
        ids = re.findall(r'<x id="(\d+)"></x>', text)
        assert ids and sorted(re.findall(r'<x id="(\d+)"></x>', translated)) == sorted(ids), translated
        assert "<" not in re.sub(r'<x id="\d+"></x>', "", translated)  # nothing else became markup
        html.unescape(translated)
    assert out[2].endswith('<x id="0"></x>')  # it stood at the end


def test_deepl_xml_splitting_options(compat: TestClient) -> None:
    xml = "<doc><t>Nikt nie został ranny.</t><t>Granica jest zamknięta.</t></doc>"
    base = {"text": [xml], "target_lang": "EN-GB", "source_lang": "PL", "tag_handling": "xml"}
    one = compat.post("/v2/translate", json={**base, "outline_detection": False}).json()["translations"][0]["text"]
    split = compat.post("/v2/translate", data={**base, "text": xml, "outline_detection": "0",
                                                "splitting_tags": "t"}).json()["translations"][0]["text"]
    assert one.count("<t>") == split.count("<t>") == 2
    bad = compat.post("/v2/translate", json={**base, "outline_detection": "perhaps"})
    assert bad.status_code == 400 and "outline_detection" in bad.json()["message"]


def test_deepl_languages_from_query_or_body(compat: TestClient) -> None:
    source = compat.get("/v2/languages").json()
    assert [lang["language"] for lang in source] == ["EN", "LT", "PL"]
    target = compat.get("/v2/languages", params={"type": "target"}).json()
    body = compat.request("GET", "/v2/languages", data={"type": "target"}).json()
    assert target == body and [lang["language"] for lang in target] == ["EN-GB", "EN-US", "LT", "PL"]
    assert compat.post("/v2/languages", data={"type": "nope"}).status_code == 400


@pytest.mark.parametrize("formality", ["prefer_more", "prefer_less", "PREFER_MORE"])
def test_deepl_prefer_formality_falls_back_to_the_default(compat: TestClient, formality: str) -> None:
    body = {"text": ["Nikt nie został ranny."], "source_lang": "PL", "target_lang": "EN-GB"}
    default = compat.post("/v2/translate", json=body)
    preferred = compat.post("/v2/translate", json=body | {"formality": formality})
    assert default.status_code == preferred.status_code == 200, preferred.text
    assert preferred.json() == default.json()  # no language here has formality: the default, as DeepL does


def test_deepl_error_shape_on_every_v2_path(compat: TestClient) -> None:
    """Errors that never reach the DeepL adapter are in its shape too; other paths keep problems."""
    for method, path, status in [("GET", "/v2/glossaries-nope", 404), ("POST", "/v2/document", 404),
                                 ("GET", "/v2", 404), ("GET", "/v2/translate", 405), ("DELETE", "/v2/usage", 405)]:
        r = compat.request(method, path)
        assert r.status_code == status, (method, path, r.text)
        assert r.headers["content-type"] == "application/json" and set(r.json()) == {"message"}, r.text
        assert r.json()["message"] and r.headers["x-request-id"]
    native = compat.get("/v1/nope")
    assert native.status_code == 404 and native.headers["content-type"].startswith("application/problem+json")
    assert native.json()["type"].endswith("/not_found")


def test_deepl_error_shape_of_a_body_over_the_limit(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, coalesce=False,
                        max_body_bytes=1000)
    with TestClient(create_app(settings)) as c:
        r = c.post("/v2/translate", json={"text": ["x" * 2000], "target_lang": "EN-GB"})
        assert r.status_code == 413 and set(r.json()) == {"message"} and "1000" in r.json()["message"]
        assert c.post("/v1/translate", json={"text": "x" * 2000}).json()["type"].endswith("/body_too_large")


# ----------------------------------------------------------------------------- Weblate's settings check


@pytest.fixture(scope="module")
def keyed(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("compat-keyed")
    settings = Settings(database_url=f"sqlite:///{tmp / 'c.db'}", model_dir=model_dir, coalesce=False,
                        api_keys=["good-key"], api_keys_chars_per_month=1000)
    with TestClient(create_app(settings)) as c:
        yield c


def test_settings_check_comes_back_untranslated_for_a_good_key(keyed: TestClient) -> None:
    """Weblate saves a service after translating "test" en -> de; there is no German here: the
    text comes back as sent, marked untranslated, billed nothing, and only for a good key."""
    auth = {"Authorization": "DeepL-Auth-Key good-key"}
    deepl = keyed.post("/v2/translate", headers=auth, json={"text": ["test"], "source_lang": "en",
                                                            "target_lang": "de", "tag_handling": "xml",
                                                            "ignore_tags": ["x"], "formality": "prefer_less"})
    assert deepl.status_code == 200, deepl.text
    assert deepl.json() == {"translations": [{"detected_source_language": "EN", "text": "test",
                                              "billed_characters": 0}]}
    assert deepl.headers["x-newsbridge-untranslated"].startswith("de: ")
    lt = keyed.post("/translate", json={"q": ["test"], "source": "en", "target": "de", "api_key": "good-key"})
    assert lt.status_code == 200 and lt.json() == {"translatedText": ["test"]}, lt.text
    assert lt.headers["x-newsbridge-untranslated"].startswith("de: ")
    one = keyed.post("/translate", data={"q": "test", "source": "en", "target": "de", "api_key": "good-key"})
    assert one.json() == {"translatedText": "test"}
    assert keyed.get("/v2/usage", headers=auth).json()["character_count"] == 0  # nothing billed


@pytest.mark.parametrize(("path", "body", "status", "key"), [
    ("/v2/translate", {"text": ["test"], "source_lang": "en", "target_lang": "de", "auth_key": "wrong"}, 403,
     "message"),
    ("/v2/translate", {"text": ["test"], "source_lang": "en", "target_lang": "de"}, 403, "message"),
    ("/translate", {"q": ["test"], "source": "en", "target": "de", "api_key": "wrong"}, 403, "error"),
    ("/translate", {"q": "test", "source": "en", "target": "de"}, 403, "error"),
    # anything else in German is refused as before
    ("/v2/translate", {"text": ["test", "test"], "source_lang": "en", "target_lang": "de", "auth_key": "good-key"},
     400, "message"),
    ("/v2/translate", {"text": ["Test"], "source_lang": "en", "target_lang": "de", "auth_key": "good-key"}, 400,
     "message"),
    ("/v2/translate", {"text": ["test"], "target_lang": "de", "auth_key": "good-key"}, 400, "message"),
    ("/v2/translate", {"text": ["test"], "source_lang": "en", "target_lang": "de", "formality": "more",
                       "auth_key": "good-key"}, 400, "message"),
    ("/translate", {"q": "test", "source": "pl", "target": "de", "api_key": "good-key"}, 400, "error"),
    ("/translate", {"q": "Hello", "source": "en", "target": "de", "api_key": "good-key"}, 400, "error"),
])
def test_settings_check_is_refused_otherwise(keyed: TestClient, path: str, body: dict, status: int,
                                             key: str) -> None:
    r = keyed.post(path, json=body)
    assert r.status_code == status and set(r.json()) == {key}, r.text
    assert "x-newsbridge-untranslated" not in r.headers
