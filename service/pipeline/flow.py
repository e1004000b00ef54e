"""One request or archive record through the whole flow.

normalize -> segment -> detect (per segment) -> translate (batched, cached) -> assemble + align
-> summarize. ``translate_documents`` takes many documents at once so that sentences of many
records fill the same model batches (the batch CLI and request coalescing rely on this).

Quotes are translation units of their own: a quote inside a sentence is carved out, translated
in its own language, and put back where the sentence's translation holds its placeholder. Its
target span is therefore exact by construction, not guessed after the fact.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from service.errors import EmptyText, TextTooLarge, UnsupportedLanguage, check_text
from translators.base import (
    SUPPORTED_LANGS,
    DetectedLang,
    Detection,
    Detector,
    Lang,
    ModelIdentity,
    Span,
    Summarizer,
    Translator,
)
from translators.text.html import HtmlDocument, parse_html, render_html
from translators.text.protect import Masked, mask, unmask_with
from translators.text.quotes import Quote, find_quotes
from translators.text.segment import split_sentences

log = logging.getLogger(__name__)

Format = Literal["text", "html"]
LOW_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Document:
    text: str
    source_lang: Lang | Literal["auto"] = "auto"
    target_lang: Lang = "en"
    format: Format = "text"
    ignore_tags: frozenset[str] = frozenset()  # HTML: elements whose content is kept as it is


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


@dataclass
class DetectionResult:
    source_text: str  # the text the spans index (for HTML: its text content)
    whole: Detection  # the whole text's language
    segments: list[tuple[Span, Detection]]


def segment(text: str, fmt: Format, hint: str | None,
            ignore_tags: frozenset[str] = frozenset()) -> tuple[str, list[Span], HtmlDocument | None]:
    """Sentences of a text, or of an HTML document's blocks (spans into its text content);
    HTML elements marked not to be translated, and tags in ``ignore_tags``, are left out."""
    if fmt == "html":
        html = parse_html(text, ignore_tags)
        spans: list[Span] = []
        for block in html.blocks:
            base = block.span.start
            for s in split_sentences(block.span.text, hint):
                spans.append(Span(base + s.start, base + s.end, s.text))
        return html.text, spans, html
    return text, split_sentences(text, hint), None


def detect_text(detector: Detector, text: str, source_lang: Lang | Literal["auto"] = "auto",
                fmt: Format = "text") -> DetectionResult:
    """Language and confidence per segment and for the whole text."""
    if not text.strip():
        raise EmptyText("text is empty")
    check_text(text)
    source_text, spans, _ = segment(text, fmt, None if source_lang == "auto" else source_lang)
    return DetectionResult(source_text, detector.detect(source_text), [(s, detector.detect(s.text)) for s in spans])


# ----------------------------------------------------------------------------- planning


@dataclass
class _Unit:
    """One thing sent to the model: a sentence frame or a carved-out quote."""

    lang: DetectedLang
    text: str
    masked: Masked | None = None  # None: kept verbatim (already target language, or other)
    result: str | None = None
    pieces: int = 1
    cached: bool = False
    capped: bool = False

    @property
    def uses_model(self) -> bool:
        return self.masked is not None and bool(self.masked.model_text.strip())


@dataclass
class _SentencePlan:
    span: Span
    detection: Detection
    frame: _Unit
    carved: list[tuple[int, int, int]]  # (start, end) relative to the sentence, quote index
    parts: list[_Unit]  # carved quote units, same order as ``carved``


@dataclass
class _DocPlan:
    doc: Document
    source_text: str
    html: HtmlDocument | None
    sentences: list[_SentencePlan]
    quotes: list[Quote]
    quote_langs: list[DetectedLang]
    doc_lang: Lang | None
    warnings: list[str]


class Pipeline:
    def __init__(self, translator: Translator, detector: Detector, summarizer: Summarizer | None = None,
                 *, max_chars: int = 200_000) -> None:
        self.translator = translator
        self.detector = detector
        self.summarizer = summarizer
        self.max_chars = max_chars

    # -- public -----------------------------------------------------------------------------
    def translate(self, doc: Document) -> DocumentResult:
        result = self.translate_documents([doc])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def translate_documents(self, docs: Sequence[Document]) -> list[DocumentResult | Exception]:
        """Translate many documents, sharing model batches; a bad document yields its error
        in its place and the rest go on."""
        plans: list[_DocPlan | Exception] = []
        for doc in docs:
            try:
                plans.append(self._plan(doc))
            except Exception as exc:  # reported per document
                plans.append(exc)
        good = [p for p in plans if isinstance(p, _DocPlan)]
        failures = self._run_units(good)
        out: list[DocumentResult | Exception] = []
        for p in plans:
            if isinstance(p, Exception):
                out.append(p)
            elif id(p) in failures:
                out.append(failures[id(p)])
            else:
                out.append(self._assemble(p))
        return out

    def detect(self, text: str, source_lang: Lang | Literal["auto"] = "auto",
               fmt: Format = "text") -> DetectionResult:
        """Language and confidence per segment and for the whole text (API and CLI ``detect``)."""
        return detect_text(self.detector, text, source_lang, fmt)

    def detect_segments(self, text: str, source_lang: Lang | Literal["auto"] = "auto",
                        fmt: Format = "text") -> tuple[str, list[tuple[Span, Detection]]]:
        r = detect_text(self.detector, text, source_lang, fmt)
        return r.source_text, r.segments

    # -- planning -----------------------------------------------------------------------------
    def _segment(self, text: str, fmt: Format, hint: str | None,
                 ignore_tags: frozenset[str] = frozenset()) -> tuple[str, list[Span], HtmlDocument | None]:
        return segment(text, fmt, hint, ignore_tags)

    def _plan(self, doc: Document) -> _DocPlan:
        if not doc.text or not doc.text.strip():
            raise EmptyText("text is empty")
        if len(doc.text) > self.max_chars:
            raise TextTooLarge(f"text has {len(doc.text)} characters; the limit is {self.max_chars}")
        check_text(doc.text)
        hint = None if doc.source_lang == "auto" else doc.source_lang
        source_text, spans, html = self._segment(doc.text, doc.format, hint, doc.ignore_tags)
        warnings: list[str] = []
        detections = [self._detect(s.text, doc.source_lang) for s in spans]
        doc_lang = self._document_language(spans, detections)
        if doc_lang is not None:  # short or unsure segments follow the document
            detections = [
                Detection(doc_lang, d.confidence) if d.lang != "other" and d.confidence < LOW_CONFIDENCE else d
                for d in detections
            ]
        if doc_lang is None and any(d.confidence > 0 for d in detections):
            raise UnsupportedLanguage("the text is in none of the supported languages (pl, lt, en)")
        if doc_lang is None:
            warnings.append("nothing to translate: the text holds no words")

        quotes = find_quotes(source_text) if html is None else html.quotes()
        quote_langs = [self._quote_lang(q, doc.source_lang, doc_lang) for q in quotes]
        plans: list[_SentencePlan] = []
        index = {id(q): i for i, q in enumerate(quotes)}
        outer = _outermost([q for q in quotes if q.kind == "quote"])
        outer_at = Intervals([(q.span.start, q.span.end) for q in outer])
        signatures = Intervals(_tweet_signatures(quotes))
        for span, det in zip(spans, detections, strict=True):
            carved = _carve(span, [(outer[i], index[id(outer[i])]) for i in outer_at.overlapping(span.start, span.end)])
            frame = _Unit(det.lang, span.text)
            parts = [_Unit(quote_langs[qi], span.text[a:b]) for a, b, qi in carved]
            plans.append(_SentencePlan(span, det, frame, carved, parts))
            if signatures.containing(span.start, span.end):
                continue  # "— Author (@handle) date" of an embedded post is metadata: kept as is
            for unit in parts:
                self._prepare(unit, doc.target_lang)
            self._prepare(frame, doc.target_lang, [(a, b) for a, b, _ in carved])
        return _DocPlan(doc, source_text, html, plans, quotes, quote_langs, doc_lang, warnings)

    def _detect(self, text: str, source_lang: str) -> Detection:
        det = self.detector.detect(text)
        if source_lang != "auto" and det.confidence > 0:
            return Detection(source_lang, 1.0)  # type: ignore[arg-type]
        return det

    @staticmethod
    def _document_language(spans: Sequence[Span], detections: Sequence[Detection]) -> Lang | None:
        weight: dict[str, float] = defaultdict(float)
        for s, d in zip(spans, detections, strict=True):
            if d.lang != "other":
                weight[d.lang] += len(s.text) * max(d.confidence, 0.05)
        if not weight:
            return None
        return max(weight, key=lambda k: weight[k])  # type: ignore[return-value]

    def _quote_lang(self, q: Quote, source_lang: str, doc_lang: Lang | None) -> DetectedLang:
        """A quote's own language (an English article may quote a Polish post)."""
        if source_lang != "auto":
            return source_lang  # type: ignore[return-value]
        det = self.detector.detect(q.span.text)
        hint = (q.lang_hint or "").split("-")[0].lower()  # declared, e.g. <p lang="pl"> of an embed
        if hint in SUPPORTED_LANGS and (det.lang == "other" or det.confidence < LOW_CONFIDENCE):
            return hint  # type: ignore[return-value]
        if det.lang == "other" and det.confidence == 0:
            return doc_lang or "other"
        if det.lang != "other" and det.confidence < LOW_CONFIDENCE and doc_lang is not None:
            return doc_lang
        return det.lang

    def _prepare(self, unit: _Unit, target: Lang, holes: Sequence[tuple[int, int]] = ()) -> None:
        if unit.lang in SUPPORTED_LANGS and unit.lang != target:
            unit.masked = mask(unit.text, holes)

    # -- translating --------------------------------------------------------------------------
    def _run_units(self, plans: Sequence[_DocPlan]) -> dict[int, Exception]:
        """Translate every unit of every plan, grouped by pair and de-duplicated."""
        groups: dict[tuple[str, str], dict[str, list[tuple[_Unit, _DocPlan]]]] = defaultdict(dict)
        for plan in plans:
            for sp in plan.sentences:
                for unit in [*sp.parts, sp.frame]:
                    if unit.masked is None:
                        continue
                    if not unit.masked.model_text.strip():
                        unit.result = ""
                        continue
                    groups[(unit.lang, plan.doc.target_lang)].setdefault(unit.masked.model_text, []).append(
                        (unit, plan))
        failures: dict[int, Exception] = {}
        for (src, tgt), by_text in groups.items():
            texts = list(by_text)
            try:
                outs = self.translator.translate_batch(texts, src, tgt)  # type: ignore[arg-type]
            except Exception as exc:
                for users in by_text.values():
                    for _, plan in users:
                        failures[id(plan)] = exc
                continue
            for text, out in zip(texts, outs, strict=True):
                for unit, _ in by_text[text]:
                    unit.result, unit.pieces, unit.cached, unit.capped = out.text, out.pieces, out.cached, out.capped
        return failures

    # -- assembling -----------------------------------------------------------------------------
    def _assemble(self, plan: _DocPlan) -> DocumentResult:
        src = plan.source_text
        target = plan.doc.target_lang
        out: list[str] = []
        pos = 0  # length of the translation so far
        cursor = 0  # position in the source
        sentences: list[SentenceOut] = []
        quote_target: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
        hits = misses = 0
        for sp in plan.sentences:
            gap = src[cursor:sp.span.start]
            out.append(gap)
            pos += len(gap)
            fills = [_finish(u) for u in sp.parts]
            frame = sp.frame
            if frame.masked is None:
                text, holes = _splice(frame.text, [(a, b) for a, b, _ in sp.carved], fills)
            else:
                text, holes = unmask_with(frame.result or "", frame.masked, fills)
            for (_, _, qi), (a, b) in zip(sp.carved, holes, strict=True):
                quote_target[qi][len(sentences)] = (pos + a, pos + b)
            used = [u for u in [*sp.parts, frame] if u.uses_model]
            hits += sum(u.cached for u in used)
            misses += sum(not u.cached for u in used)
            sentences.append(SentenceOut(
                source=sp.span, target=Span(pos, pos + len(text), text), lang=sp.detection.lang,
                confidence=round(sp.detection.confidence, 4), translated=bool(used),
                pieces=max([1] + [u.pieces for u in used]), cached=bool(used) and all(u.cached for u in used),
                capped=any(u.capped for u in used)))
            out.append(text)
            pos += len(text)
            cursor = sp.span.end
        out.append(src[cursor:])
        translation_text = "".join(out)

        quotes = self._align_quotes(plan, sentences, quote_target, translation_text)
        translation = translation_text
        if plan.html is not None:
            translation = render_html(plan.html, _block_translations(plan, sentences, translation_text))
        warnings = list(plan.warnings)
        split = sum(1 for s in sentences if s.pieces > 1)
        if split:
            warnings.append(f"{split} sentence(s) exceeded the model's input limit and were translated in pieces")
        capped = sum(1 for s in sentences if s.capped)
        if capped:
            warnings.append(f"{capped} sentence(s) stopped at the model's output length cap or repeated themselves "
                            "(the loop was cut): their translation may be incomplete")
        models: dict[str, list[ModelIdentity]] = {}
        for lang in {u.lang for sp in plan.sentences for u in [*sp.parts, sp.frame] if u.masked is not None}:
            pair = f"{lang}-{target}"
            models[pair] = list(self.translator.describe(lang, target).legs)  # type: ignore[arg-type]
        return DocumentResult(
            source_lang=plan.doc_lang or "und", target_lang=target, format=plan.doc.format, source_text=src,
            translation_text=translation_text, translation=translation, sentences=sentences, quotes=quotes,
            models=models, cache_hits=hits, cache_misses=misses, warnings=warnings)

    @staticmethod
    def _align_quotes(plan: _DocPlan, sentences: Sequence[SentenceOut],
                      carved: dict[int, dict[int, tuple[int, int]]], translation: str) -> list[QuoteOut]:
        """A quote's target runs from its first to its last piece: the carved-out translation in a
        sentence where it was carved, the whole sentence where the quote fills it."""
        result: list[QuoteOut] = []
        at = Intervals([(s.source.start, s.source.end) for s in sentences])
        for qi, q in enumerate(plan.quotes):
            inside = list(at.overlapping(q.span.start, q.span.end))
            pieces = [carved.get(qi, {}).get(i) or _uncarved_piece(sentences[i], q.span, translation) for i in inside]
            target = None
            if pieces:
                start, end = pieces[0][0], pieces[-1][1]
                target = Span(start, end, translation[start:end])
            result.append(QuoteOut(
                kind=q.kind, lang=plan.quote_langs[qi], source=q.span, outer=q.outer, target=target,
                sentences=inside, author=q.author, handle=q.handle, date=q.date, url=q.url, speaker=q.speaker))
        return result


