"""Database plumbing for the translation cache: URL checks, engines, models, migrations.

One engine per (process, URL); a session per unit of work. SQLite (the embedded default)
runs in WAL mode with a busy timeout and its schema is created/upgraded on start; a server
database (PostgreSQL via psycopg 3) is upgraded explicitly with ``newsbridge db upgrade``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    false,
    inspect,
    text,
)
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

ENV_VAR = "NEWSBRIDGE_DATABASE_URL"
VERSION_TABLE = "newsbridge_alembic_version"
SQLITE_BUSY_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 5
_PG_MIGRATION_LOCK = 0x6E62_6361  # "nbca": advisory lock serialising concurrent upgrades
_SQLITE_IMMEDIATE = "newsbridge_sqlite_immediate"  # execution option: BEGIN IMMEDIATE


class DatabaseConfigError(ValueError):
    """NEWSBRIDGE_DATABASE_URL is unusable (unparseable, unknown or unsupported driver)."""


class DatabaseUnavailable(RuntimeError):
    """The cache database cannot be used right now; serve uncached and report it in /readyz."""


class SchemaNotCurrent(DatabaseUnavailable):
    """A server database whose schema is not at this release's revision."""


# --------------------------------------------------------------------------- models


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class CacheRow(Base):
    """One cached segment translation (see ``translators.cached.cache_key``)."""

    __tablename__ = "translation_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex
    source: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(Text)  # ModelIdentity.key()
    text: Mapped[str] = mapped_column(Text)
    pieces: Mapped[int] = mapped_column(Integer, default=1)
    capped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    score: Mapped[float | None] = mapped_column(Float, nullable=True)  # the model's confidence, 0..1
    alignment: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON [[s0, s1, t0, t1], ...]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hits: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_translation_cache_model", "model"),
        Index("ix_translation_cache_last_used_at", "last_used_at"),
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- URLs


