"""The small interfaces every engine sits behind.

A real engine and a test double are interchangeable as long as they follow these
protocols; nothing here imports torch or transformers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Lang = Literal["pl", "lt", "en"]
DetectedLang = Literal["pl", "lt", "en", "other"]
SUPPORTED_LANGS: tuple[Lang, ...] = ("pl", "lt", "en")


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open ``[start, end)`` into a named string, in Unicode code points.

    ``text`` always equals ``that_string[start:end]``.
    """

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Detection:
    lang: DetectedLang
    confidence: float


@runtime_checkable
class Detector(Protocol):
    def detect(self, text: str) -> Detection:
        """Language of one segment (``other`` when it is none of pl/lt/en)."""
        ...


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """What a translation depends on: used in cache keys and reported in responses.

    ``checksum`` is content, not a name: a digest of the weights (local folder) or the
    hub commit hash, so different weights under the same name never share cache entries.
    """

    model_id: str
    revision: str
    checksum: str
    options: str = ""  # canonical string of decoding options (beams, max length, backend)

    def key(self) -> str:
        return f"{self.model_id}@{self.revision}#{self.checksum}|{self.options}"


@dataclass(frozen=True, slots=True)
class Translation:
    """One translated segment. ``pieces`` > 1 means the input was longer than the
    model's input limit and was split and translated in pieces (never truncated).
    ``capped``: generation stopped at the output length cap, or a degenerate repetition
    loop was collapsed, so the text may be incomplete (never silently: the response says so)."""

    text: str
    pieces: int = 1
    cached: bool = False
    capped: bool = False


@runtime_checkable
class Translator(Protocol):
    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang) -> list[Translation]:
        """Translate plain segments (already protected/masked) from ``source`` to ``target``."""
        ...

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        """Identity of the model(s) serving this pair; raises ``UnsupportedPair``."""
        ...

    def supports(self, source: Lang, target: Lang) -> bool: ...


@dataclass(frozen=True, slots=True)
class SummaryResult:
    """``text`` is the summary; ``picked`` the indices of the input units used (extractive),
    in document order, or ``None`` for an abstractive summary."""

    text: str
    picked: list[int] | None = field(default=None)


@runtime_checkable
class Summarizer(Protocol):
    def summarize(
        self,
        units: Sequence[str],
        lang: Lang,
        *,
        max_sentences: int | None = None,
        ratio: float | None = None,
    ) -> SummaryResult:
        """Summarize a document given as ordered units (sentences, or whole quotes that
        must never be cut), all in ``lang``."""
        ...


class TranslatorError(Exception):
    """Base class; ``type`` is the stable problem-details type suffix."""

    type = "translation_failed"


class UnsupportedPair(TranslatorError):
    type = "unsupported_pair"


class ModelMissing(TranslatorError):
    type = "model_missing"


class ModelLoadFailed(ModelMissing):
    """The pair's files are there but its model failed to load (e.g. truncated weights); the
    failure is remembered and retried only after a back-off."""

    type = "model_load_failed"

    def __init__(self, message: str, *, pair: str = "") -> None:
        super().__init__(message)
        self.pair = pair
