"""The gateway: RESUME with replay after RECONNECT, invalid sessions, close codes, compression, shards."""

from __future__ import annotations

import json
import zlib
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.emulator import Emulator
from tests.emulator.botkit import make_bot
from tests.emulator.fixtures import client_options, eventually


@pytest.fixture
async def bot(emulator: Emulator, start_discord: Any) -> discord.Client:
    client = await start_discord(make_bot())
    await client.tree.sync()
    return client  # type: ignore[no-any-return]


async def test_reconnect_then_resume_replays_and_the_next_command_is_answered(
    emulator: Emulator, bot: discord.Client
) -> None:
    emulator.gateway_reconnect()
    inv = await emulator.invoke("ping")  # sent into the gap: buffered, replayed on RESUME
    (resume,) = await emulator.wait_gateway_event("resume")
    assert resume["path"] == "/resume"  # the client used READY's resume_gateway_url
    assert (await inv.wait_message())["content"] == "pong"
    after = await emulator.invoke("ping")
    assert (await after.wait_message())["content"] == "pong"
    assert [k for k, _ in emulator.gateway.events].count("identify") == 1


async def test_a_foreign_resume_url_is_pinned_to_the_configured_gateway(emulator: Emulator, start_discord: Any) -> None:
    """Real Discord hands out its own resume host; with a configured gateway the bot must stay on it."""
    emulator.resume_gateway_url = "ws://127.0.0.1:9/elsewhere"
    client = await start_discord(make_bot())
    emulator.gateway_reconnect()
    (resume,) = await emulator.wait_gateway_event("resume")
    assert resume["path"] == "/"
    await client.tree.sync()
    assert (await (await emulator.invoke("ping")).wait_message())["content"] == "pong"


async def test_invalid_session_makes_the_client_identify_again(emulator: Emulator, bot: discord.Client) -> None:
    emulator.gateway_invalid_session(resumable=False)
    await emulator.wait_gateway_event("identify", count=2)
    await eventually(lambda: bot.is_ready() and bot.get_guild(emulator.guild.id), what="ready again")
    assert (await (await emulator.invoke("ping")).wait_message())["content"] == "pong"


async def test_a_dropped_socket_is_resumed(emulator: Emulator, bot: discord.Client) -> None:
    emulator.gateway_close(4000)
    await emulator.wait_gateway_event("resume")
    assert (await (await emulator.invoke("ping")).wait_message())["content"] == "pong"


async def test_authentication_failed_close_is_fatal(emulator: Emulator, start_discord: Any) -> None:
    client = await start_discord(make_bot())
    emulator.gateway_close(4004, forget_sessions=True)
    await eventually(client.is_closed, what="discord.py giving up on 4004")


async def test_discord_py_speaks_zlib_stream(emulator: Emulator, bot: discord.Client) -> None:
    (connect,) = await emulator.wait_gateway_event("connect")
    assert connect["query"]["compress"] == "zlib-stream" and connect["query"]["encoding"] == "json"


async def test_plain_and_zlib_frames_by_hand(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(emulator.gateway_url + "/?v=10&encoding=json") as ws:
            hello = await ws.receive()
            assert hello.type is aiohttp.WSMsgType.TEXT and json.loads(hello.data)["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": emulator.token, "intents": 1, "properties": {}}})
            ready = await ws.receive_json()
            assert ready["t"] == "READY" and ready["s"] == 1
            guild = await ws.receive_json()
            assert guild["t"] == "GUILD_CREATE" and guild["d"]["id"] == str(emulator.guild.id)
        async with session.ws_connect(emulator.gateway_url + "/?v=10&encoding=json&compress=zlib-stream") as ws:
            inflate = zlib.decompressobj()
            frame = await ws.receive()
            assert frame.type is aiohttp.WSMsgType.BINARY and frame.data.endswith(b"\x00\x00\xff\xff")
            assert json.loads(inflate.decompress(frame.data))["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
            closed = await ws.receive()
            assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4004


@pytest.mark.emulator(shard_count=2)
async def test_autosharded_bot_uses_gateway_bot(emulator: Emulator, start_discord: Any) -> None:
    second = emulator.add_guild("Second Guild")

    class Bot(commands.AutoShardedBot):
        async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
            pass  # discord.py waits 5 s between shard IDENTIFYs (max_concurrency 1); not needed here

    bot = Bot(command_prefix="!", **client_options())
    await start_discord(bot)
    assert bot.shard_count == 2 and {g.id for g in bot.guilds} == {emulator.guild.id, second.id}
    shards = sorted(tuple(d["shard"]) for d in await emulator.wait_gateway_event("identify", 2))
    assert shards == [(0, 2), (1, 2)]
