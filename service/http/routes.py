"""HTTP routes. Endpoints are plain ``def``: FastAPI runs them in its thread pool, where the
model calls block, and the coalescing translator merges concurrent requests into batches."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.engines import Engines
from service.errors import ServiceNotReady
from service.http.problems import problem_body
from service.http.schemas import (
    BatchSummaryResponse,
    BatchTranslateResponse,
    CachedCounts,
    DetectRequest,
    DetectResponse,
    ErrorItem,
    SummarizeRequest,
    SummaryModel,
    TranslateRequest,
    TranslationModel,
)
from service.metrics import Metrics
from service.pipeline.flow import Document, DocumentResult
from service.pipeline.summarize import summarize
from service.views import detect_model, problem_of, summary_model, to_model
from translators.registry import REGISTRY, available_pairs

router = APIRouter()

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON (problem details)"},
    413: {"description": "Text over the size limit (problem details)"},
    422: {"description": "Empty text, unsupported language or pair, invalid request (problem details)"},
    503: {"description": "Model missing or service not ready (problem details)"},
}


def get_engines(request: Request) -> Engines:
    engines = getattr(request.app.state, "engines", None)
    if engines is None:
        raise ServiceNotReady("the service is starting or stopping")
    return engines


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


EnginesDep = Annotated[Engines, Depends(get_engines)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]


def _documents(req: TranslateRequest) -> list[Document]:
    return [Document(t, req.source_lang, req.target_lang, req.format) for t in req.items()]


def _record(metrics: Metrics, results: list[DocumentResult | Exception]) -> None:
    metrics.record_results(results)


def _error_item(index: int, exc: Exception, metrics: Metrics) -> ErrorItem:
    problem = problem_of(exc)
    metrics.errors.labels(problem.type).inc()
    return ErrorItem(index=index, error=problem_body(problem))


@router.post("/v1/translate", response_model=TranslationModel | BatchTranslateResponse,
             responses=PROBLEM_RESPONSES, tags=["translate"])
def translate(req: TranslateRequest, engines: EnginesDep, metrics: MetricsDep) -> Any:
    """Translate `text` (or each of `texts`): sentences, quotes and their spans on both sides."""
    results = engines.pipeline.translate_documents(_documents(req))
    _record(metrics, results)
    if req.text is not None:
        if isinstance(results[0], Exception):
            raise results[0]
        return to_model(results[0], req.offsets)
    items: list[TranslationModel | ErrorItem] = []
    hits = misses = 0
    for i, r in enumerate(results):
        if isinstance(r, Exception):
            items.append(_error_item(i, r, metrics))
        else:
            items.append(to_model(r, req.offsets))
            hits, misses = hits + r.cache_hits, misses + r.cache_misses
    return BatchTranslateResponse(results=items, cached=CachedCounts(hits=hits, misses=misses))


@router.post("/v1/summarize", response_model=SummaryModel | BatchSummaryResponse,
             responses=PROBLEM_RESPONSES, tags=["summarize"])
def summarize_endpoint(req: SummarizeRequest, engines: EnginesDep, metrics: MetricsDep) -> Any:
    """Summary in the target language, made from the translation, with the quotes it uses and
    their original wording and spans."""
    results = engines.pipeline.translate_documents(_documents(req))
    _record(metrics, results)
    method = engines.settings.summarizer
    out: list[SummaryModel | ErrorItem] = []
    for i, r in enumerate(results):
        if isinstance(r, Exception):
            if req.text is not None:
                raise r
            out.append(_error_item(i, r, metrics))
            continue
        s = summarize(r, engines.summarizer, max_sentences=req.max_sentences, ratio=req.ratio, method=method)
        out.append(summary_model(s, req.offsets))
    return out[0] if req.text is not None else BatchSummaryResponse(results=out)


@router.post("/v1/detect", response_model=DetectResponse, responses=PROBLEM_RESPONSES, tags=["detect"])
def detect(req: DetectRequest, engines: EnginesDep) -> DetectResponse:
    """Language and confidence per segment, and for the whole text."""
    return detect_model(engines.pipeline.detect(req.text, fmt=req.format), req.offsets)


@router.get("/v1/languages", tags=["meta"])
def languages(engines: EnginesDep) -> dict[str, Any]:
    """Supported languages and pairs, with the model each direct pair uses."""
    where = available_pairs(engines.settings.model_dir)
    pairs = [{"source": s.source, "target": s.target, "model": s.hub_id, "source_of_files": where[p],
              "pivot": None} for p, s in REGISTRY.items()]
    pairs += [{"source": a, "target": b, "model": None, "source_of_files": None, "pivot": "en"}
              for a, b in (("pl", "lt"), ("lt", "pl"))]
    return {"languages": [{"code": "pl", "name": "Polish"}, {"code": "lt", "name": "Lithuanian"},
                          {"code": "en", "name": "English"}], "pairs": pairs}


@router.get("/healthz", tags=["meta"])
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["meta"])
def readyz(engines: EnginesDep) -> dict[str, Any]:
    """Ready to serve; `degraded` when the cache is unavailable (requests are still translated)."""
    cache = engines.cache_state()
    backend = engines.translator.describe().backend
    degraded = cache.startswith("degraded") or not backend.health.ok
    return {"status": "degraded" if degraded else "ok", "cache": cache, "backend": engines.settings.backend,
            "models_loaded": list(backend.loaded_pairs), "models_failed": dict(backend.failed_pairs)}


@router.get("/metrics", tags=["meta"])
def metrics_endpoint(metrics: MetricsDep) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
