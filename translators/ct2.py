"""MarianMT on CTranslate2: the same weights as the transformers backend, converted once.

The Marian folder is converted with ``ctranslate2.converters.TransformersConverter`` on first
use and cached, keyed by the weights' checksum (changed weights convert again and get a new
identity). Tokenization, batching, beam size, length caps and splitting of over-long input
follow ``MarianTranslator`` so both backends give the same output at float32.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translators.base import EngineInfo, Lang, ModelIdentity, Translation, describe_backend
from translators.coalesce import thread_plan
from translators.marian import DecodeOptions, MarianTranslator, PairModels, length_batches, split_pieces
from translators.registry import REGISTRY, ResolvedModel, resolve

log = logging.getLogger(__name__)

# Files the tokenizer and decoding settings need; copied into each conversion so that a
# conversion folder is a complete pair folder on its own.
_COPY_FILES = ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json",
               "special_tokens_map.json", "generation_config.json", "newsbridge.json")
_CT2_WEIGHTS = "model.bin"
# transformers' model loading (meta-device init) is not thread-safe: one conversion at a time
# per process; across processes the temporary-folder rename keeps the result whole.
_convert_lock = threading.Lock()


def ct2_cache_dir() -> Path:
    """Where conversions of hub snapshots (or read-only folders) go."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsbridge" / "ct2"


def is_ct2_folder(folder: Path) -> bool:
    return (folder / _CT2_WEIGHTS).is_file()


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_checksum(r: ResolvedModel) -> str:
    """The weights' checksum; a folder that is already a CTranslate2 model adds its ``model.bin``."""
    if not is_ct2_folder(r.path):
        return r.checksum
    return hashlib.sha256(f"{r.checksum}:{_file_digest(r.path / _CT2_WEIGHTS)}".encode()).hexdigest()[:16]


def conversion_dir(r: ResolvedModel, compute_type: str) -> Path:
    """``<folder>/ct2-<type>-<checksum>/`` for a local folder, else under :func:`ct2_cache_dir`."""
    if r.revision == "local" and os.access(r.path, os.W_OK):
        return r.path / f"ct2-{compute_type}-{r.checksum}"
    name = r.model_id.replace("/", "--").replace(":", "-")
    return ct2_cache_dir() / f"{name}-{r.checksum}-{compute_type}"


def ensure_converted(r: ResolvedModel, compute_type: str) -> Path:
    """Return a CTranslate2 folder for ``r``, converting it first if needed.

    Conversion writes into a temporary folder beside the target and renames it into place,
    so concurrent converters never leave a half-written model: the loser discards its copy.
    """
    if is_ct2_folder(r.path):
        return r.path
    final = conversion_dir(r, compute_type)
    if is_ct2_folder(final):
        return final
    with _convert_lock:
        if is_ct2_folder(final):
            return final
        return _convert(r, compute_type, final)


def _convert(r: ResolvedModel, compute_type: str, final: Path) -> Path:
    from ctranslate2.converters import TransformersConverter

    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    started = time.perf_counter()
    try:
        copy = [f for f in _COPY_FILES if (r.path / f).is_file()]
        TransformersConverter(str(r.path), copy_files=copy).convert(
            str(tmp), quantization=compute_type, force=True
        )
        try:
            os.rename(tmp, final)
        except OSError:
            if not is_ct2_folder(final):
                raise
            log.info("conversion raced; using the other process's result", extra={"path": str(final)})
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted to ctranslate2", extra={"model": r.model_id, "path": str(final),
                                                "compute_type": compute_type,
                                                "seconds": round(time.perf_counter() - started, 2)})
    return final


def convert_pair(pair: str, model_dir: Path | None, compute_type: str = "int8") -> Path:
    """Convert the model serving ``pair`` (e.g. ``"pl-en"``); for ``newsbridge models convert``."""
    source, _, target = pair.partition("-")
    return ensure_converted(resolve(source, target, model_dir), compute_type)


def pick_ct2_device(setting: str) -> str:
    if setting != "auto":
        return setting
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


@dataclass
class LoadedCT2:
    resolved: ResolvedModel
    checksum: str
    path: Path  # the CTranslate2 folder
    tokenizer: Any
    translator: Any  # ctranslate2.Translator (thread-safe: calls queue on its own workers)
    max_input_tokens: int
    generation: dict[str, Any]

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(self.resolved.prefix + text).input_ids)


def _generation_settings(*folders: Path) -> dict[str, Any]:
    """The model's generation config with transformers' defaults for what it leaves out."""
    from transformers import GenerationConfig

    for folder in folders:
        if (folder / "generation_config.json").is_file():
            return GenerationConfig.from_pretrained(folder).to_dict()
    return GenerationConfig().to_dict()


def _setting(gen: dict[str, Any], key: str, default: Any) -> Any:
    value = gen.get(key)
    return default if value is None else value


