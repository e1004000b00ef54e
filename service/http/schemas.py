"""Request models of the HTTP API (they are the OpenAPI documentation; the response models are
``service.responses``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.responses import Offsets, TargetLang
from translators.base import Lang
from translators.registry import Quality

SourceLang = Literal["auto", Lang]
SCOPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"


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
    quality: Quality = Field(default="best", description=(
        "Model tier: `best` (the best published model per direction, the default) or `fast` (a smaller, faster "
        "published model: lower published scores). Each response's `model` names the tier that served it."))
    memory_scope: str | None = Field(default=None, pattern=SCOPE_PATTERN, max_length=64, description=(
        "A desk: its own translation memory entries are used first, then the global ones."))
    memory_suggestions: bool = Field(default=True, description=(
        "Return close translation memory entries (`suggestions`) beside the model's sentences."))
    glossary: str | None = Field(default=None, description="Id of a glossary (`/v1/glossaries`) whose terms are "
                                 "enforced; each sentence lists the terms applied (`terms`).")
    alignment: bool = Field(default=False, description=(
        "Return each translated sentence's word links (`sentences[].alignment`) from the model's own "
        "attention; the translation is the same either way."))

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


class MemoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "source_lang": "pl", "target_lang": "en", "source": "Sytuacja jest pod kontrolą.",
        "target": "The situation is under control.", "status": "approved"}]})

    source_lang: Lang
    target_lang: Lang
    source: str = Field(description="The source segment (a sentence), as it appears in texts.")
    target: str = Field(description="Its translation.")
    status: Literal["approved", "suggested"] = Field(default="approved", description=(
        "`approved` (an editor's: served from then on instead of the model) or `suggested` (waits for an editor)."))
    scope: str | None = Field(default=None, pattern=SCOPE_PATTERN, max_length=64, description=(
        "A desk the entry belongs to (null: every desk)."))
    origin: Literal["api", "editor"] = Field(default="api", description="`editor`: saved from the editor page.")
    note: str | None = Field(default=None, max_length=2000)


class MemoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    target: str | None = None
    scope: str | None = Field(default=None, pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9_.:-]{0,63})?$", max_length=64,
                              description='A desk; `""` makes the entry global; absent: unchanged.')


class GlossaryEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str
    target: str = Field(description="Equal to `source` for a do-not-translate entry.")


class GlossaryEntriesIn(BaseModel):
    """Entries of one language pair: a list of pairs, an object (source -> target), or a TSV /
    CSV text with `entries_format`."""

    model_config = ConfigDict(extra="forbid")
    source_lang: Lang | None = Field(default=None, description="Required when creating; when replacing, defaults "
                                                               "to the glossary's only pair.")
    target_lang: Lang | None = None
    entries: list[GlossaryEntryIn] | dict[str, str] | str
    entries_format: Literal["tsv", "csv"] | None = Field(default=None, description="When `entries` is a text.")


class GlossaryCreateRequest(GlossaryEntriesIn):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "desk", "source_lang": "pl", "target_lang": "en",
        "entries": [{"source": "Straż Graniczna", "target": "Border Guard"},
                    {"source": "Białowieża", "target": "Białowieża"}]}]})
    name: str = Field(min_length=1, max_length=1024)
