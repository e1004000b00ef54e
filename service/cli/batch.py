"""``newsbridge batch``: the command line of ``service.batch.runner.run_batch``."""

from __future__ import annotations

from typing import Annotated

import typer

from service.batch.records import SOURCE_LANGS, UsageProblem
from service.batch.runner import TARGET_LANGS, BatchOptions, run_batch
from service.cli.config import load_settings

Opt = typer.Option


def batch_command(
    input: Annotated[str, typer.Argument(help="JSONL, CSV, .gz of either, a folder of .txt/.html files, or - "
                                              "for standard input (JSONL unless --input-format csv)")],
    output: Annotated[str, Opt("--output", "-o", help="JSONL output; resumed when it exists (- for stdout)")],
    source_lang: Annotated[str, Opt("--source-lang", "-s",
                                    help=f"{', '.join(SOURCE_LANGS)} (a record's lang wins)")] = "auto",
    target_lang: Annotated[str, Opt("--target-lang", "-t", help=", ".join(TARGET_LANGS))] = "en",
    summarize: Annotated[bool, Opt("--summarize", help="Add a summary to each record")] = False,
    quality: Annotated[str, Opt("--quality", "-q", help="best (the best published model per direction) or fast "
                                "(a smaller, faster one)")] = "best",
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
    cpus_per_worker: Annotated[int, Opt("--cpus-per-worker", help="Ray: CPUs per actor; its model threads")] = 1,
    in_flight: Annotated[int, Opt("--in-flight", help="Ray: chunks outstanding per actor (memory bound)")] = 2,
    glossary: Annotated[str | None, Opt("--glossary", help="Glossary id for records without their own "
                                        "`glossary` field (see `newsbridge glossary list`)")] = None,
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
                           summarize=summarize, quality=quality, engine=engine, workers=workers, id_column=id_column,  # type: ignore[arg-type]
                           text_column=text_column, lang_column=lang_column, format=fmt,
                           input_format=input_format, batch_records=batch_records, restart=restart,  # type: ignore[arg-type]
                           progress="none" if no_progress else "auto", log_every=log_every,
                           cpus_per_worker=cpus_per_worker, in_flight=in_flight, glossary=glossary)
    try:
        report = run_batch(options, settings=load_settings())
    except UsageProblem as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("interrupted; run the same command again to resume", err=True)
        raise typer.Exit(130) from None
    typer.echo(report.summary_line(), err=True)
    raise typer.Exit(report.exit_code)
