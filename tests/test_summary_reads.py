"""A summary that reads as one: units keep their boundaries (no heading glued to the next
sentence), headings only when the text has nothing else, flagged sentences only when there is
no choice."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.pipeline.flow import Document
from service.settings import Settings
from summarizers.joining import ends_sentence, join_units
from translators.base import Lang, Translation
from translators.cached import MemoryStore
from translators.testing import EchoTranslator

HEADING = "Border guards report new crossing attempts"


@pytest.fixture
def echo_client(tmp_path: Path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    engines = build_engines(settings, backend=EchoTranslator(), store=MemoryStore(), coalesce=False)
    with TestClient(create_app(settings, engines=engines)) as c:
        yield c


def test_sentence_ends() -> None:
    for text in ("Nikt nie został ranny.", "Czy to prawda?", "He said: “We are ready.”", "Wait…",
                 "Nikt nie został ranny. pic.twitter.com/AbCdEf1234", "Granica jest bezpieczna. #granica 🇵🇱",
                 "(See below.)"):
        assert ends_sentence(text), text
    for text in (HEADING, "Warszawa, 12 listopada", "Sytuacja pod kontrolą #granica", "Photo: Reuters/AP"):
        assert not ends_sentence(text), text
    assert join_units([HEADING, "One.", "Two."]) == f"{HEADING}\nOne. Two."


def _check_spans(body: dict) -> None:
    summary = body["summary"]
    assert body["summary_sentences"]
    for s in body["summary_sentences"]:
        span = s["summary"]
        assert summary[span["start"]:span["end"]] == span["text"]
    for a, b in zip(body["summary_sentences"], body["summary_sentences"][1:], strict=False):
        gap = summary[a["summary"]["end"]:b["summary"]["start"]]
        assert gap == (" " if ends_sentence(a["summary"]["text"]) else "\n")  # every boundary kept


def test_the_article_summary_does_not_glue_its_heading_to_the_lead(echo_client: TestClient, sample) -> None:
    html = sample("en_article_with_pl_tweet.html")
    body = echo_client.post("/v1/summarize", json={"text": html, "format": "html", "target_lang": "en"}).json()
    summary = body["summary"]
    assert "attempts Polish" not in summary
    assert HEADING not in summary  # the headline is not a sentence of the article: left out (docs say why)
    assert summary.startswith("Polish officials said on Friday")
    _check_spans(body)
    everything = echo_client.post("/v1/summarize", json={"text": html, "format": "html", "ratio": 1.0}).json()
    assert HEADING not in everything["summary"]  # even when every sentence is kept
    _check_spans(everything)


def test_a_heading_is_used_only_when_there_is_nothing_else(echo_client: TestClient) -> None:
    headlines = f"{HEADING}\n\nLithuania on alert\n\nhttps://example.com/border"  # a headline-only item
    only = echo_client.post("/v1/summarize", json={"text": headlines, "target_lang": "en", "source_lang": "en",
                                                   "max_sentences": 3}).json()
    assert only["summary"] == f"{HEADING}\nLithuania on alert"  # each on its own line
    _check_spans(only)
    both = echo_client.post("/v1/summarize", json={"text": f"{HEADING}\n\nThe ministry said so.", "source_lang": "en",
                                                   "max_sentences": 3}).json()
    assert both["summary"] == "The ministry said so."
    tweet = echo_client.post("/v1/summarize", json={"text": "Sytuacja pod kontrolą #granica", "source_lang": "pl"})
    assert tweet.json()["summary"] == "[en] Sytuacja pod kontrolą #granica"  # a last line is not a heading


class CappingEcho(EchoTranslator):
    """Echo, but an output stops at its length cap when the input says GARBLED."""

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        return [Translation(t.text, capped="GARBLED" in t.text) for t in super().translate_batch(texts, source, target)]


ARTICLE = ("Border guards stopped a group at the border near Kuźnica on Friday. "
           "The border guards said the group at the border near Kuźnica was stopped GARBLED. "
           "The weather was cold. "
           "Officials at the border near Kuźnica said the guards stopped the group on Friday.")


def test_flagged_sentences_only_when_there_is_no_choice(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", cache_enabled=False)
    engines = build_engines(settings, backend=CappingEcho(), coalesce=False)
    pipeline = engines.pipeline
    result = pipeline.translate(Document(ARTICLE, "pl", "en"))
    assert [s.capped for s in result.sentences] == [False, True, False, False]
    # the echo repeats its "Polish" input: every sentence is rightly flagged untranslated; this test
    # is about the one capped sentence among otherwise unflagged ones
    assert all("untranslated" in s.flags for s in result.sentences)
    for s in result.sentences:
        s.flags = [f for f in s.flags if f != "untranslated"]
    unflagged = build_engines(settings, backend=EchoTranslator(), coalesce=False).pipeline
    baseline = unflagged.summarize(unflagged.translate(Document(ARTICLE, "pl", "en")), max_sentences=2)
    assert [x.sources for x in baseline.sentences] == [[0], [1]]  # unflagged, the central one would be picked
    two = pipeline.summarize(result, max_sentences=2)
    assert [x.sources for x in two.sentences] == [[0], [3]] and "GARBLED" not in two.summary
    four = pipeline.summarize(result, max_sentences=4)  # no choice left: it fills the length
    assert [x.sources for x in four.sentences] == [[0], [1], [2], [3]]
    # any quality flag counts (SentenceOut.flags), not only the cap
    for s in result.sentences:
        s.capped = False
        s.flags = [f for f in s.flags if f != "capped"]  # the flag says the same (SentenceOut.flags)
    result.sentences[3].flags = ["low_confidence"]
    flagged = pipeline.summarize(result, max_sentences=2)
    assert [3] not in [x.sources for x in flagged.sentences]
    result.sentences[3].flags = ["markup_placement_uncertain"]  # the markup's, not the words': no matter
    assert [x.sources for x in pipeline.summarize(result, max_sentences=2).sentences] == [[0], [1]]
