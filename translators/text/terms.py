"""Glossaries as the pipeline sees them, and finding their terms in a text.

A :class:`Glossary` holds one :class:`TermDictionary` per language pair (DeepL's "dictionaries";
a v2 / native glossary has one). An entry whose target equals its source is a do-not-translate
entry. ``TermDictionary.matcher()`` compiles the dictionary once per content (cached by its
content hash) into a :class:`TermMatcher`, which finds the terms in a text:

1. exact surface matches of the entry's source (case-sensitive, on word boundaries);
2. then matches on word forms (``translators.text.word_forms``): every word of the term in one of
   its inflected forms ("Straży Granicznej" for "Straż Graniczna"), the words separated as in the
   term (whitespace for whitespace). A capitalised glossary word only matches a capitalised word.

Overlapping candidates: the longest wins; of two equally long, an exact match wins; then the
leftmost. Nothing is matched inside a ``blocked`` range (protected spans, carved quotes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import regex

from translators.text.word_forms import WordForms, word_forms

__all__ = ["Entry", "Glossary", "TermDictionary", "TermMatch", "TermMatcher", "tokens"]

_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_WORD_CHAR = regex.compile(r"[\p{L}\p{M}\p{N}]")


@dataclass(frozen=True, slots=True)
class Entry:
    source: str
    target: str

    @property
    def keep(self) -> bool:
        """A do-not-translate entry: its target is its source."""
        return self.source == self.target


@dataclass(frozen=True, slots=True)
class TermMatch:
    start: int
    end: int  # half-open, into the text searched
    entry: Entry
    how: Literal["exact", "lemma"]


@dataclass(frozen=True)
class TermDictionary:
    """The entries of one language pair of a glossary."""

    source_lang: str
    target_lang: str
    entries: tuple[Entry, ...]
    content_hash: str  # sha256 of the pair and the entries (``service.storage.glossary_store``)

    def matcher(self) -> TermMatcher:
        return _compiled(self)


@dataclass(frozen=True)
class Glossary:
    """A glossary resolved for use: its id and name and its dictionaries."""

    id: str
    name: str
    owner: str | None
    dictionaries: tuple[TermDictionary, ...] = field(default=())

    def dictionary(self, source: str, target: str) -> TermDictionary | None:
        return next((d for d in self.dictionaries if d.source_lang == source and d.target_lang == target), None)

    def targets(self) -> set[str]:
        return {d.target_lang for d in self.dictionaries}


def tokens(text: str) -> list[tuple[int, int]]:
    """Word spans of ``text`` (letters, marks, digits)."""
    return [m.span() for m in _WORD.finditer(text)]


@dataclass(frozen=True)
class _Pattern:
    entry: Entry
    words: tuple[str, ...]
    gaps: tuple[str, ...]  # the text between consecutive words of the term
    forms: tuple[frozenset[str], ...]
    keys: tuple[frozenset[str], ...]
    capitalised: tuple[bool, ...]


class TermMatcher:
    def __init__(self, entries: Sequence[Entry], lang: str) -> None:
        self.entries = tuple(entries)
        self.lang = lang
        self.engine: WordForms | None = word_forms(lang)
        by_length = sorted(range(len(self.entries)), key=lambda i: -len(self.entries[i].source))
        self._exact = None
        if self.entries:
            alternatives = "|".join(regex.escape(self.entries[i].source) for i in by_length)
            self._exact = regex.compile(f"(?:{alternatives})")
        self._by_source = {e.source: e for e in self.entries}
        self._patterns: list[_Pattern] = []
        self._first_forms: dict[str, list[int]] = {}
        self._first_keys: dict[str, list[int]] = {}
        if self.engine is not None:
            for entry in self.entries:
                self._add_pattern(entry)

    def _add_pattern(self, entry: Entry) -> None:
        assert self.engine is not None
        spans = tokens(entry.source)
        if not spans or spans[0][0] != 0 or spans[-1][1] != len(entry.source):
            return  # a term starting or ending with punctuation matches exactly only
        words = tuple(entry.source[a:b] for a, b in spans)
        gaps = tuple(entry.source[spans[i][1]:spans[i + 1][0]] for i in range(len(spans) - 1))
        pattern = _Pattern(entry, words, gaps, tuple(self.engine.forms(w) for w in words),
                           tuple(self.engine.keys(w) for w in words), tuple(w[:1].isupper() for w in words))
        index = len(self._patterns)
        self._patterns.append(pattern)
        for form in pattern.forms[0]:
            self._first_forms.setdefault(form, []).append(index)
        for key in pattern.keys[0]:
            self._first_keys.setdefault(key, []).append(index)

    # -- finding ----------------------------------------------------------------------------------
    def find(self, text: str, blocked: Sequence[tuple[int, int]] = ()) -> list[TermMatch]:
        """Non-overlapping matches in ``text``, in text order, none touching a ``blocked`` range."""
        if not self.entries:
            return []
        candidates = self._exact_matches(text) + self._lemma_matches(text)
        candidates.sort(key=lambda m: (-(m.end - m.start), m.how != "exact", m.start))
        taken: list[tuple[int, int]] = sorted(blocked)
        chosen: list[TermMatch] = []
        for m in candidates:
            if any(a < m.end and m.start < b for a, b in taken):
                continue
            chosen.append(m)
            taken.append((m.start, m.end))
        return sorted(chosen, key=lambda m: m.start)

    def _exact_matches(self, text: str) -> list[TermMatch]:
        assert self._exact is not None
        out: list[TermMatch] = []
        for m in self._exact.finditer(text, overlapped=True):
            start, end = m.span()
            source = m.group()
            if _WORD_CHAR.match(source[:1] or " ") and start > 0 and _WORD_CHAR.match(text[start - 1]):
                continue
            if _WORD_CHAR.match(source[-1:] or " ") and end < len(text) and _WORD_CHAR.match(text[end]):
                continue
            out.append(TermMatch(start, end, self._by_source[source], "exact"))
        return out

    def _lemma_matches(self, text: str) -> list[TermMatch]:
        if not self._patterns:
            return []
        assert self.engine is not None
        spans = tokens(text)
        words = [text[a:b] for a, b in spans]
        out: list[TermMatch] = []
        with_keys = bool(self._first_keys)
        for i, word in enumerate(words):
            low = word.lower()
            found = set(self._first_forms.get(low, ()))
            if with_keys:
                for key in self.engine.keys(word):
                    found.update(self._first_keys.get(key, ()))
            for index in found:
                pattern = self._patterns[index]
                n = len(pattern.words)
                if i + n > len(words) or not self._fits(pattern, text, spans, words, i):
                    continue
                out.append(TermMatch(spans[i][0], spans[i + n - 1][1], pattern.entry, "lemma"))
        return out

    def _fits(self, pattern: _Pattern, text: str, spans: list[tuple[int, int]], words: list[str], i: int) -> bool:
        assert self.engine is not None
        for k, word in enumerate(pattern.words):
            got = words[i + k]
            if pattern.capitalised[k] and not got[:1].isupper():
                return False
            if k:
                gap = text[spans[i + k - 1][1]:spans[i + k][0]]
                want = pattern.gaps[k - 1]
                if want.isspace():  # whitespace for whitespace, any amount
                    if not gap.isspace():
                        return False
                elif gap != want:
                    return False
            if got.lower() in pattern.forms[k] or got == word:
                continue
            if pattern.keys[k] and self.engine.keys(got) & pattern.keys[k]:
                continue
            return False
        return True


# Compiled matchers, by content hash (a glossary in use is compiled once per process and content).
_CACHE: OrderedDict[tuple[str, str], TermMatcher] = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _compiled(d: TermDictionary) -> TermMatcher:
    key = (d.content_hash, d.source_lang)
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    matcher = TermMatcher(d.entries, d.source_lang)
    with _CACHE_LOCK:
        _CACHE[key] = matcher
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return matcher
