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
from functools import lru_cache

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.resources import config_path, load_toml

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# RFC 6052's well-known NAT64 prefix: on a DNS64 network every IPv4-only site resolves into it, so the address it
# carries is judged, not the prefix.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class SpecialRange:
    network: IPNetwork
    name: str
    rfc: str
    reachable: bool


@dataclass(frozen=True)
class AddressTable:
    """IANA's special-purpose registries and the two blocks rules of config/special_addresses.toml."""

    ranges: tuple[SpecialRange, ...]  # most specific first, so the first that contains an address decides
    ipv4_multicast: ipaddress.IPv4Network
    ipv6_global_unicast: ipaddress.IPv6Network

    def row(self, ip: IPAddress) -> SpecialRange | None:
        return next((r for r in self.ranges if r.network.version == ip.version and ip in r.network), None)

    def is_public(self, ip: IPAddress) -> bool:
        row = self.row(ip)
        if row is not None:
            return row.reachable
        if isinstance(ip, ipaddress.IPv4Address):
            return ip not in self.ipv4_multicast
        return ip in self.ipv6_global_unicast


@lru_cache(maxsize=1)
def address_table() -> AddressTable:
    data = load_toml(config_path("special_addresses.toml"))
    ranges = [
        SpecialRange(ipaddress.ip_network(row["prefix"]), row["name"], row["rfc"], bool(row["reachable"]))
        for family in ("ipv4", "ipv6")
        for row in data[family]
    ]
    ranges.sort(key=lambda r: r.network.prefixlen, reverse=True)
    return AddressTable(
        tuple(ranges),
        ipaddress.IPv4Network(data["ipv4_multicast"]),
        ipaddress.IPv6Network(data["ipv6_global_unicast"]),
    )


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address leads to, else None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class PrivateAddressError(OSError):
    """A connection to a non-public address was refused before it was attempted."""


@dataclass(frozen=True)
class AddressGuard:
    """`allow_private` lifts the rule (BREACHWATCH_ALLOW_PRIVATE_SOURCES); `allow` lists exceptions (tests)."""

    allow_private: bool = False
    allow: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @staticmethod
    def is_public(ip: IPAddress) -> bool:
        """Globally reachable by IANA's registries (config/special_addresses.toml), whatever this Python's
        ipaddress module thinks: its idea of `is_global` has changed between releases (3.11 passes 192.0.0.8)."""
        if isinstance(ip, ipaddress.IPv6Address):
            carried = embedded_ipv4(ip)
            if carried is not None:
                return AddressGuard.is_public(carried)
        return address_table().is_public(ip)

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
