"""DeepL API v2 subset: ``POST /v2/translate``, ``GET|POST /v2/languages``, ``GET|POST /v2/usage``
(glossaries: ``service.http.compat_deepl_glossaries``).

Bodies are JSON or form-encoded (``text=a&text=b``); the key is ``Authorization: DeepL-Auth-Key``
(or ``auth_key``, as old clients send it). Errors are ``{"message": "..."}`` with DeepL's
status codes: 400, 403 auth, 413 too large, 429 too many requests, 456 quota exceeded. A thin
adapter: the texts go through the same pipeline as ``/v1``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.errors import (
    GlossariesUnavailable,
    GlossaryForbidden,
    GlossaryNotFound,
    GlossaryPairUnsupported,
    GlossaryTooLarge,
    InvalidGlossary,
    InvalidRequest,
    TooManyGlossaries,
)
from service.http.access import AccessDenied, header_credential
from service.http.clients import client_address
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
    translate,
)
from service.http.glossaries import resolve_glossary
from service.http.limits import check_request
from service.pipeline.flow import Document, DocumentResult
from translators.registry import Quality
from translators.text.terms import Glossary

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v2", tags=["DeepL-compatible"])

# DeepL's regional variants of a language this service translates into as one
VARIANTS: dict[str, tuple[str, ...]] = {"en": ("EN-GB", "EN-US")}
# DeepL: the prefer_ values fall back to the default where a language has no formality, as
# every language here (Weblate's "Formal"/"Informal" send them)
DEFAULT_FORMALITY = ("", "default", "prefer_more", "prefer_less")
# DeepL's ``model_type`` -> the quality tier serving it. Every pair has a quality-tier model, so
# ``prefer_quality_optimized`` always gets it, as DeepL does where it has one.
MODEL_TYPES: dict[str, Quality] = {"quality_optimized": "best", "prefer_quality_optimized": "best",
                                   "latency_optimized": "fast"}


class DeepLError(DialectError):
    """An error in DeepL's shape: ``{"message": ...}``."""


def _denied(exc: AccessDenied) -> DeepLError:
    if exc.reason == "rate":
        return DeepLError(429, "Too many requests", {"Retry-After": str(exc.retry_after or 60)})
    if exc.reason == "quota":
        return DeepLError(456, "Quota exceeded")
    return DeepLError(403, "Authorization failure: " + exc.message)


def _from_error(exc: BaseException, request: Request) -> DeepLError:
    """DeepL's statuses: 413 for anything too large, 400 for other client errors; a server
    fault keeps its 5xx."""
    problem, status = problem_status(exc, request)
    if status == 413:
        return DeepLError(413, f"Request Entity Too Large: {problem.detail}")
    if status < 500:
        return DeepLError(400, problem.detail)
    return DeepLError(status, problem.detail)


async def _answer(request: Request, handler: Callable[[Params], Awaitable[Any]]) -> Response:
    return await answer(request, handler, key="message", denied=_denied, from_error=_from_error)


def _credential(request: Request, params: Params) -> str | None:
    return header_credential(request) or params.get("auth_key")


def _target(value: Any) -> str:
    if not value or not isinstance(value, str):
        raise DeepLError(400, "Parameter 'target_lang' not specified.")
    code = value.strip().lower().split("-")[0]
    variants = {v.lower() for v in VARIANTS.get(code, ())} | {code}
    if code not in language_codes() or value.strip().lower() not in variants:
        raise DeepLError(400, "Value for 'target_lang' not supported.")
    return code


