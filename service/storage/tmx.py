"""TMX 1.4b in and out of the translation memory, through translate-toolkit.

``write_tmx`` streams a TMX document, one ``<tu>`` per entry built by translate-toolkit's
``tmxunit`` (so an export of a million entries never holds them all): the entry's two
``<tuv>``s (``xml:lang`` = our language codes), its id as ``tuid``, who and when as
``creationid``/``creationdate``/``changeid``/``changedate``, and ``<prop>``s for what TMX has no
attribute for (``x-newsbridge-status``, ``-origin``, ``-scope``). The header's ``srclang`` is the
one source language of the export, or ``*all*`` with a ``srclang`` on every ``<tu>``.

``read_tmx`` parses with translate-toolkit's safe parser (no network, no external entities; a
document that declares entities is refused) and turns every ``<tu>`` into entries from its
source language (the ``<tu>``'s ``srclang``, else the header's; ``*all*``: every language of the
unit) to each other language the service knows (``pl-PL`` -> ``pl``). What it cannot use is
counted, not silently dropped: languages the service does not translate, empty segments, units
without a source. Inline codes (``<bpt>``, ``<ept>``, ``<ph>``, ``<it>``, ``<hi>``) are flattened
to their text, as translate-toolkit reads them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.errors import InvalidTmx
from service.storage.memory_store import MemoryEntry, NewEntry
from translators.base import SUPPORTED_LANGS

__all__ = ["TmxContent", "read_tmx", "tmx_lang", "write_tmx"]

TOOL_VERSION = "0.1.0"
PROP_STATUS, PROP_ORIGIN, PROP_SCOPE = "x-newsbridge-status", "x-newsbridge-origin", "x-newsbridge-scope"


def _tmx_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def tmx_lang(code: str | None) -> str | None:
    """Our language code for a TMX ``xml:lang`` (``pl-PL``, ``EN``, ``lt_LT``), else None."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED_LANGS else None


def write_tmx(entries: Iterable[MemoryEntry], *, srclang: str | None = None) -> Iterator[bytes]:
    """A TMX 1.4b document of ``entries``, in pieces. ``srclang``: the one source language of
    them all, when the caller knows it (else ``*all*``)."""
    from lxml import etree
    from translate.storage.tmx import tmxunit

    header = etree.Element("header", {
        "creationtool": "newsbridge", "creationtoolversion": TOOL_VERSION, "segtype": "sentence",
        "o-tmf": "newsbridge", "adminlang": "en", "srclang": srclang or "*all*", "datatype": "plaintext",
        "creationdate": _tmx_date(datetime.now(UTC))})
    yield (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n<tmx version="1.4">\n  '
           + etree.tostring(header, encoding="utf-8") + b"\n  <body>\n")
    batch: list[bytes] = []
    for e in entries:
        unit = tmxunit(None)
        unit.setsource(e.source, sourcelang=e.source_lang)
        unit.settarget(e.target, lang=e.target_lang)
        tu = unit.xmlelement
        tu.set("tuid", str(e.id))
        tu.set("srclang", e.source_lang)
        tu.set("creationdate", _tmx_date(e.created_at))
        if e.created_by:
            tu.set("creationid", e.created_by)
        tu.set("changedate", _tmx_date(e.updated_at))
        if e.who:
            tu.set("changeid", e.who)
        props = [(PROP_STATUS, e.status), (PROP_ORIGIN, e.origin)] + ([(PROP_SCOPE, e.scope)] if e.scope else [])
        for i, (kind, value) in enumerate(props):
            prop = etree.Element("prop", {"type": kind})
            prop.text = value
            tu.insert(i, prop)
        if e.note:
            unit.addnote(e.note)
        batch.append(b"    " + etree.tostring(tu, encoding="utf-8") + b"\n")
        if len(batch) >= 500:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch) + b"  </body>\n</tmx>\n"


@dataclass
class TmxContent:
    """What ``read_tmx`` found: the entries, and what it could not use (and why)."""

    entries: list[NewEntry] = field(default_factory=list)
    units: int = 0
    languages: Counter[str] = field(default_factory=Counter)  # xml:lang -> segments seen
    skipped: Counter[str] = field(default_factory=Counter)  # why -> count


def read_tmx(data: bytes) -> TmxContent:
    """Parse a TMX document; raises ``InvalidTmx`` for what is not TMX or holds no entry."""
    from lxml import etree
    from translate.misc.xml_helpers import getXMLlang
    from translate.storage.tmx import tmxfile

    if b"<!ENTITY" in data[:65536]:
        raise InvalidTmx("the TMX declares XML entities; they are not accepted (a TMX needs none)")
    try:
        store = tmxfile.parsestring(data)
    except etree.XMLSyntaxError as exc:
        raise InvalidTmx(f"not XML: {exc}") from None
    except (AssertionError, ValueError) as exc:
        raise InvalidTmx(f"not a TMX document (the root element must be <tmx>){': ' + str(exc) if str(exc) else ''}"
                         ) from None
    root = store.document.getroot()
    header = root.find(store.namespaced("header"))
    header_src = header.get("srclang") if header is not None else None
    out = TmxContent()
    for unit in store.units:
        out.units += 1
        tu = unit.xmlelement
        segments: dict[str, str] = {}
        for node in unit.getlanguageNodes():
            declared = getXMLlang(node) or node.get("lang")
            out.languages[declared or "(none)"] += 1
            lang = tmx_lang(declared)
            text = unit.getNodeText(node) or ""
            if lang is None:
                out.skipped["language the service does not translate"] += 1
            elif not text.strip():
                out.skipped["empty segment"] += 1
            elif lang in segments:
                out.skipped["second segment in the same language"] += 1
            else:
                segments[lang] = text
        src_decl = tu.get("srclang") or header_src
        if src_decl and src_decl.lower() != "*all*":
            source = tmx_lang(src_decl)
            sources = [source] if source in segments else []
        else:
            sources = list(segments)
        if not sources:
            out.skipped["unit without a segment in its source language"] += 1
            continue
        props = {p.get("type"): (p.text or "") for p in tu.findall(store.namespaced("prop"))}
        notes = unit.getnotes() or None
        for sl in sources:
            for tl, target in segments.items():
                if tl == sl:
                    continue
                status = "suggested" if props.get(PROP_STATUS) == "suggested" else None
                out.entries.append(NewEntry(sl, tl, segments[sl], target, notes, status, props.get(PROP_SCOPE) or None))
    if out.units == 0:
        raise InvalidTmx("the TMX holds no translation unit (<tu>)")
    return out
