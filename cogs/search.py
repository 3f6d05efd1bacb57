"""`/search` and `/story`: anyone looks through the archive of stories."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import read_model
from bot.alerts.render import (
    CATEGORY_COLOURS,
    CATEGORY_LABELS,
    DEFAULT_COLOUR,
    category_label,
    category_labels,
    discord_timestamp,
    fact_fields,
)
from bot.alerts.text import cut, safe
from bot.core.links import markdown_link, safe_url
from bot.core.search_query import QueryError, parse_query
from bot.discord_app.choices import language_choices
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.errors import UserError
from bot.discord_app.paging import PageSource, send_pages
from bot.discord_app.speech import reader_language
from bot.i18n import number, t
from storage import search as search_store
from storage import search_choices
from storage.models import GLOBAL_SCOPE
from storage.story_detail import StoryDetail

PAGE_SIZE = 5


def _scope(interaction: discord.Interaction[Any]) -> int:
    """Whose archive the member searches: the operator's sources and this server's own (outside a server, only the
    operator's)."""
    return interaction.guild_id or GLOBAL_SCOPE


def render_hit(hit: search_store.SearchHit, lang: str = "en") -> str:
    outlets = " · " + t(lang, "search.outlets", count=hit.outlet_count) if hit.outlet_count > 1 else ""
    # A story seen only in part is shown from an article's own text, which may still hold feed markup.
    head = f"**#{hit.story_id}** {cut(safe(hit.headline), 150)}"
    meta = f"{discord_timestamp(hit.first_seen, 'd')}{outlets} · {hit.language or '?'}"
    return f"{head}\n{meta}\n> {cut(safe(hit.summary_line), 200)}"


def _whole_links(items: list[str], limit: int, lang: str = "en") -> str:
    """As many whole items as fit: a link cut in the middle would leave its markdown open."""
    more_room = len(t(lang, "alert.also_reported_more", links="", more=999))
    shown: list[str] = []
    for item in items:
        if len(" · ".join([*shown, item])) + more_room > limit:
            break
        shown.append(item)
    rest = len(items) - len(shown)
    joined = " · ".join(shown)
    return t(lang, "alert.also_reported_more", links=joined, more=rest) if rest else joined


def render_story(detail: StoryDetail, lang: str = "en") -> dict[str, Any]:
    """The whole story as one embed dict, within Discord's limits, labelled in `lang`."""
    outlets = [f"{markdown_link(cut(safe(a.outlet), 40), a.url)} ({a.language or '?'})" for a in detail.articles]
    fields = [{"name": n, "value": v, "inline": True} for n, v in fact_fields(detail.facts, lang)]
    if detail.categories:
        labels = category_labels(detail.categories, lang)
        fields.append({"name": t(lang, "story.categories"), "value": cut(labels, 1024), "inline": True})
    fields.append({"name": t(lang, "story.first_seen"), "value": discord_timestamp(detail.first_seen), "inline": True})
    fields.append(
        {
            "name": t(lang, "story.feedback"),
            "inline": True,
            "value": t(
                lang,
                "story.feedback_counts",
                relevant=detail.relevant_votes,
                not_relevant=detail.not_relevant_votes,
            ),
        }
    )
    fields.append(
        {
            "name": t(lang, "story.reported_by", count=len(detail.articles)),
            "value": _whole_links(outlets, 1024, lang) or t(lang, "story.none_stored"),
            "inline": False,
        }
    )
    colour = CATEGORY_COLOURS.get(detail.categories[0], DEFAULT_COLOUR) if detail.categories else DEFAULT_COLOUR
    embed: dict[str, Any] = {
        "title": cut(f"#{detail.story_id} " + safe(detail.title or t(lang, "story.untitled")), 256),
        "description": cut(safe(detail.summary), 3000) or t(lang, "story.no_summary"),
        "color": colour,
        "fields": fields,
    }
    url = safe_url(detail.articles[0].url) if detail.articles else None
    if url:
        embed["url"] = url
    return embed


class Search(commands.Cog):
    def __init__(self, bot: BreachwatchBot) -> None:
        self.bot = bot

    @app_commands.command(name="search", description="Search the archive of breach stories")
    @app_commands.describe(
        query='Words to find; "exact phrase", -word to exclude',
        category="Only this category",
        language="Only stories in this language",
        days="Only the last N days",
        source="Only stories from this source",
    )
    @app_commands.choices(language=language_choices())
    @app_commands.checks.cooldown(4, 20.0, key=lambda i: i.user.id)
    async def search(
        self,
        interaction: discord.Interaction[Any],
        query: app_commands.Range[str, 1, 300],
        category: str | None = None,
        language: str | None = None,
        days: app_commands.Range[int, 1, 3650] | None = None,
        source: str | None = None,
    ) -> None:
        try:
            parsed = parse_query(query)
        except QueryError as exc:
            raise UserError(exc.note.msg_id, **exc.note.params) from None
        await interaction.response.defer(ephemeral=True, thinking=True)
        sessions = self.bot.services.sessions
        lang = reader_language(interaction)
        guild_id = _scope(interaction)

        async def page(page_number: int) -> tuple[str, bool]:
            async with sessions() as session:
                result = await search_store.search_stories(
                    session,
                    parsed,
                    category=category,
                    language=language,
                    days=days,
                    source=source,
                    limit=PAGE_SIZE,
                    offset=page_number * PAGE_SIZE,
                    guild_id=guild_id,
                )
            described = cut(safe(parsed.describe()), 100)
            notes = [t(lang, n.msg_id, **n.params) for n in result.notes]
            if not result.hits:
                no_match = t(lang, "search.no_match", query=described)
                return "\n".join([no_match, *notes, t(lang, "search.tips")]), False
            total = number(lang, result.total) + ("+" if result.total_capped else "")
            lines = [t(lang, "search.results", query=described, total=total, page=page_number + 1), *notes]
            lines += [render_hit(h, lang) for h in result.hits]
            lines.append(t(lang, "search.story_hint"))
            return cut("\n".join(lines), 1950), result.has_more

        source_fn: PageSource = page
        await send_pages(interaction, source_fn)

    @search.autocomplete("category")
    async def category_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        async with self.bot.services.sessions() as session:
            found = await search_choices.category_choices(session, current, guild_id=_scope(interaction))
        known = [c for c in CATEGORY_LABELS if c.startswith(current.lower())]
        values = list(dict.fromkeys([*found, *known]))[:25]
        lang = reader_language(interaction)
        return [app_commands.Choice(name=category_label(v, lang), value=v) for v in values]

    @search.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        async with self.bot.services.sessions() as session:
            found = await search_choices.source_choices(session, current, guild_id=interaction.guild_id)
        return [app_commands.Choice(name=cut(c.name, 100), value=c.url[:100]) for c in found]

    @app_commands.command(name="story", description="Show one story in full: summary, facts, every outlet")
    @app_commands.describe(id="The story number shown by /search and in alerts")
    async def story(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1, 2**62]) -> None:
        async with self.bot.services.sessions() as session:
            detail = await read_model.story_detail(session, id, guild_id=_scope(interaction))
        if detail is None:
            raise UserError("story.not_found", id=str(id))
        embed = render_story(detail, reader_language(interaction))
        await interaction.response.send_message(embed=discord.Embed.from_dict(embed), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    await bot.add_cog(Search(bot))
