"""Contract: every payload the emulator's factory builds parses with the pinned discord.py's own models.

If a discord.py upgrade starts requiring a field the emulator does not send, this is the test that fails,
naming the factory."""

from __future__ import annotations

from typing import Any

import discord
from discord.app_commands import AppCommand
from discord.appinfo import AppInfo
from discord.ext import commands
from discord.interactions import InteractionCallbackResponse

from tests.emulator import Emulator
from tests.emulator import payloads as p
from tests.emulator.fixtures import client_options
from tests.emulator.invoke import APPLICATION_COMMAND, AUTOCOMPLETE, MESSAGE_COMPONENT


async def test_every_factory_payload_parses_in_discord_py(emulator: Emulator, start_discord: Any) -> None:
    bot = commands.Bot(command_prefix="!", **client_options())
    await start_discord(bot)
    state = bot._connection
    g = emulator.guild
    guild_data = g.payload()

    # READY and GUILD_CREATE went through the real gateway parser: the cache must hold what was sent.
    guild = bot.get_guild(g.id)
    assert guild is not None and guild.name == g.name
    assert {c.id for c in guild.text_channels} == {c.id for c in g.live_channels()}
    assert {r.id for r in guild.roles} == set(g.roles)
    assert [m.id for m in guild.members] == [emulator.bot_id]  # no members intent: only the bot itself
    assert guild.me.id == emulator.bot_id and bot.user is not None and bot.user.id == emulator.bot_id

    me = discord.ClientUser(state=state, data=p.current_user(1, "bot"))  # type: ignore[arg-type]
    assert me.name == "bot"
    assert discord.User(state=state, data=p.user(2, "someone")).name == "someone"  # type: ignore[arg-type]
    owner = p.user(3, "owner")
    assert AppInfo(state, p.application(4, "app", owner)).owner.id == 3  # type: ignore[arg-type]

    parsed = discord.Guild(data=guild_data, state=state)  # type: ignore[arg-type]
    assert parsed.id == g.id and len(parsed.text_channels) == len(g.live_channels())
    role = discord.Role(guild=parsed, state=state, data=p.role(5, "r", permissions=p.MANAGE_CHANNELS))  # type: ignore[arg-type]
    assert role.permissions.manage_channels
    ow = p.overwrite(emulator.bot_id, 1, deny=p.SEND_MESSAGES)
    chan = discord.TextChannel(state=state, guild=parsed, data=p.text_channel(6, g.id, "c", overwrites=[ow]))  # type: ignore[arg-type]
    assert chan.overwrites_for(discord.Object(emulator.bot_id)).send_messages is False
    member = discord.Member(data=p.member(p.user(7, "m"), [5]), guild=parsed, state=state)  # type: ignore[arg-type]
    assert member.name == "m"

    embed = {
        "title": "t",
        "description": "d",
        "fields": [{"name": "n", "value": "v", "inline": True}],
        "footer": {"text": "f"},
    }
    button = {"type": 1, "components": [{"type": 2, "style": 1, "label": "ok", "custom_id": "ok"}]}
    ref = p.message(8, emulator.channel.id, emulator.state.bot_user, content="first")
    msg_data = p.message(
        9,
        emulator.channel.id,
        emulator.state.bot_user,
        content="hi <@&5>",
        embeds=[embed],
        components=[button],
        nonce="n1",
        mention_roles=["5"],
        message_reference={"type": 0, "message_id": "8", "channel_id": str(emulator.channel.id)},
        referenced_message=ref,
        webhook_id=str(emulator.state.application_id),
        application_id=str(emulator.state.application_id),
        interaction_metadata=p.interaction_metadata(10, 2, owner, guild_id=g.id),
        type=19,
    )
    channel = guild.get_channel(emulator.channel.id)
    msg = discord.Message(state=state, channel=channel, data=msg_data)  # type: ignore[arg-type]
    assert msg.embeds[0].fields[0].name == "n" and msg.components and msg.reference is not None

    sent = {
        "name": "cmd",
        "description": "d",
        "type": 1,
        "options": [{"type": 3, "name": "q", "description": "q"}],
        "default_member_permissions": 16,
    }
    stored = p.application_command(
        sent, command_id=11, application_id=emulator.state.application_id, guild_id=g.id, version=1
    )
    cmd = AppCommand(data=stored, state=state)  # type: ignore[arg-type]
    assert cmd.default_member_permissions is not None and cmd.default_member_permissions.manage_channels

    chan_payload = p.partial_channel(emulator.channel.payload(), p.DEFAULT_EVERYONE)
    member_payload = p.interaction_member(emulator.moderator.payload(), p.MANAGE_CHANNELS)
    kinds = {
        APPLICATION_COMMAND: p.command_data(stored, [{"name": "q", "type": 3, "value": "x"}]),
        AUTOCOMPLETE: p.command_data(stored, [{"name": "q", "type": 3, "value": "x", "focused": True}]),
        MESSAGE_COMPONENT: p.component_data("ok", 2),
    }
    for kind, data in kinds.items():
        payload = p.interaction(
            interaction_id=12,
            application_id=emulator.state.application_id,
            kind=kind,
            token="tok",
            guild_id=g.id,
            channel=chan_payload,
            member_payload=member_payload,
            app_permissions=p.DEFAULT_EVERYONE,
            data=data,
            message_payload=msg_data if kind == MESSAGE_COMPONENT else None,
        )
        interaction = discord.Interaction(data=payload, state=state)  # type: ignore[arg-type]
        assert interaction.user.id == emulator.moderator.id and interaction.channel is not None
        assert isinstance(interaction.user, discord.Member) and interaction.user.guild_permissions.manage_channels
        body = p.callback_response(12, kind, 4, message_payload=msg_data, ephemeral=False)
        response = InteractionCallbackResponse(
            data=body, parent=interaction, state=state, type=discord.InteractionResponseType(4)
        )  # type: ignore[arg-type]
        assert response.message_id == 9 and response.resource is not None
