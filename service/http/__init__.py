"""The HTTP layer: the FastAPI application, its routes, request/response schemas, problem details.

``create_app`` is imported lazily, so that importing ``service.http.schemas`` (the response
models the CLI and batch share through ``service.views``) does not load the application."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.http.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from service.http.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
