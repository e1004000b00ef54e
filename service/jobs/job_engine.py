"""A job's chunks under the server's budget: charged to the job's key, admitted like requests.

Each chunk of a job (``NEWSBRIDGE_JOB_BATCH_RECORDS`` records), before it runs:

- its characters are **charged to the key that posted the job** (its monthly quota, atomically,
  through a ``Payer``: the HTTP layer's access policy); a chunk the quota cannot hold stops the job
  (``QuotaExhausted``): what it finished before stays in its results;
- it is **admitted into the server's work budget** (``service.http.admission.Admission``) as a
  request is, but only within ``NEWSBRIDGE_JOB_QUEUE_SHARE`` of it: it waits while requests need
  the room, and never makes a request answer ``overloaded``;
- it runs under a ``CancelToken`` of its own, so the coalescer shares model batches between it and
  the requests fairly (shortest-remaining first: an editor's sentence waits for at most the model
  batch in flight), and a cancelled job's queued texts are dropped.

The characters of records that end as errors are refunded, as a failed request's are. A record
whose model is still being converted (``model_converting``) is not an error for a job: the chunk
waits and runs again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from service.batch.chunks import EngineStats, Outcome, process_chunk
from service.batch.records import Record
from service.batch.runner import Cancelled
from translators.cancellation import CancelToken, bind
from translators.give_way import GiveWay, bulk

if TYPE_CHECKING:
    from service.engines import Engines

log = logging.getLogger(__name__)

_CONVERTING = "model_converting"
Refund = Callable[[int], None]  # gives back characters charged for records that failed


class QuotaExhausted(Exception):
    """The job's key cannot pay for its next chunk: the job stops, its finished records kept."""


class Payer(Protocol):
    """Charges a job's characters to its owner (the HTTP layer's access policy implements it)."""

    def charge(self, owner: str, chars: int) -> Refund | None:
        """Charge ``chars`` to ``owner``'s quota; raises ``QuotaExhausted`` when it cannot pay."""
        ...


class WorkBudget(Protocol):
    """The server's budget of admitted work (``service.http.admission.Admission``)."""

    def admit_background(self, chars: int, ticket: CancelToken, share: float, wait_s: float) -> bool: ...

    def release(self, chars: int, ticket: CancelToken, seconds: float) -> None: ...


@dataclass
class JobBudget:
    """Where a job's chunks are charged and admitted; ``stopping`` says why to stop waiting (or None)."""

    payer: Payer | None
    admission: WorkBudget | None
    owner: str | None  # the principal's subject (``key:NAME`` / ``env:...``); None: nobody is charged
    share: float
    stopping: Callable[[], str | None]
    poll_s: float = 0.25
    gate: GiveWay | None = None  # the job's work gives way to this gate's interactive requests

    def charge(self, chars: int) -> Refund | None:
        if self.payer is None or self.owner is None:
            return None
        return self.payer.charge(self.owner, chars)

    def admit(self, chars: int, ticket: CancelToken) -> None:
        """Wait for room in the server's work budget (raises ``Cancelled`` when the job must stop)."""
        if self.admission is None:
            return
        while not self.admission.admit_background(chars, ticket, self.share, self.poll_s):
            why = self.stopping()
            if why:
                raise Cancelled(why)

    def release(self, chars: int, ticket: CancelToken, seconds: float) -> None:
        if self.admission is not None:
            self.admission.release(chars, ticket, seconds)


def _error_type(outcome: Outcome) -> str | None:
    if not outcome.error:
        return None
    try:
        return str(json.loads(outcome.line)["error"]["type"])
    except (ValueError, KeyError, TypeError):
        return None


class JobEngine:
    """``ChunkEngine`` of one HTTP job: the server's engines, each chunk under the job's budget."""

    def __init__(self, engines: Engines, target_lang: str, summarize: bool, budget: JobBudget, job_id: str, *,
                 quality: str = "best", sleep: Callable[[float], bool] | None = None) -> None:
        self.engines = engines
        self.target_lang = target_lang
        self.summarize = summarize
        self.quality = quality  # the model tier: best or fast
        self.budget = budget
        self.job_id = job_id
        self.stats = EngineStats()
        self._sleep = sleep or threading.Event().wait  # returns when the time is up (injectable)

    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        for chunk in chunks:
            chars = sum(len(r.text or "") for r in chunk if r.error is None)
            refund = self.budget.charge(chars)  # QuotaExhausted: nothing of this chunk runs
            outcomes = self._run(chunk, chars)
            if refund is not None:
                failed = sum(len(r.text or "") for r, o in zip(chunk, outcomes, strict=True)
                             if r.error is None and o.error)
                if failed:
                    refund(failed)
            self.stats.nodes["server"] += 1
            yield outcomes

    def _run(self, chunk: list[Record], chars: int) -> list[Outcome]:
        while True:
            ticket = CancelToken(f"job-{self.job_id}")
            self.budget.admit(chars, ticket)
            started = time.monotonic()
            try:
                with bind(ticket), bulk(self.budget.gate):
                    outcomes = process_chunk(self.engines, chunk, self.target_lang, self.summarize, self.quality)
            finally:
                self.budget.release(chars, ticket, time.monotonic() - started)
            if not any(_error_type(o) == _CONVERTING for o in outcomes):
                return outcomes
            log.info("job waits for a model being converted", extra={"job": self.job_id})
            why = self.budget.stopping()
            if why:
                raise Cancelled(why)
            self._sleep(2.0)

    def collect_stats(self) -> EngineStats:
        return self.stats

    def close(self) -> None:
        pass
