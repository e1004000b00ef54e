"""Request and response models of the HTTP API (they are the OpenAPI documentation)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from translators.base import DetectedLang, Lang

# The codes are spelled once, in ``translators.base.Lang``; names and pairs: translators.registry.
SourceLang = Literal["auto", Lang]
TargetLang = Lang
Offsets = Literal["codepoint", "utf16"]


class TranslateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"text": "Rzecznik SG: „Sytuacja jest pod kontrolą”. #granica", "source_lang": "auto",
                      "target_lang": "en"}],
        "oneOf": [{"required": ["text"]}, {"required": ["texts"]}]})  # exactly one of them

    text: str | None = Field(default=None, description="One text (not empty). Give `text` or `texts`.",
                             json_schema_extra={"anyOf": [{"type": "string", "minLength": 1}, {"type": "null"}]})
    texts: list[str] | None = Field(default=None, min_length=1,
                                    description="A batch of texts, answered in order (each its result or problem).")
    source_lang: SourceLang = "auto"
    target_lang: TargetLang = "en"
    format: Literal["text", "html"] = "text"
    offsets: Offsets = Field(default="codepoint", description="Span unit: code points, or UTF-16 code units for JS.")

    @model_validator(mode="after")
    def _one_of(self) -> TranslateRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of `text` and `texts`")
        if self.texts is not None and not self.texts:
            raise ValueError("`texts` is empty")
        return self

    def items(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])


class SummarizeRequest(TranslateRequest):
    max_sentences: int | None = Field(default=None, ge=1, le=100)
    ratio: float | None = Field(default=None, gt=0, le=1)


class DetectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    format: Literal["text", "html"] = "text"
    offsets: Offsets = "codepoint"


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class SentenceModel(BaseModel):
    source: SpanOut = Field(description="Into `source_text`.")
    target: SpanOut = Field(description="Into `translation_text`.")
    lang: DetectedLang
    confidence: float
    translated: bool = Field(description="False when kept as is (already the target language, or other).")
    split: bool = Field(description="True when it exceeded the model's input limit and was translated in pieces.")
    cached: bool
    capped: bool = Field(default=False, description="True when the model's output stopped at its length cap or a "
                                                    "repetition loop was cut: the translation may be incomplete.")
    warnings: list[str] = Field(default_factory=list,
                                description="e.g. a number of the source that is not in the translation.")


class QuoteModel(BaseModel):
    kind: Literal["quote", "tweet"]
    lang: DetectedLang
    source: SpanOut = Field(description="The quoted words (or the tweet body), into `source_text`.")
    outer: SpanOut = Field(description="With its quotation marks (or the whole embed), into `source_text`.")
    target: SpanOut | None = Field(description="Its translation (or itself, if already in the target language), "
                                               "into `translation_text`.")
    sentences: list[int]
    author: str | None = None
    handle: str | None = None
    date: str | None = None
    url: str | None = None
    speaker: str | None = None
    parent: int | None = Field(default=None, description="Index (in `quotes`) of the quote or tweet it stands in.")


class ModelRef(BaseModel):
    id: str
    revision: str
    checksum: str
    options: str


class CachedCounts(BaseModel):
    hits: int
    misses: int


class TranslationModel(BaseModel):
    source_lang: Literal[Lang, "und"]
    target_lang: TargetLang
    format: Literal["text", "html"]
    offsets: Offsets
    source_text: str = Field(description="The text source spans index: the input itself, or the visible text of HTML.")
    translation: str = Field(description="The translation, HTML for format=html.")
    translation_text: str = Field(description="The plain translation that target spans index.")
    sentences: list[SentenceModel]
    quotes: list[QuoteModel]
    model: dict[str, list[ModelRef]] = Field(description="Models used per pair (two legs for a pivot).")
    cached: CachedCounts
    warnings: list[str]


class ErrorItem(BaseModel):
    index: int
    error: dict


class TranslateResponse(TranslationModel):
    pass


class BatchTranslateResponse(BaseModel):
    results: list[TranslationModel | ErrorItem]
    cached: CachedCounts


class SummaryQuote(BaseModel):
    kind: Literal["quote", "tweet"]
    lang: DetectedLang
    original: str = Field(description="The quote's original wording.")
    source: SpanOut = Field(description="Into `source_text`.")
    target: SpanOut | None = Field(description="Into `translation`.")
    summary: SpanOut | None = Field(description="Into `summary`: the first of `summary_spans`.")
    summary_spans: list[SpanOut] = Field(default_factory=list,
                                         description="Into `summary`: every part of the summary that translates it.")
    index: int = Field(description="Its index in `translation.quotes`.")
    parent: int | None = Field(default=None,
                               description="Index in `translation.quotes` of the quote or tweet it stands in.")
    author: str | None = None
    handle: str | None = None
    date: str | None = None
    speaker: str | None = None


class SummarySentence(BaseModel):
    summary: SpanOut = Field(description="Into `summary`.")
    sources: list[int] = Field(description="Indices of the source sentences it came from.")


class SummaryModel(BaseModel):
    summary: str
    method: Literal["extractive", "abstractive"]
    summary_sentences: list[SummarySentence]
    quotes: list[SummaryQuote]
    translation: TranslationModel


class BatchSummaryResponse(BaseModel):
    results: list[SummaryModel | ErrorItem]


class DetectSegment(BaseModel):
    span: SpanOut
    lang: DetectedLang
    confidence: float


class DetectResponse(BaseModel):
    lang: DetectedLang
    confidence: float
    segments: list[DetectSegment]
