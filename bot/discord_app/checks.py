"""Permission checks the bot makes itself, whatever a server's command overrides let through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.discord_app.errors import MissingPermissionsIn

T = TypeVar("T")


def member_has(*, in_option: str | None = None, **perms: bool) -> Callable[[T], T]:
    """Like `app_commands.checks.has_permissions`, stated here so every moderator command uses the same check.

    With `in_option`, the permissions are checked in the channel that option names (when it is given) rather than
    in the channel where the command was typed: managing #general must not let a member subscribe #x.
    """

    def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is None:
            raise app_commands.NoPrivateMessage()
        target = getattr(interaction.namespace, in_option, None) if in_option else None
        have = channel_permissions(interaction, target)
        missing = [name for name, want in perms.items() if want and not getattr(have, name)]
        if missing and not have.administrator:
            if target is not None:
                raise MissingPermissionsIn(missing, target.id)
            raise app_commands.MissingPermissions(missing)
        return True

    return app_commands.check(predicate)


def channel_permissions(interaction: discord.Interaction[Any], channel: object | None) -> discord.Permissions:
    """The member's permissions in `channel`, a channel option's value, or where the command was typed.

    Discord resolves a channel option with the invoker's permissions in that channel, overwrites included: that
    computation is Discord's own, so it is used as it is. An option value that carries none (it never came from
    Discord's resolved data) grants nothing.
    """
    if channel is None:
        return interaction.permissions
    perms = getattr(channel, "permissions", None)
    return perms if isinstance(perms, discord.Permissions) else discord.Permissions.none()


def member_may(interaction: discord.Interaction[Any], **perms: bool) -> bool:
    """The same test for places app_commands checks don't reach, such as button callbacks."""
    have = interaction.permissions
    return have.administrator or all(getattr(have, name) for name, want in perms.items() if want)


def member_cooldown(rate: int, per: float) -> Callable[[T], T]:
    """At most `rate` uses in `per` seconds for each member of each server (one member's burst never spends
    another's); the central error handler answers the use over it."""
    return app_commands.checks.cooldown(rate, per, key=lambda i: (i.guild_id, i.user.id))
