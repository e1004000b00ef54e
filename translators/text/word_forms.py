"""Word forms for glossary matching: the inflected forms a glossary term's words take.

Polish and Lithuanian inflect ("Straż Graniczna": "Straży Granicznej", "Strażą Graniczną";
"Seimas": "Seimo", "Seime"), so a glossary entry written in the base form must also match the
forms of its words. The work is done on the glossary's side, once per glossary (its words are few
and known in advance): every word of a term is expanded into the forms it can take, and a text is
then matched by looking its words up, lower-cased, in those forms. What expands a word:

- Polish: Morfeusz 2 with its SGJP dictionary (``morfeusz2``): ``analyse`` gives the word's
  lemmas, ``generate`` every form of each lemma. Measured on 144 inflected forms of glossary-like
  terms (``tests/fixtures/glossary/inflections.tsv``) it matched all of them; simplemma matched
  133 and needs 11.6 s to load its Polish dictionary (Morfeusz: 0.3 s). See docs/engines.md.
- Lithuanian: Morfeusz has no Lithuanian and nothing installable here generates Lithuanian forms,
  so a text word is lemmatized with simplemma's dictionary, without its guessing rules (``keys``),
  and, besides, the term's
  words are expanded by the regular noun and adjective endings of their declension (``forms``),
  which covers the forms the dictionary lacks (``Kaunu``, ``katės``): 116 of 116 forms matched.
- English (a source for en->pl / en->lt glossaries): the plural endings.

Every result is cached: expansion per term word, lemmatization per text word.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

__all__ = ["WordForms", "word_forms"]


class WordForms(Protocol):
    lang: str

    def forms(self, word: str) -> frozenset[str]:
        """Lower-cased forms a glossary word takes (itself included)."""
        ...

    def keys(self, word: str) -> frozenset[str]:
        """Lemma keys of a word (of the text or of a glossary term); empty where the language
        matches on ``forms`` alone. A text word whose keys meet a term word's keys matches it."""
        ...


class PolishForms:
    """Morfeusz 2: the forms of every lemma of the word (both readings of ``Straży``, ...)."""

    lang = "pl"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._morfeusz: object | None = None

    def _engine(self) -> object:
        if self._morfeusz is None:
            import morfeusz2

            self._morfeusz = morfeusz2.Morfeusz(expand_tags=True, generate=True)
        return self._morfeusz

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per process (``word_forms``)
    def forms(self, word: str) -> frozenset[str]:
        out = {word.lower()}
        with self._lock:
            engine = self._engine()
            readings = [interp[2] for w in dict.fromkeys((word, word.lower()))
                        for interp in engine.analyse(w)]  # type: ignore[attr-defined]
            for lemma in _lemmas(readings):
                try:
                    generated = engine.generate(lemma)  # type: ignore[attr-defined]
                except RuntimeError:  # a lemma the generator does not know (an unknown word)
                    continue
                out |= {g[0].lower() for g in generated if not g[2].startswith("brev")}  # not "t" for "tom"
        return frozenset(out)

    def keys(self, word: str) -> frozenset[str]:
        return frozenset()


# Morfeusz tags of the words a glossary term is made of: nouns, adjectives, participles, gerunds,
# abbreviations (not "być" for "Tom", which Morfeusz also reads as a clitic of "być").
_NOMINAL = frozenset({"subst", "depr", "adj", "adja", "adjp", "adjc", "ppas", "pact", "ger", "brev"})


def _lemmas(readings: list[tuple]) -> set[str]:
    """The lemmas of a glossary word: of its nominal readings in the nominative (a term is written
    in its base form), else of its nominal readings, else of all."""
    nominal = [r for r in readings if r[2].split(":")[0] in _NOMINAL]
    nominative = [r for r in nominal if "nom" in r[2].split(":")[2:4] or ":nom" in r[2]]
    chosen = nominative or nominal or readings
    return {r[1] for r in chosen}


