"""Glossaries applied by the pipeline: with random-weight Marian models (whatever they emit, each
term comes back once per occurrence, spans slice), with doubles that drop or keep placeholders
(the checks say so), and with the SQL cache (a glossary's content is part of the key)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.engines import build_engines
from service.errors import GlossaryPairMismatch
from service.glossary_formats import content_hash
from service.pipeline.flow import Document, Pipeline
from service.settings import Settings
from service.storage.cache_store import SqlTranslationStore
from service.storage.db import ensure_schema
from service.views import to_model
from tests.conftest import corpus
from translators.base import Lang, Translation
from translators.cached import MemoryStore
from translators.marian import DecodeOptions, MarianTranslator
from translators.testing import EchoTranslator
from translators.text.protect import PLACEHOLDER_RE
from translators.text.terms import Entry, Glossary, TermDictionary


def glossary(source: str, target: str, entries: dict[str, str], gid: str = "g") -> Glossary:
    es = tuple(Entry(s, t) for s, t in entries.items())
    return Glossary(gid, gid, None, (TermDictionary(source, target, es, content_hash(source, target, es)),))


DESK_PL = glossary("pl", "en", {"Straż Graniczna": "Border Guard", "MSWiA": "the Interior Ministry",
                                "Białowieża": "Białowieża"})
DESK_LT = glossary("lt", "en", {"Seimas": "Seimas", "Valstybės sienos apsaugos tarnyba": "State Border Guard Service"})


@pytest.fixture(scope="module")
def marian(model_dir: Path) -> Pipeline:
    backend = MarianTranslator(model_dir, options=DecodeOptions(max_input_tokens=48))
    return build_engines(Settings(model_dir=model_dir), backend=backend, store=MemoryStore(), coalesce=False).pipeline


def _slices(r) -> None:
    for s in r.sentences:
        for t in s.terms:
            assert r.source_text[t.source.start:t.source.end] == t.source.text
            assert r.translation_text[t.target.start:t.target.end] == t.target.text


def test_straz_graniczna_inflected_comes_out_as_border_guard_with_any_model(marian: Pipeline) -> None:
    text = ("W nocy funkcjonariusze Straży Granicznej zatrzymali 23 osoby. "
            "Minister rozmawiał ze Strażą Graniczną o sytuacji w Białowieży.")
    r = marian.translate(Document(text, "pl", "en", glossary=DESK_PL))
    assert r.translation_text.count("Border Guard") == 2
    terms = [t for s in r.sentences for t in s.terms]
    assert [(t.source.text, t.target.text, t.match) for t in terms] == [
        ("Straży Granicznej", "Border Guard", "lemma"), ("Strażą Graniczną", "Border Guard", "lemma"),
        ("Białowieży", "Białowieża", "lemma")]
    _slices(r)
    for s in r.sentences:  # a term the model dropped is never silent
        guessed = [t for t in s.terms if t.placed == "guessed"]
        assert bool(guessed) == ("glossary_term_missing" in s.flags)
    model = to_model(r, "utf16")
    assert model.sentences[0].terms[0].translation == "Border Guard"


def test_lithuanian_entry_in_three_cases(marian: Pipeline) -> None:
    text = "Seimo nariai susirinko. Seime vyko debatai. Apie Seimą kalbėjo visi."
    r = marian.translate(Document(text, "lt", "en", glossary=DESK_LT))
    terms = [t for s in r.sentences for t in s.terms]
    assert [t.source.text for t in terms] == ["Seimo", "Seime", "Seimą"]
    assert all(t.target.text == "Seimas" and t.match == "lemma" for t in terms)
    assert r.translation_text.count("Seimas") == 3
    _slices(r)


class DroppingTranslator(EchoTranslator):
    """Drops every placeholder, as a model may."""

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        return [Translation(PLACEHOLDER_RE.sub("", t.text)) for t in super().translate_batch(texts, source, target)]


def test_a_dropped_term_is_put_back_and_flagged() -> None:
    p = build_engines(Settings(), backend=DroppingTranslator(), store=MemoryStore(), coalesce=False).pipeline
    r = p.translate(Document("Funkcjonariusze Straży Granicznej zatrzymali 23 osoby.", "pl", "en", glossary=DESK_PL))
    (s,) = r.sentences
    # (the echo also earns the model-quality flag "untranslated": it copies its input)
    glossary_flags = [f for f in s.flags if f.startswith("glossary_")]
    assert "Border Guard" in s.target.text and glossary_flags == ["glossary_term_missing"]
    assert [w for w in s.warnings if w.startswith("glossary_")][-1].startswith(
        'glossary_term_missing: "Border Guard" (for "Straży Granicznej")')
    assert s.terms[0].placed == "guessed"


class DroppingAligningTranslator(EchoTranslator):
    """Drops every placeholder and links each remaining word to itself in the output."""

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        super().translate_batch(texts, source, target)
        out = []
        for t in texts:
            words = [m.span() for m in re.finditer(r"\w+|[^\w\s]", t) if not PLACEHOLDER_RE.fullmatch(m.group())]
            text, links = "", []
            for a, b in words:
                text += (" " if text else "") + t[a:b]
                links.append((a, b, len(text) - (b - a), len(text)))
            out.append(Translation(text, alignment=tuple(links) if alignment else None))
        return out


def test_a_dropped_term_in_marked_up_text_goes_where_its_neighbours_went_and_is_flagged() -> None:
    """With inline markup the engines give word links, and a dropped term is put back after the
    translation of the word before it (``aligned``), still flagged ``glossary_term_missing``."""
    p = build_engines(Settings(), backend=DroppingAligningTranslator(), store=MemoryStore(), coalesce=False).pipeline
    html = "<p>Funkcjonariusze Straży Granicznej zatrzymali <b>23</b> osoby.</p>"
    r = p.translate(Document(html, "pl", "en", format="html", glossary=DESK_PL))
    (s,) = r.sentences
    (t,) = s.terms
    assert t.placed == "aligned" and t.target.text == "Border Guard"
    assert s.target.text.startswith("Funkcjonariusze Border Guard zatrzymali"), s.target.text
    assert "glossary_term_missing" in s.flags
    assert any(w.startswith('glossary_term_missing: "Border Guard" (for "Straży Granicznej")') and "neighbours" in w
               for w in s.warnings), s.warnings


def test_a_polish_target_says_where_the_case_may_be_wrong() -> None:
    p = build_engines(Settings(), backend=EchoTranslator(), store=MemoryStore(), coalesce=False).pipeline
    g = glossary("en", "pl", {"Border Guard": "Straż Graniczna", "Frontex": "Frontex"})
    r = p.translate(Document("Officers of the Border Guards met Frontex.", "en", "pl", glossary=g))
    (s,) = r.sentences
    assert [t.target.text for t in s.terms] == ["Straż Graniczna", "Frontex"]
    # the do-not-translate name, kept verbatim, is not flagged (the echo's "untranslated" is the model's)
    assert [f for f in s.flags if f.startswith("glossary_")] == ["glossary_case_uncertain"]
    (w,) = [w for w in s.warnings if w.startswith("glossary_")]
    assert w.startswith('glossary_case_uncertain: "Straż Graniczna" (for "Border Guards")') and 'after "the"' in w


class CopyingTranslator(EchoTranslator):
    """Returns its input as it is."""

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        super().translate_batch(texts, source, target)
        return [Translation(t) for t in texts]


def test_a_term_filling_a_whole_segment_and_a_sentence_opening_with_a_term() -> None:
    p = build_engines(Settings(), backend=CopyingTranslator(), store=MemoryStore(), coalesce=False).pipeline
    g = glossary("pl", "en", {"rząd": "government", "Jabłko": "Apple"})
    assert p.translate(Document("Jabłko", "pl", "en", glossary=g)).translation_text == "Apple"
    r = p.translate(Document("Rząd zebrał się wczoraj. Wczoraj rządu nie było.", "pl", "en", glossary=g))
    assert r.translation_text == "Government zebrał się wczoraj. Wczoraj government nie było."


def test_a_glossary_without_the_pair_is_refused() -> None:
    p = build_engines(Settings(), backend=EchoTranslator(), store=MemoryStore(), coalesce=False).pipeline
    with pytest.raises(GlossaryPairMismatch, match="no lt->en entries"):
        p.translate(Document("Seimas posėdžiavo.", "lt", "en", glossary=DESK_PL))
    with pytest.raises(GlossaryPairMismatch, match="no entries into pl"):
        p.translate(Document("The Sejm met.", "auto", "pl", glossary=DESK_PL))


# ----------------------------------------------------------------------------- do-not-translate

SENTENCES = [s for s in corpus("pl") if 20 <= len(s) <= 120][:120]
NAMES = ["Białowieża", "MSWiA", "Wojciech Kowalski", "Frontex", "Seimas", "NATO"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sentence=st.sampled_from(SENTENCES), name=st.sampled_from(NAMES), data=st.data())
def test_do_not_translate_terms_come_back_verbatim_with_exact_spans(marian: Pipeline, sentence: str, name: str,
                                                                     data: st.DataObject) -> None:
    words = sentence.split(" ")
    at = data.draw(st.integers(min_value=0, max_value=len(words)))
    text = " ".join([*words[:at], name, *words[at:]])
    g = glossary("pl", "en", {n: n for n in NAMES})
    r = marian.translate(Document(text, "pl", "en", glossary=g))
    terms = [t for s in r.sentences for t in s.terms]
    assert terms, text
    hit = next(t for t in terms if t.term == name)
    assert hit.keep and hit.match == "exact" and hit.source.text == name and hit.target.text == name
    assert r.source_text[hit.source.start:hit.source.end] == name
    assert r.translation_text[hit.target.start:hit.target.end] == name
    assert r.translation_text.count(name) >= text.count(name)


# ----------------------------------------------------------------------------- the cache


def test_the_glossary_content_is_part_of_the_cache_key(tmp_path: Path) -> None:
    """Same text with another glossary, or after an entry changed: never the old translation;
    the same glossary again: a hit."""
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    ensure_schema(url)
    store = SqlTranslationStore(url)
    echo = EchoTranslator()
    p = build_engines(Settings(), backend=echo, store=store, coalesce=False).pipeline
    text = "Funkcjonariusze Straży Granicznej zatrzymali 23 osoby."
    a = glossary("pl", "en", {"Straż Graniczna": "Border Guard"}, "a")
    b = glossary("pl", "en", {"Straż Graniczna": "Border Police"}, "b")

    first = p.translate(Document(text, "pl", "en", glossary=a))
    assert (first.cache_hits, first.cache_misses) == (0, 1) and "Border Guard" in first.translation_text
    again = p.translate(Document(text, "pl", "en", glossary=a))
    assert (again.cache_hits, again.cache_misses) == (1, 0) and again.translation_text == first.translation_text

    other = p.translate(Document(text, "pl", "en", glossary=b))
    assert (other.cache_hits, other.cache_misses) == (0, 1)
    assert "Border Police" in other.translation_text and "Border Guard" not in other.translation_text

    # glossary a after an entry was added (not in this text: the model sees the same text)
    changed = glossary("pl", "en", {"Straż Graniczna": "Border Guard", "Sejm": "Sejm"}, "a")
    edited = p.translate(Document(text, "pl", "en", glossary=changed))
    assert (edited.cache_hits, edited.cache_misses) == (0, 1)

    plain = p.translate(Document(text, "pl", "en"))
    assert (plain.cache_hits, plain.cache_misses) == (0, 1)
    assert "Border Guard" not in plain.translation_text and "Straży Granicznej" in plain.translation_text
    calls = [t for _, _, texts in echo.calls for t in texts]
    assert len(calls) == 4  # a, b, a edited, no glossary: each its own model call
