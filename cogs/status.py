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
from bot.discord_app.speech import tr
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
        last_poll = (
            discord_timestamp(counts.last_poll_at, "R") if counts.last_poll_at else tr(interaction, "status.never")
        )
        lines = [
            tr(interaction, "status.title", version=__version__, since=discord_timestamp(self.bot.started_at, "R")),
            tr(
                interaction,
                "status.sources",
                healthy=counts.sources_healthy,
                failing=counts.sources_failing,
                disabled=counts.sources_disabled,
                last_poll=last_poll,
            ),
            tr(
                interaction,
                "status.activity",
                stories=tr(interaction, "status.stories", count=counts.stories_24h),
                alerts=tr(interaction, "status.alerts", count=counts.deliveries_24h),
            ),
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Status(bot))
