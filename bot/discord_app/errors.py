"""One place that turns any app-command failure into a plain, ephemeral answer in the reader's language."""

from __future__ import annotations

import logging
import math
import uuid
from typing import Any

import discord
from discord import app_commands

from bot.discord_app.speech import permission_names, reader_language
from bot.feeds.workers import PoolBusy
from bot.i18n import has, t

log = logging.getLogger(__name__)


class UserError(app_commands.AppCommandError):
    """A problem the user can fix: a message id of config/locales/messages and its parameters, shown in the reader's
    language. Text that is not a message id is shown as it is (English), so a new refusal still reads."""

    def __init__(self, msg_id: str, **params: Any) -> None:
        self.msg_id = msg_id
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        return t(lang, self.msg_id, **self.params) if has(self.msg_id) else self.msg_id


class MissingBotPermissions(UserError):
    """The bot itself lacks a permission it needs in the chosen channel."""


class MissingPermissionsIn(app_commands.MissingPermissions):
    """The member lacks these permissions in the channel an option named (not where the command was typed)."""

    def __init__(self, missing: list[str], channel_id: int) -> None:
        super().__init__(missing)
        self.channel_id = channel_id


def _message(interaction: discord.Interaction, error: app_commands.AppCommandError, lang: str) -> tuple[str, bool]:
    """The reply text in `lang` and whether the error was expected (no stack trace needed)."""
    if isinstance(error, UserError):
        return error.text(lang), True
    if isinstance(error, MissingPermissionsIn):
        permissions = permission_names(lang, error.missing_permissions)
        return t(lang, "errors.missing_permissions_in", permissions=permissions, channel=f"<#{error.channel_id}>"), True
    if isinstance(error, app_commands.MissingPermissions):
        permissions = permission_names(lang, error.missing_permissions)
        return t(lang, "errors.missing_permissions", permissions=permissions), True
    if isinstance(error, app_commands.NoPrivateMessage):
        return t(lang, "errors.guild_only"), True
    if isinstance(error, app_commands.CommandOnCooldown):
        rate, per = error.cooldown.rate, error.cooldown.per
        seconds = max(1, math.ceil(error.retry_after))
        return t(lang, "errors.cooldown", seconds=seconds, rate=rate, per=f"{per:g}"), True
    if isinstance(error, app_commands.CommandInvokeError) and isinstance(error.original, PoolBusy):
        return t(lang, "errors.busy"), True
    if isinstance(error, app_commands.TransformerError):
        return t(lang, "errors.invalid_value", value=f"{error.value!s:.100}"), True
    if isinstance(error, app_commands.CheckFailure):
        return t(lang, "errors.not_allowed"), True
    return "", False


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    lang = reader_language(interaction)
    text, expected = _message(interaction, error, lang)
    if not expected:
        error_id = uuid.uuid4().hex[:8]
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "command /%s failed (error id %s)", command, error_id, exc_info=(type(error), error, error.__traceback__)
        )
        text = t(lang, "errors.internal", error_id=error_id)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver the error reply for interaction %s", interaction.id)
