"""The connection side of :mod:`service.jobs.callback_guard`: an httpcore network backend that
resolves and checks a callback's host when it connects, and connects to the checked address
only; and the httpx transport over it. Kept apart so that httpx loads with the first delivery."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpcore
import httpx

if TYPE_CHECKING:
    from service.jobs.callback_guard import CallbackGuard

__all__ = ["GuardedBackend", "PinnedTransport"]


class GuardedBackend(httpcore.SyncBackend):
    """Resolves and checks the host at connection time and connects to a checked address."""

    def __init__(self, guard: CallbackGuard) -> None:
        self.guard = guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self.guard.addresses(host, port):  # CallbackRefused: nothing is sent
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"could not connect to {host}")


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport over a pool that connects through ``GuardedBackend``."""

    def __init__(self, guard: CallbackGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), max_connections=4,
                                             network_backend=GuardedBackend(guard))
