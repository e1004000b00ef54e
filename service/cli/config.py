"""The settings of one ``newsbridge`` command: read from the environment once per process and
passed to what the command builds (the app, the engines, the batch run, its Ray actors). A bad
value ends the command with one line naming the variable, not a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError

from service.settings import Settings, describe_invalid
from service.storage import db

__all__ = ["database_errors", "load_settings"]


def load_settings() -> Settings:
    """The settings from the environment (each command calls this once)."""
    try:
        return Settings()
    except ValidationError as exc:
        for line in describe_invalid(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def database_errors() -> Iterator[None]:
    """A database the command cannot use ends it with one line: exit 2 for a bad URL, 1 when it
    cannot be reached."""
    try:
        yield
    except db.DatabaseConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except db.DatabaseUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
