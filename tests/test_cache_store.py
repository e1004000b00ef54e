"""The SQL translation cache: store, migrations, URLs, CLI — on SQLite and (when
NEWSBRIDGE_TEST_POSTGRES_URL is set, e.g. by ``source .ci/postgres.sh``) on PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import update
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from service.cli.cache import app, cache_app, db_app, parse_duration
from service.storage import db
from service.storage.cache_store import SqlTranslationStore
from tests.conftest import fresh_python
from tests.db_fixtures import concurrent_upgrade, concurrent_writer, make_entries
from translators.base import EngineInfo, Lang, ModelIdentity, Translation, describe_backend
from translators.cached import CachedTranslator, CacheEntry

PG_ENV = "NEWSBRIDGE_TEST_POSTGRES_URL"
W = TypeVar("W", BaseProcess, threading.Thread)
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    db.dispose_engines()


@pytest.fixture
def store(url: str) -> SqlTranslationStore:
    db.upgrade(url)
    return SqlTranslationStore(url)


def _age(url: str, keys: Sequence[str], days: float) -> None:
    """Pretend ``keys`` were last used ``days`` ago."""
    with db.unit_of_work(db.get_engine(url), write=True) as s:
        s.execute(update(db.CacheRow).where(db.CacheRow.key.in_(keys))
                  .values(last_used_at=datetime.now(UTC) - timedelta(days=days)))


class CountingTranslator:
    """A fake engine that records what reaches it."""

    def __init__(self, identity: ModelIdentity) -> None:
        self._identity = identity
        self.seen: list[str] = []

    def supports(self, source: Lang, target: Lang) -> bool:
        return True

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return self._identity

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return describe_backend(self, "counting", source, target)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        self.seen.extend(texts)
        return [Translation(f"[{target}] {t.upper()}", pieces=2 if len(t) > 20 else 1) for t in texts]


# --------------------------------------------------------------------------- store


def test_put_many_is_an_idempotent_upsert(store: SqlTranslationStore) -> None:
    entries = make_entries(30)
    store.put_many(entries + entries[:5])  # duplicates inside one batch
    changed = [CacheEntry(e.key, e.source, e.target, e.model, "other text", 9) for e in entries[:10]]
    store.put_many(changed)  # same keys again: first write wins, no error
    store.put_many(entries)
    got = store.get_many([e.key for e in entries])
    assert got == {e.key: e for e in entries}
    assert store.stats().rows == 30


def test_score_and_links_are_kept_and_filled_in_only_where_missing(store: SqlTranslationStore) -> None:
    """An entry keeps the confidence it was made with; word links a later request asked for are
    added to it (same text only); nothing else of an entry changes."""
    a, b, c = make_entries(3)
    links = ((0, 3, 0, 4), (4, 6, 5, 7))
    store.put_many([CacheEntry(a.key, a.source, a.target, a.model, a.text, score=0.61),
                    CacheEntry(b.key, b.source, b.target, b.model, b.text, score=None)])
    store.put_many([CacheEntry(a.key, a.source, a.target, a.model, a.text, score=0.99, alignment=links),
                    CacheEntry(b.key, b.source, b.target, b.model, "other text", score=0.5, alignment=links),
                    CacheEntry(c.key, c.source, c.target, c.model, c.text, score=0.25, alignment=links)])
    got = store.get_many([a.key, b.key, c.key])
    assert got[a.key].score == pytest.approx(0.61) and got[a.key].alignment == links
    assert got[b.key].text == b.text and got[b.key].score is None and got[b.key].alignment is None
    assert got[c.key].score == pytest.approx(0.25) and got[c.key].alignment == links


def test_get_many_returns_only_found_keys_and_marks_them_used(store: SqlTranslationStore) -> None:
    now = [datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]
    store.clock = lambda: now[0]
    entries = make_entries(3)
    store.put_many(entries)
    before = store.stats()
    assert before.hits == 0
    now[0] += timedelta(seconds=1)
    got = store.get_many([entries[0].key, entries[1].key, "f" * 64, entries[0].key])
    assert set(got) == {entries[0].key, entries[1].key}
    after = store.stats()
    assert after.hits == 2
    assert after.last_used is not None and before.last_used is not None
    assert after.last_used > before.last_used
    assert store.get_many([]) == {}


def _hits(url: str) -> dict[str, int]:
    """``hits`` per key as the database holds them (not through the store)."""
    from sqlalchemy import select

    with db.unit_of_work(db.get_engine(url)) as s:
        return {key: hits for key, hits in s.execute(select(db.CacheRow.key, db.CacheRow.hits))}


def test_reads_are_written_as_uses_together_not_one_write_per_read(url: str) -> None:
    db.upgrade(url)
    now = [datetime(2026, 11, 2, 9, 0, tzinfo=UTC)]
    store = SqlTranslationStore(url, touch_every=timedelta(seconds=5), clock=lambda: now[0])
    entries = make_entries(4)
    store.put_many(entries)
    a, b = entries[0].key, entries[1].key
    for _ in range(3):
        assert set(store.get_many([a, b])) == {a, b}
    assert _hits(url)[a] == 0  # counted in memory, nothing written yet
    now[0] += timedelta(seconds=5)
    store.get_many([a])  # the read that finds them due writes them all
    written = _hits(url)
    assert (written[a], written[b], written[entries[2].key]) == (4, 3, 0)
    store.get_many([b])
    assert _hits(url)[b] == 3
    assert store.stats().hits == 8  # stats writes what is pending first


def test_uses_are_written_once_chunk_size_keys_wait(url: str) -> None:
    db.upgrade(url)
    store = SqlTranslationStore(url, chunk_size=10, touch_every=timedelta(days=1))
    entries = make_entries(25)
    store.put_many(entries)
    store.get_many([e.key for e in entries[:9]])
    assert sum(_hits(url).values()) == 0
    store.get_many([entries[9].key])
    assert sum(_hits(url).values()) == 10


def test_prune_counts_the_reads_not_written_yet(url: str) -> None:
    db.upgrade(url)
    store = SqlTranslationStore(url, touch_every=timedelta(days=1))
    old = make_entries(3, prefix="a")
    store.put_many(old)
    _age(url, [e.key for e in old], days=40)
    store.get_many([old[0].key])  # read just now: pending, not written
    assert store.prune(timedelta(days=30)) == 2
    assert set(store.get_many([e.key for e in old])) == {old[0].key}


USES_AT_EXIT = """
import sys
from datetime import timedelta
from service.storage.cache_store import SqlTranslationStore
store = SqlTranslationStore(sys.argv[1], touch_every=timedelta(days=1))
assert len(store.get_many(sys.argv[2:])) == len(sys.argv[2:])
"""


def test_a_process_writes_its_pending_uses_as_it_exits(url: str) -> None:
    """A one-shot command (``newsbridge translate`` with cache hits) exits before any is due."""
    db.upgrade(url)
    SqlTranslationStore(url).put_many(make_entries(3))
    keys = [e.key for e in make_entries(3)][:2]
    fresh_python(USES_AT_EXIT, url, *keys)
    assert [_hits(url)[k] for k in keys] == [1, 1]


def _flush_in_child(store: SqlTranslationStore) -> None:
    store.flush_uses()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_child_does_not_write_its_parents_pending_uses(url: str) -> None:
    db.upgrade(url)
    store = SqlTranslationStore(url, touch_every=timedelta(days=1))
    entries = make_entries(2)
    store.put_many(entries)
    store.get_many([entries[0].key])  # pending in the parent
    # (with nothing to write, the child opens no connection of its parent's pool)
    child = multiprocessing.get_context("fork").Process(target=_flush_in_child, args=(store,))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert _hits(url)[entries[0].key] == 0  # the child wrote nothing of the parent's
    store.flush_uses()
    assert _hits(url)[entries[0].key] == 1


def test_get_and_put_chunk_long_key_lists(url: str) -> None:
    db.upgrade(url)
    store = SqlTranslationStore(url, chunk_size=7)
    entries = make_entries(100)
    store.put_many(entries)
    wanted = [e.key for e in entries] + [f"{i:064x}".replace("0", "e", 1) for i in range(50)]
    assert set(store.get_many(wanted)) == {e.key for e in entries}
    big = SqlTranslationStore(url)  # default chunks; more keys than one IN list should hold
    many = make_entries(3000, prefix="b")
    big.put_many(many)
    assert len(big.get_many([e.key for e in many])) == 3000


def test_concurrent_writers_same_keys(store: SqlTranslationStore, url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = run_together([ctx.Process(target=concurrent_writer, args=(url, barrier, seed, 500))
                          for seed in range(4)])
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    st = store.stats()
    assert st.rows == 500
    assert st.hits == 4 * 500  # every worker's read was recorded, none lost


def test_prune_deletes_entries_not_used_since(store: SqlTranslationStore, url: str) -> None:
    old, fresh = make_entries(10, prefix="a"), make_entries(5, prefix="b")
    other_model = make_entries(4, prefix="c", model="other@r#c|")
    store.put_many(old + fresh + other_model)
    _age(url, [e.key for e in old + other_model], days=40)
    assert store.prune(timedelta(days=30), model="other@r#c|") == 4
    assert store.prune(timedelta(days=60)) == 0
    assert store.prune(timedelta(days=30)) == 10
    assert set(store.get_many([e.key for e in old + fresh + other_model])) == {e.key for e in fresh}


def test_stats_counts_per_model_and_pair(store: SqlTranslationStore) -> None:
    empty = store.stats()
    assert (empty.rows, empty.hits, empty.oldest, empty.per_model) == (0, 0, None, {})
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    now = [t0]
    store.clock = lambda: now[0]
    store.put_many(make_entries(3, prefix="a", model="x", source="pl", target="en"))
    now[0] = t0 + timedelta(minutes=1)
    store.put_many(make_entries(2, prefix="b", model="y", source="lt", target="en"))
    now[0] = t0 + timedelta(minutes=2)
    store.put_many(make_entries(1, prefix="c", model="y", source="en", target="lt"))
    st = store.stats()
    assert st.rows == 6
    assert st.per_model == {"x": 3, "y": 3}
    assert st.per_pair == {"pl-en": 3, "lt-en": 2, "en-lt": 1}
    assert st.oldest is not None and st.newest is not None
    assert (st.oldest, st.newest) == (t0, t0 + timedelta(minutes=2))
    assert json.loads(json.dumps(st.to_dict()))["per_pair"]["pl-en"] == 3


def test_ping(store: SqlTranslationStore, tmp_path: Path) -> None:
    assert store.ping() is True
    no_schema = SqlTranslationStore(f"sqlite:///{tmp_path / 'empty.db'}")
    assert no_schema.ping() is False


# --------------------------------------------------------------------------- CachedTranslator


def test_cached_translator_over_sql_store(store: SqlTranslationStore, url: str) -> None:
    ident = ModelIdentity("Helsinki-NLP/opus-mt-pl-en", "main", "abc123", "beams=4")
    inner = CountingTranslator(ident)
    texts = ["Dzień dobry.", "Minister   powiedział: „Nie”.", "Dzień dobry.",
             "Bardzo długie zdanie numer trzy."]
    first = CachedTranslator(inner, store).translate_batch(texts, "pl", "en")
    assert [t.cached for t in first] == [False] * 4
    assert len(inner.seen) == 3  # the duplicate went to the model once

    db.dispose_engines()  # a new process, as far as the cache can tell
    inner.seen.clear()
    again = CachedTranslator(inner, SqlTranslationStore(url)).translate_batch(
        [*texts, "Minister powiedział: „Nie”."], "pl", "en")  # same segment, other whitespace
    assert inner.seen == []
    assert all(t.cached for t in again)
    assert [(t.text, t.pieces) for t in again[:4]] == [(t.text, t.pieces) for t in first]

    other = CountingTranslator(ModelIdentity("Helsinki-NLP/opus-mt-pl-en", "main", "def456", "beams=4"))
    miss = CachedTranslator(other, SqlTranslationStore(url)).translate_batch(texts, "pl", "en")
    assert not any(t.cached for t in miss) and len(other.seen) == 3
    assert CachedTranslator(inner, store).translate_batch(texts, "pl", "lt")[0].cached is False


def test_cached_translator_survives_an_unreachable_database() -> None:
    store = SqlTranslationStore("postgresql+psycopg://u:pw@127.0.0.1:1/x")
    inner = CountingTranslator(ModelIdentity("m", "r", "c"))
    cached = CachedTranslator(inner, store)
    out = cached.translate_batch(["Ala ma kota."], "pl", "en")
    assert out == [Translation("[en] ALA MA KOTA.")]
    assert cached.last_error is not None and store.ping() is False


# --------------------------------------------------------------------------- schema & URLs


def test_migrations_are_idempotent_and_match_the_models(url: str) -> None:
    assert db.current_revision(url) is None
    assert db.upgrade(url) == db.head_revision()
    SqlTranslationStore(url).put_many(make_entries(3))
    assert db.upgrade(url) == db.head_revision()  # second run: no error, data kept
    assert SqlTranslationStore(url).stats().rows == 3
    with db.get_engine(url).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": db.VERSION_TABLE})
        assert compare_metadata(ctx, db.Base.metadata) == []


def test_schema_head_is_alembics_head_and_a_current_database_needs_no_alembic(url: str) -> None:
    """``db.SCHEMA_HEAD`` names the newest migration (a new one must update it); a database at
    it is recognised without importing alembic, one behind it is not."""
    assert db.head_revision() == db.SCHEMA_HEAD
    assert not db.at_head(url)
    db.upgrade(url, "0006_glossaries")
    assert not db.at_head(url)
    db.upgrade(url)
    assert db.at_head(url)
    code = ("import sys; from service.storage import db; db.ensure_schema(sys.argv[1]); "
            "print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]


def test_concurrent_upgrades(url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    procs = run_together([ctx.Process(target=concurrent_upgrade, args=(url, barrier)) for _ in range(3)])
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert db.current_revision(url) == db.head_revision()


def run_together(workers: list[W]) -> list[W]:
    """Start every worker, then wait for each (two minutes at most)."""
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return workers


def test_new_sqlite_file_opened_at_once_by_many(tmp_path: Path) -> None:
    """Workers starting together on a new SQLite file each switch it to WAL. SQLite answers all
    but one of them "database is locked" at once (waiting could deadlock), so each connection
    retries the switch. Before it did, 4 of these 600 opens failed (CI saw the same race as a
    failed ``test_concurrent_upgrades``)."""
    failures: list[str] = []
    opened = 0
    lock = threading.Lock()

    def open_one(url: str, barrier: threading.Barrier) -> None:
        nonlocal opened
        engine = db.make_engine(url)
        barrier.wait(timeout=60)
        try:
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            with lock:
                opened += 1
                if mode != "wal":
                    failures.append(f"journal mode {mode}")
        except Exception as exc:
            with lock:
                failures.append(repr(exc))
        finally:
            engine.dispose()

    for round_ in range(150):
        url = f"sqlite:///{tmp_path / f'r{round_}.db'}"
        barrier = threading.Barrier(4)
        run_together([threading.Thread(target=open_one, args=(url, barrier)) for _ in range(4)])
    assert failures == []
    assert opened == 600


def test_wal_switch_retries_only_while_busy(tmp_path: Path) -> None:
    """``enable_wal`` retries a busy switch with a growing back-off until its timeout (injected
    clock), and never retries another error."""
    now = [0.0]
    naps: list[float] = []

    def sleep(s: float) -> None:
        naps.append(s)
        now[0] += s

    class Refusing:  # a cursor whose switch is refused as SQLite refuses it
        def __init__(self, error: str, code: int) -> None:
            self.error, self.code = error, code
            self.tries = 0

        def execute(self, sql: str) -> Any:
            if sql == "PRAGMA journal_mode":
                return sqlite3.connect(":memory:").execute("SELECT 'delete'")
            self.tries += 1
            exc = sqlite3.OperationalError(self.error)
            exc.sqlite_errorcode = self.code  # type: ignore[attr-defined]
            raise exc

    busy = Refusing("database is locked", sqlite3.SQLITE_BUSY)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db.enable_wal(busy, timeout_s=1.0, clock=lambda: now[0], sleep=sleep)
    assert busy.tries == len(naps) + 1 >= 5
    assert naps[:3] == [0.005, 0.01, 0.02] and max(naps) == 0.1
    assert now[0] <= 1.0
    other = Refusing("disk I/O error", sqlite3.SQLITE_IOERR)
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        db.enable_wal(other, timeout_s=1.0, clock=lambda: now[0], sleep=sleep)
    assert other.tries == 1
    real = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    db.enable_wal(real.cursor())
    assert real.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ensure_schema(url: str) -> None:
    engine = db.get_engine(url)
    if db.is_sqlite(url):  # the embedded default upgrades itself
        db.ensure_schema(engine)
        assert db.current_revision(url) == db.head_revision()
        return
    with pytest.raises(db.SchemaNotCurrent, match="newsbridge db upgrade"):
        db.ensure_schema(engine)
    db.upgrade(url)
    db.ensure_schema(engine)
    assert SqlTranslationStore(engine).ping()


@pytest.mark.parametrize("bad", ["not a url", "foo://x/y", "mysql://u@h/db", "postgresql+nodriver://u@h/db",
                                 "sqlite://", "sqlite:///:memory:"])
def test_broken_url_is_a_clear_config_error(bad: str) -> None:
    for call in (db.ensure_schema, db.get_engine, SqlTranslationStore):
        with pytest.raises(db.DatabaseConfigError, match=db.ENV_VAR):
            call(bad)


@pytest.mark.parametrize("given", ["postgres://u:p@h:5/d", "postgresql://u:p@h:5/d", "postgresql+psycopg://u:p@h:5/d"])
def test_postgres_urls_use_psycopg3(given: str) -> None:
    parsed = db.parse_url(given)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.port, parsed.database, parsed.password) == ("h", 5, "d", "p")


def test_unreachable_server_is_database_unavailable_fast() -> None:
    from sqlalchemy import event

    url = "postgresql+psycopg://u:s3cret-pw@127.0.0.1:1/x"
    attempts: list[object] = []
    event.listen(db.get_engine(url), "do_connect", lambda *args: attempts.append(args))
    with pytest.raises(db.DatabaseUnavailable) as err:
        db.ensure_schema(url)
    assert len(attempts) == 1  # one attempt (bounded by the connect timeout), no retry loop
    assert "s3cret-pw" not in str(err.value) and "127.0.0.1" in str(err.value)
    assert not isinstance(err.value, db.DatabaseConfigError)


def test_unusable_sqlite_file_is_database_unavailable(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(db.DatabaseUnavailable, match=r"garbage\.db"):
        db.ensure_schema(f"sqlite:///{garbage}")
    (tmp_path / "file").write_text("x")
    with pytest.raises(db.DatabaseUnavailable):  # its folder cannot be created
        db.ensure_schema(f"sqlite:///{tmp_path / 'file' / 'sub' / 'c.db'}")


def test_settings_object_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.settings import Settings

    monkeypatch.setenv(db.ENV_VAR, f"sqlite:///{tmp_path / 'set.db'}")
    db.ensure_schema(Settings())
    assert (tmp_path / "set.db").exists()


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(("text_", "expected"), [
    ("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("90m", timedelta(minutes=90)),
    ("2w", timedelta(weeks=2)), ("45s", timedelta(seconds=45)), ("1.5D", timedelta(hours=36)),
])
def test_parse_duration(text_: str, expected: timedelta) -> None:
    assert parse_duration(text_) == expected


def test_cli_upgrade_stats_prune(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv(db.ENV_VAR, url)  # no --url: read through Settings
    res = runner.invoke(db_app, ["upgrade"])
    assert res.exit_code == 0, res.output
    assert db.head_revision() in res.output and "upgraded" in res.output
    assert "already at" in runner.invoke(db_app, ["upgrade"]).output

    store = SqlTranslationStore(url)
    store.put_many(make_entries(4, prefix="a") + make_entries(2, prefix="b", model="y"))
    _age(url, [e.key for e in make_entries(4, prefix="a")], days=10)

    res = runner.invoke(cache_app, ["stats", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert (data["rows"], data["per_model"]) == (6, {"m@r#c|": 4, "y": 2})
    assert "per pair" in runner.invoke(cache_app, ["stats"]).output

    res = runner.invoke(cache_app, ["prune", "--older-than", "1w", "--url", url])
    assert res.exit_code == 0, res.output
    assert "deleted 4" in res.output
    assert store.stats().rows == 2

    res = runner.invoke(cache_app, ["prune", "--older-than", "3 fortnights"])
    assert res.exit_code == 2 and "30d" in res.output


def test_cli_reports_bad_and_unreachable_databases() -> None:
    runner = CliRunner()
    res = runner.invoke(cache_app, ["stats", "--url", "foo://nowhere"])
    assert res.exit_code == 2 and db.ENV_VAR in res.output
    res = runner.invoke(db_app, ["upgrade", "--url", "postgresql://u:pw@127.0.0.1:1/x"])
    assert res.exit_code == 1 and "cannot connect" in res.output
    assert runner.invoke(app(), ["db", "current", "--url", "postgresql://u:pw@127.0.0.1:1/x"]).exit_code == 1


def test_cli_as_a_process(tmp_path: Path) -> None:
    env = {**os.environ, db.ENV_VAR: f"sqlite:///{tmp_path / 'cli' / 'c.db'}",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "service.cli.cache", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    up = run("db", "upgrade")
    assert up.returncode == 0, up.stderr
    stats = run("cache", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["rows"] == 0
    assert run("db", "current").returncode == 0
    assert make_url(env[db.ENV_VAR]).database and (tmp_path / "cli" / "c.db").exists()
