"""API keys (stored hashed), usage per key and month, request counts per minute: in SQL.

Every counter moves with one atomic ``UPDATE ... SET n = n + :x`` (the row is created first if
missing, racing creators settle on the primary key), so several server processes share the
counts. A key is stored as its SHA-256 digest; the key itself is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Engine, Index, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.storage.db import Base, UTCDateTime, unit_of_work, utcnow

KEY_PREFIX = "nb_"
Role = Literal["translator", "editor"]  # editor: may also approve translation memory entries
ROLES: tuple[str, ...] = get_args(Role)
DEFAULT_ROLE: Role = "translator"


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key
    hint: Mapped[str] = mapped_column(String(16))  # the key's first characters, to tell keys apart
    chars_per_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requests_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    role: Mapped[str] = mapped_column(String(16), default=DEFAULT_ROLE, server_default=DEFAULT_ROLE)


class UsageRow(Base):
    """Characters and requests of one subject (a key, or a client address) in one month."""

    __tablename__ = "api_usage"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    chars: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class RateRow(Base):
    """Requests of one subject in one minute (fixed windows; old rows are pruned)."""

    __tablename__ = "api_rate"

    subject: Mapped[str] = mapped_column(String(100), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # minutes since the epoch
    count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_api_rate_window", "window"),)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


@dataclass(frozen=True)
class StoredKey:
    name: str
    key_hash: str
    hint: str
    chars_per_month: int | None
    requests_per_minute: int | None
    created_at: datetime
    role: str = DEFAULT_ROLE


def _stored(row: ApiKeyRow) -> StoredKey:
    return StoredKey(row.name, row.key_hash, row.hint, row.chars_per_month, row.requests_per_minute,
                     row.created_at, row.role)


class KeyExists(ValueError):
    pass


class KeyStore:
    """The SQL side of access control; the policy lives in ``service.http.access``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- keys ----------------------------------------------------------------------------------
    def create(self, name: str, *, chars_per_month: int | None = None,
               requests_per_minute: int | None = None, role: Role = DEFAULT_ROLE) -> tuple[StoredKey, str]:
        """A new key named ``name``: returns it once, in clear; only its digest is kept."""
        if role not in ROLES:
            raise ValueError(f"role {role!r}: use {' or '.join(ROLES)}")
        key = new_key()
        row = ApiKeyRow(name=name, key_hash=hash_key(key), hint=key[:7], chars_per_month=chars_per_month,
                        requests_per_minute=requests_per_minute, created_at=utcnow(), role=role)
        try:
            with unit_of_work(self.engine, write=True) as s:
                if s.scalar(select(ApiKeyRow.id).where(ApiKeyRow.name == name)) is not None:
                    raise KeyExists(f"a key named {name!r} exists already (revoke it first)")
                s.add(row)
                s.flush()
                return _stored(row), key
        except IntegrityError:
            raise KeyExists(f"a key named {name!r} exists already (revoke it first)") from None

    def list(self) -> list[StoredKey]:
        with unit_of_work(self.engine) as s:
            return [_stored(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))]

    def set_role(self, name: str, role: Role) -> bool:
        """Give the key named ``name`` another role; False when there is no such key."""
        if role not in ROLES:
            raise ValueError(f"role {role!r}: use {' or '.join(ROLES)}")
        with unit_of_work(self.engine, write=True) as s:
            return bool(s.execute(update(ApiKeyRow).where(ApiKeyRow.name == name).values(role=role)).rowcount)

    def revoke(self, name: str) -> bool:
        """Revoke the key (its row is deleted; its usage rows stay) named ``name``; False when there is none."""
        with unit_of_work(self.engine, write=True) as s:
            return bool(s.execute(delete(ApiKeyRow).where(ApiKeyRow.name == name)).rowcount)

    def named(self, name: str) -> StoredKey | None:
        with unit_of_work(self.engine) as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name))
            return _stored(row) if row is not None else None

    def find(self, key_hash: str) -> StoredKey | None:
        with unit_of_work(self.engine) as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
            return _stored(row) if row is not None else None

    def count(self) -> int:
        with unit_of_work(self.engine) as s:
            return len(s.scalars(select(ApiKeyRow.id)).all())

    # -- usage ---------------------------------------------------------------------------------
    def charge(self, subject: str, period: str, chars: int, limit: int | None, *, requests: int = 1) -> bool:
        """Add ``requests`` (one request; none for a job's chunk) and ``chars`` characters to the
        subject's month, unless that would pass ``limit`` characters (then nothing is added and
        False is returned)."""
        with unit_of_work(self.engine, write=True) as s:
            _ensure(s, UsageRow, subject=subject, period=period, chars=0, requests=0)
            stmt = (update(UsageRow).where(UsageRow.subject == subject, UsageRow.period == period)
                    .values(chars=UsageRow.chars + chars, requests=UsageRow.requests + requests))
            if limit is not None:
                stmt = stmt.where(UsageRow.chars + chars <= limit)
            return bool(s.execute(stmt).rowcount)

    def add_usage(self, tallies: Mapping[tuple[str, str], tuple[int, int]]) -> None:
        """Add counted (characters, requests) to each (subject, period) in one transaction: the
        usage of principals without a quota, counted in memory between writes."""
        with unit_of_work(self.engine, write=True) as s:
            for (subject, period), (chars, requests) in sorted(tallies.items()):
                _ensure(s, UsageRow, subject=subject, period=period, chars=0, requests=0)
                s.execute(update(UsageRow).where(UsageRow.subject == subject, UsageRow.period == period)
                          .values(chars=UsageRow.chars + chars, requests=UsageRow.requests + requests))

    def refund(self, subject: str, period: str, chars: int) -> None:
        """Take back the characters of a request that failed (the request itself still counts)."""
        with unit_of_work(self.engine, write=True) as s:
            s.execute(update(UsageRow).where(UsageRow.subject == subject, UsageRow.period == period)
                      .values(chars=UsageRow.chars - chars))

    def usage(self, subject: str, period: str) -> tuple[int, int]:
        """(characters, requests) of the subject in the month."""
        with unit_of_work(self.engine) as s:
            row = s.get(UsageRow, (subject, period))
            return (row.chars, row.requests) if row is not None else (0, 0)

    # -- rate ----------------------------------------------------------------------------------
    def hit(self, subject: str, window: int) -> int:
        """Count one request in the subject's minute; returns the count, this one included."""
        with unit_of_work(self.engine, write=True) as s:
            _ensure(s, RateRow, subject=subject, window=window, count=0)
            s.execute(update(RateRow).where(RateRow.subject == subject, RateRow.window == window)
                      .values(count=RateRow.count + 1))
            count = int(s.scalar(select(RateRow.count).where(RateRow.subject == subject,
                                                             RateRow.window == window)) or 0)
            if count == 1:  # first request of a minute: forget minutes long gone
                s.execute(delete(RateRow).where(RateRow.window < window - 1))
            return count


def _ensure(s: Session, model: type[Base], **values: object) -> None:
    """Insert the row unless it exists; a concurrent insert of the same key is fine."""
    keys = {c.name: values[c.name] for c in model.__table__.primary_key.columns}  # type: ignore[attr-defined]
    if s.get(model, tuple(keys.values())) is not None:
        return
    try:
        with s.begin_nested():
            s.add(model(**values))
    except IntegrityError:
        pass
