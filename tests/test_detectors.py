"""NEWSBRIDGE_DETECTOR picks the language detector: the ensemble or one engine alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.engines import build_detector
from service.http.app import create_app
from service.http.state import state_of
from service.settings import Settings
from translators.base import Detection
from translators.text.detect import LanguageDetector
from translators.text.detectors import (
    DETECTORS,
    LangdetectDetector,
    LinguaDetector,
    Py3langidDetector,
    make_detector,
)

DETECT = Path(__file__).parent / "fixtures" / "detect"
CASES = [
    ("pl", "W nocy funkcjonariusze Straży Granicznej zatrzymali 23 osoby."),
    ("lt", "Lietuvos kariuomenė perkelia papildomas pajėgas į pasienį su Baltarusija."),
    ("en", "The minister said the situation at the border was under control."),
    ("pl", "⚠️ PILNE | Sytuacja jest pod kontrolą #granica @MSWiA_GOV_PL https://t.co/xyz"),
    ("other", "Die Bundesregierung beobachtet die Lage an der Grenze mit großer Sorge."),
    ("other", "Правительство внимательно следит за ситуацией на границе."),
]


def tatoeba(limit: int = 60) -> list[tuple[str, str]]:
    files = {"pl": "tatoeba.v2021-08-07.eng-pol.pol", "lt": "tatoeba.v2021-08-07.eng-lit.lit",
             "en": "tatoeba.v2021-08-07.eng-pol.eng"}
    out: list[tuple[str, str]] = []
    for lang, name in files.items():
        lines = [ln for ln in (DETECT / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
        out += [(lang, ln) for ln in lines[:limit]]
    return out


@pytest.mark.parametrize("name", DETECTORS)
def test_each_detector_answers_pl_lt_en_other(name: str) -> None:
    detector = make_detector(name)
    for lang, text in CASES:
        found = detector.detect(text)
        assert found.lang == lang, (name, text, found)
        assert 0 < found.confidence <= 1
        assert detector.detect(text) == found  # deterministic (langdetect is seeded)
    assert detector.detect("🇵🇱 https://www.gov.pl 23 @MSWiA_GOV_PL") == Detection("other", 0.0)  # no words


@pytest.mark.parametrize("name", DETECTORS)
def test_each_detector_is_accurate_on_whole_sentences(name: str) -> None:
    detector = make_detector(name)
    cases = tatoeba()
    assert len(cases) == 180
    right = sum(detector.detect(text).lang == lang for lang, text in cases)
    assert right / len(cases) >= 0.9, (name, right)


def test_setting_selects_the_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {"ensemble": LanguageDetector, "langdetect": LangdetectDetector, "py3langid": Py3langidDetector,
                "lingua": LinguaDetector}
    assert Settings().detector == "ensemble"
    for name, cls in expected.items():
        monkeypatch.setenv("NEWSBRIDGE_DETECTOR", name)
        assert isinstance(build_detector(Settings()), cls)
    monkeypatch.setenv("NEWSBRIDGE_DETECTOR", "fasttext")
    with pytest.raises(ValidationError, match="detector"):
        Settings()
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("fasttext")


def test_detection_accuracy_setting_picks_the_ensembles_lingua_models(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().detection_accuracy == "standard"
    standard = build_detector(Settings())
    assert isinstance(standard, LanguageDetector) and standard.accuracy == "standard"
    monkeypatch.setenv("NEWSBRIDGE_DETECTION_ACCURACY", "high")
    high = build_detector(Settings())
    assert isinstance(high, LanguageDetector) and high.accuracy == "high"
    for text, lang in [("Premier zwołał posiedzenie rządu.", "pl"), ("Vyriausybė posėdžiavo Vilniuje.", "lt"),
                       ("The cabinet met on Monday.", "en")]:
        assert standard.detect(text).lang == high.detect(text).lang == lang
    monkeypatch.setenv("NEWSBRIDGE_DETECTION_ACCURACY", "best")
    with pytest.raises(ValidationError, match="detection_accuracy"):
        Settings()
    with pytest.raises(ValueError, match="unknown detection accuracy"):
        LanguageDetector(accuracy="best")  # type: ignore[arg-type]


def test_api_uses_the_configured_detector(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"detector": "langdetect"}))) as client:
        assert isinstance(state_of(client.app).ready().engines.detector, LangdetectDetector)
        assert client.get("/readyz").json()["detector"] == "langdetect"  # /readyz names it
        r = client.post("/v1/detect", json={"text": "Minister powiedział, że sytuacja jest pod kontrolą. "
                                                     "Lietuvos kariuomenė perkelia pajėgas į pasienį."})
        assert r.status_code == 200, r.text
        langs = [s["lang"] for s in r.json()["segments"]]
        assert langs == ["pl", "lt"]
        r = client.post("/v1/translate", json={"text": "Premier zwołał posiedzenie rządu."})
        assert r.status_code == 200 and r.json()["source_lang"] == "pl"