# Lithuanian declensions: nominative ending -> the endings of the other cases (singular and
# plural), nouns and the adjectives that agree with them.
_LT_ENDINGS: dict[str, tuple[str, ...]] = {
    "ias": ("ias", "io", "iui", "ią", "iu", "yje", "iame", "iam", "iai", "ių", "iams", "ius", "iais", "iuose"),
    "as": ("as", "o", "ui", "ą", "u", "e", "ame", "am", "ai", "ų", "ams", "us", "ais", "uose", "ajam", "ąjį",
           "uoju", "ajame", "ojo"),
    "ys": ("ys", "io", "iui", "į", "iu", "yje", "iai", "ių", "iams", "ius", "iais", "iuose"),
    "is": ("is", "io", "iui", "į", "iu", "yje", "iam", "iame", "ies", "iai", "imi", "ių", "iams", "ius", "iais",
           "iuose", "ys", "ims", "imis", "yse"),
    "ius": ("ius", "iaus", "iui", "ių", "iumi", "iuje", "iai", "iams", "ius", "iais", "iuose"),
    "us": ("us", "aus", "ui", "ų", "umi", "uje", "ūs", "ums", "umis", "uose"),
    "uo": ("uo", "ens", "eniui", "enį", "eniu", "enyje", "enys", "enų", "enims", "enis", "enimis", "enyse",
           "uns", "uniui", "unį", "unimi", "unyje", "unys", "unų", "unims", "unis", "unimis", "unyse"),
    "ia": ("ia", "ios", "iai", "ią", "ioje", "ių", "ioms", "ias", "iomis", "iose"),
    "a": ("a", "os", "ai", "ą", "oje", "ų", "oms", "as", "omis", "ose", "ajai", "ąją", "ąja", "ojoje", "osios"),
    "ė": ("ė", "ės", "ei", "ę", "e", "ėje", "ių", "ėms", "es", "ėmis", "ėse"),
    "i": ("i", "ios", "iai", "ią", "ia", "ioje", "ių", "ioms", "ias", "iomis", "iose"),
}
_LT_NOMINATIVES = sorted(_LT_ENDINGS, key=len, reverse=True)
_MIN_STEM = 2


class LithuanianForms:
    """simplemma's Lithuanian dictionary for lemmas, the regular endings for the forms."""

    lang = "lt"

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per process (``word_forms``)
    def forms(self, word: str) -> frozenset[str]:
        low = word.lower()
        out = {low}
        for nominative in _LT_NOMINATIVES:
            if low.endswith(nominative) and len(low) - len(nominative) >= _MIN_STEM:
                stem = low[: len(low) - len(nominative)]
                out |= {stem + ending for ending in _LT_ENDINGS[nominative]}
                break
        return frozenset(out)

    def __init__(self) -> None:
        self._lemmatizer: object | None = None

    @lru_cache(maxsize=262144)  # noqa: B019
    def keys(self, word: str) -> frozenset[str]:
        """The word and its dictionary lemmas (simplemma's dictionary only: its guessing rules
        lemmatize unknown words too eagerly, "Seimasas" -> "seimas")."""
        if self._lemmatizer is None:
            from simplemma import Lemmatizer
            from simplemma.strategies import DictionaryLookupStrategy

            self._lemmatizer = Lemmatizer(lemmatization_strategy=DictionaryLookupStrategy())
        lemmatize = self._lemmatizer.lemmatize  # type: ignore[attr-defined]
        low = word.lower()
        return frozenset({lemmatize(word, "lt").lower(), lemmatize(low, "lt").lower(), low})


class EnglishForms:
    """Plurals: ``Border Guard`` also matches ``Border Guards``."""

    lang = "en"

    @lru_cache(maxsize=65536)  # noqa: B019
    def forms(self, word: str) -> frozenset[str]:
        low = word.lower()
        out = {low, low + "s", low + "es"}
        if low.endswith("y") and len(low) > 2:
            out.add(low[:-1] + "ies")
        return frozenset(out)

    def keys(self, word: str) -> frozenset[str]:
        return frozenset()


_BY_LANG: dict[str, WordForms] = {}
_LOCK = threading.Lock()
_KINDS: dict[str, type] = {"pl": PolishForms, "lt": LithuanianForms, "en": EnglishForms}


def word_forms(lang: str) -> WordForms | None:
    """The (process-wide) word forms of a language; None for one without (exact matches only)."""
    with _LOCK:
        found = _BY_LANG.get(lang)
        if found is None and lang in _KINDS:
            found = _BY_LANG[lang] = _KINDS[lang]()
        return found


def describe() -> str:
    """Which engines and versions expand words (part of a compiled glossary's identity)."""
    from importlib.metadata import PackageNotFoundError, version

    parts: list[str] = []
    for name in ("morfeusz2", "simplemma"):
        try:
            parts.append(f"{name}=={version(name)}")
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            parts.append(f"{name}: missing")
    return ", ".join(parts)


def warm(langs: Iterable[str]) -> None:
    """Load the engines of ``langs`` now (the first glossary use otherwise pays for it)."""
    for lang in langs:
        engine = word_forms(lang)
        if engine is not None:
            engine.forms("test")
            engine.keys("test")
