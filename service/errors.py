"""Domain errors: what went wrong, with a stable ``type`` and a ``detail`` that says what to do.

They carry no HTTP status: the presentation layer (``service/views.py``) decides what a client
sees of an error, and only the HTTP layer (``service/http/problems.py``) maps a ``type`` to a
status code and title. Engine errors (``translators.base.TranslatorError``) follow the same shape.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EmptyText", "InvalidRequest", "NewsbridgeError", "ServiceNotReady", "TextTooLarge",
           "UnsupportedLanguage"]


class NewsbridgeError(Exception):
    """An error a client can act on: ``type`` is stable, ``detail`` says what to do; ``extra``
    holds machine-readable fields that go with it."""

    type = "newsbridge_error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class EmptyText(NewsbridgeError):
    type = "empty_text"


class TextTooLarge(NewsbridgeError):
    type = "text_too_large"


class UnsupportedLanguage(NewsbridgeError):
    type = "unsupported_language"


class InvalidRequest(NewsbridgeError):
    type = "invalid_request"


class ServiceNotReady(NewsbridgeError):
    type = "not_ready"
