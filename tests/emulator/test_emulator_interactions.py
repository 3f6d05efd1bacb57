"""Slash commands, components and autocomplete through real discord.py, and Discord's refusals."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import discord
import pytest

from tests.emulator import Emulator, InteractionRefused
from tests.emulator.botkit import make_bot
from tests.emulator.fixtures import eventually


@pytest.fixture
async def bot(emulator: Emulator, start_discord: Any) -> discord.Client:
    client = make_bot()
    await start_discord(client)
    await client.tree.sync()
    return client


async def test_login_to_ready_is_well_under_a_second(emulator: Emulator, start_discord: Any) -> None:
    started = time.monotonic()
    await start_discord(make_bot())
    elapsed = time.monotonic() - started
    assert elapsed < 0.5, elapsed
    kinds = [k for k, _ in emulator.gateway.events]
    assert kinds.count("identify") == 1 and "heartbeat" in kinds


async def test_slash_command_round_trip(emulator: Emulator, bot: discord.Client) -> None:
    inv = await emulator.invoke("ping")
    response = await inv.wait_response()
    assert response["type"] == 4 and response["data"]["content"] == "pong"
    assert inv.original is not None and inv.original in emulator.messages()
    assert inv.original["interaction_metadata"]["user"]["id"] == str(emulator.moderator.id)


async def test_subcommand_with_options_and_ephemeral_answer(emulator: Emulator, bot: discord.Client) -> None:
    other = emulator.add_channel("alerts")
    inv = await emulator.invoke("alerts", {"channel": other, "min_score": 70, "mode": "daily"}, subcommand="subscribe")
    msg = await inv.wait_message()
    assert msg["content"] == f"subscribed {other.id} 70 daily"
    assert inv.ephemeral and msg not in emulator.messages()


async def test_defer_then_edit_original_then_followup(emulator: Emulator, bot: discord.Client) -> None:
    inv = await emulator.invoke("slow", {"seconds": 0.05})
    assert (await inv.wait_response())["type"] == 5
    original = await inv.wait_original()
    assert original["content"] == "done"
    followups = await inv.wait_followups(1)
    assert followups[-1]["content"] == "more"
    assert [m["content"] for m in emulator.messages()] == ["done", "more"]


async def test_first_followup_after_a_defer_replaces_the_thinking_message(
    emulator: Emulator, bot: discord.Client
) -> None:
    inv = await emulator.invoke("private")
    msg = await inv.wait_message()
    assert msg["content"] == "only you" and inv.ephemeral and len(inv.messages) == 1
    assert emulator.messages() == []  # ephemeral: never in the channel


@pytest.mark.emulator(interaction_deadline=0.1)
async def test_answer_after_the_deadline_is_unknown_interaction(emulator: Emulator, bot: Any) -> None:
    inv = await emulator.invoke("late", {"seconds": 0.2})
    await emulator.state.changes.wait_for(lambda: bot.errors, 2.0, "the bot's error")
    assert isinstance(bot.errors[0], discord.NotFound) and bot.errors[0].code == 10062
    assert inv.response is None


async def test_second_acknowledgement_is_refused(emulator: Emulator, bot: discord.Client) -> None:
    inv = await emulator.invoke("ping")
    await inv.wait_response()
    url = f"{emulator.api_base}/interactions/{inv.id}/{inv.token}/callback"
    async with aiohttp.ClientSession() as session, session.post(url, json={"type": 4, "data": {"content": "x"}}) as r:
        assert r.status == 400 and (await r.json())["code"] == 40060


async def test_member_without_permission_is_refused_unless_an_admin_overrides(
    emulator: Emulator, bot: discord.Client
) -> None:
    with pytest.raises(InteractionRefused, match="default_member_permissions"):
        await emulator.invoke("alerts", subcommand="subscribe", member=emulator.member)
    assert not emulator.interactions  # nothing reached the bot
    inv = await emulator.invoke("alerts", subcommand="subscribe", member=emulator.member, admin_override=True)
    assert (await inv.wait_message())["content"].startswith("subscribed")


async def test_undeliverable_invocations(emulator: Emulator, bot: discord.Client) -> None:
    with pytest.raises(InteractionRefused, match="not synced"):
        await emulator.invoke("nope")
    with pytest.raises(InteractionRefused, match="out of range"):
        await emulator.invoke("alerts", {"min_score": 101}, subcommand="subscribe")
    with pytest.raises(InteractionRefused, match="not a choice"):
        await emulator.invoke("alerts", {"mode": "hourly"}, subcommand="subscribe")
    with pytest.raises(InteractionRefused, match="required option"):
        await emulator.invoke("alerts", subcommand="find")
    with pytest.raises(InteractionRefused, match="needs a subcommand"):
        await emulator.invoke("alerts")


async def test_autocomplete(emulator: Emulator, bot: discord.Client) -> None:
    inv = await emulator.autocomplete("alerts", "query", "cctv", subcommand="find")
    await inv.wait_response()
    assert [c["value"] for c in inv.choices] == ["cctv-0", "cctv-1", "cctv-2"]


async def test_button_click_updates_the_message(emulator: Emulator, bot: discord.Client) -> None:
    first = await emulator.invoke("buttons")
    posted = await first.wait_message()
    assert posted["components"][0]["components"][0]["custom_id"] == "fb:yes"
    click = await emulator.click(posted, "fb:yes")
    assert (await click.wait_response())["type"] == 7
    assert emulator.messages()[-1]["content"] == "thanks"
    with pytest.raises(InteractionRefused):
        await emulator.click(posted, "fb:missing")


async def test_dispatched_channel_delete_reaches_the_cache(emulator: Emulator, bot: discord.Client) -> None:
    doomed = emulator.add_channel("doomed")
    await eventually(lambda: bot.get_channel(doomed.id), what="CHANNEL_CREATE in the cache")
    emulator.delete_channel(doomed)
    await eventually(lambda: bot.get_channel(doomed.id) is None, what="CHANNEL_DELETE in the cache")
    with pytest.raises(discord.NotFound) as info:
        await bot.http.send_message(doomed.id, params=discord.http.handle_message_parameters(content="x"))
    assert info.value.code == 10003
