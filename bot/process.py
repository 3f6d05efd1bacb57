"""The processing step and its job: classify each new article, extract its facts, and put it into its story.

Per article, outside any transaction: the lexicon's first pass; the article page when the feed gave only a teaser
and the first pass found a cue; the embedding (in a worker thread) and the trained model's verdict. Then one
transaction: claim, store the verdict and the embedding, facts, story, and whatever `after_assign` adds (the
delivery rows), so an alert is queued exactly when its story changed.

A failure is either the environment's or the article's (`environment_fault`). The environment's (a full disk, a
locked or unreachable database, a lost connection) would fail every article alike, so it pauses the whole step with
backoff and never counts against the article; a network failure fetching one article's page defers that article
for a while. Only an article whose own processing keeps failing is set aside: processed, no story, listed by
`breachwatch stories --set-aside` and counted in /metrics, until `breachwatch reprocess` takes it back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.classify.classifier import default_classifier
from bot.classify.judge import Judge, pack
from bot.core.clock import utcnow
from bot.core.languages import analysis_language
from bot.faults import environment_fault
from bot.scheduling import add_interval_job
from bot.services import Services
from bot.stories.assign import AssignResult, assign_article
from bot.stories.facts import extract_facts
from bot.stories.pairing import PairJudge, committed_pair_judge
from bot.stories.summary import extract_main_text, is_teaser
from storage import stories as repo
from storage.models import Article

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROCESS_TICK_S = 2.0
BATCH = 200
# Pause after an environment failure: doubled at each failure in a row, up to the cap, reset by a success.
BACKOFF_FIRST_S = 2.0
BACKOFF_MAX_S = 120.0
# An article whose page cannot be reached (timeout, refused, DNS) waits and tries again for this long, then is
# judged on its feed text as before: a publisher that is down for good must not hold its article for ever.
PAGE_RETRY_FOR_S = 1200.0
PAGE_BACKOFF_FIRST_S = 30.0


class _PageDeferred(Exception):
    """The article's page could not be reached; the article waits and is tried again."""


@dataclass(slots=True)
class _PageWait:
    first: float  # monotonic time of the first failure
    tries: int = 0
    retry_at: float = 0.0


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
    lang: str  # the article's analysis language


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
    # The learned same-incident judgement for articles that carry an embedding (bot.stories.pairing); None: rules.
    pairs: PairJudge | None = field(default_factory=committed_pair_judge)
    batch: int = BATCH
    max_attempts: int = MAX_ATTEMPTS
    backoff_first: float = BACKOFF_FIRST_S
    backoff_max: float = BACKOFF_MAX_S
    page_retry_for: float = PAGE_RETRY_FOR_S
    page_backoff_first: float = PAGE_BACKOFF_FIRST_S
    # Failed attempts of the article's own processing, per article, in this process; a restart gives a failing
    # article fresh tries. Environment failures never count here.
    failures: dict[int, int] = field(default_factory=dict)
    # Environment failures in a row, and the monotonic time before which the step does not run again.
    env_failures: int = 0
    paused_until: float = 0.0
    # Articles whose page could not be reached, and when to try them again.
    page_waits: dict[int, _PageWait] = field(default_factory=dict)

    async def run(self) -> int:
        """Process until the queue is empty (the scheduled job); returns how many articles were done."""
        total = 0
        while True:
            done = await self.run_once()
            total += done
            if done < self.batch or self.paused_until > time.monotonic():
                break
        if total:
            log.info("processed %d new articles", total)
        return total

    async def run_once(self) -> int:
        """Process up to `batch` unprocessed articles, oldest first; nothing while paused by an environment
        failure."""
        now = time.monotonic()
        if self.paused_until > now:
            return 0
        try:
            async with self.sessions() as session:
                waiting = {a for a, wait in self.page_waits.items() if wait.retry_at > now}
                # Articles waiting for their page are skipped, so the query asks for that many more: they must not
                # fill the batch and stall the queue.
                ids = [
                    i for i in await repo.pending_article_ids(session, self.batch + len(waiting)) if i not in waiting
                ]
        except Exception as exc:
            if self._environment_failed(exc, None):
                return 0
            raise
        done = 0
        for article_id in ids[: self.batch]:
            try:
                judged = await self._judge(article_id)
                if judged is None:
                    continue
                async with self.sessions() as session, session.begin():
                    result = await _store(session, article_id, judged, self.window_days, self.pairs)
                    if result is None:
                        continue
                    await self.after_assign(session, result)
            except _PageDeferred:
                continue
            except Exception as exc:
                if self._environment_failed(exc, article_id):
                    # Every article after this one would fail alike: stop the run and wait.
                    break
                await self._article_failed(article_id, exc)
                continue
            self.env_failures = 0
            self.failures.pop(article_id, None)
            self.page_waits.pop(article_id, None)
            done += 1
        return done

    def _environment_failed(self, exc: BaseException, article_id: int | None) -> bool:
        """Pause the step with backoff when `exc` is the environment's; False when it is not."""
        kind = environment_fault(exc)
        if kind is None:
            return False
        self.env_failures += 1
        delay = min(self.backoff_max, self.backoff_first * 2 ** (self.env_failures - 1))
        self.paused_until = time.monotonic() + delay
        metrics.PROCESS_RETRIES.labels(kind).inc()
        # One line, no traceback: the same failure repeats at every try until the operator frees the disk or the
        # database comes back, and the article is not at fault.
        what = f"article {article_id}" if article_id is not None else "the queue"
        log.warning(
            "processing paused: %s failure (%s: %s) while processing %s; retrying in %.0fs, nothing is set aside",
            kind,
            type(exc).__name__,
            str(exc).splitlines()[0][:300] if str(exc) else "",
            what,
            delay,
        )
        return True

    async def _article_failed(self, article_id: int, exc: BaseException) -> None:
        """The article's own processing failed: retried on the next runs, set aside after max_attempts so that it
        cannot block the queue."""
        tries = self.failures[article_id] = self.failures.get(article_id, 0) + 1
        if tries < self.max_attempts:
            log.warning("article %s failed to process (try %d), will retry", article_id, tries, exc_info=exc)
            return
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        try:
            async with self.sessions.begin() as session:
                marked = await repo.set_aside_article(session, article_id, utcnow(), reason)
        except Exception as write_exc:
            if self._environment_failed(write_exc, article_id):
                return  # tried again after the pause, with the same count
            raise
        self.failures.pop(article_id, None)
        self.page_waits.pop(article_id, None)
        if marked:
            log.error(
                "article %s failed %d times; set aside (breachwatch reprocess %s takes it back)",
                article_id,
                tries,
                article_id,
                exc_info=exc,
            )

    async def _read(self, article_id: int) -> _Feed | None:
        async with self.sessions() as session:
            article = await session.get(Article, article_id)
            if article is None or article.processed_at is not None:
                return None
            # Text and language were decided when the entry was read: the stored values are used as they are.
            return _Feed(
                article.title,
                article.summary,
                article.content or "",
                _analysis_language(article),
                article.url or article.canonical_url,
                not article.content and is_teaser(article.summary or ""),
            )

    async def _page_text(self, article_id: int, url: str) -> str:
        assert self.fetch_page is not None
        try:
            page = await self.fetch_page(url)
        except Exception as exc:
            if environment_fault(exc) is not None and self._defer_page(article_id):
                log.info("article %s: page unreachable (%s), tried again later", article_id, type(exc).__name__)
                raise _PageDeferred from exc
            # A page that cannot be fetched (refused, not HTML, or unreachable for too long) leaves the feed text.
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

    def _defer_page(self, article_id: int) -> bool:
        """Schedule another try of the article's page with backoff; False once it has been tried for long enough."""
        now = time.monotonic()
        wait = self.page_waits.setdefault(article_id, _PageWait(now))
        if now - wait.first >= self.page_retry_for:
            return False
        wait.tries += 1
        wait.retry_at = now + self.page_backoff_first * 2 ** (wait.tries - 1)
        return True

    def _wants_page(self, feed: _Feed, cue: bool) -> bool:
        return self.fetch_page is not None and cue and feed.teaser and bool(feed.url)


