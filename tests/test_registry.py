"""The registry, model resolution and the config/tokenizer checks, on models built here and,
where a user has them (NEWSBRIDGE_MODEL_DIR or the hub cache), on the real OPUS-MT models."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from translators.base import ModelMissing, UnsupportedPair
from translators.model_check import check_folder
from translators.registry import MODELS, REGISTRY, ModelSpec, folder_checksum, resolve


def test_registry_covers_the_four_direct_pairs() -> None:
    assert set(REGISTRY) == {"pl-en", "en-pl", "lt-en", "en-lt"}
    assert REGISTRY["en-pl"].prefix == ">>pol<< "  # multi-target West Slavic model
    assert all(s.hub_id.startswith("Helsinki-NLP/opus-mt-") for s in REGISTRY.values())


def test_local_folder_wins_and_checksum_is_content(model_dir: Path, tmp_path: Path) -> None:
    r = resolve("pl", "en", model_dir)
    assert r.path == model_dir / "pl-en" and r.revision == "local"
    copy = tmp_path / "pl-en"
    shutil.copytree(model_dir / "pl-en", copy)
    assert folder_checksum(copy) == r.checksum  # same content, same identity
    (copy / "generation_config.json").write_text(json.dumps({"num_beams": 5}))
    assert folder_checksum(copy) != r.checksum  # changed files, new identity


def test_missing_model_offline_names_the_model_dir(tmp_path: Path) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    with pytest.raises(ModelMissing, match="NEWSBRIDGE_MODEL_DIR"):
        resolve("lt", "en", tmp_path)
    with pytest.raises(UnsupportedPair):
        resolve("pl", "lt", tmp_path)


def test_built_models_pass_the_check(model_dir: Path) -> None:
    for pair in REGISTRY:
        assert check_folder(model_dir / pair) == []


def test_check_catches_a_config_that_disagrees_with_the_tokenizer(model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(model_dir / "pl-en", broken)
    config = json.loads((broken / "config.json").read_text())
    config["decoder_start_token_id"] = 0
    config["vocab_size"] += 7
    (broken / "config.json").write_text(json.dumps(config))
    problems = check_folder(broken, ">>pol<< ")
    assert any("vocab_size" in p for p in problems)
    assert any("decoder_start_token_id" in p for p in problems)
    assert any(">>pol<<" in p for p in problems)


def test_models_cli_list_and_check(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBRIDGE_MODEL_DIR", str(model_dir))
    runner = CliRunner()
    out = runner.invoke(app, ["models", "list"])
    assert out.exit_code == 0 and f"{model_dir}/pl-en\n" in out.output and f"{model_dir}/pl-en.fast\n" in out.output
    out = runner.invoke(app, ["models", "check", "pl-en", "lt-en"])
    assert out.exit_code == 0, out.output
    assert "pl-en (quality): ok" in out.output and "lt-en (fast): ok" in out.output


def test_models_pull_offline_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBRIDGE_MODEL_DIR", str(tmp_path))
    out = CliRunner().invoke(app, ["models", "pull", "pl-en"])
    assert out.exit_code == 1
    assert "HF_HUB_OFFLINE" in out.output and "NEWSBRIDGE_MODEL_DIR" in out.output


def _real(spec: ModelSpec) -> Path | None:
    root = os.environ.get("NEWSBRIDGE_MODEL_DIR")
    try:
        return resolve(spec.source, spec.target, Path(root) if root else None, spec.tier).path
    except ModelMissing:
        return None


@pytest.mark.parametrize("spec", MODELS, ids=lambda s: f"{s.pair}-{s.tier}")
def test_real_registry_model_loads_consistently(spec: ModelSpec) -> None:
    """Each registry model (both tiers), at its pinned revision, loads its config, tokenizer and
    weights the way the service does, and they agree (its target token is in the vocabulary)."""
    path = _real(spec)
    if path is None:
        pytest.skip(f"{spec.hub_id}@{spec.revision[:12]} is not on this machine (no hub access; set "
                    "NEWSBRIDGE_MODEL_DIR)")
    assert check_folder(path, spec.prefix) == []
