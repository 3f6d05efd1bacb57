"""One polite, bounded HTTP fetch of a feed. Never raises for anything a server does; failures are classified.

Redirects are followed here, not by aiohttp, so every hop is checked (scheme, address) and counted.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from yarl import URL

from bot.feeds.netguard import AddressGuard, PrivateAddressError, literal_address
from bot.feeds.schedule import max_age_seconds, retry_after_seconds

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5"
)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
KEPT_HEADERS = (
    "content-type",
    "content-location",
    "content-language",
    "etag",
    "last-modified",
    "cache-control",
    "retry-after",
)
CHUNK = 64 * 1024

# Error kinds recorded on the source and in the fetch log.
TIMEOUT = "timeout"
DNS = "dns"
TLS = "tls"
CONNECT = "connect"
HTTP_4XX = "http_4xx"
HTTP_5XX = "http_5xx"
HTTP_OTHER = "http_other"
TOO_LARGE = "too_large"
PRIVATE_ADDRESS = "private_address"
TOO_MANY_REDIRECTS = "too_many_redirects"
BAD_REDIRECT = "bad_redirect"
BAD_URL = "bad_url"
PAYLOAD = "payload"
PROTOCOL = "protocol"


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 10 * 1024 * 1024
    total_timeout: float = 30.0
    connect_timeout: float = 10.0
    max_redirects: int = 5


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: str  # ok | not_modified | error
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    # Seconds the server asked us to wait (Cache-Control max-age, or Retry-After on 429/503).
    server_hint: float | None = None
    nbytes: int = 0
    duration: float = 0.0
    error_kind: str | None = None
    error: str | None = None
    permanent_redirect: str | None = None
    # The failure says this machine's network is down (not that one host is): see network_down().
    network_down: bool = False

    @property
    def ok(self) -> bool:
        return self.status != "error"


class FetchError(Exception):
    def __init__(self, kind: str, message: str, http_status: int | None = None, hint: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.http_status = http_status
        self.hint = hint


def _kept(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in KEPT_HEADERS if name in headers}


def _private_cause(exc: BaseException) -> PrivateAddressError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PrivateAddressError):
            return current
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, PrivateAddressError):
            return os_error
        current = current.__cause__ or current.__context__
    return None


# A resolver that cannot answer, and a network or route that is down: this machine cannot reach anyone. A host that
# does not exist (EAI_NONAME), refuses (ECONNREFUSED) or is slow (a timeout) is that host's own state.
_NETWORK_DOWN_ERRNOS = {socket.EAI_AGAIN, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH}


def network_down(exc: BaseException) -> bool:
    """True when `exc`, raised while fetching, says the network itself failed rather than the host asked for."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _private_cause(current) is not None:
            return False
        if isinstance(current, OSError) and current.errno in _NETWORK_DOWN_ERRNOS:
            return True
        os_error = getattr(current, "os_error", None)
        if isinstance(os_error, OSError) and os_error.errno in _NETWORK_DOWN_ERRNOS:
            return True
        current = current.__cause__ or current.__context__
    return False


def classify_exception(exc: BaseException) -> tuple[str, str]:
    """(kind, readable message) for an exception raised while fetching."""
    private = _private_cause(exc)
    if private is not None or "refused to connect to non-public address" in str(exc):
        return PRIVATE_ADDRESS, str(private or exc)
    if isinstance(exc, FetchError):
        return exc.kind, str(exc)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TIMEOUT, "connection timed out"
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return TIMEOUT, "timed out before the response was complete"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return DNS, f"DNS lookup failed for {exc.host}: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return TLS, f"TLS certificate error for {exc.host}: {exc.certificate_error}"
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return TLS, f"TLS error: {exc}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return CONNECT, f"cannot connect to {exc.host}:{exc.port}: {exc.os_error.strerror or exc.os_error}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return CONNECT, "server closed the connection before responding"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return PAYLOAD, f"bad response body: {exc}"
    if isinstance(exc, aiohttp.InvalidURL | ValueError | UnicodeError):
        return BAD_URL, f"invalid URL: {exc}"
    if isinstance(exc, aiohttp.ClientResponseError):
        return PROTOCOL, f"bad HTTP response: {exc.message}"
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return CONNECT, f"network error: {exc}"
    return PROTOCOL, f"{type(exc).__name__}: {exc}"


