"""Summarizers behind ``translators.base.Summarizer``: extractive (default), abstractive (optional)."""

from summarizers.abstractive import Seq2SeqSummarizer
from summarizers.extractive import DEFAULT_MAX_SENTENCES, CentralitySummarizer, summary_length

__all__ = ["DEFAULT_MAX_SENTENCES", "CentralitySummarizer", "Seq2SeqSummarizer", "summary_length"]
