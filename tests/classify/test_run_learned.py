"""`breachwatch run` with the trained classifier: a teaser-only item behind a Google News link is resolved to the
publisher, its page fetched, the story encoded once and judged, and the alert printed; the database keeps the page
text and the embedding."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.e2e_helpers import env_for, read_until, start_bot, stop_bot
from tests.feeds.test_pages import google_app, new_style_id
from tests.feedserver import Item, rss

PAGE = """<html><head><title>Vigilex</title></head><body><article>
<h1>Parking operator Vigilex: intruders copied licence plate images</h1>
<p>Intruders copied 80,000 licence plate images and the times each car entered the operator's car parks from
Vigilex's camera servers over three weeks, the company confirmed on Tuesday.</p>
<p>The files were later offered for sale on a criminal forum, according to researchers who found them.</p>
<p>Vigilex said it had informed the data protection authority and the police.</p>
</article></body></html>"""


class Site:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.feed_hits = 0
        self.page_hits = 0
        self.google_posts: list[str] = []
        self.server: TestServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site()

    async def feed(_request: web.Request) -> web.Response:
        state.feed_hits += 1
        return web.Response(body=rss(state.items), content_type="application/rss+xml")

    async def page(_request: web.Request) -> web.Response:
        state.page_hits += 1
        return web.Response(text=PAGE, content_type="text/html")

    app = google_app(lambda: f"{state.base}/news/vigilex", state.google_posts)
    app.router.add_get("/feed", feed)
    app.router.add_get("/news/vigilex", page)
    state.server = TestServer(app, host="127.0.0.1")
    await state.server.start_server()
    yield state
    await state.server.close()


async def test_a_google_news_teaser_is_completed_from_the_publisher_page(tmp_path: Path, site: Site) -> None:
    env = env_for(tmp_path, f"{site.base}/feed", BREACHWATCH_GOOGLE_NEWS_BASE=site.base)
    proc = await start_bot(env, tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        await read_until(proc.stderr, "scheduler started", 60)
        async with asyncio.timeout(60):
            while site.feed_hits < 2:  # noqa: ASYNC110 - the first poll stored the (empty) baseline
                await asyncio.sleep(0.1)
        site.items.append(
            Item(
                guid="gn-1",
                title="Vigilex confirms incident at its parking cameras - Loopback Wire",
                summary="Vigilex confirms incident at its parking cameras [...]",
                link=f"{site.base}/rss/articles/{new_style_id()}?oc=5",
                published=datetime.now(UTC),
            )
        )
        out = await read_until(proc.stdout, "Vigilex", 90)
    finally:
        log = await stop_bot(proc)
    assert "ALERT -> channel 0" in out, log[-3000:]
    assert site.page_hits == 1 and len(site.google_posts) == 1
    with sqlite3.connect(tmp_path / "e2e.db") as db:
        content, embedding, score = db.execute("SELECT content, embedding, score FROM articles").fetchone()
    assert "80,000 licence plate images" in content
    assert embedding is not None and len(embedding) == 768
    assert score >= 0.5
    assert proc.returncode == 0
