"""Specifics that tie reports of one incident together, or keep look-alikes apart: sums of money versus counts,
small counted numbers, German compounds, and a lone early report re-linked once a later one bridges it.
All texts are our own fictional reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.process import process_pending
from bot.stories.decide import Candidate, agreement, best_story
from bot.stories.facts import find_counts
from bot.stories.names import split_compound
from bot.stories.signature import Signature, build_signature
from storage import stories as repo
from storage.models import Article, Story
from tests.stories_helpers import add_article, add_source, keyword_classify

WEEK = timedelta(days=7)


def sig(title: str, summary: str, lang: str, day: str) -> Signature:
    return build_signature(title, summary, lang, datetime.fromisoformat(day).replace(tzinfo=UTC))


def test_sums_of_money_are_marked_in_every_notation() -> None:
    for text in ("a fine of 250,000 euros", "a $1.5 million ransom", "Lösegeld von 2 Millionen Euro", "R$ 3 milhões"):
        [count] = find_counts(text)
        assert count.money and not count.counts_something, text
    [people] = find_counts("fewer than 250,000 people")
    assert people.counts_something and not people.money


def test_a_fine_never_matches_a_head_count() -> None:
    fined = sig(
        "Officer faces 250,000 euro fine over database look-ups",
        "Prosecutors say he could get five years and 250 000 euros for selling records.",
        "en",
        "2025-04-02",
    )
    leak = sig(
        "Records of 250,000 people taken from transit camera system",
        "The operator says 250,000 people may have been filmed.",
        "en",
        "2025-04-02",
    )
    assert agreement(fined, leak).numbers == 0.0


def test_small_counted_numbers_tie_languages_together() -> None:
    english = sig(
        "437 soldiers located through a running app", "Analysts matched 437 users to bases.", "en", "2025-05-01"
    )
    dutch = sig(
        "Ook 437 militairen te vinden via hardloopapp", "Het ging om 437 gebruikers op bases.", "nl", "2025-05-02"
    )
    assert [437.0, 1.0] in english.numbers
    assert agreement(dutch, english).numbers > 0


def test_german_compounds_share_their_parts() -> None:
    assert split_compound("Zulassungsstellen") == ("zulassung", "stellen")
    assert split_compound("Haurus") is None  # an unknown name is not cut into syllables
    one = sig(
        "Zulassungsstellen nach Angriff geschlossen",
        "Der Kreis meldet Ausfälle in allen Zulassungsstellen.",
        "de",
        "2025-06-01",
    )
    other = sig("Kfz-Zulassungen ruhen weiter", "Bürgerbüros stellen Zulassungen nur von Hand aus.", "de", "2025-06-02")
    assert set(one.terms["de"]) & set(other.terms["de"])


def test_same_kind_of_attack_on_another_town_the_same_week_stays_apart() -> None:
    first = sig(
        "Cyberangriff legt Verwaltung in Kellbach lahm",
        "Nach dem Angriff auf den Dienstleister Kellbach-Data sind Bürgerbüros und Zulassungsstellen geschlossen.",
        "de",
        "2025-06-01",
    )
    second = sig(
        "Hackerangriff auf Stadtwerke Rundeck: Kundendaten womöglich abgeflossen",
        "Die Stadtwerke Rundeck prüfen, ob Namen und Adressen von Kunden kopiert wurden.",
        "de",
        "2025-06-03",
    )
    assert best_story(second, [Candidate(1, first)], WEEK) is None


# A lone early report names only the vendor; the second names the city and a count; the third names all three.
STRAY = (
    "https://a.example/1",
    "Quillmore confirms intrusion at its analytics unit",
    "The analytics company Quillmore said an intruder reached one of its internal systems last weekend.",
    "en",
    "2025-07-01",
    "Outlet A",
)
SECOND = (
    "https://b.example/2",
    "Brenvik residents' visit records leaked",
    "Records of 48,200 residents of Brenvik, with their appointment times, were posted on a forum.",
    "en",
    "2025-07-02",
    "Outlet B",
)
BRIDGE = (
    "https://c.example/3",
    "Brenvik leak traced to Quillmore breach",
    "The 48,200 Brenvik records came from the intrusion at Quillmore, the city said.",
    "en",
    "2025-07-03",
    "Outlet C",
)


async def _story_of(sessions: async_sessionmaker[AsyncSession], url: str) -> int | None:
    async with sessions() as session:
        return await session.scalar(select(Article.story_id).where(Article.canonical_url == url))


async def test_a_later_report_bridges_a_lone_early_one_into_the_story(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = await add_source(sessions)
    for item in (STRAY, SECOND):
        await add_article(sessions, source, *item)
    await process_pending(sessions, keyword_classify)
    assert await _story_of(sessions, STRAY[0]) != await _story_of(sessions, SECOND[0])  # nothing links them yet
    await add_article(sessions, source, *BRIDGE)
    await process_pending(sessions, keyword_classify)
    story = await _story_of(sessions, SECOND[0])
    assert await _story_of(sessions, STRAY[0]) == story == await _story_of(sessions, BRIDGE[0])
    async with sessions() as session:
        live = select(func.count()).select_from(Story).where(Story.merged_into.is_(None))
        assert await session.scalar(live) == 1
        row = await session.get(Story, story)
        assert row is not None and row.article_count == 3
        assert "merged" in [e.kind for e in await repo.story_events(session, row.id)]
        # The re-link is a change channels see at once: the version moved past both stories'.
        assert row.version == 3  # created 1, grown by the bridge 2, merged 3


async def test_a_stray_that_already_alerted_is_merged_too_and_survives(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """It was left apart before, so that no posted alert lost its story; merges now carry the alerts along
    (tests/alerts/test_merge.py), so the older story survives with the others' articles."""
    source = await add_source(sessions)
    alerted = (STRAY[0], STRAY[1] + ": camera footage leaked", *STRAY[2:])  # the test classifier matches it
    for item in (alerted, SECOND):
        await add_article(sessions, source, *item)
    await process_pending(sessions, keyword_classify)
    stray = await _story_of(sessions, STRAY[0])
    await add_article(sessions, source, *BRIDGE)
    await process_pending(sessions, keyword_classify)
    assert await _story_of(sessions, BRIDGE[0]) == stray == await _story_of(sessions, SECOND[0])
    async with sessions() as session:
        absorbed = await session.scalar(select(Story).where(Story.merged_into == stray))
        assert absorbed is not None and absorbed.id != stray
