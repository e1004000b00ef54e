"""Archive readers of ``newsbridge batch``: records, parsing, sources.

Readers stream records lazily (JSONL, CSV, a folder of .txt/.html files, gzip of JSONL/CSV,
standard input) and never hold the whole input. A record that cannot be read (broken JSON, bad
encoding, a missing text field) is still a record: it carries its error, so the output keeps
one line per input record. The resumable writer is ``service.batch.output``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import regex

from translators.registry import SOURCE_CHOICES, language_list

InputKind = Literal["jsonl", "csv"]
SOURCE_LANGS = SOURCE_CHOICES
FORMATS = ("text", "html")
FOLDER_SUFFIXES = {".txt": "text", ".html": "html", ".htm": "html"}
_HEAD_BYTES = 1 << 20
_READ_BLOCK = 1 << 20


class UsageProblem(Exception):
    """The command cannot start: missing input, unknown column, refused resume (exit 2)."""


class BrokenInput(Exception):
    """The input stream itself broke (e.g. a truncated .gz) after ``records`` records."""


@dataclass
class Record:
    """One input record. ``line`` is its first line in the file (JSONL, CSV) or its number
    (folder); ``error`` is ``(type, detail)`` when it could not be read."""

    line: int
    id: str
    text: str | None = None
    source_lang: str = "auto"
    format: str = "text"
    error: tuple[str, str] | None = None
    warnings: list[str] = field(default_factory=list)
    glossary: str | None = None  # a glossary id: the record's own `glossary`, else the run's --glossary
    glossary_viewer: str | None = None  # whose glossaries it may use (a job's API key); None: any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        err = d.get("error")
        return cls(d["line"], d["id"], d.get("text"), d.get("source_lang", "auto"), d.get("format", "text"),
                   tuple(err) if err else None, list(d.get("warnings") or []),  # type: ignore[arg-type]
                   d.get("glossary"), d.get("glossary_viewer"))


@dataclass(frozen=True)
class ReaderOptions:
    id_column: str = "id"
    text_column: str = "text"
    lang_column: str = "lang"
    format_column: str = "format"
    source_lang: str = "auto"
    format: str | None = None  # None: the record's own, by file suffix in a folder, else text
    input_format: Literal["auto", "jsonl", "csv"] = "auto"
    glossary_column: str = "glossary"
    glossary: str | None = None  # for records without their own
    glossary_viewer: str | None = None


# ----------------------------------------------------------------------------- records


def _record_id(value: Any, line: int, rec: Record) -> str:
    usable = isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip() != ""
    if not usable:
        rec.warnings.append(f"record has no usable id; it is named line-{line}")
        return f"line-{line}"
    return str(value)


def make_record(fields: dict[str, Any], line: int, opts: ReaderOptions) -> Record:
    """A record from a parsed JSON object or CSV row (``fields``), validated."""
    rec = Record(line, f"line-{line}")
    rec.id = _record_id(fields.get(opts.id_column), line, rec)
    text = fields.get(opts.text_column)
    if text is None:
        rec.error = ("invalid_record", f"line {line}: no `{opts.text_column}` field")
        return rec
    if not isinstance(text, str):
        kind = type(text).__name__
        rec.error = ("invalid_record", f"line {line}: `{opts.text_column}` is a {kind}, not a string")
        return rec
    rec.text = text
    lang = fields.get(opts.lang_column)
    lang = lang.strip().lower() if isinstance(lang, str) else lang
    if lang in (None, ""):
        rec.source_lang = opts.source_lang
    elif lang in SOURCE_LANGS:
        rec.source_lang = lang
    else:
        rec.error = ("unsupported_language", f"line {line}: language {lang!r} is not supported ({language_list()})")
        return rec
    fmt = opts.format or fields.get(opts.format_column) or "text"
    if fmt not in FORMATS:
        rec.error = ("invalid_record", f"line {line}: format {fmt!r} is neither text nor html")
        return rec
    rec.format = fmt
    glossary = fields.get(opts.glossary_column)
    if glossary not in (None, "") and not isinstance(glossary, str):
        rec.error = ("invalid_record", f"line {line}: `{opts.glossary_column}` is not a glossary id (a string)")
        return rec
    rec.glossary = glossary.strip() if isinstance(glossary, str) and glossary.strip() else opts.glossary
    rec.glossary_viewer = opts.glossary_viewer
    return rec


_ID_SALVAGE = regex.compile(r'"(?P<key>(?:[^"\\]|\\.)*)"\s*:\s*(?:"(?P<s>(?:[^"\\]|\\.)*)"|(?P<n>-?\d+))')


def _salvage_id(line_text: str, id_column: str) -> str | None:
    """The id of a broken JSON line when it can still be read, so the error record names it."""
    for m in _ID_SALVAGE.finditer(line_text):
        if m["key"] == id_column:
            value = m["s"] if m["s"] is not None else m["n"]
            return value or None
    return None


def parse_jsonl_line(raw: bytes, line: int, opts: ReaderOptions) -> Record | None:
    """One JSONL line; ``None`` for a blank line (not a record)."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        why = f"line {line}: not UTF-8 ({exc.reason} at byte {exc.start})"
        return Record(line, f"line-{line}", error=("invalid_encoding", why))
    try:
        obj = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        why = f"line {line}, column {exc.colno}: {exc.msg}"
        rec = Record(line, f"line-{line}", error=("invalid_json", why))
        salvaged = _salvage_id(text, opts.id_column)
        if salvaged:
            rec.id = salvaged
        return rec
    if not isinstance(obj, dict):
        why = f"line {line}: a JSON {type(obj).__name__}, not an object"
        return Record(line, f"line-{line}", error=("invalid_record", why))
    return make_record(obj, line, opts)


