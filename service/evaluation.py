"""``newsbridge eval``: what a setting costs in quality, measured on the user's own machine.

A test set (one source segment per line, its reference on the same line of another file) is
translated through the real pipeline (segmentation, protection of links and handles, number
checks; the cache off) once per compared setting, in one run, on the same inputs; each
setting's output is scored with sacrebleu (BLEU, chrF, TER, each with its signature) and, when
``unbabel-comet`` and its model are installed, COMET. Throughput is timed over the same run,
after one warm-up segment has loaded the model (loading is not counted).

A setting is one or more of, joined with ``+`` (unnamed aspects come from the configuration,
``NEWSBRIDGE_BACKEND`` and ``NEWSBRIDGE_CT2_COMPUTE_TYPE``, and the ``best`` tier):
``ct2`` / ``ct2:<compute type>`` (CTranslate2, e.g. ``ct2:int8``, ``ct2:float32``),
``transformers``, ``best`` (or ``quality``) / ``fast`` (the model tier). Examples:
``ct2:int8``, ``fast+ct2:int8``, ``transformers+best``.

Every setting's model inputs (the masked segments the pipeline hands to the model) are
recorded and digested: equal digests show the settings saw identical inputs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.pipeline.flow import Document, DocumentResult
from service.settings import Settings
from translators.base import EngineInfo, Lang, ModelIdentity, Translation, Translator
from translators.registry import QUALITIES, Quality, tier_of

__all__ = ["EvalReport", "EvalSetting", "SettingResult", "evaluate", "parse_setting", "read_test_set"]

COMPUTE_TYPES = ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16",
                 "float32", "auto", "default")


class EvalProblem(ValueError):
    """A bad test set or setting: the command says what and exits 2."""


@dataclass(frozen=True)
class EvalSetting:
    name: str  # as written ("ct2:int8", "fast+transformers"), or "configured"
    backend: str  # transformers | ctranslate2
    compute_type: str
    quality: Quality

    def settings(self, base: Settings) -> Settings:
        return base.model_copy(update={"backend": self.backend, "ct2_compute_type": self.compute_type,
                                       "cache_enabled": False, "coalesce": False})

    def describe(self) -> str:
        engine = f"ctranslate2 {self.compute_type}" if self.backend == "ctranslate2" else "transformers"
        return f"{engine}, {self.quality} tier"


def parse_setting(text: str, base: Settings) -> EvalSetting:
    """One ``--compare`` value (see the module docstring)."""
    backend, compute, quality = base.backend, base.ct2_compute_type, "best"
    seen: set[str] = set()
    for token in (t.strip().lower() for t in text.split("+")):
        kind = "tier" if token in (*QUALITIES, "quality") else "backend"
        if kind in seen:
            raise EvalProblem(f"setting {text!r} names the {kind} twice")
        seen.add(kind)
        if token in ("best", "quality"):
            quality = "best"
        elif token == "fast":
            quality = "fast"
        elif token == "transformers":
            backend = "transformers"
        elif token == "ct2" or token.startswith("ct2:"):
            backend = "ctranslate2"
            compute = token.partition(":")[2] or compute
            if compute not in COMPUTE_TYPES:
                raise EvalProblem(f"unknown CTranslate2 compute type {compute!r} in {text!r} "
                                  f"(known: {', '.join(COMPUTE_TYPES)})")
        else:
            raise EvalProblem(f"unknown setting {token!r} in {text!r}: use ct2, ct2:<compute type>, transformers, "
                              "best, fast, joined with + (e.g. fast+ct2:int8)")
    return EvalSetting(text, backend, compute, quality)  # type: ignore[arg-type]


def read_test_set(sources: Sequence[str], references: Sequence[str]) -> tuple[list[str], list[str]]:
    if len(sources) != len(references):
        raise EvalProblem(f"the source has {len(sources)} lines and the reference {len(references)}: "
                          "one reference per source line")
    if not any(s.strip() for s in sources):
        raise EvalProblem("the source has no text")
    return list(sources), list(references)


class RecordingTranslator:
    """Passes every call to ``inner`` and keeps the texts it was given (the model inputs)."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner
        self.inputs: list[tuple[str, str, str]] = []

    def supports(self, source: Lang, target: Lang) -> bool:
        return self.inner.supports(source, target)

    def identity(self, source: Lang, target: Lang) -> ModelIdentity:
        return self.inner.identity(source, target)

    def describe(self, source: Lang | None = None, target: Lang | None = None) -> EngineInfo:
        return self.inner.describe(source, target)

    def translate_batch(self, texts: Sequence[str], source: Lang, target: Lang, **options: Any) -> list[Translation]:
        self.inputs += [(source, target, t) for t in texts]
        return self.inner.translate_batch(texts, source, target, **options)

    def digest(self) -> str:
        h = hashlib.sha256()
        for item in sorted(self.inputs):
            h.update("\x1f".join(item).encode() + b"\x1e")
        return h.hexdigest()


