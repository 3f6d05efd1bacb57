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
from bot.discord_app.checks import member_cooldown, member_has
from bot.discord_app.choices import language_choices
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.errors import UserError
from bot.discord_app.paging import list_source, send_pages, static_pages
from bot.discord_app.speech import reader_language, tr
from bot.feeds.parse import ParsedFeed
from bot.feeds.poller import PollConfig, Poller
from bot.feeds.sources_file import validate_feed_url
from bot.feeds.workers import PoolBusy
from bot.i18n import t
from bot.services import guard_for
from storage import sources as source_store
from storage.models import GLOBAL_SCOPE, Source

# Each fetches and parses a whole feed: a member may do it twice a minute (README, "Limits").
FEED_COOLDOWN = (2, 60.0)


def health(row: Source, lang: str = "en") -> str:
    if not row.enabled:
        if not row.disabled_reason:
            return t(lang, "sources.disabled_by_operator")
        return t(lang, "sources.disabled", reason=row.disabled_reason)
    if row.last_fetch_at is None:
        return t(lang, "sources.not_fetched")
    last = t(lang, "sources.fetched", when=discord_timestamp(row.last_fetch_at, "R"))
    if row.consecutive_failures:
        error = cut(row.last_error or "?", 120)
        return t(lang, "sources.failing", failures=row.consecutive_failures, error=error, last=last)
    return t(lang, "sources.healthy", last=last)


def describe(row: Source, lang: str = "en") -> str:
    scope = t(lang, "sources.scope_default" if row.guild_id == GLOBAL_SCOPE else "sources.scope_here")
    name = cut(safe(row.name or row.url), 60)
    url = safe_url(row.url)
    address = f" <{url}>" if url else ""
    return f"• **{name}** ({row.language or '?'}, {scope}){address}\n  {health(row, lang)}"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Sources(commands.GroupCog, group_name="sources", group_description="The news feeds behind this server's alerts"):
    def __init__(self, bot: BreachwatchBot) -> None:
        self.bot = bot
        self._poller: Poller | None = None
        super().__init__()

    def poller(self) -> Poller:
        """A poller for one-off fetches from commands: parses in the command workers, stores nothing itself."""
        if self._poller is None:
            services = self.bot.services
            if services.command_pool is None:
                raise RuntimeError("no command worker pool: bot.runtime builds one for the roles that answer commands")
            self._poller = Poller(
                services.sessions,
                services.http,
                services.command_pool,
                PollConfig.from_settings(services.settings),
                guard_for(services.settings),
            )
        return self._poller

    async def _read(self, url: str) -> ParsedFeed:
        try:
            url = validate_feed_url(url)
        except ValueError as exc:
            raise UserError("sources.not_a_feed_address", error=str(exc)) from None
        poller = self.poller()
        if poller.parser.full:
            # Before fetching: a refused job should not cost a download first.
            raise PoolBusy("no free command worker")
        result, feed, parse_error = await poller.fetch_and_parse(url)
        if result.error_kind == "private_address":
            raise UserError("sources.private_address")
        if result.error_kind:
            raise UserError("sources.fetch_failed", kind=result.error_kind, error=cut(result.error or "", 300))
        if parse_error is not None or feed is None:
            if parse_error is None:
                raise UserError("sources.unreadable_empty")
            raise UserError("sources.unreadable", error=cut(str(parse_error), 300))
        if not feed.entries and not feed.version:
            raise UserError("sources.not_a_feed")
        return feed

    @app_commands.command(name="add", description="Add a feed for this server's alerts")
    @app_commands.describe(
        url="The feed's address (RSS or Atom)",
        name="A display name (default: the feed's)",
        language="The feed's language (default: detected)",
    )
    @app_commands.choices(language=language_choices())
    @member_has(manage_guild=True)
    @member_cooldown(*FEED_COOLDOWN)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: app_commands.Range[str, 8, 2000],
        name: app_commands.Range[str, 1, 100] | None = None,
        language: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        cap = self.bot.services.settings.guild_max_sources
        async with self.bot.services.sessions() as session:
            held = await source_store.count_guild_sources(session, interaction.guild_id, excluding=url.strip())
        if held >= cap:
            raise UserError("sources.full", cap=cap)
        feed = await self._read(url)
        async with self.bot.services.sessions.begin() as session:
            # Again in the writing transaction: two adds may have passed the first check together.
            if await source_store.count_guild_sources(session, interaction.guild_id, excluding=url.strip()) >= cap:
                raise UserError("sources.full", cap=cap)
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
        msg_id = "sources.added" if created else "sources.re_enabled" if row.enabled else "sources.already_had"
        entries = tr(interaction, "sources.entries", count=len(feed.entries))
        await interaction.followup.send(tr(interaction, msg_id, name=label, entries=entries), ephemeral=True)

    @app_commands.command(name="remove", description="Stop polling a feed this server added")
    @app_commands.describe(url="The feed's address, as listed by /sources list")
    @member_has(manage_guild=True)
    async def remove(self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 8, 2000]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions.begin() as session:
            removed = await source_store.remove_source(session, url.strip(), utcnow(), guild_id=interaction.guild_id)
            defaults = [s for s in await source_store.get_sources(session, url.strip()) if s.guild_id == GLOBAL_SCOPE]
        if removed:
            text = tr(interaction, "sources.removed")
        elif defaults:
            text = tr(interaction, "sources.is_default")
        else:
            text = tr(interaction, "sources.unknown")
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="list", description="Every feed this server's alerts draw on, with its health")
    @member_has(manage_guild=True)
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions() as session:
            rows = await source_store.list_sources(session, guild_id=interaction.guild_id)
            rows += await source_store.list_sources(session, guild_id=GLOBAL_SCOPE)
        rows = [r for r in rows if r.enabled or r.guild_id != GLOBAL_SCOPE or r.disabled_reason != "removed"]
        lang = reader_language(interaction)
        added = sum(r.guild_id != GLOBAL_SCOPE for r in rows)
        header = t(lang, "sources.list_header", sources=t(lang, "sources.count", count=len(rows)), added=added) + "\n"
        await send_pages(interaction, list_source(static_pages([describe(r, lang) for r in rows]), header, lang))

    @app_commands.command(name="check", description="Fetch a feed once and show what would be read (stores nothing)")
    @app_commands.describe(url="The feed's address")
    @member_has(manage_guild=True)
    @member_cooldown(*FEED_COOLDOWN)
    async def check(self, interaction: discord.Interaction[Any], url: app_commands.Range[str, 8, 2000]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await self._read(url)
        lines = [
            tr(
                interaction,
                "sources.check_head",
                title=cut(safe(feed.title or tr(interaction, "sources.untitled_feed")), 100),
                version=feed.version or tr(interaction, "sources.feed"),
                language=feed.language or "?",
                entries=tr(interaction, "sources.entries", count=len(feed.entries)),
            )
        ]
        if feed.bozo:
            lines.append(tr(interaction, "sources.not_well_formed", error=cut(feed.bozo, 100)))
        lines += [f"• {cut(safe(e.title), 120)}" for e in feed.entries[:10]]
        await interaction.followup.send(cut("\n".join(lines), 1900), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Sources(bot))
