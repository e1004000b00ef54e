"""``newsbridge db ...`` and ``newsbridge cache ...``: schema upgrades and cache upkeep.

The URL comes from ``--url`` or else ``NEWSBRIDGE_DATABASE_URL`` (the command's settings).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated

import typer

from service.cli.config import database_errors, load_settings
from service.storage import db
from service.storage.cache_store import SqlTranslationStore

db_app = typer.Typer(help="Translation-cache database schema.", no_args_is_help=True)
cache_app = typer.Typer(help="Translation-cache contents.", no_args_is_help=True)

UrlOption = Annotated[str | None, typer.Option(
    "--url", help=f"Database URL (default: ${db.ENV_VAR} or the SQLite file).", show_default=False)]

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(value: str) -> timedelta:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s`` → ``timedelta``."""
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30d, 12h, 90m, 2w)")
    return timedelta(**{_UNITS[m.group(2).lower()]: float(m.group(1))})


def _url(url: str | None) -> str:
    return url or load_settings().database_url


def _store(url: str | None) -> SqlTranslationStore:
    resolved = _url(url)
    with database_errors():
        db.ensure_schema(resolved)
    return SqlTranslationStore(resolved)


@db_app.command("upgrade")
def upgrade_cmd(url: UrlOption = None, revision: str = "head") -> None:
    """Create or upgrade the cache schema (safe to repeat)."""
    resolved = _url(url)
    with database_errors():
        before = db.current_revision(resolved)
        after = db.upgrade(resolved, revision)
    change = "already at" if before == after else f"upgraded {before or 'empty'} →"
    typer.echo(f"{db.describe(resolved)}: {change} {after}")


@db_app.command("current")
def current_cmd(url: UrlOption = None) -> None:
    """Show the schema revision of the database and of this release."""
    resolved = _url(url)
    with database_errors():
        current = db.current_revision(resolved)
    head = db.head_revision()
    typer.echo(f"{db.describe(resolved)}: {current or 'empty'} (this release: {head})")
    if current != head:
        raise typer.Exit(3)


@cache_app.command("stats")
def stats_cmd(url: UrlOption = None,
              as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Rows, hits, and rows per model and per language pair."""
    st = _store(url).stats()
    if as_json:
        typer.echo(json.dumps(st.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"rows: {st.rows}\nhits: {st.hits}\noldest: {st.oldest}\nnewest: {st.newest}\n"
               f"last used: {st.last_used}")
    for title, counts in (("per pair", st.per_pair), ("per model", st.per_model)):
        typer.echo(f"{title}:")
        for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            typer.echo(f"  {n:>10}  {name}")


@cache_app.command("prune")
def prune_cmd(
    older_than: Annotated[str, typer.Option("--older-than", help="Unused this long: 30d, 12h, 90m, 2w.")],
    model: Annotated[str | None, typer.Option(help="Only this model identity key.")] = None,
    url: UrlOption = None,
) -> None:
    """Delete entries not used for a while."""
    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--older-than") from exc
    n = _store(url).prune(age, model)
    typer.echo(f"deleted {n} entries not used for {older_than}")


def app() -> typer.Typer:
    """``db`` and ``cache`` in one app (for ``python -m service.cli.cache``)."""
    root = typer.Typer(no_args_is_help=True)
    root.add_typer(db_app, name="db")
    root.add_typer(cache_app, name="cache")
    return root


if __name__ == "__main__":
    app()()
