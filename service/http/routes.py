"""HTTP routes. Endpoints are plain ``def``: FastAPI runs them in its thread pool, where the
model calls block, and the coalescing translator merges concurrent requests into batches."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.engines import Engines
from service.errors import ServiceNotReady, as_problem
from service.http.schemas import (
    BatchSummaryResponse,
    BatchTranslateResponse,
    CachedCounts,
    DetectRequest,
    DetectResponse,
    DetectSegment,
    ErrorItem,
    ModelRef,
    QuoteModel,
    SentenceModel,
    SpanOut,
    SummarizeRequest,
    SummaryModel,
    SummaryQuote,
    SummarySentence,
    TranslateRequest,
    TranslationModel,
)
from service.metrics import Metrics
from service.pipeline.flow import Document, DocumentResult
from service.pipeline.summarize import SummaryOut, summarize
from translators.base import Span
from translators.registry import REGISTRY, available_pairs
from translators.text.offsets import Utf16Index

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


class _Offsets:
    """Converts code-point spans to the requested unit, one index per string."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._index: dict[int, Utf16Index] = {}

    def span(self, span: Span, text: str) -> SpanOut:
        if self.mode == "codepoint":
            return SpanOut(start=span.start, end=span.end, text=span.text)
        index = self._index.get(id(text))
        if index is None:
            index = self._index[id(text)] = Utf16Index(text)
        return SpanOut(start=index.to_utf16(span.start), end=index.to_utf16(span.end), text=span.text)


def to_model(r: DocumentResult, offsets: str) -> TranslationModel:
    conv = _Offsets(offsets)
    src, tgt = r.source_text, r.translation_text
    return TranslationModel(
        source_lang=r.source_lang, target_lang=r.target_lang, format=r.format, offsets=offsets,  # type: ignore[arg-type]
        source_text=src, translation=r.translation, translation_text=tgt,
        sentences=[SentenceModel(source=conv.span(s.source, src), target=conv.span(s.target, tgt), lang=s.lang,
                                 confidence=s.confidence, translated=s.translated, split=s.pieces > 1,
                                 cached=s.cached, warnings=s.warnings) for s in r.sentences],
        quotes=[QuoteModel(kind=q.kind, lang=q.lang, source=conv.span(q.source, src), outer=conv.span(q.outer, src),
                           target=conv.span(q.target, tgt) if q.target else None, sentences=q.sentences,
                           author=q.author, handle=q.handle, date=q.date, url=q.url, speaker=q.speaker)
                for q in r.quotes],
        model={pair: [ModelRef(id=i.model_id, revision=i.revision, checksum=i.checksum, options=i.options)
                      for i in ids] for pair, ids in r.models.items()},
        cached=CachedCounts(hits=r.cache_hits, misses=r.cache_misses),
        warnings=r.warnings,
    )


def summary_model(s: SummaryOut, offsets: str) -> SummaryModel:
    conv = _Offsets(offsets)
    r = s.translation
    return SummaryModel(
        summary=s.summary, method=s.method,  # type: ignore[arg-type]
        summary_sentences=[SummarySentence(summary=conv.span(x.summary, s.summary), sources=x.sources)
                           for x in s.sentences],
        quotes=[SummaryQuote(kind=q.quote.kind, lang=q.quote.lang, original=q.quote.source.text,
                             source=conv.span(q.quote.source, r.source_text),
                             target=conv.span(q.quote.target, r.translation_text) if q.quote.target else None,
                             summary=conv.span(q.summary, s.summary) if q.summary else None,
                             author=q.quote.author, handle=q.quote.handle, speaker=q.quote.speaker)
                for q in s.quotes],
        translation=to_model(r, offsets))


def _documents(req: TranslateRequest) -> list[Document]:
    return [Document(t, req.source_lang, req.target_lang, req.format) for t in req.items()]


def _record(metrics: Metrics, results: list[DocumentResult | Exception]) -> None:
    for r in results:
        if isinstance(r, DocumentResult):
            metrics.cache.labels("hit").inc(r.cache_hits)
            metrics.cache.labels("miss").inc(r.cache_misses)
            for s in r.sentences:
                metrics.segments.labels(f"{s.lang}-{r.target_lang}", str(s.translated).lower()).inc()


def _error_item(index: int, exc: Exception, metrics: Metrics) -> ErrorItem:
    problem = as_problem(exc)
    metrics.errors.labels(problem.type).inc()
    return ErrorItem(index=index, error=problem.to_problem())


@router.post("/v1/translate", response_model=TranslationModel | BatchTranslateResponse,
             responses=PROBLEM_RESPONSES, tags=["translate"])
def translate(req: TranslateRequest, engines: EnginesDep, metrics: MetricsDep) -> Any:
    """Translate `text` (or each of `texts`): sentences, quotes and their spans on both sides."""
    results = engines.pipeline.translate_documents(_documents(req))
    _record(metrics, results)
    if req.text is not None:
        if isinstance(results[0], Exception):
            raise as_problem(results[0])
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
                raise as_problem(r)
            out.append(_error_item(i, r, metrics))
            continue
        s = summarize(r, engines.summarizer, max_sentences=req.max_sentences, ratio=req.ratio, method=method)
        out.append(summary_model(s, req.offsets))
    return out[0] if req.text is not None else BatchSummaryResponse(results=out)


@router.post("/v1/detect", response_model=DetectResponse, responses=PROBLEM_RESPONSES, tags=["detect"])
def detect(req: DetectRequest, engines: EnginesDep) -> DetectResponse:
    """Language and confidence per segment, and for the whole text."""
    if not req.text.strip():
        from service.errors import EmptyText

        raise EmptyText("text is empty")
    source_text, segments = engines.pipeline.detect_segments(req.text, fmt=req.format)
    whole = engines.detector.detect(source_text)
    conv = _Offsets(req.offsets)
    return DetectResponse(lang=whole.lang, confidence=round(whole.confidence, 4), segments=[
        DetectSegment(span=conv.span(s, source_text), lang=d.lang, confidence=round(d.confidence, 4))
        for s, d in segments])


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
    if cache == "ok" and engines.store is not None:
        ping = getattr(engines.store, "ping", None)
        if ping is not None and not ping():
            cache = "degraded: database unreachable"
    loaded = getattr(engines.backend, "loaded_pairs", lambda: [])()
    return {"status": "degraded" if cache.startswith("degraded") else "ok", "cache": cache,
            "backend": engines.settings.backend, "models_loaded": loaded}


@router.get("/metrics", tags=["meta"])
def metrics_endpoint(metrics: MetricsDep) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
