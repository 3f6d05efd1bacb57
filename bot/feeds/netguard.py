"""Keep user-supplied feed URLs away from loopback, private and other non-public addresses.

The check runs where the connection is made: the connector's resolver drops blocked addresses, and its socket
factory refuses any blocked address before a socket exists. So every request and every redirect hop is checked
against what the name resolves to *now*, not when the source was added, and IP-literal hosts are covered too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class PrivateAddressError(OSError):
    """A connection to a non-public address was refused before it was attempted."""


@dataclass(frozen=True)
class AddressGuard:
    """`allow_private` lifts the rule (BREACHWATCH_ALLOW_PRIVATE_SOURCES); `allow` lists exceptions (tests)."""

    allow_private: bool = False
    allow: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @staticmethod
    def is_public(ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address):
            mapped = ip.ipv4_mapped or ip.sixtofour
            if mapped is not None:
                return AddressGuard.is_public(mapped)
        return not (
            ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_multicast
            or ip.is_reserved
            or ip.is_unspecified
            or not ip.is_global
        )

    def permits(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if self.allow_private or self.is_public(ip):
            return True
        return any(ip in net for net in self.allow if net.version == ip.version)

    def check(self, address: str, host: str | None = None) -> None:
        if not self.permits(address):
            shown = f"{host} ({address})" if host and host != address else address
            raise PrivateAddressError(f"refused to connect to non-public address {shown}")


def literal_address(host: str) -> str | None:
    """The address when `host` is an IP literal (brackets allowed), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves with the default resolver, then keeps only addresses the guard permits."""

    def __init__(self, guard: AddressGuard, inner: AbstractResolver | None = None) -> None:
        self._guard = guard
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if self._guard.permits(r["host"])]
        if results and not allowed:
            self._guard.check(results[0]["host"], host)
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def socket_factory(guard: AddressGuard) -> aiohttp.SocketFactoryType:
    """The last gate: no socket is created for a blocked address, whatever resolved it."""

    def make(addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _canon, sockaddr = addr_info
        guard.check(str(sockaddr[0]))
        return socket.socket(family=family, type=type_, proto=proto)

    return make


def make_connector(
    guard: AddressGuard,
    *,
    limit: int = 100,
    resolver: AbstractResolver | None = None,
    ttl_dns_cache: int | None = 300,
) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(
        limit=limit,
        ttl_dns_cache=ttl_dns_cache,
        resolver=GuardedResolver(guard, resolver),
        socket_factory=socket_factory(guard),
    )


def networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)
