"""Summaries made from a translation: units that never cut a quote, provenance, quotes kept.

The step ``Pipeline.summarize`` (``flow.py``) runs; callers go through the pipeline.

Which units the summarizer may pick, in order of preference:

1. the article's sentences whose translation carries no quality flag;
2. flagged sentences (``SentenceOut.flags``: a number missing, a capped or split output, an
   untranslated or low-confidence sentence, ...; not the markup's flags, the summary being plain
   text), only to fill the summary's length when the
   unflagged ones are too few: an editor reading a summary cannot see that a sentence of it
   was doubtful, so a doubtful sentence goes in only when there is no choice;
3. headings, only when the text has nothing else (a headline-only item). A heading is a
   line of its own without sentence-final punctuation (a headline, a dateline, a section
   title): it is not a sentence of the article, it repeats the words of the lead (so
   centrality favours it while it adds nothing) and the CMS shows it anyway.

Picked units keep their boundaries (:mod:`summarizers.joining`): a space after a sentence, a
line break after a unit without sentence-final punctuation, so no heading or fragment is ever
glued to the next sentence; the spans of ``summary_sentences`` cover each unit exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from service.pipeline.results import DocumentResult, QuoteOut, SentenceOut
from summarizers.joining import ends_sentence, separator
from summarizers.length import summary_length
from translators.base import Span, Summarizer

_LINE_END = regex.compile(r"[ \t]*(?:\r?\n|$)")


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


def is_heading(result: DocumentResult, unit: list[int]) -> bool:
    """A unit that is a line of its own (a line break, or the start of the text, before it; a
    line break after it, with more text to come) and does not end a sentence: a headline, a
    dateline, a section title. A last line without a full stop (a tweet) is not one."""
    text = result.translation_text
    first, last = result.sentences[unit[0]].target, result.sentences[unit[-1]].target
    before = text[:first.start].rstrip(" \t")
    after = text[last.end:]
    starts_line = not before or before.endswith("\n")
    ends_line = bool(after.strip()) and after.lstrip(" \t").startswith(("\n", "\r"))
    return starts_line and ends_line and not ends_sentence(last.text)


# Flags about the markup, not the words: a summary is plain text, so they do not count against it.
MARKUP_FLAGS = frozenset({"markup_placement_uncertain"})


def sentence_flags(sentence: SentenceOut) -> list[str]:
    """The quality flags of a sentence's words (``SentenceOut.flags`` but the markup's; a capped
    output counts too)."""
    flags = [f for f in sentence.flags if f not in MARKUP_FLAGS]
    if sentence.capped and "capped" not in flags:
        flags.append("capped")
    return flags


def _candidates(result: DocumentResult, units: list[list[int]], k: int) -> list[tuple[list[int], int | None]]:
    """(unit indices, how many to pick among them) in order of preference: unflagged sentences,
    then flagged ones to fill; headings only when there is nothing else."""
    body = [u for u, unit in enumerate(units) if not is_heading(result, unit)]
    pool = body or list(range(len(units)))
    clean = [u for u in pool if not any(sentence_flags(result.sentences[i]) for i in units[u])]
    if len(clean) >= k:
        return [(clean, k)]
    flagged = [u for u in pool if u not in set(clean)]
    return [(clean, len(clean)), (flagged, k - len(clean))]


def make_summary(result: DocumentResult, summarizer: Summarizer, *, max_sentences: int | None = None,
                 ratio: float | None = None, method: str = "extractive") -> SummaryOut:
    units = summary_units(result)
    translation = result.translation_text
    texts = [translation[result.sentences[u[0]].target.start:result.sentences[u[-1]].target.end] for u in units]
    k = summary_length(len(units), max_sentences, ratio)
    groups = _candidates(result, units, k)
    if groups == [(list(range(len(units))), k)]:  # nothing left out: the caller's own length options
        groups = [(groups[0][0], None)]
    chosen: list[int] = []
    for subset, want in groups:
        if want == 0 or (not subset and units):
            continue
        lengths = {"max_sentences": max_sentences, "ratio": ratio} if want is None else {"max_sentences": want}
        picked = summarizer.summarize([texts[u] for u in subset], result.target_lang, **lengths)
        if picked.picked is None:  # abstractive: it writes from the preferred units
            return _abstractive(result, picked.text, method)
        chosen += [subset[i] for i in picked.picked]
    parts: list[str] = []
    sentences: list[SummarySentenceOut] = []
    placed: list[tuple[int, int, int]] = []  # (start in the translation, end, start in the summary)
    pos = 0
    for ui in sorted(chosen):
        if parts:
            gap = separator(parts[-1])
            parts.append(gap)
            pos += len(gap)
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