_MARKS = frozenset("„”“\"«»‘’‹›'")


def _uncarved_piece(sentence: SentenceOut, quote: Span, translation: str) -> tuple[int, int]:
    """The part of a sentence's translation that a quote filling the sentence (but for quote
    marks and punctuation around it, which were not carved) stands for: the sentence's target
    without the marks and punctuation that lie outside the quote in the source."""
    a, b = sentence.target.start, sentence.target.end
    lead = sentence.source.text[:max(0, quote.start - sentence.source.start)]
    trail = sentence.source.text[max(0, quote.end - sentence.source.start):]
    if lead.strip():
        strip = set(lead) | _MARKS
        while a < b and (translation[a] in strip or translation[a].isspace()):
            a += 1
    if trail.strip():
        strip = set(trail) | _MARKS
        while b > a and (translation[b - 1] in strip or translation[b - 1].isspace()):
            b -= 1
    return a, b


def _tweet_signatures(quotes: Sequence[Quote]) -> list[tuple[int, int]]:
    """The parts of embedded posts outside their body (the author/handle/date line)."""
    out: list[tuple[int, int]] = []
    for q in quotes:
        if q.kind == "tweet":
            out += [(q.outer.start, q.span.start), (q.span.end, q.outer.end)]
    return [(a, b) for a, b in out if a < b]


