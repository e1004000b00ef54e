"""MarianMT on CTranslate2: only loading the converted model and running ``translate_batch``.

The same weights as the transformers backend, converted once (:mod:`translators.ct2_convert`).
Everything else is the shared core's (:mod:`translators.marian_core`), so both backends give
the same output at float32. CTranslate2 sorts and batches each cap group by tokens itself
(``max_batch_size`` + ``batch_type="tokens"``), its batches running on ``inter_threads`` workers.

Nothing here imports torch or transformers: the tokenizer is ``MarianVocab`` (sentencepiece and
the vocabulary files) and the generation settings are read as JSON. With
``background_conversion`` (a server), a pair not converted yet is converted in the background and
its requests get ``ModelConverting`` (503 ``model_converting``, ``Retry-After``) meanwhile;
without it (the CLI, batch), the first use converts and waits.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from translators.ct2_convert import (
    CONVERTER_VERSION,
    Conversions,
    convert_pair,
    ensure_converted,
    find_converted,
    is_ct2_folder,
)
from translators.generation_config import read_generation_config
from translators.marian_core import Decoded, DecodeOptions, Decoding, MarianCore, PairModel, pick_device
from translators.registry import DEFAULT_TIER, ResolvedModel, Tier
from translators.threads import thread_plan

__all__ = ["CTranslate2Translator", "convert_pair", "ensure_converted"]

log = logging.getLogger(__name__)


def _cuda_devices() -> int:
    import ctranslate2

    return ctranslate2.get_cuda_device_count()


class CTranslate2Translator(MarianCore):
    """``Translator`` over CTranslate2 running the pair's Marian weights; direct pairs only."""

    backend = "ctranslate2"

    def __init__(self, model_dir: Path | None = None, *, device: str = "auto",
                 options: DecodeOptions | None = None, compute_type: str = "int8",
                 intra_threads: int = 0, inter_threads: int = 1, tier: Tier = DEFAULT_TIER,
                 background_conversion: bool = False) -> None:
        super().__init__(model_dir, device=pick_device(device, _cuda_devices), options=options, tier=tier)
        self.compute_type = compute_type
        plan = thread_plan()
        self.intra_threads = intra_threads or plan.intra
        self.inter_threads = inter_threads or plan.inter
        self.conversions = Conversions(compute_type) if background_conversion else None

    def _options_key(self) -> str:
        return f"{self.backend};compute={self.compute_type};converter={CONVERTER_VERSION};{self.options.canonical()}"

    def convert(self, source: str, target: str) -> Path:
        """Convert (if not yet) the pair's model and return the CTranslate2 folder (blocking)."""
        return ensure_converted(self._models.resolved(source, target), self.compute_type)

    def prepare(self, source: str, target: str) -> None:
        """Convert the pair's model if needed and wait for it: in the background when requests are
        being served (``/readyz`` lists the pair as converting meanwhile), else here."""
        r = self._models.resolved(source, target)
        if find_converted(r, self.compute_type) is not None:
            return
        if self.conversions is None:
            ensure_converted(r, self.compute_type)
            return
        self.conversions.request(r)
        self.conversions.wait(r.spec.pair)
        if find_converted(r, self.compute_type) is None:
            self.conversions.request(r)  # raises the conversion's error (and clears it)

    def is_prepared(self, source: str, target: str) -> bool:
        """The pair's CTranslate2 model is on disk (loading it takes no conversion)."""
        try:
            return find_converted(self._models.resolved(source, target), self.compute_type) is not None
        except Exception:  # a pair without files: nothing to prepare; its load reports why
            return True

    def converting_pairs(self) -> list[str]:
        return self.conversions.converting() if self.conversions is not None else []

    def _open(self, r: ResolvedModel) -> tuple[Any, dict[str, Any], int | None]:
        import ctranslate2

        path = find_converted(r, self.compute_type)
        if path is None:
            if self.conversions is not None:  # a request never waits for a conversion
                raise self.conversions.request(r)
            path = ensure_converted(r, self.compute_type)
        log.info("loading model", extra={"pair": r.spec.pair, "path": str(path), "model": r.model_id,
                                         "backend": self.backend, "compute_type": self.compute_type})
        translator = ctranslate2.Translator(str(path), device=self.device, compute_type=self.compute_type,
                                            inter_threads=self.inter_threads, intra_threads=self.intra_threads)
        source_config = None if is_ct2_folder(r.path) else r.path / "config.json"
        generation = read_generation_config(r.path, path, model_config=source_config)
        positions = None
        if source_config is not None and source_config.is_file():
            positions = json.loads(source_config.read_text(encoding="utf-8")).get("max_position_embeddings")
        return translator, generation, int(positions) if positions else None

    def _generate(self, m: PairModel, rows: list[list[int]], decoding: Decoding, *,
                  alignment: bool = False) -> list[Decoded]:
        tok, gen = m.tokenizer, decoding.generation
        sources = [tok.convert_ids_to_tokens(row) for row in rows]
        length_penalty = _setting(gen, "length_penalty", 1.0)
        results = m.engine.translate_batch(
            sources,
            max_batch_size=self._batch_tokens(rows),
            batch_type="tokens",
            asynchronous=True,  # the batches run in parallel when inter_threads > 1
            beam_size=decoding.beams,
            max_decoding_length=decoding.cap,
            min_decoding_length=_setting(gen, "min_length", 0),
            length_penalty=length_penalty,
            repetition_penalty=decoding.repetition_penalty,
            no_repeat_ngram_size=decoding.no_repeat_ngram_size,
            return_end_token=True,
            return_scores=True,  # free: the search keeps them anyway
            return_attention=alignment,  # last decoder layer, first head (the converter's default)
            max_input_length=0,  # never truncate: over-long input was split by the core
        )
        done = [r.result() for r in results]
        hyps = [r.hypotheses[0] for r in done]
        if decoding.repetition_penalty != 1.0 or decoding.no_repeat_ngram_size:
            # the search's scores carry the penalties: score the output under the model itself
            sums = self._rescore(m, sources, hyps)
        else:  # the search's score is sum / length ** length_penalty
            sums = [r.scores[0] * len(h) ** length_penalty for r, h in zip(done, hyps, strict=True)]
        return [Decoded(tok.convert_tokens_to_ids(h), s, [list(row) for row in r.attention[0]] if alignment else None)
                for r, h, s in zip(done, hyps, sums, strict=True)]

    def _rescore(self, m: PairModel, sources: list[list[str]], hyps: list[list[str]]) -> list[float]:
        eos = m.tokenizer.eos_token
        targets = [h[:-1] if h and h[-1] == eos else h for h in hyps]
        scored = m.engine.score_batch(sources, targets, max_batch_size=self._batch_tokens(
            [list(range(len(s))) for s in sources]), batch_type="tokens", max_input_length=0)
        # score_batch appends the end token: drop its log-probability when the output had none
        return [sum(r.log_probs[:len(h)]) for r, h in zip(scored, hyps, strict=True)]

    def _batch_tokens(self, rows: list[list[int]]) -> int:
        """Token budget per batch: about ``batch_size`` inputs of this group's mean length, at most
        ``max_batch_tokens``. Measured in one run (240 news inputs, small model, int8, 2 workers on a
        loaded 2-core machine): 4096-token batches 9.5 s, 512-token batches 6.6 s."""
        mean = -(-sum(map(len, rows)) // max(1, len(rows)))
        return max(1, min(self.options.max_batch_tokens, self.options.batch_size * mean))


def _setting(gen: dict[str, Any], key: str, default: Any) -> Any:
    value = gen.get(key)
    return default if value is None else value
