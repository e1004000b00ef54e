"""DeepL's glossary endpoints, as the DeepL API documents them and its SDKs call them.

v2 (one language pair per glossary): ``POST/GET /v2/glossaries``, ``GET/DELETE
/v2/glossaries/{id}``, ``GET /v2/glossaries/{id}/entries`` (TSV), ``GET
/v2/glossary-language-pairs``. v3 (multilingual: one dictionary per pair): ``POST/GET
/v3/glossaries``, ``GET/PATCH/DELETE /v3/glossaries/{id}``, ``GET /v3/glossaries/{id}/entries``,
``PUT/DELETE /v3/glossaries/{id}/dictionaries``. The same glossaries as ``/v1/glossaries``
(``service.storage.glossary_store``), owned by the DeepL key that made them.

Errors in DeepL's shape ``{"message": ..., "detail": ...}`` with its statuses: 400 bad entries
or an unsupported pair, 404 an unknown glossary (or another key's), 413 too many entries, 403 a
global glossary changed through the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import regex
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from service.glossary_formats import FORMATS, parse_entries, to_tsv
from service.http.access import Access
from service.http.clients import client_address
from service.http.compat_common import Params, answer, running_of
from service.http.compat_deepl import DeepLError, _credential, _denied, glossary_error, valid_id
from service.http.glossaries import limits_of, store_of, viewer_of
from service.storage.glossary_store import GlossaryInfo, NewDictionary, Viewer, check_pair, glossary_pairs

__all__ = ["router"]

router = APIRouter(tags=["DeepL-compatible"])
TSV = "text/tab-separated-values; charset=utf-8"


async def _answer(request: Request, handler: Callable[[Params], Awaitable[Any]]) -> Response:
    return await answer(request, handler, key="message", denied=_denied, from_error=glossary_error)


async def _viewer(request: Request, params: Params) -> Viewer:
    access: Access = running_of(request).access
    principal = await run_in_threadpool(access.authenticate, _credential(request, params),
                                        client_address(request, access.settings))
    return viewer_of(principal)


def _time(value: datetime) -> str:
    """DeepL's timestamps (``2021-08-03T14:16:18.329Z``: the SDKs parse exactly this)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _v2(info: GlossaryInfo) -> dict[str, Any]:
    d = info.dictionaries[0]
    return {"glossary_id": info.id, "name": info.name, "ready": True, "source_lang": d.source_lang,
            "target_lang": d.target_lang, "creation_time": _time(info.created_at), "entry_count": d.entry_count}


def _v3(info: GlossaryInfo) -> dict[str, Any]:
    return {"glossary_id": info.id, "name": info.name, "creation_time": _time(info.created_at),
            "dictionaries": [{"source_lang": d.source_lang, "target_lang": d.target_lang,
                              "entry_count": d.entry_count} for d in info.dictionaries]}


