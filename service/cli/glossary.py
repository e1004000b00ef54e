"""``newsbridge glossary import FILE | export ID | list | delete ID``: glossaries on the server.

``import`` reads TSV or CSV as DeepL writes them (a DeepL glossary export has the language pair
in its third and fourth columns, so ``--source-lang`` / ``--target-lang`` may be left out) and as
CMS plugins export them (``;``-separated, a header row); the glossary is global (every key may
use it) unless ``--owner KEY_NAME`` gives it to one key. ``--replace ID`` replaces the entries of
an existing glossary instead (its cached translations are not reused: the content hash changes).
The database is ``--url`` or ``NEWSBRIDGE_DATABASE_URL``, the one the server reads.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from service.cli.config import load_settings
from service.errors import NewsbridgeError
from service.settings import Settings
from service.storage import db

glossary_app = typer.Typer(help="Glossaries and do-not-translate lists: import, export, list, delete.",
                           no_args_is_help=True)

UrlOption = Annotated[str | None, typer.Option(
    "--url", help=f"Database URL (default: ${db.ENV_VAR} or the SQLite file).", show_default=False)]


def _settings(url: str | None) -> Settings:
    """The command's settings, read once (``--url`` over ``NEWSBRIDGE_DATABASE_URL``)."""
    settings = load_settings()
    return settings.model_copy(update={"database_url": url}) if url else settings


def _store(settings: Settings):
    from service.storage.glossary_store import glossary_store_for

    try:
        return glossary_store_for(settings)
    except db.DatabaseConfigError as exc:
        _fail(str(exc), 2)
    except NewsbridgeError as exc:
        _fail(exc.detail, 1)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _pair_from_file(text: str, fmt: str) -> tuple[str, str] | None:
    """The language pair a DeepL CSV export names in its 3rd and 4th columns."""
    if fmt != "csv":
        return None
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 4 and row[2].strip() and row[3].strip() and row[2].strip().lower() != "source_lang":
            return row[2].strip().lower().split("-")[0], row[3].strip().lower().split("-")[0]
    return None


@glossary_app.command("import")
def import_glossary(
    path: Annotated[str, typer.Argument(help="A TSV or CSV file (- for standard input)")],
    name: Annotated[str | None, typer.Option("--name", help="Name (default: the file's name)")] = None,
    source_lang: Annotated[str | None, typer.Option("--source-lang", "-s", help="pl, lt or en")] = None,
    target_lang: Annotated[str | None, typer.Option("--target-lang", "-t", help="pl, lt or en")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="tsv or csv (default: by suffix, else csv)")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Name of the API key it belongs to "
                                              "(default: global, every key may use it)")] = None,
    replace: Annotated[str | None, typer.Option("--replace", help="Replace this glossary's entries instead")] = None,
    url: UrlOption = None,
) -> None:
    """Import a glossary; prints its id."""
    from service.glossary_formats import Limits, parse_entries
    from service.storage.glossary_store import NewDictionary, Viewer, check_pair

    data = sys.stdin.buffer.read() if path == "-" else _read(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(f"{path} is not UTF-8 (byte {exc.start})", 2)
    kind = (fmt or ("tsv" if path.lower().endswith(".tsv") else "csv")).lower()
    pair = (source_lang, target_lang) if source_lang and target_lang else _pair_from_file(text, kind)
    if pair is None:
        _fail("give --source-lang and --target-lang (the file does not name its languages)", 2)
    settings = _settings(url)
    store = _store(settings)
    try:
        source, target = check_pair(*pair)
        entries = parse_entries(text, kind, source, target, Limits(settings.glossary_max_entries,
                                                                   settings.glossary_max_term_chars))
        if replace:
            info = store.replace_dictionary(replace, Viewer(), source, target, entries)
        else:
            label = name or (Path(path).stem if path != "-" else "glossary")
            info = store.create(label, f"key:{owner}" if owner else None, [NewDictionary(source, target, entries)])
    except NewsbridgeError as exc:
        _fail(f"[{exc.type}] {exc.detail}")
    typer.echo(info.id)
    keep = sum(e.source == e.target for e in entries)
    typer.echo(f"{'replaced' if replace else 'imported'} {len(entries)} entries ({keep} do-not-translate) "
               f"{source}->{target} as {info.name!r} ({'owner ' + info.owner if info.owner else 'global'})", err=True)


def _read(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        _fail(f"no such file: {path}", 2)
    return p.read_bytes()


@glossary_app.command("export")
def export_glossary(
    glossary_id: Annotated[str, typer.Argument(help="The glossary's id")],
    fmt: Annotated[str, typer.Option("--format", help="csv (as DeepL exports: with the language columns) "
                                     "or tsv")] = "csv",
    output: Annotated[str, typer.Option("--output", "-o", help="File (default: standard output)")] = "-",
    source_lang: Annotated[str | None, typer.Option("--source-lang", "-s", help="Pair of a multilingual one")] = None,
    target_lang: Annotated[str | None, typer.Option("--target-lang", "-t")] = None,
    url: UrlOption = None,
) -> None:
    """Write a glossary's entries as CSV or TSV."""
    from service.glossary_formats import to_csv, to_tsv
    from service.storage.glossary_store import Viewer

    if fmt not in ("csv", "tsv"):
        _fail("--format must be csv or tsv", 2)
    try:
        d = _store(_settings(url)).entries(glossary_id, Viewer(), source_lang, target_lang)
    except NewsbridgeError as exc:
        _fail(f"[{exc.type}] {exc.detail}")
    text = to_tsv(d.entries) if fmt == "tsv" else to_csv(d.entries, d.source_lang, d.target_lang)
    if output == "-":
        typer.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(d.entries)} entries to {output}", err=True)


@glossary_app.command("list")
def list_glossaries(url: UrlOption = None,
                    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per glossary")] = False
                    ) -> None:
    """Every glossary: id, name, owner, language pairs, entries, created."""
    from service.storage.glossary_store import Viewer

    for g in _store(_settings(url)).list(Viewer()):
        pairs = ", ".join(f"{d.source_lang}->{d.target_lang} ({d.entry_count})" for d in g.dictionaries)
        if as_json:
            typer.echo(json.dumps({"id": g.id, "name": g.name, "owner": g.owner, "created_at": g.created_at.isoformat(),
                                   "dictionaries": [{"source_lang": d.source_lang, "target_lang": d.target_lang,
                                                     "entry_count": d.entry_count, "content_hash": d.content_hash}
                                                    for d in g.dictionaries]}, ensure_ascii=False))
        else:
            typer.echo(f"{g.id}  {g.name[:30]:30} {g.owner or 'global':20} {pairs}  {g.created_at:%Y-%m-%d %H:%M}")


@glossary_app.command("delete")
def delete_glossary(glossary_id: Annotated[str, typer.Argument(help="The glossary's id")],
                    url: UrlOption = None) -> None:
    """Delete a glossary (requests naming it get 404 from then on)."""
    from service.storage.glossary_store import Viewer

    try:
        _store(_settings(url)).delete(glossary_id, Viewer())
    except NewsbridgeError as exc:
        _fail(f"[{exc.type}] {exc.detail}")
    typer.echo(f"deleted {glossary_id}")
