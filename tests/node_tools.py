"""The node tools the JavaScript tests use (tests/node: TypeScript, webpack 3.11.0, deepl-node), installed from
tests/node's lockfile with ``npm ci`` when missing; the test is skipped where node or npm cannot be had."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "node"


def node() -> str:
    exe = shutil.which("node")
    if exe is None:
        pytest.skip("node is not installed (.ci/run installs it)")
    return exe


def npm() -> str:
    exe = shutil.which("npm")
    if exe is None:
        pytest.skip("npm is not installed (.ci/run installs it with node)")
    return exe


def node_package(name: str) -> Path:
    """tests/node/node_modules/<name>, after ``npm ci`` in tests/node if it is not there yet."""
    path = NODE_DIR / "node_modules" / name
    if not (path / "package.json").is_file():
        done = subprocess.run([npm(), "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            pytest.skip(f"npm ci in tests/node failed (no registry?): {done.stderr[-500:]}")
    assert (path / "package.json").is_file(), f"tests/node/package.json does not install {name}"
    return path


def tsc() -> list[str]:
    return [node(), str(node_package("typescript") / "bin" / "tsc")]


def webpack3() -> list[str]:
    package = node_package("webpack")
    assert '"version": "3.11.0"' in (package / "package.json").read_text(encoding="utf-8")
    return [node(), str(package / "bin" / "webpack.js")]
