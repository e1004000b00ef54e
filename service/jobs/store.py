"""Jobs in SQL (the ``jobs`` table, migration ``0003_jobs``): state, counts, ownership, leases.

A job is claimed by one server process at a time: ``claim`` takes a queued job, or a running
one whose owner went silent (no heartbeat within the lease) or died on this host (its pid is
gone: a server killed with SIGKILL and started again takes its jobs back at once).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Boolean, Engine, Index, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from service.storage.db import Base, UTCDateTime, unit_of_work, utcnow

State = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED = ("succeeded", "failed", "cancelled")


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    options: Mapped[str] = mapped_column(Text)  # JSON: source_lang, target_lang, summarize, quality
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    api_key: Mapped[str | None] = mapped_column(String(128), nullable=True)  # who posted it
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    input_bytes: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)  # host:pid running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook: Mapped[str | None] = mapped_column(String(255), nullable=True)  # pending, delivered, failed

    __table_args__ = (Index("ix_jobs_state", "state"),)


@dataclass(frozen=True)
class Job:
    id: str
    state: str
    options: dict[str, Any]
    callback_url: str | None
    api_key: str | None
    total: int
    done: int
    errors: int
    input_bytes: int
    cancel_requested: bool
    owner: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error: str | None
    webhook: str | None

    @classmethod
    def of(cls, row: JobRow) -> Job:
        return cls(row.id, row.state, json.loads(row.options), row.callback_url, row.api_key, row.total, row.done,
                   row.errors, row.input_bytes, row.cancel_requested, row.owner, row.created_at, row.updated_at,
                   row.finished_at, row.error, row.webhook)


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphaned(owner: str | None) -> bool:
    """A job owned by a process of this host that no longer exists."""
    if not owner:
        return True
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid))


class JobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, job_id: str, options: dict[str, Any], *, total: int, input_bytes: int,
               callback_url: str | None, api_key: str | None) -> Job:
        now = utcnow()
        row = JobRow(id=job_id, state="queued", options=json.dumps(options), callback_url=callback_url,
                     api_key=api_key, total=total, done=0, errors=0, input_bytes=input_bytes, cancel_requested=False,
                     created_at=now, updated_at=now, webhook="pending" if callback_url else None)
        with unit_of_work(self.engine, write=True) as s:
            s.add(row)
            s.flush()
            return Job.of(row)

    def get(self, job_id: str) -> Job | None:
        with unit_of_work(self.engine) as s:
            row = s.get(JobRow, job_id)
            return Job.of(row) if row is not None else None

    def claim(self, lease_s: float) -> Job | None:
        """Take one job to run: the oldest queued one, or a running one left by a dead owner."""
        stale = utcnow() - timedelta(seconds=lease_s)
        with unit_of_work(self.engine) as s:  # the common case, cheaply: nothing to do
            if s.scalar(select(JobRow.id).where(JobRow.state.in_(("queued", "running"))).limit(1)) is None:
                return None
        with unit_of_work(self.engine, write=True) as s:
            q = (select(JobRow).where(or_(JobRow.state == "queued", JobRow.state == "running"))
                 .order_by(JobRow.created_at).limit(20))
            if s.bind is not None and s.bind.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            for row in s.scalars(q):
                if row.state == "running" and not (row.heartbeat_at is None or row.heartbeat_at < stale
                                                   or _orphaned(row.owner)):
                    continue
                row.state, row.owner, row.heartbeat_at, row.updated_at = "running", this_owner(), utcnow(), utcnow()
                s.flush()
                return Job.of(row)
        return None

    def progress(self, job_id: str, done: int, errors: int) -> bool:
        """Record progress and renew the lease; False when the job should stop (cancel
        requested, or another process took it over)."""
        now = utcnow()
        with unit_of_work(self.engine, write=True) as s:
            row = s.get(JobRow, job_id)
            if row is None or row.owner != this_owner() or row.state != "running":
                return False
            row.done, row.errors, row.heartbeat_at, row.updated_at = done, errors, now, now
            return not row.cancel_requested

    def heartbeat(self, job_id: str) -> None:
        with unit_of_work(self.engine, write=True) as s:
            s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.owner == this_owner())
                      .values(heartbeat_at=utcnow()))

    def finish(self, job_id: str, state: State, *, done: int | None = None, errors: int | None = None,
               error: str | None = None) -> Job | None:
        now = utcnow()
        with unit_of_work(self.engine, write=True) as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return None
            row.state, row.finished_at, row.updated_at, row.error = state, now, now, error
            if done is not None:
                row.done = done
            if errors is not None:
                row.errors = errors
            return Job.of(row)

    def cancel(self, job_id: str) -> Job | None:
        """A queued job is cancelled at once; a running one is asked to stop."""
        now = utcnow()
        with unit_of_work(self.engine, write=True) as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return None
            if row.state == "queued":
                row.state, row.finished_at = "cancelled", now
            elif row.state == "running":
                row.cancel_requested = True
            row.updated_at = now
            return Job.of(row)

    def set_webhook(self, job_id: str, status: str) -> None:
        with unit_of_work(self.engine, write=True) as s:
            s.execute(update(JobRow).where(JobRow.id == job_id).values(webhook=status[:255]))

    def pending_webhooks(self) -> list[Job]:
        """Finished jobs whose callback was not delivered yet (the server stopped before)."""
        with unit_of_work(self.engine) as s:
            rows = s.scalars(select(JobRow).where(JobRow.state.in_(FINISHED), JobRow.webhook == "pending"))
            return [Job.of(r) for r in rows]

    def delete(self, job_id: str) -> bool:
        with unit_of_work(self.engine, write=True) as s:
            row = s.get(JobRow, job_id)
            if row is None:
                return False
            s.delete(row)
            return True
