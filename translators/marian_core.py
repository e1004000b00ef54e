"""One Marian core for both backends (transformers and CTranslate2).

Everything that is not "load the weights" or "run the decoder" lives here (with the per-pair
lazy loader in :mod:`translators.pair_models`): the pair's identity (computed from its files,
without loading weights), tokenization, input limits and splitting of over-long sentences, length caps,
grouping by cap, the repetition guard, decoding token ids back to text, and device choice.
A backend subclasses :class:`MarianCore` and implements ``_open`` and ``_generate``, like
EasyNMT's OPUS-MT adapter. Tokenization is :class:`translators.marian_vocab.MarianVocab` (no
transformers, no torch); the transformers backend uses transformers' own ``MarianTokenizer``,
which gives the same ids.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from translators.base import (
    EngineInfo,
    Lang,
    ModelIdentity,
    Translation,
    TranslatorError,
    WordLink,
    describe_backend,
)
from translators.pair_models import PairModels, count_generation
from translators.registry import DEFAULT_TIER, REGISTRY, ResolvedModel, Tier
from translators.word_alignment import links_from_attention, piece_spans, shift_links, source_token_spans

__all__ = ["DecodeOptions", "Decoded", "Decoding", "MarianCore", "PairModel", "PairModels", "cap_groups",
           "collapse_loops", "length_batches", "pick_device", "split_pieces", "split_to_fit"]

CAP_BUCKET = 16
# Where to split an over-long sentence, best first: after clause punctuation, then any space.
_SPLIT_POINTS = (regex.compile(r"(?<=[;:,)\]–—])\s+"), regex.compile(r"\s+"))
# Repetition guard: an n-gram of up to LOOP_MAX_N tokens repeated LOOP_REPEATS times in a row
# is a degenerate loop (Helsinki-NLP/Opus-MT issue 49); it is collapsed to one occurrence.
LOOP_MAX_N = 8
LOOP_REPEATS = 4


@dataclass
class DecodeOptions:
    num_beams: int | None = None  # None: the model's own generation config
    max_input_tokens: int | None = None  # None: the model's own limit
    max_length_ratio: float = 2.0  # output cap: ratio * input tokens + 16 (and the model's max_length)
    batch_size: int = 16  # transformers: sentences per batch (CTranslate2 batches by tokens only)
    max_batch_tokens: int = 4096
    no_repeat_ngram_size: int | None = None  # None: the model's own (OPUS-MT: 0)
    repetition_penalty: float | None = None  # None: the model's own (OPUS-MT: 1.0)

    def canonical(self) -> str:
        """Every option that changes a translation (part of the cache key)."""
        return (f"beams={self.num_beams or 'model'};ratio={self.max_length_ratio};cap=bucket{CAP_BUCKET}"
                f";input={self.max_input_tokens or 'model'};norepeat={_or_model(self.no_repeat_ngram_size)}"
                f";reppen={_or_model(self.repetition_penalty)};loop={LOOP_MAX_N}x{LOOP_REPEATS}")

    def output_cap(self, input_tokens: int, model_max: int | None) -> int:
        """Most tokens generated for an input of ``input_tokens``: a function of that input
        alone (rounded up to a bucket), so a sentence translates the same whatever it is
        batched with; batches only group inputs that share a cap."""
        raw = int(input_tokens * self.max_length_ratio) + 16
        cap = -(-raw // CAP_BUCKET) * CAP_BUCKET
        return min(cap, model_max) if model_max else cap


def _or_model(value: object) -> str:
    return "model" if value is None else str(value)


@dataclass(frozen=True)
class Decoding:
    """What one call to a backend's decoder gets (resolved from options + the model's config)."""

    beams: int
    cap: int  # most generated tokens, the end token included
    no_repeat_ngram_size: int
    repetition_penalty: float
    generation: dict[str, Any]  # the model's generation config (min_length, length_penalty, ...)


@dataclass
class Decoded:
    """What a backend's decoder returns for one input row."""

    ids: list[int]  # generated ids, the end token included when the model produced it
    logprob: float  # sum of the model's log-probabilities of ``ids`` (its own output, no penalties)
    attention: list[list[float]] | None = None  # per generated id, over the input ids (when asked)


