"""Previous/Next buttons over pages of text, for answers too long for one message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.discord_app.speech import reader_language
from bot.i18n import t

PAGE_TIMEOUT_S = 600.0

# Given a 0-based page number, returns its text and whether a next page exists.
PageSource = Callable[[int], Awaitable[tuple[str, bool]]]


class Pager(discord.ui.View):
    """Pages are produced on demand, so a long result is never held whole; only its author may turn them."""

    def __init__(self, source: PageSource, author_id: int, first_has_next: bool, lang: str = "en") -> None:
        super().__init__(timeout=PAGE_TIMEOUT_S)
        self.previous.label = t(lang, "pager.previous")
        self.next.label = t(lang, "pager.next")
        self.source = source
        self.author_id = author_id
        self.page = 0
        self._sync(first_has_next)

    def _sync(self, has_next: bool) -> None:
        self.previous.disabled = self.page == 0
        self.next.disabled = not has_next

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return interaction.user.id == self.author_id

    async def _turn(self, interaction: discord.Interaction[Any], delta: int) -> None:
        self.page = max(0, self.page + delta)
        text, has_next = await self.source(self.page)
        self._sync(has_next)
        await interaction.response.edit_message(content=text, view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _button: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, 1)


def static_pages(lines: list[str], limit: int = 1800) -> list[str]:
    """Lines packed into pages of at most `limit` characters (a line longer than that is cut)."""
    pages: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        if current and len(current) + 1 + len(line) > limit:
            pages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current or not pages:
        pages.append(current)
    return pages


async def send_pages(interaction: discord.Interaction[Any], source: PageSource, *, ephemeral: bool = True) -> None:
    """Answer with page 0 and the buttons (follow-up after a defer, else the response)."""
    text, has_next = await source(0)
    kwargs: dict[str, Any] = {"ephemeral": ephemeral}
    if has_next:
        kwargs["view"] = Pager(source, interaction.user.id, has_next, reader_language(interaction))
    if interaction.response.is_done():
        await interaction.followup.send(text, **kwargs)
    else:
        await interaction.response.send_message(text, **kwargs)


def list_source(pages: list[str], header: str = "", lang: str = "en") -> PageSource:
    async def source(page: int) -> tuple[str, bool]:
        page = min(page, len(pages) - 1)
        footer = "\n\n" + t(lang, "pager.page", page=page + 1, pages=len(pages)) if len(pages) > 1 else ""
        return header + pages[page] + footer, page + 1 < len(pages)

    return source
