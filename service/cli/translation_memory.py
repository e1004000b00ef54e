"""``newsbridge memory import FILE | export [FILE] | list``: the translation memory from the shell.

The database is ``--url`` or ``NEWSBRIDGE_DATABASE_URL``, the one the server reads; entries
imported here serve their sentences from the server's next request on. TMX 1.4b in and out
(through translate-toolkit, as ``/v1/memory/import`` and ``/v1/memory/export``); an import is
checked whole before anything is written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli.config import database_errors, load_settings
from service.storage import db

if TYPE_CHECKING:
    from service.storage.memory_store import MemoryEntry, TranslationMemory

memory_app = typer.Typer(help="Translation memory: TMX import and export, list entries.", no_args_is_help=True)

UrlOption = Annotated[str | None, typer.Option(
    "--url", help=f"Database URL (default: ${db.ENV_VAR} or the SQLite file).", show_default=False)]
LangOption = Annotated[str | None, typer.Option(help="Only this language (pl, lt, en)")]
StatusOption = Annotated[str | None, typer.Option(help="approved or suggested (default: both)")]
ScopeOption = Annotated[str | None, typer.Option(help="Only this desk's entries")]


def _memory(url: str | None) -> TranslationMemory:
    from service.storage.memory_store import TranslationMemory

    settings = load_settings()
    url = url or settings.database_url
    with database_errors():
        db.ensure_schema(url)
    return TranslationMemory(db.get_engine(url), max_chars=settings.memory_max_segment_chars)


def _fail(exc: Exception) -> None:
    from service.views import problem_of

    problem = problem_of(exc)
    typer.echo(f"error [{problem.type}]: {problem.detail}", err=True)
    raise typer.Exit(2)


@memory_app.command("import")
def import_tmx(path: Annotated[Path, typer.Argument(help="A TMX file", exists=True, dir_okay=False)],
               status: Annotated[str, typer.Option(help="approved (served at once) or suggested")] = "approved",
               scope: Annotated[str | None, typer.Option(help="The desk the entries belong to")] = None,
               who: Annotated[str | None, typer.Option(help="Recorded as the entries' author")] = None,
               url: UrlOption = None) -> None:
    """Import a TMX file: every segment pair in languages the service knows; nothing is written
    unless every entry is good. Units the file marks as suggestions stay suggestions."""
    from service.storage.tmx import read_tmx

    if status not in ("approved", "suggested"):
        raise typer.BadParameter("use approved or suggested", param_hint="--status")
    memory = _memory(url)
    try:
        content = read_tmx(path.read_bytes())
        report = memory.import_many(content.entries, status=status, origin="tmx", who=who,  # type: ignore[arg-type]
                                    scope=scope)
    except Exception as exc:
        _fail(exc)
    typer.echo(f"{path.name}: {content.units} units, {len(content.entries)} entries: {report.created} new, "
               f"{report.updated} updated, {report.unchanged} unchanged")
    for why, n in sorted(content.skipped.items()):
        typer.echo(f"  skipped {n}: {why}", err=True)


@memory_app.command("export")
def export_tmx(path: Annotated[str, typer.Argument(help="Where to write the TMX (- for standard output)")] = "-",
               source_lang: LangOption = None, target_lang: LangOption = None, status: StatusOption = None,
               scope: ScopeOption = None, url: UrlOption = None) -> None:
    """Write the memory (or the part the options select) as TMX 1.4b."""
    from service.storage.tmx import write_tmx

    memory = _memory(url)
    entries = memory.iter_entries(source_lang=source_lang, target_lang=target_lang, status=status, scope=scope)
    count = 0

    def counted() -> Iterator[MemoryEntry]:
        nonlocal count
        for e in entries:
            count += 1
            yield e

    if path == "-":
        for chunk in write_tmx(counted(), srclang=source_lang):
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    with Path(path).open("wb") as out:
        for chunk in write_tmx(counted(), srclang=source_lang):
            out.write(chunk)
    typer.echo(f"wrote {count} entries to {path}", err=True)


@memory_app.command("list")
def list_entries(source_lang: LangOption = None, target_lang: LangOption = None, status: StatusOption = None,
                 scope: ScopeOption = None, q: Annotated[str | None, typer.Option(help="A piece of source or target")]
                 = None, limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50, url: UrlOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="One JSON object per entry")] = False) -> None:
    """Entries, newest first (``--status suggested``: the suggestions waiting for an editor)."""
    page = _memory(url).search(source_lang=source_lang, target_lang=target_lang, status=status, scope=scope, q=q,
                               limit=limit)
    for e in page.entries:
        if as_json:
            typer.echo(json.dumps({"id": e.id, "source_lang": e.source_lang, "target_lang": e.target_lang,
                                   "source": e.source, "target": e.target, "status": e.status, "origin": e.origin,
                                   "scope": e.scope, "who": e.who, "updated_at": e.updated_at.isoformat()},
                                  ensure_ascii=False))
        else:
            typer.echo(f"{e.id:>7} {e.source_lang}->{e.target_lang} {e.status:9} {e.source!r} -> {e.target!r}")
    if not as_json:
        typer.echo(f"{len(page.entries)} of {page.total} entries", err=True)
