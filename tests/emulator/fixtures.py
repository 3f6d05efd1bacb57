"""pytest fixtures: `emulator` (a fresh Discord per test) and `start_discord` (run a discord.py client
against it until it is ready). Options per test: `@pytest.mark.emulator(time_scale=0.05, ...)`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest

from bot.discord_app.endpoints import apply_endpoints, reset_endpoints

from .ratelimit import RateLimitConfig
from .server import Emulator

StartDiscord = Callable[..., Awaitable[Any]]
RATELIMIT_KEYS = set(RateLimitConfig.__dataclass_fields__)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emulator(**options): options for the Discord emulator fixture")


def test_intents() -> discord.Intents:
    """What the bot asks for: the defaults without message content (and no privileged intents)."""
    intents = discord.Intents.default()
    intents.message_content = False
    return intents


test_intents.__test__ = False  # type: ignore[attr-defined]


def client_options() -> dict[str, Any]:
    """Constructor options that make login -> ready take milliseconds against the emulator."""
    return {"intents": test_intents(), "guild_ready_timeout": 0.05}


async def eventually(predicate: Callable[[], Any], timeout: float = 2.0, what: str = "condition") -> Any:
    """Poll `predicate` (e.g. something in the bot's cache) until truthy; returns its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := predicate()):
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.005)
    return result


@pytest.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    marker = request.node.get_closest_marker("emulator")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    limits = {k: options.pop(k) for k in list(options) if k in RATELIMIT_KEYS}
    emu = Emulator(ratelimits=RateLimitConfig(**limits), **options)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
        reset_endpoints()
    assert not emu.unimplemented, f"requests to routes the emulator does not implement: {emu.unimplemented}"


async def wait_ready(emu: Emulator, client: discord.Client, task: asyncio.Task[None], timeout: float) -> None:
    """Until the client is ready and holds every emulated guild it should, with its channels."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if task.done():
            task.result()  # re-raises the login/connect error
            raise RuntimeError("discord client stopped before it was ready")
        guilds = [client.get_guild(g) for g in emu.state.guilds]
        if client.is_ready() and all(g is not None and not g.unavailable and g.me is not None for g in guilds):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"discord client not ready after {timeout}s")
        await asyncio.sleep(0.005)


@pytest.fixture
async def start_discord(emulator: Emulator) -> AsyncIterator[StartDiscord]:
    """`await start_discord(client)` logs `client` in against the emulator and returns once it is ready.
    Clients are closed at teardown."""
    started: list[tuple[discord.Client, asyncio.Task[None]]] = []

    async def start(client: discord.Client, *, timeout: float = 5.0) -> discord.Client:
        apply_endpoints(client, emulator.api_base, emulator.gateway_url)
        task = asyncio.create_task(client.start(emulator.token))
        started.append((client, task))
        await wait_ready(emulator, client, task, timeout)
        return client

    yield start
    for client, task in started:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 2)
