"""The presentation layer: one problem policy for every caller, HTTP statuses only in the HTTP
layer, and the CLI's ``detect`` giving what the API's ``/v1/detect`` gives (HTML included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.errors import EmptyText, NewsbridgeError, TextTooLarge, UnsupportedLanguage
from service.http.problems import PROBLEM_BASE, STATUS, problem_body
from service.views import INTERNAL_DETAIL, expected, problem_of
from tests.conftest import SAMPLES
from tests.test_cli import _env, run
from translators.base import ModelMissing, UnsupportedPair


def test_domain_errors_carry_a_type_and_no_http_status() -> None:
    for cls in (EmptyText, TextTooLarge, UnsupportedLanguage):
        exc = cls("why")
        assert not hasattr(exc, "status") and isinstance(exc, NewsbridgeError)
        assert exc.type in STATUS  # the HTTP layer knows every domain type


@pytest.mark.parametrize(("exc", "type_", "status"), [
    (EmptyText("text is empty"), "empty_text", 422),
    (TextTooLarge("too long"), "text_too_large", 413),
    (UnsupportedLanguage("de"), "unsupported_language", 422),
    (UnsupportedPair("pl-de"), "unsupported_pair", 422),
    (ModelMissing("no pl-en"), "model_missing", 503),
])
def test_expected_errors_map_to_their_status(exc: Exception, type_: str, status: int) -> None:
    problem = problem_of(exc)
    assert expected(exc) and not problem.internal
    assert problem.type == type_ and problem.detail == str(exc)
    body = problem_body(problem, "/v1/translate")
    assert body["type"] == PROBLEM_BASE + type_ and body["status"] == status and body["instance"] == "/v1/translate"


def test_a_crash_keeps_its_private_detail_unless_revealed() -> None:
    crash = KeyError("secret path /srv/models")
    hidden = problem_of(crash)
    assert not expected(crash) and hidden.internal
    assert hidden.type == "internal_error" and hidden.detail == INTERNAL_DETAIL and "secret" not in hidden.detail
    assert problem_body(hidden)["status"] == 500
    shown = problem_of(crash, reveal=True)  # for the operator (batch error records)
    assert shown.detail.startswith("KeyError:") and "secret" in shown.detail


def test_cli_detect_matches_the_api_and_reads_html(model_dir: Path, tmp_path: Path, client) -> None:
    env = _env(model_dir, tmp_path)
    html_path = SAMPLES / "en_article_with_pl_tweet.html"
    out = run(["detect", str(html_path), "--json"], env)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    api = client.post("/v1/detect", json={"text": html_path.read_text(encoding="utf-8"), "format": "html"})
    assert api.status_code == 200, api.text
    assert cli == api.json()
    assert cli["segments"], "the article has segments"
    assert all("<" not in s["span"]["text"] for s in cli["segments"])  # text content, never markup
    assert {s["lang"] for s in cli["segments"]} >= {"en", "pl"}  # the English article quotes a Polish post
    plain = run(["detect", str(html_path)], env)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert len(lines) == len(cli["segments"]) and all("<p" not in line for line in lines)
    # --format text forces the markup to be read as text
    as_text = run(["detect", str(html_path), "--format", "text", "--json"], env)
    assert as_text.returncode == 0 and any("<" in s["span"]["text"] for s in json.loads(as_text.stdout)["segments"])


def test_cli_detect_of_empty_text_is_a_clear_error(model_dir: Path, tmp_path: Path) -> None:
    out = run(["detect", "-"], _env(model_dir, tmp_path), stdin="   \n")
    assert out.returncode == 2 and "empty_text" in out.stderr
