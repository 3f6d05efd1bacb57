"""Subscriptions and alert delivery, through the real discord.py bot against the emulator, on real SQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.core.clock import utcnow
from storage import deliveries
from storage.models import Delivery, Notice, Source, Story, Subscription
from tests.botfixtures import TestBot, make_bot, new_story, subscribe, worker
from tests.emulator import constants as perms
from tests.emulator.fixtures import eventually
from tests.emulator.invoke import InteractionRefused
from tests.emulator.server import Emulator
from tests.factories import add_outlet


async def test_subscribe_then_alert_embed_arrives(emulator: Emulator, bw: TestBot) -> None:
    answer = await subscribe(emulator)
    assert "Subscribed" in answer["content"] and int(answer["flags"]) & 64
    await new_story(
        bw.services,
        title="Plate-reader images of 100,000 travellers stolen",
        facts={"affected": 100000, "organisations": ["Perceptics"]},
    )
    stats = await worker(bw).run_once()
    assert stats.sent == 1
    [message] = emulator.messages(emulator.channel)
    embed = message["embeds"][0]
    assert embed["title"].startswith("Plate-reader images")
    assert any(f["name"] == "Affected" and f["value"] == "100,000" for f in embed["fields"])
    assert message["author"]["id"] == str(emulator.bot_id)  # the bot's own message, not a webhook
    assert [c["label"] for c in message["components"][0]["components"]] == ["Relevant", "Not relevant"]


async def test_second_outlet_edits_instead_of_posting(emulator: Emulator, bw: TestBot) -> None:
    await subscribe(emulator)
    sid = await new_story(bw.services)
    await worker(bw).run_once()
    async with bw.services.sessions.begin() as s:
        story = await s.get(Story, sid)
        source = (await s.execute(select(Source))).scalars().first()
        assert story is not None and source is not None
        await add_outlet(s, story, source, "Le Monde", "https://lemonde.example/art")
        await deliveries.story_changed(s, sid)
    stats = await worker(bw).run_once()
    assert stats.edited == 1 and stats.sent == 0
    [message] = emulator.messages(emulator.channel)
    assert "Also reported by 1 outlet" in message["embeds"][0]["description"]
    assert "Le Monde" in message["embeds"][0]["description"]


async def test_member_without_permission_is_refused(emulator: Emulator, bw: TestBot) -> None:
    with pytest.raises(InteractionRefused):
        await emulator.invoke("alerts", {}, subcommand="subscribe", member=emulator.member)
    # A server admin granted the command to everyone in Integrations: Discord delivers it, the bot refuses.
    inv = await emulator.invoke("alerts", {}, subcommand="subscribe", member=emulator.member, admin_override=True)
    answer = await inv.wait_message()
    assert "Manage Channels" in answer["content"] and int(answer["flags"]) & 64
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Subscription))).first() is None


async def test_channel_the_bot_cannot_post_in_is_refused(emulator: Emulator, bw: TestBot) -> None:
    closed = emulator.add_channel("closed")
    emulator.set_bot_permissions(closed, deny=perms.EMBED_LINKS)
    guild = bw.get_guild(emulator.guild.id)
    assert guild is not None
    await eventually(
        lambda: (c := guild.get_channel(closed.id)) is not None and not c.permissions_for(guild.me).embed_links,
        what="the overwrite in the bot's cache",
    )
    answer = await subscribe(emulator, closed)
    assert "missing Embed Links" in answer["content"]
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Subscription))).first() is None


async def test_feed_text_pings_nobody(emulator: Emulator, bw: TestBot) -> None:
    role = emulator.add_role("alerts", mentionable=True)
    await subscribe(emulator)
    await new_story(
        bw.services,
        title=f"@everyone <@&{role}> @here CCTV archive leaked",
        summary=f"<@{emulator.member.id}> see this",
    )
    await worker(bw).run_once()
    [message] = emulator.messages(emulator.channel)
    assert message["mention_everyone"] is False
    assert message["mention_roles"] == [] and message["mentions"] == []


async def test_subscription_role_is_the_only_ping(emulator: Emulator, bw: TestBot) -> None:
    role = emulator.add_role("breach-watchers", mentionable=True)
    await subscribe(emulator, mention_role=role)
    await new_story(bw.services, title="@everyone biometric database exposed")
    await worker(bw).run_once()
    [message] = emulator.messages(emulator.channel)
    assert message["mention_roles"] == [str(role)]
    assert message["mention_everyone"] is False


async def test_crash_between_send_and_mark_posts_once(emulator: Emulator, bw: TestBot) -> None:
    await subscribe(emulator)
    await new_story(bw.services)
    async with bw.services.sessions.begin() as s:
        [job] = await deliveries.claim(s, "doomed", utcnow())
    # The doomed worker posted, then died before marking the row sent.
    payload = {"content": "first attempt", "allowed_mentions": {"parse": []}}
    await bw.sender.send(job.channel_id, payload, nonce=job.nonce)
    async with bw.services.sessions.begin() as s:
        await s.execute(Delivery.__table__.update().values(lease_expires_at=utcnow()))
    stats = await worker(bw).run_once()
    assert stats.sent == 1
    assert len(emulator.messages(emulator.channel)) == 1
    async with bw.services.sessions() as s:
        row = (await s.execute(select(Delivery))).scalar_one()
    assert row.status == "sent" and row.message_id == int(emulator.messages(emulator.channel)[0]["id"])


async def test_forced_429_and_500_delay_but_lose_nothing(emulator: Emulator, bw: TestBot) -> None:
    second = emulator.add_channel("second")
    await subscribe(emulator)
    await subscribe(emulator, second)
    emulator.force(
        "POST /channels/{channel_id}/messages", 429, times=2, retry_after=0.05, channel_id=emulator.channel.id
    )
    emulator.force("POST /channels/{channel_id}/messages", 500, times=1, channel_id=second.id)
    await new_story(bw.services)
    w = worker(bw)
    for _ in range(10):
        await w.run_once()
        async with bw.services.sessions() as s:
            rows = list((await s.execute(select(Delivery.status))).scalars())
        if rows == ["sent", "sent"]:
            break
        async with bw.services.sessions.begin() as s:
            await s.execute(Delivery.__table__.update().values(next_attempt_at=utcnow()))
    assert rows == ["sent", "sent"]
    assert len(emulator.messages(emulator.channel)) == 1 and len(emulator.messages(second)) == 1
    assert emulator.served_429.get("forced", 0) >= 2


async def test_deleted_channel_pauses_subscription_with_one_notice(emulator: Emulator, bw: TestBot) -> None:
    doomed = emulator.add_channel("doomed")
    await subscribe(emulator, doomed)
    emulator.delete_channel(doomed)
    await new_story(bw.services)
    await new_story(bw.services, title="Another: police database accessed by insider")
    w = worker(bw)
    for _ in range(5):
        await w.run_once()
        async with bw.services.sessions.begin() as s:
            await s.execute(Delivery.__table__.update().values(next_attempt_at=utcnow()))
    async with bw.services.sessions() as s:
        sub = (await s.execute(select(Subscription))).scalar_one()
        notices = (await s.execute(select(Notice))).scalars().all()
    assert not sub.active and "no longer exists" in (sub.paused_reason or "")
    assert len(notices) == 1 and notices[0].posted_at is not None
    system = [m for m in emulator.messages(emulator.channel) if "paused alerts" in m["content"]]
    assert len(system) == 1


async def test_feedback_buttons_work_after_restart(emulator: Emulator, services: Any, start_discord: Any) -> None:
    first = make_bot(services)
    await start_discord(first)
    await subscribe(emulator)
    sid = await new_story(services)
    await worker(first).run_once()
    [message] = emulator.messages(emulator.channel)
    await first.close()
    second = make_bot(services)
    await start_discord(second)
    inv = await emulator.click(message, f"bw:fb:0:{sid}", member=emulator.member)
    answer = await inv.wait_message()
    assert "not relevant" in answer["content"]
    inv = await emulator.click(message, f"bw:fb:1:{sid}", member=emulator.moderator)
    await inv.wait_message()
    async with services.sessions() as s:
        from storage import feedback

        assert await feedback.counts(s, emulator.guild.id, sid) == (1, 1)


async def test_no_flood_when_subscription_starts(emulator: Emulator, bw: TestBot) -> None:
    await new_story(bw.services, title="Old incident before anyone subscribed")
    await subscribe(emulator)
    assert (await worker(bw).run_once()).sent == 0
    await new_story(bw.services, title="Fresh incident: stalkerware victims' photos exposed")
    assert (await worker(bw).run_once()).sent == 1
    [message] = emulator.messages(emulator.channel)
    assert message["embeds"][0]["title"].startswith("Fresh incident")


async def test_list_and_unsubscribe(emulator: Emulator, bw: TestBot) -> None:
    await subscribe(emulator, min_score=0.8, categories="alpr,cctv", languages="fr,en", mode="daily")
    inv = await emulator.invoke("alerts", {}, subcommand="list")
    text = (await inv.wait_message())["content"]
    assert "daily" in text and "alpr, cctv" in text and "score ≥ 0.80" in text
    inv = await emulator.invoke("alerts", {"channel": emulator.channel}, subcommand="unsubscribe")
    assert "no more alerts" in (await inv.wait_message())["content"]
    bad = await subscribe(emulator, categories="alpr,weather")
    assert "Unknown category: weather" in bad["content"]


async def test_alerts_test_posts_a_marked_story(emulator: Emulator, bw: TestBot) -> None:
    inv = await emulator.invoke("alerts", {}, subcommand="test")
    assert "nothing to test" in (await inv.wait_message())["content"]
    await new_story(bw.services, title="Face database left open")
    inv = await emulator.invoke("alerts", {}, subcommand="test")
    assert "Posted a test alert" in (await inv.wait_message())["content"]
    [message] = emulator.messages(emulator.channel)
    assert message["embeds"][0]["title"].startswith("[TEST] Face database")


async def test_category_autocomplete(emulator: Emulator, bw: TestBot) -> None:
    inv = await emulator.autocomplete("alerts", "categories", "alpr,fac", subcommand="subscribe")
    await inv.wait_response()
    assert [c["value"] for c in inv.choices] == ["alpr,facial_recognition"]


async def test_source_disabled_notice_goes_to_the_alert_channel_once(emulator: Emulator, bw: TestBot) -> None:
    from storage import notices

    alerts = emulator.add_channel("alerts")
    await subscribe(emulator, alerts)
    for _ in range(2):  # raised twice (two failing polls), recorded once
        async with bw.services.sessions.begin() as s:
            await notices.add(
                s,
                emulator.guild.id,
                "source-disabled:7",
                "source_disabled",
                "Your source https://feed.example/x was disabled after failing for 3 days.",
            )
    w = worker(bw)
    await w.run_once()
    await w.run_once()
    posted = [m for m in emulator.messages(alerts) if "was disabled" in m["content"]]
    assert len(posted) == 1
    assert posted[0]["mention_everyone"] is False


async def test_permissions_are_checked_in_the_channel_named_not_where_typed(emulator: Emulator, bw: TestBot) -> None:
    """The moderator manages #general, where they type, but not #x: subscribe, unsubscribe and test on #x are
    refused, and nothing changes there."""
    x = emulator.add_channel("x")
    emulator.set_overwrite(x, emulator.moderator.id, kind=1, deny=perms.MANAGE_CHANNELS)
    for sub in ("subscribe", "test"):
        inv = await emulator.invoke("alerts", {"channel": x}, subcommand=sub)
        answer = await inv.wait_message()
        assert f"Manage Channels permission in <#{x.id}>" in answer["content"], sub
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Subscription))).first() is None
    assert emulator.messages(x) == []
    # An administrator subscribes #x; the moderator still may not remove it.
    admin = emulator.add_member("admin", permissions=perms.ADMINISTRATOR)
    inv = await emulator.invoke("alerts", {"channel": x}, subcommand="subscribe", member=admin)
    assert "Subscribed" in (await inv.wait_message())["content"]
    inv = await emulator.invoke("alerts", {"channel": x}, subcommand="unsubscribe")
    assert f"permission in <#{x.id}>" in (await inv.wait_message())["content"]
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Subscription.channel_id))).scalars().all() == [x.id]
    # Where the moderator does manage the channel, naming it works as before.
    answer = await subscribe(emulator, emulator.channel)
    assert "Subscribed" in answer["content"]
