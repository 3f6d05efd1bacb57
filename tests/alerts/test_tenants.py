"""Servers are tenants: through the real pipeline (classify, group, fan out, deliver) on SQLite and PostgreSQL, what a
server is shown of a story comes only from its own sources and the operator's, and a story alerts a server (or a
subscription) when it becomes visible to it or comes to pass its filters, once."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import read_model
from bot.alerts.console import ConsoleSender
from bot.alerts.digest import send_due_digests
from bot.alerts.queueing import after_assign
from bot.alerts.worker import DeliveryWorker
from bot.classify import classify
from bot.core.clock import utcnow
from bot.core.search_query import parse_query
from bot.process import process_pending
from storage import alert_views, deliveries, subscriptions
from storage.models import GLOBAL_SCOPE, Article, Delivery, FeedEntry, Source, Story
from storage.search import search_stories
from storage.search_choices import category_choices, source_choices
from storage.subscriptions import SubscriptionFilters
from tests.factories import add_outlet, make_source, make_story

Sessions = async_sessionmaker[AsyncSession]

GUILD_A, GUILD_B = 111, 222
CHANNEL_A, CHANNEL_B = 1001, 2002

# Four reports of one incident (they group into one story) and one hostile report carried by guild A's own feed.
OPERATOR_1 = (
    "https://wire.example/vigilex",
    "Hackers steal 2 million licence plate scans from Vigilex parking cameras",
    "The intruders copied plate-reader images and locations of drivers from Vigilex servers in Ohio.",
    "Wire Daily",
)
OPERATOR_2 = (
    "https://paper.example/vigilex-confirms",
    "Vigilex parking camera breach: 2 million licence plate records stolen, company confirms",
    "Vigilex said attackers took licence plate images and driver locations from its Ohio servers.",
    "Paper Times",
)
OPERATOR_FR = (
    "https://journal.example/vigilex",
    "Vigilex : 2 millions de plaques d'immatriculation volées par des pirates sur des caméras de parking",
    "Les pirates ont copié les images des lecteurs de plaques et la position des conducteurs sur les serveurs "
    "de Vigilex dans l'Ohio.",
    "Le Journal",
)
HOSTILE = (
    "https://evil.example/verify",
    "Vigilex licence plate breach: 2 million parking camera scans stolen, verify your account now",
    "Hackers stole licence plate images and driver locations from Vigilex servers in Ohio, verify at evil.",
    "Evil Outlet",
)


class Recorder(ConsoleSender):
    """The console sender, keeping every posted or edited payload per channel."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.posts: dict[int, list[dict[str, Any]]] = {}
        self.edits: dict[int, list[dict[str, Any]]] = {}

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str, reply_to: int | None = None) -> int:
        if reply_to is None:
            self.posts.setdefault(channel_id, []).append(payload)
        else:
            self.edits.setdefault(channel_id, []).append(payload)
        return await super().send(channel_id, payload, nonce=nonce, reply_to=reply_to)

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        self.edits.setdefault(channel_id, []).append(payload)

    def seen_by(self, channel_id: int) -> str:
        return json.dumps(self.posts.get(channel_id, []) + self.edits.get(channel_id, []), ensure_ascii=False)


async def _report(
    sessions: Sessions, guild: int, report: tuple[str, str, str, str], *, lang: str = "en", alertable: bool = True
) -> None:
    """A feed entry as the poller stores it, from a source of `guild` (0: the operator's)."""
    url, title, summary, outlet = report
    feed = f"https://{outlet.replace(' ', '-').lower()}.example/feed/{guild}"
    async with sessions.begin() as s:
        source = (await s.execute(select(Source).where(Source.url == feed, Source.guild_id == guild))).scalar()
        if source is None:
            source = Source(url=feed, name=outlet, guild_id=guild, origin="guild" if guild else "config")
            s.add(source)
            await s.flush()
        article = Article(
            source_id=source.id,
            canonical_url=url,
            url=url,
            title=title,
            summary=summary,
            language=lang,
            outlet=outlet,
            content_hash=hashlib.sha256(url.encode()).hexdigest(),
            published_at=utcnow(),
            alertable=alertable,
        )
        s.add(article)
        await s.flush()
        key = hashlib.sha256(f"{source.id}:{url}".encode()).hexdigest()
        s.add(FeedEntry(source_id=source.id, entry_key=key, entry_id=url, article_id=article.id, content_hash=key))


async def _process(sessions: Sessions) -> None:
    assert await process_pending(sessions, classify, after_assign=after_assign) == 1


async def _subscribe(sessions: Sessions, guild: int, channel: int, **filters: Any) -> None:
    async with sessions.begin() as s:
        await subscriptions.subscribe(s, guild, channel, SubscriptionFilters(**filters))