def _lang(params: Params | dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not value or not isinstance(value, str):
        raise DeepLError(400, f"Missing or invalid argument: {name}")
    return value.strip().lower().split("-")[0]


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DeepLError(400, "Missing or invalid argument: name")
    if len(value) > 1024:
        raise DeepLError(400, "Invalid glossary name", detail="the name has more than 1024 characters")
    return value


def _format(value: Any) -> str:
    fmt = str(value or "tsv").strip().lower()
    if fmt not in FORMATS:
        raise DeepLError(400, "Value for 'entries_format' not supported.")
    return fmt


def _dictionary(request: Request, spec: Params | dict[str, Any]) -> NewDictionary:
    source, target = check_pair(_lang(spec, "source_lang"), _lang(spec, "target_lang"))
    entries = spec.get("entries")
    if not isinstance(entries, str) or not entries.strip():
        raise DeepLError(400, "Missing or invalid argument: entries")
    parsed = parse_entries(entries, _format(spec.get("entries_format")), source, target,
                           limits_of(running_of(request).settings))
    return NewDictionary(source, target, parsed)


_FORM_DICT = regex.compile(r"dictionaries\[(\d+)\]\.(\w+)")


def _dictionaries(request: Request, params: Params, required: bool = True) -> list[NewDictionary]:
    """``dictionaries``: a JSON list, or form fields ``dictionaries[0].source_lang``, ... (the
    form deepl-node sends)."""
    given = params.getlist("dictionaries")
    if not given:
        fields: dict[int, dict[str, Any]] = {}
        for name in params.names():
            m = _FORM_DICT.fullmatch(name)
            if m:
                fields.setdefault(int(m[1]), {})[m[2]] = params.get(name)
        given = [fields[i] for i in sorted(fields)]
    if not given:
        if required:
            raise DeepLError(400, "Missing or invalid argument: dictionaries")
        return []
    if not all(isinstance(d, dict) for d in given):
        raise DeepLError(400, "Missing or invalid argument: dictionaries")
    return [_dictionary(request, d) for d in given]


# ----------------------------------------------------------------------------- v2


@router.get("/v2/glossary-language-pairs", summary="Glossary language pairs (DeepL API v2-compatible)")
async def deepl_glossary_pairs(request: Request) -> Response:
    """`{"supported_languages": [{"source_lang", "target_lang"}]}`: every pair of different languages."""

    async def handle(params: Params) -> dict[str, Any]:
        await _viewer(request, params)
        return {"supported_languages": [{"source_lang": s, "target_lang": t} for s, t in glossary_pairs()]}

    return await _answer(request, handle)


@router.post("/v2/glossaries", status_code=201, summary="Create a glossary (DeepL API v2-compatible)")
async def deepl_create_glossary(request: Request) -> Response:
    """`name`, `source_lang`, `target_lang`, `entries`, `entries_format` (tsv, csv); JSON or form."""

    async def handle(params: Params) -> Response:
        viewer = await _viewer(request, params)
        name = _name(params.get("name"))
        dictionary = _dictionary(request, params)
        info = await run_in_threadpool(store_of(request).create, name, viewer.subject, [dictionary])
        return _json(_v2(info), 201)

    return await _answer(request, handle)


@router.get("/v2/glossaries", summary="List glossaries (DeepL API v2-compatible)")
async def deepl_list_glossaries(request: Request) -> Response:
    """The key's glossaries of one language pair (multilingual ones: `/v3/glossaries`). As on
    DeepL, an account lists its own glossaries; a global one (`newsbridge glossary import`) is
    used by its id."""

    async def handle(params: Params) -> dict[str, Any]:
        infos = await run_in_threadpool(store_of(request).list, await _viewer(request, params), own_only=True)
        return {"glossaries": [_v2(i) for i in infos if len(i.dictionaries) == 1]}

    return await _answer(request, handle)


@router.get("/v2/glossaries/{glossary_id}", summary="A glossary (DeepL API v2-compatible)")
async def deepl_get_glossary(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> dict[str, Any]:
        info = await run_in_threadpool(store_of(request).info, valid_id(glossary_id), await _viewer(request, params))
        if len(info.dictionaries) != 1:
            raise DeepLError(400, "This glossary has several dictionaries: use /v3/glossaries")
        return _v2(info)

    return await _answer(request, handle)


@router.get("/v2/glossaries/{glossary_id}/entries", summary="A glossary's entries as TSV (DeepL API v2-compatible)")
async def deepl_glossary_entries(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> Response:
        accept = request.headers.get("accept", "*/*").lower()
        if not any(kind in accept for kind in ("text/tab-separated-values", "*/*", "text/*")):
            raise DeepLError(415, "No supported media type specified in Accept header")
        d = await run_in_threadpool(store_of(request).entries, valid_id(glossary_id), await _viewer(request, params))
        return Response(to_tsv(d.entries).removesuffix("\n"), media_type=TSV)

    return await _answer(request, handle)


@router.delete("/v2/glossaries/{glossary_id}", status_code=204, summary="Delete a glossary (DeepL API v2-compatible)")
async def deepl_delete_glossary(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> Response:
        await run_in_threadpool(store_of(request).delete, valid_id(glossary_id), await _viewer(request, params))
        return Response(status_code=204)

    return await _answer(request, handle)


# ----------------------------------------------------------------------------- v3


@router.post("/v3/glossaries", status_code=201, summary="Create a multilingual glossary (DeepL API v3-compatible)")
async def deepl_v3_create(request: Request) -> Response:
    """`name`, `dictionaries`: `[{source_lang, target_lang, entries, entries_format}]`."""

    async def handle(params: Params) -> Response:
        viewer = await _viewer(request, params)
        name = _name(params.get("name"))
        info = await run_in_threadpool(store_of(request).create, name, viewer.subject, _dictionaries(request, params))
        return _json(_v3(info), 201)

    return await _answer(request, handle)


@router.get("/v3/glossaries", summary="List glossaries (DeepL API v3-compatible)")
async def deepl_v3_list(request: Request) -> Response:
    """The key's glossaries (as `/v2/glossaries`: global ones are used by their id)."""

    async def handle(params: Params) -> dict[str, Any]:
        infos = await run_in_threadpool(store_of(request).list, await _viewer(request, params), own_only=True)
        return {"glossaries": [_v3(i) for i in infos]}

    return await _answer(request, handle)


@router.get("/v3/glossaries/{glossary_id}", summary="A glossary (DeepL API v3-compatible)")
async def deepl_v3_get(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> dict[str, Any]:
        return _v3(await run_in_threadpool(store_of(request).info, valid_id(glossary_id),
                                           await _viewer(request, params)))

    return await _answer(request, handle)


@router.get("/v3/glossaries/{glossary_id}/entries", summary="One dictionary's entries (DeepL API v3-compatible)")
async def deepl_v3_entries(request: Request, glossary_id: str) -> Response:
    """`source_lang` and `target_lang` name the dictionary."""

    async def handle(params: Params) -> dict[str, Any]:
        source, target = check_pair(_lang(params, "source_lang"), _lang(params, "target_lang"))
        d = await run_in_threadpool(store_of(request).entries, valid_id(glossary_id), await _viewer(request, params),
                                    source, target)
        return {"dictionaries": [{"source_lang": source, "target_lang": target, "entries_format": "tsv",
                                  "entries": to_tsv(d.entries).removesuffix("\n")}]}

    return await _answer(request, handle)


@router.patch("/v3/glossaries/{glossary_id}", summary="Rename, or add entries (DeepL API v3-compatible)")
async def deepl_v3_patch(request: Request, glossary_id: str) -> Response:
    """`name` and/or `dictionaries`: each dictionary's entries are merged into the pair's
    dictionary (a source term it has gets the new target; a pair it lacks is added)."""

    async def handle(params: Params) -> dict[str, Any]:
        viewer = await _viewer(request, params)
        store = store_of(request)
        valid_id(glossary_id)
        name = _name(params.get("name")) if "name" in params else None
        dictionaries = _dictionaries(request, params, required=name is None)
        info = None
        if name is not None:
            info = await run_in_threadpool(store.rename, glossary_id, viewer, name)
        for d in dictionaries:
            info = await run_in_threadpool(store.merge_dictionary, glossary_id, viewer, d.source_lang,
                                           d.target_lang, d.entries, running_of(request).settings.glossary_max_entries)
        assert info is not None
        return _v3(info)

    return await _answer(request, handle)


@router.put("/v3/glossaries/{glossary_id}/dictionaries", summary="Replace a dictionary (DeepL API v3-compatible)")
async def deepl_v3_put_dictionary(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> dict[str, Any]:
        viewer = await _viewer(request, params)
        d = _dictionary(request, params)
        info = await run_in_threadpool(store_of(request).replace_dictionary, valid_id(glossary_id), viewer,
                                       d.source_lang, d.target_lang, d.entries)
        out = next(x for x in info.dictionaries if (x.source_lang, x.target_lang) == (d.source_lang, d.target_lang))
        return {"source_lang": out.source_lang, "target_lang": out.target_lang, "entry_count": out.entry_count}

    return await _answer(request, handle)


@router.delete("/v3/glossaries/{glossary_id}/dictionaries", status_code=204,
               summary="Delete a dictionary (DeepL API v3-compatible)")
async def deepl_v3_delete_dictionary(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> Response:
        viewer = await _viewer(request, params)
        await run_in_threadpool(store_of(request).delete_dictionary, valid_id(glossary_id), viewer,
                                _lang(params, "source_lang"), _lang(params, "target_lang"))
        return Response(status_code=204)

    return await _answer(request, handle)


@router.delete("/v3/glossaries/{glossary_id}", status_code=204, summary="Delete a glossary (DeepL API v3-compatible)")
async def deepl_v3_delete(request: Request, glossary_id: str) -> Response:
    async def handle(params: Params) -> Response:
        await run_in_threadpool(store_of(request).delete, valid_id(glossary_id), await _viewer(request, params))
        return Response(status_code=204)

    return await _answer(request, handle)


def _json(body: dict[str, Any], status: int) -> Response:
    from fastapi.responses import JSONResponse

    return JSONResponse(body, status_code=status)
