"""The translation memory in SQL: approved corrections and suggestions, their history, lookups.

Tables (migration ``0005_translation_memory``):

- ``translation_memory``: one entry per (source segment, languages, scope, status): the segment
  as written and its normalized form (:func:`memory_text`, hashed for the exact lookup), the
  target, ``approved`` or ``suggested``, where it came from (editor page, API, TMX, LibreTranslate's
  ``/suggest``, CLI), who made and last changed it and when. At most one *approved* entry per
  (normalized source, languages, scope): a unique partial index says so.
- ``translation_memory_history``: every state an entry went through (created, edited, approved,
  rejected, deleted), so an edit never loses the previous target.
- ``translation_memory_keys``: the fuzzy index. Each entry is filed under up to :data:`FUZZY_KEYS`
  of its word stems and as many pairs of neighbouring stems (bottom-k sketches: those with the
  smallest hash, per language pair); a
  query looks up the buckets of its own sketch (each read newest first, at most
  :data:`BUCKET_READ` ids), ranks the ids by the buckets they share (each weighing 1/its size: a
  rare stem says more than a common one), and scores the best
  :data:`FUZZY_CANDIDATES` with rapidfuzz (Damerau-Levenshtein, 0-100, as Weblate scores its
  memory). Plain B-tree lookups on SQLite and PostgreSQL alike: measured against pg_trgm's GIN
  ``%`` and SQLite's FTS5 trigram on a million entries (docs/memory.md), both of which took
  seconds per sentence.

Exact lookups go by the hash of the normalized source; a request's scope (a desk) finds its own
entries first, then the global ones (scope ``''`` in SQL, ``None`` outside).
"""

from __future__ import annotations

import contextvars
import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal, TypeVar, get_args

import regex
from rapidfuzz.distance import DamerauLevenshtein
from sqlalchemy import BigInteger, Engine, Index, Integer, String, Text, bindparam, delete, func, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.errors import (
    EmptyText,
    InvalidRequest,
    MemoryConflict,
    MemoryEntryNotFound,
    MemoryUnavailable,
    NewsbridgeError,
    TextTooLarge,
    UnsupportedLanguage,
    check_text,
)
from service.storage.db import Base, UTCDateTime, get_engine, unit_of_work, utcnow
from translators.base import SUPPORTED_LANGS, Health
from translators.give_way import giving_way

T = TypeVar("T")

__all__ = ["FUZZY_KEYS", "GuardedMemory", "MemoryEntry", "MemoryHistoryRow", "MemoryKeyRow", "MemoryRevision",
           "MemoryRow", "Origin", "Page", "Status", "TranslationMemory", "fuzzy_keys", "memory_text", "similarity"]

Status = Literal["approved", "suggested"]
Origin = Literal["editor", "api", "tmx", "libretranslate", "cli"]
STATUSES: tuple[str, ...] = get_args(Status)
ORIGINS: tuple[str, ...] = get_args(Origin)

FUZZY_KEYS = 6  # stems, and stem pairs, an entry is filed under (twice this many keys)
BUCKET_READ = 200  # ids read per bucket (newest first): a common stem cannot flood the candidates
FUZZY_CANDIDATES = 64  # ids scored with rapidfuzz per query
_CHUNK = 400  # ids / hashes per IN (...) list
_KEYS_PER_QUERY = 120  # bucket subqueries per UNION ALL (SQLite allows 500 compound terms)
SCOPE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")

# --------------------------------------------------------------------------- normalization

_FOLD = str.maketrans({
    "„": '"', "“": '"', "”": '"', "«": '"', "»": '"', "‟": '"', "″": '"',
    "‚": "'", "‘": "'", "’": "'", "‹": "'", "›": "'", "′": "'",
    "–": "-", "—": "-", "‒": "-", "−": "-", "‐": "-", "‑": "-",
    "…": "...",
})
_WS = regex.compile(r"\s+")
_WORD = regex.compile(r"[\p{L}\p{N}]+")


