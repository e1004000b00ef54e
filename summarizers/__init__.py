"""Summarizers behind ``translators.base.Summarizer``: extractive (default), abstractive (optional).

Names are imported on first use (PEP 562): the extractive one brings SciPy's sparse matrices
(about 20 MB), the abstractive one PyTorch; a process that only translates needs neither."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "CentralitySummarizer": "summarizers.extractive",
    "DEFAULT_MAX_SENTENCES": "summarizers.length",
    "summary_length": "summarizers.length",
    "Seq2SeqSummarizer": "summarizers.abstractive",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'summarizers' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
