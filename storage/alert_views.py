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


async def story_rows(
    session: AsyncSession, story_ids: Iterable[int], *, guild_id: int | None = None
) -> dict[int, StoryRows]:
    """Each stored story of `story_ids` with its articles, oldest first; with `guild_id`, only the articles that
    guild may see (storage.scope), and a story with none of them is left out."""
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    stories = {s.id: s for s in (await session.execute(select(Story).where(Story.id.in_(ids)))).scalars()}
    query = (
        select(Article, Source.name, Source.guild_id)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.in_(ids))
        .order_by(Article.first_seen_at, Article.id)
    )
    if guild_id is not None:
        query = query.where(article_in_scope(guild_id))
    by_story: dict[int, list[ArticleRow]] = defaultdict(list)
    for article, source_name, source_guild in (await session.execute(query)).all():
        if article.story_id is not None:
            by_story[article.story_id].append(ArticleRow(article, source_name, int(source_guild)))
    if guild_id is not None:
        return {sid: (story, by_story[sid]) for sid, story in stories.items() if by_story.get(sid)}
    return {sid: (story, by_story.get(sid, [])) for sid, story in stories.items()}


async def latest_match(session: AsyncSession, guild_id: int) -> int | None:
    """The most recent story that alerts and that the guild may see, for `/alerts test`."""
    visible = exists().where(Article.story_id == Story.id, article_in_scope(guild_id))
    query = select(Story.id).where(Story.match.is_(True), visible).order_by(Story.first_seen_at.desc(), Story.id.desc())
    return (await session.execute(query.limit(1))).scalar_one_or_none()
