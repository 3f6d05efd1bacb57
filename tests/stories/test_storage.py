"""Processing and story assignment against real SQLite and PostgreSQL: create, grow, follow up, events."""

from __future__ import annotations

import contextlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.process import process_pending
from bot.stories.assign import AssignResult
from storage import stories as repo
from storage.models import Article, Story, StoryBand, StoryEvent
from tests.stories_helpers import INCIDENT, Verdict, add_article, add_source, keyword_classify

PAGE = (
    b"<html><body><article><h1>Plate scans exposed</h1><p>The toll operator Quillmere confirmed that an open "
    b"server exposed 48,000 licence plate images taken by its cameras over two weeks in March.</p><p>The "
    b"company said it had closed the server and informed the data protection authority on Monday.</p>"
    b"</article></body></html>"
)


async def _story_rows(sessions: async_sessionmaker[AsyncSession]) -> list[Story]:
    async with sessions() as session:
        return list((await session.execute(select(Story).order_by(Story.id))).scalars())


async def test_incident_reports_become_one_story_with_events(sessions: async_sessionmaker[AsyncSession]) -> None:
    source = await add_source(sessions)
    for url, title, summary, lang, day, outlet in INCIDENT:
        await add_article(sessions, source, url, title, summary, lang, day, outlet)
    results: list[AssignResult] = []

    async def record(_session: AsyncSession, result: AssignResult) -> None:
        results.append(result)

    assert await process_pending(sessions, keyword_classify, after_assign=record) == 4
    assert await process_pending(sessions, keyword_classify, after_assign=record) == 0  # nothing left

    [story] = await _story_rows(sessions)
    assert [r.kind for r in results] == ["created", "grew", "grew", "follow_up"]
    assert [r.became_alertworthy for r in results] == [True, False, False, False]
    assert all(r.story_id == story.id for r in results)
    assert story.article_count == 4 and story.outlet_count == 4 and story.version == 4
    assert story.match and story.alertable and story.language == "en"
    assert story.facts["affected"] == 1_200_000
    assert "Nightowl" in story.facts["actors"]
    assert "licence_plates" in story.facts["data_types"]
    assert story.summary and len(story.summary) <= 350
    async with sessions() as session:
        events = await repo.story_events(session, story.id)
        assert [e.kind for e in events] == ["created", "grew", "grew", "follow_up"]
        assert events[-1].details["new_facts"]["affected"] == {"was": 310_000, "now": 1_200_000, "text": "1.2 million"}
        assert "Nightowl" in events[-1].details["new_facts"]["actors"]
        processed = await session.scalar(select(func.count()).where(Article.processed_at.is_not(None)))
        assert processed == 4
        bands = await session.scalar(select(func.count()).select_from(StoryBand).where(StoryBand.story_id == story.id))
        assert bands and bands > 16


async def test_processing_trusts_the_text_and_language_decided_at_parse(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = await add_source(sessions)
    # English text, declared Polish and analysed as French: neither language is decided again, and the stored
    # text (with a literal "&amp;" the parse step left) is not cleaned again.
    title = "Hackers leaked licence plate scans &amp; camera footage from a toll operator"
    article_id = await add_article(sessions, source, "https://one.example/t", title, "", "pl", "2025-03-03")
    async with sessions.begin() as session:
        article = await session.get(Article, article_id)
        assert article is not None
        article.analysis_language = "fr"
    seen: list[tuple[str, str]] = []

    def classify(title: str, summary: str, text: str, lang: str) -> Verdict:
        seen.append((title, lang))
        return keyword_classify(title, summary, text, lang)

    assert await process_pending(sessions, classify) == 1
    assert seen == [(title, "fr")]
    (story,) = await _story_rows(sessions)
    assert (story.language, story.title) == ("fr", title)
    async with sessions() as session:
        article = await session.get(Article, article_id)
        assert article is not None and (article.language, article.analysis_language) == ("pl", "fr")


async def test_rows_stored_without_an_analysis_language_get_one_when_processed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = await add_source(sessions)
    title = "Immagini delle targhe rubate a un fornitore della polizia di frontiera"
    article_id = await add_article(sessions, source, "https://one.example/i", title, "", "pl", "2025-03-03")
    assert await process_pending(sessions, keyword_classify) == 1
    async with sessions() as session:
        article = await session.get(Article, article_id)
        assert article is not None and (article.language, article.analysis_language) == ("pl", "it")


async def test_same_outlet_again_is_unchanged_and_other_incident_is_separate(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = await add_source(sessions)
    url, title, summary, lang, day, outlet = INCIDENT[0]
    await add_article(sessions, source, url, title, summary, lang, day, outlet)
    await add_article(sessions, source, url + "-update", title + " (update)", summary, lang, day, outlet)
    await add_article(
        sessions,
        source,
        "https://five.example/e",
        "Bakery chain loses loyalty-card passwords",
        "A breach at the bakery chain Crumbwell exposed hashed passwords of 20,000 loyalty members.",
        "en",
        "2025-03-04",
        "Five",
    )
    kinds: list[str] = []

    async def record(_session: AsyncSession, result: AssignResult) -> None:
        kinds.append(result.kind)

    await process_pending(sessions, keyword_classify, after_assign=record)
    assert kinds == ["created", "unchanged", "created"]
    stories = await _story_rows(sessions)
    assert len(stories) == 2
    assert stories[0].version == 1 and stories[0].article_count == 2
    assert not stories[1].match


async def test_not_alertable_story_becomes_alertworthy_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    source = await add_source(sessions)
    first, second = INCIDENT[0], INCIDENT[2]
    await add_article(sessions, source, *first, alertable=False)  # seen on a feed's first poll
    await add_article(sessions, source, *second)
    flags: list[bool] = []

    async def record(_session: AsyncSession, result: AssignResult) -> None:
        flags.append(result.became_alertworthy)

    await process_pending(sessions, keyword_classify, after_assign=record)
    assert flags == [False, True]


async def test_hook_failure_rolls_back_the_whole_article(sessions: async_sessionmaker[AsyncSession]) -> None:
    source = await add_source(sessions)
    await add_article(sessions, source, *INCIDENT[0])

    async def boom(_session: AsyncSession, _result: AssignResult) -> None:
        raise RuntimeError("delivery insert failed")

    with contextlib.suppress(RuntimeError):
        await process_pending(sessions, keyword_classify, after_assign=boom, failures={})
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Story)) == 0
        assert await session.scalar(select(func.count()).select_from(StoryEvent)) == 0
        # A first failure may be passing (the database, a deadlock): the article waits for the next run.
        assert await session.scalar(select(func.count()).where(Article.processed_at.is_(None))) == 1
    assert await process_pending(sessions, keyword_classify) == 1  # retried cleanly


async def test_teaser_fetches_the_page_through_the_injected_fetcher(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = await add_source(sessions)
    await add_article(
        sessions,
        source,
        "https://toll.example/news/1",
        "Toll operator exposes plate images",
        "Quillmere confirms an open server [...]",
        "en",
        "2025-04-01",
    )
    fetched: list[str] = []

    async def fetch(url: str) -> bytes:
        fetched.append(url)
        return PAGE

    await process_pending(sessions, keyword_classify, fetch_page=fetch)
    assert fetched == ["https://toll.example/news/1"]
    [story] = await _story_rows(sessions)
    assert story.summary.startswith("The toll operator Quillmere confirmed that an open server exposed 48,000")
    assert story.facts["affected"] == 48_000
    async with sessions() as session:
        article = (await session.execute(select(Article))).scalar_one()
        assert article.content and "48,000" in article.content
