"""`/breachwatch status`: anyone sees whether the bot is healthy."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.alerts.render import discord_timestamp
from bot.core.clock import utcnow
from bot.discord_app.client import BreachwatchBot
from storage.status import status_counts


class Status(commands.GroupCog, group_name="breachwatch", group_description="About this bot"):
    def __init__(self, bot: BreachwatchBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="status", description="Version, uptime, sources and recent activity")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        now = utcnow()
        async with self.bot.services.sessions() as session:
            counts = await status_counts(session, now)
        last_poll = discord_timestamp(counts.last_poll_at, "R") if counts.last_poll_at else "never"
        lines = [
            f"**breachwatch {__version__}**, up since {discord_timestamp(self.bot.started_at, 'R')}",
            f"Sources: {counts.sources_healthy} healthy, {counts.sources_failing} failing, "
            f"{counts.sources_disabled} disabled; last poll {last_poll}",
            f"Last 24 hours: {counts.stories_24h} stories, {counts.deliveries_24h} alerts sent",
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Status(bot))
