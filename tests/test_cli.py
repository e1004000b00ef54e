"""The ``newsbridge`` command as a user runs it: real processes, real files, a real server."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import SAMPLES
from tests.servers import Server, newsbridge


def _env(model_dir: Path, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(NEWSBRIDGE_MODEL_DIR=str(model_dir), NEWSBRIDGE_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}",
               HF_HUB_OFFLINE="1", NEWSBRIDGE_LOG_LEVEL="WARNING")
    return env


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(newsbridge() + args, env=env, input=stdin, capture_output=True, text=True, timeout=300)


def test_translate_file_json_and_stdin(model_dir: Path, tmp_path: Path) -> None:
    env = _env(model_dir, tmp_path)
    out = run(["translate", str(SAMPLES / "pl_ministry_tweet.txt"), "--json"], env)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["source_lang"] == "pl" and "#granica" in body["translation"]
    plain = run(["translate", "-", "--target-lang", "en"], env, stdin="Premier zwołał posiedzenie rządu. #granica")
    assert plain.returncode == 0 and "#granica" in plain.stdout


def test_translate_html_file_and_summarize(model_dir: Path, tmp_path: Path) -> None:
    env = _env(model_dir, tmp_path)
    out = run(["translate", str(SAMPLES / "en_article_with_pl_tweet.html")], env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.lstrip().startswith("<article>") and "Border guards report" in out.stdout
    summary = run(["summarize", str(SAMPLES / "lt_news.txt"), "--max-sentences", "2", "--json"], env)
    assert summary.returncode == 0, summary.stderr
    body = json.loads(summary.stdout)
    assert body["translation"]["source_lang"] == "lt" and len(body["summary_sentences"]) <= 2


def test_bad_input_exits_with_a_clear_message(model_dir: Path, tmp_path: Path) -> None:
    env = _env(model_dir, tmp_path)
    german = tmp_path / "de.txt"
    german.write_text("Die Bundesregierung beobachtet die Lage an der Grenze mit großer Sorge.", encoding="utf-8")
    out = run(["translate", str(german)], env)
    assert out.returncode == 2 and "unsupported_language" in out.stderr
    out = run(["translate", str(tmp_path / "missing.txt")], env)
    assert out.returncode != 0 and "no such file" in out.stderr
    for args in (["-s", "xx"], ["--target-lang", "de"]):  # as the API: an unsupported language is an error
        out = run(["translate", "-", *args], env, stdin="Premier zwołał posiedzenie rządu.")
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert out.stdout == "" and "unsupported_language" in out.stderr and "is not supported" in out.stderr
    out = run(["summarize", "-", "-s", "xx"], env, stdin="Premier zwołał posiedzenie rządu.")
    assert out.returncode == 2 and "unsupported_language" in out.stderr


def test_a_bad_setting_is_one_clear_line(model_dir: Path, tmp_path: Path) -> None:
    env = {**_env(model_dir, tmp_path), "NEWSBRIDGE_MAX_INPUT_TOKENS": "2"}
    for args in (["translate", "-"], ["serve", "--port", "0"], ["cache", "stats"]):
        out = run(args, env, stdin="Premier zwołał posiedzenie rządu.")
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, (args, out.stderr)
        assert out.stderr.startswith("error: NEWSBRIDGE_MAX_INPUT_TOKENS=2 leaves no room for text"), out.stderr


@pytest.mark.slow
def test_serve_answers_the_ministry_tweet(model_dir: Path, tmp_path: Path) -> None:
    with Server(_env(model_dir, tmp_path), tmp_path / "server.log", timeout=60) as server:
        base = server.base
        text = (SAMPLES / "pl_ministry_tweet.txt").read_text(encoding="utf-8")
        r = httpx.post(base + "/v1/translate", json={"text": text, "target_lang": "en"}, timeout=120)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["source_lang"] == "pl"
        for token in ("https://www.gov.pl/web/mswia", "pic.twitter.com/Qx7LmP2kAa", "@MSWiA_GOV_PL", "#granica",
                      "#bezpieczeństwo", "⚠️"):
            assert token in body["translation"]
        r = httpx.post(base + "/v1/translate", json={"text": "Die Bundesregierung beobachtet die Lage mit Sorge."})
        assert r.status_code == 422 and r.json()["type"].endswith("/unsupported_language")
        assert httpx.get(base + "/readyz").json()["status"] == "ok"


def test_bench_finds_the_benchmarks_of_a_plain_install_in_the_current_clone(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain ``pip install .`` (the README's first command) puts the code in site-packages,
    without benchmarks/: ``newsbridge bench`` then looks in the clone it is run from."""
    import importlib

    cli_main = importlib.import_module("service.cli.main")
    clone = Path(__file__).resolve().parents[1]
    assert "load" in cli_main._benchmarks()  # an editable install: the code's own clone
    monkeypatch.setattr(cli_main, "BENCH_DIR", tmp_path / "site-packages" / "benchmarks")
    monkeypatch.chdir(clone)
    assert {"load", "startup", "fairness"} <= set(cli_main._benchmarks())
    monkeypatch.chdir(tmp_path)
    assert cli_main._benchmarks() == {}
