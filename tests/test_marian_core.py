"""The shared Marian core, through both backends: identity from files (no weights loaded),
cache keys that cover every input, failed loads remembered and named, the repetition guard and
the capped flag, and input limits that leave room for text."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from service.cli import app as cli_app
from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from translators.base import ModelLoadFailed, TranslatorError
from translators.ct2 import CTranslate2Translator, convert_pair
from translators.marian import DecodeOptions, MarianTranslator
from translators.marian_core import MarianCore, collapse_loops

BACKENDS = ["transformers", "ctranslate2"]
TWEET = "Premier zwołał posiedzenie rządu. Straż Graniczna zatrzymała 23 osoby przy granicy."


def make(backend: str, model_dir: Path, options: DecodeOptions | None = None) -> MarianCore:
    if backend == "ctranslate2":
        return CTranslate2Translator(model_dir, device="cpu", options=options, compute_type="float32")
    return MarianTranslator(model_dir, device="cpu", options=options)


def truncate_weights(folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])


@pytest.fixture
def models(model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny models, with their CTranslate2 conversions (tests here change files)."""
    root = tmp_path / "models"
    for pair in ("pl-en", "en-pl", "lt-en"):
        shutil.copytree(model_dir / pair, root / pair)
    return root


# -- identity and cache keys ----------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_identity_comes_from_files_without_loading_weights(backend: str, models: Path) -> None:
    for converted in (models / "pl-en").glob("ct2-*"):
        shutil.rmtree(converted)
    tr = make(backend, models)
    ident = tr.identity("pl", "en")
    assert ident.checksum and ident.model_id == "local:pl-en"
    assert tr.loaded_pairs() == [] and tr.describe().loaded_pairs == ()
    assert not list((models / "pl-en").glob("ct2-*"))  # not even converted
    tr.translate_batch(["Tak."], "pl", "en")
    assert tr.loaded_pairs() == ["pl-en"] and tr.identity("pl", "en") == ident


def test_identity_covers_max_input_tokens_and_the_prefix_file(models: Path) -> None:
    base = MarianTranslator(models).identity("en", "pl").key()
    assert MarianTranslator(models, options=DecodeOptions(max_input_tokens=64)).identity("en", "pl").key() != base
    (models / "en-pl" / "newsbridge.json").write_text(json.dumps({"prefix": ">>pol<< "}), encoding="utf-8")
    assert MarianTranslator(models).identity("en", "pl").key() != base


def _translate(settings: Settings, backend: MarianCore | None = None) -> dict:
    factory = (lambda s: build_engines(s, backend=backend)) if backend is not None else None
    with TestClient(create_app(settings, engine_factory=factory) if factory else create_app(settings)) as c:
        r = c.post("/v1/translate", json={"text": TWEET, "source_lang": "pl", "target_lang": "en"})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_fully_cached_request_loads_no_model(settings: Settings, models: Path) -> None:
    settings = settings.model_copy(update={"model_dir": models})
    first = _translate(settings)
    assert first["cached"]["misses"] > 0
    fresh = CTranslate2Translator(models)  # a fresh process's (default) backend: nothing loaded yet
    second = _translate(settings, fresh)
    assert second["cached"]["misses"] == 0 and second["cached"]["hits"] == first["cached"]["misses"]
    assert second["translation"] == first["translation"]
    assert fresh.loaded_pairs() == [] and fresh.describe().loaded_pairs == ()


@pytest.mark.parametrize("change", ["max_input_tokens", "prefix"])
def test_changing_an_input_of_the_translation_misses_old_entries(change: str, settings: Settings,
                                                                 models: Path) -> None:
    settings = settings.model_copy(update={"model_dir": models})
    text = "The minister said the situation at the border is under control."
    request = {"text": text, "source_lang": "en", "target_lang": "pl"}

    def run(s: Settings) -> dict:
        with TestClient(create_app(s)) as c:
            r = c.post("/v1/translate", json=request)
        assert r.status_code == 200, r.text
        return r.json()

    first = run(settings)
    assert run(settings)["cached"]["misses"] == 0  # the same inputs hit
    if change == "max_input_tokens":
        settings = settings.model_copy(update={"max_input_tokens": 40})
    else:
        (models / "en-pl" / "newsbridge.json").write_text(json.dumps({"prefix": "▁"}), encoding="utf-8")
        convert_pair("en-pl", models, "int8")  # new files: converted again, ahead (`newsbridge models convert`)
    after = run(settings)
    assert first["cached"]["misses"] > 0
    assert after["cached"]["hits"] == 0 and after["cached"]["misses"] == first["cached"]["misses"]


