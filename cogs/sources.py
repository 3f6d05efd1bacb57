"""`/sources`: the feeds this server's alerts draw on; moderators add, remove and check their own."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts.render import discord_timestamp
from bot.alerts.text import cut, safe
from bot.core.clock import utcnow
from bot.core.links import safe_url
from bot.discord_app.checks import member_has
from bot.discord_app.choices import language_choices
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.errors import UserError
from bot.discord_app.paging import list_source, send_pages, static_pages
from bot.feeds.parse import ParsedFeed
from bot.feeds.poller import PollConfig, Poller
from bot.feeds.sources_file import validate_feed_url
from bot.feeds.workers import ParsePool
from bot.services import guard_for
from storage import sources as source_store
from storage.models import GLOBAL_SCOPE, Source


def health(row: Source) -> str:
    if not row.enabled:
        return f"disabled: {row.disabled_reason or 'by the operator'}"
    if row.last_fetch_at is None:
        return "not fetched yet"
    last = f"fetched {discord_timestamp(row.last_fetch_at, 'R')}"
    if row.consecutive_failures:
        return f"failing ({row.consecutive_failures}×): {cut(row.last_error or '?', 120)}; {last}"
    return f"healthy, {last}"


def describe(row: Source) -> str:
    scope = "default" if row.guild_id == GLOBAL_SCOPE else "this server"
    name = cut(safe(row.name or row.url), 60)
    url = safe_url(row.url)
    address = f" <{url}>" if url else ""
    return f"• **{name}** ({row.language or '?'}, {scope}){address}\n  {health(row)}"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Sources(commands.GroupCog, group_name="sources", group_description="The news feeds behind this server's alerts"):
    def __init__(self, bot: BreachwatchBot) -> None:
        self.bot = bot
        self._poller: Poller | None = None
        super().__init__()

    def poller(self) -> Poller:
        """A poller for one-off fetches from commands: parses in a thread, stores nothing itself."""
        if self._poller is None:
            settings = self.bot.services.settings
            pool = ParsePool(0, settings.parse_timeout, settings.parse_memory_mb)
            self._poller = Poller(
                self.bot.services.sessions,
                self.bot.services.http,
                pool,
                PollConfig.from_settings(settings),
                guard_for(settings),
            )
        return self._poller

    async def _read(self, url: str) -> ParsedFeed:
        try:
            url = validate_feed_url(url)
        except ValueError as exc:
            raise UserError(f"That is not a feed address: {exc}.") from None
        result, feed, parse_error = await self.poller().fetch_and_parse(url)
        if result.error_kind == "private_address":
            raise UserError("That address points into a private network, which this bot does not fetch.")
        if result.error_kind:
            raise UserError(f"Could not fetch it: {result.error_kind}: {cut(result.error or '', 300)}")
        if parse_error is not None or feed is None:
            raise UserError(f"That is not a feed I can read: {cut(str(parse_error or 'no entries'), 300)}")
        if not feed.entries and not feed.version:
            raise UserError("That page is not an RSS or Atom feed.")
        return feed

    @app_commands.command(name="add", description="Add a feed for this server's alerts")
    @app_commands.describe(
        url="The feed's address (RSS or Atom)",
        name="A display name (default: the feed's)",
        language="The feed's language (default: detected)",
    )
    @app_commands.choices(language=language_choices())
    @member_has(manage_guild=True)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 8, 2000],
        name: app_commands.Range[str, 1, 100] | None = None,
        language: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await self._read(url)
        async with self.bot.services.sessions.begin() as session:
            row, created = await source_store.add_source(
                session,
                url.strip(),
                utcnow(),
                guild_id=interaction.guild_id,
                origin="guild",
                added_by=interaction.user.id,
                name=name or feed.title[:100] or None,
                language=language or feed.language,
            )
            label = cut(safe(row.name or row.url), 80)
        verb = "Added" if created else "Re-enabled" if row.enabled else "Already had"
        await interaction.followup.send(
            f"{verb} **{label}** ({len(feed.entries)} entries now). Its current entries are marked as seen: only "
            "stories published from now on can alert.",
            ephemeral=True,
        )

    @app_commands.command(name="remove", description="Stop polling a feed this server added")
    @app_commands.describe(url="The feed's address, as listed by /sources list")
    @member_has(manage_guild=True)
    async def remove(self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 8, 2000]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions.begin() as session:
            removed = await source_store.remove_source(session, url.strip(), utcnow(), guild_id=interaction.guild_id)
            defaults = [s for s in await source_store.get_sources(session, url.strip()) if s.guild_id == GLOBAL_SCOPE]
        if removed:
            text = "Removed. Its stories stay in the archive."
        elif defaults:
            text = "That is one of the default sources; only the bot's operator can change those."
        else:
            text = "This server has no source with that address. /sources list shows them."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="list", description="Every feed this server's alerts draw on, with its health")
    @member_has(manage_guild=True)
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions() as session:
            rows = await source_store.list_sources(session, guild_id=interaction.guild_id)
            rows += await source_store.list_sources(session, guild_id=GLOBAL_SCOPE)
        rows = [r for r in rows if r.enabled or r.guild_id != GLOBAL_SCOPE or r.disabled_reason != "removed"]
        header = f"**{len(rows)} sources** ({sum(r.guild_id != GLOBAL_SCOPE for r in rows)} added here)\n"
        await send_pages(interaction, list_source(static_pages([describe(r) for r in rows]), header))

    @app_commands.command(name="check", description="Fetch a feed once and show what would be read (stores nothing)")
    @app_commands.describe(url="The feed's address")
    @member_has(manage_guild=True)
    async def check(self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 8, 2000]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await self._read(url)
        lines = [
            f"**{cut(safe(feed.title or 'Untitled feed'), 100)}** ({feed.version or 'feed'}, "
            f"language {feed.language or '?'}): {len(feed.entries)} entries"
        ]
        if feed.bozo:
            lines.append(f"Not well-formed ({cut(feed.bozo, 100)}), but readable.")
        lines += [f"• {cut(safe(e.title), 120)}" for e in feed.entries[:10]]
        await interaction.followup.send(cut("\n".join(lines), 1900), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Sources(bot))
