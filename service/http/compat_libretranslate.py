"""LibreTranslate-compatible API (as LibreTranslate 1.9 answers): ``POST /translate``,
``POST /detect``, ``GET|POST /languages``, ``POST /suggest`` (stored as translation memory
suggestions).

Bodies are JSON or form-encoded; ``api_key`` travels in the body (where LibreTranslate clients
put it) or in a header. Errors are ``{"error": "..."}`` with LibreTranslate's status codes:
400 bad parameter or language, 403 missing / invalid key or quota used up, 429 slow down,
500 a real server fault. A thin adapter: the texts go through the same pipeline as ``/v1``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.errors import NewsbridgeError
from service.http.access import AccessDenied
from service.http.compat_common import (
    DialectError,
    Params,
    admit,
    answer,
    answer_settings_check,
    is_settings_check,
    language_codes,
    language_name,
    memory_header,
    problem_status,
    running_of,
    targets,
    translate,
)
from service.http.limits import check_request
from service.pipeline.flow import Document, DocumentResult

log = logging.getLogger(__name__)
router = APIRouter(tags=["LibreTranslate-compatible"])


class LtError(DialectError):
    """An error in LibreTranslate's shape: ``{"error": ...}``."""


def _denied(exc: AccessDenied) -> LtError:
    if exc.reason == "rate":
        return LtError(429, f"Slowdown: {exc.message}", {"Retry-After": str(exc.retry_after or 60)})
    if exc.reason == "missing_key":
        return LtError(403, "Visit the server operator to get an API key")
    if exc.reason == "invalid_key":
        return LtError(403, "Invalid API key")
    return LtError(403, f"Quota exceeded: {exc.message}")


def _from_error(exc: BaseException, request: Request, index: int | None = None) -> LtError:
    """LibreTranslate answers every client error with 400; a server fault keeps its 5xx."""
    problem, status = problem_status(exc, request)
    where = "" if index is None else f" (q[{index}])"
    if problem.type == "empty_text":
        return LtError(400, "Invalid request: missing q parameter" + where)
    if status < 500:
        return LtError(400, problem.detail + where)
    return LtError(status, problem.detail)


async def _answer(request: Request, handler: Callable[[Params], Awaitable[Any]]) -> Response:
    return await answer(request, handler, key="error", denied=_denied, from_error=_from_error)


def _required(params: Params, name: str) -> Any:
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise LtError(400, f"Invalid request: missing {name} parameter")
    return value


def _language(params: Params, name: str, *, auto: bool) -> str:
    code = str(_required(params, name)).strip().lower()
    if auto and code == "auto":
        return code
    if code not in language_codes():
        raise LtError(400, f"{code} is not supported")
    return code


def _confidence(result: DocumentResult) -> float:
    """0-100: how sure the per-sentence detection is of the text's language."""
    weight = total = 0.0
    for s in result.sentences:
        if s.lang == result.source_lang:
            weight += len(s.source.text)
            total += len(s.source.text) * s.confidence
    return round(100.0 * total / weight, 1) if weight else 0.0


def _texts(params: Params) -> tuple[list[str], bool]:
    """The texts to translate, and whether ``q`` was a list."""
    q = params.getlist("q")
    if not q or (len(q) == 1 and isinstance(q[0], str) and not q[0].strip()):
        raise LtError(400, "Invalid request: missing q parameter")
    is_list = isinstance(params.get("q"), list) or len(q) > 1
    if not all(isinstance(t, str) for t in q):
        raise LtError(400, "Invalid request: q must be a string or a list of strings")
    return q, is_list


@router.post("/translate", summary="Translate (LibreTranslate-compatible)")
async def lt_translate(request: Request) -> Response:
    """Body: `q` (string or list), `source` (`auto` or a code), `target`, `format` (`text`|`html`),
    `alternatives` (accepted; always `[]`), `api_key`. Weblate's settings check (`test`, en to de)
    comes back as sent, untranslated (header `X-Newsbridge-Untranslated`). Sentences served from the
    translation memory are counted per text in the header `X-Newsbridge-Memory` (`1,0`)."""

    async def handle(params: Params) -> dict[str, Any] | Response:
        texts, is_list = _texts(params)
        if is_settings_check(params.get("source"), params.get("target"), texts):
            return await answer_settings_check(request, params.get("api_key"),
                                               {"translatedText": texts if is_list else texts[0]})
        source = _language(params, "source", auto=True)
        target = _language(params, "target", auto=False)
        fmt = "html" if str(params.get("format", "text")).lower() == "html" else "text"
        chars = check_request(texts, running_of(request).settings)
        ticket = await admit(request, chars, params.get("api_key"))
        results = await translate(request, [Document(t, source, target, fmt) for t in texts], ticket)  # type: ignore[arg-type]
        for i, r in enumerate(results):
            if isinstance(r, Exception):
                raise _from_error(r, request, i if is_list else None)
        done = [r for r in results if isinstance(r, DocumentResult)]
        out: dict[str, Any] = {"translatedText": [r.translation for r in done] if is_list else done[0].translation}
        if source == "auto":
            detected = [{"confidence": _confidence(r), "language": r.source_lang} for r in done]
            out["detectedLanguage"] = detected if is_list else detected[0]
        if _int(params.get("alternatives")) > 0:
            out["alternatives"] = [[] for _ in done] if is_list else []
        return JSONResponse(out, headers=memory_header(list(done)))

    return await _answer(request, handle)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


