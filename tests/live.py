"""A real ``newsbridge serve`` process on a free loopback port, for tests that drive real clients
(node, Chromium) against it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newsbridge_command() -> list[str]:
    exe = shutil.which("newsbridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "service.cli"]


@contextmanager
def live_server(model_dir: Path, workdir: Path, **env_extra: str) -> Iterator[str]:
    """Start ``newsbridge serve`` and yield its base URL; stop it afterwards."""
    env = dict(os.environ)
    env.update(NEWSBRIDGE_MODEL_DIR=str(model_dir), NEWSBRIDGE_DATABASE_URL=f"sqlite:///{workdir / 'cache.db'}",
               HF_HUB_OFFLINE="1", NEWSBRIDGE_LOG_LEVEL="WARNING",
               # a loaded CI machine can take over the default 60 s for a first summary
               NEWSBRIDGE_REQUEST_TIMEOUT="600", **env_extra)
    port = free_port()
    log = (workdir / f"server-{port}.log").open("w")
    proc = subprocess.Popen([*newsbridge_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"newsbridge serve exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"newsbridge serve did not answer within 90 s; see {log.name}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
