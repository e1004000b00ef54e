"""``newsbridge keys create NAME | list | revoke NAME``: API keys stored hashed in the database.

A new key is printed once and never again (only its SHA-256 digest is stored). The database
is ``--url`` or ``NEWSBRIDGE_DATABASE_URL``, the same one the server reads.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.cli.config import load_settings
from service.storage import db
from service.storage.key_store import KeyExists, KeyStore

keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

UrlOption = Annotated[str | None, typer.Option(
    "--url", help=f"Database URL (default: ${db.ENV_VAR} or the SQLite file).", show_default=False)]


def _store(url: str | None) -> KeyStore:
    url = url or load_settings().database_url
    try:
        db.ensure_schema(url)
    except db.DatabaseConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except db.DatabaseUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    return KeyStore(db.get_engine(url))


@keys_app.command("create")
def create(name: Annotated[str, typer.Argument(help="A name for whoever uses the key, e.g. desk")],
           chars_per_month: Annotated[int | None, typer.Option(help="Monthly character quota", min=1)] = None,
           requests_per_minute: Annotated[int | None, typer.Option(help="Rate limit", min=1)] = None,
           url: UrlOption = None) -> None:
    """Create a key and print it (the only time it is shown)."""
    try:
        stored, key = _store(url).create(name, chars_per_month=chars_per_month,
                                         requests_per_minute=requests_per_minute)
    except KeyExists as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(key)
    typer.echo(f"created key {stored.name!r} ({_limits(stored.chars_per_month, stored.requests_per_minute)}); "
               "store it now: it is not shown again", err=True)


def _limits(chars: int | None, rpm: int | None) -> str:
    return (f"{chars} characters/month" if chars else "no character quota") + ", " + \
        (f"{rpm} requests/minute" if rpm else "default rate limit")


@keys_app.command("list")
def list_keys(url: UrlOption = None,
              as_json: Annotated[bool, typer.Option("--json", help="One JSON object per key")] = False) -> None:
    """Every key: name, first characters, limits, this month's usage."""
    from service.http.access import month

    store = _store(url)
    period, _ = month()
    for k in store.list():
        chars, requests = store.usage(f"key:{k.name}", period)
        row = {"name": k.name, "hint": k.hint + "…", "chars_per_month": k.chars_per_month,
               "requests_per_minute": k.requests_per_minute, "created_at": k.created_at.isoformat(),
               "chars_this_month": chars, "requests_this_month": requests}
        if as_json:
            typer.echo(json.dumps(row))
        else:
            typer.echo(f"{k.name:20} {row['hint']:10} {_limits(k.chars_per_month, k.requests_per_minute):50} "
                       f"{chars} chars, {requests} requests in {period}")


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The key's name")], url: UrlOption = None) -> None:
    """Revoke a key at once (servers notice within seconds)."""
    if not _store(url).revoke(name):
        typer.echo(f"error: no key named {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {name!r}")
