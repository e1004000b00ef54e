"""The HTTP API through the app, with real (tiny, random-weight) Marian models."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from translators.marian import MarianTranslator
from translators.text.protect import find_protected

PROBLEM = "application/problem+json"


def assert_spans_slice(body: dict) -> None:
    src, tgt = body["source_text"], body["translation_text"]
    for s in body["sentences"]:
        assert src[s["source"]["start"]:s["source"]["end"]] == s["source"]["text"]
        assert tgt[s["target"]["start"]:s["target"]["end"]] == s["target"]["text"]
    for q in body["quotes"]:
        assert src[q["source"]["start"]:q["source"]["end"]] == q["source"]["text"]
        assert src[q["outer"]["start"]:q["outer"]["end"]] == q["outer"]["text"]
        if q["target"] is not None:
            assert tgt[q["target"]["start"]:q["target"]["end"]] == q["target"]["text"]


def test_ministry_tweet_translates_with_everything_protected(client: TestClient, sample) -> None:
    text = sample("pl_ministry_tweet.txt")
    r = client.post("/v1/translate", json={"text": text, "target_lang": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source_lang"] == "pl"
    assert body["source_text"] == text
    assert_spans_slice(body)
    for p in find_protected(text):
        if p.kind in {"url", "handle", "hashtag", "emoji"}:
            assert p.text in body["translation"], p
    assert any(s["translated"] for s in body["sentences"])
    assert body["model"]["pl-en"][0]["id"] == "local:pl-en"
    assert body["cached"]["misses"] > 0


def test_the_body_is_the_models_own_json_bytes(client: TestClient, sample) -> None:
    """The answer is written by pydantic's serializer straight to bytes: the same bytes as
    ``model_dump_json()`` (emoji, Polish letters and all), valid against the response model."""
    from service.responses import TranslationModel

    text = sample("pl_ministry_tweet.txt")
    r = client.post("/v1/translate", json={"text": text, "target_lang": "en"})
    assert r.status_code == 200, r.text
    model = TranslationModel.model_validate_json(r.content)
    assert model.source_text == text and "Straży Granicznej".encode() in r.content  # UTF-8, not escapes
    assert r.content == model.model_dump_json().encode()


def test_tweet_and_quote_found_in_ministry_tweet(client: TestClient, sample) -> None:
    body = client.post("/v1/translate", json={"text": sample("pl_ministry_tweet.txt")}).json()
    tweets = [q for q in body["quotes"] if q["kind"] == "tweet"]
    assert len(tweets) == 1
    assert tweets[0]["handle"] in ("@MSWiA_GOV_PL", "MSWiA_GOV_PL")
    assert tweets[0]["author"] == "MSWiA"
    quotes = [q for q in body["quotes"] if q["kind"] == "quote"]
    assert [q["source"]["text"] for q in quotes] == ["Sytuacja jest pod kontrolą, patrole zostały wzmocnione"]
    assert quotes[0]["lang"] == "pl"
    assert quotes[0]["target"]["text"]  # translated, and the span slices (checked above)
    assert quotes[0]["parent"] == body["quotes"].index(tweets[0]) and tweets[0]["parent"] is None


def test_repeat_request_is_served_from_cache_without_model_call(settings: Settings, url: str, sample) -> None:
    """On SQLite and on PostgreSQL (`url` runs this test on both)."""
    from service.storage import db

    db.upgrade(url)  # what `newsbridge db upgrade` does for a server
    settings = settings.model_copy(update={"database_url": url})
    calls: list[int] = []

    class Counting(MarianTranslator):
        def translate_batch(self, texts, source, target, *, alignment=False):  # type: ignore[override]
            calls.append(len(texts))
            return super().translate_batch(texts, source, target, alignment=alignment)

    backend = Counting(settings.model_dir)
    app = create_app(settings, engine_factory=lambda s: build_engines(s, backend=backend))
    text = sample("pl_ministry_tweet.txt")
    with TestClient(app) as c:
        first = c.post("/v1/translate", json={"text": text}).json()
        n_calls = len(calls)
        second = c.post("/v1/translate", json={"text": text}).json()
        metrics = c.get("/metrics").text
    assert n_calls > 0 and len(calls) == n_calls  # no model call the second time
    assert second["cached"]["misses"] == 0 and second["cached"]["hits"] == first["cached"]["misses"]
    assert all(s["cached"] for s in second["sentences"] if s["translated"])
    assert second["translation"] == first["translation"]
    assert 'newsbridge_cache_lookups_total{result="hit"}' in metrics
    db.dispose_engines()


def test_changed_weights_miss_every_old_entry(settings: Settings, model_dir: Path, tmp_path: Path, sample) -> None:
    """Same folder name, different weights: the cache must not serve the old translations."""
    import shutil

    from translators.ct2_convert import convert_pair
    from translators.testing import build_marian

    local = tmp_path / "models"
    shutil.copytree(model_dir, local)
    settings = settings.model_copy(update={"model_dir": local})
    text = sample("pl_ministry_tweet.txt")
    with TestClient(create_app(settings)) as c:
        first = c.post("/v1/translate", json={"text": text}).json()
    # replace pl-en by a model with other weights, under the same folder name
    corpus = [line for line in (Path(__file__).parent / "fixtures" / "corpus" / "pl.txt").read_text().splitlines()]
    english = (Path(__file__).parent / "fixtures" / "corpus" / "en.txt").read_text().splitlines()
    shutil.rmtree(local / "pl-en")
    build_marian(local / "pl-en", corpus, english, seed=99, spm_vocab=300, max_length=24)
    convert_pair("pl-en", local, "int8")  # as `newsbridge models convert` after replacing a model
    with TestClient(create_app(settings)) as c:
        second = c.post("/v1/translate", json={"text": text}).json()
    assert first["cached"]["misses"] > 0
    assert second["cached"]["hits"] == 0 and second["cached"]["misses"] == first["cached"]["misses"]
    assert second["model"]["pl-en"][0]["checksum"] != first["model"]["pl-en"][0]["checksum"]


def test_german_text_is_a_clear_problem(client: TestClient) -> None:
    r = client.post("/v1/translate", json={
        "text": "Die Bundesregierung beobachtet die Lage an der polnisch-belarussischen Grenze mit großer Sorge."})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"].endswith("/unsupported_language")


@pytest.mark.parametrize(("payload", "status", "kind"), [
    ({"text": "   "}, 422, "empty_text"),
    ({"text": "Ala ma kota.", "target_lang": "de"}, 422, "invalid_request"),
    ({"text": "a", "texts": ["b"]}, 422, "invalid_request"),
    ({}, 422, "invalid_request"),
])
def test_bad_requests_are_problems(client: TestClient, payload: dict, status: int, kind: str) -> None:
    r = client.post("/v1/translate", json=payload)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["type"].endswith("/" + kind)


def test_invalid_json_and_oversize(settings: Settings) -> None:
    small = settings.model_copy(update={"max_chars": 50})
    with TestClient(create_app(small)) as c:
        r = c.post("/v1/translate", content=b'{"text": "unterminated', headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["type"].endswith("/invalid_json")
        r = c.post("/v1/translate", json={"text": "Premier zwołał posiedzenie rządu. " * 5})
        assert r.status_code == 413 and r.json()["type"].endswith("/text_too_large")


def test_batch_reports_each_item_and_goes_on(client: TestClient) -> None:
    r = client.post("/v1/translate", json={"texts": [
        "Premier zwołał nadzwyczajne posiedzenie rządu.", "", "Lietuvos kariuomenė perkelia pajėgas į pasienį."]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert results[0]["source_lang"] == "pl"
    assert results[1]["index"] == 1 and results[1]["error"]["type"].endswith("/empty_text")
    assert results[2]["source_lang"] == "lt"


def test_model_missing_is_503(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=tmp_path / "nothing", coalesce=False)
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/translate", json={"text": "Premier zwołał nadzwyczajne posiedzenie rządu."})
    assert r.status_code == 503
    body = r.json()
    assert body["type"].endswith("/model_missing") and "NEWSBRIDGE_MODEL_DIR" in body["detail"]


def test_pivot_pl_to_lt_uses_two_models(client: TestClient) -> None:
    body = client.post("/v1/translate", json={"text": "Premier zwołał nadzwyczajne posiedzenie rządu.",
                                              "target_lang": "lt"}).json()
    assert [m["id"] for m in body["model"]["pl-lt"]] == ["local:pl-en", "local:en-lt"]


def test_english_article_with_polish_tweet_html(client: TestClient, sample) -> None:
    html = sample("en_article_with_pl_tweet.html")
    body = client.post("/v1/translate", json={"text": html, "format": "html", "offsets": "utf16"}).json()
    assert body["source_lang"] == "en"
    tweets = [q for q in body["quotes"] if q["kind"] == "tweet"]
    assert len(tweets) == 1
    tw = tweets[0]
    assert tw["lang"] == "pl" and tw["author"] == "Straż Graniczna" and tw["date"] == "November 12, 2021"
    assert tw["source"]["text"].startswith("Funkcjonariusze Straży Granicznej")
    assert tw["target"] is not None
    # English sentences stay as they are; the Polish ones are translated
    def sentence(prefix: str) -> dict:
        return next(s for s in body["sentences"] if s["source"]["text"].startswith(prefix))

    assert sentence("Polish officials said")["translated"] is False
    assert sentence("Polish officials said")["lang"] == "en"
    assert sentence("Funkcjonariusze Straży")["translated"] is True
    assert sentence("Funkcjonariusze Straży")["lang"] == "pl"
    assert body["translation"].lstrip().startswith("<article>")
    assert 'href="https://t.co/AbCdEf1234"' in body["translation"]
    # UTF-16 spans slice in JavaScript terms
    src16 = body["source_text"].encode("utf-16-le")
    assert body["sentences"]
    for s in body["sentences"]:
        a, b = s["source"]["start"], s["source"]["end"]
        assert src16[2 * a:2 * b].decode("utf-16-le") == s["source"]["text"]


def test_utf16_offsets_after_emoji(client: TestClient, sample) -> None:
    text = "🇵🇱👨‍👩‍👧 " + sample("pl_ministry_tweet.txt")
    cp = client.post("/v1/translate", json={"text": text}).json()
    u16 = client.post("/v1/translate", json={"text": text, "offsets": "utf16"}).json()
    src16 = text.encode("utf-16-le")
    tgt16 = u16["translation_text"].encode("utf-16-le")
    assert cp["sentences"]
    for a, b in zip(cp["sentences"], u16["sentences"], strict=True):
        assert a["source"]["text"] == b["source"]["text"]
        s, t = b["source"], b["target"]
        assert src16[2 * s["start"]:2 * s["end"]].decode("utf-16-le") == s["text"]
        assert tgt16[2 * t["start"]:2 * t["end"]].decode("utf-16-le") == t["text"]
    # 5 astral code points (2 regional indicators, 3 people) stand before it
    assert u16["sentences"][-1]["source"]["start"] == cp["sentences"][-1]["source"]["start"] + 5


def test_summarize_ministry_tweet_keeps_polish_original(client: TestClient, sample) -> None:
    text = sample("pl_ministry_tweet.txt")
    r = client.post("/v1/summarize", json={"text": text, "max_sentences": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    tr = body["translation"]
    assert tr["source_lang"] == "pl"
    assert 0 < len(body["summary_sentences"]) <= 2
    assert len(body["summary"]) <= len(tr["translation_text"])
    for s in body["summary_sentences"]:
        assert body["summary"][s["summary"]["start"]:s["summary"]["end"]] == s["summary"]["text"]
    quotes = body["quotes"]
    assert quotes, "the summary of a tweet must carry the tweet"
    tweet = quotes[0]
    assert tweet["kind"] == "tweet" and tweet["lang"] == "pl" and tweet["handle"] == "@MSWiA_GOV_PL"
    assert tweet["original"].startswith("⚠️ KOMUNIKAT | W nocy funkcjonariusze")
    assert "zatrzymali 23 osoby" in tweet["original"]
    assert text[tweet["source"]["start"]:tweet["source"]["end"]] == tweet["original"]
    assert tweet["parent"] is None and tr["quotes"][tweet["index"]]["kind"] == "tweet"
    assert tweet["summary_spans"] and tweet["summary"] == tweet["summary_spans"][0]
    for span in tweet["summary_spans"]:  # each part of the summary that translates the tweet
        assert body["summary"][span["start"]:span["end"]] == span["text"]
        assert span["text"] in tweet["target"]["text"]
    inner = [q for q in quotes if q["kind"] == "quote"]
    assert len(inner) == 1
    quote = inner[0]
    assert quote["original"] == "Sytuacja jest pod kontrolą, patrole zostały wzmocnione" and quote["lang"] == "pl"
    assert quote["parent"] == tweet["index"]
    assert text[quote["source"]["start"]:quote["source"]["end"]] == quote["original"]
    target = quote["target"]
    assert tr["translation_text"][target["start"]:target["end"]] == target["text"]
    assert tweet["target"]["start"] <= target["start"] < target["end"] <= tweet["target"]["end"]
    # exact: the quote's target is the translation of its own words, nothing of the sentence around it
    alone = client.post("/v1/translate", json={"text": quote["original"], "source_lang": "pl"}).json()
    assert target["text"] == alone["translation_text"]
    # the summary (2 sentences) may or may not draw on the quote's sentence: spans exactly when it does
    drawn = any(max(target["start"], t["start"]) < min(target["end"], t["end"])
                for s in body["summary_sentences"] for i in s["sources"] for t in [tr["sentences"][i]["target"]])
    assert bool(quote["summary_spans"]) == drawn
    for span in quote["summary_spans"]:
        assert body["summary"][span["start"]:span["end"]] == span["text"] == target["text"]


def test_whole_summary_of_the_tweet_carries_the_inner_quote(client: TestClient, sample) -> None:
    body = client.post("/v1/summarize", json={"text": sample("pl_ministry_tweet.txt"), "ratio": 1.0}).json()
    quotes = body["quotes"]
    assert [q["kind"] for q in quotes] == ["tweet", "quote"]
    quote = quotes[1]
    assert quote["summary"] is not None and quote["summary_spans"] == [quote["summary"]]
    assert body["summary"][quote["summary"]["start"]:quote["summary"]["end"]] == quote["target"]["text"]


def test_detect_languages_health(client: TestClient) -> None:
    r = client.post("/v1/detect", json={"text": "Minister said: „Nie ustąpimy” and left. Lietuvos kariuomenė perkelia "
                                                 "papildomas pajėgas į pasienį su Baltarusija."})
    assert r.status_code == 200
    langs = [s["lang"] for s in r.json()["segments"]]
    assert "lt" in langs
    assert client.get("/v1/languages").json()["languages"][0]["code"] == "pl"
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ok" and ready["cache"] == "ok"
    # what serves: the detector, the backend and its compute type (the defaults), each pair's model (the tiny
    # ones' folders)
    assert (ready["detector"], ready["backend"], ready["compute_type"]) == ("ensemble", "ctranslate2", "int8")
    assert ready["models"]["pl-en"].endswith("/pl-en") and set(ready["models"]) >= {"pl-en", "lt-en"}
    assert "newsbridge_requests_total" in client.get("/metrics").text


def test_unreachable_database_degrades_but_translates(tmp_path: Path, model_dir: Path) -> None:
    settings = Settings(database_url="postgresql+psycopg://u:p@127.0.0.1:1/none?connect_timeout=1",
                        model_dir=model_dir, coalesce=False)
    with TestClient(create_app(settings)) as c:
        assert c.get("/readyz").json()["status"] == "degraded"
        r = c.post("/v1/translate", json={"text": "Premier zwołał nadzwyczajne posiedzenie rządu."})
    assert r.status_code == 200
    assert r.json()["cached"]["hits"] == 0


def test_openapi_documents_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/translate", "/v1/summarize", "/v1/detect", "/v1/languages", "/healthz", "/readyz"):
        assert path in spec["paths"]
    assert json.dumps(spec).count("problem") > 0


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to slice strings the JavaScript way")
def test_utf16_spans_slice_in_javascript(client: TestClient, sample, tmp_path: Path) -> None:
    """What a CMS plugin does: String.prototype.slice with the returned offsets, in node."""
    text = "🇵🇱 👨‍👩‍👧 Minister said: „Nie ustąpimy” 👍🏽 and left.\n\n" + sample("pl_ministry_tweet.txt")
    body = client.post("/v1/translate", json={"text": text, "offsets": "utf16"}).json()
    (tmp_path / "r.json").write_text(json.dumps(body), encoding="utf-8")
    script = """
const b = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
let n = 0;
const check = (s, str) => {
  if (s && str.slice(s.start, s.end) !== s.text) { throw new Error(JSON.stringify(s)); }
  n++;
};
for (const s of b.sentences) { check(s.source, b.source_text); check(s.target, b.translation_text); }
for (const q of b.quotes) {
  check(q.source, b.source_text); check(q.outer, b.source_text); check(q.target, b.translation_text);
}
console.log(n);
"""
    out = subprocess.run(["node", "-e", script, str(tmp_path / "r.json")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 2 * len(body["sentences"])


@pytest.mark.parametrize("url", ["nonsense", "mysql://u@h/db", "sqlite:///:memory:"])
def test_broken_database_url_stops_the_start_with_a_clear_error(settings: Settings, url: str) -> None:
    from service.storage.db import DatabaseConfigError

    broken = settings.model_copy(update={"database_url": url})
    with pytest.raises(DatabaseConfigError, match="NEWSBRIDGE_DATABASE_URL"), TestClient(create_app(broken)):
        pass
