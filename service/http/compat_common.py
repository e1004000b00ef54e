"""What the LibreTranslate and DeepL adapters share: reading their bodies (JSON, form, query),
admitting a request, running the one pipeline, and the language catalogue from the registry.

The adapters only translate request and response shapes: every text goes through
``Pipeline.translate_documents`` / ``detect_segments`` of the app's engines, like ``/v1``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.http.access import AccessDenied, Charge, header_credential
from service.http.clients import client_address
from service.http.problems import STATUS, report
from service.http.state import Running, state_of
from service.pipeline.flow import Document, DocumentResult
from service.views import Problem
from translators.base import Lang
from translators.registry import LANGUAGES, targets_for

T = TypeVar("T")


class DialectError(Exception):
    """An error in a dialect's own shape: ``{key: message}`` with the dialect's status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, *,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}
        self.detail = detail  # DeepL adds one to some messages ({"message": ..., "detail": ...})


async def answer(request: Request, handler: Callable[[Params], Awaitable[Any]], *, key: str,
                 denied: Callable[[AccessDenied], DialectError],
                 from_error: Callable[[BaseException, Request], DialectError]) -> Response:
    """Run a dialect's handler on the request's parameters (it returns a JSON-able value, or a
    ready ``Response``); every error comes back as ``{key: message}`` (``"message"`` for DeepL,
    ``"error"`` for LibreTranslate)."""

    def reply(err: DialectError) -> JSONResponse:
        body = {key: err.message} | ({"detail": err.detail} if err.detail else {})
        return JSONResponse(body, status_code=err.status, headers=err.headers)

    try:
        params = await read_params(request)
        result = await handler(params)
        return result if isinstance(result, Response) else JSONResponse(result)
    except DialectError as exc:
        return reply(exc)
    except BadBody as exc:
        return reply(DialectError(400, f"Invalid request: {exc}"))
    except AccessDenied as exc:
        return reply(denied(exc))
    except Exception as exc:  # a domain or engine error, or a crash (logged once, detail withheld)
        return reply(from_error(exc, request))


class BadBody(ValueError):
    """The body is not valid JSON or form data."""


class Params:
    """Request parameters from the query string and a JSON or form body (body wins).
    A form or query key given several times (DeepL's ``text=a&text=b``) keeps every value."""

    def __init__(self, values: dict[str, list[Any]]) -> None:
        self._values = values

    def get(self, name: str, default: Any = None) -> Any:
        values = self._values.get(name)
        return values[-1] if values else default

    def getlist(self, name: str) -> list[Any]:
        values = self._values.get(name, [])
        if len(values) == 1 and isinstance(values[0], list):
            return list(values[0])
        return list(values)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(self._values)


