"""The bot's command tree: one check every slash command and autocomplete passes before any cog sees it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.discord_app.errors import UserError


def _has_nul(options: Iterable[Mapping[str, Any]]) -> bool:
    for option in options:
        value = option.get("value")
        if isinstance(value, str) and "\x00" in value:
            return True
        if _has_nul(option.get("options") or ()):
            return True
    return False


class BreachwatchTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse a NUL character in any option before a query is built from it: PostgreSQL cannot hold one in
        text, and the failure would reach the user as "something went wrong"."""
        data: Mapping[str, Any] = interaction.data or {}
        if not _has_nul(data.get("options") or ()):
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            # An autocomplete answer can only be choices: none is the polite one.
            await interaction.response.autocomplete([])
            return False
        raise UserError("errors.nul_character")
