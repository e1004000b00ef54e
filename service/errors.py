"""Domain errors: what went wrong, with a stable ``type`` and a ``detail`` that says what to do.

They carry no HTTP status: the presentation layer (``service/views.py``) decides what a caller
sees of an error, and only the HTTP layer (``service/http/problems.py``) maps a ``type`` to a
status code and title. Engine errors (``translators.base.TranslatorError``) follow the same shape.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ClientClosed",
    "DeadlineExceeded",
    "EmptyText",
    "Forbidden",
    "GlossariesUnavailable",
    "GlossaryForbidden",
    "GlossaryNotFound",
    "GlossaryPairMismatch",
    "GlossaryPairUnsupported",
    "GlossaryTooLarge",
    "HtmlTooDeep",
    "InvalidGlossary",
    "InvalidMarkup",
    "InvalidRequest",
    "InvalidText",
    "InvalidTmx",
    "MemoryConflict",
    "MemoryEntryNotFound",
    "MemoryUnavailable",
    "NewsbridgeError",
    "Overloaded",
    "RequestTooLarge",
    "ServiceNotReady",
    "ShuttingDown",
    "TextTooLarge",
    "TooManyGlossaries",
    "TooManyTexts",
    "UnsupportedLanguage",
    "check_text",
]


class NewsbridgeError(Exception):
    """An error a caller can act on: ``type`` is stable, ``detail`` says what to do; ``extra``
    holds machine-readable fields that go with it; ``headers`` are hints a transport may pass
    on (``Retry-After``), ignored by the CLI and batch."""

    type = "newsbridge_error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = dict(headers or {})


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


class InvalidText(NewsbridgeError):
    """Text no UTF-8 can carry (a lone surrogate such as ``"\\ud800"``)."""

    type = "invalid_text"


class TooManyTexts(NewsbridgeError):
    type = "too_many_texts"


class RequestTooLarge(NewsbridgeError):
    type = "request_too_large"


class HtmlTooDeep(NewsbridgeError):
    type = "html_too_deep"


class InvalidMarkup(NewsbridgeError):
    """``format=xml`` text that is not well-formed XML."""

    type = "invalid_markup"


class Overloaded(NewsbridgeError):
    """The queue of model work is full: retry after ``Retry-After`` seconds."""

    type = "overloaded"


class ShuttingDown(NewsbridgeError):
    type = "shutting_down"


class DeadlineExceeded(NewsbridgeError):
    type = "deadline_exceeded"


class ClientClosed(NewsbridgeError):
    """The client went away; nobody reads this answer."""

    type = "client_closed_request"


class Forbidden(NewsbridgeError):
    """The key is valid but its role does not allow this (e.g. a ``translator`` approving memory)."""

    type = "forbidden"


class MemoryEntryNotFound(NewsbridgeError):
    type = "memory_entry_not_found"


class MemoryConflict(NewsbridgeError):
    """The change would make a second approved entry for the same source, languages and scope."""

    type = "memory_conflict"


class MemoryUnavailable(NewsbridgeError):
    """Translation memory is switched off, or its database cannot be used."""

    type = "memory_unavailable"


class InvalidTmx(NewsbridgeError):
    """A TMX file that is not XML, not TMX, or holds no usable segment."""

    type = "invalid_tmx"


# -- glossaries (service/storage/glossary_store.py, service/glossary_formats.py) ----------------


class GlossaryNotFound(NewsbridgeError):
    """No glossary with that id that the caller may see (another key's is not shown either)."""

    type = "glossary_not_found"


class InvalidGlossary(NewsbridgeError):
    """Entries that cannot be stored: empty or duplicate terms, markup, line breaks, a bad file."""

    type = "invalid_glossary"


class GlossaryTooLarge(NewsbridgeError):
    type = "glossary_too_large"


class GlossaryPairUnsupported(NewsbridgeError):
    type = "unsupported_glossary_pair"


class GlossaryPairMismatch(NewsbridgeError):
    """The request's language pair is not one the glossary has entries for."""

    type = "glossary_pair_mismatch"


class GlossaryForbidden(NewsbridgeError):
    """A global glossary changed through the API (they are managed on the server's CLI)."""

    type = "glossary_forbidden"


class TooManyGlossaries(NewsbridgeError):
    type = "too_many_glossaries"


class GlossariesUnavailable(NewsbridgeError):
    type = "glossaries_unavailable"


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