def parse_url(url: str | URL | Engine) -> URL:
    """Validate a database URL; ``postgres://`` and ``postgresql://`` become psycopg 3."""
    if isinstance(url, Engine):
        url = url.url
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise DatabaseConfigError(f"{ENV_VAR} is not a database URL ({exc}); "
                                  "expected e.g. sqlite:///path/cache.db or "
                                  "postgresql+psycopg://user:pass@host/db") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":
        backend = "postgresql"
    if backend == "postgresql" and driver in ("", "psycopg"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    shown = parsed.render_as_string(hide_password=True)
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseConfigError(f"{ENV_VAR}={shown}: unsupported database {backend!r}; "
                                  "use sqlite:///... or postgresql+psycopg://...")
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        raise DatabaseConfigError(f"{ENV_VAR}={shown}: unknown driver {parsed.drivername!r}") from None
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise DatabaseConfigError(f"{ENV_VAR}={shown}: an in-memory SQLite database cannot be shared; "
                                  "give a file path (sqlite:///path/cache.db)")
    return parsed


def is_sqlite(url: str | URL | Engine) -> bool:
    return parse_url(url).get_backend_name() == "sqlite"


def describe(url: str | URL | Engine) -> str:
    """The URL with its password hidden, for messages and logs."""
    return parse_url(url).render_as_string(hide_password=True)


# --------------------------------------------------------------------------- engines


def make_engine(url: str | URL, *, connect_timeout: int = CONNECT_TIMEOUT_S) -> Engine:
    """A new engine: SQLite in WAL mode with a busy timeout, or PostgreSQL via psycopg 3."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": connect_timeout})


def _sqlite_engine(url: URL) -> Engine:
    assert url.database is not None
    path = Path(url.database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # connecting will fail and say so (DatabaseUnavailable)
        log.warning("cannot create the folder of the SQLite cache %s: %s", path, exc)
    engine = create_engine(url, pool_pre_ping=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        enable_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Write units take the write lock up front, so the busy timeout applies instead of
        # an immediate "database is locked" when a read transaction tries to upgrade.
        immediate = conn.get_execution_options().get(_SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def enable_wal(cur: Any, *, timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> None:
    """Put the SQLite database of cursor ``cur`` in WAL mode (a no-op once it is: the mode is
    kept in the file).

    When several processes open a new database at once, each one's switch needs the file to
    itself. SQLite answers ``SQLITE_BUSY`` ("database is locked") at once to all but one of them,
    without waiting out the busy timeout, since waiting could deadlock; so the switch is tried
    again (on ``SQLITE_BUSY`` or ``SQLITE_LOCKED``) with a short back-off until ``timeout_s`` has
    passed.
    """
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = clock() + timeout_s
    delay = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if _primary_code(exc) not in _SQLITE_RETRY or clock() + delay > deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, 0.1)


_SQLITE_RETRY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of ``exc`` (``SQLITE_BUSY`` for ``SQLITE_BUSY_RECOVERY``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | URL | Engine) -> Engine:
    """The process-wide engine for ``url`` (a forked child gets its own)."""
    parsed = parse_url(url)
    key = (os.getpid(), parsed.render_as_string(hide_password=False))
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = make_engine(parsed)
        return engine


_before_dispose: list[Callable[[], None]] = []


def before_dispose(hook: Callable[[], None]) -> Callable[[], None]:
    """Run ``hook`` at the start of every ``dispose_engines`` (what a store keeps in memory for
    its database is written while the engines are still there)."""
    _before_dispose.append(hook)
    return hook


def dispose_engines() -> None:
    """Close every engine this process made (tests, shutdown); forget inherited ones."""
    for hook in list(_before_dispose):
        try:
            hook()
        except Exception as exc:
            log.warning("before disposing the database engines: %s", exc)
    pid = os.getpid()
    with _engines_lock:
        for (owner, _), engine in list(_engines.items()):
            engine.dispose(close=owner == pid)
        _engines.clear()


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session in one transaction, committed on success; ``write`` locks SQLite up front."""
    with Session(engine) as session, session.begin():
        if write:  # procure the connection now, so its BEGIN carries the option
            session.connection(execution_options={_SQLITE_IMMEDIATE: True})
        yield session


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """``unit_of_work`` without the ORM, for statements run on every request: a connection in
    one transaction, committed on success (an ORM session around one statement costs about
    0.25 ms more on SQLite)."""
    with engine.connect() as conn:
        if write:  # before the first statement, so its BEGIN carries the option
            conn.execution_options(**{_SQLITE_IMMEDIATE: True})
        with conn.begin():
            yield conn


# --------------------------------------------------------------------------- migrations


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.set_main_option("version_table", VERSION_TABLE)
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(url: str | URL | Engine) -> str | None:
    """The schema revision the database is at (``None``: no schema yet)."""
    from alembic.migration import MigrationContext

    with _connect(url) as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def upgrade(url: str | URL | Engine, revision: str = "head") -> str:
    """Create or upgrade the schema; safe to run twice and from concurrent processes."""
    from alembic import command

    with _connect(url, write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        command.upgrade(_alembic_config(conn), revision)
    current = current_revision(url)
    assert current is not None
    return current


# The newest migration; tests/test_cache_store.py checks it is alembic's head. A database already
# there is recognised without importing alembic (about 12 MB and 0.2 s of a server's start).
SCHEMA_HEAD = "0007_cache_score_alignment"


def at_head(url: str | URL | Engine) -> bool:
    """Whether the database's schema is at ``SCHEMA_HEAD``, read with one query (``False`` when
    the version table is missing or unreadable: the caller's full check says why)."""
    try:
        with _connect(url) as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return False
            versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except SQLAlchemyError:
        return False
    return list(versions) == [SCHEMA_HEAD]


def ensure_schema(settings_or_url: Any) -> None:
    """Called on start with ``Settings``, a URL or an ``Engine``. SQLite: create/upgrade the
    schema. A server database: check that it is current, else raise ``SchemaNotCurrent``
    (a ``DatabaseUnavailable``) naming ``newsbridge db upgrade``.

    Raises ``DatabaseConfigError`` for a broken URL (fatal) and ``DatabaseUnavailable``
    when the database cannot be reached (log it and serve uncached).
    """
    url = getattr(settings_or_url, "database_url", settings_or_url)
    parsed = parse_url(url)
    if at_head(parsed):
        return
    try:
        if parsed.get_backend_name() == "sqlite":
            upgrade(parsed)
            return
        current, head = current_revision(parsed), head_revision()
    except SQLAlchemyError as exc:  # reachable but unusable (not a database, no rights, ...)
        raise DatabaseUnavailable(f"the cache database {describe(parsed)} is unusable: "
                                  f"{_first_line(exc)}") from exc
    if current != head:
        state = "has no newsbridge schema" if current is None else f"is at revision {current}"
        raise SchemaNotCurrent(f"the cache database {describe(parsed)} {state}, this release needs "
                               f"{head}: run `newsbridge db upgrade` (reads {ENV_VAR})")


@contextmanager
def _connect(url: str | URL | Engine, *, write: bool = False) -> Iterator[Connection]:
    engine = get_engine(url)
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot connect to the cache database {describe(url)}: "
                                  f"{_first_line(exc)}") from exc
    with conn:
        if write:
            conn = conn.execution_options(**{_SQLITE_IMMEDIATE: True})
        yield conn


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
