"""The ``newsbridge`` command: serve, translate, summarize, detect, batch, models, eval, db, cache, keys,
memory, glossary, bench."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer

from service.cli.config import load_settings
from translators.registry import (
    LANGUAGES,
    QUALITIES,
    REGISTRY,
    SOURCE_CHOICES,
    TIERED,
    TIERS,
    ModelSpec,
    Tier,
    language_list,
)

if TYPE_CHECKING:
    from service.engines import Engines
    from service.pipeline.results import DocumentResult

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help=f"newsbridge: translation and summarization for newsrooms ({language_list()}).")
models_app = typer.Typer(no_args_is_help=True, help="List, download and convert the translation models.")
app.add_typer(models_app, name="models")


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.is_file():
        raise typer.BadParameter(f"no such file: {path}")
    return p.read_text(encoding="utf-8")


def _fail(exc: Exception) -> NoReturn:
    from service.views import problem_of

    problem = problem_of(exc)
    typer.echo(f"error [{problem.type}]: {problem.detail}", err=True)
    raise typer.Exit(2)


SourceOpt = Annotated[str, typer.Option("--source-lang", "-s", help=", ".join(SOURCE_CHOICES))]
TargetOpt = Annotated[str, typer.Option("--target-lang", "-t", help=", ".join(LANGUAGES))]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="text or html (default: by file suffix)")]
QualityOpt = Annotated[str, typer.Option("--quality", "-q", help="best (the best published model, default) or "
                                         "fast (a smaller, faster one)")]


def _format(path: str, fmt: str | None) -> Literal["text", "html"]:
    if fmt:
        return "html" if fmt == "html" else "text"
    return "html" if path.lower().endswith((".html", ".htm")) else "text"


@app.command()
def serve(host: str = "127.0.0.1", port: Annotated[int, typer.Option(help="0: any free port (logged)")] = 8000,
          workers: Annotated[int, typer.Option(min=1, help="Server processes; each takes its share of the cores")] = 1,
          log_level: Annotated[str, typer.Option(help="Log level")] = "info") -> None:
    """Start the HTTP API (OpenAPI docs at /docs). Models are converted and loaded at start
    (NEWSBRIDGE_PRELOAD, on unless set to false; /readyz answers 503 until they are ready). SIGTERM
    drains within NEWSBRIDGE_SHUTDOWN_GRACE seconds; X-Forwarded-For is believed only from
    NEWSBRIDGE_TRUSTED_PROXIES."""
    import gc

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from service.http.clients import trusted_networks
    from service.http.factory import AppFactory
    from service.http.lifecycle import server_grace

    settings = load_settings()
    # each worker takes its share of the cores; a server prepares its models at start (conversion,
    # loading, a first decode) unless told not to: no client's first request pays for them, and
    # /readyz says `starting` until they are ready
    settings = settings.model_copy(update={"workers": workers, "preload": settings.preload
                                           if "preload" in settings.model_fields_set else True})
    trusted = ",".join(p.strip() for p in settings.trusted_proxies.split(",") if p.strip())
    try:
        trusted_networks(trusted)
    except ValueError as exc:
        raise typer.BadParameter(f"NEWSBRIDGE_TRUSTED_PROXIES: {exc}") from None
    # The app factory carries the settings: each worker process receives them (pickled), none reads
    # the environment again. (uvicorn.run takes only an import string for several workers.)
    config = uvicorn.Config(AppFactory(settings), factory=True, host=host, port=port, workers=workers,
                            log_level=log_level.lower(),
                            timeout_graceful_shutdown=server_grace(settings.shutdown_grace),
                            timeout_keep_alive=max(1, round(settings.keep_alive)),
                            proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        # No cyclic collection while the app's modules import and its routes build (as in
        # service/cli/__init__.py): the lifespan freezes what start-up built and turns it back on.
        gc.disable()
        server.run()
        if not server.started:
            raise typer.Exit(3)


def _translate_file(path: str, source_lang: str, target_lang: str, fmt: str,
                    quality: str = "best") -> tuple[Engines, DocumentResult]:
    """The engines (built as the service builds them) and the translation of one file; a bad
    input exits 2 with its problem type."""
    from service.engines import build_engines
    from service.pipeline.flow import Document

    if quality not in QUALITIES:
        raise typer.BadParameter(f"--quality must be one of {', '.join(QUALITIES)}")
    text = _read(path)
    engines = build_engines(load_settings(), coalesce=False)
    try:
        return engines, engines.pipeline.translate(
            Document(text, source_lang, target_lang, _format(path, fmt), quality=quality))  # type: ignore[arg-type]
    except Exception as exc:
        _fail(exc)


@app.command()
def translate(path: Annotated[str, typer.Argument(help="A file, or - for standard input")] = "-",
              source_lang: SourceOpt = "auto", target_lang: TargetOpt = "en", fmt: FormatOpt = "",
              quality: QualityOpt = "best",
              as_json: Annotated[bool, typer.Option("--json", help="Print the full JSON response")] = False) -> None:
    """Translate one text or HTML file; prints the translation (or the full response with --json)."""
    from service.views import to_model

    _, result = _translate_file(path, source_lang, target_lang, fmt, quality)
    if as_json:
        typer.echo(to_model(result, "codepoint").model_dump_json(indent=2))
    else:
        typer.echo(result.translation)
        for w in result.warnings:
            typer.echo(f"warning: {w}", err=True)


@app.command()
def summarize(path: Annotated[str, typer.Argument(help="A file, or - for standard input")] = "-",
              source_lang: SourceOpt = "auto", target_lang: TargetOpt = "en", fmt: FormatOpt = "",
              max_sentences: Annotated[int | None, typer.Option(help="Most sentences in the summary")] = None,
              ratio: Annotated[float | None, typer.Option(help="Share of sentences to keep")] = None,
              quality: QualityOpt = "best",
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Summarize a text in the target language; quotes are listed with their original wording."""
    from service.views import summary_model

    engines, result = _translate_file(path, source_lang, target_lang, fmt, quality)
    out = engines.pipeline.summarize(result, max_sentences=max_sentences, ratio=ratio)
    if as_json:
        typer.echo(summary_model(out, "codepoint").model_dump_json(indent=2))
        return
    typer.echo(out.summary)
    for q in out.quotes:
        typer.echo(f"  quote ({q.quote.lang}): {q.quote.source.text!r} -> "
                   f"{q.quote.target.text if q.quote.target else ''!r}")


