"""The JavaScript client and the Superdesk extension, run by ``node --test`` against a real
``newsbridge serve`` (tiny models, API keys on); and the static files the editor page is made of."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node_tools import node
from tests.servers import live_server

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "clients" / "js"
STATIC = ROOT / "service" / "http" / "static"
SUPERDESK = ROOT / "integrations" / "superdesk"
KEY = "editor-test-key-7f3a"


def test_the_served_client_is_the_published_client() -> None:
    """One source of truth: service/http/static/newsbridge.js; clients/js/newsbridge.js is its copy."""
    assert (CLIENT / "newsbridge.js").read_bytes() == (STATIC / "newsbridge.js").read_bytes(), (
        "clients/js/newsbridge.js differs: cp service/http/static/newsbridge.js clients/js/")


def test_editor_page_and_static_files(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                      "frame-ancestors 'none'", "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert "/static/editor.js" in scripts and "/static/editor.css" in scripts
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page.text))  # no inline script
    assert not re.search(r"<[^>]+\son\w+=", page.text) and "style=" not in page.text  # no inline handlers, styles
    for path in [*scripts, "/static/newsbridge.js", "/static/render.js", "/static/messages.js"]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].split(";")[0] in ("text/javascript", "text/css")
    js = client.get("/static/newsbridge.js")
    assert js.content == (STATIC / "newsbridge.js").read_bytes()
    missing = client.get("/static/../app.py")
    assert missing.status_code == 404
    unknown = client.get("/static/secrets.js")
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("/not_found")
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_package_data_ships_the_static_files() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert all(f'"*.{ext}"' in text for ext in ("html", "css", "js"))
    from service.http.editor import STATIC_FILES, read_static

    for name in (*STATIC_FILES, "index.html"):
        assert read_static(name)


@pytest.fixture(scope="module")
def keyed_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with live_server(model_dir, tmp_path_factory.mktemp("jsclient"), NEWSBRIDGE_API_KEYS=KEY) as base:
        yield base


def _run_node(files: list[Path], base: str | None, cwd: Path) -> tuple[int, int, int, str]:
    env = dict(os.environ, NEWSBRIDGE_URL=base, NEWSBRIDGE_API_KEY=KEY) if base else dict(os.environ)
    out = subprocess.run([node(), "--test", "--test-reporter=tap", *map(str, files)], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=300)
    text = out.stdout + out.stderr

    def count(word: str) -> int:
        m = re.search(rf"^# {word} (\d+)$", text, re.M)
        return int(m.group(1)) if m else -1

    return out.returncode, count("pass"), count("fail"), text


@pytest.mark.slow
def test_node_client_against_a_live_server(keyed_server: str) -> None:
    """Every test twice: on the modern source and on the package's ES2017 build (dist/)."""
    files = sorted((CLIENT / "test").glob("*.test.mjs"))
    assert files
    rc, passed, failed, text = _run_node(files, keyed_server, CLIENT)
    assert rc == 0 and failed == 0, text[-4000:]
    assert passed >= 18, text[-4000:]


def _link_the_client() -> None:
    """What `npm install` does for the extension's file: dependency, without the network."""
    link = SUPERDESK / "node_modules" / "newsbridge-client"
    link.parent.mkdir(exist_ok=True)
    if not link.exists():
        link.symlink_to(Path("..", "..", "..", "clients", "js"), target_is_directory=True)


def test_superdesk_extension_without_a_server() -> None:
    """The body_html split on Superdesk's embed shapes, error reporting, options (stand-in answers)."""
    _link_the_client()
    files = [SUPERDESK / "test" / "body-html.test.mjs", SUPERDESK / "test" / "widget-offline.test.mjs"]
    rc, passed, failed, text = _run_node(files, None, SUPERDESK)
    assert rc == 0 and failed == 0, text[-4000:]
    assert passed >= 14, text[-4000:]


@pytest.mark.slow
def test_superdesk_extension_against_a_live_server(keyed_server: str) -> None:
    _link_the_client()
    files = [SUPERDESK / "test" / "ai-widget.test.mjs"]
    rc, passed, failed, text = _run_node(files, keyed_server, SUPERDESK)
    assert rc == 0 and failed == 0, text[-4000:]
    assert passed >= 8, text[-4000:]