async def _one_story(sessions: Sessions) -> None:
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Story)) == 1, "the reports must group into one story"


async def _deliveries(sessions: Sessions, channel: int) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Delivery).where(Delivery.channel_id == channel)))


async def test_guild_feed_first_then_operator_alerts_the_other_servers(sessions: Sessions) -> None:
    await _subscribe(sessions, GUILD_A, CHANNEL_A)
    await _subscribe(sessions, GUILD_B, CHANNEL_B)
    sender = Recorder()
    worker = DeliveryWorker(sessions, sender)
    await _report(sessions, GUILD_A, HOSTILE)
    await _process(sessions)
    await worker.run_once()
    assert len(sender.posts.get(CHANNEL_A, [])) == 1
    assert CHANNEL_B not in sender.posts, "a story only server A's feed carries is not server B's business"

    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await _one_story(sessions)
    await worker.run_once()
    [alert] = sender.posts[CHANNEL_B]
    assert OPERATOR_1[0] in json.dumps(alert) and OPERATOR_1[3] in json.dumps(alert)
    assert "evil" not in sender.seen_by(CHANNEL_B).lower()
    assert len(sender.posts[CHANNEL_A]) == 1  # server A already had it: edited, not posted again
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_2)
    await _process(sessions)
    await worker.run_once()
    assert len(sender.posts[CHANNEL_B]) == 1 and len(sender.posts[CHANNEL_A]) == 1
    assert await _deliveries(sessions, CHANNEL_B) == 1


async def test_silent_guild_story_joined_by_operator_shows_only_operator_content(sessions: Sessions) -> None:
    await _subscribe(sessions, GUILD_B, CHANNEL_B)
    sender = Recorder()
    worker = DeliveryWorker(sessions, sender)
    # Server A's feed starts the story, on its first poll: stored, alerting nobody.
    await _report(sessions, GUILD_A, HOSTILE, alertable=False)
    await _process(sessions)
    await worker.run_once()
    assert not sender.posts
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await _one_story(sessions)
    await worker.run_once()
    [alert] = sender.posts[CHANNEL_B]
    embed = alert["embeds"][0]
    assert embed["title"].startswith(OPERATOR_1[1][:40])
    assert embed["url"] == OPERATOR_1[0]
    assert embed["author"]["name"] == OPERATOR_1[3]
    assert "evil" not in sender.seen_by(CHANNEL_B).lower()


async def test_guild_feed_joining_operator_story_never_edits_other_servers(sessions: Sessions) -> None:
    await _subscribe(sessions, GUILD_A, CHANNEL_A)
    await _subscribe(sessions, GUILD_B, CHANNEL_B)
    sender = Recorder()
    worker = DeliveryWorker(sessions, sender)
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await worker.run_once()
    assert len(sender.posts[CHANNEL_A]) == 1 and len(sender.posts[CHANNEL_B]) == 1
    await _report(sessions, GUILD_A, HOSTILE)
    await _process(sessions)
    await _one_story(sessions)
    await worker.run_once()
    assert "evil" not in sender.seen_by(CHANNEL_B).lower()
    assert "Evil Outlet" in sender.seen_by(CHANNEL_A)  # server A sees its own feed's report
    # Server B's view did not change, so its alert is left alone; an operator report edits both.
    assert CHANNEL_B not in sender.edits
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_2)
    await _process(sessions)
    await worker.run_once()
    assert OPERATOR_2[3] in sender.seen_by(CHANNEL_B)
    assert "evil" not in sender.seen_by(CHANNEL_B).lower()
    assert len(sender.posts[CHANNEL_A]) == 1 and len(sender.posts[CHANNEL_B]) == 1


async def test_language_filter_alerts_once_when_a_report_in_its_language_joins(sessions: Sessions) -> None:
    await _subscribe(sessions, GUILD_B, CHANNEL_B, languages=("fr",))
    sender = Recorder()
    worker = DeliveryWorker(sessions, sender)
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await worker.run_once()
    assert not sender.posts, "an English story does not pass a French-only subscription"
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_FR, lang="fr")
    await _process(sessions)
    await _one_story(sessions)
    await worker.run_once()
    assert len(sender.posts[CHANNEL_B]) == 1
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_2)
    await _process(sessions)
    await worker.run_once()
    assert len(sender.posts[CHANNEL_B]) == 1
    assert await _deliveries(sessions, CHANNEL_B) == 1


async def test_language_only_a_guild_feed_brings_does_not_alert_other_servers(sessions: Sessions) -> None:
    await _subscribe(sessions, GUILD_B, CHANNEL_B, languages=("fr",))
    sender = Recorder()
    worker = DeliveryWorker(sessions, sender)
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await _report(sessions, GUILD_A, OPERATOR_FR, lang="fr")
    await _process(sessions)
    await _one_story(sessions)
    await worker.run_once()
    assert not sender.posts


