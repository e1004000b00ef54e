"""Checks that a Marian folder loads the way the backends load it (config, tokenizer and the
weights), and is self-consistent.

Some OPUS-MT releases (the tc-big family) produced gibberish under certain transformers
versions (transformers issues 26216/26271, fixed in PR 30173) because config and tokenizer
disagreed; these checks catch that class of problem before a request does.
"""

from __future__ import annotations

from pathlib import Path

from translators.registry import ResolvedModel


def check_folder(path: Path, prefix: str = "", *, weights: bool = True) -> list[str]:
    """Problems found in a Marian model folder (an empty list means it is fine). With
    ``weights``, the weights are loaded too (a truncated or corrupt file is a problem)."""
    from transformers import AutoConfig, MarianTokenizer

    problems: list[str] = []
    config = AutoConfig.from_pretrained(path)
    if config.model_type != "marian":
        problems.append(f"model_type is {config.model_type!r}, not 'marian'")
    tokenizer = MarianTokenizer.from_pretrained(path)
    if len(tokenizer) != config.vocab_size:
        problems.append(f"tokenizer has {len(tokenizer)} tokens but config.vocab_size is {config.vocab_size}")
    if tokenizer.pad_token_id != config.pad_token_id:
        problems.append(f"pad id: tokenizer {tokenizer.pad_token_id}, config {config.pad_token_id}")
    if config.decoder_start_token_id != config.pad_token_id:
        problems.append(f"decoder_start_token_id {config.decoder_start_token_id} != pad {config.pad_token_id}")
    if tokenizer.eos_token_id != config.eos_token_id:
        problems.append(f"eos id: tokenizer {tokenizer.eos_token_id}, config {config.eos_token_id}")
    ids = tokenizer("Premier zwołał posiedzenie rządu 12 listopada 2021 r.").input_ids
    if not ids or ids[-1] != tokenizer.eos_token_id:
        problems.append("tokenized input does not end with </s>")
    if tokenizer.unk_token_id in ids[:-1] and ids.count(tokenizer.unk_token_id) == len(ids) - 1:
        problems.append("every token of a test sentence is <unk>: wrong source.spm?")
    token = prefix.strip()
    if token and token not in tokenizer.get_vocab():
        problems.append(f"target-language token {token!r} is not in the vocabulary")
    if weights:
        problems += check_weights(path)
    return problems


def check_weights(path: Path) -> list[str]:
    """Load the weights as the backend does: a CTranslate2 folder with ``ctranslate2``,
    a Marian folder with ``MarianMTModel`` (on the CPU; the model is dropped again)."""
    try:
        if (path / "model.bin").is_file():
            import ctranslate2

            ctranslate2.Translator(str(path), device="cpu")
        else:
            from transformers import MarianMTModel

            MarianMTModel.from_pretrained(path)
    except Exception as exc:
        return [f"weights failed to load: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"]
    return []


def check_resolved(model: ResolvedModel) -> list[str]:
    return check_folder(model.path, model.prefix)
