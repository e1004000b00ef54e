"""``newsbridge batch``: translate an archive, streaming, resumable, locally or on Ray.

Records are read lazily, grouped in chunks of ``--batch-records`` (the sentences of a whole
chunk share model batches through ``Pipeline.translate_documents``), and written in input
order as each chunk finishes. The engine (``service.batch.chunks.LocalEngine``, or Ray in
``service.batch.ray_engine``) only maps chunks of records to output lines; reading, ordering
and the resumable writer stay here. HTTP jobs (``service.jobs``) run through ``run_batch`` too.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

from service.batch.chunks import ChunkEngine, EnginesFactory, EngineStats, LocalEngine, batch_engines, chunked
from service.batch.output import ResumableOutput
from service.batch.progress import Progress
from service.batch.records import FORMATS, SOURCE_LANGS, BrokenInput, ReaderOptions, Source, UsageProblem
from service.settings import Settings
from translators.registry import LANGUAGES, QUALITIES

log = logging.getLogger(__name__)

TARGET_LANGS = tuple(LANGUAGES)
ProgressHook = Callable[[int, int], bool]  # (records done, errors) -> go on?


class Cancelled(Exception):
    """A progress hook asked the run to stop; the output is left resumable."""


@dataclass(frozen=True)
class BatchOptions:
    input: str
    output: str
    source_lang: str = "auto"
    target_lang: str = "en"
    summarize: bool = False
    quality: str = "best"  # the model tier: best or fast
    engine: Literal["local", "ray"] = "local"
    workers: int = 1
    id_column: str = "id"
    text_column: str = "text"
    lang_column: str = "lang"
    format: str | None = None
    input_format: Literal["auto", "jsonl", "csv"] = "auto"
    batch_records: int = 64
    restart: bool = False
    progress: Literal["auto", "bar", "log", "none"] = "auto"
    log_every: float = 10.0
    cpus_per_worker: int = 1  # Ray: CPUs (and threads) per actor
    in_flight: int = 2  # Ray: chunks outstanding per actor
    glossary: str | None = None  # glossary id for records without their own `glossary`
    glossary_viewer: str | None = None  # a job's API key subject: the glossaries it may use (None: any)

    def reader(self) -> ReaderOptions:
        return ReaderOptions(id_column=self.id_column, text_column=self.text_column,
                             lang_column=self.lang_column, source_lang=self.source_lang, format=self.format,
                             input_format=self.input_format, glossary=self.glossary,
                             glossary_viewer=self.glossary_viewer)

    def output_args(self) -> dict[str, Any]:
        """The arguments the output depends on (a resume must repeat them); engine, workers and
        chunk size are free to change."""
        args = {"source_lang": self.source_lang, "target_lang": self.target_lang, "summarize": self.summarize,
                "id_column": self.id_column, "text_column": self.text_column, "lang_column": self.lang_column,
                "format": self.format, "input_format": self.input_format,
                **({"glossary": self.glossary} if self.glossary else {})}
        if self.quality != "best":  # an output started before tiers existed resumes as it was
            args["quality"] = self.quality
        return args

    def validate(self) -> None:
        if self.source_lang not in SOURCE_LANGS:
            raise UsageProblem(f"--source-lang must be one of {', '.join(SOURCE_LANGS)}")
        if self.target_lang not in TARGET_LANGS:
            raise UsageProblem(f"--target-lang must be one of {', '.join(TARGET_LANGS)}")
        if self.quality not in QUALITIES:
            raise UsageProblem(f"--quality must be one of {', '.join(QUALITIES)}")
        if self.format is not None and self.format not in FORMATS:
            raise UsageProblem("--format must be text or html")
        if min(self.batch_records, self.workers, self.cpus_per_worker, self.in_flight) < 1:
            raise UsageProblem("--batch-records, --workers, --cpus-per-worker and --in-flight must be at least 1")


@dataclass
class BatchReport:
    records: int  # in the output now, all runs together
    resumed: int  # already there when this run started
    translated: int  # by this run
    errors: int  # error records in the whole output
    cache_hits: int  # segments served from the cache, this run
    seconds: float
    engine: EngineStats = field(default_factory=EngineStats)

    @property
    def rate(self) -> float:
        return (self.records - self.resumed) / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary_line(self) -> str:
        resumed = f" ({self.resumed} already done)" if self.resumed else ""
        return (f"newsbridge batch: {self.records} records{resumed}, {self.translated} translated, "
                f"{self.cache_hits} segments from cache, {self.errors} errors, {self.rate:.1f} records/s, "
                f"{self.engine.model_loads} model loads in {self.engine.actors} worker(s)")


# ----------------------------------------------------------------------------- the run


def _make_engine(options: BatchOptions, factory: EnginesFactory, settings: Settings) -> ChunkEngine:
    quiet = options.progress == "none"
    if options.engine == "ray":
        from service.batch.ray_engine import RayEngine

        return RayEngine(factory, options.target_lang, options.summarize, settings=settings, workers=options.workers,
                         cpus_per_worker=options.cpus_per_worker, in_flight=options.in_flight, quiet=quiet,
                         quality=options.quality)
    if quiet:
        from translators.pair_models import hide_loading_bars

        hide_loading_bars()
    return LocalEngine(factory, settings, options.target_lang, options.summarize, options.quality)


@dataclass
class _Tally:
    errors: int = 0
    translated: int = 0
    hits: int = 0


def run_batch(options: BatchOptions, engines_factory: EnginesFactory | None = None, *, settings: Settings,
              on_progress: ProgressHook | None = None, engine: ChunkEngine | None = None) -> BatchReport:
    """Translate ``options.input`` into ``options.output``, resuming a previous run of the same
    command. The engines are ``engines_factory(settings)`` (default: ``batch_engines``), built
    once per local run or Ray actor. Raises ``UsageProblem`` before writing anything when it
    cannot start, and ``Cancelled`` when ``on_progress`` (called after each chunk) returns False.
    ``engine`` replaces the one ``options`` names (the benchmarks measure the driver with a no-op
    one)."""
    options.validate()
    source = Source(options.input, options.reader())
    output = ResumableOutput(options.output, source.fingerprint(), options.output_args(),
                             restart=options.restart)
    start = time.monotonic()
    engine = engine or _make_engine(options, engines_factory or batch_engines, settings)
    try:
        with source.open() as records:
            resumed = output.open()
            try:
                for _ in islice(records, resumed.done):  # done by an earlier run: skip
                    pass
            except BrokenInput:  # an earlier run already got as far as the input goes
                records = iter(())
            tally = _Tally(errors=resumed.errors)
            _write_all(options, source, output, engine, records, tally, resumed.done, on_progress)
        stats = engine.collect_stats()
    finally:
        engine.close()
    return BatchReport(output.done, resumed.done, tally.translated, tally.errors, tally.hits,
                       time.monotonic() - start, stats)


def _write_all(options: BatchOptions, source: Source, output: ResumableOutput, engine: ChunkEngine, records: Any,
               tally: _Tally, done: int, on_progress: ProgressHook | None) -> None:
    total = source.estimate_total() if options.progress != "none" else None
    progress = Progress(options.progress, total, done, options.log_every)
    complete = False
    last_checkpoint = time.monotonic()
    try:
        for outcomes in engine.map_chunks(chunked(records, options.batch_records)):
            output.write_chunk([o.line for o in outcomes])
            bad = sum(o.error for o in outcomes)
            tally.errors += bad
            tally.translated += len(outcomes) - bad
            tally.hits += sum(o.cache_hits for o in outcomes)
            progress.update(len(outcomes), tally.errors)
            if time.monotonic() - last_checkpoint > 5:
                output.checkpoint()
                last_checkpoint = time.monotonic()
            if on_progress is not None and not on_progress(output.done, tally.errors):
                raise Cancelled(f"stopped after {output.done} records")
        complete = True
    except BrokenInput as exc:
        tally.errors += 1
        output.write_chunk([json.dumps({"id": f"line-{output.done + 1}", "line": None,
                                        "error": {"type": "broken_input", "detail": str(exc)}})])
        complete = True
    finally:
        progress.close()
        output.close(complete=complete)
