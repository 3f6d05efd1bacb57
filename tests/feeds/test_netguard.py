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
from bot.feeds.netguard import AddressGuard, PrivateAddressError, make_connector, networks, socket_factory
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
