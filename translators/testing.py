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

from translators.base import EngineInfo, Lang, ModelIdentity, Translation, WordLink, describe_backend


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
    "copy": _Shape(d_model=64, layers=1, heads=1, ffn=128, vocab=0),  # see build_copy_marian
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
    size: Literal["tiny", "small", "opus", "big", "copy"] = "tiny",
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


def build_copy_marian(folder: str | Path, lines: Sequence[str], *, steps: int = 300, seed: int = 0,
                      spm_vocab: int = 300, batch_size: int = 16, max_chars: int = 140) -> Path:
    """A Marian model trained here to copy its input (source = target), like ``build_marian``'s
    folders in every other way. Its cross-attention is trained to be diagonal the way OPUS-MT's
    ``transformer-align`` models are trained to align (Marian's guided alignment: a cross-entropy
    between the first head of the last decoder layer and the given alignment, here token i <->
    token i), so a test can check that word alignment maps each word to itself. One attention head
    (so that the guided head carries the whole embedding), and the cross-attention's value and output
    projections start as the identity (the attended source embedding passes straight to the tied
    output layer): that is what lets 300 steps suffice, about 13 s of one CPU thread. Measured (one
    run each, trained on every line of tests/fixtures/corpus): 32 of 40 corpus sentences of 20-120
    characters come back exactly (two heads: 28; random value projections: far fewer); the errors
    are single subwords late in long sentences, the alignment stays diagonal. The padding token's
    embedding (the decoder's start token in transformers) is kept at zero, as in OPUS-MT's models:
    CTranslate2 starts the decoder from a zero embedding, so otherwise the two backends' first-step
    probabilities (and confidences) differ.
    """
    import random

    import torch
    from transformers import MarianMTModel, MarianTokenizer

    lines = [line for line in lines if line.strip() and len(line) <= max_chars]
    lines += _with_placeholders(lines[::3], seed)  # the pipeline's masked text holds QZ<n> placeholders
    folder = build_marian(folder, lines, lines, size="copy", spm_vocab=spm_vocab, seed=seed, num_beams=1,
                          max_length=256)
    tok = MarianTokenizer.from_pretrained(folder)
    model = MarianMTModel.from_pretrained(folder, attn_implementation="eager", dropout=0.0)
    config = model.config
    with torch.no_grad():
        for layer in model.model.decoder.layers:
            for proj in (layer.encoder_attn.v_proj, layer.encoder_attn.out_proj):
                proj.weight.copy_(torch.eye(config.d_model))
                proj.bias.zero_()
    rows = [ids for ids in tok(lines).input_ids if len(ids) <= 96]
    rng = random.Random(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda k: min(1.0, (k + 1) / 20) * max(0.02, 1 - k / steps))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains faster on one thread than on several
    pad, start = config.pad_token_id, config.decoder_start_token_id
    with torch.no_grad():
        model.model.shared.weight[pad].zero_()
    model.train()
    for _ in range(steps):
        batch = rng.sample(rows, min(batch_size, len(rows)))
        width = max(map(len, batch))
        src = torch.full((len(batch), width), pad)
        dec = torch.full((len(batch), width), pad)
        labels = torch.full((len(batch), width), -100)
        for k, ids in enumerate(batch):
            src[k, :len(ids)] = torch.tensor(ids)
            dec[k, :len(ids)] = torch.tensor([start, *ids[:-1]])
            labels[k, :len(ids)] = torch.tensor(ids)
        out = model(input_ids=src, attention_mask=(src != pad).long(), decoder_input_ids=dec, labels=labels,
                    output_attentions=True)
        head = out.cross_attentions[-1][:, 0]  # (batch, target, source): should be the identity
        mask = labels != -100
        diagonal = torch.diagonal(head, dim1=1, dim2=2)  # (batch, width)
        guided = -(torch.log(diagonal.clamp_min(1e-6)) * mask).sum() / mask.sum()
        loss = out.loss + guided
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        with torch.no_grad():  # the decoder starts from a zero embedding, as in Marian (and CTranslate2)
            model.model.shared.weight[pad].zero_()
    torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(folder)
    return folder


def _with_placeholders(lines: Sequence[str], seed: int) -> list[str]:
    """``lines`` with the placeholders masking puts in (``QZ0``, ``QZ1``, ...) between some words."""
    import random

    rng = random.Random(seed)
    out = []
    for line in lines:
        words = line.split(" ")
        for k in range(rng.randint(1, 2)):
            words.insert(rng.randint(1, len(words)), f"QZ{k}")
        out.append(" ".join(words))
    return out


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

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        """``[target] text`` with score 1.0; each word linked to itself after the tag."""
        self.identity(source, target)
        self.calls.append((source, target, list(texts)))
        tag = f"[{target}] "
        return [Translation(tag + t, score=1.0, alignment=_echo_links(t, len(tag)) if alignment else None)
                for t in texts]


def _echo_links(text: str, shift: int) -> tuple[WordLink, ...]:
    from translators.word_alignment import words

    return tuple((a, b, a + shift, b + shift) for a, b in words(text))