@app.command()
def detect(path: Annotated[str, typer.Argument(help="A file, or - for standard input")] = "-",
           fmt: FormatOpt = "",
           as_json: Annotated[bool, typer.Option("--json", help="Print the full JSON response")] = False) -> None:
    """Language and confidence of each segment (the API's /v1/detect; HTML by suffix or --format)."""
    from service.engines import build_detector
    from service.pipeline.flow import detect_text
    from service.views import detect_model

    text = _read(path)
    try:
        settings = load_settings()
        result = detect_text(build_detector(settings), text, fmt=_format(path, fmt), max_chars=settings.max_chars,
                             max_html_depth=settings.max_html_depth)
    except Exception as exc:
        _fail(exc)
    if as_json:
        typer.echo(detect_model(result, "codepoint").model_dump_json(indent=2))
        return
    for span, d in result.segments:
        typer.echo(f"{d.lang}\t{d.confidence:.2f}\t{span.text}")


TierOpt = Annotated[list[str] | None, typer.Option("--tier", help="quality, fast (repeat for both; default: both)")]


def _tiers(tiers: list[str] | None) -> list[Tier]:
    wanted = tiers or list(TIERS)
    unknown = [t for t in wanted if t not in TIERS]
    if unknown:
        raise typer.BadParameter(f"unknown tier {', '.join(unknown)}: use {', '.join(TIERS)}")
    return wanted  # type: ignore[return-value]


