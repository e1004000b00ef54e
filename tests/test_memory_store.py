"""``TranslationMemory`` on SQLite and PostgreSQL (the ``url`` fixture runs each test on both):
entries, history, the one-approved-entry rule, exact and fuzzy lookups, imports that write all or
nothing; and the pipeline's guard around it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from service.errors import (
    EmptyText,
    InvalidRequest,
    MemoryConflict,
    MemoryUnavailable,
    TextTooLarge,
    UnsupportedLanguage,
)
from service.storage import db
from service.storage.memory_store import (
    BUCKET_READ,
    GuardedMemory,
    NewEntry,
    TranslationMemory,
    fuzzy_keys,
    memory_text,
    similarity,
)

APPEAL = "Apelujemy o niepowielanie niesprawdzonych informacji."


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 12, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def memory(url: str) -> TranslationMemory:
    db.upgrade(url)
    return TranslationMemory(url, max_chars=500, clock=Clock())


def test_normalized_form_folds_typography_not_content() -> None:
    assert memory_text("  „Sytuacja”\u00a0jest – pod   kontrolą…\n") == '"Sytuacja" jest - pod kontrolą...'
    assert memory_text("23 osoby") != memory_text("25 osób") and memory_text("A") != memory_text("a")
    assert similarity("Ala ma kota.", "Ala ma psa.") < 100 == similarity("x", "x")
    keys = fuzzy_keys(memory_text(APPEAL), "pl", "en")
    assert 2 + 1 <= len(keys) <= 2 * 6 and keys == sorted(keys)  # stems and pairs of neighbouring stems
    assert keys != fuzzy_keys(memory_text(APPEAL), "pl", "lt")  # per pair


def test_entries_history_and_one_approved_entry_per_source(memory: TranslationMemory) -> None:
    a, created = memory.add("pl", "en", APPEAL, "First.", who="anna")
    assert created and a.status == "approved" and a.who == "anna"
    same, created = memory.add("pl", "en", f" {APPEAL}  ", "Second.", who="chief")
    assert not created and same.id == a.id and same.target == "Second." and same.who == "chief"
    unchanged, created = memory.add("pl", "en", APPEAL, "Second.", who="chief")
    assert created is None and unchanged.id == a.id
    suggestion, created = memory.add("pl", "en", APPEAL, "Third.", status="suggested", who="anna")
    assert created and suggestion.id != a.id
    approved = memory.approve(suggestion.id, who="chief")  # merges into the approved entry
    assert approved.id == a.id and approved.target == "Third."
    assert memory.search(status="suggested").total == 0
    assert [(r.action, r.target) for r in memory.history(a.id)] == [
        ("approve", "Third."), ("edit", "Second."), ("create", "First.")]
    assert [r.action for r in memory.history(suggestion.id)] == ["approve", "create"]
    other, _ = memory.add("pl", "en", "Granica jest zamknięta.", "The border is closed.")
    with pytest.raises(MemoryConflict):
        memory.update(other.id, who="x", source=APPEAL)
    scoped = memory.update(other.id, who="x", scope="sport")
    assert scoped.scope == "sport" and memory.update(other.id, who="x", scope=None).scope is None
    pending, _ = memory.add("pl", "en", "Nikt nie został ranny.", "Nobody hurt.", status="suggested")
    with pytest.raises(InvalidRequest):
        memory.reject(a.id, who="x")
    memory.reject(pending.id, who="chief")
    memory.delete(other.id, who="chief")
    assert memory.count() == 1
    assert memory.history(pending.id)[0].action == "reject" and memory.history(other.id)[0].action == "delete"


def test_exact_lookup_prefers_the_scope_and_needs_approval(memory: TranslationMemory) -> None:
    memory.add("pl", "en", APPEAL, "Global.")
    memory.add("pl", "en", APPEAL, "Sport.", scope="sport")
    memory.add("pl", "en", "Granica jest zamknięta.", "Only a suggestion.", status="suggested")
    memory.add("pl", "lt", APPEAL, "Lietuviškai.")
    queries = [(APPEAL, "pl", "en", None), (APPEAL.replace(" ", "  "), "pl", "en", "sport"),
               (APPEAL, "pl", "en", "news"), (APPEAL, "pl", "lt", None), ("Granica jest zamknięta.", "pl", "en", None),
               (APPEAL, "lt", "en", None)]
    found = memory.exact(queries)
    assert {q: e.target for q, e in found.items()} == {
        queries[0]: "Global.", queries[1]: "Sport.", queries[2]: "Global.", queries[3]: "Lietuviškai."}


def test_fuzzy_finds_close_entries_among_many(memory: TranslationMemory) -> None:
    target, _ = memory.add("pl", "en", APPEAL, "We ask you not to spread unverified information.")
    # a flood of entries sharing the common words: the match must still come first
    items = [NewEntry("pl", "en", f"Apelujemy o spokój w sprawie numer {i} dotyczącej informacji.", f"Appeal {i}.")
             for i in range(BUCKET_READ + 50)]
    memory.import_many(items, origin="api")
    memory.add("pl", "lt", APPEAL, "Kitoje poroje.")
    close, unrelated, short = memory.fuzzy([
        ("Apelujemy o niepowielanie sprawdzonych informacji.", "pl", "en", None),
        ("Premier zwołał posiedzenie rządu w sprawie granicy.", "pl", "en", None),
        ("Tak.", "pl", "en", None)], threshold=75, limit=3)
    assert close and close[0].entry.id == target.id and 75 <= close[0].score < 100
    assert all(m.entry.target_lang == "en" and m.score >= 75 for m in close)
    assert unrelated == [] and short == []
    assert memory.fuzzy([("Apelujemy o niepowielanie sprawdzonych informacji.", "pl", "en", None)],
                        threshold=99) == [[]]


def test_import_writes_all_or_nothing(memory: TranslationMemory) -> None:
    good = NewEntry("pl", "en", "Dobrze.", "Good.")
    for bad, error in [(NewEntry("pl", "en", " ", "x"), EmptyText),
                       (NewEntry("pl", "de", "a", "b"), UnsupportedLanguage),
                       (NewEntry("pl", "en", "x" * 501, "b"), TextTooLarge),
                       (NewEntry("pl", "pl", "a", "b"), InvalidRequest)]:
        with pytest.raises(error, match="entry 2"):
            memory.import_many([good, bad])
    assert memory.count() == 0
    report = memory.import_many([good, NewEntry("pl", "en", "Źle.", "Bad.", status="suggested", scope="sport")])
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert memory.search(status="suggested").entries[0].scope == "sport"
    stripped, _ = memory.add("pl", "en", "Tab\there\x0bvt.", "ok\x01")
    assert stripped.source == "Tab\there vt." and stripped.target == "ok"  # XML cannot carry \x0b, \x01


def test_concurrent_approvals_of_one_source_make_one_entry(memory: TranslationMemory) -> None:
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def writer(i: int) -> None:
        barrier.wait()
        ids.append(memory.add("pl", "en", APPEAL, f"Version {i}.", who=f"w{i}")[0].id)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    assert memory.search(status="approved").total == 1
    assert len(memory.history(ids[0])) == 4  # one create, three edits: nothing lost


def test_the_guard_skips_a_failing_memory_without_waiting() -> None:
    class Down:
        calls = 0

        def exact(self, queries):
            Down.calls += 1
            raise OSError("database is down")

        def fuzzy(self, queries, *, threshold=75, limit=3):
            stuck.wait(30)  # a database that does not answer, until the test lets it go
            return [[] for _ in queries]

    stuck = threading.Event()
    guard = GuardedMemory(Down(), timeout_s=0.2, failures=2, reset_s=60)  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(OSError):
            guard.exact([("a", "pl", "en", None)])
    with pytest.raises(MemoryUnavailable):
        guard.exact([("a", "pl", "en", None)])  # the circuit is open: no call at all
    assert Down.calls == 2
    assert not guard.health().ok and "translation memory" in guard.health().detail
    slow = GuardedMemory(Down(), timeout_s=0.2, failures=5, reset_s=60)  # type: ignore[arg-type]
    try:
        with pytest.raises(MemoryUnavailable, match="did not answer"):
            slow.fuzzy([("a", "pl", "en", None)])
    finally:
        stuck.set()
