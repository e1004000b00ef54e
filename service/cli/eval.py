"""``newsbridge eval``: BLEU, chrF, TER (and COMET when installed) and throughput of one or more
settings, side by side, from one run on the same test set (``service.evaluation``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from service.cli.config import load_settings

_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise typer.BadParameter(f"no such file: {path}")
    return path.read_text(encoding="utf-8").splitlines()


def eval_command(
    ctx: typer.Context,
    pair: Annotated[str, typer.Option("--pair", help="Direction, e.g. pl-en (a pivot such as pl-lt too)")],
    src: Annotated[Path, typer.Option("--src", help="Source segments, one per line")],
    ref: Annotated[Path, typer.Option("--ref", help="Reference translations, line by line")],
    compare: Annotated[list[str] | None, typer.Option(
        "--compare", help="Settings to compare, e.g. --compare ct2:int8 ct2:float32 transformers best fast "
                          "(combine with +: fast+ct2:int8). Default: the configured one.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON (with each hypothesis)")] = False,
    comet_model: Annotated[str, typer.Option(help="COMET model, used when unbabel-comet is installed")
                           ] = "Unbabel/wmt22-comet-da",
    no_comet: Annotated[bool, typer.Option("--no-comet", help="Skip COMET even when it is installed")] = False,
) -> None:
    """Translate a test set through the real pipeline (cache off) once per setting and print
    BLEU, chrF and TER (sacrebleu, with signatures), COMET when unbabel-comet and its model are
    installed, and throughput, side by side. Exit status 2 for a bad test set or setting."""
    from service.evaluation import EvalProblem, evaluate, parse_setting, render

    base = load_settings()
    names = [*(compare or []), *ctx.args]  # --compare a b c: click gives the first to the option
    try:
        settings = [parse_setting(n, base) for n in names] or [parse_setting(base.backend.replace(
            "ctranslate2", f"ct2:{base.ct2_compute_type}"), base)]
        report = evaluate(pair, _lines(src), _lines(ref), settings, base, comet_model=None if no_comet else comet_model)
    except EvalProblem as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else render(report))


def mount(app: typer.Typer) -> None:
    app.command("eval", context_settings=_CONTEXT)(eval_command)