def _specs(pairs: list[str] | None, tiers: list[str] | None) -> list[ModelSpec]:
    """The registry entries named by pairs x tiers (all by default), pair by pair."""
    known = list(REGISTRY)
    wanted = pairs or known
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise typer.BadParameter(f"unknown pair {', '.join(unknown)} (known: {', '.join(known)})")
    return [TIERED[t][p] for p in wanted for t in _tiers(tiers) if p in TIERED[t]]


@models_app.command("list")
def models_list() -> None:
    """Each pair's model per tier (quality: the best published; fast: a smaller one), its pinned
    revision, its published scores (from the model card and the OPUS-MT-leaderboard, not measured
    here), and where it loads from (NEWSBRIDGE_MODEL_DIR/<pair>[.fast]/ or the hub)."""
    from translators.registry import PIVOT, available_pairs, pivot_pairs

    settings = load_settings()
    where = {t: available_pairs(settings.model_dir, t) for t in TIERS}
    for spec in _specs(None, None):
        origin = f"{settings.model_dir}/{spec.folder}" if where[spec.tier][spec.pair] == "local" else "hub"
        prefix = f" (prefix {spec.prefix.strip()})" if spec.prefix else ""
        published = "; ".join(str(score) for score in spec.scores)
        typer.echo(f"{spec.pair}\t{spec.tier}\t{spec.hub_id}{prefix}\trevision {spec.revision[:12] or 'main'}"
                   f"\tpublished {published}\t{origin}")
    for source, target in pivot_pairs():
        typer.echo(f"{source}-{target}\tpivot through {PIVOT}")


@models_app.command("pull")
def models_pull(pairs: Annotated[list[str] | None, typer.Argument(help="Pairs, e.g. pl-en (default: all)")] = None,
                tier: TierOpt = None,
                into_model_dir: Annotated[bool, typer.Option(
                    help="Copy into NEWSBRIDGE_MODEL_DIR/<pair>[.fast]/")] = False,
                convert: Annotated[bool | None, typer.Option(
                    help="Convert to CTranslate2 after the download (default: when NEWSBRIDGE_BACKEND is "
                         "ctranslate2, the default)")] = None) -> None:
    """Download models at their pinned revisions from the Hugging Face hub (into its cache, or
    the model folder: pl-en/ for the quality tier, pl-en.fast/ for the fast tier) and convert them
    for CTranslate2, so that the server's start-up and first requests need no conversion."""
    import os

    from translators.ct2 import convert_pair

    settings = load_settings()
    failed = 0
    for spec in _specs(pairs, tier):
        name = f"{spec.pair} ({spec.tier})"
        try:
            from huggingface_hub import snapshot_download

            kwargs = {}
            if into_model_dir:
                if settings.model_dir is None:
                    raise typer.BadParameter("--into-model-dir needs NEWSBRIDGE_MODEL_DIR")
                kwargs["local_dir"] = str(Path(settings.model_dir) / spec.folder)
            path = snapshot_download(spec.hub_id, revision=spec.revision or None, **kwargs)
            typer.echo(f"{name}: {spec.hub_id}@{spec.revision[:12]} -> {path}")
        except typer.BadParameter:
            raise
        except Exception as exc:
            offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
            why = "HF_HUB_OFFLINE is set" if offline else f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            typer.echo(f"{name}: could not download {spec.hub_id} ({why}). Without the hub, copy the Marian model "
                       f"folder to NEWSBRIDGE_MODEL_DIR/{spec.folder}/ (currently "
                       f"{settings.model_dir or 'unset'}).", err=True)
            failed += 1
            continue
        if convert if convert is not None else settings.backend == "ctranslate2":
            try:
                converted = convert_pair(spec.pair, settings.model_dir, settings.ct2_compute_type, spec.tier)
            except Exception as exc:
                typer.echo(f"{name}: downloaded, but the conversion to CTranslate2 failed: {exc}", err=True)
                failed += 1
                continue
            typer.echo(f"{name}: converted for CTranslate2 -> {converted}")
    if failed:
        raise typer.Exit(1)