@dataclass
class SettingResult:
    setting: EvalSetting
    hypotheses: list[str]
    seconds: float  # translating the test set (the model already loaded)
    segments: int  # translated (non-empty) source lines
    chars: int  # their characters
    model_inputs: int  # texts handed to the model (a pivot counts each leg)
    inputs_sha256: str
    models: dict[str, list[str]]  # pair -> "id@revision (tier)" per leg
    errors: list[str]  # "line N: type: detail" for lines the pipeline refused
    scores: dict[str, float] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)

    @property
    def segments_per_s(self) -> float:
        return self.segments / self.seconds if self.seconds > 0 else 0.0

    @property
    def chars_per_s(self) -> float:
        return self.chars / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"setting": self.setting.name, "engine": self.setting.describe(), "backend": self.setting.backend,
                "compute_type": self.setting.compute_type if self.setting.backend == "ctranslate2" else None,
                "quality": self.setting.quality, "models": self.models, "scores": self.scores,
                "signatures": self.signatures, "seconds": round(self.seconds, 3), "segments": self.segments,
                "segments_per_s": round(self.segments_per_s, 3), "chars_per_s": round(self.chars_per_s, 1),
                "model_inputs": self.model_inputs, "inputs_sha256": self.inputs_sha256, "errors": self.errors,
                "hypotheses": self.hypotheses}


@dataclass
class EvalReport:
    pair: str
    segments: int
    results: list[SettingResult]
    comet: str  # "computed with <model>", or why not

    def same_inputs(self) -> bool:
        return len({r.inputs_sha256 for r in self.results}) == 1

    def as_dict(self) -> dict[str, Any]:
        return {"pair": self.pair, "segments": self.segments, "same_inputs": self.same_inputs(),
                "comet": self.comet, "results": [r.as_dict() for r in self.results]}


def _run_setting(setting: EvalSetting, base: Settings, source: Lang, target: Lang, lines: Sequence[str],
                 detector: Any) -> SettingResult:
    from service.engines import build_backend, build_engines
    from service.views import problem_of

    settings = setting.settings(base)
    recorder = RecordingTranslator(build_backend(settings, tier_of(setting.quality)))
    engines = build_engines(settings, backend=recorder, fast_backend=recorder, detector=detector, coalesce=False)
    todo = [i for i, line in enumerate(lines) if line.strip()]
    docs = [Document(lines[i], source, target, "text", quality=setting.quality) for i in todo]
    engines.pipeline.translate_documents(docs[:1])  # load the model; not timed, not recorded
    recorder.inputs.clear()
    started = time.perf_counter()
    results = engines.pipeline.translate_documents(docs)
    seconds = time.perf_counter() - started
    hypotheses = [""] * len(lines)
    errors: list[str] = []
    models: dict[str, list[str]] = {}
    for i, r in zip(todo, results, strict=True):
        if isinstance(r, DocumentResult):
            hypotheses[i] = r.translation_text
            for pair, legs in r.models.items():
                models.setdefault(pair, [f"{leg.model_id}@{leg.revision[:12]} ({leg.tier})" for leg in legs])
        else:
            problem = problem_of(r, reveal=True)
            errors.append(f"line {i + 1}: {problem.type}: {problem.detail}")
    return SettingResult(setting, hypotheses, seconds, len(todo), sum(len(lines[i]) for i in todo),
                         len(recorder.inputs), recorder.digest(), models, errors)


