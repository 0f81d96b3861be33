"""The private-network guard: a page fetched for the web page must not reach the server's network.

When the web page is served beyond loopback, anyone who can open it could otherwise have the
server fetch its own private services (an intranet, a cloud metadata address, a database's HTTP
port) and read them back as a document. This module owns the rule: an address is refused unless
it is global (private, loopback, link-local, shared, reserved, multicast and unspecified
addresses are all refused, IPv4-mapped IPv6 addresses as their IPv4 selves), and the way it is
enforced: at connection time, for every connection the HTTP client opens (so for the first
request and each redirect hop alike), every address the host name resolves to is checked and
the connection is made to a checked address, never to a second resolution that could differ
(DNS rebinding). The command line and a web page listening on loopback only are not guarded.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import httpcore
import httpx

from assistant.errors import AssistantError

ALLOW_SETTING = "ASSISTANT_ALLOW_PRIVATE_URLS=1"


class RefusedAddress(AssistantError):
    """A host that resolves to an address the guard refuses."""


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What is wrong with an address ("a private address"), or None for a global one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"{'an' if name[0] in 'aeiou' else 'a'} {name} address"
    return None if address.is_global else "a non-public address"


def refused_reason(host: str, addresses: Iterable[str]) -> str | None:
    """Why `host` is refused when it resolves to `addresses`, or None when all are global."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
        kind = _kind(address)
        if kind is not None:
            shown = host if _is_address(host) else f"{host} ({text})"
            return f"{shown} is {kind}"
    return None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def resolve_checked(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, once each; RefusedAddress if any of them is refused.

    A name that resolves to one public and one private address is refused: which of them a
    connection would use is not ours to choose.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"{host} could not be resolved ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    reason = refused_reason(host, addresses)
    if reason is not None:
        raise RefusedAddress(reason)
    return addresses


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to checked addresses."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in resolve_checked(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address may answer
        raise failure or httpcore.ConnectError(f"{host} has no address")


def guarded_transport() -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through GuardedBackend (no proxies)."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no parameter for the network backend: its pool is rebuilt with ours (TLS keeps
    # the host name: httpcore passes it for SNI and certificate checks, not the address).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=GuardedBackend(),
    )
    return transport