def _finish(unit: _Unit) -> str:
    if unit.masked is None:
        return unit.text
    if unit.result is None:  # pragma: no cover - every masked unit is translated or failed
        raise RuntimeError("unit was not translated")
    return unmask_with(unit.result, unit.masked, [])[0]


def _splice(text: str, holes: Sequence[tuple[int, int]], fills: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Replace ``holes`` of ``text`` by ``fills``; returns the new text and where each fill lies."""
    out: list[str] = []
    positions: list[tuple[int, int]] = []
    cursor = pos = 0
    for (a, b), fill in zip(holes, fills, strict=True):
        out.append(text[cursor:a])
        pos += a - cursor
        out.append(fill)
        positions.append((pos, pos + len(fill)))
        pos += len(fill)
        cursor = b
    out.append(text[cursor:])
    return "".join(out), positions


def _outermost(quotes: Sequence[Quote]) -> list[Quote]:
    out: list[Quote] = []
    for q in sorted(quotes, key=lambda q: (q.outer.start, -q.outer.end)):
        if not out or q.outer.start >= out[-1].outer.end:
            out.append(q)
    return out


def _carve(span: Span, quotes: Sequence[tuple[Quote, int]]) -> list[tuple[int, int, int]]:
    """Parts of a sentence that are quote content and not the whole sentence: (start, end, quote
    index), relative to the sentence. ``quotes`` are the outermost quotes overlapping it."""
    carved: list[tuple[int, int, int]] = []
    for q, qi in quotes:
        a, b = max(q.span.start, span.start), min(q.span.end, span.end)
        if a >= b:
            continue
        piece = span.text[a - span.start:b - span.start]
        if not piece.strip():
            continue
        # the quote covers the sentence but for quote marks and punctuation: no need to carve
        rest = (span.text[:a - span.start] + span.text[b - span.start:]).strip()
        if not any(ch.isalnum() for ch in rest):
            continue
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        carved.append((a - span.start + lead, b - span.start - trail, qi))
    return carved


class Intervals:
    """Sorted, non-overlapping half-open intervals with logarithmic overlap queries (so
    aligning many quotes with many sentences stays linear-ish, never quadratic)."""

    def __init__(self, intervals: Sequence[tuple[int, int]]) -> None:
        self.items = sorted(intervals)
        self.ends = [b for _, b in self.items]

    def overlapping(self, start: int, end: int) -> range:
        """Indices (into the sorted items) of the intervals that overlap ``[start, end)``."""
        first = bisect_right(self.ends, start)
        last = first
        while last < len(self.items) and self.items[last][0] < end:
            last += 1
        return range(first, last)

    def containing(self, start: int, end: int) -> bool:
        return any(self.items[i][0] <= start and end <= self.items[i][1] for i in self.overlapping(start, end))


def _block_translations(plan: _DocPlan, sentences: Sequence[SentenceOut], translation: str) -> list[str]:
    assert plan.html is not None
    at = Intervals([(s.source.start, s.source.end) for s in sentences])
    out: list[str] = []
    for block in plan.html.blocks:
        inside = [sentences[i] for i in at.overlapping(block.span.start, block.span.end)]
        if not inside:
            out.append(block.span.text)
            continue
        out.append(translation[inside[0].target.start:inside[-1].target.end])
    return out
