"""``newsbridge batch``: translate an archive, streaming, resumable, locally or on Ray.

Records are read lazily, grouped in chunks of ``--batch-records`` (the sentences of a whole
chunk share model batches through ``Pipeline.translate_documents``), and written in input
order as each chunk finishes. The engine (local, or Ray in ``service.batch.ray_engine``) only maps
chunks of records to output lines; reading, ordering and the resumable writer stay here.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

import typer

from service.batch.records import (
    FORMATS,
    SOURCE_LANGS,
    BrokenInput,
    ReaderOptions,
    Record,
    ResumableOutput,
    Source,
    UsageProblem,
)

if TYPE_CHECKING:
    from service.engines import Engines
    from service.pipeline.flow import Document, DocumentResult

log = logging.getLogger(__name__)

EnginesFactory = Callable[[], "Engines"]
TARGET_LANGS = ("pl", "lt", "en")


@dataclass(frozen=True)
class BatchOptions:
    input: str
    output: str
    source_lang: str = "auto"
    target_lang: str = "en"
    summarize: bool = False
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
    ray_window: int = 0  # records per Ray Data execution; 0: workers * batch_records * 32

    def reader(self) -> ReaderOptions:
        return ReaderOptions(id_column=self.id_column, text_column=self.text_column,
                             lang_column=self.lang_column, source_lang=self.source_lang, format=self.format,
                             input_format=self.input_format)

    def output_args(self) -> dict[str, Any]:
        """The arguments the output depends on (a resume must repeat them); engine, workers and
        chunk size are free to change."""
        return {"source_lang": self.source_lang, "target_lang": self.target_lang, "summarize": self.summarize,
                "id_column": self.id_column, "text_column": self.text_column, "lang_column": self.lang_column,
                "format": self.format, "input_format": self.input_format}

    def validate(self) -> None:
        if self.source_lang not in SOURCE_LANGS:
            raise UsageProblem(f"--source-lang must be one of {', '.join(SOURCE_LANGS)}")
        if self.target_lang not in TARGET_LANGS:
            raise UsageProblem(f"--target-lang must be one of {', '.join(TARGET_LANGS)}")
        if self.format is not None and self.format not in FORMATS:
            raise UsageProblem("--format must be text or html")
        if self.batch_records < 1 or self.workers < 1:
            raise UsageProblem("--batch-records and --workers must be at least 1")


@dataclass
class Outcome:
    """One output line and what the summary counts of it."""

    line: str
    error: bool
    cache_hits: int = 0


@dataclass
class BatchReport:
    records: int  # in the output now, all runs together
    resumed: int  # already there when this run started
    translated: int  # by this run
    errors: int  # error records in the whole output
    cache_hits: int  # segments served from the cache, this run
    seconds: float

    @property
    def rate(self) -> float:
        return (self.records - self.resumed) / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary_line(self) -> str:
        resumed = f" ({self.resumed} already done)" if self.resumed else ""
        return (f"newsbridge batch: {self.records} records{resumed}, {self.translated} translated, "
                f"{self.cache_hits} segments from cache, {self.errors} errors, {self.rate:.1f} records/s")


# ----------------------------------------------------------------------------- one chunk


def _error_outcome(rec: Record, type_: str, detail: str) -> Outcome:
    from service.views import error_record

    return Outcome(json.dumps(error_record(rec.id, rec.line, type_, detail), ensure_ascii=False), error=True)


def _success_body(rec: Record, result: DocumentResult, engines: Engines, summarize: bool) -> dict[str, Any]:
    from service.views import batch_record

    summary = None
    if summarize:
        from service.pipeline.summarize import summarize as make_summary

        summary = make_summary(result, engines.summarizer, method=engines.settings.summarizer)
    return batch_record(rec.id, rec.line, result, summary, rec.warnings)


def _alone(engines: Engines, doc: Document) -> DocumentResult | Exception:
    try:
        return engines.pipeline.translate_documents([doc])[0]
    except Exception as exc:
        return exc


def _translate(engines: Engines, docs: Sequence[Document]) -> list[DocumentResult | Exception]:
    """The whole chunk in shared batches. A failure that is not the record's own (a model
    error hits every record of its batch) is retried record by record, so that one poison
    record cannot take its chunk down."""
    from service.views import expected

    try:
        results = engines.pipeline.translate_documents(docs)
    except Exception:
        log.exception("a chunk failed as a whole; translating its records one by one")
        return [_alone(engines, d) for d in docs]
    if len(docs) > 1:
        for i, r in enumerate(results):
            if isinstance(r, Exception) and not expected(r):
                results[i] = _alone(engines, docs[i])
    return results


def process_chunk(engines: Engines, records: Sequence[Record], target_lang: str,
                  summarize: bool) -> list[Outcome]:
    """Translate a chunk of records through one ``translate_documents`` call; one outcome per
    record, in order. Nothing here raises for a single bad record."""
    from service.pipeline.flow import Document
    from service.views import problem_of

    todo = [r for r in records if r.error is None]
    docs = [Document(r.text or "", r.source_lang, target_lang, r.format) for r in todo]  # type: ignore[arg-type]
    results = dict(zip(map(id, todo), _translate(engines, docs), strict=True)) if docs else {}
    outcomes: list[Outcome] = []
    for rec in records:
        if rec.error is not None:
            outcomes.append(_error_outcome(rec, *rec.error))
            continue
        result = results[id(rec)]
        if not isinstance(result, Exception):
            try:
                body = _success_body(rec, result, engines, summarize)
            except Exception as exc:  # e.g. the summarizer failed on this record
                result = exc
            else:
                outcomes.append(Outcome(json.dumps(body, ensure_ascii=False), False, result.cache_hits))
                continue
        problem = problem_of(result, reveal=True)
        if problem.internal:
            log.error("record %s failed", rec.id, exc_info=result)
        outcomes.append(_error_outcome(rec, problem.type, problem.detail))
    return outcomes


# ----------------------------------------------------------------------------- engines


class ChunkEngine(Protocol):
    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        """Outcomes of each chunk, in input order; consumes ``chunks`` lazily."""
        ...

    def close(self) -> None: ...


def default_engines() -> Engines:
    """Engines from the environment (NEWSBRIDGE_*), as the other commands build them."""
    from service.engines import build_engines
    from service.settings import Settings

    return build_engines(Settings(), coalesce=False)


class LocalEngine:
    """One process: the models are loaded once and each chunk is one ``translate_documents``."""

    def __init__(self, factory: EnginesFactory, target_lang: str, summarize: bool) -> None:
        self.engines = factory()
        self.target_lang = target_lang
        self.summarize = summarize

    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        for chunk in chunks:
            yield process_chunk(self.engines, chunk, self.target_lang, self.summarize)

    def close(self) -> None:
        pass


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    """Lists of ``size`` records; when the input breaks, the records read so far come first."""
    while True:
        chunk: list[Record] = []
        try:
            chunk.extend(islice(records, size))
        except BrokenInput:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk


# ----------------------------------------------------------------------------- progress


class Progress:
    """A tqdm bar on a terminal; plain log lines every ``every`` seconds otherwise."""

    def __init__(self, mode: str, total: int | None, initial: int, every: float) -> None:
        self.mode = ("bar" if sys.stderr.isatty() else "log") if mode == "auto" else mode
        self.total, self.initial, self.every = total, initial, every
        self.count = initial
        self.start = self.last = time.monotonic()
        self.bar: Any = None
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="rec", dynamic_ncols=True, file=sys.stderr,
                            desc="batch")

    def update(self, n: int, errors: int) -> None:
        self.count += n
        if self.bar is not None:
            self.bar.set_postfix(errors=errors, refresh=False)
            self.bar.update(n)
            return
        now = time.monotonic()
        if self.mode == "log" and now - self.last >= self.every:
            self.last = now
            rate = (self.count - self.initial) / max(now - self.start, 1e-9)
            total = f"/{self.total}" if self.total else ""
            eta = ""
            if self.total and rate > 0 and self.total > self.count:
                eta = f", ETA {_duration((self.total - self.count) / rate)}"
            print(f"batch: {self.count}{total} records, {errors} errors, {rate:.1f} records/s{eta}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


# ----------------------------------------------------------------------------- the run


def _make_engine(options: BatchOptions, factory: EnginesFactory) -> ChunkEngine:
    if options.engine == "ray":
        from service.batch.ray_engine import RayEngine

        return RayEngine(factory, options.target_lang, options.summarize, workers=options.workers,
                         window=options.ray_window or options.workers * options.batch_records * 32,
                         batch_records=options.batch_records)
    return LocalEngine(factory, options.target_lang, options.summarize)


def run_batch(options: BatchOptions, engines_factory: EnginesFactory | None = None) -> BatchReport:
    """Translate ``options.input`` into ``options.output``, resuming a previous run of the same
    command. Raises ``UsageProblem`` before writing anything when it cannot start."""
    options.validate()
    source = Source(options.input, options.reader())
    output = ResumableOutput(options.output, source.fingerprint(), options.output_args(),
                             restart=options.restart)
    start = time.monotonic()
    with source.open() as records:
        resumed = output.open()
        try:
            for _ in islice(records, resumed.done):  # done by an earlier run: skip
                pass
        except BrokenInput:  # an earlier run already got as far as the input goes
            records = iter(())
        total = source.estimate_total() if options.progress != "none" else None
        progress = Progress(options.progress, total, resumed.done, options.log_every)
        engine = _make_engine(options, engines_factory or default_engines)
        errors, translated, hits = resumed.errors, 0, 0
        complete = False
        last_checkpoint = time.monotonic()
        try:
            for outcomes in engine.map_chunks(_chunks(records, options.batch_records)):
                output.write_chunk([o.line for o in outcomes])
                bad = sum(o.error for o in outcomes)
                errors += bad
                translated += len(outcomes) - bad
                hits += sum(o.cache_hits for o in outcomes)
                progress.update(len(outcomes), errors)
                if time.monotonic() - last_checkpoint > 5:
                    output.checkpoint()
                    last_checkpoint = time.monotonic()
            complete = True
        except BrokenInput as exc:
            errors += 1
            output.write_chunk([json.dumps({"id": f"line-{output.done + 1}", "line": None,
                                            "error": {"type": "broken_input", "detail": str(exc)}})])
            complete = True
        finally:
            progress.close()
            engine.close()
            output.close(complete=complete)
    return BatchReport(output.done, resumed.done, translated, errors, hits, time.monotonic() - start)


# ----------------------------------------------------------------------------- CLI

Opt = typer.Option


def batch_command(
    input: Annotated[str, typer.Argument(help="JSONL, CSV, .gz of either, a folder of .txt/.html files, or - "
                                              "for standard input (JSONL unless --input-format csv)")],
    output: Annotated[str, Opt("--output", "-o", help="JSONL output; resumed when it exists (- for stdout)")],
    source_lang: Annotated[str, Opt("--source-lang", "-s",
                                    help="auto, pl, lt or en (a record's lang wins)")] = "auto",
    target_lang: Annotated[str, Opt("--target-lang", "-t", help="pl, lt or en")] = "en",
    summarize: Annotated[bool, Opt("--summarize", help="Add a summary to each record")] = False,
    engine: Annotated[str, Opt("--engine", help="local, or ray (RAY_ADDRESS joins a cluster)")] = "local",
    workers: Annotated[int, Opt("--workers", "-w", help="Ray actors, each holding the models")] = 1,
    id_column: Annotated[str, Opt("--id-column", help="Field/column with the record id")] = "id",
    text_column: Annotated[str, Opt("--text-column", help="Field/column with the text")] = "text",
    lang_column: Annotated[str, Opt("--lang-column", help="Field/column with the source language")] = "lang",
    fmt: Annotated[str | None, Opt("--format", "-f", help="text or html for all records (default: the "
                                   "record's `format`, by suffix in a folder, else text)")] = None,
    input_format: Annotated[str, Opt("--input-format", help="auto (by suffix), jsonl or csv")] = "auto",
    batch_records: Annotated[int, Opt("--batch-records", help="Records per chunk (they share model batches)")
                             ] = 64,
    restart: Annotated[bool, Opt("--restart", help="Discard an existing output and start over")] = False,
    log_every: Annotated[float, Opt("--log-every", help="Seconds between log lines off a terminal")] = 10.0,
    no_progress: Annotated[bool, Opt("--no-progress", help="No progress bar or lines")] = False,
    ray_window: Annotated[int, Opt("--ray-window", help="Records per Ray Data run (its actors load the "
                                   "models once per run; default: workers x batch-records x 32)")] = 0,
) -> None:
    """Translate an archive into JSONL: one line per input record, in input order.

    Each line has the record's `id` and `line`, and either the translation or
    `error: {type, detail}`. Killed and started again with the same arguments, it resumes
    where it stopped. Exit status: 0 all records translated, 1 some records are error
    records (the rest were translated), 2 usage error (missing input, bad option, output of a
    different run).
    """
    if engine not in ("local", "ray") or input_format not in ("auto", "jsonl", "csv"):
        typer.echo("error: --engine must be local or ray; --input-format auto, jsonl or csv", err=True)
        raise typer.Exit(2)
    options = BatchOptions(input=input, output=output, source_lang=source_lang, target_lang=target_lang,
                           summarize=summarize, engine=engine, workers=workers, id_column=id_column,  # type: ignore[arg-type]
                           text_column=text_column, lang_column=lang_column, format=fmt,
                           input_format=input_format, batch_records=batch_records, restart=restart,  # type: ignore[arg-type]
                           progress="none" if no_progress else "auto", log_every=log_every,
                           ray_window=ray_window)
    try:
        report = run_batch(options)
    except UsageProblem as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("interrupted; run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    typer.echo(report.summary_line(), err=True)
    raise typer.Exit(report.exit_code)
