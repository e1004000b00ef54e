"""The Ray engine of ``newsbridge batch``: the same ``process_chunk`` on long-lived Ray actors.

- ``workers`` actors are created once per run and kept to the end; each builds the engines
  once, so each model is loaded once per actor per run (``model_loads`` in the report).
- Each actor asks Ray for ``cpus_per_worker`` CPUs and runs exactly that many threads.
- The driver keeps reading, ordering and writing (resuming works as with the local engine) and
  has at most ``in_flight`` chunks per actor outstanding: memory stays flat in the input's size.
- A chunk whose actor died (its node lost) is sent to a surviving actor; every chunk is
  written once, in order. Replacement actors are started when the cluster has room.

The actors receive the run's settings explicitly (pickled with the engines factory), with their
thread counts planned from their CPUs: they read no ``NEWSBRIDGE_*`` variable of their own.
``RAY_ADDRESS`` joins an existing cluster (the Hugging Face variables are forwarded); a cluster
of more than one node needs a shared cache, so an SQLite cache is refused there. Without it a
local Ray instance gets this machine's cores, no more.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from service.batch.chunks import EnginesFactory, EngineStats, Outcome, process_chunk
from service.batch.records import BrokenInput, Record, UsageProblem
from service.settings import Settings

log = logging.getLogger(__name__)

FORWARDED_ENV_PREFIXES = ("HF_HUB_OFFLINE", "HF_HOME", "TRANSFORMERS_OFFLINE")


def actor_threads(cpus: int, backend: str) -> tuple[int, int]:
    """(intra, inter) threads for an actor given ``cpus`` CPUs: never more threads than CPUs."""
    cpus = max(1, cpus)
    inter = 2 if backend == "ctranslate2" and cpus >= 2 else 1
    return max(1, cpus // inter), inter


def actor_settings(settings: Settings, cpus: int) -> Settings:
    """The settings an actor of ``cpus`` CPUs builds its engines with: its own thread plan."""
    intra, inter = actor_threads(cpus, settings.backend)
    return settings.model_copy(update={"intra_threads": intra, "inter_threads": inter, "workers": 1})


class ChunkActor:
    """One Ray actor: builds the engines once from the settings it is given (its thread plan
    included), then translates one chunk per call."""

    def __init__(self, factory: EnginesFactory, settings: Settings, target_lang: str, summarize: bool,
                 quality: str = "best") -> None:
        import ray

        ctx = ray.get_runtime_context()
        self.node = ctx.get_node_id()
        self.threads = settings.intra_threads * settings.inter_threads
        self.engines = factory(settings)
        self.target_lang, self.summarize, self.quality = target_lang, summarize, quality
        self.chunks = 0
        log.info("ray actor ready", extra={"node": self.node, "threads": self.threads})

    def run(self, records: list[dict[str, Any]]) -> tuple[str, list[tuple[str, bool, int]]]:
        outcomes = process_chunk(self.engines, [Record.from_dict(d) for d in records], self.target_lang,
                                 self.summarize, self.quality)
        self.chunks += 1
        return self.node, [(o.line, o.error, o.cache_hits) for o in outcomes]

    def stats(self) -> dict[str, Any]:
        import resource

        from translators.pair_models import model_loads

        return {"node": self.node, "pid": os.getpid(), "chunks": self.chunks, "threads": self.threads,
                "model_loads": model_loads(),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _forwarded_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIXES)}


def ensure_ray() -> bool:
    """Join ``RAY_ADDRESS`` or start a local instance with this machine's cores; True when
    this call started (and so must stop) Ray."""
    import ray

    if ray.is_initialized():
        return False
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, runtime_env={"env_vars": _forwarded_env()}, log_to_driver=True,
                 configure_logging=False)
    else:
        ray.init(num_cpus=len(os.sched_getaffinity(0)), include_dashboard=False, log_to_driver=True,
                 configure_logging=False)
    return True


def check_shared_cache(settings: Settings) -> int:
    """The number of alive nodes; refuse an SQLite cache when there is more than one."""
    import ray

    from service.storage.db import describe, is_sqlite

    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    if nodes > 1 and settings.cache_enabled and is_sqlite(settings.database_url):
        raise UsageProblem(
            f"this Ray cluster has {nodes} nodes, and the cache is the SQLite file {describe(settings.database_url)}: "
            "each node would write its own copy. Set NEWSBRIDGE_DATABASE_URL to a PostgreSQL database that every "
            "node reaches (and run `newsbridge db upgrade` once), or NEWSBRIDGE_CACHE_ENABLED=false")
    return nodes


@dataclass
class _Actor:
    handle: Any
    outstanding: int = 0
    alive: bool = True


class _Run:
    """One ``map_chunks``: the chunks read and not yet written, in order, and their Ray tasks."""

    def __init__(self, engine: RayEngine, chunks: Iterator[list[Record]]) -> None:
        self.engine = engine
        self.chunks = chunks
        self.pending: dict[Any, tuple[int, _Actor]] = {}  # task -> (chunk number, its actor)
        self.held: dict[int, list[Record]] = {}  # submitted, not yet written
        self.done: dict[int, list[Outcome]] = {}
        self.submitted = self.written = 0
        self.broken: BrokenInput | None = None
        self.exhausted = False

    def fill(self) -> None:
        """Read and submit chunks until ``in_flight`` per actor are out (or the input ends)."""
        while not self.exhausted and self.submitted - self.written < self.engine.depth * self.engine.workers:
            try:
                self.held[self.submitted] = next(self.chunks)
            except StopIteration:
                self.exhausted = True
                break
            except BrokenInput as exc:  # translate what was read, then report the break
                self.broken, self.exhausted = exc, True
                break
            self.submit(self.submitted)
            self.submitted += 1

    def submit(self, seq: int) -> None:
        actor = self.engine._pick()
        task = actor.handle.run.remote([r.to_dict() for r in self.held[seq]])
        actor.outstanding += 1
        self.pending[task] = (seq, actor)

    def ready_in_order(self) -> Iterator[list[Outcome]]:
        while self.written in self.done:
            self.held.pop(self.written)
            yield self.done.pop(self.written)
            self.written += 1

    def finished(self) -> bool:
        return self.written == self.submitted and self.exhausted

    def collect_one(self) -> None:
        """Wait for a task; a chunk whose actor died goes to another actor."""
        import ray
        from ray.exceptions import RayActorError

        ready, _ = ray.wait(list(self.pending), num_returns=1)
        for task in ready:
            seq, actor = self.pending.pop(task)
            actor.outstanding -= 1
            try:
                node, rows = ray.get(task)
            except RayActorError as exc:
                self.engine._lost(actor, exc)
                self.engine.stats.retried_chunks += 1
                self.submit(seq)
                continue
            if len(rows) != len(self.held[seq]):  # pragma: no cover - a broken worker
                raise RuntimeError(f"chunk {seq}: {len(rows)} outcomes for {len(self.held[seq])} records")
            self.engine.stats.nodes[node] += 1
            self.done[seq] = [Outcome(*row) for row in rows]


class RayEngine:
    """``map_chunks`` over ``workers`` long-lived actors, at most ``in_flight`` chunks each
    (``quiet``: the actors print no model-loading bars)."""

    def __init__(self, factory: EnginesFactory, target_lang: str, summarize: bool, *, settings: Settings,
                 workers: int = 1, cpus_per_worker: int = 1, in_flight: int = 2, quiet: bool = False,
                 quality: str = "best") -> None:
        import ray

        self.started = ensure_ray()
        try:
            self.nodes = check_shared_cache(settings)
        except UsageProblem:
            self.close()
            raise
        total = int(ray.cluster_resources().get("CPU", 0))
        fit = max(1, total // cpus_per_worker)
        if workers > fit:
            log.warning("the Ray cluster has %d CPUs: %d workers of %d CPUs, not %d", total, fit, cpus_per_worker,
                        workers)
        self.workers = min(workers, fit)
        self.cpus = cpus_per_worker
        self.depth = max(1, in_flight)
        self.stats = EngineStats(actors=0)
        settings = actor_settings(settings, cpus_per_worker)
        env = {**_forwarded_env(), "OMP_NUM_THREADS": str(settings.intra_threads)}  # before torch is imported
        if quiet:  # no model-loading bars from the actors either (--no-progress)
            env["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        self._remote = ray.remote(ChunkActor).options(num_cpus=cpus_per_worker, max_restarts=0, max_task_retries=0,
                                                      runtime_env={"env_vars": env})
        self._args = (factory, settings, target_lang, summarize, quality)
        self.actors = [self._start_actor() for _ in range(self.workers)]

    def _start_actor(self) -> _Actor:
        self.stats.actors += 1
        return _Actor(self._remote.remote(*self._args))

    def _pick(self) -> _Actor:
        live = [a for a in self.actors if a.alive]
        if not live:
            raise RuntimeError("every Ray worker of this run was lost; run the same command again to resume")
        return min(live, key=lambda a: a.outstanding)

    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        run = _Run(self, iter(chunks))
        while True:
            run.fill()
            yield from run.ready_in_order()
            if run.finished():
                break
            if run.pending:
                run.collect_one()
        if run.broken is not None:
            raise run.broken

    def _lost(self, actor: _Actor, exc: BaseException) -> None:
        import ray

        if not actor.alive:
            return
        actor.alive = False
        self.stats.lost += 1
        log.warning("a Ray worker was lost (%s); its chunks go to the others", type(exc).__name__)
        if ray.available_resources().get("CPU", 0) >= self.cpus:
            self.actors.append(self._start_actor())

    def collect_stats(self) -> EngineStats:
        """Ask the live actors for their model loads (those that died took theirs along)."""
        import ray

        for actor in self.actors:
            if not actor.alive:
                continue
            try:
                s = ray.get(actor.handle.stats.remote(), timeout=30)
            except Exception as exc:
                log.warning("no stats from a Ray worker: %s", exc)
                continue
            self.stats.model_loads += s["model_loads"]
            self.stats.worker_peak_rss_mib = max(self.stats.worker_peak_rss_mib, s["peak_rss_mib"])
            log.info("ray actor done", extra=s)
        return self.stats

    def close(self) -> None:
        import ray

        for actor in getattr(self, "actors", []):
            if actor.alive:
                ray.kill(actor.handle)
        if self.started:
            ray.shutdown()
