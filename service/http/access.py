"""Who may call, how often, how much: API keys, monthly character quotas, rate limits.

One policy for the native API and both compatibility dialects; each renders the refusals
(:class:`AccessDenied`) in its own error shape. Keys come from ``NEWSBRIDGE_API_KEYS`` and from
the SQL table managed with ``newsbridge keys``; both are compared as SHA-256 digests with
``hmac.compare_digest``. With no key configured anywhere the API is open and rate limits apply
per client address. Keys are never logged: a key is named by its stored name or a digest prefix.
"""

from __future__ import annotations

import calendar
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import HTTPConnection

from service.jobs.job_engine import QuotaExhausted
from service.settings import Settings
from service.storage.key_store import KeyStore, hash_key

log = logging.getLogger(__name__)

Reason = Literal["missing_key", "invalid_key", "quota", "rate"]
KEYS_RECHECK_S = 5.0  # how long "are there stored keys?" is remembered
UNLIMITED = 1_000_000_000_000  # what DeepL reports as the limit of an unlimited account


class AccessDenied(Exception):
    def __init__(self, reason: Reason, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who is charged: a key (``key:<name>``) or, when the API is open, a client address.
    ``role``: what the key may do besides translating (``editor``: approve translation memory
    entries; ``translator``: suggest them); an open API lets anyone act as an editor.
    ``name``: the key's name as memory entries record it (None when the API is open)."""

    subject: str
    chars_per_month: int | None
    requests_per_minute: int | None
    role: str = "editor"
    name: str | None = None

    @property
    def may_approve(self) -> bool:
        return self.role == "editor"


class UsageTally:
    """Usage of principals without a quota, counted in memory and written to SQL in one
    transaction at most every ``interval`` seconds (and before a usage read, and at shutdown).

    Nothing is enforced for them, so nothing needs a database write per request: under a burst
    those writes (two per refused request: charge and refund) queued every request behind the
    database lock. Principals with a quota are charged atomically in SQL instead."""

    def __init__(self, store: KeyStore, interval: float = 2.0, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.interval = interval
        self.clock = clock
        self._pending: dict[tuple[str, str], tuple[int, int]] = {}
        self._flushed = clock()
        self._lock = threading.Lock()

    def add(self, subject: str, period: str, chars: int, requests: int = 1) -> None:
        with self._lock:
            c, r = self._pending.get((subject, period), (0, 0))
            self._pending[(subject, period)] = (c + chars, r + requests)
        self.flush(due_only=True)

    def flush(self, *, due_only: bool = False) -> None:
        with self._lock:
            if not self._pending or (due_only and self.clock() - self._flushed < self.interval):
                return
            batch, self._pending, self._flushed = self._pending, {}, self.clock()
        try:
            self.store.add_usage(batch)
        except SQLAlchemyError as exc:  # kept for the next flush; requests are served all the same
            log.warning("could not record usage", extra={"error": type(exc).__name__})
            with self._lock:
                for key, (c, r) in batch.items():
                    pc, pr = self._pending.get(key, (0, 0))
                    self._pending[key] = (pc + c, pr + r)


@dataclass
class Charge:
    """An admitted request: ``refund`` gives its characters back when the work failed."""

    principal: Principal
    period: str
    chars: int
    store: KeyStore | None
    tally: UsageTally | None = None  # set when the principal's usage is counted in memory

    def refund(self) -> None:
        try:
            self._refund()
        except SQLAlchemyError as exc:  # the usage database failed: the request is served all the same
            log.warning("could not refund usage", extra={"error": type(exc).__name__})

    def _refund(self) -> None:
        if not self.chars:
            return
        if self.tally is not None:
            self.tally.add(self.principal.subject, self.period, -self.chars, requests=0)
        elif self.store is not None:
            self.store.refund(self.principal.subject, self.period, self.chars)
        self.chars = 0


def header_credential(conn: HTTPConnection) -> str | None:
    """The key from ``X-API-Key``, ``Authorization: Bearer`` or ``Authorization: DeepL-Auth-Key``."""
    key = conn.headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, value = conn.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() in ("bearer", "deepl-auth-key") and value.strip():
        return value.strip()
    return None


def month(now: float | None = None) -> tuple[str, int]:
    """The current billing period ("2026-11") and the seconds until the next one starts."""
    t = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    days = calendar.monthrange(t.year, t.month)[1]
    end = datetime(t.year, t.month, days, tzinfo=UTC).timestamp() + 86400
    return f"{t.year:04d}-{t.month:02d}", max(1, int(end - t.timestamp()))


class Access:
    """The policy. ``clock`` (wall time, seconds) places a request in its rate-limit minute and
    billing month and times the stored-keys recheck; a test may set it."""

    def __init__(self, settings: Settings, store: KeyStore | None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._env = [(hash_key(k), f"env:{hash_key(k)[:12]}") for k in settings.api_keys]
        self._stored_keys: tuple[float, bool] = (0.0, False)
        self.tally = UsageTally(store) if store is not None else None

    def close(self) -> None:
        """Write the usage counted in memory (at shutdown)."""
        if self.tally is not None:
            self.tally.flush()

    # -- who ----------------------------------------------------------------------------------
    def keys_configured(self) -> bool:
        if self._env:
            return True
        if self.store is None:
            return False
        checked, any_stored = self._stored_keys
        if abs(self.clock() - checked) > KEYS_RECHECK_S:
            try:
                any_stored = self.store.count() > 0
            except SQLAlchemyError as exc:  # keep the last known answer; NEWSBRIDGE_API_KEYS still apply
                log.warning("API key database unreadable", extra={"error": type(exc).__name__})
            self._stored_keys = (self.clock(), any_stored)
        return any_stored

    def authenticate(self, credential: str | None, address: str) -> Principal:
        """The principal for a request; raises ``AccessDenied`` when keys are configured and
        the credential is missing or matches none."""
        rpm = self.settings.rate_limit_per_minute or None
        if not self.keys_configured():
            return Principal(f"addr:{address}", None, rpm, role="editor", name=None)
        if not credential:
            raise AccessDenied("missing_key", "an API key is required")
        digest = hash_key(credential)
        for env_digest, subject in self._env:  # every entry is compared: no early exit on a match
            if hmac.compare_digest(env_digest, digest):
                quota = self.settings.api_keys_chars_per_month or None
                return Principal(subject, quota, rpm, role=self.settings.api_keys_role, name=subject)
        stored = self.store.find(digest) if self.store is not None else None
        if stored is not None and hmac.compare_digest(stored.key_hash, digest):
            return Principal(f"key:{stored.name}", stored.chars_per_month, stored.requests_per_minute or rpm,
                             role=stored.role, name=stored.name)
        log.info("request with an unknown API key refused", extra={"key_digest": digest[:8]})
        raise AccessDenied("invalid_key", "the API key is not valid")

    # -- how often, how much ------------------------------------------------------------------
    def admit(self, credential: str | None, address: str, chars: int) -> Charge:
        """Authenticate, count the request against the rate limit and charge ``chars`` to the
        month's quota (atomically: a request that would pass the quota is refused whole)."""
        principal = self.authenticate(credential, address)
        period, until_next_month = month(self.clock())
        if self.store is None:
            return Charge(principal, period, 0, None)
        try:
            return self._count(principal, period, until_next_month, chars)
        except SQLAlchemyError as exc:
            # The usage tables are in the service's database: when it fails (read-only, full,
            # down), requests are served uncounted rather than failed, as the cache does.
            log.warning("usage database failed: request admitted uncounted", extra={"error": type(exc).__name__})
            return Charge(principal, period, 0, None)

    def _count(self, principal: Principal, period: str, until_next_month: int, chars: int) -> Charge:
        if principal.requests_per_minute:
            now = self.clock()
            count = self.store.hit(principal.subject, int(now // 60))
            if count > principal.requests_per_minute:
                raise AccessDenied("rate", f"more than {principal.requests_per_minute} requests per minute; "
                                           "slow down", retry_after=max(1, 60 - int(now % 60)))
        if principal.chars_per_month is None and self.tally is not None:  # nothing to enforce
            self.tally.add(principal.subject, period, chars)
            return Charge(principal, period, chars, None, self.tally)
        if not self.store.charge(principal.subject, period, chars, principal.chars_per_month):
            raise AccessDenied("quota", f"the monthly quota of {principal.chars_per_month} characters is used up",
                               retry_after=until_next_month)
        return Charge(principal, period, chars, self.store)

    # -- background work (jobs) ---------------------------------------------------------------
    def principal_of(self, subject: str) -> Principal | None:
        """The principal ``subject`` (a job's owner, as ``admit`` named it) is now: its quota as
        configured today; None when its key was revoked or is no longer configured."""
        rpm = self.settings.rate_limit_per_minute or None
        if subject.startswith("env:"):
            if any(s == subject for _, s in self._env):
                return Principal(subject, self.settings.api_keys_chars_per_month or None, rpm)
            return None
        if subject.startswith("key:"):
            stored = self.store.named(subject.removeprefix("key:")) if self.store is not None else None
            if stored is None:
                return None
            return Principal(subject, stored.chars_per_month, stored.requests_per_minute or rpm)
        return Principal(subject, None, rpm)

    def charge_work(self, principal: Principal, chars: int) -> Charge:
        """Charge ``chars`` of background work (a job's chunk, as it is processed) to the principal's
        month: atomically against the quota (``AccessDenied("quota")`` when it would pass it), not
        counted as a request, no rate limit. A failing usage database leaves it uncounted."""
        period, until_next_month = month(self.clock())
        if self.store is None:
            return Charge(principal, period, 0, None)
        try:
            if principal.chars_per_month is None and self.tally is not None:
                self.tally.add(principal.subject, period, chars, requests=0)
                return Charge(principal, period, chars, None, self.tally)
            if not self.store.charge(principal.subject, period, chars, principal.chars_per_month, requests=0):
                raise AccessDenied("quota", f"the monthly quota of {principal.chars_per_month} characters is "
                                            "used up", retry_after=until_next_month)
        except SQLAlchemyError as exc:
            log.warning("usage database failed: job work admitted uncounted", extra={"error": type(exc).__name__})
            return Charge(principal, period, 0, None)
        return Charge(principal, period, chars, self.store)

    def job_payer(self) -> JobPayer:
        return JobPayer(self)

    def usage(self, principal: Principal) -> tuple[int, int]:
        """(characters used this month, the monthly limit) of a principal."""
        period, _ = month(self.clock())
        if self.tally is not None:
            self.tally.flush()
        used = self.store.usage(principal.subject, period)[0] if self.store is not None else 0
        return used, principal.chars_per_month or UNLIMITED


class JobPayer:
    """Charges a job's chunks to the key that posted it (``service.jobs.job_engine.Payer``)."""

    def __init__(self, access: Access) -> None:
        self.access = access

    def charge(self, owner: str, chars: int) -> Callable[[int], None]:
        principal = self.access.principal_of(owner)
        if principal is None:
            raise QuotaExhausted(f"the API key that posted the job ({owner}) is no longer valid")
        try:
            charge = self.access.charge_work(principal, chars)
        except AccessDenied as exc:
            raise QuotaExhausted(exc.message) from None

        def refund(failed: int) -> None:
            charge.chars = min(failed, charge.chars)
            charge.refund()

        return refund


def build_access(settings: Settings) -> Access:
    """The access policy over the service's database; says at start whether the API is open."""
    from service.storage.db import DatabaseUnavailable, ensure_schema, get_engine

    store: KeyStore | None = None
    try:
        engine = get_engine(settings.database_url)
        ensure_schema(engine)
        store = KeyStore(engine)
    except DatabaseUnavailable as exc:
        log.error("API key database unavailable: only NEWSBRIDGE_API_KEYS keys are accepted, "
                  "no quotas or rate limits are counted", extra={"error": str(exc)})
    access = Access(settings, store)
    try:
        closed = access.keys_configured()
    except Exception as exc:  # the database answered the schema check but not this query
        log.error("API key database unreadable", extra={"error": str(exc)})
        access.store, access.tally, closed = None, None, bool(settings.api_keys)
    if closed:
        log.info("API keys required", extra={"env_keys": len(settings.api_keys)})
    else:
        log.warning("no API keys configured: the API is open to anyone who can reach it "
                    "(set NEWSBRIDGE_API_KEYS or run `newsbridge keys create NAME`)")
    return access
