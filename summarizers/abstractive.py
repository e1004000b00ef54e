"""Optional abstractive summaries with a transformers seq2seq model (BART, mT5, Marian, ...).

The model (a hub id or a local folder) is loaded lazily on first use through
``AutoTokenizer`` / ``AutoModelForSeq2SeqLM``; ``HF_HUB_OFFLINE`` and the usual hub cache are
honoured as transformers does (nothing here overrides them). Runs on CUDA when available,
else CPU. One lock serializes loading, tokenization and generation, so one instance is safe to
share between threads.

Length: the summary gets ``T = clamp(ceil(ratio * document tokens), min_new_tokens,
max_new_tokens)`` new tokens at most, never more than the document itself has.

Long documents are never truncated silently. A document longer than the model's input limit
is split at unit boundaries into chunks that fit (a single unit longer than the limit is split
at the whitespace nearest its middle, recursively); each chunk is summarized on its own with a
share of ``T`` proportional to its length (but at least ``min_new_tokens``, and never more than
the chunk has), and the chunk summaries are joined in document order (map, then join:
summaries are not summarized again, which would compound errors).

``max_sentences`` keeps the first ``max_sentences`` sentences of the generated text (it never
cuts the input); with several chunks that favours the earlier chunks, i.e. the news lead.

Quotes: a model may reword them; the pipeline keeps quotes verbatim by attaching the original
quote units itself. This class only implements ``Summarizer``.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from summarizers.length import check_length_options
from translators.base import Lang, SummaryResult

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_FALLBACK_INPUT_LIMIT = 512
_RESERVED = {"max_new_tokens", "min_new_tokens", "num_beams", "do_sample", "max_length", "min_length"}


class Seq2SeqSummarizer:
    """Abstractive summarizer over a seq2seq checkpoint.

    ``model``: hub id or local folder. ``prefix``: text put before every input (``"summarize: "``
    for T5-style models), one string or one per language. ``max_input_tokens``: override of the
    model's input limit (default: the smaller of the tokenizer's ``model_max_length`` and the
    config's ``max_position_embeddings``). ``generate_kwargs`` go to ``model.generate`` as-is
    (``no_repeat_ngram_size``, ``length_penalty``, ...); decoding is greedy/beam, never sampled.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        revision: str | None = None,
        device: str | None = None,
        num_beams: int = 4,
        ratio: float = 0.3,
        min_new_tokens: int = 8,
        max_new_tokens: int = 256,
        max_input_tokens: int | None = None,
        prefix: str | Mapping[str, str] = "",
        generate_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if num_beams < 1:
            raise ValueError("num_beams must be >= 1")
        if not 0.0 < ratio <= 1.0:
            raise ValueError("ratio must be in (0, 1]")
        if not 0 <= min_new_tokens <= max_new_tokens or max_new_tokens < 1:
            raise ValueError("need 0 <= min_new_tokens <= max_new_tokens and max_new_tokens >= 1")
        if max_input_tokens is not None and max_input_tokens < 2:
            raise ValueError("max_input_tokens must be >= 2")
        reserved = _RESERVED & set(generate_kwargs or {})
        if reserved:
            raise ValueError(f"pass {sorted(reserved)} as Seq2SeqSummarizer arguments")
        self.model_name = str(model)
        self.revision = revision
        self.device = device
        self.num_beams = num_beams
        self.ratio = ratio
        self.min_new_tokens = min_new_tokens
        self.max_new_tokens = max_new_tokens
        self.prefix = prefix
        self.generate_kwargs = dict(generate_kwargs or {})
        self._max_input_tokens = max_input_tokens
        self._lock = threading.RLock()
        self._tokenizer: Any = None
        self._model: Any = None

    # -- loading -----------------------------------------------------------------------

    def load(self) -> None:
        """Load tokenizer and model now (otherwise done on first ``summarize``)."""
        with self._lock:
            if self._model is not None:
                return
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            tokenizer = AutoTokenizer.from_pretrained(self.model_name, revision=self.revision)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model_name, revision=self.revision)
            model.to(device).eval()
            self.device = device
            self._tokenizer = tokenizer
            self._model = model
            if self._max_input_tokens is None:
                self._max_input_tokens = self._model_input_limit()

    def _model_input_limit(self) -> int:
        tok_limit = getattr(self._tokenizer, "model_max_length", None)
        pos_limit = getattr(self._model.config, "max_position_embeddings", None)
        # Tokenizers without a limit report a huge sentinel; relative-position models have none.
        candidates = [x for x in (tok_limit, pos_limit) if isinstance(x, int) and 1 < x < 1_000_000]
        return min(candidates) if candidates else _FALLBACK_INPUT_LIMIT

    @property
    def model(self) -> Any:
        """The loaded ``PreTrainedModel`` (loads it if needed)."""
        self.load()
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The loaded tokenizer (loads it if needed)."""
        self.load()
        return self._tokenizer

    @property
    def max_input_tokens(self) -> int:
        """The input limit in tokens (loads the model if needed)."""
        self.load()
        assert self._max_input_tokens is not None
        return self._max_input_tokens

    # -- public API --------------------------------------------------------------------

    def summarize(
        self,
        units: Sequence[str],
        lang: Lang,
        *,
        max_sentences: int | None = None,
        ratio: float | None = None,
    ) -> SummaryResult:
        """Abstractive summary of ``units`` (all in ``lang``); ``picked`` is always ``None``."""
        check_length_options(max_sentences, ratio)
        pieces = [u.strip() for u in units if u.strip()]
        if not pieces:
            return SummaryResult(text="", picked=None)
        with self._lock:
            self.load()
            prefix = self._prefix(lang)
            chunks = self._chunks(pieces, prefix)
            sizes = [self._count(c) for c in chunks]
            total = sum(sizes)
            target = self._target_tokens(total, ratio or self.ratio)
            outputs = []
            for chunk, size in zip(chunks, sizes, strict=True):
                share = target if len(chunks) == 1 else math.ceil(target * size / total)
                share = max(share, self.min_new_tokens)
                outputs.append(self._generate(prefix + chunk, max(1, min(share, size))))
        text = " ".join(o for o in outputs if o)
        if max_sentences is not None:
            text = " ".join(_SENTENCE_END.split(text)[:max_sentences])
        return SummaryResult(text=text, picked=None)

    def chunks(self, units: Sequence[str], lang: Lang) -> list[str]:
        """The texts the model is given for ``units`` (without prefix): all the input, in
        order, each within the input limit."""
        pieces = [u.strip() for u in units if u.strip()]
        with self._lock:
            self.load()
            return self._chunks(pieces, self._prefix(lang)) if pieces else []

    # -- internals ---------------------------------------------------------------------

    def _prefix(self, lang: Lang) -> str:
        return self.prefix if isinstance(self.prefix, str) else self.prefix.get(lang, "")

    def _count(self, text: str, special: bool = False) -> int:
        return len(self._tokenizer(text, add_special_tokens=special, verbose=False)["input_ids"])

    def _fits(self, text: str, prefix: str) -> bool:
        return self._count(prefix + text, special=True) <= self.max_input_tokens

    def _target_tokens(self, doc_tokens: int, ratio: float) -> int:
        wanted = max(math.ceil(ratio * doc_tokens), self.min_new_tokens)
        return max(1, min(wanted, self.max_new_tokens, doc_tokens))

    def _split_unit(self, text: str, prefix: str) -> list[str]:
        """A unit longer than the limit, cut at the whitespace nearest its middle, recursively."""
        if self._fits(text, prefix) or len(text) < 2:
            return [text]
        mid = len(text) // 2
        spaces = [m.start() for m in re.finditer(r"\s+", text)]
        cut = min(spaces, key=lambda s: abs(s - mid)) if spaces else mid
        left, right = text[:cut].strip(), text[cut:].strip()
        if not left or not right:
            left, right = text[:mid], text[mid:]
        return self._split_unit(left, prefix) + self._split_unit(right, prefix)

    def _chunks(self, units: Sequence[str], prefix: str) -> list[str]:
        pieces = [p for u in units for p in self._split_unit(u, prefix)]
        budget = self.max_input_tokens - self._count(prefix, special=True)
        groups: list[list[str]] = []
        current: list[str] = []
        used = 0
        for piece in pieces:
            size = self._count(piece)
            if current and used + size > budget:
                groups.append(current)
                current, used = [], 0
            current.append(piece)
            used += size
        if current:
            groups.append(current)
        return [text for group in groups for text in self._verified(group, prefix)]

    def _verified(self, group: list[str], prefix: str) -> list[str]:
        """Token counts of pieces are nearly additive; halve a group that still overflows."""
        text = " ".join(group)
        if len(group) == 1 or self._fits(text, prefix):
            return [text]
        half = len(group) // 2
        return self._verified(group[:half], prefix) + self._verified(group[half:], prefix)

    def _generate(self, text: str, max_new: int) -> str:
        import torch

        encoded = self._tokenizer(text, return_tensors="pt", truncation=False)
        encoded = {k: v.to(self.device) for k, v in encoded.items()}
        with torch.inference_mode():
            output = self._model.generate(
                **encoded,
                max_new_tokens=max_new,
                min_new_tokens=min(self.min_new_tokens, max_new),
                num_beams=self.num_beams,
                do_sample=False,
                **self.generate_kwargs,
            )
        return str(self._tokenizer.decode(output[0], skip_special_tokens=True)).strip()
