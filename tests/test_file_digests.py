"""Model file digests are hashed once per version of a file on this machine and kept across
processes; a file changed in place (even with its size and modification time put back) is
hashed again; a damaged or unwritable memo costs only the hashing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from translators import file_digests
from translators.file_digests import FileDigests
from translators.registry import folder_checksum


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    f = tmp_path / "model.bin"
    f.write_bytes(os.urandom(3 << 20))
    return f


def _no_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(file: Path) -> str:
        raise AssertionError(f"{file} hashed again")

    monkeypatch.setattr(file_digests, "_sha256", refuse)


def test_a_digest_is_kept_for_the_next_process(weights: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    memo = tmp_path / "cache" / "file-digests.json"
    assert FileDigests(memo).digest(weights) == _sha(weights)
    assert memo.is_file() and [p.name for p in memo.parent.iterdir()] == [memo.name]  # no temporary file left
    _no_hashing(monkeypatch)
    assert FileDigests(memo).digest(weights) == _sha(weights)  # a new process: read from the memo


def test_a_file_changed_in_place_is_hashed_again(weights: Path, tmp_path: Path) -> None:
    memo = FileDigests(tmp_path / "file-digests.json")
    before = memo.digest(weights)
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF  # same size
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old modification time
    assert weights.stat().st_size == st.st_size and weights.stat().st_mtime_ns == st.st_mtime_ns
    after = FileDigests(tmp_path / "file-digests.json").digest(weights)
    assert after == _sha(weights) != before


def test_a_damaged_or_unwritable_memo_only_costs_the_hashing(weights: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "file-digests.json"
    damaged.write_text("{not json")
    assert FileDigests(damaged).digest(weights) == _sha(weights)
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache folder would go")
    memo = FileDigests(blocked / "file-digests.json")
    assert memo.digest(weights) == _sha(weights)
    assert memo.path is None  # remembered in the process from then on


def test_folder_checksums_use_the_memo_under_the_user_cache(model_dir: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = folder_checksum(model_dir / "pl-en")
    assert (tmp_path / "newsbridge" / "file-digests.json").is_file()
    monkeypatch.setattr(file_digests, "_shared", {})  # as a new process
    _no_hashing(monkeypatch)
    assert folder_checksum(model_dir / "pl-en") == first