async def read_params(request: Request) -> Params:
    values: dict[str, list[Any]] = {}
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body.strip():
        return Params(values)
    if ctype == "application/x-www-form-urlencoded":
        values.update(url_encoded(body, request.headers.get("content-type", "")))
        return Params(values)
    if ctype == "multipart/form-data":  # Starlette decodes its fields as UTF-8 (or the part's charset)
        form = await request.form()
        body_values: dict[str, list[Any]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                body_values.setdefault(key, []).append(value)
        values.update(body_values)
        return Params(values)
    if ctype.endswith("json") or body.lstrip()[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise BadBody(f"invalid JSON: {exc}") from None
        except RecursionError:
            raise BadBody("the JSON body is nested too deeply") from None
        if not isinstance(data, dict):
            raise BadBody("the JSON body must be an object")
        values.update({k: [v] for k, v in data.items()})
        return Params(values)
    return Params(values)  # a body of another kind (e.g. GET with stray bytes) is ignored


def url_encoded(body: bytes, content_type: str) -> dict[str, list[str]]:
    """The fields of an ``application/x-www-form-urlencoded`` body, decoded as UTF-8 as the URL
    standard says (or as the ``charset`` the client names): raw ``-d q='Nikt nie został ranny.'``
    bytes and percent-encoded ones read the same. (Starlette's form parser reads them as Latin-1.)"""
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        pairs = parse_qsl(body.decode(charset), keep_blank_values=True, encoding=charset, errors="strict")
    except LookupError:
        raise BadBody(f"unknown charset {charset!r}") from None
    except UnicodeDecodeError:
        raise BadBody(f"the form body is not valid {charset}") from None
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def running_of(request: Request) -> Running:
    """The running service (``ServiceNotReady`` while starting or stopping)."""
    return state_of(request.app).ready()


async def admit(request: Request, chars: int, credential: str | None = None) -> Charge:
    """Let the access policy admit the request (raises ``AccessDenied``)."""
    access = running_of(request).access
    return await run_in_threadpool(access.admit, credential or header_credential(request),
                                   client_address(request, access.settings), chars)


async def run_work(request: Request, chars: int, fn: Callable[[], T]) -> T:
    """The one place the adapters hand model work over: the same admission budget, deadline
    and disconnect handling as ``/v1`` (``service.http.admission``)."""
    return await running_of(request).work.run(request, chars, fn)


async def translate(request: Request, docs: list[Document], charge: Charge) -> list[DocumentResult | Exception]:
    """Translate through the app's pipeline; metrics as for ``/v1``; characters refunded when
    nothing could be translated."""
    running = running_of(request)
    try:
        results = await run_work(request, sum(len(d.text) for d in docs),
                                 lambda: running.engines.pipeline.translate_documents(docs))
    except BaseException:
        await run_in_threadpool(charge.refund)
        raise
    running.metrics.record_results(results)
    if any(isinstance(r, Exception) for r in results):
        await run_in_threadpool(charge.refund)
    return results


def problem_status(exc: BaseException, request: Request) -> tuple[Problem, int]:
    """The problem for an error (the one policy of ``service.views``; an unexpected error is
    logged once and its detail withheld) and the HTTP status the native API would give it."""
    problem = report(exc, request)
    state_of(request.app).metrics.errors.labels(problem.type).inc()
    return problem, STATUS.get(problem.type, ("", 500))[1]


# ---------------------------------------------------------------------------- Weblate's settings check

# Weblate (weblate/machinery/base.py, ``validate_settings``) saves a DeepL or LibreTranslate service
# only after translating this one text from English to German with it; the pair is hard-coded
# for every service (WeblateOrg/weblate#12579). A LibreTranslate without German refuses it (400
# "de is not supported") and Weblate then refuses the service, as it refused newsbridge.
SETTINGS_CHECK = ("en", "de", "test")
UNTRANSLATED_HEADER = "X-Newsbridge-Untranslated"
# The dialects' bodies have no room to say where a translation came from: this header does. Per
# text, in order, the number of its sentences and quotes served from the translation memory
# (``1,0``); absent when none was.
MEMORY_HEADER = "X-Newsbridge-Memory"


def memory_header(results: list[DocumentResult | None]) -> dict[str, str]:
    """The ``X-Newsbridge-Memory`` header of a dialect's answer (``None``: a text not translated)."""
    hits = [r.memory_hits if r is not None else 0 for r in results]
    return {MEMORY_HEADER: ",".join(map(str, hits))} if any(hits) else {}


def is_settings_check(source: Any, target: Any, texts: list[Any]) -> bool:
    """Whether the request is Weblate's settings check: exactly ``"test"`` from ``en`` to ``de``
    (any case). newsbridge has no German; it answers this one request with the text as sent
    (not a translation: the ``X-Newsbridge-Untranslated`` header says so, and nothing is billed)
    once the key has been checked. Every other request for German is refused as before."""
    src, tgt, text = SETTINGS_CHECK
    return (isinstance(source, str) and source.strip().lower() == src
            and isinstance(target, str) and target.strip().lower() == tgt
            and len(texts) == 1 and texts[0] == text)


async def answer_settings_check(request: Request, credential: str | None, body: Any) -> JSONResponse:
    """The dialect's ``body`` (the text as sent) once the key is checked and the request counted,
    with nothing to bill, and a header that says the text is not translated."""
    await admit(request, 0, credential)
    _, target, _ = SETTINGS_CHECK
    note = f"{target}: no model for this language; the text is returned as sent (Weblate's settings check)"
    return JSONResponse(body, headers={UNTRANSLATED_HEADER: note})


# ---------------------------------------------------------------------------- languages


def language_codes() -> list[Lang]:
    """Every language of the registry, in a stable (sorted) order."""
    return sorted(LANGUAGES)


def targets(source: str) -> list[Lang]:
    """Languages ``source`` translates into: direct pairs, and through the pivot."""
    return sorted(targets_for(source))


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)  # type: ignore[call-overload]