def memory_text(text: str) -> str:
    """The form a segment is looked up under: NFC, typographic quotes, apostrophes and dashes
    folded to ASCII, ``…`` to ``...``, whitespace collapsed, stripped. Case, digits, URLs, handles
    and emoji are kept as they are (an entry whose numbers or URLs differ is another entry)."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text).translate(_FOLD)).strip()


def _hash(norm: str) -> str:
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def _stem(word: str) -> str:
    return word[:6]  # Polish and Lithuanian inflect at the end: "informacji" ~ "informacje"


def _key(source_lang: str, target_lang: str, feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{source_lang}>{target_lang}|{feature}".encode(), digest_size=8).digest(),
                          "big", signed=True)


def fuzzy_keys(norm: str, source_lang: str, target_lang: str, k: int = FUZZY_KEYS) -> list[int]:
    """Two bottom-k sketches of a normalized segment, per pair: the ``k`` smallest 64-bit hashes
    of its word stems (words of 4+ characters; all words when fewer than two are that long), and
    the ``k`` smallest of its stem pairs (each stem with the next one). A stem alone is shared by
    many entries at a million (a bucket read stops at :data:`BUCKET_READ`, newest first, so an old
    entry of common words fell out of it); a pair of neighbouring stems is shared by few, and a
    one-word edit changes at most two of them."""
    words = [w.lower() for w in _WORD.findall(norm)]
    long_words = [w for w in words if len(w) >= 4]
    stems = [_stem(w) for w in (long_words if len(long_words) >= 2 else words)]
    singles = sorted({_key(source_lang, target_lang, s) for s in stems})[:k]
    pairs = sorted({_key(source_lang, target_lang, f"{a} {b}") for a, b in pairwise(stems)})[:k]
    return sorted(set(singles) | set(pairs))


def similarity(a: str, b: str) -> int:
    """0-100, as Weblate scores its memory: Damerau-Levenshtein normalized similarity."""
    return int(100 * DamerauLevenshtein.normalized_similarity(a, b))


# --------------------------------------------------------------------------- tables


class MemoryRow(Base):
    __tablename__ = "translation_memory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_lang: Mapped[str] = mapped_column(String(8))
    target_lang: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(64), default="")  # "" = every desk
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    source_norm: Mapped[str] = mapped_column(Text)
    source_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of source_norm
    source_len: Mapped[int] = mapped_column(Integer)  # len(source_norm)
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_translation_memory_lookup", "source_hash", "source_lang", "target_lang"),
        Index("ix_translation_memory_list", "source_lang", "target_lang", "status", "id"),
        Index("uq_translation_memory_approved", "source_hash", "source_lang", "target_lang", "scope", unique=True,
              sqlite_where=sql_text("status = 'approved'"), postgresql_where=sql_text("status = 'approved'")),
    )


class MemoryHistoryRow(Base):
    """One state of an entry, written with every change (kept after the entry is deleted)."""

    __tablename__ = "translation_memory_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create, edit, approve, reject, delete, import
    source: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(64))
    who: Mapped[str | None] = mapped_column(String(100), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_translation_memory_history_entry", "entry_id", "id"),)


class MemoryKeyRow(Base):
    """The fuzzy index: entry ``entry_id`` is filed under the stem hash ``key``."""

    __tablename__ = "translation_memory_keys"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    __table_args__ = (Index("ix_translation_memory_keys_entry", "entry_id"),)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class MemoryEntry:
    id: int
    source_lang: str
    target_lang: str
    source: str
    target: str
    status: str
    origin: str
    scope: str | None
    created_by: str | None
    created_at: datetime
    updated_by: str | None
    updated_at: datetime
    note: str | None = None

    @property
    def who(self) -> str | None:
        """Who gave the entry its current target."""
        return self.updated_by or self.created_by


@dataclass(frozen=True, slots=True)
class MemoryRevision:
    entry_id: int
    action: str
    source: str
    target: str
    status: str
    scope: str | None
    who: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class FuzzyMatch:
    entry: MemoryEntry
    score: int


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[MemoryEntry]
    total: int


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One entry to add (an import's item): validated by :meth:`TranslationMemory.check`.
    ``status`` / ``scope``: the item's own (a TMX may mark suggestions and desks), else the import's."""

    source_lang: str
    target_lang: str
    source: str
    target: str
    note: str | None = None
    status: str | None = None
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


_CONTROL = regex.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(text: str) -> str:
    """Stripped, with C0 control characters (which XML, and so TMX, cannot carry) as spaces."""
    return _CONTROL.sub(" ", text).strip() if isinstance(text, str) else text


def _clean(item: NewEntry) -> NewEntry:
    return NewEntry(item.source_lang, item.target_lang, _clean_text(item.source), _clean_text(item.target),
                    item.note, item.status, item.scope)


