"""``/v1/glossaries``: glossaries and do-not-translate lists, per API key (or global).

Create from JSON entries (a list of ``{source, target}``, an object, or a TSV/CSV text with
``entries_format``) or from an uploaded TSV/CSV file (multipart: ``file`` plus ``name``,
``source_lang``, ``target_lang``); list, get, get the entries (JSON, or ``format=tsv|csv``),
replace the entries, delete. With API keys configured, a key sees its own glossaries and the
global ones (made with ``newsbridge glossary import``) and changes only its own; another key's
glossary is a 404. Limits: ``NEWSBRIDGE_GLOSSARY_MAX_ENTRIES`` (413),
``NEWSBRIDGE_GLOSSARY_MAX_TERM_CHARS`` (400), ``NEWSBRIDGE_GLOSSARY_MAX_PER_OWNER`` (409).
"""

from __future__ import annotations

import json
import logging
from pathlib import PurePath
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from service.errors import GlossariesUnavailable, InvalidGlossary, InvalidRequest
from service.glossary_formats import FORMATS, Limits, parse_entries, to_csv, to_tsv, validate_entries
from service.http.problems import PROBLEM_JSON
from service.http.schemas import GlossaryCreateRequest, GlossaryEntriesIn
from service.http.state import state_of
from service.responses import (
    GlossaryDictionaryModel,
    GlossaryEntriesModel,
    GlossaryEntryModel,
    GlossaryListResponse,
    GlossaryModel,
)
from service.settings import Settings
from service.storage.glossary_store import GlossaryInfo, GlossaryStore, NewDictionary, Viewer, check_pair
from translators.text.terms import Entry, Glossary

__all__ = ["build_glossaries", "glossary_model", "resolve_glossary", "router", "viewer_of"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["glossaries"])


def _problems(**statuses: str) -> dict[int | str, dict[str, Any]]:
    """Error responses as the OpenAPI document declares them: problem details (``s404="..."``)."""
    return {int(k[1:]): {"description": f"{v} (problem details)", "content": {PROBLEM_JSON: {}}}
            for k, v in statuses.items()}


PROBLEMS = _problems(s401="No or unknown API key", s404="Unknown glossary (or another key's): `glossary_not_found`",
                     s422="Invalid request", s503="Glossaries unavailable: `glossaries_unavailable`")
CHANGE_PROBLEMS = {**PROBLEMS, **_problems(
    s400="Invalid entries or file: `invalid_glossary`", s403="A global glossary: `glossary_forbidden`",
    s409="Too many glossaries: `too_many_glossaries`", s413="Too many entries: `glossary_too_large`",
    s422="Unsupported language pair or invalid request")}

_UPLOAD_BODY = {"requestBody": {"content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/GlossaryCreateRequest"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "TSV or CSV (by suffix, or entries_format)"},
        "name": {"type": "string"}, "source_lang": {"type": "string"}, "target_lang": {"type": "string"},
        "entries_format": {"type": "string", "enum": list(FORMATS)}}}}}}}


def build_glossaries(settings: Settings) -> GlossaryStore | None:
    """The app's glossary store (None, logged, when the database cannot hold glossaries)."""
    from service.storage.glossary_store import glossary_store_for

    try:
        return glossary_store_for(settings)
    except GlossariesUnavailable as exc:
        log.error("glossaries unavailable", extra={"error": exc.detail})
        return None


def store_of(request: Request) -> GlossaryStore:
    store = state_of(request.app).ready().glossaries
    if store is None:
        raise GlossariesUnavailable("glossaries are unavailable: the database could not be opened (see the log)")
    return store


def viewer_of(principal: Any) -> Viewer:
    """An API key sees its own and the global glossaries; with the API open, everyone sees all."""
    subject = getattr(principal, "subject", None)
    if not subject or subject.startswith("addr:"):
        return Viewer(None)
    return Viewer(subject)


