"""Converting a Marian folder to CTranslate2, once, cached, keyed by the weights' checksum.

Changed weights convert again (a new folder name) and get a new identity. A folder that is
already a CTranslate2 model (``model.bin``) serves as it is.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from translators.registry import DEFAULT_TIER, ResolvedModel, Tier, resolve

log = logging.getLogger(__name__)

# Files the tokenizer and decoding settings need; copied into each conversion so that a
# conversion folder is a complete pair folder on its own.
_COPY_FILES = ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json",
               "special_tokens_map.json", "generation_config.json", "newsbridge.json")
CT2_WEIGHTS = "model.bin"
# transformers' model loading (meta-device init) is not thread-safe: one conversion at a time
# per process; across processes the temporary-folder rename keeps the result whole.
_convert_lock = threading.Lock()


def ct2_cache_dir() -> Path:
    """Where conversions of hub snapshots (or read-only folders) go."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsbridge" / "ct2"


def is_ct2_folder(folder: Path) -> bool:
    return (folder / CT2_WEIGHTS).is_file()


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


def convert_pair(pair: str, model_dir: Path | None, compute_type: str = "int8", tier: Tier = DEFAULT_TIER) -> Path:
    """Convert the model serving ``pair`` (e.g. ``"pl-en"``) in ``tier``; for ``newsbridge models convert``."""
    source, _, target = pair.partition("-")
    return ensure_converted(resolve(source, target, model_dir, tier), compute_type)
