"""The HTTP layer: the FastAPI application, its routes, request/response schemas."""

from service.http.app import create_app

__all__ = ["create_app"]
