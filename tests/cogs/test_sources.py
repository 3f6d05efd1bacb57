"""`/sources` through the emulator, with real loopback feeds and the real fetch path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from storage.models import GLOBAL_SCOPE, Source
from tests.botfixtures import TestBot
from tests.emulator import constants as perms
from tests.emulator.invoke import InteractionRefused
from tests.emulator.server import Emulator
from tests.feedserver import rss, sample_items


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def feed(_request: web.Request) -> web.Response:
        return web.Response(body=rss(sample_items(4)), content_type="application/rss+xml")

    async def page(_request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Hello</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/feed", feed)
    app.router.add_get("/page", page)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


@pytest.fixture
def admin(emulator: Emulator) -> Any:
    return emulator.add_member("server-admin", permissions=perms.MANAGE_GUILD)


async def _src(emu: Emulator, sub: str, member: Any, **options: Any) -> str:
    inv = await emu.invoke("sources", options, subcommand=sub, member=member)
    return str((await inv.wait_message(timeout=10))["content"])


@pytest.mark.settings(allow_private_sources=True)
async def test_add_list_check_remove(emulator: Emulator, bw: TestBot, admin: Any, site: str) -> None:
    async with bw.services.sessions.begin() as s:
        s.add(Source(url="https://default.example/feed", name="Default Wire", guild_id=GLOBAL_SCOPE))
    text = await _src(emulator, "check", admin, url=site + "feed")
    assert "4 entries" in text and "Police camera archive exposed" in text
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Source).where(Source.url == site + "feed"))).first() is None
    text = await _src(emulator, "add", admin, url=site + "feed", name="Loop Feed", language="en")
    assert text.startswith("Added **Loop Feed**") and "only stories published from now on" in text
    async with bw.services.sessions() as s:
        row = (await s.execute(select(Source).where(Source.url == site + "feed"))).scalar_one()
    assert row.guild_id == emulator.guild.id and row.origin == "guild" and row.baseline_at is None
    listed = await _src(emulator, "list", admin)
    assert "Loop Feed" in listed and "this server" in listed and "Default Wire" in listed and "default" in listed
    assert "only the bot's operator" in await _src(emulator, "remove", admin, url="https://default.example/feed")
    assert "Removed" in await _src(emulator, "remove", admin, url=site + "feed")


@pytest.mark.settings(allow_private_sources=True)
async def test_not_a_feed_is_refused(emulator: Emulator, bw: TestBot, admin: Any, site: str) -> None:
    text = await _src(emulator, "add", admin, url=site + "page")
    assert "not a feed" in text.lower() or "not an rss" in text.lower()
    assert "not a feed address" in await _src(emulator, "add", admin, url="ftp://example.org/feed")


async def test_private_address_is_refused(emulator: Emulator, bw: TestBot, admin: Any, site: str) -> None:
    text = await _src(emulator, "add", admin, url=site + "feed")
    assert "private network" in text
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Source))).first() is None


async def test_members_without_manage_server_are_refused(emulator: Emulator, bw: TestBot) -> None:
    with pytest.raises(InteractionRefused):
        await emulator.invoke("sources", {}, subcommand="list", member=emulator.member)
    inv = await emulator.invoke(
        "sources", {"url": "https://x.example/feed"}, subcommand="add", member=emulator.member, admin_override=True
    )
    assert "Manage Server" in (await inv.wait_message())["content"]
