"""The rows an alert is rendered from, for a set of stories, in two queries (bot.alerts.read_model shapes them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, Source, Story
from storage.scope import article_in_scope


@dataclass(frozen=True)
class ArticleRow:
    article: Article
    source_name: str | None
    source_guild: int  # the scope of the source that stored the article: 0 for the operator's, else its guild


StoryRows = tuple[Story, list[ArticleRow]]  # a story, and its articles, oldest first


async def story_rows(session: AsyncSession, story_ids: Iterable[int]) -> dict[int, StoryRows]:
    """Each stored story of `story_ids` with all its articles, oldest first, each with its source's name and scope
    (bot.alerts.read_model keeps those a guild may see)."""
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    stories = {s.id: s for s in (await session.execute(select(Story).where(Story.id.in_(ids)))).scalars()}
    rows = await session.execute(
        select(Article, Source.name, Source.guild_id)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.in_(ids))
        .order_by(Article.first_seen_at, Article.id)
    )
    by_story: dict[int, list[ArticleRow]] = defaultdict(list)
    for article, source_name, source_guild in rows.all():
        if article.story_id is not None:
            by_story[article.story_id].append(ArticleRow(article, source_name, int(source_guild)))
    return {sid: (story, by_story.get(sid, [])) for sid, story in stories.items()}


async def latest_match(session: AsyncSession, guild_id: int) -> int | None:
    """The most recent story that alerts and that the guild may see, for `/alerts test`."""
    visible = exists().where(Article.story_id == Story.id, article_in_scope(guild_id))
    query = select(Story.id).where(Story.match.is_(True), visible).order_by(Story.first_seen_at.desc(), Story.id.desc())
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def story_scopes(session: AsyncSession, story_id: int) -> set[int]:
    """The scopes of the sources whose articles the story holds: 0 for the operator's, else the guilds'."""
    rows = await session.execute(
        select(Source.guild_id)
        .join(Article, Article.source_id == Source.id)
        .where(Article.story_id == story_id)
        .distinct()
    )
    return {int(g) for g in rows.scalars()}
