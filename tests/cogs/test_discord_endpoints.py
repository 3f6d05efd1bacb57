"""bot.discord_app.endpoints: where discord.py's REST and gateway connections go."""

from __future__ import annotations

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord_app.endpoints import apply_endpoints, pin_gateway_url, reset_endpoints


def test_pin_gateway_url_reaims_foreign_main_gateway_urls_only() -> None:
    gateway = yarl.URL("ws://127.0.0.1:4000")
    foreign = "wss://gateway-us-east1-b.discord.gg/?v=10&encoding=json&compress=zlib-stream"
    assert pin_gateway_url(foreign, gateway) == "ws://127.0.0.1:4000/?v=10&encoding=json&compress=zlib-stream"
    same_host = "ws://127.0.0.1:4000/resume?v=10&encoding=json"
    assert pin_gateway_url(same_host, gateway) == same_host
    voice = "wss://voice.discord.media/?v=8"
    assert pin_gateway_url(voice, gateway) == voice


async def test_apply_and_reset() -> None:
    client = discord.Client(intents=discord.Intents.none())
    original = client.http.ws_connect
    try:
        apply_endpoints(client, "http://127.0.0.1:4000/api/v10/", "ws://127.0.0.1:4000")
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:4000/api/v10/users/@me"
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:4000"
        assert client.http.ws_connect is not original
        other = discord.Client(intents=discord.Intents.none())
        unwrapped = other.http.ws_connect
        apply_endpoints(other, "https://discord.com/api/v10", "wss://gateway.discord.gg")
        assert other.http.ws_connect == unwrapped  # Discord's own gateway: resume URLs honoured as given
    finally:
        reset_endpoints()
    assert Route.BASE == "https://discord.com/api/v10"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"
