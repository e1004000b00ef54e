"""``/v1/jobs``: archives over HTTP on the batch engine (see ``service.jobs``).

``POST /v1/jobs`` takes the records of ``newsbridge batch`` as JSONL, either as the body
(``Content-Type: application/x-ndjson``, options as query parameters) or as a multipart file
upload (field ``file``, options as form fields: ``source_lang``, ``target_lang``, ``summarize``,
``quality`` (best or fast: the model tier), ``glossary``, ``callback_url``; a record's own ``glossary``
field wins), and answers 202 with the job's id and a
``Location``. ``GET /v1/jobs/{id}`` is its state and counts, ``GET /v1/jobs/{id}/results`` the
NDJSON output so far (in input order, error records included), ``DELETE /v1/jobs/{id}`` cancels
a queued or running job, or deletes a finished one and its results.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.batch.records import UsageProblem
from service.batch.runner import BatchOptions
from service.errors import InvalidRequest, NewsbridgeError
from service.http.access_gate import key_owner
from service.http.glossaries import resolve_glossary, viewer_of
from service.http.state import state_of
from service.jobs.callback_guard import CallbackRefused
from service.jobs.manager import JobManager
from service.jobs.store import FINISHED

router = APIRouter(tags=["jobs"])
NDJSON = ("application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines")
_BLOCK = 1 << 16


class JobTooLarge(NewsbridgeError):
    type = "job_too_large"


class JobNotFound(NewsbridgeError):
    type = "job_not_found"


class UnsupportedMediaType(NewsbridgeError):
    type = "unsupported_media_type"


class JobsUnavailable(NewsbridgeError):
    type = "jobs_unavailable"


class CallbackUrlRefused(NewsbridgeError):
    """The callback URL points where the server may not call (its own machine or network)."""

    type = "callback_url_refused"


def _manager(request: Request) -> JobManager:
    running = state_of(request.app).running
    if running is None or running.jobs is None:
        why = (running.jobs_error if running is not None else None) or "the service is starting"
        raise JobsUnavailable(f"jobs are not available: {why}")
    return running.jobs


def _options(fields: Any) -> dict[str, Any]:
    summarize = str(fields.get("summarize", "false")).strip().lower()
    if summarize not in ("true", "false", "1", "0", "yes", "no", ""):
        raise InvalidRequest("summarize must be true or false")
    opts = {"source_lang": fields.get("source_lang") or "auto", "target_lang": fields.get("target_lang") or "en",
            "summarize": summarize in ("true", "1", "yes"), "quality": fields.get("quality") or "best"}
    if fields.get("glossary"):
        opts["glossary"] = str(fields.get("glossary")).strip()
    try:
        BatchOptions("-", "-", **opts).validate()
    except UsageProblem as exc:
        raise InvalidRequest(str(exc).replace("--", "").replace("-lang", "_lang")) from None
    return opts


async def _callback(fields: Any, manager: JobManager) -> str | None:
    """The job's callback URL, refused (400 ``callback_url_refused``) when it resolves to an address
    the server may not call (``service.jobs.callback_guard``; checked again at each delivery)."""
    url = fields.get("callback_url") or None
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        raise InvalidRequest("callback_url must be an http(s) URL")
    if manager.settings.webhook_secret is None:
        raise InvalidRequest("callback_url needs NEWSBRIDGE_WEBHOOK_SECRET on the server to sign the webhook")
    try:
        await run_in_threadpool(manager.guard.check, url)  # resolves the name: not on the event loop
    except CallbackRefused as exc:
        raise CallbackUrlRefused(str(exc)) from None
    return url


async def _save(chunks: AsyncIterator[bytes], path: Path, limit: int) -> tuple[int, int]:
    """Write the body to ``path``; (bytes, records = non-blank lines). 413 past ``limit``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = records = 0
    tail = b""
    with path.open("wb") as f:
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise JobTooLarge(f"the job is over NEWSBRIDGE_MAX_JOB_BYTES ({limit} bytes); split the archive, "
                                  "or run `newsbridge batch` on it", limit=limit)
            f.write(chunk)
            lines = (tail + chunk).split(b"\n")
            tail = lines.pop()
            records += sum(1 for line in lines if line.strip())
    return size, records + bool(tail.strip())


