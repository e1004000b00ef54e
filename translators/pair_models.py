"""The per-pair lazy loader shared by both Marian backends.

One model per direct pair, resolved (files found, checksum taken) and loaded lazily, once,
thread-safe. A failed load or resolution is remembered per pair with a back-off, so a broken
model costs one attempt per back-off period instead of one per request, and ``failed()``
names each failed pair for ``describe()`` and ``/readyz``. A model still being converted
(``ModelConverting``) is not a failure: it is raised as it is and nothing is remembered.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from translators.base import ModelConverting, ModelLoadFailed, ModelMissing, UnsupportedPair
from translators.registry import DEFAULT_TIER, REGISTRY, ResolvedModel, Tier, resolve

__all__ = ["PairModels", "count_generation", "model_loads", "model_work"]

log = logging.getLogger(__name__)

M = TypeVar("M")


@dataclass
class _Failure:
    error: Exception
    retry_at: float
    delay: float


_loads = 0  # models loaded by this process, all PairModels together
_counts_lock = threading.Lock()


def model_loads() -> int:
    """How many models this process has loaded (a Ray actor reports it; /metrics shows it)."""
    return _loads


_calls = 0  # decode calls into the models by this process, both backends together
_texts = 0  # texts (pieces) decoded in them


def hide_loading_bars() -> None:
    """Loading a model prints no progress bars (transformers' "Loading weights", the hub's
    downloads) in this process: what ``newsbridge batch --no-progress`` asks for. transformers is
    not imported for it (the CTranslate2 backend never needs it): it reads the hub's switch when it
    is imported, and is told directly only when it is loaded already."""
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()
    if "transformers.utils.logging" in sys.modules:
        sys.modules["transformers.utils.logging"].disable_progress_bar()


def model_work() -> tuple[int, int]:
    """(decode calls, texts decoded in them) by this process: /metrics shows both, so an operator
    (and the overload benchmark) can see how much work reached the models."""
    return _calls, _texts


def count_generation(texts: int) -> None:
    global _calls, _texts
    with _counts_lock:
        _calls += 1
        _texts += texts


def _count_load(pair: str) -> None:
    global _loads
    with _counts_lock:
        _loads += 1
        n = _loads
    log.info("model loaded", extra={"pair": pair, "loads_in_process": n})


class PairModels(Generic[M]):
    """One model per direct pair, resolved and loaded lazily, once, thread-safe. A failed load
    (or resolution) is remembered: it is raised again at once until its back-off expires
    (``backoff`` seconds, doubling per failure up to ``max_backoff``)."""

    def __init__(self, model_dir: Path | None, load: Callable[[ResolvedModel], M], *,
                 backoff: float = 10.0, max_backoff: float = 600.0, tier: Tier = DEFAULT_TIER) -> None:
        self.model_dir = model_dir
        self.tier = tier  # which of the registry's tiers these models are
        self._load = load
        self._models: dict[str, M] = {}
        self._resolved: dict[str, ResolvedModel] = {}
        self._failed: dict[str, _Failure] = {}
        self._lock = threading.Lock()
        self.backoff, self.max_backoff = backoff, max_backoff

    def resolved(self, source: str, target: str) -> ResolvedModel:
        """The pair's files (no weights loaded); kept while the pair's model loads fine."""
        pair = f"{source}-{target}"
        r = self._resolved.get(pair)
        if r is None:
            r = self._resolved[pair] = self._attempt(pair, lambda: resolve(source, target, self.model_dir, self.tier),
                                                     settles=False)
        return r

    def get(self, source: str, target: str) -> M:
        pair = f"{source}-{target}"
        m = self._models.get(pair)
        if m is not None:
            return m
        r = self.resolved(source, target)
        with self._lock:
            m = self._models.get(pair)
            if m is None:
                try:
                    m = self._models[pair] = self._attempt(pair, lambda: self._load(r))
                    _count_load(pair)
                except ModelMissing:
                    self._resolved.pop(pair, None)  # the next attempt looks at the files afresh
                    raise
        return m

    def _attempt(self, pair: str, fn: Callable[[], Any], *, settles: bool = True) -> Any:
        if pair not in REGISTRY:
            raise UnsupportedPair(f"no model for {pair.replace('-', '->')}")
        failure = self._failed.get(pair)
        if failure is not None and time.monotonic() < failure.retry_at:
            raise _again(pair, failure)
        try:
            value = fn()
        except ModelConverting:  # not a failure: the model is on its way (nothing remembered)
            raise
        except Exception as exc:
            delay = min(self.max_backoff, failure.delay * 2) if failure else self.backoff
            self._failed[pair] = failure = _Failure(exc, time.monotonic() + delay, delay)
            log.error("model failed to load", extra={"pair": pair, "error": f"{type(exc).__name__}: {exc}",
                                                     "retry_in_s": delay})
            raise _again(pair, failure) from exc
        if settles:
            self._failed.pop(pair, None)
        return value

    def loaded(self) -> list[str]:
        return list(self._models)

    def failed(self) -> dict[str, str]:
        """Pair -> why its last load failed (until a later load succeeds)."""
        return {pair: _reason(f.error) for pair, f in self._failed.items()}


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ModelMissing) else f"{type(exc).__name__}: {exc}"


def _again(pair: str, failure: _Failure) -> ModelMissing:
    if isinstance(failure.error, ModelMissing):  # no files: the message already says what to do
        return type(failure.error)(str(failure.error))
    left = max(0.0, failure.retry_at - time.monotonic())
    return ModelLoadFailed(f"model for {pair} failed to load ({_reason(failure.error)}); "
                           f"next attempt in {left:.0f} s", pair=pair)
