"""The "Relevant / Not relevant" buttons under every alert; they keep working after a restart."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.discord_app.client import BreachwatchBot
from storage import feedback


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bw:fb:(?P<vote>[01]):(?P<story>\d+)"):
    def __init__(self, vote: bool, story_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Relevant" if vote else "Not relevant",
                style=discord.ButtonStyle.success if vote else discord.ButtonStyle.danger,
                custom_id=f"bw:fb:{int(vote)}:{story_id}",
            )
        )
        self.vote = vote
        self.story_id = story_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(match["vote"] == "1", int(match["story"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, BreachwatchBot)
        if interaction.guild_id is None:
            await interaction.response.send_message("Feedback only counts inside a server.", ephemeral=True)
            return
        async with client.services.sessions.begin() as session:
            stored = await feedback.record(session, interaction.guild_id, self.story_id, interaction.user.id, self.vote)
        text = (
            f"Thanks, recorded as {'relevant' if self.vote else 'not relevant'}. Moderators see the counts in "
            "/keywords list."
            if stored
            else "That story is no longer in the archive."
        )
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(FeedbackButton)
