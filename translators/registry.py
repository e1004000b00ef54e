"""The one registry: languages and their names, which model serves which pair, which pairs
pivot through English, and where a model's files are.

Everything that lists languages or pairs (HTTP schemas and ``/v1/languages``, preloading,
the CLI, batch, the compatibility endpoints) reads them from here.

A pair is served from ``NEWSBRIDGE_MODEL_DIR/<src>-<tgt>/`` when that folder exists (a Hugging
Face Marian folder, optionally with its CTranslate2 conversion inside), else from the hub id
below (downloaded and cached the usual way, honouring ``HF_HUB_OFFLINE``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from translators.base import SUPPORTED_LANGS, Lang, ModelMissing, UnsupportedPair

# Code -> English name, in the order they are listed everywhere (codes: ``translators.base.Lang``).
LANGUAGES: dict[Lang, str] = dict(zip(SUPPORTED_LANGS, ("Polish", "Lithuanian", "English"), strict=True))
AUTO = "auto"  # a source language to be detected
SOURCE_CHOICES: tuple[str, ...] = (AUTO, *LANGUAGES)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    source: Lang
    target: Lang
    hub_id: str
    prefix: str = ""  # target-language token for multi-target models, e.g. ">>pol<< "
    note: str = ""

    @property
    def pair(self) -> str:
        return f"{self.source}-{self.target}"


# Verified ids (model cards on the hub). No single-pair Helsinki en->pl model exists, so en->pl
# uses the West Slavic multi-target model with its ``>>pol<<`` target token.
REGISTRY: dict[str, ModelSpec] = {
    s.pair: s
    for s in (
        ModelSpec("pl", "en", "Helsinki-NLP/opus-mt-pl-en", note="Tatoeba pl-en BLEU 54.9"),
        ModelSpec("en", "pl", "Helsinki-NLP/opus-mt-en-zlw", prefix=">>pol<< ", note="multi-target"),
        ModelSpec("lt", "en", "Helsinki-NLP/opus-mt-tc-big-lt-en", note="FLORES-101 BLEU 34.3"),
        ModelSpec("en", "lt", "Helsinki-NLP/opus-mt-tc-big-en-lt"),
    )
}
PIVOT: Lang = "en"


def direct_pairs() -> list[str]:
    """Pairs served by one model, as ``"src-tgt"``."""
    return list(REGISTRY)


def pivot_pairs() -> list[tuple[Lang, Lang]]:
    """Pairs with no model of their own that go through ``PIVOT`` (pl->lt: pl->en->lt)."""
    return [(s, t) for s in LANGUAGES for t in LANGUAGES
            if s != t and s != PIVOT and t != PIVOT and f"{s}-{t}" not in REGISTRY
            and f"{s}-{PIVOT}" in REGISTRY and f"{PIVOT}-{t}" in REGISTRY]


def targets_for(source: str) -> list[Lang]:
    """Every language ``source`` translates into, directly or through the pivot."""
    pivoted = {t for s, t in pivot_pairs() if s == source}
    return [t for t in LANGUAGES if f"{source}-{t}" in REGISTRY or t in pivoted]


def language_list() -> str:
    """``"pl, lt, en"``: for messages and help texts."""
    return ", ".join(LANGUAGES)


def spec_for(source: str, target: str) -> ModelSpec:
    try:
        return REGISTRY[f"{source}-{target}"]
    except KeyError:
        raise UnsupportedPair(f"no model for {source}->{target}") from None


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    spec: ModelSpec
    path: Path  # a local folder holding the Marian files
    model_id: str  # hub id, or the local folder name
    revision: str  # hub commit hash, or "local"
    checksum: str  # content digest: weights + vocabulary (local) or the hub commit (hub)
    prefix: str


# Every file that decides the output: weights (transformers or CTranslate2), config,
# vocabulary, generation settings and the target-language prefix (``newsbridge.json``).
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.bin", "config.json", "generation_config.json",
                 "source.spm", "target.spm", "vocab.json", "tokenizer_config.json", "newsbridge.json")
_digests: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a file's content (memoized on path, size and mtime): the one hashing loop."""
    st = path.stat()
    memo_key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    digest = _digests.get(memo_key)
    if digest is None:
        h = hashlib.sha256()
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                h.update(chunk)
        digest = _digests[memo_key] = h.hexdigest()
    return digest


def folder_checksum(folder: Path) -> str:
    """SHA-256 over the digests of the files that decide the output."""
    h = hashlib.sha256()
    for name in _WEIGHT_FILES:
        f = folder / name
        if f.is_file():
            h.update(name.encode() + b"\0" + file_digest(f).encode())
    return h.hexdigest()[:16]


def _local_prefix(folder: Path, spec: ModelSpec) -> str:
    """A local folder may override the prefix in ``newsbridge.json`` (e.g. {"prefix": ">>pol<< "})."""
    meta = folder / "newsbridge.json"
    if meta.is_file():
        return str(json.loads(meta.read_text(encoding="utf-8")).get("prefix", spec.prefix))
    return spec.prefix


def resolve(source: str, target: str, model_dir: Path | None) -> ResolvedModel:
    """Find the files for a pair: the model folder first, then the hub (cache or download)."""
    spec = spec_for(source, target)
    if model_dir is not None:
        folder = Path(model_dir) / spec.pair
        if (folder / "config.json").is_file():
            return ResolvedModel(spec, folder, f"local:{spec.pair}", "local", folder_checksum(folder),
                                 _local_prefix(folder, spec))
    try:
        from huggingface_hub import snapshot_download

        path = Path(snapshot_download(spec.hub_id, local_files_only=_offline()))
    except Exception as exc:
        where = f"{model_dir}/{spec.pair}/" if model_dir else "NEWSBRIDGE_MODEL_DIR/<pair>/"
        raise ModelMissing(
            f"model for {spec.pair} not found: no Marian folder at {where} and {spec.hub_id} could not be "
            f"fetched from the hub ({type(exc).__name__}). Put the model in NEWSBRIDGE_MODEL_DIR or run "
            f"`newsbridge models pull {spec.pair}` where the hub is reachable."
        ) from exc
    return ResolvedModel(spec, path, spec.hub_id, path.name, path.name[:16], spec.prefix)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def available_pairs(model_dir: Path | None) -> dict[str, str]:
    """Pair -> where it would load from ('local' folder or the hub id), without loading anything."""
    out: dict[str, str] = {}
    for pair, spec in REGISTRY.items():
        local = model_dir is not None and (Path(model_dir) / pair / "config.json").is_file()
        out[pair] = "local" if local else spec.hub_id
    return out