async def _story_id(sessions: Sessions) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(Story.id)))


async def test_story_only_in_a_guild_feed_is_invisible_to_other_servers(sessions: Sessions) -> None:
    await _report(sessions, GUILD_A, HOSTILE)
    await _process(sessions)
    story_id = await _story_id(sessions)
    async with sessions() as s:
        assert [h.story_id for h in (await search_stories(s, parse_query("Vigilex"), guild_id=GUILD_A)).hits] == [
            story_id
        ]
        assert (await search_stories(s, parse_query("Vigilex"), guild_id=GUILD_B)).hits == ()
        assert (await search_stories(s, parse_query("Vigilex"), guild_id=GLOBAL_SCOPE)).hits == ()
        assert await read_model.story_detail(s, story_id, guild_id=GUILD_B) is None
        assert await read_model.story_detail(s, story_id, guild_id=GUILD_A) is not None
        assert await read_model.load(s, [story_id], guild_id=GUILD_B) == {}
        assert await category_choices(s, "", guild_id=GUILD_A)
        assert await category_choices(s, "", guild_id=GUILD_B) == []
        assert [c.name for c in await source_choices(s, "", guild_id=GUILD_B)] == []
        assert await alert_views.latest_match(s, GUILD_B) is None


async def test_story_partly_in_scope_is_searched_and_shown_from_that_part(sessions: Sessions) -> None:
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await _report(sessions, GUILD_A, HOSTILE)
    await _process(sessions)
    await _one_story(sessions)
    story_id = await _story_id(sessions)
    async with sessions() as s:
        # "verify" is only in server A's own report.
        assert (await search_stories(s, parse_query("verify"), guild_id=GUILD_B)).hits == ()
        assert [h.story_id for h in (await search_stories(s, parse_query("verify"), guild_id=GUILD_A)).hits] == [
            story_id
        ]
        [hit] = (await search_stories(s, parse_query("Vigilex"), guild_id=GUILD_B)).hits
        assert hit.headline == OPERATOR_1[1] and hit.outlet_count == 1
        assert "verify" not in hit.summary_line.lower()
        detail = await read_model.story_detail(s, story_id, guild_id=GUILD_B)
        assert detail is not None
        assert [a.outlet for a in detail.articles] == [OPERATOR_1[3]]
        assert "evil" not in repr(detail).lower()
        mine = await read_model.story_detail(s, story_id, guild_id=GUILD_A)
        assert mine is not None and len(mine.articles) == 2


async def test_digest_shows_each_server_its_scope(sessions: Sessions) -> None:
    await _subscribe(sessions, GUILD_A, CHANNEL_A, mode="daily")
    await _subscribe(sessions, GUILD_B, CHANNEL_B, mode="daily")
    await _report(sessions, GUILD_A, HOSTILE)
    await _process(sessions)
    await _report(sessions, GLOBAL_SCOPE, OPERATOR_1)
    await _process(sessions)
    await _one_story(sessions)
    sender = Recorder()
    assert await send_due_digests(sessions, sender, utcnow() + timedelta(days=1, minutes=1)) == 2
    assert "evil" not in sender.seen_by(CHANNEL_B).lower() and OPERATOR_1[0] in sender.seen_by(CHANNEL_B)
    assert HOSTILE[0] in sender.seen_by(CHANNEL_A)


async def test_a_guild_report_with_new_facts_replies_only_in_that_guild(sessions: Sessions) -> None:
    async with sessions.begin() as s:
        story = await make_story(s, await make_source(s), facts={"affected": 1000})
        own = await add_outlet(
            s, story, await make_source(s, "https://own.example/feed", guild_id=GUILD_A), "Own", "https://own.example/1"
        )
        for guild, channel in ((GUILD_A, CHANNEL_A), (GUILD_B, CHANNEL_B)):
            sub, _ = await subscriptions.subscribe(s, guild, channel, SubscriptionFilters())
            s.add(
                Delivery(
                    story_id=story.id,
                    subscription_id=sub.id,
                    guild_id=guild,
                    channel_id=channel,
                    nonce="n",
                    status="sent",
                    message_id=channel,
                )
            )
    async with sessions.begin() as s:
        assert await deliveries.story_changed(s, story.id, {"affected": 2_000_000}, article_id=own.id) == 1
    async with sessions() as s:
        flagged = (await s.execute(select(Delivery.channel_id).where(Delivery.followup_pending.is_(True)))).scalars()
        assert list(flagged) == [CHANNEL_A]