async def _upload_chunks(upload: Any) -> AsyncIterator[bytes]:
    while block := await upload.read(_BLOCK):
        yield block


@router.post("/v1/jobs", status_code=202, summary="Start a batch job (JSONL body or multipart upload)",
             responses={202: {"description": "Accepted; poll the Location"}, 413: {"description": "Too large"}})
async def create_job(request: Request) -> JSONResponse:
    manager = _manager(request)
    limit = manager.settings.max_job_bytes
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + (64 * 1024 if "multipart" in
                                                              request.headers.get("content-type", "") else 0):
        raise JobTooLarge(f"the job is over NEWSBRIDGE_MAX_JOB_BYTES ({limit} bytes); split the archive, or run "
                          "`newsbridge batch` on it", limit=limit)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    job_id = manager.new_id()
    path = manager.input_path(job_id)
    try:
        if ctype in NDJSON:
            fields: Any = request.query_params
            opts, callback = _options(fields), await _callback(fields, manager)
            size, total = await _save(request.stream(), path, limit)
        elif ctype == "multipart/form-data":
            form = await request.form()
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InvalidRequest("the multipart upload needs a `file` field with the JSONL records")
            opts, callback = _options(form), await _callback(form, manager)
            size, total = await _save(_upload_chunks(upload), path, limit)
        else:
            raise UnsupportedMediaType(f"send the records as application/x-ndjson or multipart/form-data, "
                                       f"not {ctype or 'no content type'}")
        if total == 0:
            raise InvalidRequest("the job has no records (one JSON object per line)")
    except BaseException:
        manager.remove(job_id)
        raise
    opts["base_url"] = str(request.base_url)
    viewer = viewer_of(getattr(request.state, "principal", None)).subject
    if viewer is not None:  # the key whose glossaries the records may name
        opts["glossary_viewer"] = viewer
    if opts.get("glossary"):
        try:  # the job's glossary must exist and be this key's (or global) before the job is queued
            await run_in_threadpool(resolve_glossary, request, opts["glossary"])
        except BaseException:
            manager.remove(job_id)
            raise
    job = manager.store.create(job_id, opts, total=total, input_bytes=size, callback_url=callback,
                               api_key=key_owner(request))
    manager.wake()
    location = f"/v1/jobs/{job.id}"
    return JSONResponse({"id": job.id, "state": job.state, "status_url": location,
                         "results_url": f"{location}/results"}, status_code=202, headers={"Location": location})


def _job(request: Request, job_id: str) -> tuple[JobManager, Any]:
    manager = _manager(request)
    job = manager.store.get(job_id) if job_id.isalnum() else None
    owner = key_owner(request)
    if job is None or (owner is not None and job.api_key not in (None, owner)):
        raise JobNotFound(f"no job {job_id}")
    return manager, job


@router.get("/v1/jobs/{job_id}", summary="A job's state, counts and progress")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    manager, job = _job(request, job_id)
    return manager.status(job)


def _complete_lines(path: Path) -> Iterator[bytes]:
    """The output's whole lines (a line being written is left for the next read)."""
    if not path.exists():
        return
    with path.open("rb") as f:
        rest = b""
        while block := f.read(_BLOCK):
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            if lines:
                yield b"\n".join(lines) + b"\n"


@router.get("/v1/jobs/{job_id}/results", summary="The job's output so far, NDJSON in input order",
            response_class=StreamingResponse)
def job_results(request: Request, job_id: str) -> StreamingResponse:
    manager, job = _job(request, job_id)
    return StreamingResponse(_complete_lines(manager.results_path(job.id)), media_type="application/x-ndjson",
                             headers={"X-Job-State": job.state, "X-Job-Done": str(job.done)})


@router.delete("/v1/jobs/{job_id}", summary="Cancel a queued or running job; delete a finished one",
               responses={202: {"description": "Cancelled (or cancelling)"}, 204: {"description": "Deleted"}})
def delete_job(request: Request, job_id: str) -> Response:
    manager, job = _job(request, job_id)
    if job.state in FINISHED:
        manager.store.delete(job.id)
        manager.remove(job.id)
        return Response(status_code=204)
    cancelled = manager.store.cancel(job.id)
    if cancelled is None:
        raise JobNotFound(f"no job {job_id}")
    return JSONResponse(manager.status(cancelled), status_code=202)
