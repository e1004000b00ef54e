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
    Decoded,
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

    def _generate(self, m: PairModel, rows: list[list[int]], decoding: Decoding, *,
                  alignment: bool = False) -> list[Decoded]:
        import torch

        tok, model = m.tokenizer, m.engine
        out: list[Decoded] = [Decoded([], 0.0)] * len(rows)
        lengths = [len(row) for row in rows]
        for batch in length_batches(range(len(rows)), lengths, self.options.batch_size,
                                    self.options.max_batch_tokens):
            enc = tok.pad({"input_ids": [rows[i] for i in batch]}, return_tensors="pt").to(self.device)
            with m.lock, torch.inference_mode():
                ids = model.generate(**enc, num_beams=decoding.beams, max_length=decoding.cap + 1,
                                     no_repeat_ngram_size=decoding.no_repeat_ngram_size,
                                     repetition_penalty=decoding.repetition_penalty)
                generated = [_generated(seq[1:], tok.eos_token_id, tok.pad_token_id) for seq in ids.tolist()]
                scored = _score(model, enc, generated, [lengths[i] for i in batch], alignment=alignment)
            for i, dec in zip(batch, scored, strict=True):
                out[i] = dec
        return out


def _score(model: Any, enc: Any, generated: list[list[int]], lengths: list[int], *,
           alignment: bool) -> list[Decoded]:
    """The model's own log-probabilities of its outputs, from one teacher-forced pass over them
    (what the search computed step by step, without keeping a vocabulary-wide score per step);
    with ``alignment``, the pass's cross-attention too (last decoder layer, first head). The
    padding token is left out of the softmax: CTranslate2's conversion drops it from the vocabulary
    and the search never emits it, so both backends normalize over the same tokens."""
    import torch

    config = model.config
    width = max(1, max(map(len, generated)))
    pad = config.pad_token_id
    dec_in = torch.full((len(generated), width), pad, dtype=torch.long)
    labels = torch.full((len(generated), width), pad, dtype=torch.long)
    for k, ids in enumerate(generated):
        seq = [config.decoder_start_token_id, *ids[:-1]]
        dec_in[k, :len(seq)] = torch.tensor(seq, dtype=torch.long)
        labels[k, :len(ids)] = torch.tensor(ids, dtype=torch.long)
    dec_in, labels = dec_in.to(enc["input_ids"].device), labels.to(enc["input_ids"].device)
    previous = getattr(config, "_attn_implementation", None)
    if alignment and previous != "eager":
        model.set_attn_implementation("eager")  # the fused kernels do not return attention weights
    try:
        result = model(**enc, decoder_input_ids=dec_in, output_attentions=alignment)
    finally:
        if alignment and previous not in (None, "eager"):
            model.set_attn_implementation(previous)
    logits = result.logits.float()
    logits[..., pad] = float("-inf")
    logprobs = torch.log_softmax(logits, dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    attention = result.cross_attentions[-1][:, 0] if alignment else None  # (batch, target, source)
    out: list[Decoded] = []
    for k, ids in enumerate(generated):
        total = float(logprobs[k, :len(ids)].sum()) if ids else 0.0
        att = attention[k, :len(ids), :lengths[k]].tolist() if attention is not None else None
        out.append(Decoded(ids, total, att))
    return out


def _generated(seq: list[int], eos: int, pad: int) -> list[int]:
    """The generated ids up to and including the end token, without the padding after it."""
    if eos in seq:
        return seq[: seq.index(eos) + 1]
    while seq and seq[-1] == pad:
        seq = seq[:-1]
    return seq
