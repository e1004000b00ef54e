"""MarianMT backend on transformers: one model per pair, loaded lazily and once.

The shape follows transformers pipelines (preprocess -> _forward -> postprocess) and EasyNMT's
Marian adapter (length-sorted batches). A sentence longer than the model's input limit is split
at the best boundary near its middle and translated in pieces, never truncated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import regex

from translators.base import Lang, ModelIdentity, Translation, UnsupportedPair
from translators.registry import REGISTRY, ResolvedModel, resolve

log = logging.getLogger(__name__)

# Where to split an over-long sentence, best first: after clause punctuation, then any space.
_SPLIT_POINTS = (regex.compile(r"(?<=[;:,)\]–—])\s+"), regex.compile(r"\s+"))


CAP_BUCKET = 16


@dataclass
class DecodeOptions:
    num_beams: int | None = None  # None: the model's own generation config
    max_input_tokens: int | None = None  # None: the model's own limit
    max_length_ratio: float = 2.0  # output cap: ratio * input tokens + 16 (and the model's max_length)
    batch_size: int = 16
    max_batch_tokens: int = 4096

    def canonical(self) -> str:
        return f"beams={self.num_beams or 'model'};ratio={self.max_length_ratio};cap=bucket{CAP_BUCKET}"

    def output_cap(self, input_tokens: int, model_max: int | None) -> int:
        """Most tokens generated for an input of ``input_tokens``: a function of that input
        alone (rounded up to a bucket), so a sentence translates the same whatever it is
        batched with; batches only group inputs that share a cap."""
        raw = int(input_tokens * self.max_length_ratio) + 16
        cap = -(-raw // CAP_BUCKET) * CAP_BUCKET
        return min(cap, model_max) if model_max else cap


def split_to_fit(text: str, count: Callable[[str], int], limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` tokens, at clause or word boundaries
    nearest the middle; a single word over the limit is cut by characters. Joining the
    pieces with a space gives back the text up to whitespace."""
    if count(text) <= limit:
        return [text]
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


M = TypeVar("M")

_loads = 0  # models loaded by this process, all PairModels together
_loads_lock = threading.Lock()


def model_loads() -> int:
    """How many models this process has loaded (a Ray actor reports it; /metrics shows it)."""
    return _loads


class PairModels(Generic[M]):
    """One model per direct pair, loaded lazily, once, thread-safe (both backends use it)."""

    def __init__(self, model_dir: Path | None, load: Callable[[ResolvedModel], M]) -> None:
        self.model_dir = model_dir
        self._load = load
        self._models: dict[str, M] = {}
        self._lock = threading.Lock()

    def get(self, source: str, target: str) -> M:
        pair = f"{source}-{target}"
        m = self._models.get(pair)
        if m is not None:
            return m
        if pair not in REGISTRY:
            raise UnsupportedPair(f"no model for {source}->{target}")
        with self._lock:
            m = self._models.get(pair)
            if m is None:
                m = self._models[pair] = self._load(resolve(source, target, self.model_dir))
                _count_load(pair)
        return m

    def loaded(self) -> list[str]:
        return list(self._models)


def _count_load(pair: str) -> None:
    global _loads
    with _loads_lock:
        _loads += 1
        n = _loads
    log.info("model loaded", extra={"pair": pair, "loads_in_process": n})


def split_pieces(texts: Sequence[str], count: Callable[[str], int], limit: int) -> tuple[list[str], list[int]]:
    """Split over-long texts to fit the model; returns the pieces and, for each, its text's index."""
    pieces: list[str] = []
    owners: list[int] = []
    for i, text in enumerate(texts):
        for piece in split_to_fit(text, count, limit):
            pieces.append(piece)
            owners.append(i)
    return pieces, owners


@dataclass
class LoadedMarian:
    resolved: ResolvedModel
    tokenizer: Any
    model: Any
    device: str
    max_input_tokens: int
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(self.resolved.prefix + text).input_ids)


def pick_device(setting: str) -> str:
    if setting != "auto":
        return setting
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover
        return "cpu"