_COLUMNS = (MemoryRow.id, MemoryRow.source_lang, MemoryRow.target_lang, MemoryRow.source, MemoryRow.target,
            MemoryRow.status, MemoryRow.origin, MemoryRow.scope, MemoryRow.created_by, MemoryRow.created_at,
            MemoryRow.updated_by, MemoryRow.updated_at, MemoryRow.note, MemoryRow.source_norm, MemoryRow.source_hash,
            MemoryRow.source_len)  # what the lookups read (rows, not ORM objects: they are hot paths)
# The lookups' statements, built once: building one per call cost SQLAlchemy about 1 ms a lookup
# (compiling its cache key and adapting the result columns), a third of a short request's CPU.
_BY_HASH = select(*_COLUMNS).where(MemoryRow.source_hash.in_(bindparam("keys", expanding=True)),
                                   MemoryRow.status == "approved")
_BY_ID = select(*_COLUMNS).where(MemoryRow.id.in_(bindparam("keys", expanding=True)))


def _entry(row: Any) -> MemoryEntry:
    return MemoryEntry(row.id, row.source_lang, row.target_lang, row.source, row.target, row.status, row.origin,
                       row.scope or None, row.created_by, row.created_at, row.updated_by, row.updated_at, row.note)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


_UNSET: Any = object()


# --------------------------------------------------------------------------- the store


