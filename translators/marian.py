"""MarianMT on transformers: only loading the model and running ``generate``.

Tokenization, input limits, splitting, caps, batching, the repetition guard and identity are
the shared core's (:mod:`translators.marian_core`); this adapter sorts each cap group into
length batches (transformers does not batch by tokens itself) and decodes them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from translators.marian_core import (
    DecodeOptions,
    Decoding,
    MarianCore,
    PairModel,
    length_batches,
    pick_device,
    split_pieces,
    split_to_fit,
)
from translators.registry import DEFAULT_TIER, ResolvedModel, Tier

__all__ = ["DecodeOptions", "MarianTranslator", "split_pieces", "split_to_fit"]

log = logging.getLogger(__name__)


def _cuda_devices() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


class MarianTranslator(MarianCore):
    """``Translator`` over transformers' ``MarianMTModel``; direct pairs only (pivot composes)."""

    backend = "transformers"

    def __init__(self, model_dir: Path | None = None, *, device: str = "auto",
                 options: DecodeOptions | None = None, tier: Tier = DEFAULT_TIER) -> None:
        super().__init__(model_dir, device=pick_device(device, _cuda_devices), options=options, tier=tier)

    def _tokenizer(self, r: ResolvedModel) -> Any:
        """transformers' own ``MarianTokenizer`` (the reference ``MarianVocab`` is checked against)."""
        from transformers import MarianTokenizer

        return MarianTokenizer.from_pretrained(r.path)

    def _open(self, r: ResolvedModel) -> tuple[Any, dict[str, Any], int | None]:
        from transformers import MarianMTModel

        log.info("loading model", extra={"pair": r.spec.pair, "path": str(r.path), "model": r.model_id,
                                         "backend": self.backend})
        model = MarianMTModel.from_pretrained(r.path).to(self.device).eval()
        return model, model.generation_config.to_dict(), model.config.max_position_embeddings

    def _generate(self, m: PairModel, rows: list[list[int]], decoding: Decoding) -> list[list[int]]:
        import torch

        tok, model = m.tokenizer, m.engine
        out: list[list[int]] = [[] for _ in rows]
        lengths = [len(row) for row in rows]
        for batch in length_batches(range(len(rows)), lengths, self.options.batch_size,
                                    self.options.max_batch_tokens):
            enc = tok.pad({"input_ids": [rows[i] for i in batch]}, return_tensors="pt").to(self.device)
            with m.lock, torch.inference_mode():
                ids = model.generate(**enc, num_beams=decoding.beams, max_length=decoding.cap + 1,
                                     no_repeat_ngram_size=decoding.no_repeat_ngram_size,
                                     repetition_penalty=decoding.repetition_penalty)
            for i, seq in zip(batch, ids.tolist(), strict=True):
                out[i] = _generated(seq[1:], tok.eos_token_id, tok.pad_token_id)
        return out


def _generated(seq: list[int], eos: int, pad: int) -> list[int]:
    """The generated ids up to and including the end token, without the padding after it."""
    if eos in seq:
        return seq[: seq.index(eos) + 1]
    while seq and seq[-1] == pad:
        seq = seq[:-1]
    return seq
