"""`/story` and `/breachwatch status` data, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import read_model
from bot.stories.assign import outlet_of
from storage.models import GLOBAL_SCOPE, Article, Delivery, Feedback, Source, Story, Subscription
from storage.status import status_counts
from storage.story_detail import get_story_detail
from tests.search_data import NOW, Piece, StorySpec, add_story

Sessions = async_sessionmaker[AsyncSession]


async def test_story_detail(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        story = await add_story(
            session,
            StorySpec(
                "Fuite de données biométriques",
                "Des empreintes de détenus exposées.",
                language="fr",
                categories=["biometrics"],
                articles=[
                    Piece("Mediapart", "Empreintes exposées", source_url="https://mp.example/rss", source_name="MP"),
                    Piece(
                        "",
                        "Biometric leak in France",
                        language="en",
                        source_url="https://x.example/rss",
                        source_name="X News",
                    ),
                ],
            ),
        )
        story.facts = {"records": 120000, "entity": "Ministère"}
        for user, relevant in [(1, True), (2, True), (3, False)]:
            session.add(Feedback(guild_id=5, story_id=story.id, user_id=user, relevant=relevant))
    async with sessions() as session:
        detail = await get_story_detail(session, story.id)
        assert await get_story_detail(session, story.id + 1000) is None
    assert detail is not None
    assert detail.title == "Fuite de données biométriques"
    assert detail.summary == "Des empreintes de détenus exposées."
    assert detail.facts == {"records": 120000, "entity": "Ministère"}
    assert detail.categories == ("biometrics",)
    assert detail.first_seen == NOW
    # An article stored without an outlet name is named by its site, as alerts and story events name it.
    assert [(a.outlet, a.language) for a in detail.articles] == [("Mediapart", "fr"), ("x.example", "en")]
    assert all(a.url.startswith("https://") for a in detail.articles)
    assert (detail.relevant_votes, detail.not_relevant_votes) == (2, 1)


async def test_story_detail_without_feedback_or_articles(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        story = await add_story(session, StorySpec("Lonely story", "No articles."))
    async with sessions() as session:
        detail = await get_story_detail(session, story.id)
    assert detail is not None
    assert detail.articles == ()
    assert (detail.relevant_votes, detail.not_relevant_votes) == (0, 0)


async def test_status_counts(sessions: Sessions) -> None:
    async with sessions() as session:
        empty = await status_counts(session, NOW)
    assert (empty.sources_healthy, empty.sources_failing, empty.sources_disabled) == (0, 0, 0)
    assert empty.last_poll_at is None and empty.stories_24h == 0 and empty.deliveries_24h == 0

    async with sessions() as session, session.begin():
        session.add_all(
            [
                Source(url="https://a.example/rss", last_fetch_at=NOW - timedelta(minutes=5)),
                Source(url="https://b.example/rss", last_fetch_at=NOW - timedelta(minutes=2)),
                Source(url="https://c.example/rss", consecutive_failures=3, last_fetch_at=NOW - timedelta(hours=1)),
                Source(url="https://d.example/rss", enabled=False, disabled_reason="gone", consecutive_failures=9),
            ]
        )
        fresh = await add_story(session, StorySpec("Fresh", "new", first_seen=NOW - timedelta(hours=3)))
        await add_story(session, StorySpec("Old", "old", first_seen=NOW - timedelta(days=2)))
        sub = Subscription(guild_id=1, channel_id=2)
        session.add(sub)
        await session.flush()
        other = Story(title="x", summary="y", first_seen_at=NOW - timedelta(hours=1))
        session.add(other)
        await session.flush()
        session.add_all(
            [
                Delivery(
                    story_id=fresh.id,
                    subscription_id=sub.id,
                    guild_id=1,
                    channel_id=2,
                    nonce="a",
                    status="sent",
                    sent_at=NOW - timedelta(hours=2),
                ),
                Delivery(
                    story_id=other.id, subscription_id=sub.id, guild_id=1, channel_id=2, nonce="b", status="pending"
                ),
            ]
        )
    async with sessions() as session:
        counts = await status_counts(session, NOW)
    assert (counts.sources_healthy, counts.sources_failing, counts.sources_disabled) == (2, 1, 1)
    assert counts.last_poll_at == NOW - timedelta(minutes=2)
    assert counts.stories_24h == 2
    assert counts.deliveries_24h == 1


async def test_an_article_without_a_stored_outlet_is_named_the_same_everywhere(sessions: Sessions) -> None:
    # Before, /story said "X News" (its source's name), the alert "X News" too, and the story's events and
    # outlet count "x.example": one outlet named two ways within one story.
    async with sessions() as session, session.begin():
        spec = StorySpec("Leak", "Plates exposed.", articles=[Piece("", "Plates exposed", source_name="X News")])
        story = await add_story(session, spec)
        story.lead_article_id = (await session.scalars(select(Article.id))).one()
    async with sessions() as session:
        detail = await get_story_detail(session, story.id)
        views = await read_model.load(session, [story.id], guild_id=GLOBAL_SCOPE)
        article = await session.get(Article, story.lead_article_id)
    assert detail is not None and article is not None
    assert detail.articles[0].outlet == views[story.id].outlet == outlet_of(article) == "news.example"
