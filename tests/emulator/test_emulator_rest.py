"""Channel messages as Discord answers them: limits, permissions, nonces, mentions, unknown routes."""

from __future__ import annotations

from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator import Emulator
from tests.emulator import payloads as p
from tests.emulator.botkit import make_bot


@pytest.fixture
async def bot(emulator: Emulator, start_discord: Any) -> discord.Client:
    return await start_discord(make_bot())  # type: ignore[no-any-return]


def _channel(bot: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_nonce_with_enforce_nonce_returns_the_first_message(emulator: Emulator, bot: discord.Client) -> None:
    channel = _channel(bot, emulator.channel.id)
    first = await channel.send("once", nonce="delivery-42")  # discord.py 2.7 adds enforce_nonce itself
    again = await channel.send("once", nonce="delivery-42")
    assert first.id == again.id and len(emulator.messages()) == 1
    # Without enforce_nonce Discord posts again.
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    await bot.http.request(route, json={"content": "once", "nonce": "delivery-42", "enforce_nonce": False})
    assert len(emulator.messages()) == 2


@pytest.mark.emulator(time_scale=0.02)  # a dozen sends to one channel: shrink the 5-per-5-s windows
async def test_limits_are_enforced_with_discord_codes(emulator: Emulator, bot: discord.Client) -> None:
    channel = _channel(bot, emulator.channel.id)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"content": "x" * 2001}, 50035, "content"),
        ({"embed": discord.Embed(title="t" * 257)}, 50035, "embeds"),
        ({"embed": discord.Embed(description="d" * 4097)}, 50035, "embeds"),
        ({"embeds": [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]}, 50035, "embeds"),
    ]
    too_many_fields = discord.Embed(title="f")
    for i in range(26):
        too_many_fields.add_field(name=str(i), value="v")
    cases.append(({"embed": too_many_fields}, 50035, "embeds"))
    long_value = discord.Embed(title="f").add_field(name="n", value="v" * 1025)
    cases.append(({"embed": long_value}, 50035, "embeds"))
    footer = discord.Embed(title="f").set_footer(text="f" * 2049)
    cases.append(({"embed": footer}, 50035, "embeds"))
    author = discord.Embed(title="f").set_author(name="a" * 257)
    cases.append(({"embed": author}, 50035, "embeds"))
    for kwargs, code, where in cases:
        with pytest.raises(discord.HTTPException) as info:
            await channel.send(**kwargs)
        assert info.value.code == code and where in info.value.text, (kwargs, info.value.text)
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
    with pytest.raises(discord.HTTPException) as eleven:  # discord.py refuses this itself; Discord too
        await bot.http.request(route, json={"embeds": [{"title": str(i)} for i in range(11)]})
    assert eleven.value.code == 50035
    with pytest.raises(discord.HTTPException) as empty:
        await bot.http.send_message(channel.id, params=discord.http.handle_message_parameters(content=""))
    assert empty.value.code == 50006
    ok = discord.Embed(title="t" * 256, description="d" * 4096)
    await channel.send(embed=ok)  # exactly at the limits is fine
    assert emulator.messages()[-1]["embeds"][0]["title"] == "t" * 256


async def test_channel_permissions_and_deleted_channels(emulator: Emulator, bot: discord.Client) -> None:
    quiet = emulator.add_channel("quiet")
    no_embeds = emulator.add_channel("no-embeds")
    emulator.set_bot_permissions(quiet, deny=p.SEND_MESSAGES)
    emulator.set_bot_permissions(no_embeds, deny=p.EMBED_LINKS)
    await emulator.state.changes.wait_for(lambda: True, 0.01, "tick")
    with pytest.raises(discord.Forbidden) as cannot_send:
        await bot.http.send_message(quiet.id, params=discord.http.handle_message_parameters(content="x"))
    with pytest.raises(discord.Forbidden) as cannot_embed:
        await bot.http.send_message(
            no_embeds.id, params=discord.http.handle_message_parameters(embed=discord.Embed(title="x"))
        )
    assert cannot_send.value.code == cannot_embed.value.code == 50013
    await bot.http.send_message(no_embeds.id, params=discord.http.handle_message_parameters(content="text is fine"))
    emulator.delete_channel(quiet)
    with pytest.raises(discord.NotFound) as gone:
        await bot.http.send_message(quiet.id, params=discord.http.handle_message_parameters(content="x"))
    assert gone.value.code == 10003


async def test_allowed_mentions_decide_who_is_pinged(emulator: Emulator, bot: discord.Client) -> None:
    role = emulator.add_role("analysts", mentionable=True)
    channel = _channel(bot, emulator.channel.id)
    text = f"@everyone <@&{role}> <@{emulator.member.id}>"
    quiet = await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    loud = await channel.send(text)
    only_role = await channel.send(
        text, allowed_mentions=discord.AllowedMentions(everyone=False, users=False, roles=[discord.Object(role)])
    )
    stored = {m["id"]: m for m in emulator.messages()}
    q, lo, r = stored[str(quiet.id)], stored[str(loud.id)], stored[str(only_role.id)]
    assert (q["mention_everyone"], q["mention_roles"], q["mentions"]) == (False, [], [])
    assert lo["mention_everyone"] and lo["mention_roles"] == [str(role)] and len(lo["mentions"]) == 1
    assert (r["mention_everyone"], r["mention_roles"], r["mentions"]) == (False, [str(role)], [])


async def test_edit_fetch_history_delete(emulator: Emulator, bot: discord.Client) -> None:
    channel = _channel(bot, emulator.channel.id)
    sent = [await channel.send(f"n{i}") for i in range(3)]
    await sent[0].edit(content="edited", embed=discord.Embed(title="e"))
    fetched = await channel.fetch_message(sent[0].id)
    assert fetched.content == "edited" and fetched.embeds[0].title == "e" and fetched.edited_at is not None
    assert [m.content async for m in channel.history(limit=2)] == ["n2", "n1"]
    await sent[1].delete()
    with pytest.raises(discord.NotFound) as info:
        await channel.fetch_message(sent[1].id)
    assert info.value.code == 10008
    reply = await channel.send("re", reference=sent[2])
    assert reply.reference is not None and reply.reference.message_id == sent[2].id


async def test_unimplemented_routes_are_recorded(emulator: Emulator) -> None:
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emulator.api_base}/guilds/1/audit-logs", headers=headers) as r:
            assert r.status == 404
        async with session.get(f"{emulator.api_base}/users/@me", headers={"Authorization": "Bot wrong"}) as r:
            assert r.status == 401
    assert emulator.unimplemented == ["GET /api/v10/guilds/1/audit-logs"]
    emulator.unimplemented.clear()  # the fixture would otherwise fail this test at teardown, as intended
