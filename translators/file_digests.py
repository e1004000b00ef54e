"""SHA-256 of model files, remembered across processes.

A local model folder's checksum (part of every cache key and of the CTranslate2 conversion's
name) hashes the folder's weights: about 0.9 s per OPUS-MT-sized pair on 2 cores, at every start
and every one-shot CLI command. The digests are kept in ``$XDG_CACHE_HOME/newsbridge/file-digests.json``
keyed by the file's resolved path and its identity on disk: device, inode, size, modification and
change times in nanoseconds. Any write to a file, or a file moved into its place, changes its
change time (ctime), which no tool can set back, so a changed file is hashed again. Where the
cache cannot be read or written the digests are remembered in the process only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from translators.user_cache import user_cache_dir

log = logging.getLogger(__name__)
_LIMIT = 4096  # entries kept in the file (the newest); a folder of models needs a few dozen


class FileDigests:
    """Digests by file identity, in memory and in one JSON file (``path`` None: memory only)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._known: dict[str, str] | None = None

    def digest(self, file: Path) -> str:
        key = _identity(file)
        with self._lock:
            known = self._load()
            found = known.get(key)
        if found is not None:
            return found
        digest = _sha256(file)
        if _identity(file) != key:  # written to while we read it: not remembered
            return digest
        with self._lock:
            known = self._load()
            known.pop(key, None)
            known[key] = digest  # the newest last
            self._save(known)
        return digest

    def _load(self) -> dict[str, str]:
        if self._known is None:
            self._known = {}
            if self.path is not None:
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                    if isinstance(data, dict):
                        self._known = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
                except (OSError, ValueError):  # none yet, or unreadable: start afresh
                    pass
        return self._known

    def _save(self, known: dict[str, str]) -> None:
        kept = self._known = dict(list(known.items())[-_LIMIT:])
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(kept, out)
                os.replace(tmp, self.path)  # whole or absent; another process's entries may be lost
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError as exc:
            log.info("model file digests not kept on disk", extra={"error": f"{type(exc).__name__}: {exc}"})
            self.path = None  # remembered in this process only from now on


def _identity(file: Path) -> str:
    st = file.stat()
    return f"{file.resolve()}|{st.st_dev}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}"


def _sha256(file: Path) -> str:
    h = hashlib.sha256()
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_shared: dict[Path, FileDigests] = {}
_shared_lock = threading.Lock()


def file_digest(file: Path) -> str:
    """SHA-256 of ``file``'s content, hashed once per version of the file on this machine (the
    memo under the user cache folder current at the call: ``XDG_CACHE_HOME``)."""
    where = user_cache_dir("file-digests.json")
    with _shared_lock:
        memo = _shared.setdefault(where, FileDigests(where))
    return memo.digest(file)


__all__ = ["FileDigests", "file_digest"]