class MarianTranslator:
    """``Translator`` over transformers' ``MarianMTModel``; direct pairs only (pivot composes)."""

    backend = "transformers"

    def __init__(self, model_dir: Path | None = None, *, device: str = "auto",
                 options: DecodeOptions | None = None) -> None:
        self.model_dir = model_dir
        self.device = pick_device(device)
        self.options = options or DecodeOptions()
        self._models = PairModels(model_dir, self._load)

    # -- Translator protocol -------------------------------------------------------------
    def supports(self, source: Lang, target: Lang) -> bool:
        return f"{source}-{target}" in REGISTRY

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        r = self.load(source, target).resolved
        return ModelIdentity(r.model_id, r.revision, r.checksum, f"{self.backend};{self.options.canonical()}")

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang) -> list[Translation]:
        if not texts:
            return []
        m = self.load(source, target)
        pieces, owners = self.preprocess(m, texts)
        outputs = self._forward(m, pieces)
        return self.postprocess(outputs, owners, len(texts))

    # -- loading -----------------------------------------------------------------------------
    def loaded_pairs(self) -> list[str]:
        return self._models.loaded()

    def load(self, source: str, target: str) -> LoadedMarian:
        return self._models.get(source, target)

    def _load(self, r: ResolvedModel) -> LoadedMarian:
        from transformers import MarianMTModel, MarianTokenizer

        log.info("loading model", extra={"pair": r.spec.pair, "path": str(r.path), "model": r.model_id})
        tokenizer = MarianTokenizer.from_pretrained(r.path)
        model = MarianMTModel.from_pretrained(r.path).to(self.device).eval()
        limit = self.options.max_input_tokens or min(
            int(getattr(tokenizer, "model_max_length", 512) or 512), model.config.max_position_embeddings
        )
        return LoadedMarian(r, tokenizer, model, self.device, limit)

    # -- preprocess -> _forward -> postprocess -----------------------------------------------
    @staticmethod
    def preprocess(m: LoadedMarian, texts: Sequence[str]) -> tuple[list[str], list[int]]:
        """Split over-long texts; returns the pieces and, for each, the index of its text."""
        return split_pieces(texts, m.count_tokens, m.max_input_tokens)

    def _forward(self, m: LoadedMarian, pieces: Sequence[str]) -> list[str]:
        import torch

        tok = m.tokenizer
        inputs = [m.resolved.prefix + p for p in pieces]
        lengths = [len(ids) for ids in tok(inputs).input_ids]
        order = sorted(range(len(inputs)), key=lambda i: -lengths[i])
        out: list[str] = [""] * len(inputs)
        gen = m.model.generation_config
        beams = self.options.num_beams or gen.num_beams or 1
        caps = [self.options.output_cap(n, gen.max_length) for n in lengths]
        for batch in length_batches(order, lengths, self.options.batch_size, self.options.max_batch_tokens, caps):
            enc = tok([inputs[i] for i in batch], return_tensors="pt", padding=True).to(m.device)
            max_new = caps[batch[0]]
            with m.lock, torch.inference_mode():
                ids = m.model.generate(**enc, num_beams=beams, max_length=max_new + 1)
            for i, text in zip(batch, tok.batch_decode(ids, skip_special_tokens=True), strict=True):
                out[i] = text
        return out

    @staticmethod
    def postprocess(outputs: Sequence[str], owners: Sequence[int], n: int) -> list[Translation]:
        parts: list[list[str]] = [[] for _ in range(n)]
        for owner, text in zip(owners, outputs, strict=True):
            parts[owner].append(text.strip())
        return [Translation(" ".join(p), pieces=len(p)) for p in parts]


def length_batches(order: Sequence[int], lengths: Sequence[int], size: int, max_tokens: int,
                   caps: Sequence[int] | None = None) -> list[list[int]]:
    """Group length-sorted indices into batches bounded by count and padded token volume;
    with ``caps``, a batch only holds inputs of the same output cap."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = max([lengths[j] for j in current[:1]] + [lengths[i]])
        other_cap = caps is not None and bool(current) and caps[current[0]] != caps[i]
        if current and (other_cap or len(current) >= size or longest * (len(current) + 1) > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
