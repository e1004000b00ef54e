"""/v1/summarize with each summarizer, through the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.settings import Settings


def test_extractive_summary_of_lithuanian_news_with_quote(client: TestClient, sample) -> None:
    r = client.post("/v1/summarize", json={"text": sample("lt_news.txt"), "ratio": 0.5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "extractive"
    assert len(body["summary_sentences"]) == 2  # ceil(0.5 * 4 sentences)
    sources = [i for s in body["summary_sentences"] for i in s["sources"]]
    assert sources == sorted(sources)  # document order
    assert body["quotes"], "the summary draws on the quoted statement: its original must be listed"
    for q in body["quotes"]:
        assert q["lang"] == "lt" and q["original"].startswith("Situacija kontroliuojama")
        assert body["summary"][q["summary"]["start"]:q["summary"]["end"]] == q["target"]["text"]


def test_short_text_summary_is_never_longer(client: TestClient) -> None:
    text = "Premier zwołał nadzwyczajne posiedzenie rządu. #granica"
    body = client.post("/v1/summarize", json={"text": text, "max_sentences": 5}).json()
    assert len(body["summary"]) <= len(body["translation"]["translation_text"])


def test_abstractive_summarizer_from_settings(settings: Settings, model_dir: Path, sample) -> None:
    abstractive = settings.model_copy(update={"summarizer": "abstractive",
                                              "summarizer_model": str(model_dir / "en-pl")})
    with TestClient(create_app(abstractive)) as c:
        r = c.post("/v1/summarize", json={"text": sample("lt_news.txt"), "target_lang": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["method"] == "abstractive" and body["summary"]
    assert body["translation"]["source_lang"] == "lt"


def test_abstractive_without_a_model_fails_at_start(settings: Settings) -> None:
    broken = settings.model_copy(update={"summarizer": "abstractive"})
    with pytest.raises(ValueError, match="NEWSBRIDGE_SUMMARIZER_MODEL"), TestClient(create_app(broken)):
        pass
