"""Builds the engines from settings: backend -> coalescing -> cache -> pivot, detector, summarizer.

Nothing is built at import; the app's lifespan and the CLI call ``build_engines``. Any engine
can be passed in ready-made (a test double, or a shared one) and is then used as is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.pipeline.flow import Pipeline
from service.pipeline.memory_step import Recall
from service.pipeline.quality import QualityPolicy
from service.settings import Settings
from translators.base import Detector, Lang, Summarizer, SummaryResult, Translator
from translators.cached import CachedTranslator, TranslationStore
from translators.coalesce import CoalescingTranslator
from translators.pivot import PivotTranslator
from translators.registry import DEFAULT_TIER, TIERS, Tier, direct_pairs

if TYPE_CHECKING:
    from service.storage.memory_store import GuardedMemory, TranslationMemory

log = logging.getLogger(__name__)
_WARM_UP = {"pl": "Dzień dobry, to jest zdanie na rozgrzewkę.", "lt": "Labas rytas, tai apšilimo sakinys.",
            "en": "Good morning, this is a warm-up sentence."}


@dataclass(frozen=True)
class _Preload:
    """One pair of one tier to load (and convert) at start."""

    tier: Tier
    backend: Translator
    src: Lang
    tgt: Lang


@dataclass
class Engines:
    settings: Settings
    backend: Translator
    translator: Translator
    detector: Detector
    summarizer: Summarizer
    pipeline: Pipeline
    store: TranslationStore | None = None
    cached: CachedTranslator | None = None
    cache_status: str = "disabled"
    coalescer: CoalescingTranslator | None = None  # its stats: work dropped for cancelled requests
    # Per tier (quality, fast): the backend and the full stack over it (``backend`` and
    # ``translator`` above are the default tier's).
    backends: dict[Tier, Translator] = field(default_factory=dict)
    translators: dict[Tier, Translator] = field(default_factory=dict)
    memory: TranslationMemory | None = None  # the translation memory (None: switched off)
    memory_guard: GuardedMemory | None = None  # the pipeline's lookups into it, time-limited

    def warm_up(self) -> None:
        """Convert (CTranslate2) and load every direct pair's model and decode once with it, and
        detect once (``NEWSBRIDGE_PRELOAD``): what a translation needs. Loading the weights is not
        enough: the first decode costs on first use; done here, no request waits for it.

        In one thread, in this order: the pairs whose model is ready on disk (they serve within a
        second); the detector; then the pairs that need converting (``/readyz`` lists them
        meanwhile) or whose backend cannot tell (transformers), so that the detector waits for
        neither. One thread, not two: both are mostly Python, and on 2 cores two threads passing
        the GIL back and forth took 0.28 s where one takes 0.24 s (medians of 8 starts). A pair
        that fails is logged here and remembered by the backend (``/readyz`` names it); a
        detector that cannot load fails the warm-up, once the pairs are done.
        ``warm_up_summarizer`` is the rest, run after it by the server once ``/readyz`` says
        ready."""
        ready, slow = self._preload_plan()
        self._warm_up_models(ready)
        failed: Exception | None = None
        try:
            self.detector.detect("Dzień dobry. Labas rytas. Good morning.")
        except Exception as exc:
            failed = exc
        self._warm_up_models(slow)
        if failed is not None:
            raise failed

    def warm_up_summarizer(self) -> None:
        """Summarize once: the summarizer's libraries (NumPy, SciPy: about 0.3 s on 2 cores) load
        here rather than inside the first summary request."""
        self.summarizer.summarize([_WARM_UP["en"], "Nothing else happened."], "en", max_sentences=1)

    def _preload_plan(self) -> tuple[list[_Preload], list[_Preload]]:
        """Every preloaded tier's direct pairs: those whose model is ready on disk, and the rest (to
        convert, or of a backend that cannot tell: PyTorch's models take seconds to load)."""
        ready: list[_Preload] = []
        slow: list[_Preload] = []
        for tier in self.settings.preload_tiers:
            backend = self.backends.get(tier, self.backend)  # type: ignore[call-overload]
            is_prepared = getattr(backend, "is_prepared", None)
            for pair in direct_pairs():
                src, tgt = pair.split("-")
                prepared = is_prepared is not None and is_prepared(src, tgt)
                (ready if prepared else slow).append(_Preload(tier, backend, src, tgt))  # type: ignore[arg-type]
        return ready, slow

    @staticmethod
    def _warm_up_models(plan: Sequence[_Preload]) -> None:
        for item in plan:
            prepare = getattr(item.backend, "prepare", None)
            try:
                if prepare is not None:
                    prepare(item.src, item.tgt)  # converted (CTranslate2) if needed; /readyz lists it meanwhile
                item.backend.translate_batch([_WARM_UP[item.src]], item.src, item.tgt)  # uncached, uncoalesced
            except Exception as exc:  # a missing or broken model: reported by /readyz, not fatal
                log.warning("could not preload model", extra={"pair": f"{item.src}-{item.tgt}", "tier": item.tier,
                                                              "error": str(exc)})

    def cache_state(self, *, probe: bool = True) -> str:
        """``ok``, ``disabled`` or ``degraded: <why>``, from the engine stack's ``describe()``
        (the store failing lately, or skipped by its circuit breaker); with ``probe``, one
        bounded round trip to the store as well (not while the circuit is open)."""
        layer = self.translator.describe().find("cached")
        if layer is None:
            return self.cache_status
        if not layer.health.ok:
            return str(layer.health)
        if probe and self.store is not None and not self.store.ping():
            health = self.store.health()
            return str(health) if not health.ok else "degraded: database unreachable"
        return "ok"


