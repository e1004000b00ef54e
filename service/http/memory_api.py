"""``/v1/memory``: the translation memory over HTTP (entries, their history, TMX in and out).

Who may do what (the key's role, ``newsbridge keys create --role``; with no key configured the
API is open and anyone is an editor):

- any key: read, search, export; store *suggested* entries; edit or withdraw its own suggestions;
- ``editor``: store *approved* entries, edit or delete any entry, approve or reject suggestions,
  import a TMX as approved.

An approved entry serves its sentence from the next request on, in every path (``/v1``, the
DeepL and LibreTranslate dialects, batch, jobs): the pipeline looks it up before the cache.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.errors import Forbidden, InvalidRequest, MemoryUnavailable, RequestTooLarge
from service.http.access import Principal
from service.http.schemas import SCOPE_PATTERN, MemoryCreate, MemoryUpdate
from service.http.state import RunningDep, state_of
from service.responses import (
    MemoryAccessModel,
    MemoryEntryModel,
    MemoryHistoryModel,
    MemoryImportReport,
    MemoryPage,
    MemoryRevisionModel,
)
from service.storage.memory_store import MemoryEntry, TranslationMemory
from translators.base import Lang

router = APIRouter(prefix="/v1/memory", tags=["memory"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown API key (problem details)"},
    403: {"description": "The key's role does not allow this: `forbidden` (problem details)"},
    404: {"description": "No such entry: `memory_entry_not_found` (problem details)"},
    409: {"description": "Another approved entry has that source: `memory_conflict` (problem details)"},
    413: {"description": "A segment or a TMX over its size limit (problem details)"},
    422: {"description": "Empty segment, unsupported language, invalid TMX or request (problem details)"},
    503: {"description": "Translation memory switched off or its database unavailable (problem details)"},
}
TMX_MEDIA_TYPE = "application/x-tmx+xml"


def principal_of(request: Request) -> Principal:
    """Who is asking (the access gate put it there); the open API's anonymous editor otherwise."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else Principal("anonymous", None, None)


async def get_memory(running: RunningDep) -> TranslationMemory:
    engines = running.engines
    if engines.memory is None:
        raise MemoryUnavailable("the translation memory is switched off (NEWSBRIDGE_MEMORY_ENABLED=false)")
    return engines.memory


MemoryDep = Annotated[TranslationMemory, Depends(get_memory)]


def entry_model(e: MemoryEntry) -> MemoryEntryModel:
    return MemoryEntryModel(id=e.id, source_lang=e.source_lang, target_lang=e.target_lang,  # type: ignore[arg-type]
                            source=e.source, target=e.target, status=e.status, origin=e.origin,  # type: ignore[arg-type]
                            scope=e.scope, created_by=e.created_by, created_at=e.created_at,
                            updated_by=e.updated_by, updated_at=e.updated_at, note=e.note)


def _must_approve(who: Principal, what: str) -> None:
    if not who.may_approve:
        raise Forbidden(f"the key {who.name or who.subject!r} has the role {who.role!r}: it may suggest "
                        f"(status \"suggested\"), an editor's key may {what}")


def _may_change(who: Principal, entry: MemoryEntry, what: str) -> None:
    """Editors change anything; others only their own suggestions."""
    if who.may_approve or (entry.status == "suggested" and who.name is not None and entry.created_by == who.name):
        return
    _must_approve(who, what)


@router.get("/me", response_model=MemoryAccessModel, responses=PROBLEMS)
async def memory_access(request: Request) -> MemoryAccessModel:
    """What the calling key may do with the translation memory (the editor page asks)."""
    who = principal_of(request)
    return MemoryAccessModel(name=who.name, role=who.role, may_approve=who.may_approve)  # type: ignore[arg-type]


@router.post("", response_model=MemoryEntryModel, status_code=201, responses={
    200: {"description": "An approved entry for that source existed: its target was replaced (history kept)",
          "model": MemoryEntryModel}, **PROBLEMS})
async def create_entry(body: MemoryCreate, request: Request, response: Response,
                       memory: MemoryDep) -> MemoryEntryModel:
    """Store a correction (`approved`, editors) or a suggestion (`suggested`, any key)."""
    who = principal_of(request)
    if body.status == "approved":
        _must_approve(who, "store approved entries")
    entry, created = await run_in_threadpool(
        memory.add, body.source_lang, body.target_lang, body.source, body.target, status=body.status,
        origin=body.origin, who=who.name, scope=body.scope, note=body.note)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/memory/{entry.id}"
    return entry_model(entry)