class TranslationMemory:
    """Entries, history and lookups over one database (the service's own)."""

    def __init__(self, engine: Engine | str, *, max_chars: int = 2000,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine if isinstance(engine, Engine) else get_engine(engine)
        self.max_chars = max_chars
        self.clock = clock

    # -- validation ------------------------------------------------------------------------
    def check(self, source_lang: str, target_lang: str, source: str, target: str,
              scope: str | None = None, status: str = "approved") -> None:
        """Raise the problem with an entry before anything is written."""
        for name, lang in (("source_lang", source_lang), ("target_lang", target_lang)):
            if lang not in SUPPORTED_LANGS:
                raise UnsupportedLanguage(f"{name} {lang!r} is not supported: use {', '.join(SUPPORTED_LANGS)}")
        if source_lang == target_lang:
            raise InvalidRequest("source_lang and target_lang are the same language")
        for name, value in (("source", source), ("target", target)):
            if not isinstance(value, str) or not value.strip():
                raise EmptyText(f"{name} is empty")
            if len(value) > self.max_chars:
                raise TextTooLarge(f"{name} has {len(value)} characters; a memory entry holds at most "
                                   f"{self.max_chars} (NEWSBRIDGE_MEMORY_MAX_SEGMENT_CHARS): store sentences")
            if "\x00" in value:
                raise InvalidRequest(f"{name} holds a NUL character")
            check_text(value)
        if status not in STATUSES:
            raise InvalidRequest(f"status {status!r}: use {' or '.join(STATUSES)}")
        if scope is not None and not SCOPE_RE.fullmatch(scope):
            raise InvalidRequest("scope: 1-64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit")

    # -- writes ----------------------------------------------------------------------------
    def add(self, source_lang: str, target_lang: str, source: str, target: str, *, status: Status = "approved",
            origin: Origin = "api", who: str | None = None, scope: str | None = None,
            note: str | None = None) -> tuple[MemoryEntry, bool]:
        """Store an entry; returns it and whether it is new. An approved entry for a source that
        has one already (same languages and scope) replaces that one's target (history kept); a
        suggestion identical to a waiting one is that one."""
        item = _clean(NewEntry(source_lang, target_lang, source, target, note))
        self.check(source_lang, target_lang, item.source, item.target, scope, status)
        for attempt in range(2):
            try:
                with unit_of_work(self.engine, write=True) as s:
                    row, created = self._add(s, item, status, origin, who, scope or "", self.clock())
                    return _entry(row), created
            except IntegrityError:  # a concurrent writer approved the same source first: update it
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _add(self, s: Session, item: NewEntry, status: str, origin: str, who: str | None, scope: str,
             now: datetime) -> tuple[MemoryRow, bool | None]:
        """(row, True: created / False: updated / None: nothing changed)."""
        norm = memory_text(item.source)
        digest = _hash(norm)
        same = select(MemoryRow).where(MemoryRow.source_hash == digest, MemoryRow.source_lang == item.source_lang,
                                       MemoryRow.target_lang == item.target_lang, MemoryRow.scope == scope,
                                       MemoryRow.status == status)
        if status == "suggested":
            same = same.where(MemoryRow.target == item.target)
        existing = s.scalars(same.limit(1)).first()
        if existing is not None:
            if existing.target == item.target and existing.source == item.source:
                return existing, None
            existing.source, existing.target = item.source, item.target
            existing.updated_by, existing.updated_at = who, now
            self._log(s, existing, "edit", who, now)
            return existing, False
        row = MemoryRow(source_lang=item.source_lang, target_lang=item.target_lang, scope=scope, source=item.source,
                        target=item.target, source_norm=norm, source_hash=digest, source_len=len(norm), status=status,
                        origin=origin, note=item.note, created_by=who, created_at=now, updated_by=None,
                        updated_at=now)
        s.add(row)
        s.flush()
        self._file(s, row)
        self._log(s, row, "import" if origin == "tmx" else "create", who, now)
        return row, True

    def import_many(self, items: Sequence[NewEntry], *, status: Status = "approved", origin: Origin = "tmx",
                    who: str | None = None, scope: str | None = None) -> ImportReport:
        """Add many entries in one transaction: every one is checked first, and nothing is
        written unless all are good. Each item keeps its own status when it is a suggestion
        (``status="suggested"`` makes them all suggestions); ``scope`` overrides the items'."""
        plan = [(_clean(item), "suggested" if "suggested" in (status, item.status) else "approved",
                 scope if scope is not None else item.scope) for item in items]
        for i, (item, st, sc) in enumerate(plan):
            try:
                self.check(item.source_lang, item.target_lang, item.source, item.target, sc, st)
            except NewsbridgeError as exc:
                raise type(exc)(f"entry {i + 1} ({item.source_lang}->{item.target_lang}): {exc.detail}",
                                **exc.extra) from None
        counts: Counter[bool | None] = Counter()
        now = self.clock()
        with unit_of_work(self.engine, write=True) as s:
            for item, st, sc in plan:
                counts[self._add(s, item, st, origin, who, sc or "", now)[1]] += 1
        return ImportReport(created=counts[True], updated=counts[False], unchanged=counts[None])

    def update(self, entry_id: int, *, who: str | None, target: str | None = None, source: str | None = None,
               scope: str | None = _UNSET) -> MemoryEntry:
        """Change an entry's target (or source, or scope); the previous state stays in its history."""
        with unit_of_work(self.engine, write=True) as s:
            row = self._row(s, entry_id)
            new_source = row.source if source is None else _clean_text(source)
            new_target = row.target if target is None else _clean_text(target)
            new_scope = row.scope if scope is _UNSET else (scope or "")
            self.check(row.source_lang, row.target_lang, new_source, new_target, new_scope or None, row.status)
            if (new_source, new_target, new_scope) == (row.source, row.target, row.scope):
                return _entry(row)
            refile = memory_text(new_source) != row.source_norm
            if row.status == "approved":
                self._no_rival(s, row, _hash(memory_text(new_source)), new_scope)
            row.source, row.target, row.scope = new_source, new_target, new_scope
            if refile:
                row.source_norm = memory_text(new_source)
                row.source_hash, row.source_len = _hash(row.source_norm), len(row.source_norm)
                s.execute(delete(MemoryKeyRow).where(MemoryKeyRow.entry_id == row.id))
                self._file(s, row)
            row.updated_by, row.updated_at = who, self.clock()
            self._log(s, row, "edit", who, row.updated_at)
            return _entry(row)

    def approve(self, entry_id: int, *, who: str | None) -> MemoryEntry:
        """Approve a suggestion. Where an approved entry for the same source exists, that one
        takes the suggestion's target (its history keeps the old one) and the suggestion goes."""
        with unit_of_work(self.engine, write=True) as s:
            row = self._row(s, entry_id)
            if row.status == "approved":
                return _entry(row)
            now = self.clock()
            rival = self._approved(s, row.source_hash, row.source_lang, row.target_lang, row.scope)
            if rival is None:
                row.status, row.updated_by, row.updated_at = "approved", who, now
                self._log(s, row, "approve", who, now)
                return _entry(row)
            rival.source, rival.target, rival.updated_by, rival.updated_at = row.source, row.target, who, now
            self._log(s, rival, "approve", who, now)
            self._drop(s, row, "approve", who, now)
            return _entry(rival)

    def reject(self, entry_id: int, *, who: str | None) -> None:
        """Reject a waiting suggestion (it is deleted; its history says who rejected it)."""
        with unit_of_work(self.engine, write=True) as s:
            row = self._row(s, entry_id)
            if row.status != "suggested":
                raise InvalidRequest(f"entry {entry_id} is approved, not a suggestion: delete it instead")
            self._drop(s, row, "reject", who, self.clock())

    def delete(self, entry_id: int, *, who: str | None) -> None:
        with unit_of_work(self.engine, write=True) as s:
            self._drop(s, self._row(s, entry_id), "delete", who, self.clock())

    # -- reads -----------------------------------------------------------------------------
    def get(self, entry_id: int) -> MemoryEntry:
        with unit_of_work(self.engine) as s:
            return _entry(self._row(s, entry_id))

    def history(self, entry_id: int) -> list[MemoryRevision]:
        """Every state the entry went through, newest first (also of a deleted entry)."""
        with unit_of_work(self.engine) as s:
            rows = s.scalars(select(MemoryHistoryRow).where(MemoryHistoryRow.entry_id == entry_id)
                             .order_by(MemoryHistoryRow.id.desc())).all()
            if not rows:
                raise MemoryEntryNotFound(f"no memory entry {entry_id}, and none ever was")
            return [MemoryRevision(r.entry_id, r.action, r.source, r.target, r.status, r.scope or None, r.who, r.at)
                    for r in rows]

    def search(self, *, source_lang: str | None = None, target_lang: str | None = None, status: str | None = None,
               scope: str | None = None, q: str | None = None, limit: int = 50, offset: int = 0) -> Page:
        """Entries, newest first; ``q``: a piece of the source or the target (case-insensitive)."""
        where = []
        if source_lang:
            where.append(MemoryRow.source_lang == source_lang)
        if target_lang:
            where.append(MemoryRow.target_lang == target_lang)
        if status:
            where.append(MemoryRow.status == status)
        if scope is not None:
            where.append(MemoryRow.scope == scope)
        if q:
            pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(or_(func.lower(MemoryRow.source).like(pattern, escape="\\"),
                             func.lower(MemoryRow.target).like(pattern, escape="\\")))
        with unit_of_work(self.engine) as s:
            total = int(s.scalar(select(func.count()).select_from(MemoryRow).where(*where)) or 0)
            rows = s.scalars(select(MemoryRow).where(*where).order_by(MemoryRow.id.desc())
                             .limit(limit).offset(offset)).all()
            return Page([_entry(r) for r in rows], total)

    def iter_entries(self, *, source_lang: str | None = None, target_lang: str | None = None,
                     status: str | None = None, scope: str | None = None, batch: int = 1000) -> Iterator[MemoryEntry]:
        """Every matching entry, oldest first, read in batches (an export of a million entries
        does not hold them all)."""
        after = 0
        while True:
            stmt = select(MemoryRow).where(MemoryRow.id > after)
            if source_lang:
                stmt = stmt.where(MemoryRow.source_lang == source_lang)
            if target_lang:
                stmt = stmt.where(MemoryRow.target_lang == target_lang)
            if status:
                stmt = stmt.where(MemoryRow.status == status)
            if scope is not None:
                stmt = stmt.where(MemoryRow.scope == scope)
            with unit_of_work(self.engine) as s:
                rows = [_entry(r) for r in s.scalars(stmt.order_by(MemoryRow.id).limit(batch))]
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1].id

    def count(self) -> int:
        with unit_of_work(self.engine) as s:
            return int(s.scalar(select(func.count()).select_from(MemoryRow)) or 0)

    def exact(self, queries: Iterable[tuple[str, str, str, str | None]]
              ) -> dict[tuple[str, str, str, str | None], MemoryEntry]:
        """Approved entries for (segment, source_lang, target_lang, scope) queries, in one round
        trip per few hundred: the scope's own entry first, else the global one."""
        wanted: dict[tuple[str, str, str, str | None], str] = {q: _hash(memory_text(q[0]))
                                                                for q in giving_way(queries, 32)}
        if not wanted:
            return {}
        rows: dict[str, list[Any]] = defaultdict(list)
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(wanted.values())), _CHUNK):
                for row in conn.execute(_BY_HASH, {"keys": list(chunk)}):
                    rows[row.source_hash].append(row)
        found: dict[tuple[str, str, str, str | None], MemoryEntry] = {}
        for (text, sl, tl, scope), digest in wanted.items():
            norm = memory_text(text)
            fits = [r for r in rows.get(digest, ()) if r.source_lang == sl and r.target_lang == tl
                    and r.source_norm == norm and r.scope in ("", scope or "")]
            if fits:
                found[(text, sl, tl, scope)] = _entry(max(fits, key=lambda r: r.scope != ""))
        return found

    def fuzzy(self, queries: Sequence[tuple[str, str, str, str | None]], *, threshold: int = 75,
              limit: int = 3) -> list[list[FuzzyMatch]]:
        """Close entries (score >= ``threshold``, approved or suggested) for each query, best first."""
        sketches = [fuzzy_keys(memory_text(text), sl, tl) for text, sl, tl, _ in giving_way(queries, 32)]
        every = sorted({k for sk in sketches for k in sk})
        if not every:
            return [[] for _ in queries]
        with self.engine.connect() as conn:
            bucket = self._buckets(conn, every)
            shortlists: list[list[int]] = []
            for sketch in sketches:
                votes: dict[int, float] = defaultdict(float)
                for k in sketch:
                    ids = bucket.get(k, ())
                    for i in ids:  # a stem few entries share says more than a common one
                        votes[i] += 1.0 / len(ids)
                shortlists.append([i for i, _ in sorted(votes.items(), key=lambda kv: (-kv[1], -kv[0]))
                                   [:FUZZY_CANDIDATES]])
            ids = sorted({i for short in shortlists for i in short})
            rows: dict[int, Any] = {}
            for chunk in _chunks(ids, _CHUNK):
                rows.update({r.id: r for r in conn.execute(_BY_ID, {"keys": list(chunk)})})
        out: list[list[FuzzyMatch]] = []
        for (text, sl, tl, scope), short in zip(giving_way(queries, 32), shortlists, strict=True):
            norm = memory_text(text)
            lo, hi = len(norm) * threshold / 100, len(norm) * 100 / threshold
            scored = []
            for i in short:
                row = rows.get(i)
                if row is None or row.source_lang != sl or row.target_lang != tl \
                        or row.scope not in ("", scope or "") or not lo <= row.source_len <= hi:
                    continue
                score = similarity(norm, row.source_norm)
                if score >= threshold:
                    scored.append(FuzzyMatch(_entry(row), score))
            scored.sort(key=lambda m: (-m.score, m.entry.status != "approved", -m.entry.id))
            out.append(scored[:limit])
        return out

    def recall(self, exact: Iterable[tuple[str, str, str, str | None]],
               fuzzy: Sequence[tuple[str, str, str, str | None]], *, threshold: int = 75, limit: int = 3
               ) -> tuple[dict[tuple[str, str, str, str | None], MemoryEntry], list[list[FuzzyMatch]] | Exception]:
        """``exact`` and then ``fuzzy``, what the pipeline asks per batch, in one call (through
        ``GuardedMemory``: one hand-off to its thread instead of two). A failure of the fuzzy
        part is returned instead of raised: the exact entries serve all the same."""
        found = self.exact(exact)
        if not fuzzy:
            return found, []
        try:
            return found, self.fuzzy(fuzzy, threshold=threshold, limit=limit)
        except Exception as exc:
            return found, exc

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _buckets(conn: Connection, keys: Sequence[int]) -> dict[int, list[int]]:
        """Entry ids filed under each key: the newest ``BUCKET_READ`` of each (one statement per
        ``_KEYS_PER_QUERY`` keys: a UNION ALL of index range scans, each stopped by its LIMIT)."""
        out: dict[int, list[int]] = defaultdict(list)
        for chunk in _chunks(keys, _KEYS_PER_QUERY):
            sql = " UNION ALL ".join(
                f"SELECT * FROM (SELECT key, entry_id FROM translation_memory_keys WHERE key = :k{i} "
                f"ORDER BY entry_id DESC LIMIT {BUCKET_READ}) AS b{i}" for i in range(len(chunk)))
            for key, entry_id in conn.execute(sql_text(sql), {f"k{i}": k for i, k in enumerate(chunk)}):
                out[key].append(entry_id)
        return out

    @staticmethod
    def _file(s: Session, row: MemoryRow) -> None:
        s.add_all([MemoryKeyRow(key=k, entry_id=row.id)
                   for k in fuzzy_keys(row.source_norm, row.source_lang, row.target_lang)])

    @staticmethod
    def _log(s: Session, row: MemoryRow, action: str, who: str | None, at: datetime) -> None:
        s.add(MemoryHistoryRow(entry_id=row.id, action=action, source=row.source, target=row.target,
                               status=row.status, scope=row.scope, who=who, at=at))

    def _drop(self, s: Session, row: MemoryRow, action: str, who: str | None, at: datetime) -> None:
        self._log(s, row, action, who, at)
        s.execute(delete(MemoryKeyRow).where(MemoryKeyRow.entry_id == row.id))
        s.delete(row)

    @staticmethod
    def _row(s: Session, entry_id: int) -> MemoryRow:
        row = s.get(MemoryRow, entry_id)
        if row is None:
            raise MemoryEntryNotFound(f"no memory entry {entry_id}")
        return row

    @staticmethod
    def _approved(s: Session, digest: str, sl: str, tl: str, scope: str) -> MemoryRow | None:
        return s.scalars(select(MemoryRow).where(MemoryRow.source_hash == digest, MemoryRow.source_lang == sl,
                                                 MemoryRow.target_lang == tl, MemoryRow.scope == scope,
                                                 MemoryRow.status == "approved").limit(1)).first()

    def _no_rival(self, s: Session, row: MemoryRow, digest: str, scope: str) -> None:
        rival = self._approved(s, digest, row.source_lang, row.target_lang, scope)
        if rival is not None and rival.id != row.id:
            raise MemoryConflict(f"entry {rival.id} is the approved translation of that source already "
                                 "(edit or delete it)", entry=rival.id)


