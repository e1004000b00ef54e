"""The application a ``newsbridge serve`` process runs, with the settings the command read once.

``serve`` hands uvicorn an ``AppFactory``; with several workers uvicorn pickles it into each
worker process, which so receives the parent's settings and reads no environment of its own.
It holds the settings as plain values (secrets included), so that unpickling it imports nothing
but this module: a new worker must answer its supervisor's health check within seconds, before
it imports the application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from service.settings import Settings


class AppFactory:
    def __init__(self, settings: Settings) -> None:
        from pydantic import SecretStr

        self.values: dict[str, Any] = settings.model_dump(mode="json")  # secrets come out masked: put back
        self.values.update({name: value.get_secret_value() for name, value in settings
                            if isinstance(value, SecretStr)})

    def __call__(self) -> FastAPI:
        from service.http.app import create_app
        from service.settings import Settings

        return create_app(Settings(**self.values))