# -- failed loads ----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_truncated_weights_fail_once_named_and_described(backend: str, models: Path, model_dir: Path) -> None:
    truncate_weights(models / "pl-en")
    tr = make(backend, models)
    failed_identity = tr.identity("pl", "en")  # from the files: known without loading
    opened: list[str] = []
    real_open = tr._open
    tr._open = lambda r: (opened.append(r.spec.pair), real_open(r))[1]  # type: ignore[method-assign]
    for _ in range(3):
        with pytest.raises(ModelLoadFailed, match="pl-en") as caught:
            tr.translate_batch(["Tak."], "pl", "en")
    assert caught.value.type == "model_load_failed" and caught.value.pair == "pl-en"
    assert "next attempt" in str(caught.value)
    assert opened == ["pl-en"]  # remembered: not retried on every request
    described = tr.describe()
    assert list(described.failed_pairs) == ["pl-en"] and described.loaded_pairs == ()
    assert described.health.status == "degraded" and "pl-en" in described.health.detail
    assert tr.translate_batch(["Tak."], "en", "pl")[0].text is not None  # other pairs still serve

    shutil.copy(model_dir / "pl-en" / "model.safetensors", models / "pl-en")  # the weights are repaired
    tr._models._failed["pl-en"].retry_at = 0.0  # and the back-off has passed
    assert tr.translate_batch(["Tak."], "pl", "en")
    assert tr.describe().failed_pairs == {} and "pl-en" in tr.loaded_pairs()
    assert opened == ["pl-en", "en-pl", "pl-en"]
    assert tr.identity("pl", "en").checksum != failed_identity.checksum  # the repaired files' identity


def test_truncated_weights_are_a_503_naming_the_pair(settings: Settings, models: Path) -> None:
    truncate_weights(models / "pl-en")
    settings = settings.model_copy(update={"model_dir": models, "cache_enabled": False})
    with TestClient(create_app(settings)) as c:
        conversions = c.app.state.newsbridge.running.engines.backend.conversions
        convert, go = conversions._convert, threading.Event()
        # held until /readyz has been asked (truncated weights fail in a fraction of a second)
        conversions._convert = lambda r, compute_type: (go.wait(120), convert(r, compute_type))[1]
        # new files: the server converts them in the background, and says so instead of waiting
        first = c.post("/v1/translate", json={"text": "Ala ma kota.", "source_lang": "pl"})
        assert first.status_code == 503 and first.json()["type"].endswith("/model_converting"), first.text
        assert first.json()["pair"] == "pl-en" and int(first.headers["retry-after"]) >= 1
        assert c.get("/readyz").json()["models_converting"] == ["pl-en"]
        go.set()
        conversions.wait("pl-en", timeout=120)  # the conversion fails
        bodies = [c.post("/v1/translate", json={"text": "Ala ma kota.", "source_lang": "pl"}) for _ in range(2)]
        ready = c.get("/readyz").json()
    assert ready["status"] == "degraded" and list(ready["models_failed"]) == ["pl-en"]
    assert ready["models_converting"] == []
    assert "SafetensorError" in ready["models_failed"]["pl-en"]
    for r in bodies:
        assert r.status_code == 503, r.text
        assert r.json()["type"].endswith("/model_load_failed") and "pl-en" in r.json()["detail"]
        assert r.json()["pair"] == "pl-en"