def limits_of(settings: Settings) -> Limits:
    return Limits(max_entries=settings.glossary_max_entries, max_term_chars=settings.glossary_max_term_chars)


def resolve_glossary(request: Request, glossary_id: str | None, principal: Any = None) -> Glossary | None:
    """The glossary a translation request names (blocking: call it from a worker thread)."""
    if not glossary_id:
        return None
    who = principal if principal is not None else getattr(request.state, "principal", None)
    return store_of(request).resolve(glossary_id, viewer_of(who))


def glossary_model(info: GlossaryInfo) -> GlossaryModel:
    only = info.dictionaries[0] if len(info.dictionaries) == 1 else None
    return GlossaryModel(
        id=info.id, name=info.name, owner=info.owner, source_lang=only.source_lang if only else None,  # type: ignore[arg-type]
        target_lang=only.target_lang if only else None, entry_count=info.entry_count,  # type: ignore[arg-type]
        content_hash=only.content_hash if only else None, created_at=info.created_at.isoformat(),
        dictionaries=[GlossaryDictionaryModel(source_lang=d.source_lang, target_lang=d.target_lang,  # type: ignore[arg-type]
                                              entry_count=d.entry_count, content_hash=d.content_hash)
                      for d in info.dictionaries])


# ----------------------------------------------------------------------------- reading requests


