"""A tiny discord.py bot with a few commands, used by the emulator's own self-tests."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from .fixtures import client_options


class Alerts(app_commands.Group):
    @app_commands.command(description="Subscribe a channel")
    async def subscribe(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        min_score: app_commands.Range[int, 0, 100] = 50,
        mode: Literal["instant", "daily"] = "instant",
    ) -> None:
        target = channel or interaction.channel
        assert target is not None
        await interaction.response.send_message(f"subscribed {target.id} {min_score} {mode}", ephemeral=True)

    @app_commands.command(description="Find a source")
    async def find(self, interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(f"found {query}")

    @find.autocomplete("query")
    async def find_query(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{current}-{i}", value=f"{current}-{i}") for i in range(3)]


class Feedback(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Relevant", custom_id="fb:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content="thanks")


class KitBot(commands.Bot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before any re-IDENTIFY (Discord's identify pacing); tests need not."""


def make_bot(**overrides: Any) -> commands.Bot:
    bot = KitBot(command_prefix="!", **{**client_options(), **overrides})
    bot.tree.add_command(
        Alerts(name="alerts", description="Alerts", default_permissions=discord.Permissions(manage_channels=True))
    )

    @bot.tree.command(description="Say pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @bot.tree.command(description="Think, then answer")
    async def slow(interaction: discord.Interaction, seconds: float = 0.0) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(seconds)
        await interaction.edit_original_response(content="done")
        await interaction.followup.send("more")

    @bot.tree.command(description="Defer privately, then answer with a follow-up")
    async def private(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("only you")

    @bot.tree.command(description="Answer late")
    async def late(interaction: discord.Interaction, seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            await interaction.response.send_message("too late?")
        except discord.HTTPException as exc:
            bot.errors.append(exc)  # type: ignore[attr-defined]

    @bot.tree.command(description="Post feedback buttons")
    async def buttons(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("rate me", view=Feedback())

    bot.errors = []  # type: ignore[attr-defined]
    return bot
