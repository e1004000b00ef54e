"""Structured logs: structlog renders stdlib records too, as JSON or readable key=value lines.

structlog is imported here, and only through this module (``bound_contextvars`` below for the
request middleware), because of how: ``structlog.dev`` imports rich when it is installed (typer
brings it) for its console tracebacks, and rich brings pygments and attrs, about 0.15 s of a
server's start on 2 cores. This service renders plain tracebacks (``configure_logging``), so
structlog is imported with rich hidden; rich itself stays importable for whoever wants it later.
"""

from __future__ import annotations

import logging
import sys
from contextlib import AbstractContextManager
from typing import Any


def _hide(module: str) -> bool:
    """Make ``import module`` fail as if it were not installed, until ``_unhide``; False (and
    nothing done) when it is imported already."""
    if module in sys.modules:
        return False
    sys.modules[module] = None  # type: ignore[assignment]  # the import system's "not importable"
    return True


def _unhide(module: str, hidden: bool) -> None:
    if hidden and sys.modules.get(module, False) is None:
        del sys.modules[module]


_rich_hidden = _hide("rich")
try:
    import structlog
finally:
    _unhide("rich", _rich_hidden)

_configured = False


def bound_contextvars(**values: Any) -> AbstractContextManager[None]:
    """Bind ``values`` to every log line written inside the ``with`` (structlog's context)."""
    return structlog.contextvars.bound_contextvars(**values)


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    global _configured
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Plain tracebacks only: rich's (the console default when rich is installed) dump every
    # frame's locals, the request's text included, and take long enough to stall the event loop.
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *([structlog.processors.format_exc_info] if json else []), renderer]))
    root = logging.getLogger()
    if _configured:
        for h in list(root.handlers):
            if getattr(h, "_newsbridge", False):
                root.removeHandler(h)
    handler._newsbridge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    _configured = True
