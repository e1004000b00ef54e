"""Step 1 of the pipeline, *plan*: segment, detect, carve quotes, protect.

A document becomes units of translation: each sentence's *frame* and the quotes carved out of it
(a quote inside a sentence is translated on its own, in its own language, and put back where the
frame holds its placeholder; a quote inside that quote is carved out of the quote's unit in turn,
see ``service.pipeline.nesting``). Each unit knows its language and its masked model text; units that
need no model (already in the target language, or in none of ours) are kept verbatim.
Detection policy: per segment, short or unsure segments follow the document's language; a quote
keeps its own language (an English article may quote a Polish post).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from service.errors import GlossaryPairMismatch, InvalidMarkup, UnsupportedLanguage
from service.pipeline.checks import DEFAULT_MAX_CHARS, DEFAULT_MAX_HTML_DEPTH, check_input
from service.pipeline.glossary_terms import find_terms
from service.pipeline.nesting import carve, quote_forest
from service.pipeline.results import DetectionResult, Document, Format, MemoryRef, Suggestion
from translators.base import SUPPORTED_LANGS, DetectedLang, Detection, Detector, Lang, Span, WordLink
from translators.give_way import giving_way
from translators.text.html import HtmlDocument, parse_html
from translators.text.intervals import Intervals
from translators.text.protect import Masked, mask
from translators.text.quotes import Quote, find_quotes
from translators.text.segment import split_sentences
from translators.text.terms import Glossary, TermMatch
from translators.text.xml_doc import DEFAULT_OPTIONS, MarkupError, XmlOptions, parse_xml

__all__ = ["LOW_CONFIDENCE", "DocPlan", "SentencePlan", "Unit", "detect_text", "markup_options", "plan_document",
           "segment"]

LOW_CONFIDENCE = 0.5


@dataclass
class Unit:
    """One thing sent to the model: a sentence frame or a carved-out quote."""

    lang: DetectedLang
    text: str
    offset: int = 0  # where ``text`` starts in the document's source text
    masked: Masked | None = None  # None: kept verbatim (already target language, or other)
    result: str | None = None
    pieces: int = 1
    cached: bool = False
    capped: bool = False
    score: float | None = None  # the model's confidence in ``result``
    links: tuple[WordLink, ...] | None = None  # word links: masked model text <-> ``result``
    needs_links: bool = False  # ask the engine for word links (the request, inline markup, a quote placed by them)
    in_markup: bool = False  # in a block with inline markup: a dropped placeholder is put back by the links
    warnings: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # codes of the warnings written "<code>: <detail>"
    terms: list[TermMatch] = field(default_factory=list)  # glossary terms masked in ``text``, in order
    scope: str = ""  # cache scope: the content hash of the glossary dictionary that found terms here
    carved: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end) in ``text``, quote index
    children: list[Unit] = field(default_factory=list)  # the carved quotes' units, same order
    memory: MemoryRef | None = None  # served from the translation memory: ``memory.target`` is its translation
    memory_holes: list[tuple[int, int]] = field(default_factory=list)  # the carved quotes in ``memory.target``
    memory_notes: list[str] = field(default_factory=list)  # why an entry for it was not applied

    @property
    def uses_model(self) -> bool:
        return self.masked is not None and bool(self.masked.model_text.strip())

    def walk(self) -> Iterator[Unit]:
        """This unit and its carved quotes' units, at any depth."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_translate(self) -> Iterator[Unit]:
        """The units of ``walk`` the engines translate: none under a unit the memory serves."""
        if self.memory is not None:
            return
        yield self
        for child in self.children:
            yield from child.to_translate()


@dataclass
class SentencePlan:
    span: Span
    detection: Detection
    frame: Unit  # the sentence; its carved quotes (and theirs) are its children
    suggestions: list[Suggestion] = field(default_factory=list)  # close translation memory entries


@dataclass
class DocPlan:
    doc: Document
    source_text: str
    html: HtmlDocument | None
    sentences: list[SentencePlan]
    quotes: list[Quote]
    quote_langs: list[DetectedLang]
    doc_lang: Lang | None
    warnings: list[str]

    def units(self) -> list[Unit]:
        return [u for sp in self.sentences for u in sp.frame.walk()]

    def units_to_translate(self) -> list[Unit]:
        """Every unit but those the translation memory serves (and the quotes inside them)."""
        return [u for sp in self.sentences for u in sp.frame.to_translate()]


def markup_options(doc: Document) -> XmlOptions:
    """The document's markup options (HTML reads only ``ignore_tags``)."""
    return XmlOptions(doc.ignore_tags, doc.splitting_tags, doc.non_splitting_tags, doc.outline_detection)


