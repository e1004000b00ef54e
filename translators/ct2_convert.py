"""Converting a Marian folder to CTranslate2, once, ahead of requests, cached on disk.

A conversion is keyed by the source folder's checksum (weights, vocabulary, configs) and the
converter's version (:data:`CONVERTER_VERSION`: the ctranslate2 release and this recipe): changed
weights or a new converter convert again, into a new folder. A folder that is already a
CTranslate2 model (``model.bin``) serves as it is.

Converting needs PyTorch and transformers (ctranslate2's ``TransformersConverter`` loads the model
with them). A process that has not imported torch (a server on the CTranslate2 backend) converts
in a child process (``python -m translators.ct2_convert --serve``), so libtorch is never mapped
into it; a process that has it already (the transformers backend, the tests) converts in place.
The child converts one folder per line it reads and is kept until it has been idle for
:data:`CONVERTER_IDLE_S`: importing torch and transformers takes it about 5 s on 2 cores, paid once
for the four pairs a first start converts instead of once per pair (a first start with the tests'
tiny models was ready after 28 s, now 8 s).

:class:`Conversions` runs conversions in the background for a server: a request for a pair that is
converting is answered at once (``ModelConverting``: 503 ``model_converting`` with ``Retry-After``)
instead of waiting for it, and ``converting()`` tells ``/readyz``.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translators.base import ModelConverting
from translators.registry import DEFAULT_TIER, ResolvedModel, Tier, resolve
from translators.user_cache import publish_folder, user_cache_dir

__all__ = ["CONVERTER_VERSION", "Conversions", "ConverterChild", "conversion_dir", "convert_pair", "ensure_converted",
           "find_converted", "is_ct2_folder"]

log = logging.getLogger(__name__)

# Files the tokenizer and decoding settings need; copied into each conversion so that a
# conversion folder is a complete pair folder on its own.
_COPY_FILES = ("source.spm", "target.spm", "vocab.json", "target_vocab.json", "tokenizer_config.json",
               "special_tokens_map.json", "added_tokens.json", "generation_config.json", "newsbridge.json")
CT2_WEIGHTS = "model.bin"
_RECIPE = 2  # bump when what a conversion folder holds changes
CONVERTER_VERSION = f"{importlib.metadata.version('ctranslate2')}-r{_RECIPE}"
# transformers' model loading (meta-device init) is not thread-safe: one conversion at a time
# per process; across processes the temporary-folder rename keeps the result whole.
_convert_lock = threading.Lock()
CONVERTER_IDLE_S = 30.0  # how long a converter child waits for the next conversion


def ct2_cache_dir() -> Path:
    """Where conversions of hub snapshots (or read-only folders) go."""
    return user_cache_dir("ct2")


def is_ct2_folder(folder: Path) -> bool:
    return (folder / CT2_WEIGHTS).is_file()


def conversion_dir(r: ResolvedModel, compute_type: str) -> Path:
    """``<folder>/ct2-<type>-<checksum>-<converter>/`` for a writable local folder, else under
    :func:`ct2_cache_dir`."""
    tag = f"{r.checksum}-{CONVERTER_VERSION}"
    if r.revision == "local" and os.access(r.path, os.W_OK):
        return r.path / f"ct2-{compute_type}-{tag}"
    name = r.model_id.replace("/", "--").replace(":", "-")
    return ct2_cache_dir() / f"{name}-{tag}-{compute_type}"


def find_converted(r: ResolvedModel, compute_type: str) -> Path | None:
    """The CTranslate2 folder for ``r`` if it exists already (nothing is converted)."""
    if is_ct2_folder(r.path):
        return r.path
    final = conversion_dir(r, compute_type)
    return final if is_ct2_folder(final) else None


def ensure_converted(r: ResolvedModel, compute_type: str) -> Path:
    """Return a CTranslate2 folder for ``r``, converting it first if needed (blocking).

    Conversion writes into a temporary folder beside the target and renames it into place,
    so concurrent converters never leave a half-written model: the loser discards its copy.
    """
    found = find_converted(r, compute_type)
    if found is not None:
        return found
    final = conversion_dir(r, compute_type)
    with _convert_lock:
        if is_ct2_folder(final):
            return final
        return _convert(r, compute_type, final)


def _convert(r: ResolvedModel, compute_type: str, final: Path) -> Path:
    started = time.perf_counter()
    in_process = "torch" in sys.modules
    # a final folder without weights is a leftover (a copy cut short, a disk cleaned by hand):
    # publish_folder replaces it, else every rename would fail and every request answer
    # "converting" forever
    with publish_folder(final, complete=is_ct2_folder) as tmp:
        copy = [f for f in _COPY_FILES if (r.path / f).is_file()]
        if in_process:
            convert_folder(r.path, tmp, compute_type, copy)
        else:
            _CONVERTER.convert(r.path, tmp, compute_type, copy)
    log.info("converted to ctranslate2", extra={"model": r.model_id, "path": str(final),
                                                "compute_type": compute_type, "in_process": in_process,
                                                "seconds": round(time.perf_counter() - started, 2)})
    return final


def convert_folder(source: Path, output: Path, compute_type: str, copy: list[str]) -> None:
    """The conversion itself (imports torch and transformers)."""
    from ctranslate2.converters import TransformersConverter

    TransformersConverter(str(source), copy_files=copy).convert(str(output), quantization=compute_type, force=True)


class ConverterChild:
    """A ``python -m translators.ct2_convert --serve`` child: one JSON line per conversion in, one
    JSON line per result out. Started on the first conversion, ended once idle for ``idle``
    seconds (or when this process ends: its input closes). Thread-safe; a forked process starts
    its own."""

    def __init__(self, idle: float = CONVERTER_IDLE_S) -> None:
        self.idle = idle
        self.started = 0  # children started so far (tests, logs)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._errors: Any = None
        self._timer: threading.Timer | None = None
        self._pid = os.getpid()
        self._conversions = 0  # conversions so far: an idle timer closes only if none came since

    def convert(self, source: Path, output: Path, compute_type: str, copy: list[str]) -> None:
        job = json.dumps({"source": str(source), "output": str(output), "compute_type": compute_type, "copy": copy})
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            proc = self._running()
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(job + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except (OSError, ValueError):
                line = ""
            if not line:  # it died: report how, and start another next time
                self._proc = None
                proc.kill()
                proc.wait()
                raise RuntimeError(f"conversion to CTranslate2 failed: {self._last_error(proc.returncode)}")
            self._conversions += 1
            self._timer = threading.Timer(self.idle, self._close_if_idle, args=(self._conversions,))
            self._timer.daemon = True
            self._timer.start()
        error = json.loads(line).get("error")
        if error:
            raise RuntimeError(f"conversion to CTranslate2 failed: {error}")

    def close(self, *, unless_converted_since: int | None = None) -> None:
        """End the child (it finishes the conversion it is in first); with
        ``unless_converted_since``, not if another conversion came after that one (an idle timer
        that fired as a conversion began)."""
        with self._lock:
            if unless_converted_since is not None and self._conversions != unless_converted_since:
                return
            proc, self._proc = self._proc, None
            if proc is not None and self._pid == os.getpid():
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait()
                log.info("converter child ended", extra={"pid": proc.pid})

    def _close_if_idle(self, conversions: int) -> None:
        self.close(unless_converted_since=conversions)

    def _running(self) -> subprocess.Popen[str]:
        if self._pid != os.getpid():  # forked: the parent's child is the parent's
            self._proc, self._timer, self._pid = None, None, os.getpid()
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        root = str(Path(__file__).resolve().parents[1])  # this checkout's packages first
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        if self._errors is not None:
            self._errors.close()
        # the child's stderr, read back when it dies; open as long as the child lives
        self._errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._proc = subprocess.Popen([sys.executable, "-m", "translators.ct2_convert", "--serve"], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors,
                                      text=True, encoding="utf-8", bufsize=1)
        self.started += 1
        log.info("converter child started", extra={"pid": self._proc.pid})
        return self._proc

    def _last_error(self, returncode: int | None) -> str:
        try:
            self._errors.seek(0)
            lines = [x for x in self._errors.read().splitlines() if x.strip()]
        except (OSError, ValueError, AttributeError):
            lines = []
        return lines[-1] if lines else f"exit status {returncode}"


_CONVERTER = ConverterChild()


def convert_pair(pair: str, model_dir: Path | None, compute_type: str = "int8", tier: Tier = DEFAULT_TIER) -> Path:
    """Convert the model serving ``pair`` (e.g. ``"pl-en"``) in ``tier``; for ``newsbridge models convert``."""
    source, _, target = pair.partition("-")
    return ensure_converted(resolve(source, target, model_dir, tier), compute_type)


@dataclass
class _Running:
    started: float
    thread: threading.Thread
    error: Exception | None = None
    finished: bool = False


class Conversions:
    """Background conversions of one backend, one per pair at a time. ``clock`` is injectable."""

    def __init__(self, compute_type: str, *, clock: Callable[[], float] = time.monotonic,
                 convert: Callable[[ResolvedModel, str], Path] = ensure_converted) -> None:
        self.compute_type = compute_type
        self.clock = clock
        self._convert = convert
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self.last_seconds: float | None = None  # how long the last conversion took (Retry-After)

    def request(self, r: ResolvedModel) -> ModelConverting:
        """Start converting ``r`` unless it is already under way, and return the error a request
        for it gets meanwhile. A conversion that failed since is raised (once), so the caller
        remembers that failure like a failed load and a later request starts afresh."""
        pair = r.spec.pair
        with self._lock:
            running = self._running.get(pair)
            if running is not None and running.finished:
                del self._running[pair]
                if running.error is not None:
                    raise running.error
                running = None
            if running is None:
                thread = threading.Thread(target=self._run, args=(r,), name=f"newsbridge-convert-{pair}",
                                          daemon=True)
                running = self._running[pair] = _Running(self.clock(), thread)
                thread.start()
            elapsed = self.clock() - running.started
        expected = self.last_seconds or 20.0
        retry = max(1, min(60, round(expected - elapsed)))
        return ModelConverting(f"the model for {pair} is being converted to CTranslate2 (started {elapsed:.0f} s "
                               f"ago); retry in {retry} s, or convert ahead with `newsbridge models convert {pair}`",
                               pair=pair, retry_after=retry)

    def _run(self, r: ResolvedModel) -> None:
        pair = r.spec.pair
        started = self.clock()
        error: Exception | None = None
        try:
            self._convert(r, self.compute_type)
            self.last_seconds = self.clock() - started
        except Exception as exc:
            log.error("conversion failed", extra={"pair": pair, "error": f"{type(exc).__name__}: {exc}"})
            error = exc
        with self._lock:
            running = self._running.get(pair)
            if running is not None:
                running.error, running.finished = error, True

    def converting(self) -> list[str]:
        """Pairs being converted now."""
        with self._lock:
            return sorted(p for p, r in self._running.items() if not r.finished)

    def wait(self, pair: str, timeout: float | None = None) -> None:
        """Block until ``pair``'s conversion (if any) has finished (start-up, tests)."""
        with self._lock:
            running = self._running.get(pair)
        if running is not None:
            running.thread.join(timeout)


def serve(jobs: Any, results: Any) -> None:
    """The child's loop: a conversion per JSON line of ``jobs``, a JSON line of result each."""
    for line in jobs:
        job = json.loads(line)
        try:
            convert_folder(Path(job["source"]), Path(job["output"]), job["compute_type"], job["copy"])
            reply: dict[str, Any] = {"ok": True}
        except Exception as exc:
            log.exception("conversion failed")
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        results.write(json.dumps(reply) + "\n")
        results.flush()


def main(argv: list[str]) -> int:
    """``python -m translators.ct2_convert --serve`` (the converter child: :class:`ConverterChild`),
    or ``python -m translators.ct2_convert SOURCE OUTPUT COMPUTE_TYPE [FILES TO COPY...]`` (one)."""
    if argv == ["--serve"]:
        results = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the replies' own copy of stdout...
        os.dup2(2, 1)  # ...and whatever the libraries print goes to stderr
        serve(sys.stdin, results)
        return 0
    source, output, compute_type, *copy = argv
    convert_folder(Path(source), Path(output), compute_type, copy)
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a child process
    raise SystemExit(main(sys.argv[1:]))