def build_backend(settings: Settings, tier: Tier = DEFAULT_TIER, *, background_conversion: bool = False
                  ) -> Translator:
    """The configured backend serving the registry's ``tier`` (its models load on first use).
    ``background_conversion`` (a server): a CTranslate2 model not converted yet is converted in the
    background and its requests are told to come back (``ModelConverting``) instead of waiting;
    otherwise (CLI, batch) the first use converts."""
    from translators.marian import DecodeOptions
    from translators.threads import configure_threads

    plan = configure_threads(settings.intra_threads, settings.inter_threads, settings.workers, settings.backend)
    beams = settings.fast_num_beams if tier == "fast" and settings.fast_num_beams else settings.num_beams
    options = DecodeOptions(num_beams=beams, max_input_tokens=settings.max_input_tokens,
                            batch_size=settings.batch_size, max_batch_tokens=settings.max_batch_tokens,
                            no_repeat_ngram_size=settings.no_repeat_ngram_size,
                            repetition_penalty=settings.repetition_penalty)
    if settings.backend == "ctranslate2":
        from translators.ct2 import CTranslate2Translator

        return CTranslate2Translator(settings.model_dir, device=settings.device, options=options,
                                     compute_type=settings.ct2_compute_type,
                                     intra_threads=plan.intra, inter_threads=plan.inter, tier=tier,
                                     background_conversion=background_conversion)
    from translators.marian import MarianTranslator

    return MarianTranslator(settings.model_dir, device=settings.device, options=options, tier=tier)


def build_store(settings: Settings) -> tuple[TranslationStore | None, str]:
    if not settings.cache_enabled:
        return None, "disabled"
    from service.storage.cache_store import SqlTranslationStore
    from service.storage.circuit_breaker import GuardedStore
    from service.storage.db import DatabaseUnavailable, ensure_schema, get_engine

    engine = get_engine(settings.database_url)  # a broken URL raises a clear ConfigError here
    store = GuardedStore(SqlTranslationStore(engine), timeout_s=settings.cache_timeout,
                         failures=settings.cache_breaker_failures, reset_s=settings.cache_breaker_reset)
    try:
        ensure_schema(engine)
    except DatabaseUnavailable as exc:
        log.error("translation cache unavailable; serving uncached", extra={"error": str(exc)})
        store.breaker.trip(exc)
        return store, f"degraded: {exc}"
    return store, "ok"


def build_memory(settings: Settings, *, database_down: bool = False
                 ) -> tuple[TranslationMemory | None, GuardedMemory | None]:
    """The translation memory over the service's database, and the guarded view of it the
    pipeline reads through (``NEWSBRIDGE_MEMORY_ENABLED``; the cache's time limit and breaker
    settings). A database found down at start (here, or by the cache just before) leaves the
    memory skipped until its breaker lets a probe through."""
    if not settings.memory_enabled:
        return None, None
    from service.storage.db import DatabaseUnavailable, ensure_schema, get_engine
    from service.storage.memory_store import GuardedMemory, TranslationMemory

    engine = get_engine(settings.database_url)
    memory = TranslationMemory(engine, max_chars=settings.memory_max_segment_chars)
    guard = GuardedMemory(memory, timeout_s=settings.cache_timeout, failures=settings.cache_breaker_failures,
                          reset_s=settings.cache_breaker_reset)
    try:
        if database_down:
            raise DatabaseUnavailable("the database was unavailable at start")
        ensure_schema(engine)
    except DatabaseUnavailable as exc:
        log.error("translation memory unavailable; translating without it", extra={"error": str(exc)})
        guard.breaker.trip(exc)
    return memory, guard


def build_detector(settings: Settings) -> Detector:
    """The language detector the API, the CLI and batch use."""
    from translators.text.detectors import make_detector

    return make_detector(settings.detector, settings.detection_accuracy)