async def _store(
    session: AsyncSession, article_id: int, judged: _Judged, window_days: float, pairs: PairJudge | None
) -> AssignResult | None:
    """Claim the article and store what was decided, inside the caller's transaction."""
    article = await repo.claim_article(session, article_id, utcnow())
    if article is None:
        return None
    if judged.page_text:
        article.content = judged.page_text
    lang = judged.lang
    if not article.analysis_language:
        article.analysis_language = lang
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
    body = "\n".join(filter(None, [article.summary, article.content or ""]))
    article.facts = extract_facts(article.title, body, lang, article.published_at or article.first_seen_at).to_json()
    return await assign_article(session, article, timedelta(days=window_days), pairs)


async def process_article(
    session: AsyncSession,
    article_id: int,
    classify: Classify,
    window: timedelta,
    page_text: str = "",
    pairs: PairJudge | Literal["committed"] | None = "committed",
) -> AssignResult | None:
    """Classify with a plain callable, claim and assign one article inside the caller's transaction (the
    concurrency tests and bench/dedupe.py drive this step directly)."""
    article = await session.get(Article, article_id)
    if article is None or article.processed_at is not None:
        return None
    lang = _analysis_language(article)
    content = page_text or article.content or ""
    verdict = classify(article.title, article.summary, content, lang)
    judged = _Judged(verdict, None, page_text, lang)
    judge = committed_pair_judge() if pairs == "committed" else pairs
    return await _store(session, article_id, judged, window.total_seconds() / 86400, judge)


def _analysis_language(article: Article) -> str:
    """The analysis language decided when the article was read; rows stored before it was kept (or inserted by
    hand) get the same decision from their stored text."""
    if article.analysis_language:
        return article.analysis_language
    return analysis_language(article.language, article.title, article.summary)


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
    pairs: PairJudge | Literal["committed"] | None = "committed",
) -> int:
    """One run of a throw-away Processor with a plain classifier (tests and `breachwatch dedupe`)."""
    processor = Processor(
        sessions,
        pairs=committed_pair_judge() if pairs == "committed" else pairs,
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
