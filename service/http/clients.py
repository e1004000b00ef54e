"""Who is calling: the client address, believing ``X-Forwarded-For`` only from trusted proxies.

``NEWSBRIDGE_TRUSTED_PROXIES`` (comma-separated addresses or networks, ``*`` for any) is the one
setting: ``newsbridge serve`` hands it to uvicorn as ``forwarded_allow_ips`` (so access logs are
right) and rate limits and logs call ``client_address``. Default: no proxy is trusted, and the
address is the socket peer's.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from service.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def trusted_networks(spec: str) -> tuple[Network, ...] | None:
    """The parsed setting; ``None`` means every address is trusted (``*``). Raises ``ValueError``
    on an entry that is not an address or network."""
    entries = [e.strip() for e in spec.split(",") if e.strip()]
    if "*" in entries:
        return None
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_trusted(address: str | None, spec: str) -> bool:
    if not address or not spec.strip():
        return False
    nets = trusted_networks(spec)
    if nets is None:
        return True
    ip = _ip(address)
    return ip is not None and any(ip in n for n in nets)


def client_address(request: HTTPConnection, settings: Settings) -> str:
    """The caller's address. When the socket peer is a trusted proxy, the right-most address of
    ``X-Forwarded-For`` that is not itself a trusted proxy (what a client cannot forge); an
    entry that is not an IP address ends the walk and the last trusted hop is used."""
    peer = request.client.host if request.client else ""
    if not is_trusted(peer, settings.trusted_proxies):
        return peer or "unknown"
    hops = [h for part in request.headers.getlist("x-forwarded-for") for h in part.split(",")]
    current = peer
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break
        current = str(ip)
        if not is_trusted(current, settings.trusted_proxies):
            break
    return current
