"""Where newsbridge keeps what it derives from installed files on this machine (CTranslate2
conversions of hub snapshots, py3langid's unpacked model, the digests of model files):
``$XDG_CACHE_HOME/newsbridge/``, ``~/.cache/newsbridge/`` without it; and how a derived folder is
written there or anywhere: ``publish_folder``."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


def user_cache_dir(*parts: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "newsbridge", *parts)


@contextmanager
def publish_folder(target: Path, complete: Callable[[Path], bool] = Path.is_dir) -> Iterator[Path]:
    """A new temporary folder beside ``target`` for the ``with`` block to fill, renamed to
    ``target`` when the block ends without an error: whole or absent, also with several processes
    at it at once. A ``target`` that another process published meanwhile and that is
    ``complete`` is as good as ours (ours is dropped); one that is not (a copy cut short, a disk
    cleaned by hand) is replaced, since it would make every rename fail. The temporary folder is
    removed whatever happens."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield tmp
        if target.exists() and not complete(target):
            log.warning("replacing an incomplete folder", extra={"path": str(target)})
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not complete(target):
                raise
            log.info("another process published the folder first; using theirs", extra={"path": str(target)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["publish_folder", "user_cache_dir"]
