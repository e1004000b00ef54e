"""The Ray engine of ``newsbridge batch``: the same chunk processing on a Ray Data actor pool.

The driver keeps reading, ordering and writing (so resuming works as with the local engine).
Chunks stream from the reader in windows; each window is a ``ray.data.from_items`` dataset of
chunks, ``map_batches`` over an actor pool whose actors build the engines once per window and
hold the models. ``RAY_ADDRESS`` joins an existing cluster (the ``NEWSBRIDGE_*`` variables are
forwarded to it; use a shared PostgreSQL ``NEWSBRIDGE_DATABASE_URL`` there); otherwise a local
Ray instance is started.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from itertools import islice
from typing import TYPE_CHECKING, Any

from service.batch.records import BrokenInput, Record

if TYPE_CHECKING:
    import numpy as np

    from service.batch.runner import EnginesFactory, Outcome

log = logging.getLogger(__name__)

FORWARDED_ENV_PREFIXES = ("NEWSBRIDGE_", "HF_HUB_OFFLINE", "HF_HOME", "TRANSFORMERS_OFFLINE")


class ChunkWorker:
    """A Ray Data actor: builds the engines once, then translates one chunk per call."""

    def __init__(self, factory: EnginesFactory, target_lang: str, summarize: bool) -> None:
        self.engines = factory()
        self.target_lang = target_lang
        self.summarize = summarize

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        from service.batch.runner import process_chunk

        out: list[str] = []
        for payload in batch["records"]:
            records = [Record.from_dict(d) for d in json.loads(payload)]
            outcomes = process_chunk(self.engines, records, self.target_lang, self.summarize)
            out.append(json.dumps([asdict(o) for o in outcomes], ensure_ascii=False))
        return {"seq": list(batch["seq"]), "outcomes": out}


def bound_worker(factory: EnginesFactory, target_lang: str, summarize: bool) -> type[ChunkWorker]:
    """A ``ChunkWorker`` class with its arguments bound (pickled with the class, not put in
    the object store as constructor arguments)."""

    class BoundChunkWorker(ChunkWorker):
        def __init__(self) -> None:
            super().__init__(factory, target_lang, summarize)

    return BoundChunkWorker


def _forwarded_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIXES)}


def ensure_ray(workers: int) -> bool:
    """Join ``RAY_ADDRESS`` or start a local instance; True when this call started Ray."""
    import ray

    if ray.is_initialized():
        return False
    address = os.environ.get("RAY_ADDRESS")
    if address:
        db = os.environ.get("NEWSBRIDGE_DATABASE_URL", "")
        if not db or db.startswith("sqlite"):
            log.warning("on a Ray cluster each node gets its own SQLite cache; set NEWSBRIDGE_DATABASE_URL "
                        "to a shared PostgreSQL database")
        ray.init(address=address, runtime_env={"env_vars": _forwarded_env()}, log_to_driver=True)
    else:
        ray.init(num_cpus=max(workers, os.cpu_count() or 1), include_dashboard=False, log_to_driver=True,
                 configure_logging=False)
    return True


class RayEngine:
    """``map_chunks`` on Ray Data: windows of chunks, an actor pool of ``workers`` actors."""

    def __init__(self, factory: EnginesFactory, target_lang: str, summarize: bool, *, workers: int = 1,
                 window: int = 4096, batch_records: int = 64) -> None:
        import ray.data

        self.factory = factory
        self.target_lang = target_lang
        self.summarize = summarize
        self.workers = workers
        self.window = window
        self.batch_records = batch_records
        self.started = ensure_ray(workers)
        self._worker = bound_worker(factory, target_lang, summarize)
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)

    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        it = iter(chunks)
        per_window = max(1, self.window // self.batch_records)
        while True:
            window: list[list[Record]] = []
            try:
                window.extend(islice(it, per_window))
            except BrokenInput:  # translate what was read, then report the break
                yield from self._run_window(window)
                raise
            if not window:
                return
            yield from self._run_window(window)

    def _run_window(self, window: list[list[Record]]) -> Iterator[list[Outcome]]:
        import ray.data

        from service.batch.runner import Outcome

        if not window:
            return
        items = [{"seq": i, "records": json.dumps([r.to_dict() for r in chunk], ensure_ascii=False)}
                 for i, chunk in enumerate(window)]
        pool = ray.data.ActorPoolStrategy(size=min(self.workers, len(items)))
        ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            self._worker, batch_size=1, batch_format="numpy", compute=pool, num_cpus=1)
        pending: dict[int, list[Outcome]] = {}
        expect = 0
        for row in ds.iter_rows():  # in order (preserve_order); reordered anyway, to be safe
            pending[int(row["seq"])] = [Outcome(**d) for d in json.loads(row["outcomes"])]
            while expect in pending:
                outcomes = pending.pop(expect)
                if len(outcomes) != len(window[expect]):  # pragma: no cover - a broken worker
                    raise RuntimeError(f"chunk {expect}: {len(outcomes)} outcomes for "
                                       f"{len(window[expect])} records")
                yield outcomes
                expect += 1
        if expect != len(window):  # pragma: no cover
            raise RuntimeError(f"Ray returned {expect} of {len(window)} chunks")

    def close(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
