"""The "Relevant / Not relevant" buttons under every alert; they keep working after a restart."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ext import commands

from bot.discord_app.client import BreachwatchBot
from bot.discord_app.speech import tr
from storage import feedback


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bw:fb:(?P<vote>[01]):(?P<story>\d+)"):
    """Only the callback matters here: the buttons themselves are posted, labelled in the alert's language, by
    bot.alerts.render.feedback_row."""

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
            await interaction.response.send_message(tr(interaction, "feedback.server_only"), ephemeral=True)
            return
        async with client.services.sessions.begin() as session:
            stored = await feedback.record(session, interaction.guild_id, self.story_id, interaction.user.id, self.vote)
        if stored:
            text = tr(interaction, "feedback.recorded_relevant" if self.vote else "feedback.recorded_not_relevant")
        else:
            text = tr(interaction, "feedback.gone")
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(FeedbackButton)