class LazySummarizer:
    """Builds the configured summarizer on first use (SciPy or a seq2seq model costs a
    second or more to import: a run that never summarizes should not pay for it). The
    configuration is checked at once."""

    def __init__(self, settings: Settings) -> None:
        if settings.summarizer == "abstractive" and not settings.summarizer_model:
            raise ValueError("NEWSBRIDGE_SUMMARIZER=abstractive needs NEWSBRIDGE_SUMMARIZER_MODEL")
        self.settings = settings
        self._inner: Summarizer | None = None
        self._lock = threading.Lock()

    def _build(self) -> Summarizer:
        if self.settings.summarizer == "abstractive":
            from summarizers.abstractive import Seq2SeqSummarizer

            return Seq2SeqSummarizer(str(self.settings.summarizer_model))
        from summarizers.extractive import CentralitySummarizer

        return CentralitySummarizer()

    def summarize(self, units: Sequence[str], lang: Lang, *, max_sentences: int | None = None,
                  ratio: float | None = None) -> SummaryResult:
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    self._inner = self._build()
        return self._inner.summarize(units, lang, max_sentences=max_sentences, ratio=ratio)


def build_engines(settings: Settings, *, backend: Translator | None = None, detector: Detector | None = None,
                  summarizer: Summarizer | None = None, store: TranslationStore | None = None,
                  coalesce: bool | None = None, fast_backend: Translator | None = None,
                  memory: TranslationMemory | None = None, background_conversion: bool = False) -> Engines:
    """The engines from settings. Each tier (quality, fast) gets its own stack (backend ->
    coalescing -> cache -> pivot) over one shared cache store: the model identity in each cache
    key keeps the tiers apart. A ready-made ``backend`` serves both tiers unless a
    ``fast_backend`` is given too. A ready-made cache ``store`` (a test double) means nothing is
    built over the database: the translation memory then comes only from ``memory``. The memory
    is consulted before every tier's stack (an entry is a correction, whichever model it corrects).
    ``background_conversion``: see ``build_backend`` (a server's)."""
    if backend is None:
        backends: dict[Tier, Translator] = {t: build_backend(settings, t, background_conversion=background_conversion)
                                            for t in TIERS}
    else:
        backends = {DEFAULT_TIER: backend, "fast": fast_backend or backend}
    status = "disabled"
    guard: GuardedMemory | None = None
    if memory is not None:
        from service.storage.memory_store import GuardedMemory

        guard = GuardedMemory(memory, timeout_s=settings.cache_timeout, failures=settings.cache_breaker_failures,
                              reset_s=settings.cache_breaker_reset)
    if store is None:
        store, status = build_store(settings)
        if memory is None:
            memory, guard = build_memory(settings, database_down=status.startswith("degraded"))
    elif settings.cache_enabled:
        status = "ok"
    else:
        store = None
    coalescing = settings.coalesce if coalesce is None else coalesce
    stacks: dict[int, tuple[Translator, CachedTranslator | None, CoalescingTranslator | None]] = {}
    for tier_backend in backends.values():
        if id(tier_backend) in stacks:  # one backend serving two tiers: one stack
            continue
        inner: Translator = tier_backend
        coalescer = None
        if coalescing:
            # the express lane: small requests beside a long text's batch, on the engine's parallel workers
            express = max(0, int(getattr(tier_backend, "inter_threads", 1)) - 1) if settings.express_lane else 0
            inner = coalescer = CoalescingTranslator(tier_backend, wait_ms=settings.coalesce_wait_ms,
                                                     max_texts=settings.batch_size, express_slots=express)
        cached = CachedTranslator(inner, store) if store is not None else None
        stacks[id(tier_backend)] = (PivotTranslator(cached or inner), cached, coalescer)
    translators = {t: stacks[id(b)][0] for t, b in backends.items()}
    translator, cached, coalescer = stacks[id(backends[DEFAULT_TIER])]
    detector = detector or build_detector(settings)
    summarizer = summarizer or LazySummarizer(settings)
    recall = None
    if guard is not None:
        recall = Recall(guard, threshold=settings.memory_fuzzy_threshold, limit=settings.memory_suggestions)
    pipeline = Pipeline(translator, detector, summarizer, max_chars=settings.max_chars,
                        max_html_depth=settings.max_html_depth, summary_method=settings.summarizer,
                        tiers=translators, recall=recall,
                        quality=QualityPolicy(low_confidence=settings.low_confidence))
    return Engines(settings, backends[DEFAULT_TIER], translator, detector, summarizer, pipeline, store, cached,
                   status, coalescer, backends, translators, memory=memory, memory_guard=guard)
