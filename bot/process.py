"""The processing step and its job: classify each new article, extract its facts, and put it into its story.

Per article, outside any transaction: the lexicon's first pass; the article page when the feed gave only a teaser
and the first pass found a cue; the embedding (in a worker thread) and the trained model's verdict. Then one
transaction: claim, store the verdict and the embedding, facts, story, and whatever `after_assign` adds (the
delivery rows), so an alert is queued exactly when its story changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.classify.classifier import default_classifier
from bot.classify.judge import Judge, pack
from bot.core.clock import utcnow
from bot.scheduling import add_interval_job
from bot.services import Services
from bot.stories.assign import AssignResult, assign_article
from bot.stories.facts import extract_facts
from bot.stories.language import normalise_language
from bot.stories.summary import extract_main_text, is_teaser
from bot.stories.text import clean_text
from storage import stories as repo
from storage.models import Article

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROCESS_TICK_S = 2.0
BATCH = 200


class Verdict(Protocol):
    """What a classifier returns; only these attributes are read."""

    @property
    def match(self) -> bool: ...

    @property
    def score(self) -> float: ...

    @property
    def categories(self) -> Any: ...

    @property
    def evidence(self) -> Any: ...


Classify = Callable[[str, str, str, str], Verdict]
FetchPage = Callable[[str], Awaitable[bytes | None]]
AfterAssign = Callable[[AsyncSession, AssignResult], Awaitable[None]]


async def _no_op(_session: AsyncSession, _result: AssignResult) -> None:
    return None


@dataclass(frozen=True, slots=True)
class _Judged:
    verdict: Verdict
    embedding: bytes | None
    page_text: str
    lang: str  # decided once when the article was read; stored and trusted afterwards


@dataclass(frozen=True, slots=True)
class _Feed:
    title: str
    summary: str
    content: str
    lang: str
    url: str | None
    teaser: bool


def _evidence(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if value is None:
        return {}
    try:
        return dict(value)
    except (TypeError, ValueError):
        return {"items": list(value) if isinstance(value, list | tuple | set) else str(value)}


@dataclass
class Processor:
    """Turns pending articles into stories. Built once by the runtime; tests build their own.

    With a `judge`, the bot's two-stage classifier decides (and pages are fetched only for stories that pass the
    first pass); with a plain `classify` callable (tests, `breachwatch dedupe`), that callable does.
    """

    sessions: async_sessionmaker[AsyncSession]
    judge: Judge | None = None
    classify: Classify | None = None
    fetch_page: FetchPage | None = None
    after_assign: AfterAssign = _no_op
    window_days: float = 7.0
    batch: int = BATCH
    max_attempts: int = MAX_ATTEMPTS
    # Failed attempts per article in this process; a restart gives a failing article fresh tries.
    failures: dict[int, int] = field(default_factory=dict)

    async def run(self) -> int:
        """Process until the queue is empty (the scheduled job); returns how many articles were done."""
        total = 0
        while True:
            done = await self.run_once()
            total += done
            if done < self.batch:
                break
        if total:
            log.info("processed %d new articles", total)
        return total

    async def run_once(self) -> int:
        """Process up to `batch` unprocessed articles, oldest first."""
        async with self.sessions() as session:
            ids = await repo.pending_article_ids(session, self.batch)
        done = 0
        for article_id in ids:
            try:
                judged = await self._judge(article_id)
                if judged is None:
                    continue
                async with self.sessions() as session, session.begin():
                    result = await _store(session, article_id, judged, self.window_days)
                    if result is None:
                        continue
                    await self.after_assign(session, result)
            except Exception:
                # A passing fault (the database, a deadlock) is retried on the next run; an article that keeps
                # failing must not block the queue, so after max_attempts it is set aside (processed, no story).
                tries = self.failures[article_id] = self.failures.get(article_id, 0) + 1
                if tries < self.max_attempts:
                    log.warning("article %s failed to process (try %d), will retry", article_id, tries, exc_info=True)
                    continue
                log.exception("article %s failed %d times; set aside", article_id, tries)
                self.failures.pop(article_id, None)
                async with self.sessions.begin() as session:
                    await repo.claim_article(session, article_id, utcnow())
                continue
            done += 1
        return done

    async def _read(self, article_id: int) -> _Feed | None:
        async with self.sessions() as session:
            article = await session.get(Article, article_id)
            if article is None or article.processed_at is not None:
                return None
            title, summary = clean_text(article.title), clean_text(article.summary)
            lang = normalise_language(article.language, f"{article.title}\n{article.summary}")
            return _Feed(
                title,
                summary,
                clean_text(article.content or ""),
                lang,
                article.url or article.canonical_url,
                not article.content and is_teaser(article.summary or ""),
            )

    async def _page_text(self, article_id: int, url: str) -> str:
        assert self.fetch_page is not None
        try:
            page = await self.fetch_page(url)
        except Exception as exc:  # a page that cannot be fetched leaves the feed text to work with
            log.info("page fetch failed for article %s: %s", article_id, type(exc).__name__)
            return ""
        if not page:
            return ""
        # trafilatura parses a whole page: tens of milliseconds that must not stall the event loop.
        return await asyncio.to_thread(extract_main_text, page, url)

    async def _judge(self, article_id: int) -> _Judged | None:
        feed = await self._read(article_id)
        if feed is None:
            return None
        judge = self.judge
        if judge is None:
            page = await self._page_text(article_id, feed.url or "") if self._wants_page(feed, True) else ""
            classify = self.classify or _lexicon_classify
            verdict = classify(feed.title, feed.summary, page or feed.content, feed.lang)
            return _Judged(verdict, None, page, feed.lang)
        clf = default_classifier()
        first = judge.first_pass(clf, feed.title, feed.summary, feed.content, feed.lang)
        page = ""
        if self._wants_page(feed, first.cue):
            page = await self._page_text(article_id, feed.url or "")
            if page:
                first = judge.first_pass(clf, feed.title, feed.summary, page, feed.lang)
        embedding = None
        if judge.wants_embedding(first):
            embedding = (await asyncio.to_thread(judge.encode, [first.text]))[0]
        verdict = judge.decide(first.verdict, embedding, clf.threshold)
        return _Judged(verdict, None if embedding is None else pack(embedding), page, feed.lang)

    def _wants_page(self, feed: _Feed, cue: bool) -> bool:
        return self.fetch_page is not None and cue and feed.teaser and bool(feed.url)


async def _store(session: AsyncSession, article_id: int, judged: _Judged, window_days: float) -> AssignResult | None:
    """Claim the article and store what was decided, inside the caller's transaction."""
    article = await repo.claim_article(session, article_id, utcnow())
    if article is None:
        return None
    if judged.page_text:
        article.content = judged.page_text
    lang = judged.lang
    if not article.language:
        article.language = lang
    verdict = judged.verdict
    article.match = bool(verdict.match)
    article.score = float(verdict.score)
    article.categories = sorted(verdict.categories or [])
    article.evidence = _evidence(verdict.evidence)
    if judged.embedding is not None or not article.embedding:
        # An embedding stored with the article beforehand (`breachwatch dedupe`, the dedupe benches) is kept when
        # this run computed none.
        article.embedding = judged.embedding
    title = clean_text(article.title)
    body = "\n".join(filter(None, [clean_text(article.summary), clean_text(article.content or "")]))
    article.facts = extract_facts(title, body, lang, article.published_at or article.first_seen_at).to_json()
    return await assign_article(session, article, timedelta(days=window_days))


