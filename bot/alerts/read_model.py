"""The alert read-model: what a story is, as one guild may see it, and the plain AlertView values the renderers take.

Stories group the articles of every source, whoever added it; a guild sees only the articles of its scope (the
operator's sources and its own, storage.scope). When every article of a story is in scope, the story's own headline,
summary and facts are what the guild sees; otherwise they are drawn again from the articles in scope alone, the way
bot.stories.assign draws them from all. storage.alert_views loads the rows; the choices are made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.view import AlertView, Outlet
from bot.core.languages import analysis_language
from bot.core.text import strip_markdown
from bot.stories.assign import merge_facts, outlet_of
from bot.stories.summary import SourceText, choose_summary
from storage import alert_views, stories
from storage.alert_views import ArticleRow
from storage.models import Article, Story
from storage.scope import visible_to
from storage.story_detail import StoryDetail, get_story_detail


@dataclass(frozen=True)
class ScopedStory:
    """A story as one guild may see it: only its articles in the guild's scope, and what they say."""

    story: Story
    articles: tuple[ArticleRow, ...]  # in scope, oldest first; never empty
    lead: ArticleRow
    title: str
    summary: str
    language: str | None
    languages: frozenset[str]  # the story's language and every article's: a subscription's language filter
    match: bool
    score: float
    categories: tuple[str, ...]
    evidence: dict[str, Any]
    facts: dict[str, Any]
    alertable: bool


def _lang(code: str | None) -> str | None:
    """A feed's language code as the two letters subscriptions filter on ("fr-FR" -> "fr")."""
    if not code:
        return None
    return code.strip().lower().replace("_", "-").split("-")[0] or None


def scope_story(story: Story, rows: Sequence[ArticleRow], guild_id: int) -> ScopedStory | None:
    """`story` as `guild_id` may see it, from its article rows (all of them, oldest first); None when no article of
    it is in the guild's scope, so the story does not exist for that guild."""
    mine = tuple(r for r in rows if visible_to(r.source_guild, guild_id))
    if not mine:
        return None
    lead = next((r for r in mine if r.article.id == story.lead_article_id), mine[0])
    languages = frozenset(code for r in mine if (code := _lang(r.article.language)))
    if len(mine) == len(rows):
        return ScopedStory(
            story=story,
            articles=mine,
            lead=lead,
            title=story.title,
            summary=story.summary,
            language=story.language,
            languages=(languages | {story.language}) if story.language else languages,
            match=bool(story.match),
            score=float(story.score or 0.0),
            categories=tuple(story.categories or ()),
            evidence=dict(story.evidence or {}),
            facts=dict(story.facts or {}),
            alertable=bool(story.alertable),
        )
    articles = [r.article for r in mine]
    head = lead.article
    # Decided when the article was read (bot.core.languages); rows stored before that decision get it here.
    language = head.analysis_language or analysis_language(head.language, head.title, head.summary)
    facts: dict[str, Any] = {}
    for a in articles:
        facts, _news = merge_facts(facts, a.facts or {})
    matching = [a for a in articles if a.match]
    strongest = max(matching, key=lambda a: float(a.score or 0.0), default=None)
    sources = [SourceText(a.title, a.content or a.summary, _lang(a.language)) for a in articles]
    return ScopedStory(
        story=story,
        articles=mine,
        lead=lead,
        title=strip_markdown(head.title),
        summary=choose_summary(sources, language) or head.summary,
        language=language,
        languages=languages | {language},
        match=bool(matching),
        score=max(float(a.score or 0.0) for a in articles),
        categories=tuple(sorted({c for a in articles for c in (a.categories or ())})),
        evidence=dict(strongest.evidence or {}) if strongest is not None else {},
        facts=facts,
        alertable=any(a.alertable for a in articles),
    )


def _outlet_name(article: Article) -> str:
    return outlet_of(article) or "unknown"


def alert_view(scoped: ScopedStory) -> AlertView:
    story, lead = scoped.story, scoped.lead.article
    others = tuple(
        Outlet(
            _outlet_name(r.article),
            r.article.url or r.article.canonical_url,
            r.article.language,
            r.article.title or "",
            r.article.summary or "",
        )
        for r in scoped.articles
        if r.article.id != lead.id
    )
    return AlertView(
        story_id=story.id,
        title=scoped.title or lead.title,
        url=lead.url or lead.canonical_url,
        outlet=_outlet_name(lead),
        summary=scoped.summary or lead.summary,
        published_at=lead.published_at or lead.first_seen_at,
        language=scoped.language,
        categories=scoped.categories,
        facts=scoped.facts,
        evidence={k: list(v) for k, v in scoped.evidence.items() if isinstance(v, list)},
        score=scoped.score,
        others=others,
        version=story.version,
    )


async def load(session: AsyncSession, story_ids: Iterable[int], *, guild_id: int) -> dict[int, AlertView]:
    """The alerts of `story_ids` as `guild_id` sees them; a story it may not see is left out."""
    views = {}
    # Every article is read, not only those in scope: whether the guild sees all of the story decides whether the
    # story's own headline and summary, drawn from all of them, may be shown.
    for sid, (story, rows) in (await alert_views.story_rows(session, story_ids)).items():
        scoped = scope_story(story, rows, guild_id)
        if scoped is not None:
            views[sid] = alert_view(scoped)
    return views


async def load_for(session: AsyncSession, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], AlertView]:
    """The alerts of (story, guild) pairs, each as its guild sees it, from one read of the stories' articles."""
    wanted = set(pairs)
    rows = await alert_views.story_rows(session, {sid for sid, _ in wanted})
    views = {}
    for sid, guild_id in wanted:
        if sid not in rows:
            continue
        scoped = scope_story(*rows[sid], guild_id)
        if scoped is not None:
            views[(sid, guild_id)] = alert_view(scoped)
    return views


async def story_detail(session: AsyncSession, story_id: int, *, guild_id: int) -> StoryDetail | None:
    """`/story`: the story as `guild_id` may see it, or None when there is no such story for that guild. A story
    merged into another one is shown as that one (its alerts point there too)."""
    story_id = (await stories.merged_into(session, [story_id])).get(story_id, story_id)
    loaded = (await alert_views.story_rows(session, [story_id])).get(story_id)
    if loaded is None:
        return None
    story, rows = loaded
    scoped = scope_story(story, rows, guild_id)
    detail = await get_story_detail(session, story_id, guild_id=guild_id) if scoped is not None else None
    if scoped is None or detail is None:
        return None
    if len(scoped.articles) == len(rows):
        return detail
    return replace(
        detail,
        title=scoped.title,
        summary=scoped.summary,
        facts=scoped.facts,
        language=scoped.language,
        categories=scoped.categories,
        outlet_count=len({a.outlet for a in detail.articles}),
    )
