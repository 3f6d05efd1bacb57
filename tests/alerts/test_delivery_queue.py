"""The delivery queue on real SQLite and PostgreSQL: once per subscription, leased, retried, never lost."""

from __future__ import annotations

import io
from collections import deque
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.console import ConsoleSender
from bot.alerts.digest import send_due_digests
from bot.alerts.fanout import fan_out
from bot.alerts.sender import ChannelGone, RateLimited, SendError, Transient
from bot.alerts.worker import DeliveryWorker
from bot.core.clock import utcnow
from storage import deliveries, subscriptions
from storage.deliveries import ShardFilter
from storage.models import Delivery, Notice, Subscription
from storage.subscriptions import SubscriptionFilters
from tests.factories import add_outlet, make_source, make_story

Sessions = async_sessionmaker[AsyncSession]


class ScriptedSender(ConsoleSender):
    """The console sender, with errors queued per channel to stand in for Discord's failures."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.failures: dict[int, deque[SendError]] = {}
        self.sent: list[tuple[int, str]] = []
        self.edits: list[int] = []
        self.notices: list[str] = []

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str, reply_to: int | None = None) -> int:
        queue = self.failures.get(channel_id)
        if queue:
            raise queue.popleft()
        self.sent.append((channel_id, nonce))
        return await super().send(channel_id, payload, nonce=nonce, reply_to=reply_to)

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        self.edits.append(message_id)

    async def notify(self, guild_id: int, channel_id: int | None, text: str) -> bool:
        self.notices.append(text)
        return True


async def _subscribe(sessions: Sessions, channel: int, guild: int = 1, **kw: Any) -> int:
    async with sessions.begin() as s:
        sub, _ = await subscriptions.subscribe(s, guild, channel, SubscriptionFilters(**kw))
        return sub.id


async def _story_for_all(sessions: Sessions, **kw: Any) -> int:
    async with sessions.begin() as s:
        source = await make_source(s, url=f"https://feed.example/{utcnow().timestamp()}")
        story = await make_story(s, source, **kw)
        await fan_out(s, story, utcnow() + timedelta(seconds=1))
        return story.id


def _worker(sessions: Sessions, sender: ScriptedSender, **kw: Any) -> DeliveryWorker:
    return DeliveryWorker(sessions, sender, **kw)


async def _statuses(sessions: Sessions) -> list[str]:
    async with sessions() as s:
        return list((await s.execute(select(Delivery.status).order_by(Delivery.id))).scalars())


async def test_fan_out_respects_filters_and_start_time(sessions: Sessions) -> None:
    await _subscribe(sessions, 10)
    await _subscribe(sessions, 11, min_score=0.95)
    await _subscribe(sessions, 12, categories=("spyware",))
    await _subscribe(sessions, 13, languages=("fr",))
    await _subscribe(sessions, 14, categories=("alpr",), languages=("en",))
    await _story_for_all(sessions)
    async with sessions() as s:
        channels = sorted((await s.execute(select(Delivery.channel_id))).scalars())
    assert channels == [10, 14]
    # A story that does not match alerts nobody.
    await _story_for_all(sessions, match=False, title="Council debates camera ban")
    async with sessions() as s:
        assert len((await s.execute(select(Delivery.id))).all()) == 2


async def test_subscription_started_later_gets_no_backlog(sessions: Sessions) -> None:
    async with sessions.begin() as s:
        source = await make_source(s)
        story = await make_story(s, source)
        await fan_out(s, story, utcnow())
    await _subscribe(sessions, 20)
    async with sessions.begin() as s:
        assert (await s.execute(select(Delivery.id))).first() is None


async def test_enqueue_twice_is_once(sessions: Sessions) -> None:
    await _subscribe(sessions, 30)
    sid = await _story_for_all(sessions)
    async with sessions.begin() as s:
        subs = await subscriptions.active_since(s, utcnow())
        assert await deliveries.enqueue(s, sid, subs) == 0
    assert await _statuses(sessions) == ["pending"]


async def test_worker_sends_marks_and_never_repeats(sessions: Sessions) -> None:
    for ch in (40, 41, 42):
        await _subscribe(sessions, ch)
    await _story_for_all(sessions)
    sender = ScriptedSender()
    stats = await _worker(sessions, sender).run_once()
    assert stats.sent == 3
    assert sorted(c for c, _ in sender.sent) == [40, 41, 42]
    assert await _statuses(sessions) == ["sent"] * 3
    again = await _worker(sessions, sender).run_once()
    assert again.sent == 0 and len(sender.sent) == 3


async def test_crash_between_send_and_mark_posts_once(sessions: Sessions) -> None:
    await _subscribe(sessions, 50)
    await _story_for_all(sessions)
    sender = ScriptedSender()
    # A worker that sent but died before marking: its lease expires and the next worker resends the same nonce.
    async with sessions.begin() as s:
        jobs = await deliveries.claim(s, "dead-worker", utcnow(), lease=timedelta(seconds=-1))
    await sender.send(jobs[0].channel_id, {"content": "x"}, nonce=jobs[0].nonce)
    await _worker(sessions, sender).run_once()
    assert len(sender.sent) == 2 and sender.sent[0][1] == sender.sent[1][1]
    assert sender.out.getvalue().count("ALERT -> channel 50") == 1  # type: ignore[attr-defined]
    assert await _statuses(sessions) == ["sent"]


async def test_live_lease_is_skipped(sessions: Sessions) -> None:
    await _subscribe(sessions, 55)
    await _story_for_all(sessions)
    async with sessions.begin() as s:
        assert len(await deliveries.claim(s, "a", utcnow())) == 1
    async with sessions.begin() as s:
        assert await deliveries.claim(s, "b", utcnow()) == []


async def test_transient_and_rate_limit_delay_but_lose_nothing(sessions: Sessions) -> None:
    await _subscribe(sessions, 60)
    await _subscribe(sessions, 61)
    await _story_for_all(sessions)
    sender = ScriptedSender()
    sender.failures[60] = deque([Transient("500 Internal Server Error")])
    sender.failures[61] = deque([RateLimited(0.0)])
    clock = [utcnow()]
    worker = _worker(sessions, sender, clock=lambda: clock[0])
    first = await worker.run_once()
    assert first.retried == 1 and first.rate_limited >= 1
    clock[0] += timedelta(minutes=5)
    await worker.run_once()
    assert sorted(c for c, _ in sender.sent) == [60, 61]
    assert await _statuses(sessions) == ["sent", "sent"]


async def test_deleted_channel_pauses_with_one_notice(sessions: Sessions) -> None:
    sub_id = await _subscribe(sessions, 70)
    await _story_for_all(sessions)
    await _story_for_all(sessions, title="Second incident: spyware victims' photos leaked")
    sender = ScriptedSender()
    sender.failures[70] = deque([ChannelGone("Unknown Channel")] * 10)
    clock = [utcnow()]
    worker = _worker(sessions, sender, clock=lambda: clock[0])
    for _ in range(6):
        await worker.run_once()
        clock[0] += timedelta(hours=2)
    async with sessions() as s:
        sub = await s.get(Subscription, sub_id)
        assert sub is not None and not sub.active and "no longer exists" in (sub.paused_reason or "")
        notices = (await s.execute(select(Notice))).scalars().all()
    assert len(notices) == 1 and len(sender.notices) == 1
    assert set(await _statuses(sessions)) <= {"failed", "paused"}
    assert sender.sent == []


async def test_grown_story_is_edited_and_new_facts_replied(sessions: Sessions) -> None:
    await _subscribe(sessions, 80)
    sid = await _story_for_all(sessions)
    sender = ScriptedSender()
    worker = _worker(sessions, sender)
    await worker.run_once()
    async with sessions.begin() as s:
        from storage.models import Source, Story

        story = await s.get(Story, sid)
        source = (await s.execute(select(Source))).scalars().first()
        assert story is not None and source is not None
        await add_outlet(s, story, source, "Le Monde", "https://lemonde.example/a")
        assert await deliveries.story_changed(s, sid) == 1
    stats = await worker.run_once()
    assert stats.edited == 1 and len(sender.edits) == 1
    async with sessions.begin() as s:
        await deliveries.story_changed(s, sid, {"affected": 250000})
    stats = await worker.run_once()
    assert stats.followups == 1 and stats.edited == 1
    assert "250,000" in sender.out.getvalue()  # type: ignore[attr-defined]
    assert len([c for c, _ in sender.sent if c == 80]) == 2  # the alert and its reply, nothing more


async def test_daily_digest_collects_the_days_stories(sessions: Sessions) -> None:
    await _subscribe(sessions, 90, mode="daily")
    for i in range(3):
        await _story_for_all(sessions, title=f"Incident {i}: camera footage exposed")
    sender = ScriptedSender()
    assert (await _worker(sessions, sender).run_once()).sent == 0
    assert await send_due_digests(sessions, sender, utcnow()) == 0  # the day is not over
    posted = await send_due_digests(sessions, sender, utcnow() + timedelta(days=1, minutes=1))
    assert posted == 1
    assert await _statuses(sessions) == ["sent"] * 3
    assert "daily digest: 3 stories" in sender.out.getvalue()  # type: ignore[attr-defined]


async def test_shard_filter_splits_guilds(sessions: Sessions) -> None:
    guild_a, guild_b = 0 << 22, 1 << 22  # shard 0 and shard 1 of 2
    await _subscribe(sessions, 100, guild=guild_a)
    await _subscribe(sessions, 101, guild=guild_b)
    await _story_for_all(sessions)
    async with sessions.begin() as s:
        jobs0 = await deliveries.claim(s, "s0", utcnow(), shards=ShardFilter((0,), 2))
        jobs1 = await deliveries.claim(s, "s1", utcnow(), shards=ShardFilter((1,), 2))
    assert [j.channel_id for j in jobs0] == [100]
    assert [j.channel_id for j in jobs1] == [101]


async def test_guild_rules_decide_for_that_guild(sessions: Sessions) -> None:
    from bot import tuning

    await _subscribe(sessions, 110, guild=7)
    await _subscribe(sessions, 111, guild=8)
    async with sessions.begin() as s:
        await tuning.add_rule(s, 7, "camera drone", "block")
        await tuning.add_rule(s, 8, "council", "force")
    # Guild 7 blocks a term in the story; guild 8 forces a term of a story the defaults reject.
    await _story_for_all(sessions, title="Camera drone footage of protesters leaked", categories=["cctv"])
    await _story_for_all(
        sessions,
        title="City council debates cameras",
        match=False,
        score=0.1,
        summary="Members argued about the cost of new street cameras.",
    )
    async with sessions() as s:
        rows = (await s.execute(select(Delivery.channel_id, Delivery.story_id).order_by(Delivery.id))).all()
    assert [r.channel_id for r in rows] == [111, 111]


async def test_guild_added_source_alerts_only_that_guild(sessions: Sessions) -> None:
    from storage.models import FeedEntry

    await _subscribe(sessions, 120, guild=5)
    await _subscribe(sessions, 121, guild=6)
    async with sessions.begin() as s:
        source = await make_source(s, url="https://guild-five.example/feed", guild_id=5, origin="guild")
        story = await make_story(s, source)
        article_id = story.lead_article_id
        assert article_id is not None
        s.add(
            FeedEntry(
                source_id=source.id, entry_key="k" * 64, entry_id="e1", article_id=article_id, content_hash="h" * 64
            )
        )
        await s.flush()
        await fan_out(s, story, utcnow() + timedelta(seconds=1))
    async with sessions() as s:
        channels = list((await s.execute(select(Delivery.channel_id))).scalars())
    assert channels == [120]
