"""Quality tiers: the best published model per direction (``quality``, the default) and a smaller
one (``fast``), each pinned, with its published figures; chosen per request (``quality``,
DeepL's ``model_type``), named in every response's ``model``, kept apart in the cache."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.batch.records import UsageProblem
from service.batch.runner import BatchOptions, run_batch
from service.cli import app as cli
from service.engines import build_engines
from service.http.app import create_app
from service.pipeline.flow import Document
from service.settings import Settings
from translators.base import ModelMissing
from translators.registry import MODELS, REGISTRY, TIERED, TIERS, resolve, spec_for, tier_of

TWEET = "Funkcjonariusze Straży Granicznej udaremnili kolejną próbę przekroczenia granicy."


# ----------------------------------------------------------------------------- the registry


def test_every_direct_pair_has_both_tiers_pinned_with_published_figures() -> None:
    assert set(TIERS) == {"quality", "fast"}
    assert MODELS
    for tier in TIERS:
        assert set(TIERED[tier]) == set(REGISTRY)
    for spec in MODELS:
        assert re.fullmatch(r"[0-9a-f]{40}", spec.revision), (spec.hub_id, spec.revision)  # a commit, not "main"
        assert spec.scores and spec.confirmed and spec.release and spec.architecture
        assert all(0 < s.bleu < 100 and (s.chrf is None or 0 < s.chrf < 1) for s in spec.scores)
    for pair in REGISTRY:
        best, fast = TIERED["quality"][pair], TIERED["fast"][pair]
        assert best.hub_id != fast.hub_id
        assert "big" in best.architecture and "base" in fast.architecture
        shared = {s.testset: s for s in fast.scores}
        compared = [(s, shared[s.testset]) for s in best.scores if s.testset in shared]
        for b, f in compared:  # the quality tier is the better one where both publish the same test set
            assert b.bleu > f.bleu
    # the table of issue 21, as the cards and the leaderboard give it
    assert spec_for("pl", "en").hub_id == "Helsinki-NLP/opus-mt-tc-big-zlw-en"
    assert spec_for("pl", "en", "fast").hub_id == "Helsinki-NLP/opus-mt-pl-en"
    assert spec_for("en", "pl").prefix == spec_for("en", "pl", "fast").prefix == ">>pol<< "
    assert spec_for("en", "lt", "fast").prefix == ">>lit<< "
    assert (spec_for("pl", "en").scores[0].chrf, spec_for("pl", "en").scores[0].bleu) == (0.583, 29.6)


def test_tier_of_a_request_quality() -> None:
    assert tier_of("best") == "quality" and tier_of("fast") == "fast" and tier_of(None) == "quality"
    with pytest.raises(ValueError, match="best, fast"):
        tier_of("turbo")
    with pytest.raises(ValueError):
        Document("Tekst.", quality="turbo")  # type: ignore[arg-type]


def test_fast_tier_loads_from_its_own_folder(model_dir: Path, tmp_path: Path) -> None:
    best, fast = resolve("pl", "en", model_dir), resolve("pl", "en", model_dir, "fast")
    assert best.path == model_dir / "pl-en" and fast.path == model_dir / "pl-en.fast"
    assert (best.model_id, fast.model_id) == ("local:pl-en", "local:pl-en.fast")
    assert best.checksum != fast.checksum
    only_old_layout = tmp_path / "models"
    shutil.copytree(model_dir / "pl-en", only_old_layout / "pl-en")  # a folder laid out before tiers
    assert resolve("pl", "en", only_old_layout).path == only_old_layout / "pl-en"  # still the default
    with pytest.raises(ModelMissing, match=r"pl-en\.fast/.*--tier fast"):
        resolve("pl", "en", only_old_layout, "fast")


def test_models_list_shows_both_tiers_with_revisions_and_published_figures(model_dir: Path) -> None:
    out = CliRunner().invoke(cli, ["models", "list"], env={"NEWSBRIDGE_MODEL_DIR": str(model_dir)})
    assert out.exit_code == 0, out.output
    rows = [line.split("\t") for line in out.output.splitlines() if "pivot" not in line]
    assert [(r[0], r[1]) for r in rows] == [(s.pair, s.tier) for p in REGISTRY for s in (TIERED["quality"][p],
                                                                                      TIERED["fast"][p])]
    for row, spec in zip(rows, [TIERED[t][p] for p in REGISTRY for t in TIERS], strict=True):
        assert spec.hub_id in row[2] and row[3] == f"revision {spec.revision[:12]}"
        assert row[4].startswith("published ") and f"BLEU {spec.scores[0].bleu:.1f}" in row[4]
        assert row[5] == f"{model_dir}/{spec.folder}"
    check = CliRunner().invoke(cli, ["models", "check", "pl-en", "--tier", "fast"],
                               env={"NEWSBRIDGE_MODEL_DIR": str(model_dir)})
    assert check.exit_code == 0 and "pl-en (fast): ok" in check.output, check.output


# ----------------------------------------------------------------------------- the API


@pytest.fixture
def tier_client(model_dir: Path, tmp_path: Path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cache.db'}", model_dir=model_dir, coalesce=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_translate_picks_the_tier_and_names_it_in_model(tier_client: TestClient) -> None:
    best = tier_client.post("/v1/translate", json={"text": TWEET, "source_lang": "pl"}).json()
    fast = tier_client.post("/v1/translate", json={"text": TWEET, "source_lang": "pl", "quality": "fast"}).json()
    assert best["model"]["pl-en"][0]["id"] == "local:pl-en" and best["model"]["pl-en"][0]["tier"] == "quality"
    assert fast["model"]["pl-en"][0]["id"] == "local:pl-en.fast" and fast["model"]["pl-en"][0]["tier"] == "fast"
    assert best["translation"] != fast["translation"]  # other weights, other output
    # the tier is part of the cache key: the fast request missed, and each hits its own entry again
    assert fast["cached"] == {"hits": 0, "misses": 1}
    again = tier_client.post("/v1/translate", json={"text": TWEET, "source_lang": "pl", "quality": "fast"}).json()
    assert again["cached"] == {"hits": 1, "misses": 0} and again["translation"] == fast["translation"]
    bad = tier_client.post("/v1/translate", json={"text": TWEET, "quality": "turbo"})
    assert bad.status_code == 422


def test_a_pivot_in_the_fast_tier_uses_fast_models_for_both_legs(tier_client: TestClient) -> None:
    out = tier_client.post("/v1/translate", json={"text": TWEET, "source_lang": "pl", "target_lang": "lt",
                                                  "quality": "fast"}).json()
    legs = out["model"]["pl-lt"]
    assert [(leg["id"], leg["tier"]) for leg in legs] == [("local:pl-en.fast", "fast"), ("local:en-lt.fast", "fast")]


def test_batch_texts_and_summaries_take_the_tier(tier_client: TestClient) -> None:
    out = tier_client.post("/v1/translate", json={"texts": [TWEET, "Nikt nie został ranny."], "source_lang": "pl",
                                                  "quality": "fast"}).json()
    assert [r["model"]["pl-en"][0]["tier"] for r in out["results"]] == ["fast", "fast"]
    summary = tier_client.post("/v1/summarize", json={"text": TWEET, "source_lang": "pl", "quality": "fast"}).json()
    assert summary["translation"]["model"]["pl-en"][0]["id"] == "local:pl-en.fast"


def test_languages_lists_each_tiers_model(tier_client: TestClient) -> None:
    pairs = {f"{p['source']}-{p['target']}": p for p in tier_client.get("/v1/languages").json()["pairs"]}
    assert pairs["pl-en"]["tiers"]["fast"] == {"model": "Helsinki-NLP/opus-mt-pl-en",
                                               "revision": TIERED["fast"]["pl-en"].revision,
                                               "source_of_files": "local"}
    assert pairs["pl-lt"]["tiers"] is None


def test_deepl_model_type_maps_onto_the_tiers(tier_client: TestClient) -> None:
    def post(**extra: str) -> dict:
        r = tier_client.post("/v2/translate", json={"text": [TWEET, ""], "target_lang": "EN-GB", **extra})
        assert r.status_code == 200, r.text
        return r.json()

    native = {q: tier_client.post("/v1/translate", json={"text": TWEET, "quality": q}).json()["translation"]
              for q in ("best", "fast")}
    plain = post()
    assert all("model_type_used" not in t for t in plain["translations"])  # DeepL: only when asked
    assert plain["translations"][0]["text"] == native["best"]
    for model_type, used, quality in (("latency_optimized", "latency_optimized", "fast"),
                                      ("quality_optimized", "quality_optimized", "best"),
                                      ("prefer_quality_optimized", "quality_optimized", "best")):
        body = post(model_type=model_type)
        assert [t["model_type_used"] for t in body["translations"]] == [used, used]
        assert body["translations"][0]["text"] == native[quality]
    bad = tier_client.post("/v2/translate", json={"text": [TWEET], "target_lang": "EN-GB", "model_type": "turbo"})
    assert bad.status_code == 400 and "model_type" in bad.json()["message"]


def test_a_fast_request_loads_only_the_fast_model(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, cache_enabled=False)
    engines = build_engines(settings, coalesce=False)
    engines.pipeline.translate(Document(TWEET, "pl", quality="fast"))
    assert engines.backends["fast"].loaded_pairs() == ["pl-en"]  # type: ignore[attr-defined]
    assert engines.backends["quality"].loaded_pairs() == []  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- batch and jobs


def test_batch_takes_the_tier_and_a_resume_must_repeat_it(model_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "in.jsonl"
    archive.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                               for i, t in enumerate([TWEET, "Nikt nie został ranny."])), encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, coalesce=False)
    out = tmp_path / "out.jsonl"
    report = run_batch(BatchOptions(str(archive), str(out), source_lang="pl", quality="fast", progress="none"),
                       settings=settings)
    assert report.errors == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2 and [r["model"]["pl-en"][0]["id"] for r in lines] == ["local:pl-en.fast"] * 2
    with pytest.raises(UsageProblem):  # the same output, another tier: not a resume of this run
        run_batch(BatchOptions(str(archive), str(out), source_lang="pl", progress="none"), settings=settings)
    with pytest.raises(UsageProblem, match="--quality"):
        run_batch(BatchOptions(str(archive), str(tmp_path / "o2.jsonl"), quality="turbo", progress="none"),
                  settings=settings)


def test_a_job_takes_the_tier(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, coalesce=False,
                        jobs_dir=tmp_path / "jobs", job_poll_s=0.2)
    body = '{"id": "a", "text": "Nikt nie został ranny."}\n'
    with TestClient(create_app(settings)) as c:
        bad = c.post("/v1/jobs?quality=turbo&source_lang=pl", content=body,
                     headers={"content-type": "application/x-ndjson"})
        assert bad.status_code == 422 and "quality" in bad.json()["detail"]
        r = c.post("/v1/jobs?quality=fast&source_lang=pl", content=body,
                   headers={"content-type": "application/x-ndjson"})
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        for _ in range(600):
            if c.get(f"/v1/jobs/{job}").json()["state"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.2)
        results = [json.loads(line) for line in c.get(f"/v1/jobs/{job}/results").text.splitlines()]
    assert [r["model"]["pl-en"][0]["tier"] for r in results] == ["fast"]


def test_the_fast_tier_may_decode_with_its_own_beam_size(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", model_dir=model_dir, cache_enabled=False,
                        fast_num_beams=1)
    engines = build_engines(settings, coalesce=False)
    fast, best = engines.translators["fast"].identity("pl", "en"), engines.translators["quality"].identity("pl", "en")
    assert "beams=1;" in fast.options and "beams=model;" in best.options  # part of the cache key, per tier
    out = engines.pipeline.translate(Document(TWEET, "pl", quality="fast"))
    assert out.models["pl-en"][0].options == fast.options
