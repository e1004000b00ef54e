"""The presentation layer: how results and errors look to whoever asked.

The HTTP routes, the CLI and the batch runner (and the compatibility adapters) all shape their
output here, so a translation reads the same everywhere:

- ``to_model`` / ``summary_model`` / ``detect_model``: domain results -> response models, with
  spans in the requested offset unit (code points, or UTF-16 code units for JavaScript);
- ``batch_record`` / ``error_record``: one line of a batch output file;
- ``problem_of``: the one policy for what a client learns from an exception (its stable
  ``type`` and a ``detail``; an unexpected error keeps its private detail unless asked).

Nothing here knows HTTP status codes: ``service/http/problems.py`` adds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from service.errors import NewsbridgeError
from service.pipeline.results import DetectionResult, DocumentResult, MemoryRef, Suggestion
from service.pipeline.summarize import SummaryOut
from service.responses import (
    CachedCounts,
    DetectResponse,
    DetectSegment,
    MemoryRefModel,
    ModelRef,
    QuoteModel,
    SentenceModel,
    SpanOut,
    SuggestionModel,
    SummaryModel,
    SummaryQuote,
    SummarySentence,
    TermModel,
    TranslationModel,
    WordLinkModel,
)
from translators.base import Span, TranslatorError
from translators.give_way import give_way, giving_way
from translators.text.offsets import Utf16Index

__all__ = ["INTERNAL_DETAIL", "Offsets", "Problem", "batch_record", "detect_model", "error_record", "expected",
           "json_bytes", "problem_of", "summary_model", "to_model"]

INTERNAL_DETAIL = "an unexpected error occurred; the server log has it (under this request_id, over HTTP)"


class Offsets:
    """Converts code-point spans to the requested unit, one index per string."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._index: dict[int, Utf16Index] = {}

    def span(self, span: Span, text: str) -> SpanOut:
        if self.mode == "codepoint":
            return SpanOut(start=span.start, end=span.end, text=span.text)
        index = self._index.get(id(text))
        if index is None:
            index = self._index[id(text)] = Utf16Index(text)
        return SpanOut(start=index.to_utf16(span.start), end=index.to_utf16(span.end), text=span.text)


# ----------------------------------------------------------------------------- results


def to_model(r: DocumentResult, offsets: str) -> TranslationModel:
    """A translation as the API returns it (and the CLI's ``--json``, and a batch record)."""
    conv = Offsets(offsets)
    src, tgt = r.source_text, r.translation_text
    return TranslationModel(
        source_lang=r.source_lang, target_lang=r.target_lang, format=r.format, offsets=offsets,  # type: ignore[arg-type]
        source_text=src, translation=r.translation, translation_text=tgt,
        sentences=[SentenceModel(source=conv.span(s.source, src), target=conv.span(s.target, tgt), lang=s.lang,
                                 confidence=s.confidence, translated=s.translated, split=s.pieces > 1,
                                 cached=s.cached, capped=s.capped, warnings=s.warnings, flags=s.flags,
                                 origin=s.origin, memory=_memory_ref(s.memory),
                                 suggestions=[_suggestion(x) for x in s.suggestions],
                                 terms=[TermModel(source=conv.span(t.source, src), target=conv.span(t.target, tgt),
                                                  term=t.term, translation=t.translation, match=t.match, keep=t.keep,
                                                  placed=t.placed) for t in s.terms],
                                 translation_confidence=s.translation_confidence,
                                 alignment=[WordLinkModel(source=conv.span(a, src), target=conv.span(b, tgt))
                                            for a, b in s.alignment or ()] if r.alignment else None)
                   for s in giving_way(r.sentences)],
        quotes=[QuoteModel(kind=q.kind, lang=q.lang, source=conv.span(q.source, src), outer=conv.span(q.outer, src),
                           target=conv.span(q.target, tgt) if q.target else None, sentences=q.sentences,
                           author=q.author, handle=q.handle, date=q.date, url=q.url, speaker=q.speaker,
                           parent=q.parent)
                for q in r.quotes],
        model={pair: [ModelRef(id=i.model_id, revision=i.revision, checksum=i.checksum, options=i.options,
                               tier=i.tier if i.tier in ("quality", "fast") else "quality")  # type: ignore[arg-type]
                      for i in ids] for pair, ids in r.models.items()},
        cached=CachedCounts(hits=r.cache_hits, misses=r.cache_misses),
        warnings=r.warnings,
        memory_hits=r.memory_hits,
    )


def _memory_ref(m: MemoryRef | None) -> MemoryRefModel | None:
    return None if m is None else MemoryRefModel(id=m.id, who=m.who, when=m.when, scope=m.scope)


def _suggestion(x: Suggestion) -> SuggestionModel:
    return SuggestionModel(id=x.id, source=x.source, target=x.target, score=x.score, status=x.status,  # type: ignore[arg-type]
                           who=x.who, when=x.when)