@router.get("", response_model=MemoryPage, responses=PROBLEMS)
async def list_entries(memory: MemoryDep, source_lang: Lang | None = None, target_lang: Lang | None = None,
                       status: Literal["approved", "suggested"] | None = None,
                       scope: Annotated[str | None, Query(pattern=SCOPE_PATTERN)] = None,
                       q: Annotated[str | None, Query(max_length=200, description="A piece of the source or target")]
                       = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> MemoryPage:
    """Entries, newest first, a page at a time; `status=suggested` lists the suggestions waiting."""
    page = await run_in_threadpool(memory.search, source_lang=source_lang, target_lang=target_lang, status=status,
                                   scope=scope, q=q, limit=limit, offset=offset)
    return MemoryPage(entries=[entry_model(e) for e in page.entries], total=page.total, limit=limit, offset=offset)


@router.get("/export", responses={200: {"content": {TMX_MEDIA_TYPE: {}}, "description": "A TMX 1.4b document"},
                                   **PROBLEMS})
async def export_tmx(memory: MemoryDep, source_lang: Lang | None = None, target_lang: Lang | None = None,
                     status: Literal["approved", "suggested"] | None = None,
                     scope: Annotated[str | None, Query(pattern=SCOPE_PATTERN)] = None) -> StreamingResponse:
    """The memory (or the part the filters select) as TMX 1.4b, streamed."""
    from service.storage.tmx import write_tmx

    entries = memory.iter_entries(source_lang=source_lang, target_lang=target_lang, status=status, scope=scope)
    return StreamingResponse(write_tmx(entries, srclang=source_lang), media_type=TMX_MEDIA_TYPE,
                             headers={"Content-Disposition": 'attachment; filename="newsbridge-memory.tmx"'})


@router.post("/import", response_model=MemoryImportReport, responses=PROBLEMS, openapi_extra={
    "requestBody": {"required": True, "content": {TMX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}})
async def import_tmx(request: Request, memory: MemoryDep,
                     status: Literal["approved", "suggested"] = "approved",
                     scope: Annotated[str | None, Query(pattern=SCOPE_PATTERN)] = None) -> MemoryImportReport:
    """Import a TMX file (the request body). Every entry is checked first: one bad segment and
    nothing is written. Units the file marks as suggestions stay suggestions."""
    who = principal_of(request)
    if status == "approved":
        _must_approve(who, "import approved entries (import with ?status=suggested)")
    limit = state_of(request.app).settings.memory_max_import_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise RequestTooLarge(f"the TMX has {int(length)} bytes; the limit is {limit} "
                              "(NEWSBRIDGE_MEMORY_MAX_IMPORT_BYTES): split it, or use `newsbridge memory import`")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise RequestTooLarge(f"the TMX is over the limit of {limit} bytes (NEWSBRIDGE_MEMORY_MAX_IMPORT_BYTES): "
                                  "split it, or use `newsbridge memory import`")
    if not data.strip():
        raise InvalidRequest("the request body is empty: send the TMX file as the body")
    from service.storage.tmx import read_tmx

    content = await run_in_threadpool(read_tmx, bytes(data))
    report = await run_in_threadpool(memory.import_many, content.entries, status=status, origin="tmx",
                                     who=who.name, scope=scope)
    return MemoryImportReport(units=content.units, entries=len(content.entries), created=report.created,
                              updated=report.updated, unchanged=report.unchanged,
                              languages=dict(content.languages), skipped=dict(content.skipped))


@router.get("/{entry_id}", response_model=MemoryEntryModel, responses=PROBLEMS)
async def get_entry(entry_id: int, memory: MemoryDep) -> MemoryEntryModel:
    return entry_model(await run_in_threadpool(memory.get, entry_id))


@router.get("/{entry_id}/history", response_model=MemoryHistoryModel, responses=PROBLEMS)
async def entry_history(entry_id: int, memory: MemoryDep) -> MemoryHistoryModel:
    """Every state the entry went through (edits keep the previous target), newest first."""
    revisions = await run_in_threadpool(memory.history, entry_id)
    return MemoryHistoryModel(id=entry_id, history=[
        MemoryRevisionModel(action=r.action, source=r.source, target=r.target, status=r.status,  # type: ignore[arg-type]
                            scope=r.scope, who=r.who, at=r.at) for r in revisions])


@router.put("/{entry_id}", response_model=MemoryEntryModel, responses=PROBLEMS)
async def update_entry(entry_id: int, body: MemoryUpdate, request: Request, memory: MemoryDep) -> MemoryEntryModel:
    """Change an entry's target (or source, or scope); its history keeps the previous state."""
    who = principal_of(request)
    if body.source is None and body.target is None and body.scope is None:
        raise InvalidRequest("nothing to change: give target, source or scope")
    current = await run_in_threadpool(memory.get, entry_id)
    _may_change(who, current, "edit this entry")
    kwargs: dict[str, Any] = {"target": body.target, "source": body.source}
    if body.scope is not None:
        kwargs["scope"] = body.scope or None
    return entry_model(await run_in_threadpool(lambda: memory.update(entry_id, who=who.name, **kwargs)))


@router.delete("/{entry_id}", status_code=204, responses=PROBLEMS)
async def delete_entry(entry_id: int, request: Request, memory: MemoryDep) -> Response:
    """Delete an entry: from the next request on, its sentences are translated by the model again."""
    who = principal_of(request)
    current = await run_in_threadpool(memory.get, entry_id)
    _may_change(who, current, "delete this entry")
    await run_in_threadpool(lambda: memory.delete(entry_id, who=who.name))
    return Response(status_code=204)


@router.post("/{entry_id}/approve", response_model=MemoryEntryModel, responses=PROBLEMS)
async def approve_entry(entry_id: int, request: Request, memory: MemoryDep) -> MemoryEntryModel:
    """Approve a suggestion: it serves its sentence from the next request on. Where an approved
    entry for that source exists, that entry takes the suggestion's target (and is returned)."""
    who = principal_of(request)
    _must_approve(who, "approve suggestions")
    return entry_model(await run_in_threadpool(lambda: memory.approve(entry_id, who=who.name)))


@router.post("/{entry_id}/reject", status_code=204, responses=PROBLEMS)
async def reject_entry(entry_id: int, request: Request, memory: MemoryDep) -> Response:
    """Reject a suggestion (deleted; its history says who rejected it)."""
    who = principal_of(request)
    _must_approve(who, "reject suggestions")
    await run_in_threadpool(lambda: memory.reject(entry_id, who=who.name))
    return Response(status_code=204)