async def process_article(
    session: AsyncSession, article_id: int, classify: Classify, window: timedelta, page_text: str = ""
) -> AssignResult | None:
    """Classify with a plain callable, claim and assign one article inside the caller's transaction (the
    concurrency tests and bench/dedupe.py drive this step directly)."""
    article = await session.get(Article, article_id)
    if article is None or article.processed_at is not None:
        return None
    lang = normalise_language(article.language, f"{article.title}\n{article.summary}")
    content = page_text or clean_text(article.content or "")
    verdict = classify(clean_text(article.title), clean_text(article.summary), content, lang)
    judged = _Judged(verdict, None, page_text, lang)
    return await _store(session, article_id, judged, window.total_seconds() / 86400)


def _lexicon_classify(title: str, summary: str, text: str, lang: str) -> Verdict:
    return default_classifier().classify(title, summary, text or None, lang)


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
    """One run of a throw-away Processor with a plain classifier (tests and `breachwatch dedupe`)."""
    processor = Processor(
        sessions,
        classify=classify,
        fetch_page=fetch_page,
        after_assign=after_assign or _no_op,
        window_days=window_days,
        batch=batch,
        failures={} if failures is None else failures,
    )
    return await processor.run_once()


async def _process_job(services: Services) -> int:
    assert services.processor is not None, "bot.runtime builds the processor before installing its job"
    return await services.processor.run()


def install(services: Services) -> None:
    """Schedule the processing job with the runtime's Processor."""
    add_interval_job(services, "process", _process_job, PROCESS_TICK_S)
