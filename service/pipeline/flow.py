"""One request or archive record through the whole flow, in three steps like a transformers
pipeline: *plan* (``plan.py``: segment, detect, carve quotes, protect) -> *translate*
(``translate.py``: units to the engines, batched, cached; before it, ``memory_step.py`` serves the
units the translation memory knows) -> *assemble* (``assemble.py``: splice, align, offsets);
``summarize`` makes a summary of a result (``summarize.py``), with the pipeline's own summarizer.

``translate_documents`` takes many documents at once so that sentences of many records fill the
same model batches (the batch CLI and request coalescing rely on this).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Literal

from service.pipeline.assemble import assemble
from service.pipeline.checks import DEFAULT_MAX_CHARS, DEFAULT_MAX_HTML_DEPTH
from service.pipeline.memory_step import Recall
from service.pipeline.plan import DocPlan, detect_text, plan_document, segment
from service.pipeline.quality import QualityPolicy
from service.pipeline.results import (
    DetectionResult,
    Document,
    DocumentResult,
    Format,
    QuoteOut,
    SentenceOut,
)
from service.pipeline.summarize import SummaryOut, make_summary
from service.pipeline.translate import translate_units
from translators.base import Detection, Detector, Lang, Span, Summarizer, Translator
from translators.registry import DEFAULT_TIER, Tier, tier_of

__all__ = ["DetectionResult", "Document", "DocumentResult", "Format", "Pipeline", "QuoteOut", "SentenceOut",
           "SummaryOut", "detect_text", "segment"]


class Pipeline:
    """The steps of the flow over one set of engines. Every text is checked once, here
    (``checks.py``: ``max_chars``, ``max_html_depth``); ``summary_method`` names the
    summarizer's kind in a summary (``extractive`` or ``abstractive``: ``NEWSBRIDGE_SUMMARIZER``).

    ``translator`` serves the default (quality) tier; ``tiers`` the others (``fast``): a
    document's ``quality`` picks its tier's translator, and a tier without one of its own is
    served by ``translator``."""

    def __init__(self, translator: Translator, detector: Detector, summarizer: Summarizer | None = None,
                 *, max_chars: int = DEFAULT_MAX_CHARS, max_html_depth: int = DEFAULT_MAX_HTML_DEPTH,
                 summary_method: str = "extractive", tiers: Mapping[Tier, Translator] | None = None,
                 recall: Recall | None = None,
                 quality: QualityPolicy | None = None) -> None:
        self.translator = translator
        self.tiers: dict[Tier, Translator] = {**(tiers or {}), DEFAULT_TIER: translator}
        self.quality = quality or QualityPolicy()
        self.detector = detector
        self.summarizer = summarizer
        self.max_chars = max_chars
        self.max_html_depth = max_html_depth
        self.summary_method = summary_method
        self.recall = recall  # the translation memory step (None: no memory)

    def translate(self, doc: Document) -> DocumentResult:
        result = self.translate_documents([doc])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def translate_documents(self, docs: Sequence[Document]) -> list[DocumentResult | Exception]:
        """Translate many documents, sharing model batches; a bad document yields its error
        in its place and the rest go on."""
        plans: list[DocPlan | Exception] = []
        for doc in docs:
            try:
                plans.append(plan_document(doc, self.detector, self.max_chars, self.max_html_depth))
            except Exception as exc:  # reported per document
                plans.append(exc)
        planned = [p for p in plans if isinstance(p, DocPlan)]
        if self.recall is not None:  # memory first: the units it serves go to no model (any tier)
            self.recall(planned)
        by_tier: dict[Tier, list[DocPlan]] = defaultdict(list)
        for p in planned:
            by_tier[tier_of(p.doc.quality)].append(p)
        failures: dict[int, Exception] = {}
        for tier, tier_plans in by_tier.items():  # one model batch per pair and tier
            failures.update(translate_units(self.translator_for(tier), tier_plans))
        out: list[DocumentResult | Exception] = []
        for p in plans:
            if isinstance(p, Exception):
                out.append(p)
            elif id(p) in failures:
                out.append(failures[id(p)])
            else:
                out.append(assemble(p, self.translator_for(tier_of(p.doc.quality)), self.quality))
        return out

    def translator_for(self, tier: Tier) -> Translator:
        """The translator serving ``tier`` (the default one when the tier has none of its own)."""
        return self.tiers.get(tier, self.translator)

    def summarize(self, result: DocumentResult, *, max_sentences: int | None = None,
                  ratio: float | None = None) -> SummaryOut:
        """A summary of a translation, in its target language (API, CLI and batch ``summarize``)."""
        if self.summarizer is None:
            raise RuntimeError("this pipeline was built without a summarizer")
        return make_summary(result, self.summarizer, max_sentences=max_sentences, ratio=ratio,
                            method=self.summary_method)

    def detect(self, text: str, source_lang: Lang | Literal["auto"] = "auto",
               fmt: Format = "text") -> DetectionResult:
        """Language and confidence per segment and for the whole text (API and CLI ``detect``)."""
        return detect_text(self.detector, text, source_lang, fmt, max_chars=self.max_chars,
                           max_html_depth=self.max_html_depth)

    def detect_segments(self, text: str, source_lang: Lang | Literal["auto"] = "auto",
                        fmt: Format = "text") -> tuple[str, list[tuple[Span, Detection]]]:
        r = self.detect(text, source_lang, fmt)
        return r.source_text, r.segments
