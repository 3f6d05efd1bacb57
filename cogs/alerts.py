"""`/alerts`: subscribe a channel, unsubscribe, list and test. Thin: parse, call storage/core, render."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import read_model, render
from bot.alerts.render import CATEGORY_LABELS
from bot.alerts.sender import SendError
from bot.alerts.text import cut
from bot.core.languages import LANGUAGES
from bot.discord_app.checks import member_has
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.errors import MissingBotPermissions, UserError
from storage import alert_views, subscriptions
from storage.models import GLOBAL_SCOPE
from storage.subscriptions import SubscriptionFilters

Mode = Literal["instant", "daily", "weekly"]


def parse_list(raw: str | None, allowed: tuple[str, ...] | list[str], what: str) -> tuple[str, ...] | None:
    if not raw:
        return None
    values = tuple(dict.fromkeys(v.strip().lower() for v in raw.replace(";", ",").split(",") if v.strip()))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise UserError(f"Unknown {what}: {', '.join(unknown)}. Choose from: {', '.join(allowed)}.")
    return values or None


def bot_can_post(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    needed = {
        "View Channel": perms.view_channel,
        "Send Messages": perms.send_messages,
        "Embed Links": perms.embed_links,
    }
    return [name for name, ok in needed.items() if not ok]


def describe(sub: Any) -> str:
    parts = [f"<#{sub.channel_id}>", sub.mode]
    if sub.min_score is not None:
        parts.append(f"score ≥ {sub.min_score:.2f}")
    if sub.categories:
        parts.append("categories " + ", ".join(sub.categories))
    if sub.languages:
        parts.append("languages " + ", ".join(sub.languages))
    if sub.mention_role_id:
        parts.append(f"pings <@&{sub.mention_role_id}>")
    if not sub.active:
        parts.append(f"**paused**: {sub.paused_reason}")
    last = sub.last_delivery_at
    parts.append(f"last alert {render.discord_timestamp(last, 'R')}" if last else "no alert yet")
    return " · ".join(parts)


async def _categories(_: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    last = current.split(",")[-1].strip().lower()
    head = ",".join(current.split(",")[:-1])
    return [
        app_commands.Choice(name=f"{label} ({key})", value=f"{head},{key}".lstrip(","))
        for key, label in CATEGORY_LABELS.items()
        if key.startswith(last) or last in label.lower()
    ][:25]


@app_commands.guild_only()
@app_commands.default_permissions(manage_channels=True)
class Alerts(commands.GroupCog, group_name="alerts", group_description="Breach alerts in this server's channels"):
    def __init__(self, bot: BreachwatchBot) -> None:
        self.bot = bot
        super().__init__()

    def _target(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None) -> Any:
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel | discord.Thread):
            raise UserError("Pick a text channel for alerts.")
        return target

    @app_commands.command(name="subscribe", description="Send breach alerts to a channel")
    @app_commands.describe(
        channel="Channel for alerts (default: this one)",
        min_score="Only stories the classifier scores at least this high (0 to 1)",
        categories="Comma-separated categories, e.g. alpr,facial_recognition (default: all)",
        languages="Comma-separated language codes, e.g. en,fr (default: all)",
        mention_role="Role to ping with each alert (default: nobody)",
        mode="instant (default), or one daily or weekly digest",
    )
    @app_commands.autocomplete(categories=_categories)
    @member_has(manage_channels=True, in_option="channel")
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | None = None,
        min_score: app_commands.Range[float, 0.0, 1.0] | None = None,
        categories: str | None = None,
        languages: str | None = None,
        mention_role: discord.Role | None = None,
        mode: Mode = "instant",
    ) -> None:
        target = self._target(interaction, channel)
        assert interaction.guild is not None
        missing = bot_can_post(target, interaction.guild.me)
        if missing:
            raise MissingBotPermissions(
                f"I can't post alerts in {target.mention}: I'm missing {', '.join(missing)} there. "
                "Grant them to my role for that channel, then try again."
            )
        filters = SubscriptionFilters(
            min_score=min_score,
            categories=parse_list(categories, list(CATEGORY_LABELS), "category"),
            languages=parse_list(languages, LANGUAGES, "language"),
            mention_role_id=mention_role.id if mention_role else None,
            mode=mode,
        )
        async with self.bot.services.sessions.begin() as session:
            sub, created = await subscriptions.subscribe(
                session, interaction.guild.id, target.id, filters, interaction.user.id
            )
            text = describe(sub)
        verb = "Subscribed" if created else "Updated the subscription of"
        await interaction.response.send_message(
            f"{verb} {target.mention}: {text}. Only stories from now on will be sent.", ephemeral=True
        )

    @app_commands.command(name="unsubscribe", description="Stop breach alerts in a channel")
    @app_commands.describe(channel="Channel to stop (default: this one)")
    @member_has(manage_channels=True, in_option="channel")
    async def unsubscribe(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        target = self._target(interaction, channel)
        assert interaction.guild is not None
        async with self.bot.services.sessions.begin() as session:
            removed = await subscriptions.unsubscribe(session, interaction.guild.id, target.id)
        text = f"{target.mention} will get no more alerts." if removed else f"{target.mention} was not subscribed."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="list", description="Show this server's alert subscriptions")
    @member_has(manage_channels=True)
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild is not None
        async with self.bot.services.sessions() as session:
            subs = await subscriptions.list_for_guild(session, interaction.guild.id)
        if not subs:
            text = "No channel here receives alerts yet. Use /alerts subscribe in the channel you want."
        else:
            text = "\n".join(f"• {describe(s)}" for s in subs)
        await interaction.response.send_message(cut(text, render.CONTENT_MAX), ephemeral=True)

    @app_commands.command(name="test", description="Post the latest matching story, marked as a test")
    @app_commands.describe(channel="Channel to test (default: this one)")
    @member_has(manage_channels=True, in_option="channel")
    async def test(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        target = self._target(interaction, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.services.sessions() as session:
            # The test shows what this server's own alerts would show: its scope only.
            guild_id = interaction.guild_id or GLOBAL_SCOPE
            story_id = await alert_views.latest_match(session, guild_id)
            views = await read_model.load(session, [story_id] if story_id else [], guild_id=guild_id)
        if story_id is None:
            await interaction.followup.send(
                "No story has matched yet, so there is nothing to test with.", ephemeral=True
            )
            return
        payload = render.alert_payload(views[story_id], test=True)
        try:
            await self.bot.sender.send(target.id, payload, nonce=f"bwt{interaction.id}"[:25])
        except SendError as exc:
            await interaction.followup.send(
                f"The test alert could not be posted in {target.mention}: {exc}", ephemeral=True
            )
            return
        await interaction.followup.send(f"Posted a test alert in {target.mention}.", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Alerts(bot))
