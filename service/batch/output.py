"""The resumable JSONL writer of ``newsbridge batch`` (and of HTTP jobs).

It appends whole lines, flushes and fsyncs per chunk, and on restart cuts a torn last line and
reports how many records are already done; ``OUTPUT.progress.json`` remembers the input and the
arguments so that a restart with different ones is refused.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from service.batch.records import UsageProblem


class ResumeRefused(UsageProblem):
    """The output belongs to another run (other input or arguments)."""


@dataclass
class Resumed:
    done: int  # complete records already in the output
    errors: int  # of which error records
    truncated: int  # bytes of a torn last line that were cut


def scan_output(path: Path) -> Resumed:
    """Cut a torn last line (no newline, or not JSON) and count the complete records."""
    done = errors = 0
    with path.open("r+b") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(0)
        good = 0
        pos = 0
        for raw in f:
            end = pos + len(raw)
            if not raw.endswith(b"\n"):
                break
            if b'"error"' in raw:
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError:
                    break
                errors += "error" in obj
            elif end == size:  # the last line: make sure it is whole JSON
                try:
                    json.loads(raw)
                except json.JSONDecodeError:
                    break
            done += 1
            good = pos = end
        if good < size:
            f.truncate(good)
            f.flush()
            os.fsync(f.fileno())
    return Resumed(done, errors, size - good)


class ResumableOutput:
    """Appends JSONL records, durable per chunk; ``OUTPUT.progress.json`` ties it to a run."""

    def __init__(self, path: str, input_fingerprint: dict[str, Any], args: dict[str, Any], *,
                 restart: bool = False) -> None:
        self.stdout = path == "-"
        self.path = Path(path)
        self.progress_path = self.path.with_name(self.path.name + ".progress.json")
        self.identity = {"input": input_fingerprint, "args": args}
        self.restart = restart
        self._file: IO[bytes] | None = None
        self.done = 0

    def open(self) -> Resumed:
        """Check the progress file, cut a torn line, and return what is already done."""
        if self.stdout:
            self._file = sys.stdout.buffer
            return Resumed(0, 0, 0)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        resumed = Resumed(0, 0, 0)
        if self.restart:
            self.path.write_bytes(b"")
        elif self.progress_path.exists():
            self._check_identity()
            if self.path.exists():
                resumed = scan_output(self.path)
        elif self.path.exists() and self.path.stat().st_size > 0:
            raise ResumeRefused(f"{self.path} exists and was not written by a `newsbridge batch` run "
                                f"({self.progress_path.name} is missing); pass --restart to overwrite it, "
                                "or choose another --output")
        self._write_progress(resumed.done, complete=False)
        self._file = self.path.open("ab")
        self.done = resumed.done
        return resumed

    def _check_identity(self) -> None:
        try:
            saved = json.loads(self.progress_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ResumeRefused(f"{self.progress_path} is unreadable ({exc}); pass --restart to start over"
                                ) from exc
        diffs: list[str] = []
        old_args, new_args = saved.get("args", {}), self.identity["args"]
        for key in sorted(set(old_args) | set(new_args)):
            if old_args.get(key) != new_args.get(key):
                diffs.append(f"{key}: {old_args.get(key)!r} then, {new_args.get(key)!r} now")
        if saved.get("input") != self.identity["input"]:
            diffs.insert(0, f"the input differs ({saved.get('input', {}).get('path')} then, "
                            f"{self.identity['input'].get('path')} now, or its content changed)")
        if diffs:
            raise ResumeRefused(f"{self.path} holds the output of a different run: {'; '.join(diffs)}. "
                                "Rerun with the same input and arguments to resume, or pass --restart "
                                "to start over")

    def _write_progress(self, done: int, *, complete: bool) -> None:
        if self.stdout:
            return
        body = {"version": 1, **self.identity, "records_done": done, "complete": complete}
        tmp = self.progress_path.with_name(self.progress_path.name + ".tmp")
        tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
        os.replace(tmp, self.progress_path)

    def write_chunk(self, lines: list[str]) -> None:
        """Append whole lines, then flush and fsync: a kill can tear at most the last line."""
        assert self._file is not None
        self._file.write("".join(line + "\n" for line in lines).encode("utf-8"))
        self._file.flush()
        if not self.stdout:
            os.fsync(self._file.fileno())
        self.done += len(lines)

    def checkpoint(self) -> None:
        self._write_progress(self.done, complete=False)

    def close(self, *, complete: bool) -> None:
        if self._file is not None and not self.stdout:
            self._file.close()
        self._file = None
        self._write_progress(self.done, complete=complete)
