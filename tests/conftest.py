"""Shared fixtures: small real Marian models built here (no hub), settings, the app."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # an accidental download fails loudly
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.storage import db

if sys.dont_write_bytecode:  # PYTHONDONTWRITEBYTECODE (set on our machines): compile the checkout's modules
    import compileall  # once, or every `newsbridge` the tests start would compile them again (0.9 s)

    for _package in ("service", "translators", "summarizers"):
        compileall.compile_dir(Path(__file__).resolve().parents[1] / _package, quiet=2, workers=1)

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"
CORPUS = FIXTURES / "corpus"
PAIRS = ("pl-en", "en-pl", "lt-en", "en-lt")


def fresh_python(code: str, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -c code args...`` in a fresh interpreter (this checkout first on its path, ``env``
    added to ours), asserted to exit 0 (its stderr's tail otherwise): for what this process has
    imported or set up already (torch, the collector, structlog) or must not share (its exit)."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd or root, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(root), **(env or {})})
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def corpus(lang: str) -> list[str]:
    return (CORPUS / f"{lang}.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NEWSBRIDGE_MODEL_DIR with a tiny random-weight Marian model per direct pair and tier:
    ``pl-en/`` (quality tier) and ``pl-en.fast/`` (fast tier, other weights), converted for the
    default backend (CTranslate2 int8) as `newsbridge models convert` does: a server never converts
    inside a request, so its tests start from converted models."""
    from translators.ct2_convert import convert_pair
    from translators.testing import build_marian

    root = tmp_path_factory.mktemp("models")
    for seed, pair in enumerate(PAIRS):
        src, tgt = pair.split("-")
        build_marian(root / pair, corpus(src), corpus(tgt), seed=seed, spm_vocab=300, max_length=24)
        build_marian(root / f"{pair}.fast", corpus(src), corpus(tgt), seed=100 + seed, spm_vocab=300, max_length=24)
        convert_pair(pair, root, "int8")
        convert_pair(pair, root, "int8", tier="fast")
    return root


@pytest.fixture(scope="session")
def copy_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A NEWSBRIDGE_MODEL_DIR whose every direct pair is one tiny Marian model trained here to copy
    its input (``translators.testing.build_copy_marian``): its word alignment is near-diagonal, so
    a word of the input is linked to the same word of the output. Trained on every line of
    tests/fixtures/corpus (pl, lt, en) up to 140 characters: sentences from there come back
    verbatim (others may lose characters its vocabulary lacks). Converted for the default backend
    (CTranslate2 int8) like ``model_dir``."""
    import shutil

    from translators.ct2_convert import convert_pair
    from translators.testing import build_copy_marian

    root = tmp_path_factory.mktemp("copy-models")
    first = build_copy_marian(root / PAIRS[0], corpus("pl") + corpus("lt") + corpus("en"))
    for pair in PAIRS[1:]:
        shutil.copytree(first, root / pair)
    for pair in PAIRS:
        convert_pair(pair, root, "int8")
    return root


PG_ENV = "NEWSBRIDGE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. `source .ci/postgres.sh`)")
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = create_engine(db.parse_url(pg_admin_url), isolation_level="AUTOCOMMIT")
    name = f"nbtest_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield db.parse_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        db.dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: an SQLite file (in folders that do not exist yet) or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'a' / 'b' / 'cache.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def settings(tmp_path: Path, model_dir: Path):
    from service.settings import Settings

    return Settings(database_url=f"sqlite:///{tmp_path / 'cache.db'}", model_dir=model_dir, coalesce=False)


@pytest.fixture
def client(settings) -> Iterator:
    from fastapi.testclient import TestClient

    from service.http.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def sample() -> callable:
    def read(name: str) -> str:
        return (SAMPLES / name).read_text(encoding="utf-8")

    return read
