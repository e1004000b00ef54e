"""py3langid's model, decompressed once into the user cache.

py3langid ships its model LZMA-compressed and decompresses it at every load: 0.65 s of the
detector's 1.2 s start on 2 cores, paid by every server start and every one-shot CLI command.
``load_identifier`` keeps the decompressed ``.npz`` under ``$XDG_CACHE_HOME/newsbridge/py3langid/``
(``~/.cache`` without it), named by py3langid's version and the compressed file's size, written
atomically the first time; where the cache cannot be written or read, py3langid's own loader runs.
The arrays are the ones py3langid's loader returns (``tests/test_langid_model.py`` compares them).
"""

from __future__ import annotations

import importlib.metadata
import logging
import lzma
import os
import shutil
import tempfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from translators.user_cache import user_cache_dir

log = logging.getLogger(__name__)
_TYPECODES = {2: "H", 4: "I", 8: "L"}


def cache_path(source: Path) -> Path:
    version = importlib.metadata.version("py3langid")
    return user_cache_dir("py3langid", f"{source.name}-{version}-{source.stat().st_size}.npz")


def load_identifier() -> Any:
    """py3langid's ``LanguageIdentifier`` over its shipped model, normalised probabilities."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = Path(MODEL_DIR) / MODEL_FILE
    try:
        cached = cache_path(source)
        if not cached.is_file():
            _decompress(source, cached)
        with np.load(cached, allow_pickle=False) as data:
            return LanguageIdentifier(data["ptc"], data["pc"], data["classes"].tolist(), _array(data["nextmove"]),
                                      data["out_feat"].tolist(), norm_probs=True, tk_row=_array(data["nextmove_row"]))
    except (OSError, ValueError, KeyError) as exc:  # no writable cache, a damaged file: the slow way
        log.info("py3langid model cache not used", extra={"error": f"{type(exc).__name__}: {exc}"})
        return LanguageIdentifier.from_modelpath(source, norm_probs=True)


def _decompress(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, lzma.open(source) as src:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, target)  # whole or absent, also with several processes starting at once
    finally:
        Path(tmp).unlink(missing_ok=True)


def _array(values: np.ndarray) -> array:
    """A NumPy unsigned array as the stdlib ``array`` py3langid's tokenizer walks."""
    out = array(_TYPECODES[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


__all__ = ["cache_path", "load_identifier"]
