"""Pipeline behaviour with the Echo double (the model is not the subject here: alignment is).

EchoTranslator returns "[<target>] <input>", so what was translated, and where it landed, is
visible in the output."""

from __future__ import annotations

import pytest

from service.engines import build_engines
from service.errors import EmptyText, TextTooLarge, UnsupportedLanguage
from service.pipeline.flow import Document, Pipeline
from service.settings import Settings
from translators.cached import MemoryStore
from translators.testing import EchoTranslator


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_engines(Settings(max_chars=5000), backend=EchoTranslator(), store=MemoryStore(),
                         coalesce=False).pipeline


def test_polish_quote_in_english_sentence_is_translated_alone(pipeline: Pipeline) -> None:
    text = "Minister said: „Nie ustąpimy” and left the room. #Poland @MSWiA_GOV_PL https://example.org/a?b=1"
    r = pipeline.translate(Document(text))
    assert r.source_lang == "en"
    assert r.translation_text == ("Minister said: „[en] Nie ustąpimy” and left the room. "
                                  "#Poland @MSWiA_GOV_PL https://example.org/a?b=1")
    (q,) = r.quotes
    assert q.lang == "pl" and q.source.text == "Nie ustąpimy" and q.target.text == "[en] Nie ustąpimy"
    assert q.speaker == "Minister"


def test_quote_over_two_sentences_aligns_to_its_own_words(pipeline: Pipeline) -> None:
    text = "Rzecznik powiedział: „Pierwsze zdanie jest tu. Drugie zdanie też”. Potem wyszedł."
    r = pipeline.translate(Document(text))
    (q,) = r.quotes
    assert q.source.text == "Pierwsze zdanie jest tu. Drugie zdanie też"
    assert q.target.text == "[en] Pierwsze zdanie jest tu. [en] Drugie zdanie też"
    assert q.sentences == [0, 1]


def test_tweet_signature_is_kept_and_body_translated(pipeline: Pipeline) -> None:
    text = "Nikt nie został ranny. Sytuacja jest pod kontrolą.\n— Straż Graniczna (@Straz_Graniczna) 12 listopada 2021"
    r = pipeline.translate(Document(text))
    (tweet,) = [q for q in r.quotes if q.kind == "tweet"]
    assert tweet.handle == "@Straz_Graniczna" and tweet.author == "Straż Graniczna"
    assert r.translation_text.endswith("\n— Straż Graniczna (@Straz_Graniczna) 12 listopada 2021")
    assert tweet.target.text == "[en] Nikt nie został ranny. [en] Sytuacja jest pod kontrolą."


def test_foreign_sentence_in_mixed_text_is_kept_and_marked_other(pipeline: Pipeline) -> None:
    german = "Die Bundesregierung beobachtet die Lage an der Grenze mit großer Sorge."
    r = pipeline.translate(Document(f"Premier zwołał nadzwyczajne posiedzenie rządu. {german}"))
    assert r.sentences[1].lang == "other" and not r.sentences[1].translated
    assert r.translation_text.endswith(german)


def test_text_already_in_target_language_is_not_sent_to_the_model(pipeline: Pipeline) -> None:
    r = pipeline.translate(Document("The European Commission called for a coordinated response.", target_lang="en"))
    assert r.translation_text == "The European Commission called for a coordinated response."
    assert r.cache_hits == r.cache_misses == 0 and r.models == {}


def test_bad_documents_fail_alone(pipeline: Pipeline) -> None:
    results = pipeline.translate_documents([
        Document(""), Document("x" * 6000), Document("Die Regierung beobachtet die Lage an der Grenze mit Sorge."),
        Document("Premier zwołał posiedzenie rządu.")])
    assert isinstance(results[0], EmptyText)
    assert isinstance(results[1], TextTooLarge)
    assert isinstance(results[2], UnsupportedLanguage)
    assert results[3].translation_text == "[en] Premier zwołał posiedzenie rządu."


def test_only_protected_text_is_returned_as_is(pipeline: Pipeline) -> None:
    r = pipeline.translate(Document("🇵🇱 https://example.org #granica"))
    assert r.translation_text == "🇵🇱 https://example.org #granica"
    assert r.source_lang in ("pl", "und")
