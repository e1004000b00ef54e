"""Small, real Marian models built on the spot: the test double shipped beside the real thing.

``build_marian(folder, ...)`` trains a SentencePiece vocabulary on a little text, builds a
``MarianConfig`` and a ``MarianMTModel`` with random weights and ``save_pretrained``s both, so the
folder looks exactly like an OPUS-MT download and loads through the same code path. With
``size="opus"`` it has OPUS-MT's shape (d_model 512, 6+6 layers, vocab padded to ~58k, ~74M
parameters): the honest stand-in for speed measurements; ``size="big"`` the tc-big shape of the
quality tier (d_model 1024, 6+6 layers, 16 heads, FFN 4096, ~235M parameters). ``vocab`` pads the
vocabulary to a given size (a real model's).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from translators.base import EngineInfo, Lang, ModelIdentity, Translation, describe_backend


@dataclass(frozen=True)
class _Shape:
    d_model: int
    layers: int
    heads: int
    ffn: int
    vocab: int  # target total vocabulary size (padded); 0 = whatever SentencePiece gives


SHAPES: dict[str, _Shape] = {
    "tiny": _Shape(d_model=32, layers=1, heads=2, ffn=64, vocab=0),
    "small": _Shape(d_model=128, layers=2, heads=4, ffn=256, vocab=0),
    "opus": _Shape(d_model=512, layers=6, heads=8, ffn=2048, vocab=58_101),
    "big": _Shape(d_model=1024, layers=6, heads=16, ffn=4096, vocab=58_101),
}


def _train_spm(lines: Iterable[str], vocab_size: int) -> bytes:
    import sentencepiece as spm

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(lines)),
        model_writer=buf,
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return buf.getvalue()


def build_marian(
    folder: str | Path,
    source_lines: Sequence[str],
    target_lines: Sequence[str],
    *,
    size: Literal["tiny", "small", "opus", "big"] = "tiny",
    spm_vocab: int = 400,
    seed: int = 0,
    num_beams: int = 2,
    max_length: int = 64,
    prefix: str | None = None,
    vocab: int | None = None,
) -> Path:
    """Write a Marian model folder (config, weights, spm models, vocab) and return its path."""
    import sentencepiece as spm
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shape = SHAPES[size]
    if vocab is not None:
        shape = _Shape(shape.d_model, shape.layers, shape.heads, shape.ffn, vocab)
    src_model = _train_spm(source_lines, spm_vocab)
    tgt_model = _train_spm(target_lines, spm_vocab)
    (folder / "source.spm").write_bytes(src_model)
    (folder / "target.spm").write_bytes(tgt_model)

    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for blob in (src_model, tgt_model):
        proc = spm.SentencePieceProcessor(model_proto=blob)
        for i in range(proc.get_piece_size()):
            piece = proc.id_to_piece(i)
            if piece not in vocab and piece not in ("<s>", "<unk>", "</s>", "<pad>"):
                vocab[piece] = len(vocab)
    while shape.vocab and len(vocab) < shape.vocab - 1:
        vocab[f"▁xx{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn,
        decoder_ffn_dim=shape.ffn,
        max_position_embeddings=512,
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    model.generation_config = GenerationConfig(
        num_beams=num_beams,
        max_length=max_length,
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        bad_words_ids=[[pad]],
    )
    model.save_pretrained(folder)
    tokenizer = MarianTokenizer(str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json"))
    tokenizer.save_pretrained(folder)
    if prefix is not None:
        (folder / "newsbridge.json").write_text(json.dumps({"prefix": prefix}), encoding="utf-8")
    return folder


class EchoTranslator:
    """A ``Translator`` double that returns its input tagged with the pair, counting calls.

    For tests of orchestration (caching, batching, HTTP) where the model itself is not the
    subject; model behaviour is tested with ``build_marian`` models.
    """

    def __init__(self, pairs: Iterable[str] = ("pl-en", "en-pl", "lt-en", "en-lt"), revision: str = "1") -> None:
        self.pairs = set(pairs)
        self.revision = revision
        self.calls: list[tuple[str, str, list[str]]] = []

    def supports(self, source: Lang, target: Lang) -> bool:
        return f"{source}-{target}" in self.pairs

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        from translators.base import UnsupportedPair

        if not self.supports(source, target):
            raise UnsupportedPair(f"no model for {source}->{target}")
        return ModelIdentity(f"echo:{source}-{target}", self.revision, self.revision)

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return describe_backend(self, "echo", source, target, loaded=sorted(self.pairs))

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang) -> list[Translation]:
        self.identity(source, target)
        self.calls.append((source, target, list(texts)))
        return [Translation(f"[{target}] {t}") for t in texts]