def score(hypotheses: Sequence[str], references: Sequence[str]) -> tuple[dict[str, float], dict[str, str]]:
    """sacrebleu's corpus BLEU, chrF (0-100, as sacrebleu reports it) and TER, with signatures."""
    from sacrebleu.metrics import BLEU, CHRF, TER

    scores: dict[str, float] = {}
    signatures: dict[str, str] = {}
    for name, metric in (("bleu", BLEU()), ("chrf", CHRF()), ("ter", TER())):
        scores[name] = metric.corpus_score(list(hypotheses), [list(references)]).score
        signatures[name] = str(metric.get_signature())
    return scores, signatures


def comet_scorer(model_name: str) -> tuple[Any, str]:
    """(a function scoring (sources, hypotheses, references) -> system score, description), or
    (None, why COMET is not computed). Never raises: COMET is optional."""
    try:
        from comet import download_model, load_from_checkpoint  # type: ignore[import-not-found]
    except ImportError:
        return None, "not computed: unbabel-comet is not installed (pip install 'newsbridge[comet]')"
    try:
        model = load_from_checkpoint(download_model(model_name))
    except Exception as exc:  # no hub, no cached model
        return None, f"not computed: the COMET model {model_name} could not be loaded ({type(exc).__name__}: {exc})"

    def run(sources: Sequence[str], hypotheses: Sequence[str], references: Sequence[str]) -> float:
        data = [{"src": s, "mt": h, "ref": r} for s, h, r in zip(sources, hypotheses, references, strict=True)]
        return float(model.predict(data, batch_size=16, gpus=0, progress_bar=False).system_score)

    return run, f"computed with {model_name}"


def evaluate(pair: str, sources: Sequence[str], references: Sequence[str], settings: Sequence[EvalSetting],
             base: Settings, *, comet_model: str | None = "Unbabel/wmt22-comet-da") -> EvalReport:
    """Translate the test set once per setting and score each output against the references."""
    from service.engines import build_detector
    from translators.registry import LANGUAGES, targets_for

    source, _, target = pair.partition("-")
    if source not in LANGUAGES or target not in targets_for(source):
        raise EvalProblem(f"unknown pair {pair!r}: use e.g. pl-en, en-pl, lt-en, en-lt, pl-lt")
    sources, references = read_test_set(sources, references)
    if not settings:
        raise EvalProblem("no setting to evaluate")
    detector = build_detector(base)
    results = [_run_setting(s, base, source, target, sources, detector) for s in settings]  # type: ignore[arg-type]
    comet, comet_note = comet_scorer(comet_model) if comet_model else (None, "not computed (--no-comet)")
    for r in results:
        r.scores, r.signatures = score(r.hypotheses, references)
        if comet is not None:
            r.scores["comet"] = comet(sources, r.hypotheses, references)
    return EvalReport(pair, sum(1 for s in sources if s.strip()), results, comet_note)


def render(report: EvalReport) -> str:
    """The side-by-side table a person reads."""
    comet = any("comet" in r.scores for r in report.results)
    head = f"{'setting':<22} {'BLEU':>6} {'chrF':>6} {'TER':>6}" + (f" {'COMET':>7}" if comet else "")
    head += f" {'seg/s':>8} {'chars/s':>9}  model"
    lines = [f"newsbridge eval {report.pair}: {report.segments} segments, one run, the same inputs for every "
             "setting (cache off)", "", head]
    for r in report.results:
        s = r.scores
        row = f"{r.setting.name:<22} {s['bleu']:6.1f} {s['chrf']:6.1f} {s['ter']:6.1f}"
        row += f" {s['comet']:7.4f}" if comet else ""
        models = "; ".join(", ".join(legs) for legs in r.models.values())
        row += f" {r.segments_per_s:8.2f} {r.chars_per_s:9.0f}  {models}"
        lines.append(row)
    lines.append("")
    first = report.results[0]
    lines += [f"{name}: {first.signatures[name]}" for name in ("bleu", "chrf", "ter")]
    lines.append(f"COMET: {report.comet}")
    digest = first.inputs_sha256[:16]
    lines.append(f"model inputs: {first.model_inputs} texts, sha256 {digest}… "
                 + ("(identical for every setting)" if report.same_inputs() else "(DIFFERENT between settings)"))
    for r in report.results:
        for e in r.errors:
            lines.append(f"{r.setting.name}: {e}")
    return "\n".join(lines)
