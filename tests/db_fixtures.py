"""Helpers for the cache-store tests that spawned worker processes must import."""

from __future__ import annotations

import random
from typing import Any

from service.storage.cache_store import SqlTranslationStore
from translators.cached import CacheEntry


def make_entries(n: int, *, model: str = "m@r#c|", source: str = "pl", target: str = "en",
                 prefix: str = "") -> list[CacheEntry]:
    """``n`` distinct entries with 64-hex keys (like ``cache_key``)."""
    return [CacheEntry(f"{prefix}{i:0{64 - len(prefix)}x}",
                       source, target, model, f"text {i}", 1 + i % 3) for i in range(n)]


def concurrent_writer(url: str, barrier: Any, seed: int, n: int) -> None:
    """One of several processes writing (then reading) the same ``n`` keys at the same time."""
    entries = make_entries(n)
    random.Random(seed).shuffle(entries)  # each writer in another order
    store = SqlTranslationStore(url, chunk_size=50)
    barrier.wait(timeout=60)
    for i in range(0, n, 100):  # several put_many calls, interleaving with the others
        store.put_many(entries[i:i + 100])
    found = store.get_many([e.key for e in entries])
    if len(found) != n:
        raise SystemExit(f"worker {seed}: read back {len(found)} of {n}")


def concurrent_upgrade(url: str, barrier: Any) -> None:
    """One of several processes starting at once, each upgrading the schema."""
    from service.storage import db

    barrier.wait(timeout=60)
    db.upgrade(url)
