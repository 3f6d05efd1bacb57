"""The reader's language: what a cog writes to the person behind an interaction goes through `tr`."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import language_for, t


def reader_language(interaction: discord.Interaction[Any]) -> str:
    """The language of the member's Discord client when it is one of the seven, else English."""
    return language_for(interaction.locale.value)


def tr(interaction: discord.Interaction[Any], msg_id: str, **params: Any) -> str:
    return t(reader_language(interaction), msg_id, **params)


def permission_names(lang: str, permissions: list[str]) -> str:
    """Permissions as Discord's client names them in `lang` (Manage Server, Gérer le serveur)."""
    known = {"manage_guild", "manage_channels", "view_channel", "send_messages", "embed_links"}
    return ", ".join(t(lang, f"permission.{p}") if p in known else p.replace("_", " ").title() for p in permissions)
