"""Where job callbacks may go: never inside the server's own network unless the operator says so.

A job's ``callback_url`` is a URL a client chose, and the server POSTs to it: without a guard,
any client that may post a job can make the server call its loopback, its private network or
the cloud metadata service (server-side request forgery). Following the Standard Webhooks and
Svix guidance (block internal destinations after DNS resolution, at connection time, and follow
no redirects):

- the URL must be ``http(s)://`` with a host; names ``localhost``-like (``localhost``,
  ``*.localhost``, ``localhost.localdomain``, ``ip6-localhost``, ``ip6-loopback``) are refused as such;
- the host is resolved, and **every** address it resolves to must be public: loopback, private
  (RFC 1918, IPv6 ULA), link-local (169.254/16 with the metadata service, fe80::/10),
  carrier-grade NAT (100.64/10), multicast, reserved, unspecified, documentation/benchmark and
  other non-global ranges are refused, IPv4 or IPv6, including IPv4 inside IPv6 (mapped
  ``::ffff:a.b.c.d``, compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``);
- ``NEWSBRIDGE_WEBHOOK_ALLOW`` (addresses or networks) lets the operator allow receivers on
  their own network;
- the check runs when the job is submitted (a 400 problem) and again at every delivery attempt,
  inside the connection itself: the delivery connects to the very address that was checked (a
  name that resolves elsewhere later, DNS rebinding, is caught), TLS still verifies the name.

Classification is the standard library's ``ipaddress``; the resolver is injectable (tests).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

__all__ = ["CallbackGuard", "CallbackRefused", "Resolver", "parse_networks", "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class CallbackRefused(ValueError):
    """The callback URL may not be called: what it is and why (safe to show its submitter)."""


def parse_networks(entries: Iterable[str]) -> list[IPNetwork]:
    """``NEWSBRIDGE_WEBHOOK_ALLOW`` entries: addresses (``127.0.0.1``) or networks (``10.1.0.0/16``)."""
    return [ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip()]


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """An IPv4 address carried inside an IPv6 one (mapped, 6to4, NAT64, the old 'compatible' form)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (deprecated IPv4-compatible)
        return ipaddress.IPv4Address(int(ip))
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why a callback may not go to ``ip`` (None: a public address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = refusal(inner)
            return f"{why} (IPv4 {inner} inside IPv6)" if why else None
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
              ("multicast", ip.is_multicast), ("carrier-grade NAT", ip in _CGNAT), ("reserved", ip.is_reserved),
              ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
              ("private", ip.is_private))
    for name, hit in checks:
        if hit:
            return name
    return None if ip.is_global else "not globally routable"


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class CallbackGuard:
    """The policy: ``check(url)`` at submission, ``addresses(host, port)`` at each connection."""

    def __init__(self, allow: Sequence[str | IPNetwork] = (), *, resolve: Resolver | None = None) -> None:
        self.allow: list[IPNetwork] = [a if not isinstance(a, str) else ipaddress.ip_network(a, strict=False)
                                       for a in allow]
        self.resolve: Resolver = resolve or _system_resolver

    def allowed(self, ip: IPAddress) -> bool:
        forms: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
            forms.append(inner)
        return any(f in net for f in forms for net in self.allow if f.version == net.version)

    def check(self, url: str) -> list[str]:
        """Refuse (``CallbackRefused``) a URL the server may not call; its checked addresses."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise CallbackRefused(f"callback_url is not a valid URL: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CallbackRefused("callback_url must be an http(s) URL with a host")
        if parts.username is not None or parts.password is not None:
            raise CallbackRefused("callback_url may not carry credentials")
        return self.addresses(parts.hostname, port)

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` a callback may connect to; every one it resolves to must pass."""
        name = host.strip("[]").rstrip(".").lower()
        try:
            literal: IPAddress | None = ipaddress.ip_address(name.split("%")[0])
        except ValueError:
            literal = None
        if literal is None and (name in _LOCAL_NAMES or name.endswith(".localhost")):
            resolved = self._resolve(name, port)
            if not all(self.allowed(ipaddress.ip_address(a)) for a in resolved):
                raise CallbackRefused(f"callback_url host {host!r} is a local name; callbacks may not go to this "
                                      "server's own machine or network (an operator can allow a receiver's "
                                      "network with NEWSBRIDGE_WEBHOOK_ALLOW)")
            return resolved
        resolved = [str(literal)] if literal is not None else self._resolve(name, port)
        for address in resolved:
            ip = ipaddress.ip_address(address.split("%")[0])
            why = refusal(ip)
            if why is not None and not self.allowed(ip):
                shown = f"{host!r} resolves to {ip}" if literal is None else f"{ip}"
                article = "an" if why[0] in "aeiou" else "a"
                raise CallbackRefused(f"callback_url host {shown}, {article} {why} address; callbacks may not go "
                                      "to this server's own machine or network (an operator can allow a receiver's "
                                      "network with NEWSBRIDGE_WEBHOOK_ALLOW)")
        return resolved

    def _resolve(self, host: str, port: int) -> list[str]:
        try:
            resolved = self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise CallbackRefused(f"callback_url host {host!r} does not resolve ({type(exc).__name__})") from None
        if not resolved:
            raise CallbackRefused(f"callback_url host {host!r} does not resolve")
        return resolved

    def client(self, timeout: float) -> httpx.Client:
        """An HTTP client whose every connection is checked and pinned to the checked address; it
        follows no redirects and ignores proxy variables (a proxy would connect elsewhere). httpx
        is imported here, at the first delivery: a server that sends no callback never loads it."""
        import httpx

        from service.jobs.pinned_transport import PinnedTransport

        return httpx.Client(transport=PinnedTransport(self), timeout=timeout, follow_redirects=False,
                            trust_env=False)