async def _read_body(request: Request, model: type[GlossaryEntriesIn]) -> tuple[GlossaryEntriesIn, str | None]:
    """The request's entries spec: JSON, or a multipart upload (then the file's name)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidRequest("the multipart upload needs a `file` field with the TSV or CSV entries")
        data = await upload.read()
        filename = upload.filename or ""
        fmt = str(form.get("entries_format") or "") or ("tsv" if PurePath(filename).suffix.lower() == ".tsv" else "csv")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidGlossary(f"the uploaded file is not UTF-8 (byte {exc.start})") from None
        fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "entries_format"}
        fields.update(entries=text, entries_format=fmt)
        if model is GlossaryCreateRequest and not fields.get("name"):
            fields["name"] = PurePath(filename).stem or "glossary"
        return _validated(model, fields), filename
    try:
        data = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise InvalidRequest(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the body must be a JSON object (or a multipart upload with a `file`)")
    return _validated(model, data), None


def _validated(model: type[GlossaryEntriesIn], data: dict[str, Any]) -> GlossaryEntriesIn:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidRequest(detail) from None


def _entries(spec: GlossaryEntriesIn, source: str, target: str, limits: Limits) -> list[Entry]:
    if isinstance(spec.entries, str):
        return parse_entries(spec.entries, spec.entries_format or "tsv", source, target, limits)
    if isinstance(spec.entries, dict):
        rows = [(n, s, t) for n, (s, t) in enumerate(spec.entries.items(), start=1)]
    else:
        rows = [(n, e.source, e.target) for n, e in enumerate(spec.entries, start=1)]
    return validate_entries(rows, limits)


# ----------------------------------------------------------------------------- routes


@router.post("/v1/glossaries", status_code=201, response_model=GlossaryModel, openapi_extra=_UPLOAD_BODY,
             summary="Create a glossary (JSON entries or an uploaded TSV/CSV file)",
             responses=CHANGE_PROBLEMS)
async def create_glossary(request: Request) -> JSONResponse:
    store = store_of(request)
    spec, _ = await _read_body(request, GlossaryCreateRequest)
    assert isinstance(spec, GlossaryCreateRequest)
    if spec.source_lang is None or spec.target_lang is None:
        raise InvalidRequest("give source_lang and target_lang")
    source, target = check_pair(spec.source_lang, spec.target_lang)
    entries = _entries(spec, source, target, limits_of(state_of(request.app).settings))
    owner = viewer_of(getattr(request.state, "principal", None)).subject
    info = await run_in_threadpool(store.create, spec.name.strip() or "glossary", owner,
                                   [NewDictionary(source, target, entries)])
    return JSONResponse(glossary_model(info).model_dump(mode="json"), status_code=201,
                        headers={"Location": f"/v1/glossaries/{info.id}"})


@router.get("/v1/glossaries", response_model=GlossaryListResponse, summary="Glossaries this key may use",
            responses=PROBLEMS)
async def list_glossaries(request: Request) -> GlossaryListResponse:
    infos = await run_in_threadpool(store_of(request).list, viewer_of(getattr(request.state, "principal", None)))
    return GlossaryListResponse(glossaries=[glossary_model(i) for i in infos])


@router.get("/v1/glossaries/{glossary_id}", response_model=GlossaryModel, summary="A glossary",
            responses=PROBLEMS)
async def get_glossary(request: Request, glossary_id: str) -> GlossaryModel:
    viewer = viewer_of(getattr(request.state, "principal", None))
    return glossary_model(await run_in_threadpool(store_of(request).info, glossary_id, viewer))


@router.get("/v1/glossaries/{glossary_id}/entries", response_model=GlossaryEntriesModel,
            summary="A glossary's entries (JSON, or format=tsv|csv)",
            responses={200: {"content": {"text/tab-separated-values": {}, "text/csv": {}}}, **PROBLEMS})
async def get_entries(request: Request, glossary_id: str, source_lang: str | None = None,
                      target_lang: str | None = None, format: Literal["json", "tsv", "csv"] = "json") -> Response:
    viewer = viewer_of(getattr(request.state, "principal", None))
    d = await run_in_threadpool(store_of(request).entries, glossary_id, viewer, source_lang, target_lang)
    if format == "tsv":
        return Response(to_tsv(d.entries), media_type="text/tab-separated-values; charset=utf-8")
    if format == "csv":
        return Response(to_csv(d.entries, d.source_lang, d.target_lang), media_type="text/csv; charset=utf-8")
    return JSONResponse(GlossaryEntriesModel(
        source_lang=d.source_lang, target_lang=d.target_lang, content_hash=d.content_hash,  # type: ignore[arg-type]
        entries=[GlossaryEntryModel(source=e.source, target=e.target) for e in d.entries]).model_dump())


@router.put("/v1/glossaries/{glossary_id}/entries", response_model=GlossaryModel,
            openapi_extra={"requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/GlossaryEntriesIn"}},
                "multipart/form-data": _UPLOAD_BODY["requestBody"]["content"]["multipart/form-data"]}}},
            summary="Replace the entries of one language pair (all of them, in one transaction)",
            responses=CHANGE_PROBLEMS)
async def replace_entries(request: Request, glossary_id: str) -> GlossaryModel:
    store = store_of(request)
    viewer = viewer_of(getattr(request.state, "principal", None))
    spec, _ = await _read_body(request, GlossaryEntriesIn)
    source, target = spec.source_lang, spec.target_lang
    if source is None or target is None:
        info = await run_in_threadpool(store.info, glossary_id, viewer)
        if len(info.dictionaries) != 1:
            raise InvalidRequest("this glossary has several language pairs: give source_lang and target_lang")
        source, target = info.dictionaries[0].source_lang, info.dictionaries[0].target_lang  # type: ignore[assignment]
    source, target = check_pair(source, target)  # type: ignore[arg-type,assignment]
    entries = _entries(spec, source, target, limits_of(state_of(request.app).settings))
    info = await run_in_threadpool(store.replace_dictionary, glossary_id, viewer, source, target, entries)
    return glossary_model(info)


@router.delete("/v1/glossaries/{glossary_id}", status_code=204, summary="Delete a glossary",
               responses={204: {"description": "Deleted"}, **CHANGE_PROBLEMS})
async def delete_glossary(request: Request, glossary_id: str) -> Response:
    viewer = viewer_of(getattr(request.state, "principal", None))
    await run_in_threadpool(store_of(request).delete, glossary_id, viewer)
    return Response(status_code=204)
