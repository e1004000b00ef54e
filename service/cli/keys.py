"""``newsbridge keys create NAME [--role] | list | role NAME ROLE | revoke NAME``: API keys stored
hashed in the database. A key's role says what it may do with the translation memory:
``translator`` (the default) suggests, ``editor`` approves.

A new key is printed once and never again (only its SHA-256 digest is stored). The database
is ``--url`` or ``NEWSBRIDGE_DATABASE_URL``, the same one the server reads.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.cli.config import database_errors, load_settings
from service.storage import db
from service.storage.key_store import DEFAULT_ROLE, ROLES, KeyExists, KeyStore

keys_app = typer.Typer(help="API keys: create (shown once), list, role, revoke.", no_args_is_help=True)
RoleOption = Annotated[str, typer.Option(
    help="translator: translate and suggest memory entries; editor: also approve them")]

UrlOption = Annotated[str | None, typer.Option(
    "--url", help=f"Database URL (default: ${db.ENV_VAR} or the SQLite file).", show_default=False)]


def _store(url: str | None) -> KeyStore:
    url = url or load_settings().database_url
    with database_errors():
        db.ensure_schema(url)
    return KeyStore(db.get_engine(url))


@keys_app.command("create")
def create(name: Annotated[str, typer.Argument(help="A name for whoever uses the key, e.g. desk")],
           chars_per_month: Annotated[int | None, typer.Option(help="Monthly character quota", min=1)] = None,
           requests_per_minute: Annotated[int | None, typer.Option(help="Rate limit", min=1)] = None,
           role: RoleOption = DEFAULT_ROLE, url: UrlOption = None) -> None:
    """Create a key and print it (the only time it is shown)."""
    _check_role(role)
    try:
        stored, key = _store(url).create(name, chars_per_month=chars_per_month,
                                         requests_per_minute=requests_per_minute, role=role)  # type: ignore[arg-type]
    except KeyExists as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(key)
    typer.echo(f"created key {stored.name!r} (role {stored.role}; "
               f"{_limits(stored.chars_per_month, stored.requests_per_minute)}); "
               "store it now: it is not shown again", err=True)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise typer.BadParameter(f"use {' or '.join(ROLES)}", param_hint="--role")


@keys_app.command("role")
def set_role(name: Annotated[str, typer.Argument(help="The key's name")],
             role: Annotated[str, typer.Argument(help="translator or editor")], url: UrlOption = None) -> None:
    """Give a key another role (servers notice at its next request)."""
    _check_role(role)
    if not _store(url).set_role(name, role):  # type: ignore[arg-type]
        typer.echo(f"error: no key named {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{name!r} is now {role}")


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
        row = {"name": k.name, "hint": k.hint + "…", "role": k.role, "chars_per_month": k.chars_per_month,
               "requests_per_minute": k.requests_per_minute, "created_at": k.created_at.isoformat(),
               "chars_this_month": chars, "requests_this_month": requests}
        if as_json:
            typer.echo(json.dumps(row))
        else:
            limits = _limits(k.chars_per_month, k.requests_per_minute)
            typer.echo(f"{k.name:20} {row['hint']:10} {k.role:10} {limits:50} "
                       f"{chars} chars, {requests} requests in {period}")


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The key's name")], url: UrlOption = None) -> None:
    """Revoke a key at once (servers notice within seconds)."""
    if not _store(url).revoke(name):
        typer.echo(f"error: no key named {name!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {name!r}")
