"""Prometheus metrics, one registry per app so several apps (tests) never collide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("newsbridge_requests", "HTTP requests", ["endpoint", "status"], registry=r)
        self.latency = Histogram("newsbridge_request_seconds", "Request latency", ["endpoint"], registry=r)
        self.cache = Counter("newsbridge_cache_lookups", "Segment cache lookups", ["result"], registry=r)
        self.segments = Counter("newsbridge_segments", "Segments processed", ["pair", "translated"], registry=r)
        self.errors = Counter("newsbridge_problems", "Problems returned", ["type"], registry=r)
        self.queue_chars = Gauge("newsbridge_queue_chars", "Characters of admitted model work in the server",
                                 registry=r)
        self.queue_requests = Gauge("newsbridge_queue_requests", "Requests with admitted model work in the server",
                                    registry=r)
        self.model_loads = Gauge("newsbridge_model_loads", "Models loaded by this process", registry=r)
        self.model_loads.set_function(_model_loads)
        self._model_work = _ModelWork()
        r.register(self._model_work)

    def record_results(self, results: Sequence[Any]) -> None:
        """Cache lookups and segments of translated documents (``DocumentResult``; errors skipped)."""
        for r in results:
            if isinstance(r, Exception):
                continue
            self.cache.labels("hit").inc(r.cache_hits)
            self.cache.labels("miss").inc(r.cache_misses)
            for s in r.sentences:
                self.segments.labels(f"{s.lang}-{r.target_lang}", str(s.translated).lower()).inc()

    def watch_engines(self, engines: Any) -> None:
        """Model work at scrape time: decode calls and texts that reached the models, and texts
        the coalescer dropped because their request was cancelled (deadline, disconnect)."""
        self._model_work.engines = engines

    def watch_queue(self, admission: Any) -> None:
        """Read the admission budget's counters at scrape time."""
        self.queue_chars.set_function(lambda: admission.chars)
        self.queue_requests.set_function(lambda: admission.requests)

    def watch_gate(self, gate: Any) -> None:
        """How often, and how long, bulk work gave way to interactive requests (translators.give_way)."""
        self._model_work.gate = gate


def _model_loads() -> float:
    from translators.pair_models import model_loads

    return float(model_loads())


class _ModelWork(Collector):
    engines: Any = None
    gate: Any = None

    def collect(self) -> Any:
        from translators.pair_models import model_work

        calls, texts = model_work()
        yield CounterMetricFamily("newsbridge_model_calls", "Decode calls into the translation models",
                                  value=calls)
        yield CounterMetricFamily("newsbridge_model_texts", "Texts decoded by the translation models", value=texts)
        coalescer = self.engines.coalescer if self.engines is not None else None
        stats = coalescer.stats if coalescer is not None else None
        yield CounterMetricFamily("newsbridge_dropped_texts",
                                  "Queued texts dropped before any model ran them: their request was cancelled",
                                  value=stats.texts_dropped if stats else 0)
        if self.gate is not None:
            yield CounterMetricFamily("newsbridge_bulk_pauses", "Times large requests and jobs paused for "
                                      "interactive ones (NEWSBRIDGE_INTERACTIVE_CHARS)", value=self.gate.stats.pauses)
            yield CounterMetricFamily("newsbridge_bulk_paused_seconds", "Seconds large requests and jobs paused "
                                      "for interactive ones", value=self.gate.stats.paused_s)
