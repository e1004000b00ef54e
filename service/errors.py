"""Errors as RFC 9457 problem details with a stable ``type``."""

from __future__ import annotations

from typing import Any

from translators.base import ModelMissing, TranslatorError, UnsupportedPair

PROBLEM_BASE = "https://newsbridge.dev/problems/"


class ProblemError(Exception):
    """An error a client can act on: ``type`` is stable, ``detail`` says what to do."""

    type = "internal_error"
    title = "Internal error"
    status = 500

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = dict(headers or {})

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


class InvalidText(ProblemError):
    """Text no UTF-8 can carry (a lone surrogate such as ``"\\ud800"``)."""

    type, title, status = "invalid_text", "Invalid text", 422


class TooManyTexts(ProblemError):
    type, title, status = "too_many_texts", "Too many texts", 413


class RequestTooLarge(ProblemError):
    type, title, status = "request_too_large", "Request too large", 413


class HtmlTooDeep(ProblemError):
    type, title, status = "html_too_deep", "HTML nested too deeply", 413


class Overloaded(ProblemError):
    """The server's queue of model work is full: retry after ``Retry-After`` seconds."""

    type, title, status = "overloaded", "Server overloaded", 503


class ShuttingDown(ProblemError):
    type, title, status = "shutting_down", "Server shutting down", 503


class DeadlineExceeded(ProblemError):
    type, title, status = "deadline_exceeded", "Request deadline exceeded", 504


class ClientClosed(ProblemError):
    """The client went away; nobody reads this answer (nginx calls it 499)."""

    type, title, status = "client_closed_request", "Client closed request", 499


class InternalError(ProblemError):
    """An unexpected error; the original is its ``__cause__`` (logged once by the HTTP layer)."""


def check_text(text: str, *, index: int | None = None) -> None:
    """Raises ``InvalidText`` for text UTF-8 cannot encode (lone surrogates)."""
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        where = f"texts[{index}]" if index is not None else "text"
        raise InvalidText(f"{where} has a lone surrogate at character {exc.start}; "
                          "send text as valid UTF-8 (pairs of surrogates only)") from None


_TRANSLATOR_ERRORS: dict[type[TranslatorError], tuple[str, int]] = {
    UnsupportedPair: ("Unsupported language pair", 422),
    ModelMissing: ("Model missing", 503),
}
_BY_TYPE: dict[str, tuple[str, int]] = {  # translator errors known by their type (translators.work, ...)
    "deadline_exceeded": ("Request deadline exceeded", 504),
    "cancelled": ("Request cancelled", 503),
    "model_load_failed": ("Model failed to load", 503),
}


def as_problem(exc: BaseException) -> ProblemError:
    """Map any error from the pipeline to a problem (internal errors keep no private detail)."""
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, TranslatorError):
        known = _TRANSLATOR_ERRORS.get(type(exc)) or _BY_TYPE.get(exc.type)
        title, status = known or ("Translation failed", 500)
        problem = ProblemError(str(exc))
        problem.type, problem.title, problem.status = exc.type, title, status
        if known is None:
            problem.__cause__ = exc  # not a known failure: logged as unexpected
        return problem
    problem = InternalError("an unexpected error occurred; the server log has it under this request_id")
    problem.__cause__ = exc
    return problem
