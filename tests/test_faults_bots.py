"""Delivery under faults: two sharded bot processes (one SIGKILLed mid-fan-out and restarted), SIGTERM during a
fan-out, and gateway drops while deliveries are pending. Each alert reaches each subscribed channel exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.fanout import fan_out
from bot.core.clock import utcnow
from bot.discord_app.pacing import Pacer
from bot.services import Services
from storage import subscriptions
from storage.engine import session_factory
from storage.models import Delivery
from storage.subscriptions import SubscriptionFilters
from tests.botfixtures import make_bot, worker
from tests.emulator.server import Emulator
from tests.emulator.state import Channel
from tests.factories import make_source, make_story
from tests.procs import Proc, eventually, product_env, start

pytestmark = pytest.mark.faults
Sessions = async_sessionmaker[AsyncSession]


def shard_of(guild_id: int, count: int = 2) -> int:
    return (guild_id >> 22) % count


def channels_on_shards(emu: Emulator, per_shard_guilds: int, per_guild: int, shards: int = 2) -> list[Channel]:
    """Guilds on every shard (a snowflake's shard follows its millisecond, so add until each has enough)."""
    have: dict[int, list[int]] = {s: [] for s in range(shards)}
    for gid in emu.state.guilds:
        have[shard_of(gid, shards)].append(gid)
    for attempt in range(10_000):  # bounded: each new guild lands on a shard by its creation millisecond
        if all(len(g) >= per_shard_guilds for g in have.values()):
            break
        g = emu.add_guild(f"guild {attempt}")
        have[shard_of(g.id, shards)].append(g.id)
    channels: list[Channel] = []
    for gids in have.values():
        for gid in gids[:per_shard_guilds]:
            guild = emu.state.guilds[gid]
            channels.extend(c for c in guild.channels.values() if not c.deleted)
            while sum(1 for c in guild.channels.values()) < per_guild:
                channels.append(emu.add_channel(f"alerts-{len(guild.channels)}", guild=guild))
    return channels


async def subscribe_all(sessions: Sessions, channels: list[Channel]) -> None:
    async with sessions.begin() as s:
        for c in channels:
            await subscriptions.subscribe(s, c.guild_id, c.id, SubscriptionFilters())


async def queue_stories(sessions: Sessions, n: int) -> list[str]:
    titles = [f"Plate-reader archive number {i} stolen from city contractor" for i in range(n)]
    async with sessions.begin() as s:
        source = await make_source(s, url=f"https://feed.example/{utcnow().timestamp()}")
        for title in titles:
            story = await make_story(s, source, title)
            await fan_out(s, story, utcnow() + timedelta(seconds=1))
    return titles


def assert_exactly_once(emu: Emulator, channels: list[Channel], titles: list[str]) -> None:
    for c in channels:
        posted = Counter(m["embeds"][0]["title"] for m in emu.messages(c) if m.get("embeds"))
        assert posted == Counter(titles), (c.id, posted)


async def _all_sent(engine: AsyncEngine, total: int) -> bool:
    async with engine.connect() as conn:
        sent = (await conn.execute(select(func.count()).where(Delivery.status == "sent"))).scalar_one()
    return int(sent) == total


def bot_env(tmp_path: Path, pg_url: str, emu: Emulator) -> dict[str, str]:
    (tmp_path / "sources.toml").write_text("")
    return product_env(
        tmp_path,
        pg_url,
        DISCORD_TOKEN=emu.token,
        BREACHWATCH_DISCORD_API_BASE=emu.api_base,
        BREACHWATCH_DISCORD_GATEWAY=emu.gateway_url,
        BREACHWATCH_DELIVERY_LEASE="3",
    )


def posted_on(emu: Emulator, channels: list[Channel]) -> int:
    return sum(1 for c in channels for m in emu.messages(c) if m.get("embeds"))


async def _stop(procs: list[Proc]) -> None:
    for proc, code in zip(procs, await asyncio.gather(*(p.stop() for p in procs)), strict=True):
        assert code in (0, -9), f"{proc.name} exited {code}:\n{proc.log()[-3000:]}"


@pytest.mark.emulator(shard_count=2)
async def test_two_sharded_bots_sigkill_mid_fanout(
    tmp_path: Path, pg_url: str, pg_db: AsyncEngine, emulator: Emulator
) -> None:
    sessions = session_factory(pg_db)
    channels = channels_on_shards(emulator, per_shard_guilds=2, per_guild=8)
    shard1 = [c for c in channels if shard_of(c.guild_id) == 1]
    await subscribe_all(sessions, channels)
    titles = await queue_stories(sessions, 6)
    total = len(channels) * len(titles)
    env = bot_env(tmp_path, pg_url, emulator)
    args = ("--role", "bot", "--shard-count", "2", "--shard-ids")
    procs = [await start(f"shard{i}", tmp_path, env, *args, str(i)) for i in range(2)]
    try:
        await eventually(lambda: _now(posted_on(emulator, shard1) >= 12), 60, "shard 1 fanning out")
        procs[1].kill()
        await procs[1].proc.wait()
        killed_with = posted_on(emulator, shard1)
        procs.append(await start("shard1-again", tmp_path, env, *args, "1"))
        await eventually(lambda: _all_sent(pg_db, total), 90, "every delivery sent")
    finally:
        await _stop(procs)
    assert killed_with < len(shard1) * len(titles)  # it really died mid-fan-out
    assert_exactly_once(emulator, channels, titles)
    identified = sorted(tuple(d["shard"]) for d in events(emulator, "identify"))
    assert identified == [(0, 2), (1, 2), (1, 2)]


@pytest.mark.emulator(shard_count=1)
async def test_sigterm_during_fanout_loses_and_doubles_nothing(
    tmp_path: Path, pg_url: str, pg_db: AsyncEngine, emulator: Emulator
) -> None:
    sessions = session_factory(pg_db)
    channels = [emulator.channel] + [emulator.add_channel(f"alerts-{i}") for i in range(29)]
    await subscribe_all(sessions, channels)
    titles = await queue_stories(sessions, 5)
    total = len(channels) * len(titles)
    env = bot_env(tmp_path, pg_url, emulator)
    first = await start("bot", tmp_path, env, "--role", "bot")
    procs = [first]
    try:
        await eventually(lambda: _now(posted_on(emulator, channels) >= 20), 60, "the fan-out under way")
        code = await first.stop()
        stopped_with = posted_on(emulator, channels)
        assert code == 0, first.log()[-3000:]
        assert "stopped cleanly" in first.log()
        procs.append(await start("bot-again", tmp_path, env, "--role", "bot"))
        await eventually(lambda: _all_sent(pg_db, total), 90, "every delivery sent")
    finally:
        await _stop(procs)
    assert stopped_with < total
    assert_exactly_once(emulator, channels, titles)


@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
async def test_gateway_drops_while_deliveries_pending(
    services: Services, emulator: Emulator, start_discord: Any
) -> None:
    bot = make_bot(services)
    await start_discord(bot)
    channels = [emulator.channel] + [emulator.add_channel(f"alerts-{i}") for i in range(19)]
    await subscribe_all(services.sessions, channels)
    titles = await queue_stories(services.sessions, 3)
    bot.sender.pacer = Pacer(rate=15, burst=1)  # ~4 s of sending, so every fault lands mid-delivery
    slow = worker(bot)
    sending = asyncio.create_task(slow.run_once())
    faults = [
        emulator.gateway_reconnect,
        lambda: emulator.gateway_invalid_session(resumable=True),
        lambda: emulator.gateway_invalid_session(resumable=False),
        lambda: emulator.gateway_close(4000),
        lambda: emulator.gateway_close(1006),
    ]
    seen = 0
    for fault in faults:
        await asyncio.sleep(0.6)
        connects = len(events(emulator, "connect"))
        fault()
        await back_again(bot, emulator, connects)
        seen += 1
    stats = await asyncio.wait_for(sending, 60)
    while stats.retried or stats.rate_limited:  # bounded by the backoff: retries are due within seconds
        await asyncio.sleep(1)
        stats = await slow.run_once()
    assert seen == len(faults) and bot.is_ready() and not bot.is_closed()
    assert_exactly_once(emulator, channels, titles)
    assert events(emulator, "resume")  # a RECONNECT or 4000 resumes ...
    assert len(events(emulator, "identify")) >= 2  # ... a non-resumable invalid session re-identifies


async def back_again(bot: Any, emu: Emulator, connects: int, timeout: float = 15.0) -> None:
    """Until the bot has opened a new gateway connection and is ready on it."""

    async def up() -> bool:
        return len(events(emu, "connect")) > connects and bot.is_ready() and not bot.shards[0].is_closed()

    await eventually(up, timeout, "the gateway back", every=0.05)


def events(emu: Emulator, kind: str) -> list[Any]:
    return [detail for k, detail in emu.gateway.events if k == kind]


async def _now(value: bool) -> bool:
    return value
