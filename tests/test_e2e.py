"""The product as an operator runs it: `breachwatch run` as a separate process, a loopback feed, and either the
console or the Discord emulator receiving the alert."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.e2e_helpers import env_for, read_until, start_bot, stop_bot
from tests.emulator.server import Emulator
from tests.feedserver import Item, rss

REPO = Path(__file__).resolve().parents[1]
SYNC_ROUTE = "PUT /applications/{application_id}/commands"
OLD = Item(
    guid="old-1",
    title="Council approves new street cameras for the harbour",
    summary="The vote passed after a long debate about costs.",
    link="https://loop.example/old-1",
    published=datetime.now(UTC) - timedelta(hours=2),
)
BREACH = Item(
    guid="new-1",
    title="Hackers stole 80,000 licence plate images from Vigilex parking cameras",
    summary="The intruders copied plate-reader images and driver locations from the vendor's servers.",
    link="https://loop.example/new-1",
)


@pytest.fixture
async def feed() -> AsyncIterator[tuple[str, list[Item]]]:
    items = [OLD]
    hits: list[float] = []

    async def serve(_request: web.Request) -> web.Response:
        # No Cache-Control: the test polls every second and the server must not ask for longer.
        hits.append(asyncio.get_running_loop().time())
        return web.Response(body=rss(items), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    feed_hits[id(items)] = hits
    yield str(server.make_url("/feed")), items
    await server.close()


feed_hits: dict[int, list[float]] = {}


async def _after_second_poll(items: list[Item], timeout: float = 60) -> None:
    """Polls of one source are sequential, so a second request means the first poll (the baseline) is stored."""
    async with asyncio.timeout(timeout):
        while len(feed_hits[id(items)]) < 2:  # noqa: ASYNC110 - the server is another task's; polling is simplest
            await asyncio.sleep(0.1)


async def test_console_mode_prints_the_alert(tmp_path: Path, feed: tuple[str, list[Item]]) -> None:
    url, items = feed
    proc = await start_bot(env_for(tmp_path, url), tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        # The first poll stores the old entry as seen; only what appears after it may alert.
        await read_until(proc.stderr, "scheduler started", 30)
        await _after_second_poll(items)
        items.append(BREACH.__class__(**{**BREACH.__dict__, "published": datetime.now(UTC)}))
        out = await read_until(proc.stdout, "Vigilex", 60)
    finally:
        log = await stop_bot(proc)
    assert "ALERT -> channel 0" in out
    assert "Council approves" not in out
    assert proc.returncode == 0, f"exit {proc.returncode}:\n" + "\n".join(log.splitlines()[-30:])


async def test_discord_mode_end_to_end(tmp_path: Path, feed: tuple[str, list[Item]], emulator: Emulator) -> None:
    url, items = feed
    env = env_for(
        tmp_path,
        url,
        DISCORD_TOKEN=emulator.token,
        BREACHWATCH_DISCORD_API_BASE=emulator.api_base,
        BREACHWATCH_DISCORD_GATEWAY=emulator.gateway_url,
    )
    proc = await start_bot(env, tmp_path)
    try:
        async with asyncio.timeout(60):
            while not emulator.requests(SYNC_ROUTE):
                if proc.returncode is not None:
                    raise AssertionError(await stop_bot(proc))
                await asyncio.sleep(0.1)
        # Commands are synced before the gateway connects; the interaction below follows READY on the same socket.
        await emulator.wait_gateway_event("identify", timeout=30)
        inv = await emulator.invoke("alerts", {"channel": emulator.channel}, subcommand="subscribe")
        answer = await inv.wait_message(timeout=10)
        assert "Subscribed" in answer["content"]
        await _after_second_poll(items)
        items.append(BREACH.__class__(**{**BREACH.__dict__, "published": datetime.now(UTC)}))
        alert = await emulator.wait_message(lambda m: bool(m.get("embeds")), channel=emulator.channel, timeout=60)
    finally:
        log = await stop_bot(proc)
    assert "Vigilex" in alert["embeds"][0]["title"]
    assert alert["mention_everyone"] is False
    assert len([m for m in emulator.messages(emulator.channel) if m.get("embeds")]) == 1
    assert proc.returncode == 0, f"exit {proc.returncode}:\n" + "\n".join(log.splitlines()[-30:])
    assert "emulator.bot.token" not in log and emulator.token not in log


async def test_a_second_leak_at_the_same_vendor_alerts_on_its_own(tmp_path: Path, feed: tuple[str, list[Item]]) -> None:
    """A headline that counts the incident ("Second Vigilex leak") is a new incident at a victim already in a story
    (docs/dedupe.md): through `breachwatch run` it is a second alert, not an update or a reply to the first."""
    url, items = feed
    proc = await start_bot(env_for(tmp_path, url), tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        await read_until(proc.stderr, "scheduler started", 30)
        await _after_second_poll(items)
        items.append(BREACH.__class__(**{**BREACH.__dict__, "published": datetime.now(UTC)}))
        first = await read_until(proc.stdout, "Vigilex", 60)
        items.append(
            Item(
                guid="new-2",
                title="Second Vigilex leak: 30,000 toll-camera plate scans left open to anyone",
                summary="A separate Vigilex backup held plate images from the Northgate toll road, researchers found.",
                link="https://loop.example/new-2",
                published=datetime.now(UTC),
            )
        )
        second = await read_until(proc.stdout, "Northgate", 60)
    finally:
        log = await stop_bot(proc)
    assert "ALERT -> channel 0" in first
    # A report joining the first story would come as "ALERT ... (reply to N)" or "UPDATE of alert N".
    heads = [line for line in second.splitlines() if line.startswith(("ALERT", "UPDATE"))]
    assert heads and heads[-1] == "ALERT -> channel 0", second
    assert proc.returncode == 0, f"exit {proc.returncode}:\n" + "\n".join(log.splitlines()[-30:])


FR_REPORT = Item(
    guid="fr-1",
    title="Bracelets électroniques : des pirates dérobent les positions GPS de personnes sous contrôle judiciaire",
    summary="Un prestataire du ministère de la Justice chargé de la surveillance électronique a été piraté ; les traces"
    " de localisation de plusieurs milliers de personnes placées sous bracelet auraient été copiées.",
    link="https://loop.example/fr-1",
)
DE_REPORT = Item(
    guid="de-1",
    title="Frankreich: Angreifer erbeuten Bewegungsdaten von Fußfessel-Trägern",
    summary="Bei einem Dienstleister der französischen Justiz, der elektronische Fußfesseln überwacht, haben Hacker"
    " die Standortverläufe Tausender Überwachter kopiert.",
    link="https://loop2.example/de-1",
)


async def test_a_report_in_another_language_sharing_no_name_joins_the_story_by_meaning(tmp_path: Path) -> None:
    """A French and a German report of one incident share no name, number or word (docs/dedupe.md, "Found by
    meaning"): through `breachwatch run`, with two outlets' feeds, the German one updates the French alert instead of
    alerting again. With grouping by the index keys alone it was a second alert."""
    feeds: dict[str, list[Item]] = {"/fr": [OLD], "/de": []}

    async def serve(request: web.Request) -> web.Response:
        # Each feed declares its language, which the bot takes over detection (bot.core.languages).
        body = rss(feeds[request.path], language=request.path.strip("/"))
        return web.Response(body=body, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/fr", serve)
    app.router.add_get("/de", serve)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    env = env_for(tmp_path, str(server.make_url("/fr")))
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\nurl = "{server.make_url("/fr")}"\nname = "Loopback Presse"\nlanguage = "fr"\n\n'
        f'[[source]]\nurl = "{server.make_url("/de")}"\nname = "Loopback Nachrichten"\nlanguage = "de"\n'
    )
    proc = await start_bot(env, tmp_path)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        await read_until(proc.stderr, "scheduler started", 30)
        await asyncio.sleep(3)  # both feeds' first polls (the baseline) are stored
        feeds["/fr"].append(FR_REPORT.__class__(**{**FR_REPORT.__dict__, "published": datetime.now(UTC)}))
        first = await read_until(proc.stdout, "Bracelets", 90)
        feeds["/de"].append(DE_REPORT.__class__(**{**DE_REPORT.__dict__, "published": datetime.now(UTC)}))
        second = await read_until(proc.stdout, "-> channel 0", 90)  # the next alert or update, whichever
    finally:
        log = await stop_bot(proc)
        await server.close()
    assert "ALERT -> channel 0" in first
    heads = [line for line in second.splitlines() if line.startswith(("ALERT", "UPDATE"))]
    assert heads and heads[-1].startswith("UPDATE of alert"), second
    assert proc.returncode == 0, f"exit {proc.returncode}:\n" + "\n".join(log.splitlines()[-30:])
