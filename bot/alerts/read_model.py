"""The alert read-model: what an alert is about, for a set of stories, as the plain AlertView values the renderers
take. storage.alert_views loads the rows; choosing the lead article and the fallbacks are here, and outlets are
named as everywhere else (bot.stories.assign.outlet_of)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.view import AlertView, Outlet
from bot.stories.assign import outlet_of
from storage import alert_views
from storage.models import Article


def _outlet_name(article: Article) -> str:
    return outlet_of(article) or "unknown"


async def load(session: AsyncSession, story_ids: Iterable[int]) -> dict[int, AlertView]:
    views = {}
    for sid, (story, articles) in (await alert_views.story_rows(session, story_ids)).items():
        lead = next((a for a in articles if a[0].id == story.lead_article_id), articles[0] if articles else None)
        others = tuple(
            Outlet(_outlet_name(a), a.url or a.canonical_url, a.language)
            for a, _source_name in articles
            if lead is None or a.id != lead[0].id
        )
        views[sid] = AlertView(
            story_id=sid,
            title=story.title or (lead[0].title if lead else ""),
            url=(lead[0].url or lead[0].canonical_url) if lead else "",
            outlet=_outlet_name(lead[0]) if lead else "unknown",
            summary=story.summary or (lead[0].summary if lead else ""),
            published_at=(lead[0].published_at or lead[0].first_seen_at) if lead else story.first_seen_at,
            language=story.language,
            categories=tuple(story.categories or ()),
            facts=dict(story.facts or {}),
            evidence={k: list(v) for k, v in (story.evidence or {}).items() if isinstance(v, list)},
            score=story.score,
            others=others,
            version=story.version,
        )
    return views
