"""Errors as RFC 9457 problem details with a stable ``type``."""

from __future__ import annotations

from typing import Any

from translators.base import ModelLoadFailed, ModelMissing, TranslatorError, UnsupportedPair

PROBLEM_BASE = "https://newsbridge.dev/problems/"


class ProblemError(Exception):
    """An error a client can act on: ``type`` is stable, ``detail`` says what to do."""

    type = "internal_error"
    title = "Internal error"
    status = 500

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_BASE + self.type, "title": self.title,
                                "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class EmptyText(ProblemError):
    type, title, status = "empty_text", "Empty text", 422


class TextTooLarge(ProblemError):
    type, title, status = "text_too_large", "Text too large", 413


class UnsupportedLanguage(ProblemError):
    type, title, status = "unsupported_language", "Unsupported language", 422


class InvalidRequest(ProblemError):
    type, title, status = "invalid_request", "Invalid request", 422


class ServiceNotReady(ProblemError):
    type, title, status = "not_ready", "Service not ready", 503


_TRANSLATOR_ERRORS: dict[type[TranslatorError], tuple[str, int]] = {
    UnsupportedPair: ("Unsupported language pair", 422),
    ModelMissing: ("Model missing", 503),
    ModelLoadFailed: ("Model failed to load", 503),
}


def as_problem(exc: BaseException) -> ProblemError:
    """Map any error from the pipeline to a problem (internal errors keep no private detail)."""
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, TranslatorError):
        title, status = _TRANSLATOR_ERRORS.get(type(exc), ("Translation failed", 500))
        problem = ProblemError(str(exc))
        problem.type, problem.title, problem.status = exc.type, title, status
        return problem
    return ProblemError("an unexpected error occurred; see the server log")
