"""Stories that merge after the fact (issue 14 item 3), through the real pipeline (classify, group, fan out) and
the real discord.py bot against the emulator, on SQLite and PostgreSQL: a later report that bridges two alerted
stories leaves one live alert per channel and posts nothing (the emulator's request log shows edits only)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import read_model
from bot.alerts.queueing import after_assign
from bot.alerts.worker import DeliveryWorker
from bot.core.clock import utcnow
from bot.core.search_query import parse_query
from bot.process import process_pending
from storage import deliveries, subscriptions
from storage.models import Article, Delivery, Source, Story
from storage.search import search_stories
from storage.subscriptions import SubscriptionFilters
from tests.alerts.test_tenants import CHANNEL_A, CHANNEL_B, GUILD_A, GUILD_B, Recorder
from tests.botfixtures import TestBot, subscribe, worker
from tests.emulator.server import Emulator
from tests.stories_helpers import add_article, add_source, keyword_classify

Sessions = async_sessionmaker[AsyncSession]

POST = "POST /channels/{channel_id}/messages"
PATCH = "PATCH /channels/{channel_id}/messages/{message_id}"

# Two reports nothing links (a vendor's intrusion, a town's leaked records), then one that says they are one
# incident: it names both and gives the town's count.
VENDOR = (
    "https://a.example/1",
    "Quillmore confirms intrusion at its analytics unit: camera footage leaked",
    "The analytics company Quillmore said an intruder reached one of its internal systems last weekend.",
    "en",
    "2025-07-01",
    "Outlet A",
)
TOWN = (
    "https://b.example/2",
    "Brenvik residents' visit records and camera stills leaked",
    "Records of 48,200 residents of Brenvik, with their appointment times, were posted on a forum.",
    "en",
    "2025-07-02",
    "Outlet B",
)
BRIDGE = (
    "https://c.example/3",
    "Brenvik leak traced to Quillmore breach",
    "The 48,200 Brenvik records came from the intrusion at Quillmore, the city said.",
    "en",
    "2025-07-03",
    "Outlet C",
)
QUIET_VENDOR = (VENDOR[0], "Quillmore confirms intrusion at its analytics unit", *VENDOR[2:])  # alerts nobody


async def _ingest(sessions: Sessions, source: int, *items: tuple[str, ...]) -> None:
    for item in items:
        await add_article(sessions, source, *item)  # type: ignore[arg-type]
    await process_pending(sessions, keyword_classify, after_assign=after_assign)


async def _story_of(sessions: Sessions, url: str) -> int:
    async with sessions() as s:
        story = await s.scalar(select(Article.story_id).where(Article.canonical_url == url))
        assert story is not None
        return int(story)


def _alerts(emulator: Emulator) -> list[dict[str, Any]]:
    return [m for m in emulator.messages(emulator.channel) if m["embeds"]]


async def test_two_alerted_stories_merge_into_one_live_alert_and_no_new_message(
    emulator: Emulator, bw: TestBot
) -> None:
    sessions = bw.services.sessions
    await subscribe(emulator)
    source = await add_source(sessions)
    await _ingest(sessions, source, VENDOR, TOWN)
    vendor, town = await _story_of(sessions, VENDOR[0]), await _story_of(sessions, TOWN[0])
    assert vendor != town
    assert (await worker(bw).run_once()).sent == 2
    first, second = _alerts(emulator)
    posts = len(emulator.requests(POST))

    await _ingest(sessions, source, BRIDGE)
    assert await _story_of(sessions, BRIDGE[0]) == vendor == await _story_of(sessions, TOWN[0])  # the older survives
    stats = await worker(bw).run_once()
    assert stats.sent == 0 and stats.edited == 2
    assert len(emulator.requests(POST)) == posts, "no channel is alerted again"
    assert len(emulator.requests(PATCH)) == 2
    messages = emulator.messages(emulator.channel)
    assert [m["id"] for m in messages] == [first["id"], second["id"]]
    [live] = _alerts(emulator)
    assert live["id"] == first["id"]  # the earliest alert is the one that stays
    description = live["embeds"][0]["description"]
    assert "Outlet B" in description and "Outlet C" in description
    assert f"story #{vendor}" in live["embeds"][0]["footer"]["text"]
    pointer = next(m for m in messages if m["id"] == second["id"])
    assert pointer["embeds"] == [] and pointer["components"] == []
    link = f"https://discord.com/channels/{emulator.guild.id}/{emulator.channel.id}/{first['id']}"
    assert pointer["content"] == f"Merged into story #{vendor}: the same incident. See {link}"

    # Another report of the incident edits the live alert only; the pointer stays as it is.
    await _ingest(
        sessions,
        source,
        (
            "https://d.example/4",
            "Quillmore breach: Brenvik says 48,200 residents must watch for scams",
            "Brenvik told the 48,200 residents whose records leaked from Quillmore to be wary of calls.",
            "en",
            "2025-07-04",
            "Outlet D",
        ),
    )
    stats = await worker(bw).run_once()
    assert stats.sent == 0 and stats.edited == 1 and len(emulator.requests(POST)) == posts
    async with sessions() as s:
        rows = (await s.execute(select(Delivery).order_by(Delivery.id))).scalars().all()
        assert {(r.story_id, r.status, str(r.message_id)) for r in rows} == {
            (vendor, "sent", first["id"]),
            (town, "sent", second["id"]),
        }
        detail = await read_model.story_detail(s, town, guild_id=emulator.guild.id)
        assert detail is not None and detail.story_id == vendor  # /story of the old id shows the survivor
        assert (await s.get(Story, town)).merged_into == vendor  # type: ignore[union-attr]


async def test_an_alert_of_the_absorbed_story_alone_becomes_the_survivors(emulator: Emulator, bw: TestBot) -> None:
    sessions = bw.services.sessions
    await subscribe(emulator)
    source = await add_source(sessions)
    await _ingest(sessions, source, QUIET_VENDOR, TOWN)
    vendor, town = await _story_of(sessions, VENDOR[0]), await _story_of(sessions, TOWN[0])
    assert (await worker(bw).run_once()).sent == 1  # only the town's story passes the classifier
    [alert] = _alerts(emulator)
    posts = len(emulator.requests(POST))

    await _ingest(sessions, source, BRIDGE)
    assert await _story_of(sessions, TOWN[0]) == vendor
    stats = await worker(bw).run_once()
    assert stats.sent == 0 and stats.edited == 1 and len(emulator.requests(POST)) == posts
    [live] = emulator.messages(emulator.channel)
    assert live["id"] == alert["id"] and f"story #{vendor}" in live["embeds"][0]["footer"]["text"]
    assert "Outlet C" in live["embeds"][0]["description"]
    async with sessions() as s:
        [row] = (await s.execute(select(Delivery))).scalars().all()
        assert (row.story_id, row.status, str(row.message_id)) == (vendor, "sent", alert["id"])
        assert town != vendor


async def test_merge_edits_show_each_server_only_its_scope(sessions: Sessions) -> None:
    """Servers are tenants: a bridge carried only by server A's own feed merges the operator's two stories for
    everyone (one incident), but only server A's alert shows that report; server B's shows the merged story as B
    may see it. Neither channel gets a new message."""
    async with sessions.begin() as s:
        await subscriptions.subscribe(s, GUILD_A, CHANNEL_A, SubscriptionFilters())
        await subscriptions.subscribe(s, GUILD_B, CHANNEL_B, SubscriptionFilters())
        own = Source(url="https://own.example/feed", name="Own feed", guild_id=GUILD_A, origin="guild")
        s.add(own)
        await s.flush()
        own_id = own.id
    sender = Recorder()
    deliver = DeliveryWorker(sessions, sender)
    operator = await add_source(sessions)
    await _ingest(sessions, operator, VENDOR, TOWN)
    await deliver.run_once()
    assert len(sender.posts[CHANNEL_A]) == 2 and len(sender.posts[CHANNEL_B]) == 2
    await _ingest(sessions, own_id, BRIDGE)
    vendor = await _story_of(sessions, VENDOR[0])
    assert await _story_of(sessions, TOWN[0]) == vendor
    sender.edits.clear()
    await deliver.run_once()
    assert len(sender.posts[CHANNEL_A]) == 2 and len(sender.posts[CHANNEL_B]) == 2  # nothing posted again
    for channel in (CHANNEL_A, CHANNEL_B):
        embeds = [e for payload in sender.edits[channel] for e in payload.get("embeds", [])]
        pointers = [p for p in sender.edits[channel] if str(p.get("content", "")).startswith("Merged into")]
        assert len(embeds) == 1 and len(pointers) == 1, channel
        assert "Outlet B" in embeds[0]["description"]
    assert "Outlet C" in sender.seen_by(CHANNEL_A)
    assert "Outlet C" not in sender.seen_by(CHANNEL_B) and "c.example" not in sender.seen_by(CHANNEL_B)
    async with sessions() as s:
        for guild in (GUILD_A, GUILD_B, None):
            # The absorbed story's words find the survivor, which holds its reports now, and only the survivor.
            found = await search_stories(s, parse_query("Brenvik"), guild_id=guild)
            assert [h.story_id for h in found.hits] == [vendor], guild


async def test_an_alert_posted_while_its_story_merged_becomes_a_pointer(sessions: Sessions) -> None:
    """The race: a worker is posting the town's alert when the bridge merges the town's story into the vendor's.
    The post is out, so the row is edited next into a pointer to the survivor's alert, which is posted once."""
    async with sessions.begin() as s:
        await subscriptions.subscribe(s, GUILD_A, CHANNEL_A, SubscriptionFilters())
    source = await add_source(sessions)
    await _ingest(sessions, source, VENDOR, TOWN)
    vendor, town = await _story_of(sessions, VENDOR[0]), await _story_of(sessions, TOWN[0])
    async with sessions.begin() as s:
        leased = await deliveries.claim(s, "racing-worker", utcnow())
    racing = next(job for job in leased if job.story_id == town)
    await _ingest(sessions, source, BRIDGE)
    async with sessions.begin() as s:
        await deliveries.mark_sent(s, racing.id, 4242, 1, utcnow())  # the racing worker's post went out
    sender = Recorder()
    later = utcnow() + timedelta(hours=1)  # the racing worker's leases have run out
    stats = await DeliveryWorker(sessions, sender, clock=lambda: later).run_once()
    assert stats.sent == 1 and stats.edited == 1
    [alert] = sender.posts[CHANNEL_A]
    assert f"story #{vendor}" in alert["embeds"][0]["footer"]["text"]
    [pointer] = sender.edits[CHANNEL_A]
    async with sessions() as s:
        survivor_message = await deliveries.message_of(s, vendor, racing.subscription_id)
    assert pointer["embeds"] == [] and pointer["content"].startswith(
        f"Merged into story #{vendor}: the same incident. See "
    )
    assert pointer["content"].endswith(f"/{CHANNEL_A}/{survivor_message}")


async def test_relinking_a_lone_report_edits_the_posted_alert_at_once(sessions: Sessions) -> None:
    """The bridge comes from the outlet that already reported the town's story and adds no fact, so joining changes
    nothing by itself; re-linking the vendor's lone report does, and the alert shows it now (before, the version
    stayed and the alert waited for the next report)."""
    async with sessions.begin() as s:
        await subscriptions.subscribe(s, GUILD_A, CHANNEL_A, SubscriptionFilters())
    source = await add_source(sessions)
    await _ingest(sessions, source, QUIET_VENDOR, TOWN)
    sender = Recorder()
    deliver = DeliveryWorker(sessions, sender)
    assert (await deliver.run_once()).sent == 1
    same_outlet = (*BRIDGE[:5], TOWN[5])
    await _ingest(sessions, source, same_outlet)
    assert await _story_of(sessions, VENDOR[0]) == await _story_of(sessions, TOWN[0])
    stats = await deliver.run_once()
    assert stats.sent == 0 and stats.edited == 1
    [edit] = sender.edits[CHANNEL_A]
    assert VENDOR[0] in json.dumps(edit)  # the re-linked report is in the alert now
