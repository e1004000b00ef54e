"""The language detectors one can choose (``NEWSBRIDGE_DETECTOR``), all behind ``Detector``.

* ``ensemble`` (default, the best measured: ``benchmarks/detect_bench.py``): ``LanguageDetector``,
  py3langid + lingua + function words + letters.
* ``langdetect``, ``py3langid``, ``lingua``: one engine alone. Each sees the same letters-only
  text as the ensemble (URLs, handles, hashtags, e-mails, emoji, digits and punctuation
  stripped), chooses among pl/lt/en with the engine restricted to them, and answers ``other``
  under the ensemble's rule: no letters (confidence 0), mostly non-Latin script, or a whole
  sentence (3+ words, 15+ letters) that the engine over many languages puts elsewhere with
  probability 0.9 or more.

Engines load on first use and are shared by the instances of a class; langdetect is seeded, so
every detector is deterministic.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar, Literal

from translators.base import Detection, Detector
from translators.text.detect import LANGS, OTHER_LANGS, Accuracy, LanguageDetector, screen

DetectorName = Literal["ensemble", "langdetect", "py3langid", "lingua"]
DETECTORS: tuple[DetectorName, ...] = ("ensemble", "langdetect", "py3langid", "lingua")

_OTHER_MIN_WORDS, _OTHER_MIN_LETTERS, _OTHER_MIN_PROB = 3, 15, 0.9


class SingleEngineDetector:
    """One engine, restricted to pl/lt/en to choose, over many languages to say ``other``."""

    name = ""
    _lock = threading.Lock()
    _loaded: ClassVar[dict[str, tuple[Any, Any]]] = {}

    def detect(self, text: str) -> Detection:
        screened = screen(text)
        if isinstance(screened, Detection):
            return screened
        clean, letters = screened
        ours, wide = self._engines()
        if len(letters) >= _OTHER_MIN_LETTERS and len(clean.split()) >= _OTHER_MIN_WORDS:
            lang, prob = self._wide_top(wide, clean)
            if lang not in LANGS and prob >= _OTHER_MIN_PROB:
                return Detection("other", round(prob, 4))
        probs = self._ours(ours, clean)
        total = sum(probs.values())
        if total <= 0:
            return Detection("en", round(1 / 3, 4))
        best = max(LANGS, key=lambda lang: probs.get(lang, 0.0))
        return Detection(best, round(probs.get(best, 0.0) / total, 4))

    def _engines(self) -> tuple[Any, Any]:
        engines = self._loaded.get(self.name)
        if engines is None:
            with self._lock:
                if self.name not in self._loaded:
                    self._loaded[self.name] = self._load()
                engines = self._loaded[self.name]
        return engines

    def _load(self) -> tuple[Any, Any]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _ours(self, engine: Any, clean: str) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    def _wide_top(self, engine: Any, clean: str) -> tuple[str, float]:  # pragma: no cover
        raise NotImplementedError


class LangdetectDetector(SingleEngineDetector):
    """``langdetect`` (a port of Google's language-detection), seeded."""

    name = "langdetect"

    def _load(self) -> tuple[Any, Any]:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        def factory(langs: list[str]) -> Any:
            f = DetectorFactory()
            f.set_seed(0)
            f.load_json_profile([Path(PROFILES_DIRECTORY, lang).read_text(encoding="utf-8") for lang in langs])
            return f

        wide = sorted(set(LANGS) | {lang for lang in OTHER_LANGS if Path(PROFILES_DIRECTORY, lang).is_file()})
        return factory(list(LANGS)), factory(wide)

    @staticmethod
    def _run(factory: Any, clean: str) -> list[tuple[str, float]]:
        from langdetect.lang_detect_exception import LangDetectException

        try:
            detector = factory.create()
            detector.append(clean)
            return [(str(x.lang), float(x.prob)) for x in detector.get_probabilities()]
        except LangDetectException:
            return []

    def _ours(self, engine: Any, clean: str) -> dict[str, float]:
        return dict(self._run(engine, clean))

    def _wide_top(self, engine: Any, clean: str) -> tuple[str, float]:
        ranked = self._run(engine, clean)
        return ranked[0] if ranked else ("en", 0.0)


class Py3langidDetector(SingleEngineDetector):
    """``py3langid`` (langid.py's model), normalised probabilities."""

    name = "py3langid"

    def _load(self) -> tuple[Any, Any]:
        import copy

        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        ours = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        wide = copy.copy(ours)  # set_languages rebinds attributes: copies stay apart
        ours.set_languages(list(LANGS))
        wide.set_languages([*LANGS, *OTHER_LANGS])
        return ours, wide

    def _ours(self, engine: Any, clean: str) -> dict[str, float]:
        return {str(lang): float(p) for lang, p in engine.rank(clean)}

    def _wide_top(self, engine: Any, clean: str) -> tuple[str, float]:
        lang, prob = engine.rank(clean)[0]
        return str(lang), float(prob)


class LinguaDetector(SingleEngineDetector):
    """``lingua`` (high-accuracy mode for pl/lt/en, low-accuracy over many languages)."""

    name = "lingua"

    def _load(self) -> tuple[Any, Any]:
        from lingua import Language, LanguageDetectorBuilder

        names = {"pl": "POLISH", "lt": "LITHUANIAN", "en": "ENGLISH", **OTHER_LANGS}
        codes = {getattr(Language, name): iso for iso, name in names.items()}
        ours = LanguageDetectorBuilder.from_languages(*(getattr(Language, names[lang]) for lang in LANGS)).build()
        wide = LanguageDetectorBuilder.from_languages(*codes).with_low_accuracy_mode().build()
        return ours, (wide, codes)

    def _ours(self, engine: Any, clean: str) -> dict[str, float]:
        from lingua import Language

        codes = {Language.POLISH: "pl", Language.LITHUANIAN: "lt", Language.ENGLISH: "en"}
        return {codes[v.language]: v.value for v in engine.compute_language_confidence_values(clean)}

    def _wide_top(self, engine: Any, clean: str) -> tuple[str, float]:
        wide, codes = engine
        top = wide.compute_language_confidence_values(clean)[0]
        return codes[top.language], float(top.value)


def make_detector(name: str = "ensemble", accuracy: Accuracy = "standard") -> Detector:
    """The detector named ``name`` (one of ``DETECTORS``; ``accuracy`` is the ensemble's, see
    :mod:`translators.text.detect`); nothing loads until its first use."""
    if name == "ensemble":
        return LanguageDetector(accuracy=accuracy)
    classes: dict[str, type[SingleEngineDetector]] = {
        "langdetect": LangdetectDetector, "py3langid": Py3langidDetector, "lingua": LinguaDetector}
    if name not in classes:
        raise ValueError(f"unknown detector {name!r}: choose one of {', '.join(DETECTORS)}")
    return classes[name]()


__all__ = ["DETECTORS", "DetectorName", "LangdetectDetector", "LinguaDetector", "Py3langidDetector",
           "SingleEngineDetector", "make_detector"]