# --------------------------------------------------------------------------- the pipeline's guard


class GuardedMemory:
    """The lookups the pipeline makes (``exact``, ``fuzzy``), each within a time limit and
    behind a circuit breaker, as the cache's: a database that hangs or fails makes requests go
    on without the memory (they say so) instead of waiting on it."""

    def __init__(self, inner: TranslationMemory, *, timeout_s: float = 1.0, failures: int = 3,
                 reset_s: float = 30.0) -> None:
        from service.storage.circuit_breaker import CircuitBreaker

        self.inner = inner
        self.timeout_s = timeout_s
        self.breaker = CircuitBreaker(failures, reset_s, name="translation memory")
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="memory-store")

    def exact(self, queries: Iterable[tuple[str, str, str, str | None]]
              ) -> dict[tuple[str, str, str, str | None], MemoryEntry]:
        queries = list(queries)
        return self._call(lambda: self.inner.exact(queries))

    def fuzzy(self, queries: Sequence[tuple[str, str, str, str | None]], *, threshold: int = 75,
              limit: int = 3) -> list[list[FuzzyMatch]]:
        return self._call(lambda: self.inner.fuzzy(queries, threshold=threshold, limit=limit))

    def recall(self, exact: Iterable[tuple[str, str, str, str | None]],
               fuzzy: Sequence[tuple[str, str, str, str | None]], *, threshold: int = 75, limit: int = 3
               ) -> tuple[dict[tuple[str, str, str, str | None], MemoryEntry], list[list[FuzzyMatch]] | Exception]:
        """Both lookups within one time limit; a failed fuzzy part counts against the breaker."""
        exact = list(exact)
        found, close = self._call(lambda: self.inner.recall(exact, fuzzy, threshold=threshold, limit=limit))
        if isinstance(close, Exception):
            self.breaker.failure(close)
        return found, close

    def health(self) -> Health:
        return self.breaker.health()

    def _call(self, fn: Callable[[], T]) -> T:
        if not self.breaker.allow():
            raise MemoryUnavailable(f"translation memory skipped: {self.breaker.last_error}")
        # in the caller's context: a bulk caller's lookups give way as its own work does
        future = self._pool.submit(contextvars.copy_context().run, fn)
        try:
            result = future.result(timeout=self.timeout_s)
        except FutureTimeout:
            future.cancel()
            error = MemoryUnavailable(f"translation memory did not answer within {self.timeout_s:g} s")
            self.breaker.failure(error)
            raise error from None
        except Exception as exc:
            self.breaker.failure(exc)
            raise
        self.breaker.success()
        return result
