"""No PyTorch where it is not needed: with the CTranslate2 backend (the default) a served request,
the CLI's translate / summarize / detect and a batch run never import torch nor transformers.

Each check runs in a fresh Python process (this test process has torch loaded already), which
reports what its ``sys.modules`` holds after the work; the real ``newsbridge serve`` process is
checked from outside as well (libtorch must not be mapped into it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from tests.conftest import SAMPLES, fresh_python
from tests.servers import live_server

REPORT = """
import json, sys
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))
print("MODULES " + json.dumps(heavy))
"""

SERVE_IN_PROCESS = """
from fastapi.testclient import TestClient
from service.http.app import create_app
from service.settings import Settings
settings = Settings(preload=True)
assert settings.backend == "ctranslate2", settings.backend  # the default
with TestClient(create_app(settings)) as c:
    while c.get("/readyz").status_code == 503:  # the warm-up: every pair, the detector
        pass
    for path, body in [("/v1/translate", {"text": "Premier zwołał posiedzenie rządu.", "target_lang": "en"}),
                       ("/v1/translate", {"text": "The minister spoke.", "source_lang": "en", "target_lang": "pl"}),
                       ("/v1/summarize", {"text": "Premier zwołał posiedzenie. Rząd obradował.", "target_lang": "en"}),
                       ("/v1/detect", {"text": "Labas rytas."})]:
        r = c.post(path, json=body)
        assert r.status_code == 200, r.text
"""

CLI = """
import sys
from service.cli.main import app
for argv in {argvs!r}:
    try:
        app(argv, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (argv, exc.code)
"""


def run_python(code: str, env: dict[str, str], cwd: Path) -> list[str]:
    """Run ``code`` then the module report in a fresh interpreter; the heavy modules it imported."""
    done = fresh_python(code + REPORT, cwd=cwd, timeout=300, env={"HF_HUB_OFFLINE": "1", **env})
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))


def env_for(model_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {"NEWSBRIDGE_MODEL_DIR": str(model_dir), "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
            "NEWSBRIDGE_LOG_LEVEL": "WARNING"}


def test_a_served_request_imports_no_torch(model_dir: Path, tmp_path: Path) -> None:
    assert run_python(SERVE_IN_PROCESS, env_for(model_dir, tmp_path), tmp_path) == []


def test_the_transformers_backend_does_import_it(model_dir: Path, tmp_path: Path) -> None:
    """The check can fail: the same served requests on the transformers backend load torch."""
    env = {**env_for(model_dir, tmp_path), "NEWSBRIDGE_BACKEND": "transformers"}
    code = SERVE_IN_PROCESS.replace('assert settings.backend == "ctranslate2", settings.backend', "")
    assert "torch" in run_python(code, env, tmp_path)


def test_cli_translate_summarize_detect_and_batch_import_no_torch(model_dir: Path, tmp_path: Path) -> None:
    records = tmp_path / "in.jsonl"
    records.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(
        ["Premier zwołał posiedzenie rządu.", "Labas rytas, Vilniau.", "The minister spoke."])), encoding="utf-8")
    tweet = str(SAMPLES / "pl_ministry_tweet.txt")
    argvs = [["translate", tweet], ["summarize", tweet, "--max-sentences", "1"], ["detect", tweet],
             ["batch", str(records), "-o", str(tmp_path / "out.jsonl"), "--no-progress"]]
    assert run_python(CLI.format(argvs=argvs), env_for(model_dir, tmp_path), tmp_path) == []
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 3 and all("error" not in r for r in out)


LOGS = """
import logging, sys
import service.http.middleware, service.logs
assert "rich" not in sys.modules, "structlog brought rich in"
service.logs.configure_logging("INFO")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("newsbridge.test").exception("it failed")
import rich.traceback  # hidden only while structlog imported: still there for whoever wants it
print("RICH importable")
"""


def test_logging_imports_no_rich_and_writes_plain_tracebacks(tmp_path: Path) -> None:
    """structlog imports rich (and pygments) when it is installed, 0.15 s of a server's start,
    for console tracebacks this service does not use: it is imported with rich hidden."""
    done = fresh_python(LOGS, cwd=tmp_path)
    assert "RICH importable" in done.stdout
    assert "it failed" in done.stderr and "Traceback (most recent call last)" in done.stderr
    assert "ZeroDivisionError: division by zero" in done.stderr
    assert "╭" not in done.stderr  # rich's boxed traceback


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/<pid>/maps")
def test_newsbridge_serve_maps_no_libtorch(model_dir: Path, tmp_path: Path) -> None:
    with live_server(model_dir, tmp_path) as base:
        r = httpx.post(base + "/v1/translate", json={"text": "Premier zwołał posiedzenie rządu.", "target_lang": "en"},
                       timeout=60)
        assert r.status_code == 200, r.text
        maps = _maps_of_listener(int(base.rsplit(":", 1)[1]))
    assert maps, "the server process was not found"
    assert "libctranslate2" in maps and "libtorch" not in maps


def _maps_of_listener(port: int) -> str:
    """The memory map of the process listening on ``port`` (found through /proc/net/tcp)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # LISTEN
            inode = fields[9]
    assert inode is not None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == f"socket:[{inode}]" for fd in (proc / "fd").iterdir()):
                return (proc / "maps").read_text()
        except OSError:
            continue
    return ""
