"""HTTP routes of the text endpoints. Each checks its limits, then hands its blocking work to
``run_work`` (admission, deadline, cancellation; a worker thread, where the coalescing translator
merges concurrent requests into batches) and returns the JSON that work serialized there, so
the event loop only moves bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from service.engines import Engines
from service.errors import EmptyText, NewsbridgeError, ServiceNotReady
from service.http.admission import run_work
from service.http.limits import check_request
from service.http.problems import problem_item
from service.http.schemas import DetectRequest, SummarizeRequest, TranslateRequest
from service.metrics import Metrics
from service.pipeline.flow import Document, DocumentResult
from service.responses import (
    BatchSummaryResponse,
    BatchTranslateResponse,
    CachedCounts,
    DetectResponse,
    ErrorItem,
    SummaryModel,
    TranslationModel,
)
from service.views import detect_model, summary_model, to_model
from translators.registry import LANGUAGES, PIVOT, REGISTRY, available_pairs, pivot_pairs

router = APIRouter()

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON (problem details)"},
    413: {"description": "Text over the size limit (problem details)"},
    422: {"description": "Empty text, unsupported language or pair, invalid request (problem details)"},
    503: {"description": "Model missing or service not ready (problem details)"},
}


# The dependencies are ``async`` on purpose: they only read the app's state, and FastAPI runs a
# plain ``def`` dependency in the thread pool, a thread hop (and a GIL hand-over) per request.
async def get_engines(request: Request) -> Engines:
    engines = getattr(request.app.state, "engines", None)
    if engines is None:
        raise ServiceNotReady("the service is starting or stopping")
    return engines


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


EnginesDep = Annotated[Engines, Depends(get_engines)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def _documents(req: TranslateRequest) -> list[Document]:
    return [Document(t, req.source_lang, req.target_lang, req.format) for t in req.items()]


def _record(metrics: Metrics, results: list[DocumentResult | Exception]) -> None:
    metrics.record_results(results)


def _json(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def _translate_work(req: TranslateRequest, request: Request, engines: Engines, metrics: Metrics,
                    bad: dict[int, NewsbridgeError], summarize_too: bool) -> Callable[[], bytes]:
    """The blocking part of /v1/translate and /v1/summarize (run by ``run_work``); texts that
    failed their own limits (``bad``) are answered in their place without being translated."""

    def work() -> bytes:
        docs = _documents(req)
        keep = [i for i in range(len(docs)) if i not in bad]
        done = engines.pipeline.translate_documents([docs[i] for i in keep])
        by_index: dict[int, DocumentResult | BaseException] = {**bad, **dict(zip(keep, done, strict=True))}
        results: list[DocumentResult | BaseException] = [by_index[i] for i in range(len(docs))]
        _record(metrics, [r for r in results if isinstance(r, DocumentResult)])
        if req.text is not None and isinstance(results[0], BaseException):
            raise results[0]
        out: list[Any] = []
        hits = misses = 0
        for i, r in enumerate(results):
            if isinstance(r, BaseException):
                out.append(ErrorItem(index=i, error=problem_item(r, request, metrics)))
            elif summarize_too:
                s = engines.pipeline.summarize(r, max_sentences=getattr(req, "max_sentences", None),
                                               ratio=getattr(req, "ratio", None))
                out.append(summary_model(s, req.offsets))
            else:
                out.append(to_model(r, req.offsets))
                hits, misses = hits + r.cache_hits, misses + r.cache_misses
        if req.text is not None:
            return _json(out[0])
        if summarize_too:
            return _json(BatchSummaryResponse(results=out))
        return _json(BatchTranslateResponse(results=out, cached=CachedCounts(hits=hits, misses=misses)))

    return work


@router.post("/v1/translate", response_model=TranslationModel | BatchTranslateResponse,
             responses=PROBLEM_RESPONSES, tags=["translate"])
async def translate(req: TranslateRequest, request: Request, engines: EnginesDep, metrics: MetricsDep) -> Response:
    """Translate `text` (or each of `texts`): sentences, quotes and their spans on both sides."""
    chars, bad = check_request(req.items(), engines.settings, fmt=req.format, batch=req.texts is not None)
    body = await run_work(request, chars, _translate_work(req, request, engines, metrics, bad, False))
    return Response(body, media_type="application/json")


@router.post("/v1/summarize", response_model=SummaryModel | BatchSummaryResponse,
             responses=PROBLEM_RESPONSES, tags=["summarize"])
async def summarize_endpoint(req: SummarizeRequest, request: Request, engines: EnginesDep,
                             metrics: MetricsDep) -> Response:
    """Summary in the target language, made from the translation, with the quotes it uses and
    their original wording and spans."""
    chars, bad = check_request(req.items(), engines.settings, fmt=req.format, batch=req.texts is not None)
    body = await run_work(request, chars, _translate_work(req, request, engines, metrics, bad, True))
    return Response(body, media_type="application/json")


@router.post("/v1/detect", response_model=DetectResponse, responses=PROBLEM_RESPONSES, tags=["detect"])
async def detect(req: DetectRequest, request: Request, engines: EnginesDep) -> Response:
    """Language and confidence per segment, and for the whole text."""
    chars, _ = check_request([req.text], engines.settings, fmt=req.format)
    if not req.text.strip():
        raise EmptyText("text is empty")

    def work() -> bytes:
        return _json(detect_model(engines.pipeline.detect(req.text, fmt=req.format), req.offsets))

    return Response(await run_work(request, chars, work), media_type="application/json")


@router.get("/v1/languages", tags=["meta"])
def languages(engines: EnginesDep) -> dict[str, Any]:
    """Supported languages and pairs, with the model each direct pair uses."""
    where = available_pairs(engines.settings.model_dir)
    pairs = [{"source": s.source, "target": s.target, "model": s.hub_id, "source_of_files": where[p],
              "pivot": None} for p, s in REGISTRY.items()]
    pairs += [{"source": a, "target": b, "model": None, "source_of_files": None, "pivot": PIVOT}
              for a, b in pivot_pairs()]
    return {"languages": [{"code": code, "name": name} for code, name in LANGUAGES.items()], "pairs": pairs}