def summary_model(s: SummaryOut, offsets: str) -> SummaryModel:
    """A summary with the quotes it uses (original wording and spans) and its translation."""
    conv = Offsets(offsets)
    r = s.translation
    return SummaryModel(
        summary=s.summary, method=s.method,  # type: ignore[arg-type]
        summary_sentences=[SummarySentence(summary=conv.span(x.summary, s.summary), sources=x.sources)
                           for x in s.sentences],
        quotes=[SummaryQuote(kind=q.quote.kind, lang=q.quote.lang, original=q.quote.source.text,
                             source=conv.span(q.quote.source, r.source_text),
                             target=conv.span(q.quote.target, r.translation_text) if q.quote.target else None,
                             summary=conv.span(q.summary, s.summary) if q.summary else None,
                             summary_spans=[conv.span(x, s.summary) for x in q.spans], index=q.index,
                             parent=q.quote.parent, author=q.quote.author, handle=q.quote.handle,
                             date=q.quote.date, speaker=q.quote.speaker)
                for q in s.quotes],
        translation=to_model(r, offsets))


def detect_model(r: DetectionResult, offsets: str) -> DetectResponse:
    """Language and confidence per segment (spans into ``r.source_text``) and for the whole text."""
    conv = Offsets(offsets)
    return DetectResponse(lang=r.whole.lang, confidence=round(r.whole.confidence, 4), segments=[
        DetectSegment(span=conv.span(s, r.source_text), lang=d.lang, confidence=round(d.confidence, 4))
        for s, d in r.segments])


def batch_record(rec_id: str, line: int, result: DocumentResult, summary: SummaryOut | None = None,
                 warnings: Sequence[str] = ()) -> dict[str, Any]:
    """One success line of a batch output: the record's id and line, the translation (without
    echoing the record's own plain text), the record's reader warnings first, the summary."""
    body: dict[str, Any] = {"id": rec_id, "line": line}
    model = to_model(result, "codepoint").model_dump(mode="json")
    if result.format == "text":
        model.pop("source_text")  # the record's own text: source spans index it
    if model["translation_text"] == model["translation"]:
        model.pop("translation_text")
    model["warnings"] = [*warnings, *model["warnings"]]
    body.update(model)
    if summary is not None:
        shaped = summary_model(summary, "codepoint").model_dump(mode="json")
        shaped.pop("translation")
        body["summary"] = shaped
    return body


def error_record(rec_id: str, line: int, type_: str, detail: str) -> dict[str, Any]:
    """One error line of a batch output."""
    return {"id": rec_id, "line": line, "error": {"type": type_, "detail": detail}}


# ----------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class Problem:
    """What a client learns from an error. ``internal``: not the input's fault (a crash);
    its private detail is withheld unless the caller is the operator (CLI, batch)."""

    type: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    internal: bool = False


def expected(exc: BaseException) -> bool:
    """A domain or engine error (the input's or the setup's), not a crash."""
    return isinstance(exc, NewsbridgeError | TranslatorError)


def problem_of(exc: BaseException, *, reveal: bool = False) -> Problem:
    """The one exception -> problem policy. ``reveal``: show an unexpected error's own message
    (for the operator's eyes: a batch error record), not the generic one."""
    if isinstance(exc, NewsbridgeError):
        return Problem(exc.type, exc.detail, dict(exc.extra))
    if isinstance(exc, TranslatorError):
        return Problem(exc.type, str(exc), dict(exc.extra))
    detail = f"{type(exc).__name__}: {exc}" if reveal else INTERNAL_DETAIL
    return Problem("internal_error", detail, internal=True)


def json_bytes(model: BaseModel) -> bytes:
    """``model_dump_json().encode()``, the same bytes without the str in between (7 ms instead of
    12 ms for a 100 KB article's 1.8 MB answer). Each call holds the GIL throughout, so a long
    translation's sentences are written a few hundred at a time, giving way between the pieces
    to the interactive requests beside it (translators.give_way)."""
    if isinstance(model, TranslationModel) and len(model.sentences) > _SENTENCES_AT_ONCE:
        return _translation_json(model)
    return model.__pydantic_serializer__.to_json(model)


_SENTENCES_AT_ONCE = 256


@cache
def _sentences_adapter() -> TypeAdapter[list[SentenceModel]]:
    return TypeAdapter(list[SentenceModel])


def _translation_json(model: TranslationModel) -> bytes:
    """The bytes ``to_json(model)`` gives, its sentences serialized in pieces."""
    head = model.__pydantic_serializer__.to_json(model.model_copy(update={"sentences": []}))
    adapter, sentences = _sentences_adapter(), model.sentences
    pieces = []
    for i in range(0, len(sentences), _SENTENCES_AT_ONCE):
        give_way()
        pieces.append(adapter.dump_json(sentences[i:i + _SENTENCES_AT_ONCE])[1:-1])
    # the first '"sentences":[]' is the field's: it precedes `quotes`, and a quote mark inside a
    # string value is escaped
    return head.replace(b'"sentences":[]', b'"sentences":[' + b",".join(pieces) + b"]", 1)
