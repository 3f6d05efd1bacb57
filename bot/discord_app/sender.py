"""The delivery worker's Sender on Discord: the bot's own channel messages, through discord.py's HTTP client."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.http import MultipartParameters

from bot.alerts.sender import ChannelGone, NoAccess, RateLimited, Rejected, SendError, Transient
from bot.discord_app.pacing import Pacer

log = logging.getLogger(__name__)


def translate(exc: Exception) -> SendError:
    """discord.py's failures as the worker's kinds; anything unknown is worth another try."""
    if isinstance(exc, discord.RateLimited):
        return RateLimited(exc.retry_after, str(exc))
    if isinstance(exc, discord.Forbidden):
        return NoAccess(f"403 {exc.text or 'Missing Permissions'} (code {exc.code})")
    if isinstance(exc, discord.NotFound):
        return ChannelGone(f"404 {exc.text or 'Not Found'} (code {exc.code})")
    if isinstance(exc, discord.DiscordServerError):
        return Transient(f"{exc.status} {exc.text}")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return RateLimited(5.0, str(exc))
        if 400 <= exc.status < 500:
            return Rejected(f"{exc.status} {exc.text} (code {exc.code})")
        return Transient(f"{exc.status} {exc.text}")
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError):
        return Transient(f"{type(exc).__name__}: {exc}")
    return Transient(f"{type(exc).__name__}: {exc}")


class DiscordSender:
    def __init__(self, client: discord.Client, pacer: Pacer | None = None) -> None:
        self.client = client
        # Every request the jobs make goes through here, so the one pacer counts them all (the worker's sends and
        # edits, digests, notices). rate + burst <= 50 keeps every 1-second window under Discord's global limit
        # of 50 requests.
        self.pacer = pacer or Pacer(rate=48, burst=2)

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str, reply_to: int | None = None) -> int:
        body = dict(payload)
        # With enforce_nonce Discord returns the first message for a repeated nonce instead of posting twice.
        body["nonce"] = nonce
        body["enforce_nonce"] = True
        if reply_to is not None:
            body["message_reference"] = {
                "message_id": str(reply_to),
                "channel_id": str(channel_id),
                "fail_if_not_exists": False,
            }
        await self.pacer.acquire()
        try:
            data = await self.client.http.send_message(channel_id, params=MultipartParameters(body, None, None))
        except Exception as exc:
            raise translate(exc) from exc
        return int(data["id"])

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        body = {k: v for k, v in payload.items() if k in ("content", "embeds", "components", "allowed_mentions")}
        body.setdefault("content", None)
        await self.pacer.acquire()
        try:
            await self.client.http.edit_message(channel_id, message_id, params=MultipartParameters(body, None, None))
        except Exception as exc:
            raise translate(exc) from exc

    async def notify(self, guild_id: int, channel_id: int | None, text: str) -> bool:
        guild = self.client.get_guild(guild_id)
        targets: list[int] = []
        if channel_id is not None:
            targets.append(channel_id)
        if guild is not None and guild.system_channel is not None:
            targets.append(guild.system_channel.id)
        for target in targets:
            await self.pacer.acquire()
            try:
                await self.client.http.send_message(
                    target,
                    params=MultipartParameters({"content": text[:2000], "allowed_mentions": {"parse": []}}, None, None),
                )
                return True
            except (discord.Forbidden, discord.NotFound) as exc:
                log.info("notice for guild %s could not go to channel %s: %s", guild_id, target, exc)
            except Exception as exc:
                raise translate(exc) from exc
        return False
