"""A loopback feed server that misbehaves on request, for fetch, poller and command tests.

Everything it serves is generated here; nothing is copied from elsewhere.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Item:
    guid: str
    title: str
    summary: str = "Details of the incident."
    link: str | None = None
    published: datetime | None = None
    publisher: str | None = None  # an aggregator's <source url>: the site the article is from


def rss(items: list[Item], *, title: str = "Test feed", language: str | None = "en", encoding: str = "utf-8") -> bytes:
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>']
    parts.append(f"<title>{escape(title)}</title><link>https://news.example/</link>")
    if language:
        parts.append(f"<language>{language}</language>")
    for item in items:
        parts.append("<item>")
        parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid><title>{escape(item.title)}</title>')
        parts.append(f"<description>{escape(item.summary)}</description>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.published:
            parts.append(f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>")
        if item.publisher:
            parts.append(f'<source url="{escape(item.publisher)}">Publisher</source>')
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode(encoding, "xmlcharrefreplace")


def sample_items(count: int, *, prefix: str = "a", when: datetime | None = None) -> list[Item]:
    when = when or datetime.now(UTC) - timedelta(hours=1)
    return [
        Item(
            guid=f"{prefix}-{i}",
            title=f"Police camera archive exposed, part {prefix}{i}",
            summary=f"<p>Researchers found footage store {i} open to anyone.</p><p>Read more</p>",
            link=f"https://news.example/{prefix}/{i}?utm_source=rss&utm_medium=feed",
            published=when,
        )
        for i in range(count)
    ]


@dataclass
class FeedState:
    """Mutable content of /feed, so tests can add or edit entries between polls."""

    items: list[Item] = field(default_factory=list)
    requests: int = 0
    conditional_hits: int = 0

    def body(self) -> bytes:
        return rss(self.items)

    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body()).hexdigest()[:16] + '"'


class FeedServer:
    def __init__(self, server: TestServer, state: FeedState) -> None:
        self.server = server
        self.state = state

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port


LAST_MODIFIED = "Mon, 03 Apr 2023 01:02:03 GMT"


def build_app(state: FeedState) -> web.Application:
    routes = web.RouteTableDef()

    @routes.get("/feed")
    async def feed(request: web.Request) -> web.StreamResponse:
        state.requests += 1
        etag = state.etag()
        if request.headers.get("If-None-Match") == etag:
            state.conditional_hits += 1
            return web.Response(status=304, headers={"ETag": etag, "Cache-Control": "max-age=60"})
        return web.Response(
            body=state.body(),
            content_type="application/rss+xml",
            charset="utf-8",
            headers={"ETag": etag, "Last-Modified": LAST_MODIFIED, "Cache-Control": "max-age=60"},
        )

    @routes.get("/modified-only")
    async def modified_only(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return web.Response(status=304)
        return web.Response(body=rss(sample_items(2)), headers={"Last-Modified": LAST_MODIFIED})

    @routes.get("/static")
    async def static(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=rss(sample_items(3)), content_type="application/rss+xml")

    @routes.get("/other/{prefix}")
    async def other(request: web.Request) -> web.StreamResponse:
        # Two more entries of news.example, with links of their own ("/other/b" -> news.example/b/0 and /b/1).
        items = sample_items(2, prefix=request.match_info["prefix"])
        return web.Response(body=rss(items, title="News Example - Security"), content_type="application/rss+xml")

    @routes.get("/aggregated")
    async def aggregated(_request: web.Request) -> web.StreamResponse:
        # A news search: links point at the aggregator, each item says whose article it is.
        items = [
            replace(item, link=f"https://aggregator.example/articles/{item.guid}", publisher="https://www.news.example")
            for item in sample_items(2, prefix="g")
        ]
        return web.Response(body=rss(items, title="Search: camera leaks"), content_type="application/rss+xml")

    @routes.get("/chain/{n}")
    async def chain(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        target = "/static" if n <= 1 else f"/chain/{n - 1}"
        raise (web.HTTPMovedPermanently if n % 2 else web.HTTPFound)(location=target)

    @routes.get("/loop/{side}")
    async def loop(request: web.Request) -> web.StreamResponse:
        other = "b" if request.match_info["side"] == "a" else "a"
        raise web.HTTPFound(location=f"/loop/{other}")

    @routes.get("/status/{code}")
    async def status(request: web.Request) -> web.StreamResponse:
        code = int(request.match_info["code"])
        headers = {"Retry-After": "7200"} if code in (429, 503) else {}
        return web.Response(status=code, text=f"status {code}", headers=headers)

    @routes.get("/retry-date")
    async def retry_date(_request: web.Request) -> web.StreamResponse:
        when = datetime.now(UTC) + timedelta(hours=3)
        return web.Response(status=503, headers={"Retry-After": format_datetime(when, usegmt=True)})

    @routes.get("/drip")
    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        await resp.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        for _ in range(600):
            await asyncio.sleep(0.2)
            await resp.write(b" ")
        return resp

    @routes.get("/endless")
    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        chunk = b"<!-- " + b"x" * 65536 + b" -->"
        for _ in range(100_000):  # bounded: ~6.5 GB, far past any limit, but never infinite
            await resp.write(chunk)
        return resp

    @routes.get("/big-declared")
    async def big_declared(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * 4096, headers={"Content-Length": "4096"})

    @routes.get("/gzip")
    async def gzipped(_request: web.Request) -> web.StreamResponse:
        body = gzip.compress(rss(sample_items(4)))
        return web.Response(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})

    @routes.get("/broken-gzip")
    async def broken_gzip(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"this is not gzip at all", headers={"Content-Encoding": "gzip"})

    @routes.get("/wrong-charset")
    async def wrong_charset(_request: web.Request) -> web.StreamResponse:
        # Declared UTF-8 inside, but the bytes are Latin-1 and the HTTP header says so: the header wins.
        item = Item(guid="c1", title="Données de vidéosurveillance exposées à Nîmes", link="https://news.example/c1")
        body = rss([item], language="fr", encoding="utf-8").decode("utf-8").encode("latin-1")
        return web.Response(body=body, headers={"Content-Type": "application/rss+xml; charset=iso-8859-1"})

    @routes.get("/html")
    async def html_page(_request: web.Request) -> web.StreamResponse:
        page = "<!DOCTYPE html><html><head><title>News</title></head><body><p>Not a feed</p></body></html>"
        return web.Response(text=page, content_type="text/html")

    @routes.get("/empty")
    async def empty(_request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"", content_type="application/rss+xml")

    @routes.get("/no-location")
    async def no_location(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=302)

    @routes.get("/relative-redirect")
    async def relative_redirect(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location="static")

    @routes.get("/to/{target}")
    async def to(request: web.Request) -> web.StreamResponse:
        targets = {
            "private": "http://10.0.0.1/feed",
            "linklocal": "http://169.254.169.254/latest/meta-data/",
            "loopback": f"http://127.0.0.2:{request.url.port}/static",
            "ipv6-loopback": f"http://[::1]:{request.url.port}/static",
            "mapped": "http://[::ffff:10.1.2.3]/feed",
            "file": "file:///etc/passwd",
        }
        raise web.HTTPFound(location=targets[request.match_info["target"]])

    app = web.Application()
    app.add_routes(routes)
    return app


async def start_feed_server(state: FeedState | None = None) -> AsyncIterator[FeedServer]:
    state = state or FeedState(items=sample_items(3))
    server = TestServer(build_app(state), host="127.0.0.1")
    await server.start_server()
    try:
        yield FeedServer(server, state)
    finally:
        await server.close()