@router.post("/detect", summary="Detect the language (LibreTranslate-compatible)")
async def lt_detect(request: Request) -> Response:
    """Body: `q`, `api_key`. Returns `[{"confidence": 0-100, "language": code}]`, most likely first."""

    async def handle(params: Params) -> list[dict[str, Any]]:
        q = params.get("q")
        if isinstance(q, list):
            q = " ".join(str(x) for x in q)
        if not isinstance(q, str) or not q.strip():
            raise LtError(400, "Invalid request: missing q parameter")
        ticket = await admit(request, 0, params.get("api_key"))
        del ticket  # detection is not charged in characters; the request still counts
        pipeline = running_of(request).engines.pipeline
        _, segments = await run_in_threadpool(pipeline.detect_segments, q)
        weight: dict[str, float] = {}
        total = 0
        for span, det in segments:
            total += len(span.text)
            if det.lang != "other":
                weight[det.lang] = weight.get(det.lang, 0.0) + len(span.text) * det.confidence
        ranked = sorted(weight.items(), key=lambda kv: -kv[1])
        return [{"confidence": round(100.0 * w / max(total, 1), 1), "language": lang} for lang, w in ranked]

    return await _answer(request, handle)


@router.get("/languages", summary="Languages (LibreTranslate-compatible)", operation_id="lt_languages_get")
@router.post("/languages", summary="Languages (LibreTranslate-compatible)", operation_id="lt_languages_post")
async def lt_languages(request: Request) -> Response:
    """`[{"code", "name", "targets": [...]}]` from the model registry (a body on GET is ignored)."""

    async def handle(params: Params) -> list[dict[str, Any]]:
        return [{"code": code, "name": language_name(code), "targets": targets(code)} for code in language_codes()]

    return await _answer(request, handle)


@router.post("/suggest", summary="Suggest a better translation (LibreTranslate-compatible)")
async def lt_suggest(request: Request) -> Response:
    """Body (form or JSON, as LibreTranslate's page and clients send it): `q` (the original),
    `s` (the suggested translation), `source` (a code, or `auto`), `target`, `api_key`. Stored as
    `suggested` translation memory entries (one per sentence when `q` and `s` have as many
    sentences, else one for the whole text) that an editor approves. Returns `{"success": true}`."""

    async def handle(params: Params) -> dict[str, Any]:
        engines = running_of(request).engines
        if engines.memory is None or not engines.settings.memory_lt_suggest:
            raise LtError(403, "Suggestions are disabled on this server.")
        q, s = _required(params, "q"), _required(params, "s")
        if not isinstance(q, str) or not isinstance(s, str):
            raise LtError(400, "Invalid request: q and s must be strings")
        source = _language(params, "source", auto=True)
        target = _language(params, "target", auto=False)
        ticket = await admit(request, 0, params.get("api_key"))
        if source == "auto":
            detected = await run_in_threadpool(engines.pipeline.detect, q)
            if detected.whole.lang == "other":
                raise LtError(400, "Could not detect the language of q: give source")
            source = detected.whole.lang
        pairs = _sentence_pairs(q, s, source, target)
        try:
            await run_in_threadpool(_store_suggestions, engines, pairs, source, target, ticket.principal.name)
        except NewsbridgeError as exc:
            raise _from_error(exc, request) from None
        return {"success": True}

    return await _answer(request, handle)


def _sentence_pairs(q: str, s: str, source: str, target: str) -> list[tuple[str, str]]:
    """The suggestion sentence by sentence when both sides have as many sentences, else whole."""
    from translators.text.segment import split_sentences

    qs, ss = split_sentences(q, source), split_sentences(s, target)
    if len(qs) > 1 and len(qs) == len(ss):
        return [(a.text, b.text) for a, b in zip(qs, ss, strict=True)]
    return [(q, s)]


def _store_suggestions(engines: Any, pairs: list[tuple[str, str]], source: str, target: str,
                       who: str | None) -> None:
    from service.storage.memory_store import NewEntry

    engines.memory.import_many([NewEntry(source, target, a, b) for a, b in pairs], status="suggested",
                               origin="libretranslate", who=who)
