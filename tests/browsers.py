"""Debian's Chromium driven by Playwright for the browser tests (``executable_path``: no browser
download). A machine without it skips those tests; ``.ci/run`` installs it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def chromium_path() -> str:
    path = os.environ.get("NEWSBRIDGE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    return path


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser, closed on the way out."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()
