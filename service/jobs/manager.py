"""Runs HTTP jobs in the server process, on the batch engine (``run_batch``): resumable, durable.

Each job has a folder ``<jobs_dir>/<id>/`` with its ``input.jsonl`` (the posted body) and its
``results.jsonl`` (the batch output, with its ``.progress.json``). Worker threads claim jobs
from SQL (``JobStore.claim``); a job that was running when its server died is claimed again
(at once by a restarted server on the same host, after the lease by any other) and resumes
from its output, so every record is written exactly once. An exclusive lock on the job's
folder keeps two processes of one host from running it at the same time.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.batch.records import UsageProblem
from service.batch.runner import BatchOptions, Cancelled, run_batch
from service.jobs.callback_guard import CallbackGuard
from service.jobs.job_engine import JobBudget, JobEngine, Payer, QuotaExhausted, WorkBudget
from service.jobs.store import Job, JobStore
from service.jobs.webhook import deliver, payload
from service.settings import Settings, default_jobs_dir
from translators.give_way import GiveWay

if TYPE_CHECKING:
    from service.engines import Engines

log = logging.getLogger(__name__)
_INTERNAL_OPTIONS = ("base_url", "glossary_viewer")  # kept with the job, not shown in its status


def open_jobs(settings: Settings, engines: Engines, *, payer: Payer | None = None,
              admission: WorkBudget | None = None, ready: threading.Event | None = None,
              thread_init: Callable[[], None] | None = None, gate: GiveWay | None = None) -> JobManager:
    """The started job manager of a server (its schema checked): jobs are charged to their key
    through ``payer`` and admitted into ``admission``, the requests' budget; they start once
    ``ready`` is set (the models prepared); each job thread first runs ``thread_init`` (the work
    threads' priority); their work gives way to the interactive requests of ``gate``
    (translators.give_way). Raises ``DatabaseUnavailable`` when the database cannot hold jobs (the
    server runs without them and says why)."""
    from service.storage.db import ensure_schema, get_engine

    db = get_engine(settings.database_url)
    ensure_schema(db)
    manager = JobManager(settings, engines, JobStore(db), payer=payer, admission=admission, ready=ready,
                         thread_init=thread_init, gate=gate)
    manager.start()
    return manager


class JobManager:
    def __init__(self, settings: Settings, engines: Engines, store: JobStore, *, payer: Payer | None = None,
                 admission: WorkBudget | None = None, ready: threading.Event | None = None,
                 thread_init: Callable[[], None] | None = None, gate: GiveWay | None = None) -> None:
        self.settings = settings
        self.engines = engines
        self.store = store
        self.payer = payer
        self.admission = admission
        self.gate = gate
        self.ready = ready
        self.thread_init = thread_init
        self.root = Path(settings.jobs_dir or default_jobs_dir(settings.database_url))
        self.guard = CallbackGuard(settings.webhook_allow)  # where callbacks may go
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def _server_engines(self, settings: Settings) -> Engines:
        """A job runs on the server's engines (the models are loaded once per process)."""
        return self.engines

    # -- files -----------------------------------------------------------------------------------
    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def input_path(self, job_id: str) -> Path:
        return self.folder(job_id) / "input.jsonl"

    def results_path(self, job_id: str) -> Path:
        return self.folder(job_id) / "results.jsonl"

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.folder(job_id), ignore_errors=True)

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the job workers. The jobs folder is made when the first job is posted (a server
        that never runs one leaves no empty ``newsbridge-jobs/`` behind)."""
        for i in range(self.settings.job_workers):
            t = threading.Thread(target=self._loop, name=f"newsbridge-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        if self.settings.job_workers:
            threading.Thread(target=self._redeliver, name="newsbridge-webhooks", daemon=True).start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        if self.thread_init is not None:
            self.thread_init()  # e.g. below the event loop's priority, as the request work threads
        while self.ready is not None and not self.ready.wait(0.5):  # the models are being prepared
            if self._stop.is_set():
                return
        while not self._stop.is_set():
            try:
                job = self.store.claim(self.settings.job_lease_s)
            except Exception:
                log.exception("could not look for jobs")
                job = None
            if job is None:
                self._wake.wait(self.settings.job_poll_s)
                self._wake.clear()
                continue
            self._run_locked(job)

    # -- one job ---------------------------------------------------------------------------------
    def _run_locked(self, job: Job) -> None:
        with self._folder_lock(job.id) as locked:
            if not locked:  # another process of this host still runs it
                log.info("job busy elsewhere", extra={"job": job.id})
                return
            self.run(job)

    @contextmanager
    def _folder_lock(self, job_id: str) -> Iterator[bool]:
        path = self.folder(job_id) / ".lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def run(self, job: Job) -> None:
        opts = job.options
        options = BatchOptions(str(self.input_path(job.id)), str(self.results_path(job.id)),
                               source_lang=opts["source_lang"], target_lang=opts["target_lang"],
                               summarize=opts["summarize"], quality=opts.get("quality", "best"),
                               batch_records=self.settings.job_batch_records,
                               progress="none", glossary=opts.get("glossary"),
                               glossary_viewer=opts.get("glossary_viewer"))
        why = {"stop": ""}

        def on_progress(done: int, errors: int) -> bool:
            if self._stop.is_set():
                why["stop"] = "server stopping"
                return False
            if not self.store.progress(job.id, done, errors):
                why["stop"] = "cancelled"
                return False
            return True

        def stopping() -> str | None:
            if self._stop.is_set():
                why["stop"] = "server stopping"
            elif (now := self.store.get(job.id)) is None or now.cancel_requested:
                why["stop"] = "cancelled"
            return why["stop"] or None

        budget = JobBudget(self.payer, self.admission, job.api_key, self.settings.job_queue_share, stopping,
                           gate=self.gate)
        engine = JobEngine(self.engines, opts["target_lang"], opts["summarize"], budget, job.id,
                           quality=options.quality)
        log.info("job started", extra={"job": job.id, "done": job.done, "total": job.total})
        beat = threading.Event()
        threading.Thread(target=self._heartbeat, args=(job.id, beat), daemon=True).start()
        try:
            report = run_batch(options, self._server_engines, settings=self.settings, on_progress=on_progress,
                               engine=engine)
        except QuotaExhausted as exc:  # stopped; what it finished is kept in its results
            log.info("job stopped: quota", extra={"job": job.id, "error": str(exc)})
            finished = self.store.finish(job.id, "failed", error=f"quota_exceeded: {exc}; the records done so far "
                                                                 "are kept in the results")
        except Cancelled:
            if why["stop"] == "server stopping":  # left running: the next start takes it back
                log.info("job paused for shutdown", extra={"job": job.id})
                return
            finished = self.store.finish(job.id, "cancelled")
        except UsageProblem as exc:
            finished = self.store.finish(job.id, "failed", error=str(exc))
        except Exception as exc:
            log.exception("job failed", extra={"job": job.id})
            finished = self.store.finish(job.id, "failed", error=f"{type(exc).__name__}: {exc}")
        else:
            finished = self.store.finish(job.id, "succeeded", done=report.records, errors=report.errors)
            log.info("job finished", extra={"job": job.id, "records": report.records, "errors": report.errors})
        finally:
            beat.set()
        if finished is not None:
            self.notify(finished)

    def _heartbeat(self, job_id: str, done: threading.Event) -> None:
        while not done.wait(self.settings.job_lease_s / 4):
            with suppress(Exception):
                self.store.heartbeat(job_id)

    # -- callbacks -------------------------------------------------------------------------------
    def status(self, job: Job) -> dict[str, Any]:
        """The job as the API and the webhook show it."""
        return {"id": job.id, "state": job.state, "options": {k: v for k, v in job.options.items()
                                                                if k not in _INTERNAL_OPTIONS},
                "counts": {"total": job.total, "done": job.done, "errors": job.errors,
                           "translated": job.done - job.errors},
                "progress": round(job.done / job.total, 4) if job.total else 1.0,
                "created_at": job.created_at.isoformat(), "updated_at": job.updated_at.isoformat(),
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
                "error": job.error, "callback_url": job.callback_url, "webhook": _webhook_state(job.webhook),
                "results_url": f"{job.options.get('base_url', '/')}v1/jobs/{job.id}/results"}

    def notify(self, job: Job) -> None:
        """Deliver the completion webhook (signed); its failure is recorded, never raised."""
        if not job.callback_url or job.webhook != "pending":
            return
        secret = self.settings.webhook_secret
        if secret is None:
            log.error("webhook not sent: NEWSBRIDGE_WEBHOOK_SECRET is not set", extra={"job": job.id})
            self.store.set_webhook(job.id, "failed")
            return
        try:
            body = payload(f"job.{job.state}", self.status(job))
            result = deliver(job.callback_url, secret.get_secret_value(), f"msg_{job.id}", body,
                             attempts=self.settings.webhook_attempts, backoff_s=self.settings.webhook_backoff_s,
                             guard=self.guard)
        except Exception:  # a bad secret or URL: the job itself is done (the log says why)
            log.exception("webhook failed", extra={"job": job.id})
            result = "failed"
        self.store.set_webhook(job.id, result)

    def _redeliver(self) -> None:
        """Callbacks of jobs that finished while the server was going down."""
        try:
            for job in self.store.pending_webhooks():
                if self._stop.is_set():
                    return
                self.notify(job)
        except Exception:
            log.exception("could not redeliver pending webhooks")


def _webhook_state(stored: str | None) -> str | None:
    """What a client may read of a callback: pending, delivered or failed (never why: the far side's
    answer, or that an address did not answer, is the operator's, in the log)."""
    if stored is None or stored in ("pending", "delivered"):
        return stored
    return "failed"
