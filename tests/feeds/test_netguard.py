"""The private-address guard refuses before connecting, on the first request and on every redirect hop.

No test here sends a packet anywhere but 127.0.0.1: blocked targets are refused before a socket exists, and
name resolution is replaced by a table (a stand-in for DNS, which tests must not use).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.feeds.fetch import fetch_feed
from bot.feeds.netguard import (
    AddressGuard,
    PrivateAddressError,
    address_table,
    embedded_ipv4,
    make_connector,
    networks,
    socket_factory,
)
from tests.feeds.conftest import TEST_LIMITS
from tests.feedserver import FeedServer


class TableResolver(AbstractResolver):
    """Answers from a fixed table; unknown names fail the way a DNS miss does."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=addr,
                port=port,
                family=socket.AF_INET6 if ":" in addr else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for addr in self.table[host]
        ]

    async def close(self) -> None:
        return None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::",
        "2002:0a00:0001::1",
    ],
)  # fmt: skip
def test_non_public_addresses_blocked(address: str) -> None:
    assert not AddressGuard().permits(address)
    with pytest.raises(PrivateAddressError):
        AddressGuard().check(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_allowed(address: str) -> None:
    assert AddressGuard().permits(address)


@pytest.mark.parametrize(
    "address",
    [
        "fec0::1", "feff::1",  # site-local, deprecated (RFC 3879), outside 2000::/3
        "192.0.0.8",  # IPv4 dummy address (RFC 7600); Python 3.11's is_global lets it through
        "192.0.0.170", "192.88.99.2", "192.88.99.1", "198.18.0.1", "192.0.2.1", "203.0.113.9",
        "5f00::1", "3fff::1", "100:0:0:1::1", "64:ff9b:1::1", "2001:db8::1", "2001:2::1", "2001:10::1",
        "4000::1", "ff02::1", "ff0e::1",
        "64:ff9b::a00:1", "64:ff9b::7f00:1",  # NAT64 forms of 10.0.0.1 and 127.0.0.1
        "::ffff:192.0.0.8", "2002:c000:8::1",  # 192.0.0.8 mapped and as 6to4
    ],
)  # fmt: skip
def test_special_purpose_addresses_blocked(address: str) -> None:
    assert not AddressGuard().permits(address)


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "192.0.0.9", "2001:1::1", "2001:4860:4860::8888"],
)
def test_globally_reachable_forms_allowed(address: str) -> None:
    # NAT64 and 6to4 carry a public IPv4 address; 192.0.0.9 and 2001:1::1 are globally reachable rows inside
    # blocks that are not: the most specific row decides.
    assert AddressGuard().permits(address)


def test_registry_rows_are_all_honoured() -> None:
    table = address_table()
    # The registries as transcribed (config/special_addresses.toml): a row lost in an edit shows here.
    assert sum(r.network.version == 4 for r in table.ranges) == 26
    assert sum(r.network.version == 6 for r in table.ranges) == 25
    for row in table.ranges:
        for address in (row.network.network_address, row.network.broadcast_address):
            decided_by = table.row(address)
            assert decided_by is not None
            expected = decided_by.reachable
            if isinstance(address, ipaddress.IPv6Address) and embedded_ipv4(address) is not None:
                expected = AddressGuard.is_public(embedded_ipv4(address))  # type: ignore[arg-type]
            assert AddressGuard().permits(str(address)) == expected, (row.name, str(address))
        if not row.reachable:
            assert not AddressGuard().permits(str(row.network.network_address)), row.name


def test_allow_private_and_allowlist() -> None:
    assert AddressGuard(allow_private=True).permits("10.0.0.1")
    only_one = AddressGuard(allow=networks(["127.0.0.1/32"]))
    assert only_one.permits("127.0.0.1") and not only_one.permits("127.0.0.2")
    assert not only_one.permits("not an address")


def test_socket_factory_refuses_before_creating_a_socket() -> None:
    make = socket_factory(AddressGuard())
    with pytest.raises(PrivateAddressError):
        make((socket.AF_INET, socket.SOCK_STREAM, 0, "", ("10.0.0.1", 80)))
    sock = socket_factory(AddressGuard(allow=(ipaddress.ip_network("127.0.0.1/32"),)))(
        (socket.AF_INET, socket.SOCK_STREAM, 0, "", ("127.0.0.1", 80))
    )
    sock.close()


@pytest.mark.parametrize("target", ["private", "linklocal", "loopback", "ipv6-loopback", "mapped"])
async def test_redirect_to_private_refused(
    target: str, feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await fetch_feed(http, feed_server.url(f"/to/{target}"), guard=guard, limits=TEST_LIMITS)
    assert (result.status, result.error_kind, result.http_status) == ("error", "private_address", 302)
    assert "non-public address" in (result.error or "")


async def test_redirect_to_file_scheme_refused(
    feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await fetch_feed(http, feed_server.url("/to/file"), guard=guard, limits=TEST_LIMITS)
    assert result.error_kind == "bad_url"


@pytest.fixture
async def resolving_http(guard: AddressGuard) -> AsyncIterator[tuple[aiohttp.ClientSession, TableResolver]]:
    table = TableResolver({"intranet.test": ["10.1.2.3"], "mixed.test": ["10.9.9.9", "127.0.0.1"]})
    session = aiohttp.ClientSession(connector=make_connector(guard, resolver=table, ttl_dns_cache=None))
    yield session, table
    await session.close()


async def test_name_resolving_private_refused_at_connect(
    resolving_http: tuple[aiohttp.ClientSession, TableResolver], guard: AddressGuard
) -> None:
    http, table = resolving_http
    result = await fetch_feed(http, "http://intranet.test/feed", guard=guard, limits=TEST_LIMITS)
    assert (result.status, result.error_kind) == ("error", "private_address")
    assert "intranet.test (10.1.2.3)" in (result.error or "")
    assert table.asked == ["intranet.test"]


async def test_name_re_resolved_each_time(
    resolving_http: tuple[aiohttp.ClientSession, TableResolver], guard: AddressGuard, feed_server: FeedServer
) -> None:
    """A name that was fine when added but now points inside is refused on the next fetch."""
    http, table = resolving_http
    table.table["flip.test"] = ["127.0.0.1"]
    url = f"http://flip.test:{feed_server.port}/static"
    assert (await fetch_feed(http, url, guard=guard, limits=TEST_LIMITS)).status == "ok"
    table.table["flip.test"] = ["192.168.0.10"]
    await http.close()  # a fresh connector: no pooled connection to reuse
    fresh = aiohttp.ClientSession(connector=make_connector(guard, resolver=table, ttl_dns_cache=None))
    try:
        again = await fetch_feed(fresh, url, guard=guard, limits=TEST_LIMITS)
    finally:
        await fresh.close()
    assert again.error_kind == "private_address"


async def test_mixed_answers_keep_only_allowed(
    resolving_http: tuple[aiohttp.ClientSession, TableResolver], guard: AddressGuard, feed_server: FeedServer
) -> None:
    http, _ = resolving_http
    result = await fetch_feed(http, f"http://mixed.test:{feed_server.port}/static", guard=guard, limits=TEST_LIMITS)
    assert result.status == "ok"


async def test_dns_failure_classified(
    resolving_http: tuple[aiohttp.ClientSession, TableResolver], guard: AddressGuard
) -> None:
    http, _ = resolving_http
    result = await fetch_feed(http, "http://nowhere.test/feed", guard=guard, limits=TEST_LIMITS)
    assert (result.status, result.error_kind) == ("error", "dns")
    assert "nowhere.test" in (result.error or "")
