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
from bot.discord_app.choices import language_choices
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.errors import MissingBotPermissions, UserError
from bot.discord_app.speech import permission_names, reader_language, tr
from bot.i18n import language_for, name_of_language, t
from storage import alert_views, subscriptions
from storage.models import GLOBAL_SCOPE
from storage.subscriptions import SubscriptionFilters

Mode = Literal["instant", "daily", "weekly"]


def parse_list(raw: str | None, allowed: tuple[str, ...] | list[str], msg_id: str) -> tuple[str, ...] | None:
    """The comma-separated values of `raw`; an unknown one is refused with message `msg_id`."""
    if not raw:
        return None
    values = tuple(dict.fromkeys(v.strip().lower() for v in raw.replace(";", ",").split(",") if v.strip()))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise UserError(msg_id, count=len(unknown), values=", ".join(unknown), allowed=", ".join(allowed))
    return values or None


def bot_can_post(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    """The permissions the bot lacks in `channel`, by their API names."""
    perms = channel.permissions_for(me)
    needed = {
        "view_channel": perms.view_channel,
        "send_messages": perms.send_messages,
        "embed_links": perms.embed_links,
    }
    return [name for name, ok in needed.items() if not ok]


def describe(sub: Any, lang: str = "en") -> str:
    parts = [f"<#{sub.channel_id}>", t(lang, f"alerts.mode.{sub.mode}")]
    parts.append(t(lang, "alerts.alert_language", language=name_of_language(lang, sub.language)))
    if sub.min_score is not None:
        parts.append(t(lang, "alerts.min_score", score=float(sub.min_score)))
    if sub.categories:
        parts.append(t(lang, "alerts.categories", values=", ".join(sub.categories)))
    if sub.languages:
        parts.append(t(lang, "alerts.languages", values=", ".join(sub.languages)))
    if sub.mention_role_id:
        parts.append(t(lang, "alerts.pings", role=f"<@&{sub.mention_role_id}>"))
    if not sub.active:
        parts.append(t(lang, "alerts.paused", reason=sub.paused_reason))
    last = sub.last_delivery_at
    parts.append(
        t(lang, "alerts.last_alert", when=render.discord_timestamp(last, "R"))
        if last
        else t(lang, "alerts.no_alert_yet")
    )
    return " · ".join(parts)


def server_language(interaction: discord.Interaction[Any]) -> str:
    """The server's preferred locale when it is one of the seven languages, else English."""
    return language_for(interaction.guild_locale.value if interaction.guild_locale else None)


async def _categories(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    lang = reader_language(interaction)
    last = current.split(",")[-1].strip().lower()
    head = ",".join(current.split(",")[:-1])
    labels = {key: t(lang, f"category.{key}") for key in CATEGORY_LABELS}
    return [
        app_commands.Choice(name=f"{label} ({key})", value=f"{head},{key}".lstrip(","))
        for key, label in labels.items()
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
            raise UserError("alerts.pick_text_channel")
        return target

    @app_commands.command(name="subscribe", description="Send breach alerts to a channel")
    @app_commands.describe(
        channel="Channel for alerts (default: this one)",
        min_score="Only stories the classifier scores at least this high (0 to 1)",
        categories="Comma-separated categories, e.g. alpr,facial_recognition (default: all)",
        languages="Comma-separated language codes, e.g. en,fr (default: all)",
        mention_role="Role to ping with each alert (default: nobody)",
        mode="instant (default), or one daily or weekly digest",
        language="Language of the alerts (default: the server's language)",
    )
    @app_commands.choices(language=language_choices())
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
        language: str | None = None,
    ) -> None:
        target = self._target(interaction, channel)
        assert interaction.guild is not None
        missing = bot_can_post(target, interaction.guild.me)
        if missing:
            raise MissingBotPermissions(
                "alerts.missing_bot_permissions",
                channel=target.mention,
                permissions=permission_names(reader_language(interaction), missing),
            )
        filters = SubscriptionFilters(
            min_score=min_score,
            categories=parse_list(categories, list(CATEGORY_LABELS), "alerts.unknown_categories"),
            languages=parse_list(languages, LANGUAGES, "alerts.unknown_languages"),
            mention_role_id=mention_role.id if mention_role else None,
            mode=mode,
            language=language or server_language(interaction),
        )
        async with self.bot.services.sessions.begin() as session:
            sub, created = await subscriptions.subscribe(
                session, interaction.guild.id, target.id, filters, interaction.user.id
            )
            text = describe(sub, reader_language(interaction))
        await interaction.response.send_message(
            tr(interaction, "alerts.subscribed" if created else "alerts.updated", channel=target.mention, details=text),
            ephemeral=True,
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
        text = tr(interaction, "alerts.unsubscribed" if removed else "alerts.not_subscribed", channel=target.mention)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="list", description="Show this server's alert subscriptions")
    @member_has(manage_channels=True)
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild is not None
        async with self.bot.services.sessions() as session:
            subs = await subscriptions.list_for_guild(session, interaction.guild.id)
        if not subs:
            text = tr(interaction, "alerts.none_yet")
        else:
            text = "\n".join(f"• {describe(s, reader_language(interaction))}" for s in subs)
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
            await interaction.followup.send(tr(interaction, "alerts.nothing_to_test"), ephemeral=True)
            return
        async with self.bot.services.sessions() as session:
            subs = await subscriptions.list_for_guild(session, target.guild.id)
        # The test reads as the channel's alerts will: in its subscription's language, else the server's.
        lang = next((s.language for s in subs if s.channel_id == target.id), server_language(interaction))
        payload = render.alert_payload(views[story_id], test=True, lang=lang)
        try:
            await self.bot.sender.send(target.id, payload, nonce=f"bwt{interaction.id}"[:25])
        except SendError as exc:
            await interaction.followup.send(
                tr(interaction, "alerts.test_failed", channel=target.mention, error=str(exc)), ephemeral=True
            )
            return
        await interaction.followup.send(tr(interaction, "alerts.test_posted", channel=target.mention), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Alerts(bot))
