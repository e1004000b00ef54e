"""``create_app(settings, ...)``: the FastAPI application. Engines are built in the lifespan."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from service.engines import Engines, build_engines
from service.http.access import build_access
from service.http.access_gate import NativeAccessMiddleware
from service.http.admission import Admission, WorkRunner, lower_priority
from service.http.compat_common import MEMORY_HEADER, UNTRANSLATED_HEADER
from service.http.compat_deepl import router as deepl_router
from service.http.compat_deepl_glossaries import router as deepl_glossaries_router
from service.http.compat_libretranslate import router as libretranslate_router
from service.http.deepl_errors import DeepLErrorShape
from service.http.editor import router as editor_router
from service.http.glossaries import build_glossaries
from service.http.glossaries import router as glossaries_router
from service.http.health import router as health_router
from service.http.jobs import router as jobs_router
from service.http.lifecycle import Lifecycle
from service.http.memory_api import router as memory_router
from service.http.middleware import BodyLimit, RequestContext
from service.http.problems import PROBLEM_JSON, error_response, install_handlers, problem_response
from service.http.routes import router
from service.http.state import AppState, Running
from service.jobs.manager import open_jobs
from service.logs import configure_logging
from service.memory import tune_allocator
from service.metrics import Metrics
from service.settings import Settings
from service.storage.db import DatabaseUnavailable
from translators.registry import language_list

__all__ = ["PROBLEM_JSON", "create_app", "problem_response"]
log = logging.getLogger(__name__)


def _server_engines(settings: Settings) -> Engines:
    """A server's engines: a CTranslate2 model not converted yet converts in the background
    (its requests get 503 ``model_converting``), never inside a request."""
    return build_engines(settings, background_conversion=True)


def start_warm_up(engines: Engines, nice: int) -> threading.Event:
    """Run ``engines.warm_up()`` (conversion, loading, first decodes, the detector) in a thread
    below the event loop's priority; the returned event is set when it is over (``/readyz`` says
    ``starting`` until then). The same thread then warms the summarizer up, after the event: a
    translation does not need it, and a summary request in that fraction of a second waits for the
    import in progress rather than failing."""
    done = threading.Event()

    def run() -> None:
        lower_priority(nice)
        started = time.perf_counter()
        try:
            engines.warm_up()
        except Exception:  # the engines report what failed; the server serves what it can
            log.exception("warm-up failed")
        finally:
            done.set()
            log.info("models ready", extra={"seconds": round(time.perf_counter() - started, 2),
                                            "loaded": engines.translator.describe().backend.loaded_pairs})
        try:
            engines.warm_up_summarizer()
        except Exception:
            log.exception("summarizer warm-up failed")
        finally:
            gc.collect()
            gc.freeze()  # the models' and libraries' objects, as the start-up's above

    threading.Thread(target=run, name="newsbridge-warm-up", daemon=True).start()
    return done


def create_app(settings: Settings | None = None, *, engines: Engines | None = None,
               engine_factory: Callable[[Settings], Engines] | None = None) -> FastAPI:
    """Build the app. ``engines`` (ready-made) or ``engine_factory`` replace the default
    ``build_engines(settings, background_conversion=True)``; either way nothing heavy happens
    before start-up."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    state = AppState(settings, Metrics())
    build = (lambda _: engines) if engines is not None else (engine_factory or _server_engines)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.running = _start(state, build)
        try:
            yield
        finally:
            _stop(state.running)
            state.running = None

    app = FastAPI(
        title="newsbridge",
        version="0.1.0",
        summary=f"Translation and summarization for newsrooms ({language_list()}), with quotes kept aligned.",
        lifespan=lifespan,
    )
    app.state.newsbridge = state
    for r in (router, libretranslate_router, deepl_router, deepl_glossaries_router, glossaries_router, jobs_router,
              memory_router, health_router, editor_router):
        app.include_router(r)
    install_handlers(app, state.metrics)
    _add_middleware(app, settings, state.metrics)
    return app


def _start(state: AppState, build: Callable[[Settings], Engines]) -> Running:
    """What start-up builds, in order: the work runner and lifecycle, the engines (warmed up in the
    background with ``NEWSBRIDGE_PRELOAD``), the access policy, the glossaries, the job manager."""
    settings, metrics = state.settings, state.metrics
    tune_allocator()  # before the worker threads exist (service/memory.py)
    # Hand the GIL on every 1 ms (default 5): with worker threads running Python, the event
    # loop thread waits for it once per switch, and /healthz must not wait behind them.
    sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
    admission = Admission(settings.max_queue_chars, settings.max_queue_requests)
    lifecycle = Lifecycle(settings.shutdown_grace, on_expire=admission.cancel_all)
    lifecycle.attach(asyncio.get_running_loop())
    work = WorkRunner(admission, lifecycle, settings.work_threads, settings.request_timeout,
                      nice=settings.work_nice, interactive_chars=settings.interactive_chars)
    metrics.watch_queue(admission)
    metrics.watch_gate(work.gate)
    engines = build(settings)
    metrics.watch_engines(engines)
    access = build_access(settings)
    # What start-up built lives as long as the process: kept out of the collector's full
    # passes, which otherwise walk it all (hundreds of ms, holding the GIL) under load. No
    # collection first: after the imports it finds nothing (the generational passes already
    # ran) and costs a full walk, 0.08 s here, before the server can answer. `serve` turned the
    # collector off for the start-up (service/cli/main.py): on from here.
    gc.freeze()
    gc.enable()
    # NEWSBRIDGE_PRELOAD: in the background; the server answers meanwhile (/readyz: starting)
    warm_up = start_warm_up(engines, settings.work_nice) if settings.preload else None
    running = Running(settings, metrics, engines, work, lifecycle, access, warm_up=warm_up,
                      glossaries=build_glossaries(settings))
    try:
        running.jobs = open_jobs(settings, engines, payer=access.job_payer(), admission=admission, ready=warm_up,
                                 thread_init=lambda: lower_priority(settings.work_nice),
                                 gate=work.bulk_gate)
    except DatabaseUnavailable as exc:
        log.error("jobs unavailable", extra={"error": str(exc)})
        running.jobs_error = str(exc)
    log.info("newsbridge ready", extra={"backend": settings.backend, "cache": engines.cache_state(probe=False)})
    return running


def _stop(running: Running | None) -> None:
    if running is None:
        return
    if running.jobs is not None:
        running.jobs.stop(timeout=5)  # a running job is left to resume at the next start
    running.lifecycle.begin()
    running.lifecycle.detach()
    running.work.close()
    running.access.close()  # usage counted in memory is written


def _add_middleware(app: FastAPI, settings: Settings, metrics: Metrics) -> None:
    """The middlewares, innermost first."""
    # keys, quotas, rate limits of /v1; overload refused before the rest of the path
    app.add_middleware(NativeAccessMiddleware, render=lambda exc, scope: error_response(exc, scope, metrics))
    # jobs stream to disk under NEWSBRIDGE_MAX_JOB_BYTES; a TMX import has NEWSBRIDGE_MEMORY_MAX_IMPORT_BYTES
    app.add_middleware(BodyLimit, max_body_bytes=settings.max_body_bytes,
                       exempt_prefixes=("/v1/jobs", "/v1/memory/import"))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"],
                           expose_headers=["Retry-After", "X-Request-ID", MEMORY_HEADER, UNTRANSLATED_HEADER])
    app.add_middleware(RequestContext, metrics=metrics)  # outer: every response has a request id
    app.add_middleware(DeepLErrorShape)  # outermost: any error on /v2/* as DeepL's {"message"}, 500s too