def segment(text: str, fmt: Format, hint: str | None,
            options: XmlOptions = DEFAULT_OPTIONS) -> tuple[str, list[Span], HtmlDocument | None]:
    """Sentences of a text, or of an HTML or XML document's blocks (spans into its text content);
    HTML elements marked not to be translated, and tags in ``options.ignore_tags``, are left out.
    Malformed XML raises ``InvalidMarkup``."""
    if fmt in ("html", "xml"):
        try:
            html = parse_html(text, options.ignore_tags) if fmt == "html" else parse_xml(text, options)
        except MarkupError as exc:
            raise InvalidMarkup(str(exc)) from None
        spans: list[Span] = []
        for block in html.blocks:
            base = block.span.start
            for s in split_sentences(block.span.text, hint):
                spans.append(Span(base + s.start, base + s.end, s.text))
        return html.text, spans, html
    return text, split_sentences(text, hint), None


def detect_text(detector: Detector, text: str, source_lang: Lang | Literal["auto"] = "auto",
                fmt: Format = "text", *, max_chars: int = DEFAULT_MAX_CHARS,
                max_html_depth: int = DEFAULT_MAX_HTML_DEPTH) -> DetectionResult:
    """Language and confidence per segment and for the whole text (the input checked first)."""
    check_input(text, fmt, max_chars=max_chars, max_html_depth=max_html_depth)
    source_text, spans, _ = segment(text, fmt, None if source_lang == "auto" else source_lang)
    return DetectionResult(source_text, detector.detect(source_text), [(s, detector.detect(s.text)) for s in spans])


def plan_document(doc: Document, detector: Detector, max_chars: int = DEFAULT_MAX_CHARS,
                  max_html_depth: int = DEFAULT_MAX_HTML_DEPTH) -> DocPlan:
    """Check the input, then segment, detect, carve quotes and protect: the document's units."""
    check_input(doc.text, doc.format, max_chars=max_chars, max_html_depth=max_html_depth)
    if doc.source_lang != "auto" and doc.source_lang not in SUPPORTED_LANGS:
        raise UnsupportedLanguage(f"source language {doc.source_lang!r} is not supported: "
                                  f"use auto, {', '.join(SUPPORTED_LANGS)}")
    if doc.target_lang not in SUPPORTED_LANGS:
        raise UnsupportedLanguage(f"target language {doc.target_lang!r} is not supported: "
                                  f"use {', '.join(SUPPORTED_LANGS)}")
    _check_glossary(doc)
    hint = None if doc.source_lang == "auto" else doc.source_lang
    source_text, spans, html = segment(doc.text, doc.format, hint, markup_options(doc))
    warnings: list[str] = []
    detections = [_detect(detector, s.text, doc.source_lang) for s in giving_way(spans)]
    doc_lang = _document_language(spans, detections)
    if doc_lang is not None:  # short or unsure segments follow the document
        detections = [
            Detection(doc_lang, d.confidence) if d.lang != "other" and d.confidence < LOW_CONFIDENCE else d
            for d in detections
        ]
    if doc_lang is None and any(d.confidence > 0 for d in detections):
        raise UnsupportedLanguage(f"the text is in none of the supported languages ({', '.join(SUPPORTED_LANGS)})")
    if doc_lang is None:
        warnings.append("nothing to translate: the text holds no words")

    quotes = find_quotes(source_text) if html is None else html.quotes()
    quote_langs = [_quote_lang(detector, q, doc.source_lang, doc_lang) for q in quotes]
    plans: list[SentencePlan] = []
    roots, kids = quote_forest(quotes)
    roots_at = Intervals([(quotes[i].span.start, quotes[i].span.end) for i in roots])
    signatures = Intervals(_tweet_signatures(quotes))
    # sentences of blocks with inline markup: the markup is placed through their word links
    marked = Intervals([(b.span.start, b.span.end) for b in html.blocks if b.markup] if html is not None else [])
    for span, det in zip(giving_way(spans), detections, strict=True):
        frame = Unit(det.lang, span.text)
        _build(frame, span.start, [roots[k] for k in roots_at.overlapping(span.start, span.end)],
               quotes, kids, quote_langs)
        plans.append(SentencePlan(span, det, frame))
        if signatures.containing(span.start, span.end):
            continue  # "— Author (@handle) date" of an embedded post is metadata: kept as is
        for unit in frame.walk():
            _prepare(unit, doc.target_lang, [(a, b) for a, b, _ in unit.carved], doc.glossary)
        in_markup = len(marked.overlapping(span.start, span.end)) > 0
        if doc.alignment or in_markup or _holds_uncarved_quote(frame, span, quotes):
            for unit in frame.walk():
                unit.needs_links, unit.in_markup = True, in_markup
    return DocPlan(doc, source_text, html, plans, quotes, quote_langs, doc_lang, warnings)


