"""HTTP routes of the text endpoints. Each checks the request-wide limits, then hands its
blocking work to ``WorkRunner.run`` (admission, deadline, cancellation; a worker thread, where the
coalescing translator merges concurrent requests into batches) and returns the JSON that work
serialized there, so the event loop only moves bytes. Each text is checked by the pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from service.http.glossaries import resolve_glossary
from service.http.limits import check_request
from service.http.problems import problem_item
from service.http.schemas import DetectRequest, SummarizeRequest, TranslateRequest
from service.http.state import Running, RunningDep
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
from service.views import detect_model, json_bytes, summary_model, to_model
from translators.registry import DEFAULT_TIER, LANGUAGES, PIVOT, REGISTRY, TIERED, TIERS, available_pairs, pivot_pairs
from translators.text.terms import Glossary

router = APIRouter()

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON (problem details)"},
    404: {"description": "Unknown glossary (problem details)"},
    413: {"description": "Text over the size limit (problem details)"},
    422: {"description": "Empty text, unsupported language or pair, invalid request (problem details)"},
    503: {"description": "Model missing or service not ready (problem details)"},
}


def _documents(req: TranslateRequest, glossary: Glossary | None = None) -> list[Document]:
    return [Document(t, req.source_lang, req.target_lang, req.format, quality=req.quality,
                     memory_scope=req.memory_scope, memory_suggestions=req.memory_suggestions, glossary=glossary,
                     alignment=req.alignment)
            for t in req.items()]


def _record(metrics: Metrics, results: list[DocumentResult | Exception]) -> None:
    metrics.record_results(results)


def _translate_work(req: TranslateRequest, request: Request, running: Running,
                    summarize_too: bool) -> Callable[[], bytes]:
    """The blocking part of /v1/translate and /v1/summarize (run by ``WorkRunner.run``); a text
    the pipeline refuses is answered in its place (a batch) or as the problem (one text)."""
    engines, metrics = running.engines, running.metrics

    def work() -> bytes:
        results = engines.pipeline.translate_documents(_documents(req, resolve_glossary(request, req.glossary)))
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
            return json_bytes(out[0])
        if summarize_too:
            return json_bytes(BatchSummaryResponse(results=out))
        return json_bytes(BatchTranslateResponse(results=out, cached=CachedCounts(hits=hits, misses=misses)))

    return work


@router.post("/v1/translate", response_model=TranslationModel | BatchTranslateResponse,
             responses=PROBLEM_RESPONSES, tags=["translate"])
async def translate(req: TranslateRequest, request: Request, running: RunningDep) -> Response:
    """Translate `text` (or each of `texts`): sentences, quotes and their spans on both sides."""
    chars = check_request(req.items(), running.settings)
    body = await running.work.run(request, chars, _translate_work(req, request, running, False))
    return Response(body, media_type="application/json")


@router.post("/v1/summarize", response_model=SummaryModel | BatchSummaryResponse,
             responses=PROBLEM_RESPONSES, tags=["summarize"])
async def summarize_endpoint(req: SummarizeRequest, request: Request, running: RunningDep) -> Response:
    """Summary in the target language, made from the translation, with the quotes it uses and
    their original wording and spans."""
    chars = check_request(req.items(), running.settings)
    body = await running.work.run(request, chars, _translate_work(req, request, running, True))
    return Response(body, media_type="application/json")


@router.post("/v1/detect", response_model=DetectResponse, responses=PROBLEM_RESPONSES, tags=["detect"])
async def detect(req: DetectRequest, request: Request, running: RunningDep) -> Response:
    """Language and confidence per segment, and for the whole text."""
    chars = check_request([req.text], running.settings)
    pipeline = running.engines.pipeline

    def work() -> bytes:
        return json_bytes(detect_model(pipeline.detect(req.text, fmt=req.format), req.offsets))

    return Response(await running.work.run(request, chars, work), media_type="application/json")


@router.get("/v1/languages", tags=["meta"])
def languages(running: RunningDep) -> dict[str, Any]:
    """Supported languages and pairs, with the model each direct pair uses (`model`: the default
    tier's; `tiers`: each tier's model, pinned revision and where its files come from)."""
    model_dir = running.settings.model_dir
    where = {t: available_pairs(model_dir, t) for t in TIERS}
    pairs = [{"source": s.source, "target": s.target, "model": s.hub_id, "source_of_files": where[DEFAULT_TIER][p],
              "pivot": None,
              "tiers": {t: {"model": TIERED[t][p].hub_id, "revision": TIERED[t][p].revision,
                            "source_of_files": where[t][p]} for t in TIERS if p in TIERED[t]}}
             for p, s in REGISTRY.items()]
    pairs += [{"source": a, "target": b, "model": None, "source_of_files": None, "pivot": PIVOT, "tiers": None}
              for a, b in pivot_pairs()]
    return {"languages": [{"code": code, "name": name} for code, name in LANGUAGES.items()], "pairs": pairs}
