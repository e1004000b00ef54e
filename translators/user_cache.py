"""Where newsbridge keeps what it derives from installed files on this machine (CTranslate2
conversions of hub snapshots, py3langid's unpacked model, the digests of model files):
``$XDG_CACHE_HOME/newsbridge/``, ``~/.cache/newsbridge/`` without it."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(*parts: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "newsbridge", *parts)


__all__ = ["user_cache_dir"]
