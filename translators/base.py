"""The small interfaces every engine sits behind.

A real engine and a test double are interchangeable as long as they follow these
protocols; nothing here imports torch or transformers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args, runtime_checkable

# The one spelling of the language codes; names, pairs and pivots are in ``translators.registry``.
Lang = Literal["pl", "lt", "en"]
DetectedLang = Literal["pl", "lt", "en", "other"]
SUPPORTED_LANGS: tuple[Lang, ...] = get_args(Lang)


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
    tier: str = "quality"  # the registry tier the model belongs to (not in the key: the model id says it)

    def key(self) -> str:
        return f"{self.model_id}@{self.revision}#{self.checksum}|{self.options}"


WordLink = tuple[int, int, int, int]
"""``(src_start, src_end, tgt_start, tgt_end)``: a word of the input text (the exact string given to
``translate_batch``) linked to a word of the output text, half-open, in code points."""


@dataclass(frozen=True, slots=True)
class Translation:
    """One translated segment. ``pieces`` > 1 means the input was longer than the
    model's input limit and was split and translated in pieces (never truncated).
    ``capped``: generation stopped at the output length cap, or a degenerate repetition
    loop was collapsed, so the text may be incomplete (never silently: the response says so).
    ``score``: the model's length-normalized probability of its own output (the geometric mean
    of its token probabilities, 0..1; see docs/engines.md), ``None`` where unknown (an entry
    cached before scores were kept). ``alignment``: word links between the input and ``text``,
    filled only when ``translate_batch`` was asked for them (``None`` otherwise)."""

    text: str
    pieces: int = 1
    cached: bool = False
    capped: bool = False
    score: float | None = None
    alignment: tuple[WordLink, ...] | None = None


HealthStatus = Literal["ok", "degraded", "disabled"]


@dataclass(frozen=True, slots=True)
class Health:
    """A component's state for ``/readyz``: ``degraded`` still serves (e.g. uncached)."""

    status: HealthStatus = "ok"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "degraded"

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}" if self.detail else self.status


@runtime_checkable
class HealthCheck(Protocol):
    def health(self) -> Health:
        """The current state, cheaply (no model call; a store may run one bounded query)."""
        ...


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What ``Translator.describe()`` reports: one layer of the engine stack and the layer it
    wraps. ``kind`` names the layer (``pivot``, ``cached``, ``coalescing``) or, for the
    innermost one, the backend (``transformers``, ``ctranslate2``, ``echo``, ...).

    Asked for a pair, ``legs`` lists the models serving it in order (two for a pivot)."""

    kind: str
    inner: EngineInfo | None = None
    legs: tuple[ModelIdentity, ...] = ()
    loaded_pairs: tuple[str, ...] = ()  # backends: pairs whose model is loaded
    failed_pairs: Mapping[str, str] = field(default_factory=dict)  # backends: pair -> why it failed
    health: Health = Health()  # this layer's own state (e.g. the cache layer's store)
    converting_pairs: tuple[str, ...] = ()  # backends: pairs being converted (CTranslate2), not served yet

    def layers(self) -> list[EngineInfo]:
        """This layer and every layer under it, outermost first."""
        out: list[EngineInfo] = []
        node: EngineInfo | None = self
        while node is not None:
            out.append(node)
            node = node.inner
        return out

    def find(self, kind: str) -> EngineInfo | None:
        return next((layer for layer in self.layers() if layer.kind == kind), None)

    @property
    def backend(self) -> EngineInfo:
        return self.layers()[-1]


@runtime_checkable
class Translator(Protocol):
    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        """Translate plain segments (already protected/masked) from ``source`` to ``target``;
        with ``alignment``, each result carries its word links (the translation is the same)."""
        ...

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        """Identity of the model(s) serving this pair; raises ``UnsupportedPair``."""
        ...

    def supports(self, source: Lang, target: Lang) -> bool: ...

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        """This engine and the ones it wraps; given a pair, also the models serving it
        (``legs``; may load them, like ``identity``). Never raises for a healthy stack
        asked without a pair."""
        ...


def describe_backend(engine: Translator, kind: str, source: Lang | None, target: Lang | None, *,
                     loaded: Sequence[str] = (), failed: Mapping[str, str] | None = None,
                     converting: Sequence[str] = ()) -> EngineInfo:
    """``describe()`` for an innermost engine: its own identity is its only leg."""
    legs = (engine.identity(source, target),) if source is not None and target is not None else ()
    failed = dict(failed or {})
    health = Health("degraded", "failed to load: " + ", ".join(sorted(failed))) if failed else Health()
    return EngineInfo(kind, None, legs, tuple(loaded), failed, health, tuple(converting))


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
    """Base class; ``type`` is the stable problem-details type suffix; ``extra`` holds
    machine-readable fields that go with it (e.g. the ``pair`` that failed to load)."""

    type = "translation_failed"
    extra: Mapping[str, str] = {}


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
        self.extra = {"pair": pair} if pair else {}


class ModelConverting(TranslatorError):
    """The pair's model is being converted to CTranslate2 in the background: nothing waits for
    it; the caller is told to come back after ``retry_after`` seconds (503 with ``Retry-After``)."""

    type = "model_converting"

    def __init__(self, message: str, *, pair: str = "", retry_after: int = 5) -> None:
        super().__init__(message)
        self.pair = pair
        self.retry_after = retry_after
        self.extra = {"pair": pair} if pair else {}
        self.headers = {"Retry-After": str(retry_after)}
