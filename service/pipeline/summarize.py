"""Summaries made from a translation: units that never cut a quote, provenance, quotes kept.

The step ``Pipeline.summarize`` (``flow.py``) runs; callers go through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.pipeline.results import DocumentResult, QuoteOut
from translators.base import Span, Summarizer


@dataclass
class SummarySentenceOut:
    summary: Span
    sources: list[int]


@dataclass
class SummaryQuoteOut:
    quote: QuoteOut
    summary: Span | None  # the first of ``spans``
    index: int = 0  # its index in the translation's quotes (``quote.parent`` counts the same way)
    spans: list[Span] = field(default_factory=list)  # the parts of the summary that translate it


@dataclass
class SummaryOut:
    summary: str
    method: str
    sentences: list[SummarySentenceOut]
    quotes: list[SummaryQuoteOut]
    translation: DocumentResult


def summary_units(result: DocumentResult) -> list[list[int]]:
    """Sentence groups to choose from: a quote over several sentences is one unit; tweet
    signatures and segments with no words (hashtag/URL runs) are not candidates."""
    signature: set[int] = set()
    for q in result.quotes:
        if q.kind == "tweet":
            signature.update(i for i, s in enumerate(result.sentences)
                             if q.outer.start <= s.source.start and s.source.end <= q.outer.end
                             and not (s.source.start < q.source.end and q.source.start < s.source.end))
    owner: dict[int, int] = {}
    for qi, q in enumerate(result.quotes):
        if q.kind == "quote" and len(q.sentences) > 1:
            for i in q.sentences:
                owner.setdefault(i, qi)
    units: list[list[int]] = []
    for i, s in enumerate(result.sentences):
        if i in signature or (s.lang == "other" and s.confidence == 0) or not s.target.text.strip():
            continue
        if i in owner and units and units[-1] and owner.get(units[-1][-1]) == owner[i]:
            units[-1].append(i)
        else:
            units.append([i])
    return units


def make_summary(result: DocumentResult, summarizer: Summarizer, *, max_sentences: int | None = None,
              ratio: float | None = None, method: str = "extractive") -> SummaryOut:
    units = summary_units(result)
    translation = result.translation_text
    texts = [translation[result.sentences[u[0]].target.start:result.sentences[u[-1]].target.end] for u in units]
    picked = summarizer.summarize(texts, result.target_lang, max_sentences=max_sentences, ratio=ratio)
    if picked.picked is None:
        return _abstractive(result, picked.text, method)
    parts: list[str] = []
    sentences: list[SummarySentenceOut] = []
    placed: list[tuple[int, int, int]] = []  # (start in the translation, end, start in the summary)
    pos = 0
    for ui in picked.picked:
        if parts:
            parts.append(" ")
            pos += 1
        text = texts[ui]
        unit_start = result.sentences[units[ui][0]].target.start
        sentences.append(SummarySentenceOut(Span(pos, pos + len(text), text), list(units[ui])))
        placed.append((unit_start, unit_start + len(text), pos))
        parts.append(text)
        pos += len(text)
    summary = "".join(parts)
    return SummaryOut(summary, method, sentences, _quotes_in(result, placed, summary), result)


def _quotes_in(result: DocumentResult, placed: list[tuple[int, int, int]], summary: str) -> list[SummaryQuoteOut]:
    """Every quote or tweet whose translation the summary carries, whole or in part (a tweet of
    five sentences summarized by two is listed with both parts), and the quotes inside those
    (with the summary spans they have, maybe none), in document order."""
    out: list[SummaryQuoteOut] = []
    listed: set[int] = set()
    for qi, q in enumerate(result.quotes):
        if q.target is None:
            continue
        spans: list[Span] = []
        for lo, hi, at in placed:
            a, b = max(q.target.start, lo), min(q.target.end, hi)
            piece = result.translation_text[a:b] if a < b else ""
            if piece.strip():
                a += len(piece) - len(piece.lstrip())
                b -= len(piece) - len(piece.rstrip())
                start = at + a - lo
                spans.append(Span(start, start + b - a, summary[start:start + b - a]))
        if spans or q.parent in listed:  # parents come first (document order)
            out.append(SummaryQuoteOut(q, spans[0] if spans else None, qi, spans))
            listed.add(qi)
    return out


def _abstractive(result: DocumentResult, text: str, method: str) -> SummaryOut:
    quotes: list[SummaryQuoteOut] = []
    for qi, q in enumerate(result.quotes):
        if q.target is not None and q.target.text and (i := text.find(q.target.text)) >= 0:
            span = Span(i, i + len(q.target.text), q.target.text)
            quotes.append(SummaryQuoteOut(q, span, qi, [span]))
    return SummaryOut(text, method,
                      [SummarySentenceOut(Span(0, len(text), text), [])], quotes, result)

