"""One document through the flow: plan -> translate -> assemble (``flow.Pipeline``); then summarize."""

from service.pipeline.flow import Pipeline
from service.pipeline.results import DetectionResult, Document, DocumentResult, QuoteOut, SentenceOut

__all__ = ["DetectionResult", "Document", "DocumentResult", "Pipeline", "QuoteOut", "SentenceOut"]