@dataclass
class _Piece:
    """One piece's output, before the pieces of a text are joined."""

    text: str
    capped: bool
    logprob: float
    tokens: int
    links: tuple[WordLink, ...] | None = None


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` tokens, at clause or word boundaries
    nearest the middle; a single word over the limit is cut by characters. Joining the
    pieces with a space gives back the text up to whitespace."""
    if count(text) <= limit:
        return [text]
    if len(text) <= 1:
        raise TranslatorError(f"max_input_tokens={limit} leaves no room for text: {text!r} alone takes more")
    mid = len(text) // 2
    for pattern in _SPLIT_POINTS:
        cuts = [m for m in pattern.finditer(text) if 0 < m.start() < len(text)]
        if cuts:
            best = min(cuts, key=lambda m: abs(m.start() - mid))
            left, right = text[: best.start()], text[best.end():]
            break
    else:
        left, right = text[:mid], text[mid:]
    return split_to_fit(left, count, limit) + split_to_fit(right, count, limit)


def split_pieces(texts: Sequence[str], count: Callable[[str], int], limit: int) -> tuple[list[str], list[int]]:
    """Split over-long texts to fit the model; returns the pieces and, for each, its text's index."""
    pieces: list[str] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        for piece in split_to_fit(text, count, limit):
            pieces.append(piece)
            owners.append(i)
    return pieces, owners


def cap_groups(caps: Sequence[int]) -> dict[int, list[int]]:
    """Indices grouped by output cap, largest cap first."""
    groups: dict[int, list[int]] = {}
    for i, cap in sorted(enumerate(caps), key=lambda ic: -ic[1]):
        groups.setdefault(cap, []).append(i)
    return groups


def length_batches(indices: Sequence[int], lengths: Sequence[int], size: int, max_tokens: int) -> list[list[int]]:
    """Indices sorted longest first and grouped into batches bounded by count and padded
    token volume (for engines that do not batch by tokens themselves)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(indices, key=lambda j: -lengths[j]):
        longest = max([lengths[j] for j in current[:1]] + [lengths[i]])
        if current and (len(current) >= size or longest * (len(current) + 1) > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def collapse_loops(ids: Sequence[int]) -> tuple[list[int], bool]:
    """Collapse any run of ``LOOP_REPEATS`` or more identical n-grams to one occurrence."""
    kept, changed = kept_positions(ids)
    return [ids[i] for i in kept], changed


def kept_positions(ids: Sequence[int]) -> tuple[list[int], bool]:
    """The positions of ``ids`` that :func:`collapse_loops` keeps, and whether it dropped any."""
    out: list[int] = []
    i, changed = 0, False
    while i < len(ids):
        for n in range(1, LOOP_MAX_N + 1):
            gram = list(ids[i:i + n])
            k = 1
            while list(ids[i + k * n:i + (k + 1) * n]) == gram:
                k += 1
            if len(gram) == n and k >= LOOP_REPEATS:
                out.extend(range(i, i + n))
                i += k * n
                changed = True
                break
        else:
            out.append(i)
            i += 1
    return out, changed


def pick_device(setting: str, cuda_devices: Callable[[], int]) -> str:
    return setting if setting != "auto" else ("cuda" if cuda_devices() > 0 else "cpu")


@dataclass
class PairModel:
    """A loaded pair: the tokenizer, the backend's engine and the limits in force."""

    resolved: ResolvedModel
    tokenizer: Any
    engine: Any  # MarianMTModel or ctranslate2.Translator
    max_input_tokens: int
    generation: dict[str, Any]
    max_positions: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(self.resolved.prefix + text).input_ids)


class MarianCore:
    """``Translator`` over a Marian model per direct pair (pivot composes the rest).
    Subclasses implement ``_open`` (load the engine) and ``_generate`` (decode token ids)."""

    backend = "marian"

    def __init__(self, model_dir: Path | None = None, *, device: str = "cpu",
                 options: DecodeOptions | None = None, tier: Tier = DEFAULT_TIER) -> None:
        self.model_dir = model_dir
        self.device = device
        self.options = options or DecodeOptions()
        self.tier = tier  # the registry tier whose models this backend serves
        self._models: PairModels[PairModel] = PairModels(model_dir, self._load, tier=tier)

    # -- backend hooks -----------------------------------------------------------------------
    def _open(self, r: ResolvedModel) -> tuple[Any, dict[str, Any], int | None]:
        """Load the engine for ``r``: returns it, its generation config and its max positions."""
        raise NotImplementedError

    def _generate(self, m: PairModel, rows: list[list[int]], decoding: Decoding, *,
                  alignment: bool = False) -> list[Decoded]:
        """Decode each row of input ids: each row's generated ids (end token included when the
        model produced it; no start or padding tokens), the sum of their log-probabilities under
        the model, and with ``alignment`` the cross-attention of each generated id over the row
        (last decoder layer, first head: the head CTranslate2's Marian conversion keeps)."""
        raise NotImplementedError

    def _options_key(self) -> str:
        return f"{self.backend};{self.options.canonical()}"

    # -- Translator protocol -------------------------------------------------------------
    def supports(self, source: Lang, target: Lang) -> bool:
        return f"{source}-{target}" in REGISTRY

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        """From the pair's files (or hub revision): never loads the weights."""
        r = self._models.resolved(source, target)
        return ModelIdentity(r.model_id, r.revision, r.checksum, self._options_key(), tier=r.spec.tier)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, *,
                        alignment: bool = False) -> list[Translation]:
        if not texts:
            return []
        m = self.load(source, target)
        pieces, owners = split_pieces(texts, m.count_tokens, m.max_input_tokens)
        outputs = self._forward(m, pieces, alignment=alignment)
        parts: list[list[tuple[str, _Piece]]] = [[] for _ in texts]
        for owner, piece, out in zip(owners, pieces, outputs, strict=True):
            parts[owner].append((piece, out))
        return [_joined(text, p, alignment) for text, p in zip(texts, parts, strict=True)]

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        """The backend, its loaded pairs and the pairs whose load failed (pair -> why)."""
        return describe_backend(self, self.backend, source, target, loaded=self.loaded_pairs(),
                                failed=self.failed_pairs(), converting=self.converting_pairs())

    # -- loading -----------------------------------------------------------------------------
    def loaded_pairs(self) -> list[str]:
        return self._models.loaded()

    def failed_pairs(self) -> dict[str, str]:
        return self._models.failed()

    def converting_pairs(self) -> list[str]:
        """Pairs whose model is being prepared (converted) and not served yet."""
        return []

    def load(self, source: str, target: str) -> PairModel:
        return self._models.get(source, target)

    def _tokenizer(self, r: ResolvedModel) -> Any:
        """The pair's tokenizer: ``MarianVocab`` (sentencepiece and the vocabulary files, giving
        ``MarianTokenizer``'s ids and text without importing transformers)."""
        from translators.marian_vocab import MarianVocab

        return MarianVocab.from_folder(r.path)

    def _load(self, r: ResolvedModel) -> PairModel:
        engine, generation, positions = self._open(r)
        tokenizer = self._tokenizer(r)
        limit = int(getattr(tokenizer, "model_max_length", 512) or 512)
        limit = self.options.max_input_tokens or min(limit, positions or limit)
        floor = len(tokenizer(r.prefix).input_ids)  # the prefix and </s>
        if limit <= floor:
            raise ValueError(f"max_input_tokens={limit} leaves no room for text: the target-language prefix "
                             f"and </s> already take {floor} tokens")
        return PairModel(r, tokenizer, engine, limit, generation, positions)

    # -- decoding ----------------------------------------------------------------------------
    def decoding(self, m: PairModel, cap: int) -> Decoding:
        gen = m.generation
        return Decoding(
            beams=self.options.num_beams or gen.get("num_beams") or 1,
            cap=cap,
            no_repeat_ngram_size=_first(self.options.no_repeat_ngram_size, gen.get("no_repeat_ngram_size"), 0),
            repetition_penalty=_first(self.options.repetition_penalty, gen.get("repetition_penalty"), 1.0),
            generation=gen,
        )

    def _forward(self, m: PairModel, pieces: Sequence[str], *, alignment: bool = False) -> list[_Piece]:
        """Each piece's translation, whether it was capped or repetition-guarded, its score and
        (with ``alignment``) its word links."""
        tok = m.tokenizer
        rows = tok([m.resolved.prefix + p for p in pieces]).input_ids
        caps = [self.options.output_cap(len(row), m.generation.get("max_length")) for row in rows]
        out: list[_Piece] = [_Piece("", False, 0.0, 0)] * len(rows)
        for cap, group in cap_groups(caps).items():
            generated = self._generate(m, [rows[i] for i in group], self.decoding(m, cap), alignment=alignment)
            count_generation(len(group))
            for i, dec in zip(group, generated, strict=True):
                kept, looped = kept_positions(dec.ids)
                ids = [dec.ids[k] for k in kept]
                text = tok.decode(ids, skip_special_tokens=True).strip()
                links = None
                if alignment and dec.attention is not None:
                    links = _links(m, pieces[i], rows[i], text, ids, [dec.attention[k] for k in kept])
                out[i] = _Piece(text, looped or len(dec.ids) >= cap, dec.logprob, len(dec.ids), links)
        return out


def _links(m: PairModel, source: str, row: Sequence[int], text: str, ids: Sequence[int],
           attention: Sequence[Sequence[float]]) -> tuple[WordLink, ...]:
    tok = m.tokenizer
    src_spans = source_token_spans(tok, m.resolved.prefix, source, row)
    tgt_spans = piece_spans(tok.convert_ids_to_tokens(list(ids)), text, tok.all_special_tokens)
    return links_from_attention(source, src_spans, text, tgt_spans, attention)


def _joined(text: str, parts: Sequence[tuple[str, _Piece]], alignment: bool) -> Translation:
    """One text's translation from its pieces' (joined with a space, like the pieces' sources)."""
    tokens = sum(p.tokens for _, p in parts)
    score = math.exp(sum(p.logprob for _, p in parts) / tokens) if tokens else None
    links: list[WordLink] | None = [] if alignment else None
    src_at, tgt_at = 0, 0
    for source, p in parts:
        start = text.find(source, src_at)  # each piece is a substring of the text, in order
        src_at = max(src_at, start) + len(source)
        if links is not None and p.links is not None:
            links += shift_links(p.links, max(0, start), tgt_at)
        tgt_at += len(p.text) + 1
    return Translation(" ".join(p.text for _, p in parts), pieces=len(parts), capped=any(p.capped for _, p in parts),
                       score=None if score is None else min(1.0, score),
                       alignment=None if links is None else tuple(links))


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)
