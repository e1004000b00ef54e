"""``CachedTranslation``-style composition: a translator that consults a store first.

Argos-translate composes caching around an engine instead of adding a flag to it; so do we.
The store is an optimisation, never a point of failure: when it errors, segments are
translated uncached and the failure is logged and remembered for ``/readyz``.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Protocol

import regex

from translators.base import EngineInfo, Health, Lang, ModelIdentity, Translation, Translator, WordLink

log = logging.getLogger(__name__)

_WS = regex.compile(r"\s+")


def normalize_segment(text: str) -> str:
    """The form a segment is cached under: NFC, whitespace collapsed, stripped."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def cache_key(text: str, source: str, target: str, identity: ModelIdentity, scope: str = "") -> str:
    """Hash of (normalized segment, source, target, model identity incl. decoding options) and,
    for a segment translated with a glossary, the glossary's content hash (``scope``)."""
    parts = (normalize_segment(text), source, target, identity.key()) + ((f"glossary:{scope}",) if scope else ())
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


_SCOPE: ContextVar[str] = ContextVar("newsbridge_cache_scope", default="")


@contextmanager
def cache_scope(scope: str) -> Iterator[None]:
    """Translations made inside are cached under ``scope`` too (a glossary's content hash: the
    pipeline translates the segments a glossary touched inside the scope of its content). A
    context variable rather than a ``translate_batch`` argument: only the cache reads it, and it
    runs in the caller's thread (the layers below it, e.g. coalescing, never see it)."""
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    key: str
    source: str
    target: str
    model: str  # ModelIdentity.key()
    text: str
    pieces: int = 1
    capped: bool = False  # stopped at the output cap / repetition-guarded (said again on every hit)
    score: float | None = None  # the confidence it was made with (None: cached before scores were kept)
    alignment: tuple[WordLink, ...] | None = None  # word links, when a request asked for them


class TranslationStore(Protocol):
    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        """Entries found for ``keys`` (missing keys are absent); marks them used."""
        ...

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        """Idempotent upsert, safe under concurrent writers. An entry already there keeps its
        text and values; only a ``score`` or ``alignment`` it lacks is filled in, and only from
        an entry with the same text."""
        ...

    def ping(self) -> bool:
        """True when the store answers (one bounded round trip)."""
        ...

    def health(self) -> Health:
        """``ok``, or ``degraded`` with why (failing, or skipped by its circuit breaker)."""
        ...


class MemoryStore:
    """A dict-backed store: the test double shipped beside the SQL one."""

    def __init__(self) -> None:
        self.entries: dict[str, CacheEntry] = {}

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        return {k: self.entries[k] for k in keys if k in self.entries}

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        for e in entries:
            old = self.entries.setdefault(e.key, e)
            if old is not e and old.text == e.text:
                self.entries[e.key] = replace(old, score=old.score if old.score is not None else e.score,
                                              alignment=old.alignment if old.alignment is not None else e.alignment)

    def ping(self) -> bool:
        return True

    def health(self) -> Health:
        return Health()


class CachedTranslator:
    """Wraps any ``Translator``; a hit never reaches the inner translator."""

    def __init__(self, inner: Translator, store: TranslationStore) -> None:
        self.inner = inner
        self.store = store
        self.last_error: str | None = None

    def supports(self, source: Lang, target: Lang) -> bool:
        return self.inner.supports(source, target)

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return self.inner.identity(source, target)

    def health(self) -> Health:
        """The store's own health, or the last failure seen through this translator."""
        store = self.store.health()
        if not store.ok:
            return store
        if self.last_error:
            return Health("degraded", self.last_error)
        return store

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        legs = (self.identity(source, target),) if source is not None and target is not None else ()
        return EngineInfo("cached", self.inner.describe(), legs, health=self.health())

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        """A hit keeps the score it was made with. Asked for ``alignment``, a hit stored without
        word links is translated again (with them) and the links are added to the entry."""
        if not texts:
            return []
        identity = self.inner.identity(source, target)
        scope = _SCOPE.get()
        keys = [cache_key(t, source, target, identity, scope) for t in texts]
        readable = True
        try:
            found = self.store.get_many(list(dict.fromkeys(keys)))
            self.last_error = None
        except Exception as exc:  # the cache must never fail a request
            self._degrade("read", exc)
            found, readable = {}, False
        stale: dict[str, CacheEntry] = {}
        if alignment:
            stale = {k: e for k, e in found.items() if e.alignment is None}
            found = {k: e for k, e in found.items() if e.alignment is not None}
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        fresh: dict[str, Translation] = {}
        if missing:
            outs = self.inner.translate_batch(list(missing.values()), source, target, alignment=alignment)
            fresh = dict(zip(missing.keys(), outs, strict=True))
            entries = [CacheEntry(k, source, target, identity.key(), t.text, t.pieces, t.capped, t.score, t.alignment)
                       for k, t in fresh.items()]
            try:
                if readable:  # a store that just failed to read is not made to wait on a write
                    self.store.put_many(entries)
            except Exception as exc:
                self._degrade("write", exc)
        result: list[Translation] = []
        for key in keys:
            if key in found:
                e = found[key]
                result.append(Translation(e.text, e.pieces, cached=True, capped=e.capped, score=e.score,
                                          alignment=e.alignment if alignment else None))
            else:
                t, old = fresh[key], stale.get(key)
                if old is not None and old.text == t.text and old.score is not None:
                    t = replace(t, score=old.score)  # the confidence the entry was made with
                result.append(t)
        return result

    def _degrade(self, op: str, exc: Exception) -> None:
        self.last_error = f"cache {op} failed: {type(exc).__name__}: {exc}"
        log.warning("cache unavailable, translating uncached", extra={"op": op, "error": str(exc)})
