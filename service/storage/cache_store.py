"""``SqlTranslationStore``: the SQL-backed ``TranslationStore`` (SQLite or PostgreSQL)."""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, delete, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from service.storage.db import CacheRow, before_dispose, get_engine, transaction, unit_of_work, utcnow
from translators.base import Health
from translators.cached import CacheEntry

log = logging.getLogger(__name__)

T = TypeVar("T")
_TABLE = CacheRow.__table__
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


@dataclass(frozen=True, slots=True)
class CacheStats:
    rows: int
    hits: int
    per_model: dict[str, int] = field(default_factory=dict)
    per_pair: dict[str, int] = field(default_factory=dict)  # "pl-en" -> rows
    oldest: datetime | None = None  # created_at
    newest: datetime | None = None  # created_at
    last_used: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for k in ("oldest", "newest", "last_used"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


# The per-request statements, built once (building them per call cost SQLAlchemy about 1 ms each).
_SELECT = select(CacheRow.key, CacheRow.source, CacheRow.target, CacheRow.model, CacheRow.text, CacheRow.pieces,
                 CacheRow.capped, CacheRow.score, CacheRow.alignment
                 ).where(CacheRow.key.in_(bindparam("keys", expanding=True)))
_ADD_USES = (update(_TABLE).where(_TABLE.c.key == bindparam("k"))
             .values(last_used_at=bindparam("used"), hits=_TABLE.c.hits + bindparam("n")))


class _Uses:
    """Cache hits not written yet: key -> [hits, last used]. A hit is a read; writing its use at
    once made every hit a write transaction as well (twice the CPU of the read, and SQLite's one
    writer lock taken by readers). They are written together instead
    (``SqlTranslationStore.flush_uses``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.pending: dict[str, list[Any]] = {}
        self.written_at: datetime | None = None
        self.pid = os.getpid()

    def _forked(self) -> None:
        """In a forked child: what was pending is the parent's to write (under ``lock``)."""
        if self.pid != os.getpid():
            self.pending, self.written_at, self.pid = {}, None, os.getpid()

    def add(self, keys: Sequence[str], now: datetime, every: timedelta, limit: int) -> bool:
        """Count one use of each key at ``now``; True when the pending uses are due to be written
        (``every`` since the last write, or ``limit`` keys waiting)."""
        with self.lock:
            self._forked()
            for key in keys:
                use = self.pending.get(key)
                if use is None:
                    self.pending[key] = [1, now]
                else:
                    use[0] += 1
                    use[1] = max(use[1], now)
            if self.written_at is None:
                self.written_at = now
            return len(self.pending) >= limit or now - self.written_at >= every

    def take(self, now: datetime) -> list[dict[str, Any]]:
        """The pending uses as statement rows, in key order (every writer locks rows in the same
        order: no deadlocks), and nothing pending any more."""
        with self.lock:
            self._forked()
            taken, self.pending, self.written_at = self.pending, {}, now
        return [{"k": k, "n": n, "used": used} for k, (n, used) in sorted(taken.items())]

    def write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            with transaction(self.engine, write=True) as conn:
                conn.execute(_ADD_USES, rows)


_LIVE: weakref.WeakSet[SqlTranslationStore] = weakref.WeakSet()  # every store, while it lives


@atexit.register
@before_dispose
def write_pending_uses() -> None:
    """Write what this process's stores have pending (``flush_uses``): as it exits (a one-shot
    CLI command's hits) and before its database engines are disposed. A store dropped before
    loses its last seconds (usage statistics)."""
    for store in list(_LIVE):
        store.flush_uses()


class SqlTranslationStore:
    """Cache entries in ``translation_cache``; upserts are idempotent and concurrency-safe.
    ``clock`` (aware UTC ``datetime``) stamps ``created_at``/``last_used_at`` and places the
    pruning cutoff.

    With ``touch``, reads count as uses (``hits``, ``last_used_at``: what ``prune`` goes by). They
    are kept in memory and written together: by the read that finds them ``touch_every`` old
    (5 s by default) or ``chunk_size`` keys many, before ``stats`` and ``prune``, by
    ``flush_uses``, and when the process exits with the store alive. Another process's ``stats``
    (the CLI's) sees a server's hits within those seconds."""

    def __init__(self, engine: Engine | str | URL, *, chunk_size: int = 500, retries: int = 6,
                 touch: bool = True, touch_every: timedelta = timedelta(seconds=5),
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine if isinstance(engine, Engine) else get_engine(engine)
        self.chunk_size = chunk_size
        self.retries = retries
        self.touch = touch  # count reads as uses (hits, last_used_at)
        self.touch_every = touch_every
        self.clock = clock
        self._uses = _Uses(self.engine)
        _LIVE.add(self)

    # ------------------------------------------------------------------ TranslationStore

    def get_many(self, keys: Sequence[str]) -> dict[str, CacheEntry]:
        found: dict[str, CacheEntry] = {}
        for chunk in _chunks(sorted(set(keys)), self.chunk_size):
            found.update(self._retry(lambda c=chunk: self._select(c)))
        if found and self.touch and self._uses.add(list(found), self.clock(), self.touch_every, self.chunk_size):
            self.flush_uses()
        return found

    def flush_uses(self) -> None:
        """Write the reads counted since the last time (``hits``, ``last_used_at``); best effort:
        a failure is logged and those counts are dropped, the hits themselves were served."""
        rows = self._uses.take(self.clock())
        try:
            for chunk in _chunks(rows, self.chunk_size):
                self._retry(lambda c=chunk: self._uses.write(c))
        except Exception as exc:
            log.warning("cache: could not record hits: %s", exc)

    def put_many(self, entries: Sequence[CacheEntry]) -> None:
        # Deduplicated and sorted: every writer takes row locks in the same order (no deadlocks).
        unique = sorted({e.key: e for e in entries}.values(), key=lambda e: e.key)
        for chunk in _chunks(unique, self.chunk_size):
            self._retry(lambda c=chunk: self._insert(c))

    # ------------------------------------------------------------------ maintenance

    def stats(self) -> CacheStats:
        self.flush_uses()

        def run() -> CacheStats:
            with unit_of_work(self.engine) as s:
                rows, hits, oldest, newest, last_used = s.execute(select(
                    func.count(), func.coalesce(func.sum(CacheRow.hits), 0), func.min(CacheRow.created_at),
                    func.max(CacheRow.created_at), func.max(CacheRow.last_used_at),
                )).one()
                per_model = dict(s.execute(
                    select(CacheRow.model, func.count()).group_by(CacheRow.model)).all())
                per_pair = {f"{a}-{b}": n for a, b, n in s.execute(
                    select(CacheRow.source, CacheRow.target, func.count())
                    .group_by(CacheRow.source, CacheRow.target))}
            return CacheStats(int(rows), int(hits), per_model, per_pair,
                              _aware(oldest), _aware(newest), _aware(last_used))

        return self._retry(run)

    def prune(self, older_than: timedelta, model: str | None = None) -> int:
        """Delete entries not used for ``older_than`` (only ``model``'s when given)."""
        self.flush_uses()
        cutoff = self.clock() - older_than
        stmt = delete(CacheRow).where(CacheRow.last_used_at < cutoff)
        if model is not None:
            stmt = stmt.where(CacheRow.model == model)

        def run() -> int:
            with unit_of_work(self.engine, write=True) as s:
                return int(s.execute(stmt.execution_options(synchronize_session=False)).rowcount)  # type: ignore[attr-defined]

        return self._retry(run)

    def ping(self) -> bool:
        """True when the table can be read (for /readyz)."""
        try:
            with unit_of_work(self.engine) as s:
                s.execute(select(CacheRow.key).limit(1)).all()
            return True
        except Exception as exc:
            log.warning("cache: ping failed: %s", exc)
            return False

    def health(self) -> Health:
        return Health() if self.ping() else Health("degraded", "database unreachable")

    # ------------------------------------------------------------------ statements

    def _select(self, keys: list[str]) -> dict[str, CacheEntry]:
        with transaction(self.engine) as conn:
            return {r[0]: CacheEntry(*r[:8], alignment=_links(r[8])) for r in conn.execute(_SELECT, {"keys": keys})}

    def _insert(self, entries: list[CacheEntry]) -> None:
        now = self.clock()
        rows = [{"key": e.key, "source": e.source, "target": e.target, "model": e.model, "text": e.text,
                 "pieces": e.pieces, "capped": e.capped, "score": e.score,
                 "alignment": None if e.alignment is None else json.dumps([list(x) for x in e.alignment]),
                 "created_at": now, "last_used_at": now, "hits": 0}
                for e in entries]
        dialect = self.engine.dialect.name
        if dialect == "sqlite":  # each dialect's module: already loaded by its engine
            from sqlalchemy.dialects import sqlite

            insert = sqlite.insert(_TABLE)
        elif dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            insert = postgresql.insert(_TABLE)
        else:  # parse_url admits only these two
            raise RuntimeError(f"no upsert for dialect {dialect}")
        # An entry already there keeps its text and values; a score or word links it lacks are
        # filled in from a new entry with the same text (a request that asked for links).
        new = insert.excluded
        stmt = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"score": func.coalesce(_TABLE.c.score, new.score),
                  "alignment": func.coalesce(_TABLE.c.alignment, new.alignment)},
            where=(_TABLE.c.text == new.text) & ((_TABLE.c.score.is_(None) & new.score.is_not(None))
                                                 | (_TABLE.c.alignment.is_(None) & new.alignment.is_not(None))))
        with transaction(self.engine, write=True) as conn:
            conn.execute(stmt, rows)

    def _retry(self, fn: Callable[[], T]) -> T:
        """``fn``, retried on transient errors (locks, deadlocks, dropped connections) with
        jittered exponential back-off: ``retries`` more attempts, 50 ms doubling up to 1 s."""
        retrying = Retrying(stop=stop_after_attempt(self.retries + 1),
                            wait=wait_random_exponential(multiplier=0.05, max=1.0),
                            retry=retry_if_exception(_transient), before_sleep=_log_retry, reraise=True)
        return retrying(fn)


def _links(value: str | None) -> tuple[tuple[int, int, int, int], ...] | None:
    if value is None:
        return None
    return tuple((int(a), int(b), int(c), int(d)) for a, b, c, d in json.loads(value))


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("cache: transient database error, retrying in %.2fs: %s", wait, getattr(exc, "orig", exc))


def _transient(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):  # OperationalError is one
        return False
    if exc.connection_invalidated:
        return True
    msg = str(exc.orig).lower()
    if "database is locked" in msg or "database is busy" in msg:
        return True
    return getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates may come back as text on SQLite: parse them; naive means UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
