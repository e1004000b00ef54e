"""What goes into the pipeline and what comes out: a document, its translation with sentences
and quotes (spans on both sides), and a detection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from translators.base import DetectedLang, Detection, Lang, ModelIdentity, Span
from translators.registry import Quality, tier_of
from translators.text.terms import Glossary

__all__ = ["DetectionResult", "Document", "DocumentResult", "Format", "MemoryRef", "Origin", "QuoteOut", "SentenceOut",
           "Suggestion", "TermOut"]

Format = Literal["text", "html", "xml"]
Origin = Literal["memory", "cache", "model"]


@dataclass(frozen=True)
class Document:
    text: str
    source_lang: Lang | Literal["auto"] = "auto"
    target_lang: Lang = "en"
    format: Format = "text"
    ignore_tags: frozenset[str] = frozenset()  # HTML, XML: elements whose content is kept as it is
    splitting_tags: frozenset[str] = frozenset()  # XML: elements that always split sentences (DeepL's option)
    non_splitting_tags: frozenset[str] = frozenset()  # XML: elements that never do
    outline_detection: bool = True  # XML: elements outside running text are structure (DeepL's default)
    quality: Quality = "best"  # the model tier: best (the best published model) or fast (a smaller one)
    memory_scope: str | None = None  # a desk: its own translation memory entries first, then the global ones
    memory_suggestions: bool = False  # look up close (fuzzy) memory entries of the model's sentences
    glossary: Glossary | None = None  # its terms are enforced (service/pipeline/glossary_terms.py)
    alignment: bool = False  # word links per sentence (SentenceOut.alignment)

    def __post_init__(self) -> None:
        tier_of(self.quality)  # an unknown quality is refused here, not half-way through a batch


@dataclass(frozen=True)
class MemoryRef:
    """The translation memory entry a translation came from."""

    id: int
    who: str | None  # the key that gave the entry its target
    when: datetime  # when it did
    scope: str | None
    source: str  # the entry's source segment as stored
    target: str


@dataclass(frozen=True)
class Suggestion:
    """A close memory entry offered beside the model's translation of a sentence."""

    id: int
    source: str
    target: str
    score: int  # 0-100
    status: str  # approved | suggested
    who: str | None
    when: datetime


@dataclass
class TermOut:
    """A glossary term applied to a sentence."""

    source: Span  # the term as it stands in the source (an inflected form, maybe), into source_text
    target: Span  # what the glossary made of it, into translation_text
    term: str  # the glossary entry's source term
    translation: str  # the glossary entry's target term
    match: Literal["exact", "lemma"]  # the source matched as written, or in an inflected form
    keep: bool  # a do-not-translate entry
    placed: Literal["model", "aligned", "guessed"]  # where the model put it; dropped: by the word links, or a guess


@dataclass
class SentenceOut:
    source: Span
    target: Span
    lang: DetectedLang
    confidence: float
    translated: bool
    pieces: int = 1
    cached: bool = False
    capped: bool = False  # the model's output stopped at its length cap or was repetition-guarded
    warnings: list[str] = field(default_factory=list)  # e.g. a number of the source not in the translation
    flags: list[str] = field(default_factory=list)  # stable codes of the newer warnings ("markup_placement_uncertain",
    # "glossary_term_missing", ...): each such warning is written "<code>: <detail>"
    origin: Origin | None = None  # None: kept as is (no translation)
    memory: MemoryRef | None = None  # the memory entry of the sentence (or of a quote in it)
    suggestions: list[Suggestion] = field(default_factory=list)
    terms: list[TermOut] = field(default_factory=list)  # glossary terms applied
    translation_confidence: float | None = None  # the model's probability of its output (0..1)
    # word links: source_text <-> translation_text; None: not computed ([]: computed, none found)
    alignment: list[tuple[Span, Span]] | None = None


@dataclass
class QuoteOut:
    kind: Literal["quote", "tweet"]
    lang: DetectedLang
    source: Span  # the quoted words / the tweet body, into source_text
    outer: Span  # with quotation marks / the whole embed
    target: Span | None  # into translation_text
    sentences: list[int]  # indices of the sentences it lies in
    author: str | None = None
    handle: str | None = None
    date: str | None = None
    url: str | None = None
    speaker: str | None = None
    parent: int | None = None  # index of the quote or tweet it stands in


@dataclass
class DocumentResult:
    source_lang: Lang | Literal["und"]
    target_lang: Lang
    format: Format
    source_text: str
    translation_text: str
    translation: str  # HTML for format=html, else == translation_text
    sentences: list[SentenceOut]
    quotes: list[QuoteOut]
    models: dict[str, list[ModelIdentity]]
    cache_hits: int = 0
    cache_misses: int = 0
    warnings: list[str] = field(default_factory=list)
    memory_hits: int = 0  # units (sentences or quotes) served from the translation memory
    alignment: bool = False  # the request asked for word links: responses show them


@dataclass
class DetectionResult:
    source_text: str  # the text the spans index (for HTML: its text content)
    whole: Detection  # the whole text's language
    segments: list[tuple[Span, Detection]]

