"""Glossaries in SQL: a glossary (id, name, owner), its dictionaries (one per language pair, with
the content hash translations are cached under) and their entries.

Owner: the subject of the API key that made it (``key:desk``), or ``None`` for a global glossary
(made with ``newsbridge glossary import``, or through the API while it is open). A key sees its
own glossaries and the global ones and changes only its own; another key's glossary does not
exist for it (404). Every change is one transaction: a refused glossary leaves nothing behind.

Resolving a glossary for a translation reads its dictionaries' hashes (one query) and loads the
entries only for a content not seen before in this process.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, ForeignKey, Index, Integer, String, UniqueConstraint, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.errors import GlossaryForbidden, GlossaryNotFound, GlossaryPairUnsupported, TooManyGlossaries
from service.glossary_formats import content_hash
from service.storage.db import Base, UTCDateTime, unit_of_work, utcnow
from translators.base import SUPPORTED_LANGS
from translators.text.terms import Entry, Glossary, TermDictionary

__all__ = ["DictionaryInfo", "GlossaryInfo", "GlossaryStore", "Viewer", "glossary_pairs"]

ID_CHARS = 36  # a UUID, as DeepL's glossary ids


class GlossaryRow(Base):
    __tablename__ = "glossaries"

    id: Mapped[str] = mapped_column(String(ID_CHARS), primary_key=True)
    name: Mapped[str] = mapped_column(String(1024))
    owner: Mapped[str | None] = mapped_column(String(100), nullable=True)  # None: global
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_glossaries_owner", "owner"),)


class GlossaryDictionaryRow(Base):
    __tablename__ = "glossary_dictionaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    glossary_id: Mapped[str] = mapped_column(String(ID_CHARS), ForeignKey("glossaries.id", ondelete="CASCADE"))
    source_lang: Mapped[str] = mapped_column(String(8))
    target_lang: Mapped[str] = mapped_column(String(8))
    entry_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("glossary_id", "source_lang", "target_lang", name="uq_glossary_pair"),)


class GlossaryEntryRow(Base):
    __tablename__ = "glossary_entries"

    dictionary_id: Mapped[int] = mapped_column(Integer, ForeignKey("glossary_dictionaries.id", ondelete="CASCADE"),
                                               primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(1024))
    target: Mapped[str] = mapped_column(String(1024))


def glossary_pairs() -> list[tuple[str, str]]:
    """Language pairs a glossary may have: every pair of different supported languages."""
    return [(s, t) for s in SUPPORTED_LANGS for t in SUPPORTED_LANGS if s != t]


def check_pair(source: str, target: str) -> tuple[str, str]:
    pair = (str(source).strip().lower(), str(target).strip().lower())
    if pair not in glossary_pairs():
        raise GlossaryPairUnsupported(f"no glossaries for {source}->{target}: glossaries take two different "
                                      f"languages of {', '.join(SUPPORTED_LANGS)}")
    return pair


@dataclass(frozen=True)
class Viewer:
    """Who asks: an API key's subject (sees its own and the global glossaries), or everyone
    (``subject=None``: the CLI, or the API while no key is configured)."""

    subject: str | None = None

    @property
    def sees_all(self) -> bool:
        return self.subject is None

    def may_see(self, owner: str | None) -> bool:
        return self.sees_all or owner is None or owner == self.subject

    def may_change(self, owner: str | None) -> bool:
        return self.sees_all or owner == self.subject


@dataclass(frozen=True)
class DictionaryInfo:
    source_lang: str
    target_lang: str
    entry_count: int
    content_hash: str


@dataclass(frozen=True)
class GlossaryInfo:
    id: str
    name: str
    owner: str | None
    created_at: datetime
    dictionaries: list[DictionaryInfo] = field(default_factory=list)

    @property
    def entry_count(self) -> int:
        return sum(d.entry_count for d in self.dictionaries)


@dataclass(frozen=True)
class NewDictionary:
    source_lang: str
    target_lang: str
    entries: Sequence[Entry]


class GlossaryStore:
    def __init__(self, engine: Engine, *, max_per_owner: int = 1000) -> None:
        self.engine = engine
        self.max_per_owner = max_per_owner
        self._loaded: OrderedDict[str, tuple[Entry, ...]] = OrderedDict()  # content hash -> entries
        self._lock = threading.Lock()

    # -- writing --------------------------------------------------------------------------------
    def create(self, name: str, owner: str | None, dictionaries: Sequence[NewDictionary]) -> GlossaryInfo:
        """A new glossary, all its dictionaries and entries in one transaction."""
        pairs = [check_pair(d.source_lang, d.target_lang) for d in dictionaries]
        if len(set(pairs)) != len(pairs):
            raise GlossaryPairUnsupported("a glossary has one dictionary per language pair; two were given for "
                                          + ", ".join(f"{s}->{t}" for s, t in pairs if pairs.count((s, t)) > 1))
        new_id = str(uuid.uuid4())
        row = GlossaryRow(id=new_id, name=name, owner=owner, created_at=utcnow())
        with unit_of_work(self.engine, write=True) as s:
            held = s.scalar(select(func.count()).select_from(GlossaryRow).where(
                GlossaryRow.owner.is_(None) if owner is None else GlossaryRow.owner == owner)) or 0
            if held >= self.max_per_owner:
                raise TooManyGlossaries(f"{held} glossaries are stored for this key; the limit is {self.max_per_owner}"
                                        " (NEWSBRIDGE_GLOSSARY_MAX_PER_OWNER): delete one first",
                                        limit=self.max_per_owner)
            s.add(row)
            s.flush()
            for (src, tgt), d in zip(pairs, dictionaries, strict=True):
                self._write_dictionary(s, new_id, src, tgt, d.entries)
        return self.info(new_id, Viewer())

    def replace_dictionary(self, glossary_id: str, viewer: Viewer, source: str, target: str,
                           entries: Sequence[Entry]) -> GlossaryInfo:
        """Replace (or add) the dictionary of one pair with ``entries``."""
        src, tgt = check_pair(source, target)
        with unit_of_work(self.engine, write=True) as s:
            self._changeable(s, glossary_id, viewer)
            self._drop_dictionary(s, glossary_id, src, tgt)
            self._write_dictionary(s, glossary_id, src, tgt, entries)
        return self.info(glossary_id, viewer)

    def merge_dictionary(self, glossary_id: str, viewer: Viewer, source: str, target: str,
                         entries: Sequence[Entry], limit: int) -> GlossaryInfo:
        """DeepL v3 PATCH: add the entries to the pair's dictionary, replacing the targets of
        source terms it has already (a pair it lacks is created)."""
        from service.glossary_formats import Limits, validate_entries

        current = self._entries_of(glossary_id, viewer, source, target, missing_ok=True)
        merged = dict((e.source, e.target) for e in current)
        merged.update((e.source, e.target) for e in entries)
        rows = [(n, s_, t_) for n, (s_, t_) in enumerate(merged.items(), start=1)]
        return self.replace_dictionary(glossary_id, viewer, source, target,
                                       validate_entries(rows, Limits(max_entries=limit, max_term_chars=1 << 30)))

    def rename(self, glossary_id: str, viewer: Viewer, name: str) -> GlossaryInfo:
        with unit_of_work(self.engine, write=True) as s:
            self._changeable(s, glossary_id, viewer).name = name
        return self.info(glossary_id, viewer)

    def delete_dictionary(self, glossary_id: str, viewer: Viewer, source: str, target: str) -> None:
        src, tgt = check_pair(source, target)
        with unit_of_work(self.engine, write=True) as s:
            self._changeable(s, glossary_id, viewer)
            if not self._drop_dictionary(s, glossary_id, src, tgt):
                raise GlossaryNotFound(f"glossary {glossary_id} has no {src}->{tgt} dictionary", pair=f"{src}-{tgt}")

    def delete(self, glossary_id: str, viewer: Viewer) -> None:
        with unit_of_work(self.engine, write=True) as s:
            row = self._changeable(s, glossary_id, viewer)
            ids = select(GlossaryDictionaryRow.id).where(GlossaryDictionaryRow.glossary_id == row.id)
            s.execute(delete(GlossaryEntryRow).where(GlossaryEntryRow.dictionary_id.in_(ids)))
            s.execute(delete(GlossaryDictionaryRow).where(GlossaryDictionaryRow.glossary_id == row.id))
            s.delete(row)

    def _drop_dictionary(self, s: Session, glossary_id: str, src: str, tgt: str) -> bool:
        where = (GlossaryDictionaryRow.glossary_id == glossary_id, GlossaryDictionaryRow.source_lang == src,
                 GlossaryDictionaryRow.target_lang == tgt)
        s.execute(delete(GlossaryEntryRow).where(
            GlossaryEntryRow.dictionary_id.in_(select(GlossaryDictionaryRow.id).where(*where))))
        return bool(s.execute(delete(GlossaryDictionaryRow).where(*where)).rowcount)

    def _write_dictionary(self, s: Session, glossary_id: str, src: str, tgt: str, entries: Sequence[Entry]) -> None:
        d = GlossaryDictionaryRow(glossary_id=glossary_id, source_lang=src, target_lang=tgt, entry_count=len(entries),
                                  content_hash=content_hash(src, tgt, entries))
        s.add(d)
        s.flush()
        if entries:
            s.execute(insert(GlossaryEntryRow), [{"dictionary_id": d.id, "position": i, "source": e.source,
                                                  "target": e.target} for i, e in enumerate(entries)])

    def _changeable(self, s: Session, glossary_id: str, viewer: Viewer) -> GlossaryRow:
        row = self._row(s, glossary_id, viewer)
        if not viewer.may_change(row.owner):
            raise GlossaryForbidden(f"glossary {glossary_id} is a global glossary: it is changed on the server with "
                                    "`newsbridge glossary`, not through the API")
        return row

    # -- reading --------------------------------------------------------------------------------
    def _row(self, s: Session, glossary_id: str, viewer: Viewer) -> GlossaryRow:
        row = s.get(GlossaryRow, glossary_id) if _plausible(glossary_id) else None
        if row is None or not viewer.may_see(row.owner):
            raise GlossaryNotFound(f"no glossary {glossary_id}")
        return row

    def info(self, glossary_id: str, viewer: Viewer) -> GlossaryInfo:
        with unit_of_work(self.engine) as s:
            row = self._row(s, glossary_id, viewer)
            return self._info(s, [row])[0]

    def list(self, viewer: Viewer, *, own_only: bool = False) -> list[GlossaryInfo]:
        """The glossaries ``viewer`` sees (``own_only``: only those it may change), oldest first."""
        with unit_of_work(self.engine) as s:
            query = select(GlossaryRow).order_by(GlossaryRow.created_at, GlossaryRow.id)
            if not viewer.sees_all and own_only:
                query = query.where(GlossaryRow.owner == viewer.subject)
            elif not viewer.sees_all:
                query = query.where((GlossaryRow.owner.is_(None)) | (GlossaryRow.owner == viewer.subject))
            return self._info(s, list(s.scalars(query)))

    def _info(self, s: Session, rows: Sequence[GlossaryRow]) -> list[GlossaryInfo]:
        ids = [r.id for r in rows]
        dicts: dict[str, list[DictionaryInfo]] = {i: [] for i in ids}
        if ids:
            for d in s.scalars(select(GlossaryDictionaryRow).where(GlossaryDictionaryRow.glossary_id.in_(ids))
                               .order_by(GlossaryDictionaryRow.id)):
                dicts[d.glossary_id].append(DictionaryInfo(d.source_lang, d.target_lang, d.entry_count,
                                                           d.content_hash))
        return [GlossaryInfo(r.id, r.name, r.owner, r.created_at, dicts[r.id]) for r in rows]

    def entries(self, glossary_id: str, viewer: Viewer, source: str | None = None,
                target: str | None = None) -> TermDictionary:
        """The entries of one dictionary: the pair given, or the glossary's only one."""
        info = self.info(glossary_id, viewer)
        if source is None or target is None:
            if len(info.dictionaries) != 1:
                raise GlossaryNotFound(f"glossary {glossary_id} has {len(info.dictionaries)} dictionaries; name the "
                                       "pair (source_lang, target_lang)")
            d = info.dictionaries[0]
        else:
            src, tgt = check_pair(source, target)
            found = [d for d in info.dictionaries if (d.source_lang, d.target_lang) == (src, tgt)]
            if not found:
                raise GlossaryNotFound(f"glossary {glossary_id} has no {src}->{tgt} dictionary", pair=f"{src}-{tgt}")
            d = found[0]
        return TermDictionary(d.source_lang, d.target_lang, self._load(glossary_id, d), d.content_hash)

    def _entries_of(self, glossary_id: str, viewer: Viewer, source: str, target: str,
                    missing_ok: bool = False) -> tuple[Entry, ...]:
        try:
            return self.entries(glossary_id, viewer, source, target).entries
        except GlossaryNotFound as exc:
            if missing_ok and exc.extra.get("pair"):
                return ()
            raise

    def resolve(self, glossary_id: str, viewer: Viewer) -> Glossary:
        """The glossary with its entries, for a translation (entries loaded once per content)."""
        info = self.info(glossary_id, viewer)
        dictionaries = tuple(TermDictionary(d.source_lang, d.target_lang, self._load(glossary_id, d), d.content_hash)
                             for d in info.dictionaries)
        return Glossary(info.id, info.name, info.owner, dictionaries)

    def _load(self, glossary_id: str, d: DictionaryInfo) -> tuple[Entry, ...]:
        with self._lock:
            found = self._loaded.get(d.content_hash)
            if found is not None:
                self._loaded.move_to_end(d.content_hash)
                return found
        with unit_of_work(self.engine) as s:
            dict_id = s.scalar(select(GlossaryDictionaryRow.id).where(
                GlossaryDictionaryRow.glossary_id == glossary_id, GlossaryDictionaryRow.source_lang == d.source_lang,
                GlossaryDictionaryRow.target_lang == d.target_lang))
            rows = s.execute(select(GlossaryEntryRow.source, GlossaryEntryRow.target)
                             .where(GlossaryEntryRow.dictionary_id == dict_id).order_by(GlossaryEntryRow.position))
            entries = tuple(Entry(a, b) for a, b in rows)
        with self._lock:
            self._loaded[d.content_hash] = entries
            while len(self._loaded) > 64:
                self._loaded.popitem(last=False)
        return entries


def _plausible(glossary_id: str) -> bool:
    return 0 < len(glossary_id) <= ID_CHARS


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(value) == ID_CHARS


_STORES: dict[tuple[int, str], GlossaryStore] = {}
_STORES_LOCK = threading.Lock()


def glossary_store_for(settings: object) -> GlossaryStore:
    """The process-wide store over ``settings.database_url`` (its schema checked once);
    raises ``GlossariesUnavailable`` when the database cannot hold glossaries."""
    from service.errors import GlossariesUnavailable
    from service.storage.db import DatabaseUnavailable, ensure_schema, get_engine

    url = str(settings.database_url)  # type: ignore[attr-defined]
    key = (os.getpid(), url)
    with _STORES_LOCK:
        found = _STORES.get(key)
        if found is not None:
            return found
        try:
            engine = get_engine(url)
            ensure_schema(engine)
        except DatabaseUnavailable as exc:
            raise GlossariesUnavailable(f"glossaries are unavailable: {exc}") from None
        store = _STORES[key] = GlossaryStore(engine, max_per_owner=settings.glossary_max_per_owner)  # type: ignore[attr-defined]
        return store
