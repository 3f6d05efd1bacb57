"""Article pages for teasers, and Google News links resolved to the publisher, over real loopback HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.feeds import gnews
from bot.feeds.fetch import FetchLimits
from bot.feeds.netguard import AddressGuard, make_connector
from bot.feeds.pages import PageFetcher

NEW_ID_PAYLOAD = b"AU_yqLtokenForTheTest123"


def old_style_id(url: str) -> str:
    raw = url.encode()
    return base64.urlsafe_b64encode(b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00").decode().rstrip("=")


def new_style_id() -> str:
    payload = b"\x08\x13\x22" + bytes([len(NEW_ID_PAYLOAD)]) + NEW_ID_PAYLOAD
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def google_app(publisher: str | Callable[[], str], posts: list[str]) -> web.Application:
    """A stand-in for news.google.com's two endpoints, answering as the real ones are documented to."""

    async def article(request: web.Request) -> web.Response:
        gid = request.match_info["gid"]
        html = f'<html><c-wiz><div jscontroller="x" data-n-a-sg="SIG{gid[:4]}" data-n-a-ts="1733000000"></div>'
        return web.Response(text=html + "</c-wiz></html>", content_type="text/html")

    async def batchexecute(request: web.Request) -> web.Response:
        form = await request.post()
        posts.append(str(form["f.req"]))
        inner = json.dumps(["garturlres", publisher() if callable(publisher) else publisher, 1])
        body = ")]}'\n\n" + json.dumps([["wrb.fr", "Fbv4je", inner, None, None, None, "generic"]]) + "\n"
        return web.Response(text=body)

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<html><body><article><p>The full story.</p></article></body></html>")

    app = web.Application()
    app.router.add_get("/articles/{gid}", article)
    app.router.add_post("/_/DotsSplashUi/data/batchexecute", batchexecute)
    app.router.add_get("/story", page)
    return app


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=make_connector(AddressGuard(allow_private=True))) as session:
        yield session


def test_old_ids_carry_the_url_and_other_links_are_left_alone() -> None:
    gid = old_style_id("https://www.example.org/news/plates-leak")
    assert gnews.decode_offline(gid) == "https://www.example.org/news/plates-leak"
    assert gnews.decode_offline(new_style_id()) is None
    assert gnews.article_id(f"https://news.google.com/rss/articles/{gid}?oc=5") == gid
    assert gnews.article_id("https://www.example.org/rss/articles/abc") is None
    with pytest.raises(gnews.ResolveError):
        gnews.decode_offline("not-a-google-id")


async def test_new_ids_are_resolved_through_the_two_requests(http: aiohttp.ClientSession) -> None:
    posts: list[str] = []
    server = TestServer(google_app("https://publisher.example/story/1", posts), host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        gid = new_style_id()
        url = await gnews.resolve(http, f"{base}/rss/articles/{gid}?oc=5", base)
        assert url == "https://publisher.example/story/1"
        [request] = posts
        assert "garturlreq" in request and gid in request and "1733000000" in request
    finally:
        await server.close()


async def test_the_page_fetcher_follows_a_google_link_to_the_publisher_page(http: aiohttp.ClientSession) -> None:
    posts: list[str] = []
    server = TestServer(google_app("unused", posts), host="127.0.0.1")
    await server.start_server()
    try:
        base = str(server.make_url("")).rstrip("/")
        fetcher = PageFetcher(http, AddressGuard(allow_private=True), FetchLimits(), google_news=base)
        body = await fetcher(f"{base}/rss/articles/{old_style_id(base + '/story')}?oc=5")
        assert body is not None and b"The full story." in body
        assert posts == []  # an old id needs no request to Google
        assert await fetcher("ftp://example.org/x") is None
        assert await fetcher(f"{base}/missing") is None and fetcher.failed == 1
    finally:
        await server.close()


async def test_private_publishers_are_refused_by_default() -> None:
    guard = AddressGuard(allow_private=False)
    async with aiohttp.ClientSession(connector=make_connector(guard)) as session:
        fetcher = PageFetcher(session, guard, FetchLimits(total_timeout=5))
        assert await fetcher("http://127.0.0.1:9/article") is None
        assert fetcher.failed == 1
