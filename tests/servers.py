"""Real servers for tests: ``newsbridge serve`` processes (a free loopback port, a log file,
readiness: ``/readyz`` past ``starting``, the models converted, loaded and warmed up), and uvicorn
serving an app of this process (``serve_in_thread``: when the test must see inside it, e.g. count
model calls).

The one way the tests (and ``benchmarks/bench_load.py``) start a server (the CLI, the clients, the
browser, restarts, replicas, load)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newsbridge() -> list[str]:
    exe = shutil.which("newsbridge", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "service.cli"]


class Server:
    """One ``newsbridge serve`` on 127.0.0.1 with the given environment (added to ours)."""

    def __init__(self, env: dict[str, str], log: Path, *, timeout: float = 120) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen([*newsbridge(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env={**os.environ, "HF_HUB_OFFLINE": "1", **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"newsbridge serve exited {self.proc.returncode}:\n{self.tail()}")
            try:  # ready: started and its models prepared (/readyz answers 503 `starting` until then)
                if httpx.get(self.base + "/readyz", timeout=5).status_code != 503:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"newsbridge serve not up after {timeout} s:\n{self.tail()}")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]

    def log_lines(self) -> list[str]:
        self._log.flush()
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()

    def terminate(self, timeout: float = 120) -> int:
        """SIGTERM, as an orchestrator sends it; the exit status once the process has ended."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log.close()


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """uvicorn serving ``app`` on a free loopback port in a thread of this process; its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("in-process server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@contextmanager
def live_server(model_dir: Path, workdir: Path, **env_extra: str) -> Iterator[str]:
    """``newsbridge serve`` on ``model_dir`` with an SQLite cache in ``workdir``; yields its base URL."""
    env = {"NEWSBRIDGE_MODEL_DIR": str(model_dir), "NEWSBRIDGE_DATABASE_URL": f"sqlite:///{workdir / 'cache.db'}",
           "NEWSBRIDGE_LOG_LEVEL": "WARNING",
           # a loaded CI machine can take over the default 60 s for a first summary
           "NEWSBRIDGE_REQUEST_TIMEOUT": "600", **env_extra}
    with Server(env, workdir / "server.log", timeout=90) as server:
        yield server.base
