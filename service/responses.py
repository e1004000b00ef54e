"""What a client sees: the response models of the API (they are the OpenAPI documentation), which
the CLI's ``--json`` and the batch and job records share through ``service.views``.

Nothing here knows HTTP: request parsing and routing are ``service/http``'s."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from translators.base import DetectedLang, Lang

# The codes are spelled once, in ``translators.base.Lang``; names and pairs: translators.registry.
TargetLang = Lang
Offsets = Literal["codepoint", "utf16"]


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class MemoryRefModel(BaseModel):
    id: int = Field(description="The entry's id (`/v1/memory/{id}`).")
    who: str | None = Field(description="The API key (its name) that gave the entry its translation; null when the "
                                        "API was open.")
    when: datetime = Field(description="When it did (UTC).")
    scope: str | None = Field(default=None, description="The desk the entry belongs to (null: every desk).")


class SuggestionModel(BaseModel):
    id: int = Field(description="The memory entry's id.")
    source: str = Field(description="The entry's source segment (compare it with the sentence).")
    target: str = Field(description="The entry's translation.")
    score: int = Field(description="Similarity of the entry's source to the sentence, 0-100.")
    status: Literal["approved", "suggested"]
    who: str | None = None
    when: datetime


class TermModel(BaseModel):
    source: SpanOut = Field(description="The term as it stands in the source (maybe inflected), into `source_text`.")
    target: SpanOut = Field(description="What the glossary made of it, into `translation_text`.")
    term: str = Field(description="The glossary entry's source term.")
    translation: str = Field(description="The glossary entry's target term.")
    match: Literal["exact", "lemma"] = Field(description="`exact`: as written in the glossary; `lemma`: an "
                                                         "inflected form of it.")
    keep: bool = Field(description="A do-not-translate entry (its target is its source).")
    placed: Literal["model", "aligned", "guessed"] = Field(description=(
        "`model`: where the model put it; the model dropped it (see `flags`) and it was put back where the "
        "translations of its neighbours went (`aligned`: a sentence with inline markup and word links) or at a "
        "guessed place (`guessed`)."))


class WordLinkModel(BaseModel):
    source: SpanOut = Field(description="A word of the sentence, into `source_text`.")
    target: SpanOut = Field(description="The word of its translation aligned with it, into `translation_text`.")


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
                                description="e.g. a number of the source that is not in the translation; a "
                                            "flagged problem reads `<code>: <detail>`.")
    flags: list[str] = Field(default_factory=list,
                             description="Stable codes of what the warnings say: `number_missing`, `capped`, `split`, "
                                         "`untranslated` (the output repeats the source), `length_ratio` (its length "
                                         "is far outside the pair's usual ratio), `low_confidence`, "
                                         "`markup_placement_uncertain` "
                                         "(an inline element of this sentence that the word alignment could not "
                                         "place was placed by its neighbours; its warning names it), "
                                         "`glossary_term_missing` (the model dropped a glossary term: it was put back "
                                         "at a guessed place), `glossary_case_uncertain` (into Polish or Lithuanian, a "
                                         "glossary term put in as the glossary writes it may need another case), "
                                         "`memory_not_applied` (a translation memory entry was not used; its warning "
                                         "says why).")
    origin: Literal["memory", "cache", "model"] | None = Field(
        default=None, description="Where the translation came from: the translation memory (every part of the "
                                  "sentence), the cache, or the model; null when the sentence was kept as is.")
    memory: MemoryRefModel | None = Field(
        default=None, description="The translation memory entry the sentence (or a quote in it) was served from.")
    suggestions: list[SuggestionModel] = Field(
        default_factory=list, description="Close translation memory entries (fuzzy matches, best first) offered "
                                          "beside the model's translation; only when `memory_suggestions` is on.")
    terms: list[TermModel] = Field(default_factory=list, description="Glossary terms applied in this sentence.")
    translation_confidence: float | None = Field(
        default=None, ge=0, le=1, description="How sure the model was of this translation: its length-normalized "
        "probability of its own output (the geometric mean of its token probabilities), 0-1; a sentence with "
        "carved quotes takes its least sure part's. A cache hit keeps the confidence it was made with; null for a "
        "sentence kept as is or served by the translation memory. Not `confidence`, which is the language "
        "detector's.")
    alignment: list[WordLinkModel] | None = Field(default=None, description=(
        "With `alignment: true`: word links from the model's own attention, each a source word (into "
        "`source_text`) and the target word it is aligned with (into `translation_text`)."))


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
    revision: str = Field(description="The pinned hub commit, or `local` for a NEWSBRIDGE_MODEL_DIR folder.")
    checksum: str
    options: str
    tier: Literal["quality", "fast"] = Field(
        default="quality", description="The model's tier: `quality` (the best published model for the pair) or "
                                       "`fast` (a smaller published model); `quality: fast` is served by the fast "
                                       "tier's models.")


class CachedCounts(BaseModel):
    hits: int
    misses: int


class TranslationModel(BaseModel):
    source_lang: Literal[Lang, "und"]
    target_lang: TargetLang
    format: Literal["text", "html", "xml"]
    offsets: Offsets
    source_text: str = Field(description="The text source spans index: the input itself, or the visible text of HTML.")
    translation: str = Field(description="The translation, HTML for format=html.")
    translation_text: str = Field(description="The plain translation that target spans index.")
    sentences: list[SentenceModel]
    quotes: list[QuoteModel]
    model: dict[str, list[ModelRef]] = Field(description="Models used per pair (two legs for a pivot).")
    cached: CachedCounts
    warnings: list[str]
    memory_hits: int = Field(default=0, description="Sentences and quotes served from the translation memory.")


class ErrorItem(BaseModel):
    index: int
    error: dict


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


# ----------------------------------------------------------------------------- translation memory


class MemoryEntryModel(BaseModel):
    id: int
    source_lang: Lang
    target_lang: Lang
    source: str
    target: str
    status: Literal["approved", "suggested"]
    origin: Literal["editor", "api", "tmx", "libretranslate", "cli"]
    scope: str | None = Field(default=None, description="The desk it belongs to (null: every desk).")
    created_by: str | None = Field(default=None, description="The key (its name) that made it; null: the API was open.")
    created_at: datetime
    updated_by: str | None = None
    updated_at: datetime
    note: str | None = None


class MemoryPage(BaseModel):
    entries: list[MemoryEntryModel]
    total: int = Field(description="Entries matching the filters, all pages together.")
    limit: int
    offset: int


class MemoryRevisionModel(BaseModel):
    action: Literal["create", "edit", "approve", "reject", "delete", "import"]
    source: str
    target: str
    status: Literal["approved", "suggested"]
    scope: str | None = None
    who: str | None = None
    at: datetime


class MemoryHistoryModel(BaseModel):
    id: int
    history: list[MemoryRevisionModel] = Field(description="Every state of the entry, newest first.")


class MemoryImportReport(BaseModel):
    units: int = Field(description="Translation units (<tu>) in the file.")
    entries: int = Field(description="Entries read from them (one per source and target language).")
    created: int
    updated: int = Field(description="Approved entries whose target the file changed (their history keeps the old).")
    unchanged: int
    languages: dict[str, int] = Field(description="Segments per xml:lang seen in the file.")
    skipped: dict[str, int] = Field(description="What could not be used, and why.")


class MemoryAccessModel(BaseModel):
    name: str | None = Field(description="The key's name as memory entries record it (null: the API is open).")
    role: Literal["translator", "editor"]
    may_approve: bool = Field(description="Whether this key may store approved entries and approve suggestions.")


class GlossaryDictionaryModel(BaseModel):
    source_lang: Lang
    target_lang: Lang
    entry_count: int
    content_hash: str = Field(description="Translations made with these entries are cached under it.")


class GlossaryModel(BaseModel):
    id: str
    name: str
    owner: str | None = Field(description="The API key that made it (`key:<name>`), or null: a global glossary.")
    source_lang: Lang | None = Field(description="Of its only dictionary (null for a multilingual glossary).")
    target_lang: Lang | None
    entry_count: int
    content_hash: str | None = Field(description="Of its only dictionary (null for a multilingual glossary).")
    created_at: str
    dictionaries: list[GlossaryDictionaryModel]


class GlossaryListResponse(BaseModel):
    glossaries: list[GlossaryModel]


class GlossaryEntryModel(BaseModel):
    source: str
    target: str


class GlossaryEntriesModel(BaseModel):
    source_lang: Lang
    target_lang: Lang
    content_hash: str
    entries: list[GlossaryEntryModel]
