"""The settings of one ``newsbridge`` command: read from the environment once per process and
passed to what the command builds (the app, the engines, the batch run, its Ray actors). A bad
value ends the command with one line naming the variable, not a traceback."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from service.settings import Settings, describe_invalid

__all__ = ["load_settings"]


def load_settings() -> Settings:
    """The settings from the environment (each command calls this once)."""
    try:
        return Settings()
    except ValidationError as exc:
        for line in describe_invalid(exc).splitlines():
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(2) from None