def _source(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "auto"
    code = str(value).strip().lower()
    if code not in language_codes():
        raise DeepLError(400, "Value for 'source_lang' not supported.")
    return code


def _quality(model_type: Any) -> Quality:
    if model_type is None or model_type == "":
        return "best"
    quality = MODEL_TYPES.get(str(model_type).strip().lower())
    if quality is None:
        raise DeepLError(400, "Value for 'model_type' not supported.")
    return quality


def _model_type_used(result: DocumentResult | None, quality: Quality) -> str:
    """``latency_optimized`` when the fast tier's models served the text (every leg of a pivot),
    else ``quality_optimized``; an empty text (nothing translated) reports the tier it asked for."""
    tiers = {leg.tier for legs in result.models.values() for leg in legs} if result is not None else set()
    fast = tiers == {"fast"} if tiers else quality == "fast"
    return "latency_optimized" if fast else "quality_optimized"


def _tags(params: Params, name: str, *, xml: bool) -> frozenset[str]:
    """A list of tag names (a JSON list, repeated form fields, or comma-separated); HTML's are
    case-insensitive, XML's are not."""
    tags: set[str] = set()
    for value in params.getlist(name):
        tags |= {t.strip() if xml else t.strip().lower() for t in str(value).split(",") if t.strip()}
    return frozenset(tags)


def _flag(params: Params, name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise DeepLError(400, f"Value for '{name}' not supported.")


def _documents(params: Params, texts: list[str], source: str, target: str,
               quality: Quality = "best") -> list[Document]:
    """One document per text, with DeepL's tag handling: ``html``, or ``xml`` with its options
    (``ignore_tags``, ``splitting_tags``, ``non_splitting_tags``, ``outline_detection``)."""
    tag_handling = str(params.get("tag_handling") or "").strip().lower()
    xml = tag_handling == "xml"
    fmt = tag_handling or "text"
    options = {"ignore_tags": _tags(params, "ignore_tags", xml=xml)}
    if xml:
        options |= {"splitting_tags": _tags(params, "splitting_tags", xml=True),
                    "non_splitting_tags": _tags(params, "non_splitting_tags", xml=True),
                    "outline_detection": _flag(params, "outline_detection", True)}
    return [Document(t, source, target, fmt, quality=quality, **options) for t in texts]  # type: ignore[arg-type]


def _check_unsupported(params: Params) -> None:
    formality = str(params.get("formality") or "").strip().lower()
    if formality not in DEFAULT_FORMALITY:
        raise DeepLError(400, "'formality' is not supported by this server (its languages have no formality "
                              "setting); leave it out or send 'default', 'prefer_more' or 'prefer_less'.")
    tag_handling = str(params.get("tag_handling") or "").strip().lower()
    if tag_handling not in ("", "html", "xml"):
        raise DeepLError(400, "Value for 'tag_handling' not supported.")


def glossary_error(exc: BaseException, request: Request) -> DeepLError:
    """A glossary error in DeepL's words; anything else as the DeepL adapter maps it."""
    detail = getattr(exc, "detail", None)
    if isinstance(exc, DeepLError):
        return exc
    if isinstance(exc, GlossaryNotFound):
        return DeepLError(404, "Dictionary not found" if exc.extra.get("pair") else "Glossary not found",
                          detail=detail)
    if isinstance(exc, InvalidGlossary):
        return DeepLError(400, "Invalid glossary entries provided", detail=detail)
    if isinstance(exc, GlossaryPairUnsupported):
        return DeepLError(400, "Unsupported glossary source and target language pair", detail=detail)
    if isinstance(exc, GlossaryTooLarge):
        return DeepLError(413, "Request Entity Too Large", detail=detail)
    if isinstance(exc, GlossaryForbidden):
        return DeepLError(403, "Authorization failure: " + str(detail))
    if isinstance(exc, TooManyGlossaries):
        return DeepLError(400, "Too many glossaries", detail=detail)
    if isinstance(exc, GlossariesUnavailable):
        return DeepLError(503, "Service unavailable", detail=detail)
    if isinstance(exc, InvalidRequest):
        return DeepLError(400, "Bad request", detail=detail)
    return _from_error(exc, request)


def valid_id(glossary_id: str) -> str:
    try:
        uuid.UUID(glossary_id)
    except (ValueError, TypeError, AttributeError):
        raise DeepLError(400, "Value for 'glossary_id' not supported.") from None
    return glossary_id


def _glossary_id(params: Params, source: str) -> str | None:
    """The glossary the request names (``glossary_id``, or one ``glossary_ids``)."""
    ids = [part.strip() for value in params.getlist("glossary_ids") for part in str(value).split(",") if part.strip()]
    gid = params.get("glossary_id")
    if gid and ids:
        raise DeepLError(400, "Use either 'glossary_id' or 'glossary_ids', not both.")
    if len(ids) > 1:
        raise DeepLError(400, "This server applies one glossary per request: send one id in 'glossary_ids'.")
    gid = gid or (ids[0] if ids else None)
    if not gid:
        return None
    if source == "auto":
        raise DeepLError(400, "Use of a glossary requires the source_lang parameter to be specified")
    return str(gid).strip()


async def _glossary(request: Request, gid: str | None, principal: Any, source: str, target: str) -> Glossary | None:
    """The glossary, checked against the request's pair in DeepL's words."""
    if gid is None:
        return None
    valid_id(gid)
    try:
        glossary = await run_in_threadpool(resolve_glossary, request, gid, principal)
    except Exception as exc:
        raise glossary_error(exc, request) from None
    assert glossary is not None
    if glossary.dictionary(source, target) is None:
        if len(glossary.dictionaries) == 1:
            raise DeepLError(400, "Language pair of the glossary doesn't match the language pair of the request")
        raise DeepLError(400, f"No dictionary found for language pair {source}-{target} in glossary")
    return glossary


@router.post("/translate", summary="Translate (DeepL API v2-compatible)")
async def deepl_translate(request: Request) -> Response:
    """Body: `text` (list; form: repeated `text=`), `target_lang` (EN, EN-GB, EN-US, PL, LT),
    `source_lang`, `tag_handling` (`html`, or `xml`: parsed as XML, with `ignore_tags`, `splitting_tags`,
    `non_splitting_tags`, `outline_detection` as DeepL documents them; malformed XML is a 400);
    `split_sentences`, `preserve_formatting`, `context` are accepted.
    `glossary_id` (or one `glossary_ids`; needs `source_lang`) applies a glossary.
    `formality` other than `default`, `prefer_more`, `prefer_less` (which fall back to the default)
    is refused (400). Weblate's settings check (`test`, EN to DE) comes back as
    sent, untranslated (header `X-Newsbridge-Untranslated`). Sentences served from the translation
    memory are counted per text in the header `X-Newsbridge-Memory` (`1,0`). `model_type` (`quality_optimized`,
    `prefer_quality_optimized`: the quality tier; `latency_optimized`: the fast tier) picks the model
    tier, and each translation reports `model_type_used`."""

    async def handle(params: Params) -> dict[str, Any] | Response:
        texts = params.getlist("text")
        if not texts:
            raise DeepLError(400, "Parameter 'text' not specified.")
        if not all(isinstance(t, str) for t in texts):
            raise DeepLError(400, "Parameter 'text' must be a string or a list of strings.")
        if is_settings_check(params.get("source_lang"), params.get("target_lang"), texts):
            _check_unsupported(params)  # a formality this server refuses fails the check too
            return await answer_settings_check(request, _credential(request, params), {"translations": [
                {"detected_source_language": "EN", "text": texts[0], "billed_characters": 0}]})
        target = _target(params.get("target_lang"))
        source = _source(params.get("source_lang"))
        _check_unsupported(params)
        model_type = params.get("model_type")
        quality = _quality(model_type)
        gid = _glossary_id(params, source)
        chars = check_request(texts, running_of(request).settings)
        todo = [i for i, t in enumerate(texts) if t.strip()]  # DeepL returns empty texts as they are
        docs = _documents(params, [texts[i] for i in todo], source, target, quality)
        ticket = await admit(request, chars, _credential(request, params))
        try:
            glossary = await _glossary(request, gid, ticket.principal, source, target)
        except BaseException:
            await run_in_threadpool(ticket.refund)
            raise
        docs = [replace(d, glossary=glossary) for d in docs]
        results = await translate(request, docs, ticket) if docs else []
        for r in results:
            if isinstance(r, Exception):
                raise _from_error(r, request)
        by_index = dict(zip(todo, results, strict=True))
        out = []
        for i, text in enumerate(texts):
            r = by_index.get(i)
            detected = r.source_lang if isinstance(r, DocumentResult) and r.source_lang != "und" else source
            item: dict[str, Any] = {
                "detected_source_language": "" if detected == "auto" else detected.upper(),
                "text": r.translation if isinstance(r, DocumentResult) else text,
                "billed_characters": len(text),
            }
            if model_type:
                item["model_type_used"] = _model_type_used(r if isinstance(r, DocumentResult) else None, quality)
            out.append(item)
        done = [r if isinstance(r, DocumentResult) else None for r in (by_index.get(i) for i in range(len(texts)))]
        return JSONResponse({"translations": out}, headers=memory_header(done))

    return await _answer(request, handle)


@router.get("/languages", summary="Languages (DeepL API v2-compatible)", operation_id="deepl_languages_get")
@router.post("/languages", summary="Languages (DeepL API v2-compatible)", operation_id="deepl_languages_post")
async def deepl_languages(request: Request) -> Response:
    """`type=source` (default) or `type=target`, in the query or the body (the SDKs send it in a
    form body, also on GET)."""

    async def handle(params: Params) -> list[dict[str, Any]]:
        kind = str(params.get("type") or "source").strip().lower()
        if kind not in ("source", "target"):
            raise DeepLError(400, "Value for 'type' not supported.")
        await _check_key(request, params)
        out: list[dict[str, Any]] = []
        for code in language_codes():
            if kind == "source":
                out.append({"language": code.upper(), "name": language_name(code)})
                continue
            for variant in VARIANTS.get(code, (code.upper(),)):
                suffix = f" ({'British' if variant.endswith('GB') else 'American'})" if "-" in variant else ""
                out.append({"language": variant, "name": language_name(code) + suffix, "supports_formality": False})
        return out

    return await _answer(request, handle)


@router.get("/usage", summary="Usage of the key (DeepL API v2-compatible)", operation_id="deepl_usage_get")
@router.post("/usage", summary="Usage of the key (DeepL API v2-compatible)", operation_id="deepl_usage_post")
async def deepl_usage(request: Request) -> Response:
    """`{"character_count", "character_limit"}`: this month's characters of the key and its quota."""

    async def handle(params: Params) -> dict[str, int]:
        access = running_of(request).access
        principal = await run_in_threadpool(access.authenticate, _credential(request, params),
                                            client_address(request, access.settings))
        used, limit = await run_in_threadpool(access.usage, principal)
        return {"character_count": used, "character_limit": limit}

    return await _answer(request, handle)


async def _check_key(request: Request, params: Params) -> None:
    access = running_of(request).access
    await run_in_threadpool(access.authenticate, _credential(request, params),
                            client_address(request, access.settings))
