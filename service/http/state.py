"""What the application holds between requests, typed, in one place.

``AppState`` is made with the app (settings, metrics) and lives on ``app.state.newsbridge``;
``Running`` is what start-up builds (engines, work runner, lifecycle, access policy, jobs) and
is there from the end of start-up to the start of shutdown. Routes and middlewares reach both
through ``state_of`` and the ``RunningDep`` dependency: the one place that answers 503
``not_ready`` when the service is not running.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Scope

from service.engines import Engines
from service.errors import ServiceNotReady
from service.http.access import Access
from service.http.admission import WorkRunner
from service.http.lifecycle import Lifecycle
from service.jobs.manager import JobManager
from service.metrics import Metrics
from service.settings import Settings
from service.storage.glossary_store import GlossaryStore

__all__ = ["AppState", "Running", "RunningDep", "StateDep", "get_running", "get_state", "state_of"]


@dataclass
class Running:
    """The started service: every field is there (no ``None`` to check)."""

    settings: Settings
    metrics: Metrics
    engines: Engines
    work: WorkRunner
    lifecycle: Lifecycle
    access: Access
    jobs: JobManager | None = None  # None: jobs_error says why
    jobs_error: str | None = None
    warm_up: threading.Event | None = None  # NEWSBRIDGE_PRELOAD: set once the models are prepared
    glossaries: GlossaryStore | None = None  # None: the database cannot hold them (logged at start)

    @property
    def starting(self) -> bool:
        """The models are still being prepared at start-up (``/readyz`` answers 503 ``starting``)."""
        return self.warm_up is not None and not self.warm_up.is_set()


@dataclass
class AppState:
    settings: Settings
    metrics: Metrics
    running: Running | None = None  # None while starting and once shutdown has begun

    def ready(self) -> Running:
        """The running service, or ``ServiceNotReady`` (503 ``not_ready``)."""
        if self.running is None:
            raise ServiceNotReady("the service is starting or stopping")
        return self.running


def state_of(app: ASGIApp | Scope) -> AppState:
    """The state of an app (or of the app serving an ASGI scope)."""
    if isinstance(app, dict):
        app = app["app"]
    return app.state.newsbridge  # type: ignore[attr-defined,no-any-return]


# ``async`` on purpose: FastAPI runs a plain ``def`` dependency in the thread pool, a thread hop
# (and a GIL hand-over) per request, for what is an attribute read.
async def get_state(conn: HTTPConnection) -> AppState:
    return state_of(conn.app)


async def get_running(conn: HTTPConnection) -> Running:
    return state_of(conn.app).ready()


StateDep = Annotated[AppState, Depends(get_state)]
RunningDep = Annotated[Running, Depends(get_running)]