def test_models_check_loads_the_weights(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBRIDGE_MODEL_DIR", str(models))
    runner = CliRunner()
    assert runner.invoke(cli_app, ["models", "check", "pl-en", "--tier", "quality"]).exit_code == 0
    truncate_weights(models / "pl-en")
    out = runner.invoke(cli_app, ["models", "check", "pl-en", "lt-en", "--tier", "quality"])
    assert out.exit_code == 1
    assert "pl-en (quality): weights failed to load" in out.output and "lt-en (quality): ok" in out.output


# -- input limits -----------------------------------------------------------------------------------
def test_max_input_tokens_without_room_for_text_is_rejected(models: Path) -> None:
    with pytest.raises(ValidationError, match="NEWSBRIDGE_MAX_INPUT_TOKENS=2 leaves no room"):
        Settings(max_input_tokens=2)
    (models / "en-pl" / "newsbridge.json").write_text(json.dumps({"prefix": ">>pol<< "}), encoding="utf-8")
    tr = MarianTranslator(models, options=DecodeOptions(max_input_tokens=2))  # >>pol<< and </s> take 2
    with pytest.raises(ModelLoadFailed, match=r"en-pl.*max_input_tokens=2 leaves no room for text"):
        tr.translate_batch(["Yes."], "en", "pl")
    tight = MarianTranslator(models, options=DecodeOptions(max_input_tokens=3))  # one token for text
    with pytest.raises(TranslatorError, match="no room"):  # a clear error, not a RecursionError
        tight.translate_batch(["Yes."], "en", "pl")


# -- capped output and the repetition guard -----------------------------------------------------------
def test_collapse_loops_keeps_one_occurrence_of_a_degenerate_loop() -> None:
    assert collapse_loops([5, 6, 7, 7, 7, 7, 7, 8, 0]) == ([5, 6, 7, 8, 0], True)
    assert collapse_loops([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 9]) == ([1, 2, 3, 1, 2, 9], True)
    assert collapse_loops([4, 4, 4, 5, 6]) == ([4, 4, 4, 5, 6], False)  # three in a row is language


def bias_end_token(folder: Path, bias: float) -> None:
    """Make </s> (un)likely at every step: > 0 ends at once, < 0 never ends before the cap."""
    from transformers import MarianMTModel

    model = MarianMTModel.from_pretrained(folder)
    with torch.no_grad():
        model.final_logits_bias[0, model.config.eos_token_id] = bias
    model.save_pretrained(folder)


@pytest.mark.parametrize("backend", BACKENDS)
def test_output_stopped_by_the_cap_says_so(backend: str, models: Path) -> None:
    bias_end_token(models / "pl-en", -50.0)
    out = make(backend, models).translate_batch(["Ala ma kota.", "Premier zwołał posiedzenie rządu."], "pl", "en")
    assert out and all(t.capped for t in out)


def test_a_capped_sentence_says_so_in_the_response(settings: Settings, models: Path) -> None:
    bias_end_token(models / "pl-en", -50.0)
    convert_pair("pl-en", models, "int8")  # changed weights: converted ahead, as a server wants them
    settings = settings.model_copy(update={"model_dir": models})
    body = _translate(settings)
    assert body["sentences"] and all(s["capped"] for s in body["sentences"] if s["translated"])
    assert any("output length cap" in w for w in body["warnings"])
    again = _translate(settings)  # served from the cache: still says so
    assert again["cached"]["misses"] == 0 and all(s["capped"] for s in again["sentences"] if s["translated"])
    assert any("output length cap" in w for w in again["warnings"])


def test_capped_is_kept_by_the_cache_and_a_pivot(models: Path, url: str) -> None:
    """On SQLite and on PostgreSQL: a hit says again that its translation was capped."""
    from service.storage import db
    from service.storage.cache_store import SqlTranslationStore
    from translators.cached import CachedTranslator
    from translators.pivot import PivotTranslator

    bias_end_token(models / "pl-en", -50.0)
    db.upgrade(url)
    tr = PivotTranslator(CachedTranslator(MarianTranslator(models), SqlTranslationStore(url)))
    texts = ["Ala ma kota.", "Premier zwołał posiedzenie rządu."]
    first = tr.translate_batch(texts, "pl", "en")
    again = tr.translate_batch(texts, "pl", "en")
    assert first and all(t.capped and not t.cached for t in first)
    assert [t.text for t in again] == [t.text for t in first] and all(t.capped and t.cached for t in again)
    db.dispose_engines()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_model_that_ends_on_its_own_is_not_capped(backend: str, models: Path) -> None:
    bias_end_token(models / "pl-en", 50.0)
    out = make(backend, models).translate_batch(["Ala ma kota."], "pl", "en")
    assert out and not out[0].capped


@pytest.mark.parametrize("backend", BACKENDS)
def test_repetition_options_reach_the_decoder_and_the_key(backend: str, models: Path) -> None:
    plain = make(backend, models)
    guarded = make(backend, models, DecodeOptions(no_repeat_ngram_size=2, repetition_penalty=1.5))
    assert guarded.identity("pl", "en").key() != plain.identity("pl", "en").key()
    texts = ["Ala ma kota.", "Premier zwołał posiedzenie rządu."]
    assert [t.text for t in guarded.translate_batch(texts, "pl", "en")] != [
        t.text for t in plain.translate_batch(texts, "pl", "en")]
