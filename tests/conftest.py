"""Shared fixtures: small real Marian models built here (no hub), settings, the app."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # an accidental download fails loudly
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"
CORPUS = FIXTURES / "corpus"
PAIRS = ("pl-en", "en-pl", "lt-en", "en-lt")


def corpus(lang: str) -> list[str]:
    return (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NEWSBRIDGE_MODEL_DIR with a tiny random-weight Marian model per direct pair."""
    from translators.testing import build_marian

    root = tmp_path_factory.mktemp("models")
    for seed, pair in enumerate(PAIRS):
        src, tgt = pair.split("-")
        build_marian(root / pair, corpus(src), corpus(tgt), seed=seed, spm_vocab=300, max_length=24)
    return root


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path):
    from service.settings import Settings

    return Settings(database_url=f"sqlite:///{tmp_path / 'cache.db'}", model_dir=model_dir, coalesce=False)


@pytest.fixture
def client(settings) -> Iterator:
    from fastapi.testclient import TestClient

    from service.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def sample() -> callable:
    def read(name: str) -> str:
        return (SAMPLES / name).read_text(encoding="utf-8")

    return read
