from __future__ import annotations

import time

import discord
from discord import app_commands
from discord.ext import commands

from tests.emulator import Emulator
from tests.emulator.fixtures import client_options


async def test_login_and_command(emulator: Emulator, start_discord) -> None:
    bot = commands.Bot(command_prefix="!", **client_options())

    @bot.tree.command(description="ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    t0 = time.monotonic()
    await start_discord(bot)
    print("ready in", time.monotonic() - t0)
    await bot.tree.sync()
    inv = await emulator.invoke("ping")
    msg = await inv.wait_message()
    assert msg["content"] == "pong"
