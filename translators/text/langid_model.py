"""py3langid's model, unpacked once into the user cache.

py3langid ships its model LZMA-compressed and decompresses it at every load: 0.65 s of the
detector's 1.2 s start on 2 cores, paid by every server start and every one-shot CLI command.
``load_identifier`` keeps it unpacked under ``$XDG_CACHE_HOME/newsbridge/py3langid/`` (``~/.cache``
without it), in a folder named by py3langid's version and the compressed file's size, written
atomically the first time; where the cache cannot be written or read, py3langid's own loader runs.
The folder holds the probability table as a column-major ``.npy`` that is memory-mapped (the
detector copies out only the columns of the languages it uses), the small arrays as ``.npy``, and
the tokenizer's two tables as raw machine words, memory-mapped and indexed like the stdlib
``array`` py3langid walks: loading takes about 0.04 s instead of 0.23 s from one ``.npz``. The arrays are
the ones py3langid's loader returns (``tests/test_langid_model.py`` compares them).
"""

from __future__ import annotations

import importlib.metadata
import io
import logging
import lzma
import mmap
import os
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from translators.user_cache import publish_folder, user_cache_dir

log = logging.getLogger(__name__)
_TYPECODES = {2: "H", 4: "I", 8: "L"}
_LAYOUT = "v2"  # the folder's layout (v1 was one .npz file)


def cache_path(source: Path) -> Path:
    """The cache folder for py3langid's model file ``source``."""
    version = importlib.metadata.version("py3langid")
    return user_cache_dir("py3langid", f"{source.name}-{version}-{source.stat().st_size}-{_LAYOUT}")


def load_identifier() -> Any:
    """py3langid's ``LanguageIdentifier`` over its shipped model, normalised probabilities."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = Path(MODEL_DIR) / MODEL_FILE
    try:
        folder = cache_path(source)
        if not folder.is_dir():
            _unpack(source, folder)
        ptc = np.load(folder / "ptc.npy", mmap_mode="r", allow_pickle=False)
        pc, classes, out_feat = (np.load(folder / f"{name}.npy", allow_pickle=False)
                                 for name in ("pc", "classes", "out_feat"))
        if ptc.ndim != 2 or ptc.shape[1] != len(classes) or pc.shape != (len(classes),):
            raise ValueError(f"inconsistent shapes in {folder}")
        return LanguageIdentifier(ptc, pc, classes.tolist(), _read_words(folder, "nextmove"), out_feat.tolist(),
                                  norm_probs=True, tk_row=_read_words(folder, "nextmove_row"))
    except (OSError, ValueError, KeyError) as exc:  # no writable cache, a damaged file: the slow way
        log.info("py3langid model cache not used", extra={"error": f"{type(exc).__name__}: {exc}"})
        return LanguageIdentifier.from_modelpath(source, norm_probs=True)


def _unpack(source: Path, target: Path) -> None:
    """Decompress ``source`` and write its arrays into a new folder, published as ``target`` when
    complete: whole or absent, also with several processes starting at once."""
    with lzma.open(source) as src, np.load(io.BytesIO(src.read()), allow_pickle=False) as data:
        arrays = {name: data[name] for name in ("ptc", "pc", "classes", "out_feat", "nextmove", "nextmove_row")}
    with publish_folder(target) as tmp:
        np.save(tmp / "ptc.npy", np.asfortranarray(arrays["ptc"]))  # a language's column is contiguous
        for name in ("pc", "classes", "out_feat"):
            np.save(tmp / f"{name}.npy", arrays[name])
        for name in ("nextmove", "nextmove_row"):  # raw words, named by the stdlib typecode they read as
            words = np.ascontiguousarray(arrays[name])
            words.tofile(tmp / f"{name}.{_TYPECODES[words.dtype.itemsize]}")


def _read_words(folder: Path, name: str) -> memoryview:
    """The raw table ``name`` (its typecode is the file's suffix), memory-mapped read-only: indexed
    like the stdlib ``array`` py3langid walks (within a few per cent of its speed), without reading
    39 MB at every start. The file is never rewritten in place (``_unpack`` renames a new folder)."""
    (path,) = folder.glob(f"{name}.?")
    typecode = path.suffix[1:]
    itemsize = array(typecode).itemsize
    with path.open("rb") as f:
        if f.seek(0, os.SEEK_END) % itemsize or not f.tell():
            raise ValueError(f"{path} is not a whole number of {itemsize}-byte words")
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # stays valid after the close
    return memoryview(mapped).cast(typecode)


__all__ = ["cache_path", "load_identifier"]