@models_app.command("check")
def models_check(pairs: Annotated[list[str] | None, typer.Argument(help="Pairs (default: all)")] = None,
                 tier: TierOpt = None) -> None:
    """Load each model's config, tokenizer and weights the way the service does; check they agree."""
    from translators.model_check import check_resolved
    from translators.registry import resolve

    settings = load_settings()
    failed = 0
    for spec in _specs(pairs, tier):
        try:
            problems = check_resolved(resolve(spec.source, spec.target, settings.model_dir, spec.tier))
        except Exception as exc:
            problems = [str(exc)]
        typer.echo(f"{spec.pair} ({spec.tier}): {'ok' if not problems else '; '.join(problems)}")
        failed += bool(problems)
    if failed:
        raise typer.Exit(1)


@models_app.command("convert")
def models_convert(pairs: Annotated[list[str] | None, typer.Argument(help="Pairs (default: all available)")] = None,
                   compute_type: Annotated[str | None, typer.Option(help="int8, int8_float32, float32, ...")] = None,
                   tier: TierOpt = None) -> None:
    """Convert models to CTranslate2 ahead of time (`serve` converts what is missing at start-up;
    the CLI and batch on first use)."""
    from translators.ct2 import convert_pair

    settings = load_settings()
    failed = 0
    for spec in _specs(pairs, tier):
        try:
            path = convert_pair(spec.pair, settings.model_dir, compute_type or settings.ct2_compute_type, spec.tier)
            typer.echo(f"{spec.pair} ({spec.tier}): {path}")
        except Exception as exc:
            typer.echo(f"{spec.pair} ({spec.tier}): {exc}", err=True)
            failed += 1
    if failed:
        raise typer.Exit(1)


BENCH_DIR = Path(__file__).resolve().parents[2] / "benchmarks"  # in a clone (an editable install)


def _benchmarks() -> dict[str, Path]:
    """The benchmarks of the clone this code runs from, else of the clone in the current folder
    (a plain ``pip install .`` puts the code in site-packages, without them)."""
    folder = BENCH_DIR if BENCH_DIR.is_dir() else Path.cwd() / "benchmarks"
    found = sorted(folder.glob("bench_*.py")) + sorted(folder.glob("*_bench.py"))
    return {p.stem.removeprefix("bench_").removesuffix("_bench"): p for p in found}


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context,
          name: Annotated[str | None, typer.Argument(help="Benchmark to run (none: list them)")] = None) -> None:
    """Run a benchmark from benchmarks/ (extra arguments go to it); each prints ratios measured in one run."""
    import subprocess

    scripts = _benchmarks()
    if not scripts:
        typer.echo(f"no benchmarks found in {BENCH_DIR} nor in ./benchmarks (they ship with the source "
                   "checkout: run this from the clone)", err=True)
        raise typer.Exit(2)
    if name is None:
        for key, path in scripts.items():
            doc = (path.read_text(encoding="utf-8").split('"""')[1].strip().splitlines() or [""])[0]
            typer.echo(f"{key:12} {doc}")
        return
    if name not in scripts:
        typer.echo(f"unknown benchmark {name!r}; known: {', '.join(scripts)}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(subprocess.call([sys.executable, str(scripts[name]), *ctx.args]))


def _mount_optional() -> None:
    """Sub-commands that live in their own modules."""
    from service.cli.cache import cache_app, db_app

    app.add_typer(db_app, name="db", help="Database schema (migrations).")
    app.add_typer(cache_app, name="cache", help="Translation cache: stats and pruning.")
    from service.cli.keys import keys_app

    app.add_typer(keys_app, name="keys", help="API keys: create (shown once), list, role, revoke.")
    from service.cli.translation_memory import memory_app

    app.add_typer(memory_app, name="memory", help="Translation memory: TMX import and export, list entries.")
    from service.cli.glossary import glossary_app

    app.add_typer(glossary_app, name="glossary", help="Glossaries and do-not-translate lists: import, export, "
                                                      "list, delete.")
    from service.cli.batch import batch_command

    app.command("batch")(batch_command)
    from service.cli.eval import mount as mount_eval

    mount_eval(app)


_mount_optional()


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
