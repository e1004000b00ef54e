"""End to end with a random-weight Marian model: whatever the model emits, protected spans
(URLs, handles, hashtags, e-mails, emoji) come out byte-for-byte, every number of the source is
in the translation or named in its sentence's warnings, and spans slice."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engines import build_engines
from service.pipeline.flow import Document, Pipeline
from service.settings import Settings
from service.views import to_model
from translators.cached import MemoryStore
from translators.marian import DecodeOptions, MarianTranslator
from translators.text.numbers import find_numbers
from translators.text.protect import find_protected

WORDS = ["Premier", "zwołał", "posiedzenie", "rządu", "w", "sprawie", "granicy", "Straż", "Graniczna",
         "zatrzymała", "osoby", "ministra", "powiedziała", "że", "sytuacja", "jest", "pod", "kontrolą"]
PROTECTED = ["https://www.gov.pl/web/mswia", "pic.twitter.com/Qx7LmP2kAa", "@MSWiA_GOV_PL", "#granica",
             "#bezpieczeństwo", "rzecznik@sg.gov.pl", "🇵🇱", "👨‍👩‍👧", "👍🏽", "⚠️", "1️⃣", "23", "1,5", "12:30", "2021",
             "www.example.org/a?b=1"]
PUNCT = [".", ",", "!", "?", ":", " –", "„", "”", "“", "«", "»", "\n", "\n\n"]

token = st.one_of(st.sampled_from(WORDS), st.sampled_from(PROTECTED), st.sampled_from(PUNCT),
                  st.text(alphabet="ąćęłńóśźżĄĆĘŁŃÓŚŹŻ\u0301\U0001F600\u200d", min_size=1, max_size=3))
texts = st.lists(token, min_size=1, max_size=25).map(" ".join)


@pytest.fixture(scope="module")
def pipeline(model_dir: Path) -> Pipeline:
    backend = MarianTranslator(model_dir, options=DecodeOptions(max_input_tokens=48))
    engines = build_engines(Settings(model_dir=model_dir), backend=backend, store=MemoryStore(), coalesce=False)
    return engines.pipeline


def _count(text: str, kind: str | None = None) -> Counter[str]:
    return Counter(p.text for p in find_protected(text) if (p.kind == "number") == (kind == "number"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_protected_spans_survive_a_random_model(pipeline: Pipeline, text: str) -> None:
    if not text.strip():
        return
    result = pipeline.translate(Document(text, source_lang="pl", target_lang="en"))
    out = result.translation_text
    for protected, n in _count(text).items():
        assert out.count(protected) >= n, (protected, out)
    warned = " ".join(w for s in result.sentences for w in s.warnings)
    values = {n.value for lang in ("en", "pl") for n in find_numbers(out, lang)}
    for number in _count(text, "number"):  # numbers reach the model: kept (any notation), or warned
        for part in find_numbers(number, "pl"):
            assert part.value in values or repr(part.text) in warned, (number, out, warned)
    for s in result.sentences:
        assert text[s.source.start:s.source.end] == s.source.text
        assert out[s.target.start:s.target.end] == s.target.text
    for q in result.quotes:
        assert text[q.source.start:q.source.end] == q.source.text
        if q.target is not None:
            assert out[q.target.start:q.target.end] == q.target.text
    # the same spans in UTF-16 code units slice the same text, as JavaScript would
    js = to_model(result, "utf16")
    src16, out16 = text.encode("utf-16-le"), out.encode("utf-16-le")
    for s16 in js.sentences:
        assert src16[2 * s16.source.start:2 * s16.source.end].decode("utf-16-le") == s16.source.text
        assert out16[2 * s16.target.start:2 * s16.target.end].decode("utf-16-le") == s16.target.text
    for q16 in js.quotes:
        assert src16[2 * q16.source.start:2 * q16.source.end].decode("utf-16-le") == q16.source.text
        if q16.target is not None:
            assert out16[2 * q16.target.start:2 * q16.target.end].decode("utf-16-le") == q16.target.text


def test_long_sentence_is_split_not_truncated(pipeline: Pipeline) -> None:
    words = " ".join(WORDS * 6) + " 2021 #granica."
    result = pipeline.translate(Document(words, source_lang="pl", target_lang="en"))
    assert result.sentences[0].pieces > 1
    assert any("input limit" in w for w in result.warnings)
    assert "2021" in result.translation_text and "#granica" in result.translation_text
