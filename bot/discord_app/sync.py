"""Sync slash commands only when the tree changed, so restarts never spend Discord's sync rate limit."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import meta

log = logging.getLogger(__name__)


async def tree_payload(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None = None) -> list[Any]:
    """The exact JSON `tree.sync` would send (translations included)."""
    commands = tree._get_all_commands(guild=guild)
    translator = tree.translator
    if translator:
        return [await c.get_translated_payload(tree, translator) for c in commands]
    return [c.to_dict(tree) for c in commands]


def payload_hash(payload: list[Any]) -> str:
    ordered = sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))
    return hashlib.sha256(json.dumps(ordered, sort_keys=True, default=str).encode()).hexdigest()


def _key(application_id: int | None, guild_id: int | None) -> str:
    return f"command_tree:{application_id}:{guild_id or 'global'}"


async def sync_if_changed(
    tree: app_commands.CommandTree[Any],
    sessions: async_sessionmaker[AsyncSession],
    application_id: int | None,
    *,
    guild: discord.abc.Snowflake | None = None,
    force: bool = False,
) -> bool:
    """Sync when the tree's hash differs from the last successful sync; returns whether it synced."""
    digest = payload_hash(await tree_payload(tree, guild))
    key = _key(application_id, guild.id if guild else None)
    async with sessions() as session:
        last = await meta.get(session, key)
    if last == digest and not force:
        log.info("slash commands unchanged since the last sync; not syncing")
        return False
    synced = await tree.sync(guild=guild)
    async with sessions.begin() as session:
        await meta.put(session, key, digest)
    log.info("synced %d slash commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")
    return True
