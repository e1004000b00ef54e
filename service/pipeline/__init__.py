"""One document through the flow: plan, translate, assemble; then summarize."""

from service.pipeline.flow import Document, DocumentResult, Pipeline, QuoteOut, SentenceOut

__all__ = ["Document", "DocumentResult", "Pipeline", "QuoteOut", "SentenceOut"]
