"""Point discord.py at the Discord endpoints the settings name (a rate-limit proxy, or the test emulator).

discord.py 2.7 has no per-client setting for these, so three things are adjusted:

* REST: every request URL is built from the class attribute ``discord.http.Route.BASE`` (discord.py's own
  ``_set_api_version`` rewrites it the same way), so it is set process-wide.
* Gateway, first connect: a plain ``Client`` connects to ``DiscordWebSocket.DEFAULT_GATEWAY``, as does an
  ``AutoShardedClient`` given an explicit ``shard_count``, and so does any client after a non-resumable
  INVALID_SESSION. Also a class attribute, set process-wide.
* Gateway, later connects: an ``AutoShardedClient`` without ``shard_count`` connects to the ``url`` of the
  ``/gateway/bot`` answer, and every client resumes at READY's ``resume_gateway_url``. Both come from
  whatever answers REST and the gateway, so when the operator names a gateway other than Discord's, the
  client's ``http.ws_connect`` (the one call every gateway connection goes through) is wrapped to send
  main-gateway connections aimed at any other host to that gateway, query kept. With Discord's own
  gateway nothing is wrapped, so Discord's regional resume URLs are honoured as they should be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.settings import DISCORD_API_BASE, DISCORD_GATEWAY, Settings

WsConnect = Callable[..., Awaitable[aiohttp.ClientWebSocketResponse]]


def pin_gateway_url(url: str, gateway: yarl.URL) -> str:
    """`url` re-aimed at `gateway` (scheme, host, port, path), keeping its query, when it points at
    another host. Only main-gateway URLs (those asking for an `encoding`) are touched; voice websockets
    keep their own host."""
    target = yarl.URL(url)
    if "encoding" not in target.query or (target.host, target.port) == (gateway.host, gateway.port):
        return url
    return str(gateway.with_query(target.query))


def apply_endpoints(client: discord.Client | None, api_base: str, gateway: str) -> None:
    """Apply the settings `discord_api_base` and `discord_gateway` to discord.py (and to `client`).

    Call before `client.login()` / `client.start()`; `client` may be None to set only the process-wide
    parts (REST base and first gateway connection)."""
    Route.BASE = api_base.rstrip("/")
    gateway_url = yarl.URL(gateway)
    DiscordWebSocket.DEFAULT_GATEWAY = gateway_url
    if client is None or gateway.rstrip("/") == DISCORD_GATEWAY:
        return
    http: Any = client.http
    original: WsConnect = getattr(http, "_breachwatch_original_ws_connect", http.ws_connect)

    async def ws_connect(url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        return await original(pin_gateway_url(url, gateway_url), compress=compress)

    http._breachwatch_original_ws_connect = original
    http.ws_connect = ws_connect


def apply_settings(client: discord.Client | None, settings: Settings) -> None:
    """`apply_endpoints` with the values from the project's settings."""
    apply_endpoints(client, settings.discord_api_base, settings.discord_gateway)


def reset_endpoints() -> None:
    """Back to Discord's own endpoints (used by tests so one test's emulator never leaks into the next)."""
    Route.BASE = DISCORD_API_BASE
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(DISCORD_GATEWAY + "/")
