"""One chunk of records -> one output line per record, and the engines that map chunks.

``process_chunk`` is the unit of work of every engine: the local one here, the Ray actors of
``service.batch.ray_engine`` and the HTTP jobs. It never raises for a single bad record; a
record that cannot be translated becomes an error line.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from service.batch.records import BrokenInput, Record
from service.pipeline.results import Document, DocumentResult
from service.views import batch_record, error_record, expected, problem_of
from translators.text.terms import Glossary

if TYPE_CHECKING:
    from service.engines import Engines
    from service.settings import Settings

log = logging.getLogger(__name__)

# Builds a run's engines from its settings: once per engine (the local one, each Ray actor, which
# receives the factory and the settings pickled: it reads no environment of its own).
EnginesFactory = Callable[["Settings"], "Engines"]


@dataclass
class Outcome:
    """One output line and what the summary counts of it."""

    line: str
    error: bool
    cache_hits: int = 0


def _error_outcome(rec: Record, type_: str, detail: str) -> Outcome:
    return Outcome(json.dumps(error_record(rec.id, rec.line, type_, detail), ensure_ascii=False), error=True)


def _success_body(rec: Record, result: DocumentResult, engines: Engines, summarize: bool) -> dict[str, Any]:
    summary = None
    if summarize:
        summary = engines.pipeline.summarize(result)
    return batch_record(rec.id, rec.line, result, summary, rec.warnings)


def _alone(engines: Engines, doc: Document) -> DocumentResult | Exception:
    try:
        return engines.pipeline.translate_documents([doc])[0]
    except Exception as exc:
        return exc


def _translate(engines: Engines, docs: Sequence[Document]) -> list[DocumentResult | Exception]:
    """The whole chunk in shared batches. A failure that is not the record's own (a model
    error hits every record of its batch) is retried record by record, so that one poison
    record cannot take its chunk down."""
    try:
        results = engines.pipeline.translate_documents(docs)
    except Exception:
        log.exception("a chunk failed as a whole; translating its records one by one")
        return [_alone(engines, d) for d in docs]
    if len(docs) > 1:
        for i, r in enumerate(results):
            if isinstance(r, Exception) and not expected(r):
                results[i] = _alone(engines, docs[i])
    return results


def process_chunk(engines: Engines, records: Sequence[Record], target_lang: str,
                  summarize: bool, quality: str = "best") -> list[Outcome]:
    """Translate a chunk of records through one ``translate_documents`` call (``quality``: the
    model tier, best or fast); one outcome per record, in order. Nothing here raises for a single
    bad record."""
    glossaries = _glossaries(engines, records)
    for r in records:
        if r.error is None and isinstance(glossaries.get(_glossary_key(r)), Exception):
            problem = problem_of(glossaries[_glossary_key(r)], reveal=True)
            r.error = (problem.type, problem.detail)
    todo = [r for r in records if r.error is None]
    docs = [Document(r.text or "", r.source_lang, target_lang, r.format, quality=quality,  # type: ignore[arg-type]
                     glossary=glossaries.get(_glossary_key(r))) for r in todo]  # type: ignore[arg-type]
    results = dict(zip(map(id, todo), _translate(engines, docs), strict=True)) if docs else {}
    outcomes: list[Outcome] = []
    for rec in records:
        if rec.error is not None:
            outcomes.append(_error_outcome(rec, *rec.error))
            continue
        result = results[id(rec)]
        if not isinstance(result, Exception):
            try:
                body = _success_body(rec, result, engines, summarize)
            except Exception as exc:  # e.g. the summarizer failed on this record
                result = exc
            else:
                outcomes.append(Outcome(json.dumps(body, ensure_ascii=False), False, result.cache_hits))
                continue
        problem = problem_of(result, reveal=True)
        if problem.internal:
            log.error("record %s failed", rec.id, exc_info=result)
        outcomes.append(_error_outcome(rec, problem.type, problem.detail))
    return outcomes


def _glossary_key(rec: Record) -> tuple[str, str | None] | None:
    return (rec.glossary, rec.glossary_viewer) if rec.glossary else None


def _glossaries(engines: Engines, records: Sequence[Record]) -> dict[Any, Glossary | Exception]:
    """The glossaries the chunk's records name, resolved once each (an unknown id: its error)."""
    wanted = {_glossary_key(r) for r in records if r.error is None and r.glossary}
    if not wanted:
        return {}
    from service.storage.glossary_store import Viewer, glossary_store_for

    out: dict[Any, Glossary | Exception] = {}
    for key in wanted:
        assert key is not None
        try:
            out[key] = glossary_store_for(engines.settings).resolve(key[0], Viewer(key[1]))
        except Exception as exc:  # reported on each record that names it
            out[key] = exc
    return out


# ----------------------------------------------------------------------------- engines


@dataclass
class EngineStats:
    """What an engine reports after a run."""

    actors: int = 1  # engine instances started (Ray: actors, replacements included)
    model_loads: int = 0  # models loaded by them, all together (once per pair per actor)
    lost: int = 0  # Ray actors that died; their chunks were sent elsewhere
    retried_chunks: int = 0
    nodes: Counter[str] = field(default_factory=Counter)  # node id -> chunks it translated
    worker_peak_rss_mib: float = 0.0  # Ray: the largest actor's peak RSS


class ChunkEngine(Protocol):
    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        """Outcomes of each chunk, in input order; consumes ``chunks`` lazily."""
        ...

    def collect_stats(self) -> EngineStats: ...

    def close(self) -> None: ...


def batch_engines(settings: Settings) -> Engines:
    """The engines of a batch run: as the service builds them, without request coalescing."""
    from service.engines import build_engines

    return build_engines(settings, coalesce=False)


class LocalEngine:
    """One process: the models are loaded once and each chunk is one ``translate_documents``."""

    def __init__(self, factory: EnginesFactory, settings: Settings, target_lang: str, summarize: bool,
                 quality: str = "best") -> None:
        from translators.pair_models import model_loads

        self._loads_before = model_loads()
        self.engines = factory(settings)
        self.target_lang = target_lang
        self.summarize = summarize
        self.quality = quality
        self.stats = EngineStats()

    def map_chunks(self, chunks: Iterable[list[Record]]) -> Iterator[list[Outcome]]:
        for chunk in chunks:
            yield process_chunk(self.engines, chunk, self.target_lang, self.summarize, self.quality)
            self.stats.nodes["local"] += 1

    def collect_stats(self) -> EngineStats:
        from translators.pair_models import model_loads

        self.stats.model_loads = model_loads() - self._loads_before
        return self.stats

    def close(self) -> None:
        pass


def chunked(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    """Lists of ``size`` records; when the input breaks, the records read so far come first."""
    while True:
        chunk: list[Record] = []
        try:
            chunk.extend(islice(records, size))
        except BrokenInput:
            if chunk:
                yield chunk
            raise
        if not chunk:
            return
        yield chunk