def _detect(detector: Detector, text: str, source_lang: str) -> Detection:
    det = detector.detect(text)
    if source_lang != "auto" and det.confidence > 0:
        return Detection(source_lang, 1.0)  # type: ignore[arg-type]
    return det


def _document_language(spans: Sequence[Span], detections: Sequence[Detection]) -> Lang | None:
    weight: dict[str, float] = defaultdict(float)
    for s, d in zip(spans, detections, strict=True):
        if d.lang != "other":
            weight[d.lang] += len(s.text) * max(d.confidence, 0.05)
    if not weight:
        return None
    return max(weight, key=lambda k: weight[k])  # type: ignore[return-value]


def _quote_lang(detector: Detector, q: Quote, source_lang: str, doc_lang: Lang | None) -> DetectedLang:
    """A quote's own language (an English article may quote a Polish post)."""
    if source_lang != "auto":
        return source_lang  # type: ignore[return-value]
    det = detector.detect(q.span.text)
    hint = (q.lang_hint or "").split("-")[0].lower()  # declared, e.g. <p lang="pl"> of an embed
    if hint in SUPPORTED_LANGS and (det.lang == "other" or det.confidence < LOW_CONFIDENCE):
        return hint  # type: ignore[return-value]
    if det.lang == "other" and det.confidence == 0:
        return doc_lang or "other"
    if det.lang != "other" and det.confidence < LOW_CONFIDENCE and doc_lang is not None:
        return doc_lang
    return det.lang


def _check_glossary(doc: Document) -> None:
    """A glossary must have entries for the target (and for the source, when one is given)."""
    g = doc.glossary
    if g is None:
        return
    if doc.source_lang != "auto" and g.dictionary(doc.source_lang, doc.target_lang) is None:
        raise GlossaryPairMismatch(f"glossary {g.id} has no {doc.source_lang}->{doc.target_lang} entries (it has "
                                   f"{_pairs(g)})", glossary_id=g.id)
    if doc.target_lang not in g.targets():
        raise GlossaryPairMismatch(f"glossary {g.id} has no entries into {doc.target_lang} (it has {_pairs(g)})",
                                   glossary_id=g.id)


def _pairs(g: Glossary) -> str:
    return ", ".join(f"{d.source_lang}->{d.target_lang}" for d in g.dictionaries) or "none"


def _prepare(unit: Unit, target: Lang, holes: Sequence[tuple[int, int]] = (), glossary: Glossary | None = None) -> None:
    if unit.lang in SUPPORTED_LANGS and unit.lang != target:
        dictionary, unit.terms = find_terms(glossary, unit.text, unit.lang, target, holes)
        if dictionary is not None and unit.terms:
            unit.scope = dictionary.content_hash
        unit.masked = mask(unit.text, holes, [(m.start, m.end) for m in unit.terms])


def _holds_uncarved_quote(frame: Unit, span: Span, quotes: Sequence[Quote]) -> bool:
    """A quote covers part of this sentence without being carved out of it (it runs on into the
    next sentence): its target there is placed by the word alignment."""
    carved = {qi for unit in frame.walk() for _, _, qi in unit.carved}
    for qi, q in enumerate(quotes):
        if qi in carved or q.span.end <= span.start or span.end <= q.span.start:
            continue
        inside = span.text[max(0, q.span.start - span.start):q.span.end - span.start]
        outside = span.text[:max(0, q.span.start - span.start)] + span.text[max(0, q.span.end - span.start):]
        if inside.strip() and any(ch.isalnum() for ch in outside):
            return True
    return False


def _tweet_signatures(quotes: Sequence[Quote]) -> list[tuple[int, int]]:
    """The parts of embedded posts outside their body (the author/handle/date line)."""
    out: list[tuple[int, int]] = []
    for q in quotes:
        if q.kind == "tweet":
            out += [(q.outer.start, q.span.start), (q.span.end, q.outer.end)]
    return [(a, b) for a, b in out if a < b]


def _build(unit: Unit, lo: int, candidates: Sequence[int], quotes: Sequence[Quote],
           kids: dict[int, list[int]], langs: Sequence[DetectedLang]) -> None:
    """Carve the quotes out of ``unit`` (at ``lo`` in the document), and theirs out of them."""
    unit.offset = lo
    unit.carved = carve(lo, unit.text, quotes, candidates, kids)
    for a, b, qi in unit.carved:
        child = Unit(langs[qi], unit.text[a:b])
        _build(child, lo + a, kids.get(qi, []), quotes, kids, langs)
        unit.children.append(child)
