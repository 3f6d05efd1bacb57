"""Permission checks the bot makes itself, whatever a server's command overrides let through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


def member_has(**perms: bool) -> Callable[[T], T]:
    """Like `app_commands.checks.has_permissions`, stated here so every moderator command uses the same check."""

    def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        have = interaction.permissions
        missing = [name for name, want in perms.items() if want and not getattr(have, name)]
        if missing and not have.administrator:
            raise app_commands.MissingPermissions(missing)
        return True

    return app_commands.check(predicate)


def member_may(interaction: discord.Interaction[Any], **perms: bool) -> bool:
    """The same test for places app_commands checks don't reach, such as button callbacks."""
    have = interaction.permissions
    return have.administrator or all(getattr(have, name) for name, want in perms.items() if want)
