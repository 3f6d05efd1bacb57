"""Fixtures for the feed tests: a loopback feed server, a guarded HTTP session, parse pools."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from bot.feeds.fetch import FetchLimits
from bot.feeds.netguard import AddressGuard, make_connector, networks
from bot.feeds.workers import ParsePool
from bot.services import USER_AGENT
from tests.feedserver import FeedServer, FeedState, sample_items, start_feed_server

# The guard stays ON in tests: only the test server's own address is let through, so a redirect or name that
# leads anywhere else (other loopback addresses included) is refused before any connection is attempted.
TEST_GUARD = AddressGuard(allow_private=False, allow=networks(["127.0.0.1/32"]))
TEST_LIMITS = FetchLimits(max_bytes=1024 * 1024, total_timeout=2.0, connect_timeout=1.0, max_redirects=5)


@pytest.fixture
def feed_state() -> FeedState:
    return FeedState(items=sample_items(3))


@pytest.fixture
async def feed_server(feed_state: FeedState) -> AsyncIterator[FeedServer]:
    async for server in start_feed_server(feed_state):
        yield server


@pytest.fixture
def guard() -> AddressGuard:
    return TEST_GUARD


@pytest.fixture
async def http(guard: AddressGuard) -> AsyncIterator[aiohttp.ClientSession]:
    session = aiohttp.ClientSession(connector=make_connector(guard), headers={"User-Agent": USER_AGENT})
    yield session
    await session.close()


@pytest.fixture
def thread_parser() -> Iterator[ParsePool]:
    with ParsePool(workers=0, timeout=10) as pool:
        yield pool


@pytest.fixture(scope="session")
def process_parser() -> Iterator[ParsePool]:
    """Real worker processes (spawned once per test session): time and memory limits apply."""
    with ParsePool(workers=2, timeout=30, memory_mb=768) as pool:
        yield pool
