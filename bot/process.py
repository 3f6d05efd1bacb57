"""The processing step: classify each new article, extract its facts, and put it into its story.

Each article is one transaction: claim, classify, facts, story, and whatever `after_assign` adds (the delivery
rows), so an alert is queued exactly when its story changed.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.assign import AssignResult, assign_article
from bot.stories.facts import extract_facts
from bot.stories.language import normalise_language
from bot.stories.summary import extract_main_text, is_teaser
from bot.stories.text import clean_text
from storage import stories as repo
from storage.models import Article
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Failed attempts per article in this process; a restart gives a failing article fresh tries.
_FAILURES: dict[int, int] = {}


class Verdict(Protocol):
    """What the classifier returns; only these attributes are read."""

    @property
    def match(self) -> bool: ...

    @property
    def score(self) -> float: ...

    @property
    def categories(self) -> Any: ...

    @property
    def evidence(self) -> Any: ...


Classify = Callable[[str, str, str, str], "Verdict | Awaitable[Verdict]"]
FetchPage = Callable[[str], Awaitable[bytes | None]]
AfterAssign = Callable[[AsyncSession, AssignResult], Awaitable[None]]


async def _no_op(_session: AsyncSession, _result: AssignResult) -> None:
    return None


async def _page_text(sessions: async_sessionmaker[AsyncSession], article_id: int, fetch_page: FetchPage) -> str:
    """The article page's main text when the feed gave only a teaser (fetched outside any transaction)."""
    async with sessions() as session:
        article = await session.get(Article, article_id)
        if article is None or article.processed_at is not None or article.content:
            return ""
        if not is_teaser(article.summary or "") or not (article.url or article.canonical_url):
            return ""
        url = article.url or article.canonical_url
    try:
        page = await fetch_page(url)
    except Exception as exc:  # a page that cannot be fetched leaves the feed text to work with
        log.info("page fetch failed for article %s: %s", article_id, type(exc).__name__)
        return ""
    return extract_main_text(page, url) if page else ""


def _evidence(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    return {"items": list(value) if isinstance(value, list | tuple | set) else str(value)}


async def process_article(
    session: AsyncSession,
    article_id: int,
    classify: Classify,
    window: timedelta,
    page_text: str = "",
) -> AssignResult | None:
    """Claim, classify, extract facts and assign one article inside the caller's transaction."""
    article = await repo.claim_article(session, article_id, utcnow())
    if article is None:
        return None
    if page_text:
        article.content = page_text
    lang = normalise_language(article.language, f"{article.title}\n{article.summary}")
    if not article.language:
        article.language = lang
    title, summary = clean_text(article.title), clean_text(article.summary)
    verdict = classify(title, summary, clean_text(article.content or ""), lang)
    if inspect.isawaitable(verdict):
        verdict = await verdict
    article.match = bool(verdict.match)
    article.score = float(verdict.score)
    article.categories = sorted(verdict.categories or [])
    article.evidence = _evidence(verdict.evidence)
    body = "\n".join(filter(None, [summary, clean_text(article.content or "")]))
    article.facts = extract_facts(title, body, lang, article.published_at or article.first_seen_at).to_json()
    return await assign_article(session, article, window)


async def process_pending(
    sessions: async_sessionmaker[AsyncSession],
    classify: Classify,
    *,
    window_days: float = 7.0,
    batch: int = 100,
    fetch_page: FetchPage | None = None,
    after_assign: AfterAssign | None = None,
    failures: dict[int, int] | None = None,
) -> int:
    """Process up to `batch` unprocessed articles, oldest first; returns how many this call processed."""
    hook = after_assign or _no_op
    failures = _FAILURES if failures is None else failures
    window = timedelta(days=window_days)
    async with sessions() as session:
        ids = await repo.pending_article_ids(session, batch)
    done = 0
    for article_id in ids:
        page_text = await _page_text(sessions, article_id, fetch_page) if fetch_page else ""
        try:
            async with sessions() as session, session.begin():
                result = await process_article(session, article_id, classify, window, page_text)
                if result is None:
                    continue
                await hook(session, result)
        except Exception:
            # A passing fault (the database, a deadlock) is retried on the next run; an article that keeps
            # failing must not block the queue, so after MAX_ATTEMPTS it is set aside (processed, in no story).
            tries = failures[article_id] = failures.get(article_id, 0) + 1
            if tries < MAX_ATTEMPTS:
                log.warning("article %s failed to process (try %d), will retry", article_id, tries, exc_info=True)
                continue
            log.exception("article %s failed %d times; set aside", article_id, tries)
            failures.pop(article_id, None)
            async with sessions.begin() as session:
                await repo.claim_article(session, article_id, utcnow())
            continue
        done += 1
    return done