def _check_hop(url: URL, guard: AddressGuard) -> None:
    if url.scheme not in ("http", "https"):
        raise FetchError(BAD_URL, f"unsupported URL scheme {url.scheme!r} in {url}")
    if not url.host:
        raise FetchError(BAD_URL, f"no host in URL {url}")
    address = literal_address(url.host)
    if address is not None:
        guard.check(address)


async def _read_body(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FetchError(TOO_LARGE, f"body of {resp.content_length} bytes exceeds the {max_bytes}-byte limit")
    chunks: list[bytes] = []
    total = 0
    async for chunk in resp.content.iter_chunked(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(TOO_LARGE, f"body exceeds the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def _fetch(
    http: aiohttp.ClientSession,
    result: FetchResult,
    etag: str | None,
    last_modified: str | None,
    limits: FetchLimits,
    guard: AddressGuard,
) -> None:
    headers = {"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = aiohttp.ClientTimeout(total=limits.total_timeout, sock_connect=limits.connect_timeout)
    current = URL(result.url)
    permanent = True
    for _hop in range(limits.max_redirects + 1):
        _check_hop(current, guard)
        async with http.get(current, headers=headers, allow_redirects=False, timeout=timeout) as resp:
            result.http_status = resp.status
            result.final_url = str(current)
            kept = _kept(resp.headers)
            if resp.status in REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    raise FetchError(BAD_REDIRECT, f"HTTP {resp.status} redirect without a Location", resp.status)
                try:
                    current = current.join(URL(location.strip()))
                except (ValueError, TypeError) as exc:
                    raise FetchError(BAD_REDIRECT, f"unusable redirect Location {location!r}", resp.status) from exc
                permanent = permanent and resp.status in PERMANENT
                if permanent:
                    result.permanent_redirect = str(current)
                continue
            result.headers = kept
            result.etag = kept.get("etag") or None
            result.last_modified = kept.get("last-modified") or None
            now = datetime.now(UTC)
            if resp.status == 304:
                result.status = "not_modified"
                result.etag = result.etag or etag
                result.last_modified = result.last_modified or last_modified
                result.server_hint = max_age_seconds(kept.get("cache-control"))
                return
            if resp.status >= 400:
                kind = HTTP_4XX if resp.status < 500 else HTTP_5XX
                hint = retry_after_seconds(kept.get("retry-after"), now) if resp.status in (429, 503) else None
                message = f"HTTP {resp.status} {resp.reason or ''}".rstrip()
                if hint is not None:
                    message += f" (Retry-After {hint:.0f}s)"
                raise FetchError(kind, message, resp.status, hint)
            if not 200 <= resp.status < 300:
                raise FetchError(HTTP_OTHER, f"unexpected HTTP {resp.status} {resp.reason or ''}".rstrip(), resp.status)
            result.body = await _read_body(resp, limits.max_bytes)
            result.nbytes = len(result.body)
            result.server_hint = max_age_seconds(kept.get("cache-control"))
            result.status = "ok"
            return
    raise FetchError(TOO_MANY_REDIRECTS, f"more than {limits.max_redirects} redirects (last to {current})")


async def fetch_feed(
    http: aiohttp.ClientSession,
    url: str,
    *,
    guard: AddressGuard,
    limits: FetchLimits | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """Fetch `url` conditionally; the result says ok, not_modified or error (with kind and message)."""
    limits = limits or FetchLimits()
    result = FetchResult(url=url, final_url=url, status="error")
    started = time.monotonic()
    try:
        async with asyncio.timeout(limits.total_timeout):
            await _fetch(http, result, etag, last_modified, limits, guard)
    except FetchError as exc:
        result.status, result.error_kind, result.error = "error", exc.kind, str(exc)
        result.http_status = exc.http_status if exc.http_status is not None else result.http_status
        result.server_hint = exc.hint
        result.body = b""
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError, UnicodeError) as exc:
        result.status = "error"
        result.error_kind, result.error = classify_exception(exc)
        result.network_down = network_down(exc)
        if result.error_kind == TIMEOUT and isinstance(exc, TimeoutError) and not str(exc):
            result.error = f"no complete response within {limits.total_timeout:g}s"
        result.body = b""
    result.duration = time.monotonic() - started
    return result