# ----------------------------------------------------------------------------- sources


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def _count_newlines(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        while block := f.read(_READ_BLOCK):
            n += block.count(b"\n")
    return n


class Source:
    """Where records come from. ``open()`` validates (header, columns) before any output is
    written and yields the records lazily."""

    def __init__(self, spec: str, opts: ReaderOptions) -> None:
        self.spec = spec
        self.opts = opts
        self.path = None if spec == "-" else Path(spec)
        if self.path is not None and not self.path.exists():
            raise UsageProblem(f"input not found: {spec}")
        self.kind: Literal["jsonl", "csv", "folder"] = "folder" if self.path and self.path.is_dir() else \
            self._file_kind()

    def _file_kind(self) -> InputKind:
        if self.opts.input_format != "auto":
            return self.opts.input_format
        if self.path is None:
            return "jsonl"
        name = self.path.name.lower().removesuffix(".gz")
        return "csv" if name.endswith((".csv", ".tsv")) else "jsonl"

    # -- what the progress file remembers --------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        if self.path is None:
            return {"kind": self.kind, "path": "-"}
        if self.kind == "folder":
            digest = hashlib.sha256()
            count = 0
            for rel, p in self._folder_files():
                digest.update(f"{rel}\0{p.stat().st_size}\n".encode())
                count += 1
            return {"kind": "folder", "path": str(self.path.resolve()), "files": count,
                    "digest": digest.hexdigest()}
        with self.path.open("rb") as f:
            head = hashlib.sha256(f.read(_HEAD_BYTES)).hexdigest()
        return {"kind": self.kind, "path": str(self.path.resolve()), "size": self.path.stat().st_size,
                "head": head}

    def estimate_total(self) -> int | None:
        """Records in the input, cheaply: exact for a folder, lines for an uncompressed file
        (an upper bound: blank lines, CSV header and quoted newlines count), None otherwise."""
        if self.path is None:
            return None
        if self.kind == "folder":
            return sum(1 for _ in self._folder_files())
        if self.path.suffix.lower() == ".gz":
            return None
        n = _count_newlines(self.path)
        return max(n - 1, 0) if self.kind == "csv" else n

    # -- reading ------------------------------------------------------------------------------
    @contextmanager
    def open(self) -> Iterator[Iterator[Record]]:
        if self.kind == "folder":
            yield self._folder_records()
            return
        stream: IO[bytes]
        if self.path is None:
            stream = sys.stdin.buffer
            close = False
        else:
            stream = _open_binary(self.path)
            close = True
        try:
            if self.kind == "csv":
                yield self._csv_records(stream)
            else:
                yield self._jsonl_records(stream)
        finally:
            if close:
                stream.close()

    def _jsonl_records(self, stream: IO[bytes]) -> Iterator[Record]:
        line = 0
        count = 0
        try:
            for raw in stream:
                line += 1
                rec = parse_jsonl_line(raw, line, self.opts)
                if rec is not None:
                    count += 1
                    yield rec
        except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
            raise BrokenInput(f"the input broke after line {line} ({count} records): {exc}") from exc

    def _csv_records(self, stream: IO[bytes]) -> Iterator[Record]:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        tsv = self.path is not None and self.path.name.lower().removesuffix(".gz").endswith(".tsv")
        delimiter = "\t" if tsv else ","
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return iter(())
        if self.opts.text_column not in header:
            raise UsageProblem(f"the CSV header has no column {self.opts.text_column!r} (columns: "
                               f"{', '.join(header)}); name it with --text-column")
        return self._csv_rows(reader, header)

    def _csv_rows(self, reader: Any, header: list[str]) -> Iterator[Record]:
        count = 0
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                count += 1
                yield Record(start, f"line-{start}", error=("invalid_record", f"line {start}: {exc}"))
                continue
            except (OSError, EOFError) as exc:
                raise BrokenInput(f"the input broke after line {start - 1} ({count} records): {exc}") from exc
            if not row:
                continue
            count += 1
            if any(_has_surrogates(v) for v in row):
                yield Record(start, f"line-{start}", error=("invalid_encoding", f"line {start}: not UTF-8"))
                continue
            if len(row) != len(header):
                rec = Record(start, f"line-{start}")
                fields = dict(zip(header, row, strict=False))
                rec.id = _record_id(fields.get(self.opts.id_column), start, rec)
                why = f"line {start}: {len(row)} fields, the header has {len(header)}"
                rec.error = ("invalid_record", why)
                yield rec
                continue
            yield make_record(dict(zip(header, row, strict=True)), start, self.opts)

    def _folder_files(self) -> Iterator[tuple[str, Path]]:
        assert self.path is not None
        found: list[tuple[str, Path]] = []
        for dirpath, dirnames, filenames in os.walk(self.path):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith(".") or Path(name).suffix.lower() not in FOLDER_SUFFIXES:
                    continue
                p = Path(dirpath) / name
                found.append((p.relative_to(self.path).as_posix(), p))
        found.sort()
        yield from found

    def _folder_records(self) -> Iterator[Record]:
        for n, (rel, p) in enumerate(self._folder_files(), start=1):
            fmt = self.opts.format or FOLDER_SUFFIXES[p.suffix.lower()]
            rec = Record(n, rel, source_lang=self.opts.source_lang, format=fmt, glossary=self.opts.glossary,
                         glossary_viewer=self.opts.glossary_viewer)
            try:
                rec.text = p.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                rec.error = ("invalid_encoding", f"{rel}: not UTF-8 ({exc.reason} at byte {exc.start})")
            except OSError as exc:
                rec.error = ("unreadable_file", f"{rel}: {exc.strerror or exc}")
            else:
                if fmt == "html" and "\x00" in rec.text:
                    rec.error = ("invalid_html", f"{rel}: binary content, not HTML")
            yield rec


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)