def _max_positions(folder: Path) -> int | None:
    config = folder / "config.json"
    if config.is_file():
        value = json.loads(config.read_text(encoding="utf-8")).get("max_position_embeddings")
        return int(value) if value else None
    return None


class CTranslate2Translator:
    """``Translator`` over CTranslate2 running the pair's Marian weights; direct pairs only."""

    backend = "ctranslate2"

    def __init__(self, model_dir: Path | None = None, *, device: str = "auto",
                 options: DecodeOptions | None = None, compute_type: str = "int8",
                 intra_threads: int = 0, inter_threads: int = 1) -> None:
        self.model_dir = model_dir
        self.device = pick_ct2_device(device)
        self.options = options or DecodeOptions()
        self.compute_type = compute_type
        plan = thread_plan()
        self.intra_threads = intra_threads or plan.intra
        self.inter_threads = inter_threads or plan.inter
        self._models = PairModels(model_dir, self._load)

    # -- Translator protocol -------------------------------------------------------------
    def supports(self, source: Lang, target: Lang) -> bool:
        return f"{source}-{target}" in REGISTRY

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        m = self.load(source, target)
        r = m.resolved
        options = f"{self.backend};compute={self.compute_type};{self.options.canonical()}"
        return ModelIdentity(r.model_id, r.revision, m.checksum, options)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang) -> list[Translation]:
        if not texts:
            return []
        m = self.load(source, target)
        pieces, owners = split_pieces(texts, m.count_tokens, m.max_input_tokens)
        return MarianTranslator.postprocess(self._forward(m, pieces), owners, len(texts))

    # -- loading -----------------------------------------------------------------------------
    def convert(self, source: Lang, target: Lang) -> Path:
        """Convert (if not yet) the pair's model and return the CTranslate2 folder."""
        return ensure_converted(resolve(source, target, self.model_dir), self.compute_type)

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return describe_backend(self, self.backend, source, target, loaded=self.loaded_pairs())

    def loaded_pairs(self) -> list[str]:
        return self._models.loaded()

    def load(self, source: str, target: str) -> LoadedCT2:
        return self._models.get(source, target)

    def _load(self, r: ResolvedModel) -> LoadedCT2:
        import ctranslate2
        from transformers import MarianTokenizer

        path = ensure_converted(r, self.compute_type)
        log.info("loading model", extra={"pair": r.spec.pair, "path": str(path), "model": r.model_id,
                                         "backend": self.backend, "compute_type": self.compute_type})
        tokenizer = MarianTokenizer.from_pretrained(r.path)
        translator = ctranslate2.Translator(str(path), device=self.device, compute_type=self.compute_type,
                                            inter_threads=self.inter_threads,
                                            intra_threads=self.intra_threads)
        positions = _max_positions(r.path) if not is_ct2_folder(r.path) else None
        limit = int(getattr(tokenizer, "model_max_length", 512) or 512)
        limit = self.options.max_input_tokens or min(limit, positions or limit)
        return LoadedCT2(r, model_checksum(r), path, tokenizer, translator, limit,
                         _generation_settings(r.path, path))

    # -- decoding ----------------------------------------------------------------------------
    def _forward(self, m: LoadedCT2, pieces: Sequence[str]) -> list[str]:
        tok = m.tokenizer
        ids = tok([m.resolved.prefix + p for p in pieces]).input_ids
        tokens = [tok.convert_ids_to_tokens(row) for row in ids]
        lengths = [len(row) for row in ids]
        order = sorted(range(len(ids)), key=lambda i: -lengths[i])
        gen = m.generation
        beams = self.options.num_beams or gen.get("num_beams") or 1
        pending = []
        caps = [self.options.output_cap(n, gen.get("max_length")) for n in lengths]
        for batch in length_batches(order, lengths, self.options.batch_size, self.options.max_batch_tokens, caps):
            max_new = caps[batch[0]]
            results = m.translator.translate_batch(
                [tokens[i] for i in batch],
                beam_size=beams,
                max_decoding_length=max_new,
                min_decoding_length=_setting(gen, "min_length", 0),
                length_penalty=_setting(gen, "length_penalty", 1.0),
                repetition_penalty=_setting(gen, "repetition_penalty", 1.0),
                no_repeat_ngram_size=_setting(gen, "no_repeat_ngram_size", 0),
                max_input_length=0,  # never truncate: over-long input was split above
                asynchronous=True,  # batches run in parallel when inter_threads > 1
            )
            pending.append((batch, results))
        out: list[str] = [""] * len(ids)
        for batch, results in pending:
            for i, result in zip(batch, results, strict=True):
                hyp = result.result().hypotheses[0]
                out[i] = tok.decode(tok.convert_tokens_to_ids(hyp), skip_special_tokens=True)
        return out
