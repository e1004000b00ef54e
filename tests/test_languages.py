"""One registry is the only source of languages, names, pairs and pivots: everything that
lists them (schemas, /v1/languages, the CLI, batch) reads it."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.cli.main import app as cli
from service.engines import build_engines
from service.http.app import create_app
from service.settings import Settings
from translators.base import SUPPORTED_LANGS
from translators.cached import MemoryStore
from translators.registry import (
    LANGUAGES,
    PIVOT,
    REGISTRY,
    SOURCE_CHOICES,
    TIERS,
    direct_pairs,
    pivot_pairs,
    targets_for,
)
from translators.testing import EchoTranslator


def test_registry_tables() -> None:
    assert tuple(LANGUAGES) == SUPPORTED_LANGS == ("pl", "lt", "en")
    assert LANGUAGES["lt"] == "Lithuanian"
    assert SOURCE_CHOICES == ("auto", "pl", "lt", "en")
    assert sorted(direct_pairs()) == ["en-lt", "en-pl", "lt-en", "pl-en"]
    assert pivot_pairs() == [("pl", "lt"), ("lt", "pl")] and PIVOT == "en"
    assert targets_for("pl") == ["lt", "en"]
    assert targets_for("en") == ["pl", "lt"]
    assert targets_for("xx") == []


def test_api_languages_and_schema_come_from_the_registry(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    engines = build_engines(settings, backend=EchoTranslator(), store=MemoryStore())
    with TestClient(create_app(settings, engines=engines)) as c:
        body = c.get("/v1/languages").json()
        schema = c.get("/openapi.json").json()
        bad = c.post("/v1/translate", json={"text": "Labas rytas.", "target_lang": "de"})
    assert body["languages"] == [{"code": k, "name": v} for k, v in LANGUAGES.items()]
    listed = [(p["source"], p["target"], p["pivot"]) for p in body["pairs"]]
    assert listed == [(s.source, s.target, None) for s in REGISTRY.values()] + [(a, b, PIVOT) for a, b in pivot_pairs()]
    text = json.dumps(schema["components"]["schemas"]["TranslateRequest"])
    assert all(f'"{code}"' in text for code in LANGUAGES)
    assert bad.status_code == 422


def test_cli_lists_pairs_and_languages_from_the_registry(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["models", "list"], env={"NEWSBRIDGE_MODEL_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    listed = [tuple(line.split("\t")[:2]) for line in lines]
    assert listed == [(p, t) for p in REGISTRY for t in TIERS] + [(f"{a}-{b}", f"pivot through {PIVOT}")
                                                                 for a, b in pivot_pairs()]
    helped = CliRunner().invoke(cli, ["translate", "--help"], env={"COLUMNS": "200"})
    assert "auto, pl, lt, en" in helped.output
