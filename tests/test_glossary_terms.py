"""Finding glossary terms in a text: exact matches, inflected forms (Polish: Morfeusz 2;
Lithuanian: simplemma and the declension endings), overlaps, boundaries, protected spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.glossary_formats import content_hash
from translators.text.protect import protected_ranges
from translators.text.terms import Entry, TermDictionary, TermMatcher

GOLD = Path(__file__).parent / "fixtures" / "glossary" / "inflections.tsv"


def gold() -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, term, target, forms = line.split("\t")
            rows.append((lang, term, target, forms.split("|")))
    return rows


@pytest.mark.parametrize("lang", ["pl", "lt"])
def test_every_inflected_form_of_the_gold_terms_matches_its_entry(lang: str) -> None:
    rows = [r for r in gold() if r[0] == lang]
    assert len(rows) >= 25
    matcher = TermMatcher([Entry(term, target) for _, term, target, _ in rows], lang)
    misses = []
    for _, term, _, forms in rows:
        assert forms
        for form in forms:
            text = f"Wczoraj {form} ogłosił(a), że nic się nie zmieni."
            found = [(text[m.start:m.end], m.entry.source, m.how) for m in matcher.find(text)]
            if (form, term, "lemma") not in found:
                misses.append((form, term, found))
    assert misses == []


def test_straz_graniczna_in_three_cases_and_the_longest_entry_wins() -> None:
    m = TermMatcher([Entry("Straż Graniczna", "Border Guard"), Entry("straż", "guard")], "pl")
    text = "Funkcjonariusze Straży Granicznej rozmawiali ze Strażą Graniczną o Straż Graniczną."
    found = m.find(text)
    assert [(text[x.start:x.end], x.entry.target) for x in found] == [
        ("Straży Granicznej", "Border Guard"), ("Strażą Graniczną", "Border Guard"),
        ("Straż Graniczną", "Border Guard")]
    assert all(x.how == "lemma" for x in found)


def test_exact_match_wins_a_tie_and_is_case_sensitive() -> None:
    m = TermMatcher([Entry("MSWiA", "the Interior Ministry"), Entry("Sejm", "Sejm")], "pl")
    text = "MSWiA i Sejm; mswia nie."
    found = m.find(text)
    assert [(text[x.start:x.end], x.how) for x in found] == [("MSWiA", "exact"), ("Sejm", "exact")]


def test_a_capitalised_term_does_not_match_a_lowercase_word() -> None:
    """"Tom" (a name) must not match "tomie" (the locative of "tom", a volume)."""
    m = TermMatcher([Entry("Tom", "Tom")], "pl")
    assert m.find("W drugim tomie nie ma nic o tym.") == []
    (hit,) = m.find("Rozmawiałem z Tomem.")
    assert hit.how == "lemma"


def test_word_boundaries_and_separators() -> None:
    m = TermMatcher([Entry("Seimas", "Seimas"), Entry("Europos Sąjunga", "European Union")], "lt")
    assert m.find("Seimasas nėra žodis.") == []  # not inside a longer word
    text = "Seime ir Europos\nSąjungoje; Europos-Sąjungos ne."
    assert [text[x.start:x.end] for x in m.find(text)] == ["Seime", "Europos\nSąjungoje"]


def test_nothing_is_matched_inside_protected_spans() -> None:
    m = TermMatcher([Entry("granica", "border")], "pl")
    text = "Zobacz https://example.org/granica oraz #granica i samą granicę."
    found = m.find(text, protected_ranges(text))
    assert [text[x.start:x.end] for x in found] == ["granicę"]


def test_english_source_terms_match_plurals() -> None:
    m = TermMatcher([Entry("Border Guard", "Straż Graniczna")], "en")
    text = "The Border Guards said the Border Guard's post was closed."
    assert [text[x.start:x.end] for x in m.find(text)] == ["Border Guards", "Border Guard"]


def test_compiled_matchers_are_shared_by_content() -> None:
    entries = (Entry("Sejm", "Sejm"),)
    a = TermDictionary("pl", "en", entries, content_hash("pl", "en", entries))
    b = TermDictionary("pl", "en", entries, content_hash("pl", "en", entries))
    assert a.matcher() is b.matcher()
    changed = (Entry("Sejm", "the Sejm"),)
    assert TermDictionary("pl", "en", changed, content_hash("pl", "en", changed)).matcher() is not a.matcher()
