"""A model's generation settings (beams, length limits, penalties) read as JSON, without transformers.

What ``transformers.GenerationConfig.from_pretrained(folder).to_dict()`` gives for the keys the
backends use: ``generation_config.json`` when the folder has one; otherwise the generation keys of
the model's ``config.json`` (older OPUS-MT uploads keep ``num_beams`` and ``max_length`` there,
and transformers derives the generation config from them the same way). A key neither file sets
is absent: callers fall back to their own defaults (as with transformers 5, whose defaults are None).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["GENERATION_KEYS", "read_generation_config"]

# The generation parameters a legacy config.json may carry (transformers' GenerationConfig fields).
GENERATION_KEYS = ("max_length", "max_new_tokens", "min_length", "min_new_tokens", "early_stopping", "do_sample",
                   "num_beams", "num_beam_groups", "diversity_penalty", "temperature", "top_k", "top_p",
                   "repetition_penalty", "length_penalty", "no_repeat_ngram_size", "bad_words_ids",
                   "num_return_sequences", "forced_bos_token_id", "forced_eos_token_id", "decoder_start_token_id",
                   "pad_token_id", "bos_token_id", "eos_token_id")


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def read_generation_config(*folders: Path, model_config: Path | None = None) -> dict[str, Any]:
    """The generation settings: the first ``generation_config.json`` among ``folders``, else the
    generation keys of ``model_config`` (a Marian ``config.json``), else none. ``None`` values are dropped."""
    for folder in folders:
        data = _read(folder / "generation_config.json")
        if data is not None:
            return {k: v for k, v in data.items() if v is not None and k != "transformers_version"}
    data = _read(model_config) if model_config is not None else None
    if not data:
        return {}
    return {k: data[k] for k in GENERATION_KEYS if data.get(k) is not None}
