"""One place that turns any app-command failure into a plain, ephemeral answer."""

from __future__ import annotations

import logging
import math
import uuid

import discord
from discord import app_commands

from bot.discord_app.translator import TomlTranslator
from bot.feeds.workers import PoolBusy

log = logging.getLogger(__name__)

# Answers shown in the member's language: the English text is the key of `[messages]` in config/locales/*.toml,
# and a translation keeps the same {placeholders}.
COOLDOWN = (
    "Please wait {seconds} s before using this command again: each member may use it {rate} times in {per} s, "
    "so that the bot stays quick for every server."
)
BUSY = "The bot is busy with other servers' requests right now. Please try again in a minute."
MESSAGES = (COOLDOWN, BUSY)


# Discord's client shows these names, not the API's.
PERMISSION_NAMES = {"manage_guild": "Manage Server", "view_channel": "View Channel"}


class UserError(app_commands.AppCommandError):
    """A problem the user can fix; its message is shown to them as it is."""


class MissingBotPermissions(UserError):
    """The bot itself lacks a permission it needs in the chosen channel."""


class MissingPermissionsIn(app_commands.MissingPermissions):
    """The member lacks these permissions in the channel an option named (not where the command was typed)."""

    def __init__(self, missing: list[str], channel_id: int) -> None:
        super().__init__(missing)
        self.channel_id = channel_id


def _permission_names(missing: list[str]) -> str:
    return ", ".join(PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in missing)


def localised(interaction: discord.Interaction, english: str, **values: object) -> str:
    """`english` in the member's language when a catalogue has it, with `values` filled in."""
    tree = getattr(interaction.client, "tree", None)
    translator = tree.translator if isinstance(tree, app_commands.CommandTree) else None
    text = translator.message(interaction.locale, english) if isinstance(translator, TomlTranslator) else None
    return (text or english).format(**values)


def _message(interaction: discord.Interaction, error: app_commands.AppCommandError) -> tuple[str, bool]:
    """The reply text and whether the error was expected (no stack trace needed)."""
    if isinstance(error, UserError):
        return str(error), True
    if isinstance(error, MissingPermissionsIn):
        perms = _permission_names(error.missing_permissions)
        return f"You need the {perms} permission in <#{error.channel_id}> to use this command on it.", True
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_names(error.missing_permissions)} permission to use this command.", True
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        rate, per = error.cooldown.rate, error.cooldown.per
        seconds = max(1, math.ceil(error.retry_after))
        return localised(interaction, COOLDOWN, seconds=seconds, rate=rate, per=f"{per:g}"), True
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, PoolBusy):
        return localised(interaction, BUSY), True
    if isinstance(error, app_commands.TransformerError):
        return f"That value is not valid: {error.value!s:.100}", True
    if isinstance(error, app_commands.CheckFailure):
        return "You are not allowed to use this command here.", True
    return "", False


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    text, expected = _message(interaction, error)
    if not expected:
        error_id = uuid.uuid4().hex[:8]
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "command /%s failed (error id %s)", command, error_id, exc_info=(type(error), error, error.__traceback__)
        )
        text = f"Something went wrong on our side. Please report error id `{error_id}` to the bot's operator."
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver the error reply for interaction %s", interaction.id)
