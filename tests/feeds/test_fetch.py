"""Fetching over real loopback HTTP: conditional GET, redirects, limits, timeouts, and every failure classified."""

from __future__ import annotations

import aiohttp
import pytest

from bot.feeds.fetch import FetchLimits, FetchResult, fetch_feed
from bot.feeds.netguard import AddressGuard
from bot.feeds.parse import parse_document
from tests.feeds.conftest import TEST_LIMITS
from tests.feedserver import FeedServer


async def _get(
    http: aiohttp.ClientSession, guard: AddressGuard, url: str, limits: FetchLimits = TEST_LIMITS, **kw: str
) -> FetchResult:
    return await fetch_feed(http, url, guard=guard, limits=limits, **kw)


async def test_ok_then_304_with_etag(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    first = await _get(http, guard, feed_server.url("/feed"))
    assert first.status == "ok" and first.http_status == 200
    assert first.etag and first.last_modified and first.nbytes == len(first.body) > 0
    assert first.server_hint == 60  # Cache-Control: max-age=60
    second = await _get(http, guard, feed_server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert second.status == "not_modified" and second.http_status == 304
    assert second.body == b"" and second.etag == first.etag
    assert feed_server.state.conditional_hits == 1


async def test_if_modified_since(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    first = await _get(http, guard, feed_server.url("/modified-only"))
    assert first.status == "ok" and first.last_modified
    second = await _get(http, guard, feed_server.url("/modified-only"), last_modified=first.last_modified)
    assert second.status == "not_modified"


async def test_user_agent_names_breachwatch(feed_server: FeedServer, http: aiohttp.ClientSession) -> None:
    async with http.get(feed_server.url("/static")) as resp:
        assert resp.request_info.headers["User-Agent"].startswith("breachwatch/")


@pytest.mark.parametrize("hops", [1, 2, 5])
async def test_redirect_chains_followed(
    hops: int, feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await _get(http, guard, feed_server.url(f"/chain/{hops}"))
    assert result.status == "ok", result.error
    assert result.final_url.endswith("/static")
    assert len(parse_document(result.body, result.headers, result.final_url).entries) == 3


async def test_permanent_redirect_reported(
    feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await _get(http, guard, feed_server.url("/chain/1"))  # 301 straight to /static
    assert result.permanent_redirect is not None and result.permanent_redirect.endswith("/static")
    mixed = await _get(http, guard, feed_server.url("/chain/2"))  # 302 then 301: not permanent
    assert mixed.permanent_redirect is None


async def test_too_many_redirects(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    chain = await _get(http, guard, feed_server.url("/chain/6"))
    assert (chain.status, chain.error_kind) == ("error", "too_many_redirects")
    loop = await _get(http, guard, feed_server.url("/loop/a"))
    assert loop.error_kind == "too_many_redirects" and "more than 5 redirects" in (loop.error or "")


async def test_relative_and_missing_location(
    feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    relative = await _get(http, guard, feed_server.url("/relative-redirect"))
    assert relative.status == "ok" and relative.final_url.endswith("/static")
    missing = await _get(http, guard, feed_server.url("/no-location"))
    assert missing.error_kind == "bad_redirect" and missing.http_status == 302


@pytest.mark.parametrize(("code", "kind"), [(404, "http_4xx"), (410, "http_4xx"), (500, "http_5xx")])
async def test_http_errors(
    code: int, kind: str, feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await _get(http, guard, feed_server.url(f"/status/{code}"))
    assert (result.status, result.http_status, result.error_kind) == ("error", code, kind)
    assert result.error is not None and str(code) in result.error
    assert result.server_hint is None


@pytest.mark.parametrize("code", [429, 503])
async def test_retry_after_seconds(
    code: int, feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await _get(http, guard, feed_server.url(f"/status/{code}"))
    assert result.http_status == code and result.server_hint == 7200
    assert "Retry-After" in (result.error or "")


async def test_retry_after_http_date(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    result = await _get(http, guard, feed_server.url("/retry-date"))
    assert result.server_hint is not None and 3 * 3600 - 60 < result.server_hint <= 3 * 3600


async def test_drip_times_out(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    limits = FetchLimits(max_bytes=1024 * 1024, total_timeout=1.0, connect_timeout=1.0)
    result = await _get(http, guard, feed_server.url("/drip"), limits=limits)
    assert (result.status, result.error_kind) == ("error", "timeout")
    assert 0.9 <= result.duration < 3.0
    assert "1s" in (result.error or "")


async def test_endless_body_stops_at_limit(
    feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    limits = FetchLimits(max_bytes=256 * 1024, total_timeout=5.0, connect_timeout=1.0)
    result = await _get(http, guard, feed_server.url("/endless"), limits=limits)
    assert (result.status, result.error_kind) == ("error", "too_large")
    assert result.body == b""


async def test_declared_length_over_limit_refused_unread(
    feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    limits = FetchLimits(max_bytes=1000, total_timeout=2.0, connect_timeout=1.0)
    result = await _get(http, guard, feed_server.url("/big-declared"), limits=limits)
    assert result.error_kind == "too_large" and "4096" in (result.error or "")


async def test_gzip_decoded(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    result = await _get(http, guard, feed_server.url("/gzip"))
    assert result.status == "ok"
    assert len(parse_document(result.body, result.headers, result.final_url).entries) == 4


async def test_broken_gzip_is_payload_error(
    feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard
) -> None:
    result = await _get(http, guard, feed_server.url("/broken-gzip"))
    assert (result.status, result.error_kind) == ("error", "payload")


async def test_http_charset_wins(feed_server: FeedServer, http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    result = await _get(http, guard, feed_server.url("/wrong-charset"))
    feed = parse_document(result.body, result.headers, result.final_url)
    assert feed.entries[0].title == "Données de vidéosurveillance exposées à Nîmes"


async def test_connection_refused_is_connect_error(http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await _get(http, guard, f"http://127.0.0.1:{port}/feed")
    assert (result.status, result.error_kind) == ("error", "connect")


async def test_unsupported_scheme(http: aiohttp.ClientSession, guard: AddressGuard) -> None:
    result = await _get(http, guard, "ftp://127.0.0.1/feed")
    assert result.error_kind == "bad_url"
