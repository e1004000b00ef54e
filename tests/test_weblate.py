"""Weblate works end to end (issue 24), proven with Weblate's own machinery code.

Weblate 5.14.3's ``DeepLTranslation`` and ``LibreTranslateTranslation``, saved through their
settings forms and run on Weblate's test stand-ins for units, drive a live ``newsbridge serve``
started the plain way (no preload asked for, no warm-up). Weblate and Django live in a virtual
environment of their own (``.venv-weblate``, built by ``.ci/weblate-venv.sh``, which ``.ci/run``
always runs): ``tests/weblate_harness/drive.py`` runs there once against the server and reports
what every call returned or raised; the tests below judge that report. The report is also
written to ``$NEWSBRIDGE_ARTIFACTS/weblate/report.json`` (default ``tests/artifacts/``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import Server
from tests.test_cli import _env, run

ROOT = Path(__file__).resolve().parent.parent
WEBLATE_PYTHON = Path(os.environ.get("NEWSBRIDGE_TEST_WEBLATE_VENV") or ROOT / ".venv-weblate") / "bin" / "python"
DRIVER = ROOT / "tests" / "weblate_harness" / "drive.py"
ARTIFACTS = Path(os.environ.get("NEWSBRIDGE_ARTIFACTS") or Path(__file__).parent / "artifacts") / "weblate"
PLACEHOLDERS = ("%s", "{name}", "<b>", "</b>")
READY_WAIT = 600  # seconds for /readyz on a loaded machine (models loaded, converted)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not WEBLATE_PYTHON.exists(),
                       reason=f"needs Weblate's environment {WEBLATE_PYTHON.parent.parent} (.ci/weblate-venv.sh; "
                              ".ci/run always builds it)"),
]


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        if httpx.get(base + "/readyz", timeout=10).status_code == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"/readyz not 200 after {READY_WAIT} s")


@pytest.fixture(scope="module")
def report(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("weblate")
    env = _env(model_dir, tmp)
    made = run(["keys", "create", "weblate"], env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    # Weblate's own interpreter, without the main environment's import path
    driver_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    driver_env["CI_BASE_DIR"] = str(tmp / "weblate-data")
    with Server(env, tmp / "server.log", timeout=120) as server:  # a plain start: serve prepares the models
        _wait_ready(server.base)
        out = subprocess.run([str(WEBLATE_PYTHON), str(DRIVER), server.base, key], capture_output=True, text=True,
                             timeout=900, env=driver_env, cwd=tmp)
        log = server.tail()
    assert out.returncode == 0, f"{out.stderr[-4000:]}\nserver log:\n{log}"
    data = json.loads(out.stdout)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    assert data["weblate"] == "5.14.3"
    return data


def _entries(report: dict[str, Any], part: str, service: str) -> list[dict[str, Any]]:
    found = [e for e in report[part] if e["service"] == service]
    assert found, f"no {part} entries for {service}"
    return found


def _translations(report: dict[str, Any], service: str) -> list[tuple[str, str, list[str]]]:
    """(source text, flags, its translations) of every translate and batch call of the service."""
    out = []
    for e in _entries(report, "translate", service):
        assert e["error"] is None and e["results"], e
        out += [(e["text"], e["flags"], plural) for plural in e["results"]]
    for b in _entries(report, "batch", service):
        assert b["error"] is None, b
        out += [(u["text"], u["flags"], u["translation"]) for u in b["units"]]
    assert out and all(t for _, _, t in out), out
    return out


# ----------------------------------------------------------------------------- settings (both)


def test_an_admin_can_save_both_services(report: dict[str, Any]) -> None:
    """validate_settings (run by the admin page and install_machinery) passes: the DeepL service
    with each formality the form offers, and the LibreTranslate one."""
    saved = report["settings"]
    assert [s["service"] for s in saved] == ["deepl", "deepl", "deepl", "libretranslate"]
    assert {s["config"].get("formality") for s in saved} == {"default ", "prefer_more", "prefer_less", None}
    for s in saved:
        assert s["errors"] == [], s


def test_a_wrong_key_is_refused(report: dict[str, Any]) -> None:
    assert len(report["settings_wrong_key"]) == 2
    for s in report["settings_wrong_key"]:
        assert s["errors"] and "403" in s["errors"][0], s
    assert {e["service"] for e in report["wrong_key"]} == {"deepl", "libretranslate"}
    for e in report["wrong_key"]:
        assert e["results"] is None and "403" in e["error"], e


def test_download_languages(report: dict[str, Any]) -> None:
    deepl = {tuple(pair) for pair in report["languages"]["deepl"]}
    assert {("PL", "EN"), ("LT", "EN-GB"), ("EN", "PL"), ("PL", "LT")} <= deepl
    assert not any("DE" in pair for pair in deepl)  # German is not offered, whatever the settings check got
    assert report["languages"]["libretranslate"] == ["en", "lt", "pl"]


def test_unsupported_pairs_are_not_asked_for(report: dict[str, Any]) -> None:
    """Weblate itself turns the pairs away (not in download_languages): no error, no result."""
    for service in ("deepl", "libretranslate"):
        entries = _entries(report, "unsupported", service)
        assert {(e["source"], e["target"]) for e in entries} == {("en", "de"), ("de", "en"), ("pl", "cs")}
        for e in entries:
            assert e["results"] == [] and e["error"] is None, e


# ----------------------------------------------------------------------------- translate, batch_translate


def test_libretranslate_translates_and_batches(report: dict[str, Any]) -> None:
    done = _translations(report, "libretranslate")
    pairs = {(e["source"], e["target"]) for e in _entries(report, "translate", "libretranslate")}
    assert pairs == {("pl", "en"), ("lt", "en_GB"), ("en", "pl")}
    assert len(done) == 12


def test_deepl_translates_and_batches(report: dict[str, Any]) -> None:
    done = _translations(report, "deepl")
    pairs = {(e["source"], e["target"]) for e in _entries(report, "translate", "deepl")}
    assert pairs == {("pl", "en"), ("lt", "en_GB"), ("en", "pl")}
    assert len(done) == 12


def _placeholders_exactly_once(report: dict[str, Any], service: str) -> None:
    checked = 0
    for text, flags, translations in _translations(report, service):
        if not flags:
            continue
        for translation in translations:
            counts = {p: translation.count(p) for p in PLACEHOLDERS}
            assert counts == dict.fromkeys(PLACEHOLDERS, 1), (text, translation)
            assert translation.index("<b>") < translation.index("</b>"), (text, translation)
            checked += 1
    assert checked == 6  # three pairs, translate and batch_translate


def test_libretranslate_keeps_each_placeholder_once(report: dict[str, Any]) -> None:
    """Weblate sends %s, {name}, <b> and </b> as [X6X] ... [X38X]; each comes back once."""
    sent = [e["sent"] for e in _entries(report, "translate", "libretranslate") if e["flags"]]
    assert sent and all(re.search(r"\[X\d+X\]", s) for s in sent), sent
    _placeholders_exactly_once(report, "libretranslate")


def test_deepl_keeps_each_placeholder_once(report: dict[str, Any]) -> None:
    """Weblate sends them as <x id="6"></x> ... (the id is the offset in the source string; tag_handling
    xml, ignore_tags x); each comes back once."""
    sent = [e["sent"] for e in _entries(report, "translate", "deepl") if e["flags"]]
    assert sent and all(len(re.findall(r'<x id="\d+"></x>', s)) == len(PLACEHOLDERS) for s in sent), sent
    _placeholders_exactly_once(report, "deepl")


# ----------------------------------------------------------------------------- the first request


def test_first_translation_answers_within_weblates_timeout(report: dict[str, Any]) -> None:
    """After a plain `newsbridge serve` (and /readyz), Weblate's first DeepL request, with its own
    5 s timeout, gets its translation."""
    first = report["first"]
    assert first["timeout"] == 5 and first["error"] is None and first["text"], first


# ----------------------------------------------------------------------------- the project's glossary


def test_deepl_uploads_and_applies_the_project_glossary(report: dict[str, Any]) -> None:
    """Weblate uploads the project's glossary (TSV) through DeepL's glossary API and names it in
    the translation; the term comes out as the glossary says."""
    g = report["glossary"]
    assert g["error"] is None and g["results"], g
    assert isinstance(g["glossaries"], list) and len(g["glossaries"]) == 1, g
    assert g["glossaries"][0].startswith("weblate:1:PL:EN:"), g  # Weblate's own name for it
    assert "answer" in g["results"][0][0], g
