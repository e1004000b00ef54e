"""Glossary entries in and out: TSV and CSV as DeepL and CMS plugins write them, validation,
limits and the content hash.

- TSV (DeepL's ``entries_format=tsv``): one ``source<TAB>target`` per line.
- CSV (DeepL's ``entries_format=csv``, a DeepL glossary export, a TYPO3 / dd_deepl export):
  ``source,target`` rows, optionally followed by ``source_lang,target_lang`` (rows of another
  pair are skipped, as DeepL does); ``;`` as separator is recognised too; a first row that is a
  header (``source,target``, ``term;translation``, ...) is skipped.

Every term is NFC-normalised and stripped of surrounding whitespace (DeepL strips too). Refused,
with the line named: an empty term, a term with a line break, tab or other control character, a
term with markup (``<b>``), a term over ``max_term_chars``, a source term given twice, and more
than ``max_entries`` entries (``GlossaryTooLarge``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from service.errors import GlossaryTooLarge, InvalidGlossary
from translators.text.terms import Entry

__all__ = ["FORMATS", "Limits", "content_hash", "parse_entries", "to_csv", "to_tsv", "validate_entries"]

FORMATS = ("tsv", "csv")
_CONTROL = regex.compile(r"[\p{Cc}\p{Zl}\p{Zp}\u0085]")
_TAG = regex.compile(r"<\s*/?\s*[A-Za-z][^<>]*>")
_HEADER_WORDS = {"source", "target", "source term", "target term", "source_term", "target_term", "term",
                 "translation", "source_lang", "target_lang", "source language", "target language", "src", "tgt"}


@dataclass(frozen=True)
class Limits:
    max_entries: int = 10_000
    max_term_chars: int = 1024


def content_hash(source_lang: str, target_lang: str, entries: Iterable[Entry]) -> str:
    """What a dictionary's translations depend on: its pair and its entries (order aside)."""
    digest = hashlib.sha256(f"newsbridge-glossary-1\n{source_lang}\t{target_lang}\n".encode())
    for e in sorted(entries, key=lambda e: e.source):
        digest.update(f"{e.source}\t{e.target}\n".encode())
    return digest.hexdigest()


def parse_entries(data: str | bytes, fmt: str, source_lang: str, target_lang: str, limits: Limits) -> list[Entry]:
    """The validated entries of a TSV or CSV text (``InvalidGlossary`` / ``GlossaryTooLarge``)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidGlossary(f"the entries are not UTF-8 (byte {exc.start})") from None
    fmt = fmt.strip().lower()
    if fmt == "tsv":
        rows = _tsv_rows(data)
    elif fmt == "csv":
        rows = _csv_rows(data, source_lang, target_lang)
    else:
        raise InvalidGlossary(f"entries_format {fmt!r} is not supported: use tsv or csv")
    return validate_entries(rows, limits)


def _tsv_rows(data: str) -> list[tuple[int, str, str]]:
    rows: list[tuple[int, str, str]] = []
    for n, line in enumerate(data.lstrip("\ufeff").split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InvalidGlossary(f"line {n}: expected source<TAB>target, found {len(parts) - 1} tab(s)")
        rows.append((n, parts[0], parts[1]))
    return rows


def _csv_rows(data: str, source_lang: str, target_lang: str) -> list[tuple[int, str, str]]:
    text = data.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") and "," not in first.split(";")[0] else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, str, str]] = []
    try:
        for cells in reader:
            n = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) < 2:
                raise InvalidGlossary(f"line {n}: expected source{delimiter}target")
            if not rows and _is_header(cells):
                continue
            if len(cells) >= 4 and cells[2].strip() and cells[3].strip():
                pair = (cells[2].strip().lower().split("-")[0], cells[3].strip().lower().split("-")[0])
                if pair != (source_lang, target_lang):
                    continue  # a row of another language pair
            rows.append((n, cells[0], cells[1]))
    except csv.Error as exc:
        raise InvalidGlossary(f"line {reader.line_num}: {exc}") from None
    return rows


def _is_header(cells: Sequence[str]) -> bool:
    return all(c.strip().lower() in _HEADER_WORDS for c in cells if c.strip())


def validate_entries(rows: Iterable[tuple[int, str, str]], limits: Limits) -> list[Entry]:
    """Normalised entries of ``(line, source, target)`` rows; refuses what the module says."""
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for n, source, target in rows:
        source, target = _term(n, "source", source, limits), _term(n, "target", target, limits)
        if source in seen:
            raise InvalidGlossary(f"line {n}: the source term {source!r} is there already (line {seen[source]}); "
                                  "each source term may have one target")
        seen[source] = n
        entries.append(Entry(source, target))
        if len(entries) > limits.max_entries:
            raise GlossaryTooLarge(f"more than {limits.max_entries} entries (NEWSBRIDGE_GLOSSARY_MAX_ENTRIES); "
                                   "split the glossary", limit=limits.max_entries)
    if not entries:
        raise InvalidGlossary("the glossary has no entries")
    return entries


def _term(n: int, which: str, value: object, limits: Limits) -> str:
    if not isinstance(value, str):
        raise InvalidGlossary(f"line {n}: the {which} term is a {type(value).__name__}, not a string")
    term = unicodedata.normalize("NFC", value).strip()
    if not term:
        raise InvalidGlossary(f"line {n}: the {which} term is empty")
    if _CONTROL.search(term):
        raise InvalidGlossary(f"line {n}: the {which} term {term[:40]!r} holds a line break, tab or control "
                              "character")
    if _TAG.search(term):
        raise InvalidGlossary(f"line {n}: the {which} term {term[:40]!r} holds markup; glossary terms are plain text")
    if len(term) > limits.max_term_chars:
        raise InvalidGlossary(f"line {n}: the {which} term has {len(term)} characters; the limit is "
                              f"{limits.max_term_chars} (NEWSBRIDGE_GLOSSARY_MAX_TERM_CHARS)")
    return term


def to_tsv(entries: Iterable[Entry]) -> str:
    return "".join(f"{e.source}\t{e.target}\n" for e in entries)


def to_csv(entries: Iterable[Entry], source_lang: str | None = None, target_lang: str | None = None) -> str:
    """CSV as DeepL's glossary export writes it (with the language columns when given)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for e in entries:
        writer.writerow([e.source, e.target] + ([source_lang, target_lang] if source_lang and target_lang else []))
    return out.getvalue()
