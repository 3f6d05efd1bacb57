"""Discord's rate limits as discord.py meets them: headers, route buckets, the global limit, forced 429s."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator import Emulator
from tests.emulator.botkit import make_bot

SEND = "POST /channels/{channel_id}/messages"
RL_HEADERS = {
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Reset-After",
    "X-RateLimit-Bucket",
}


@pytest.fixture
async def bot(emulator: Emulator, start_discord: Any) -> discord.Client:
    return await start_discord(make_bot())  # type: ignore[no-any-return]


def _channel(bot: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_forced_429_is_retried_by_discord_py(emulator: Emulator, bot: discord.Client) -> None:
    emulator.force(SEND, 429, retry_after=0.05, channel_id=emulator.channel.id)
    msg = await _channel(bot, emulator.channel.id).send("after a 429")
    log = emulator.requests(SEND)
    assert [r.status for r in log] == [429, 200]
    assert log[0].headers["Via"] == "1.1 google" and log[0].headers["X-RateLimit-Scope"] == "user"
    assert emulator.served_429 == {"route": 0, "global": 0, "forced": 1}
    assert [m["id"] for m in emulator.messages()] == [str(msg.id)]


async def test_forced_errors_answer_like_discord(emulator: Emulator, bot: discord.Client) -> None:
    channel = _channel(bot, emulator.channel.id)
    emulator.force(SEND, 403)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("refused")
    emulator.force(SEND, 404, code=10003, message="Unknown Channel")
    with pytest.raises(discord.NotFound) as missing:
        await channel.send("gone")
    assert (forbidden.value.code, missing.value.code) == (50001, 10003)
    # A 500 is retried by discord.py after a 1 s sleep; the emulator's side of it is checked raw here.
    emulator.force(SEND, 500)
    url = f"{emulator.api_base}/channels/{emulator.channel.id}/messages"
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as s, s.post(url, json={"content": "x"}, headers=headers) as r:
        assert r.status == 500 and (await r.json())["message"] == "500: Internal Server Error"
    assert [r.status for r in emulator.requests(SEND)] == [403, 404, 500]


@pytest.mark.emulator(time_scale=0.05)
async def test_twelve_messages_to_one_channel_are_paced_by_the_headers(emulator: Emulator, bot: discord.Client) -> None:
    """5 per 5 s, windows scaled to 0.25 s: discord.py must wait on Remaining/Reset-After, never hit 429."""
    channel = _channel(bot, emulator.channel.id)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(12)))
    log = emulator.requests(SEND)
    assert len(log) == 12 and all(r.status == 200 for r in log)
    assert all(set(r.headers) >= RL_HEADERS for r in log)
    assert emulator.served_429 == {"route": 0, "global": 0, "forced": 0}
    assert sorted(m["content"] for m in emulator.messages()) == sorted(f"m{i}" for i in range(12))
    # Three windows were needed, so the 12 took at least two full (scaled) windows.
    assert log[-1].at - log[0].at >= 2 * 0.25 - 0.01


async def test_eighty_channels_never_more_than_fifty_accepted_in_any_second(
    emulator: Emulator, bot: discord.Client
) -> None:
    """Real time (no scaling): discord.py has no global pacing of its own, so it fires all 80, gets global
    429s for the excess, and retries. What is measured: the emulator's accepted requests in every sliding
    1-second window."""
    channels = [emulator.add_channel(f"c{i}") for i in range(80)]
    await asyncio.sleep(0.05)  # let CHANNEL_CREATE reach the cache
    await asyncio.gather(*(_channel(bot, c.id).send("fan-out") for c in channels))
    accepted = sorted(r.at for r in emulator.requests(SEND) if r.status == 200)
    assert len(accepted) == 80
    busiest = max(sum(1 for t in accepted[i:] if t - start < 1.0) for i, start in enumerate(accepted))
    assert busiest <= 50, busiest
    assert emulator.served_429["global"] > 0 and emulator.served_429["route"] == 0
    refused = [r for r in emulator.requests(SEND) if r.status == 429]
    assert all(
        r.headers["X-RateLimit-Scope"] == "global" and r.headers["X-RateLimit-Global"] == "true" for r in refused
    )
