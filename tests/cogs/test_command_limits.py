"""Commands answer for everyone (issue 15, item 4), through the emulator on real SQL: heavy work runs in the
command workers (never on the event loop, never in a thread left running), members have cooldowns, a full pool
says so, and a server holds at most what the operator allows."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import psutil
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import insert, select

from bot import tuning
from bot.classify import RuleError
from bot.classify.proposals import make_op
from bot.core.clock import utcnow
from bot.i18n import t
from storage.bulk_load import bulk_insert
from storage.models import Article, Source, Story
from tests.botfixtures import TestBot
from tests.emulator import constants as perms
from tests.emulator.server import Emulator
from tests.feedserver import rss, sample_items

HUGE_ENTRIES = 100_000


def huge_feed(n: int = HUGE_ENTRIES) -> bytes:
    # About 6 MB: under the 10 MB body limit, so it is the parse that must be stopped.
    items = "".join(f"<item><title>E{i}</title><link>https://h.example/{i}</link></item>" for i in range(n))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title>{items}</channel></rss>'.encode()


@pytest.fixture
async def site() -> AsyncIterator[str]:
    huge = huge_feed()

    async def feed(_request: web.Request) -> web.Response:
        return web.Response(body=rss(sample_items(3)), content_type="application/rss+xml")

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=huge, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed/{n}", feed)
    app.router.add_get("/huge", big)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


@pytest.fixture
def admin(emulator: Emulator) -> Any:
    return emulator.add_member("server-admin", permissions=perms.MANAGE_GUILD)


async def _run(emu: Emulator, group: str, sub: str, member: Any, timeout: float = 10, **options: Any) -> str:
    inv = await emu.invoke(group, options, subcommand=sub, member=member)
    return str((await inv.wait_message(timeout=timeout))["content"])


def _threads_in_parser() -> list[str]:
    """Threads of this process executing the feed parser (bot/feeds/parse.py or feedparser) right now."""
    found = []
    for ident, frame in sys._current_frames().items():
        f: Any = frame
        while f is not None:
            name = f.f_code.co_filename
            if name.endswith("bot/feeds/parse.py") or "/feedparser/" in name:
                found.append(f"thread {ident} in {name}")
                break
            f = f.f_back
    return found


def _children_cpu() -> float:
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@pytest.mark.settings(allow_private_sources=True, parse_timeout=2)
async def test_a_huge_feed_is_refused_within_the_timeout_and_nothing_keeps_parsing(
    emulator: Emulator, bw: TestBot, admin: Any, site: str
) -> None:
    """A 100,000-entry feed given to /sources check: parsing it takes far longer than the 2 s allowed. The answer
    is a clear refusal within the time-out, and afterwards no thread of the bot and no worker process is still
    parsing it (in a thread, as before, the parse went on for its whole course, holding hundreds of MB)."""
    started = time.monotonic()
    text = await _run(emulator, "sources", "check", admin, timeout=30, url=site + "huge")
    elapsed = time.monotonic() - started
    assert "not a feed I can read" in text and "took longer than 2s and was stopped" in text
    assert elapsed < 2 + 6, f"the refusal took {elapsed:.1f} s"
    await asyncio.sleep(0.3)
    assert _threads_in_parser() == []
    before = _children_cpu()
    await asyncio.sleep(1.0)
    assert _children_cpu() - before < 0.3, "a worker process is still computing"
    async with bw.services.sessions() as s:
        assert (await s.execute(select(Source))).first() is None


SUMMARY = (
    "Hackers copied the archive of a city's licence-plate readers and put it up for sale. The vendor says the "
    "intruders used a contractor's password; the police say the footage of drivers covers three years. "
) * 4


async def _bulk_stories(bw: TestBot, n: int) -> None:
    """`n` stories, each with one article from an operator's source: servers see only stories reported in scope."""
    now = utcnow()
    rows = [(f"Police camera footage of drivers leaked online, case {i}", SUMMARY, "en", now, now) for i in range(n)]
    async with bw.services.engine.begin() as conn:
        columns = ("title", "summary", "language", "first_seen_at", "updated_at")
        await bulk_insert(conn, Story.__table__, columns, rows)
        source_id = (
            await conn.execute(insert(Source).values(url="https://operator.example/feed.xml").returning(Source.id))
        ).scalar_one()
        story_ids = (await conn.execute(select(Story.id).order_by(Story.id))).scalars().all()
        articles = [
            (source_id, f"https://operator.example/{i}", title, summary, "en", now, now, f"h{i}", story_id)
            for i, (story_id, (title, summary, *_)) in enumerate(zip(story_ids, rows, strict=True))
        ]
        columns = (
            "source_id",
            "canonical_url",
            "title",
            "summary",
            "language",
            "first_seen_at",
            "updated_at",
            "content_hash",
            "story_id",
        )
        await bulk_insert(conn, Article.__table__, columns, articles)


async def test_a_keywords_preview_does_not_stall_the_event_loop(emulator: Emulator, bw: TestBot, admin: Any) -> None:
    """Re-scoring 2,000 stories twice takes seconds of CPU; on the event loop it stalled every server for all of
    it. A ticker on the bot's loop must never wake more than half a second late while the preview runs."""
    await _bulk_stories(bw, 2000)
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    ticking = asyncio.create_task(ticker())
    text = await _run(emulator, "keywords", "block", admin, timeout=60, term="footage")
    done.set()
    await ticking
    assert "Would stop alerting" in text and "2,000 stories" in text
    assert max(lags) < 0.5, f"the event loop stalled for {max(lags):.2f} s"


async def test_keywords_and_sources_have_per_member_cooldowns(emulator: Emulator, bw: TestBot, admin: Any) -> None:
    answers = [await _run(emulator, "keywords", "test", admin, text=f"Police database leaked {i}") for i in range(6)]
    assert all("Please wait" not in a for a in answers[:5])
    assert "Please wait" in answers[5] and "5 times in 30 s" in answers[5]
    # Another member is not held back by the first one's burst.
    other = emulator.add_member("other-admin", permissions=perms.MANAGE_GUILD)
    assert "Please wait" not in await _run(emulator, "keywords", "test", other, text="Police database leaked")
    # A change re-scores a month of stories: five a minute.
    changes = [await _run(emulator, "keywords", "block", other, term=f"term{i}") for i in range(6)]
    assert "Please wait" in changes[5] and all("Please wait" not in c for c in changes[:5])
    # /sources add and check fetch a whole feed: twice a minute (even when the address is refused).
    checks = [await _run(emulator, "sources", "check", admin, url="ftp://example.org/feed") for _ in range(3)]
    assert "Please wait" in checks[2] and "2 times in 60 s" in checks[2]


async def test_the_cooldown_answer_is_in_the_members_language(emulator: Emulator, bw: TestBot, admin: Any) -> None:
    for _ in range(2):
        await _run(emulator, "sources", "check", admin, url="ftp://example.org/feed")
    inv = await emulator.invoke(
        "sources", {"url": "ftp://example.org/feed"}, subcommand="check", member=admin, locale="fr"
    )
    answer = (await inv.wait_message())["content"]
    assert answer.startswith("Merci de patienter") and "2 fois en 60 s" in answer
    assert int((await inv.wait_message())["flags"]) & 64


@pytest.mark.settings(command_jobs=1)
async def test_a_full_command_pool_says_busy(emulator: Emulator, bw: TestBot, admin: Any) -> None:
    pool = bw.services.command_pool
    assert pool is not None
    occupied = asyncio.create_task(pool.run(time.sleep, 3))
    await asyncio.sleep(0.05)
    assert pool.full
    text = await _run(emulator, "keywords", "block", admin, term="footage")
    assert text == t("en", "errors.busy")
    occupied.cancel()
    await asyncio.gather(occupied, return_exceptions=True)
    assert not pool.full
    assert "Pending change" in await _run(emulator, "keywords", "block", admin, timeout=30, term="footage")


@pytest.mark.settings(allow_private_sources=True, guild_max_sources=1)
async def test_a_server_holds_at_most_the_sources_allowed(
    emulator: Emulator, bw: TestBot, admin: Any, site: str
) -> None:
    assert "Added" in await _run(emulator, "sources", "add", admin, url=site + "feed/1")
    refused = await _run(emulator, "sources", "add", admin, url=site + "feed/2")
    assert "already has 1 feeds of its own" in refused
    # Adding the one it has again is not a second feed (another moderator: two adds a minute each).
    other = emulator.add_member("other-admin", permissions=perms.MANAGE_GUILD)
    again = await _run(emulator, "sources", "add", other, url=site + "feed/1")
    assert "Test feed" in again and "already has" not in again
    async with bw.services.sessions() as s:
        urls = (await s.execute(select(Source.url).where(Source.guild_id == emulator.guild.id))).scalars().all()
    assert urls == [site + "feed/1"]


@pytest.mark.settings(guild_max_pending=2)
async def test_a_server_stages_at_most_the_pending_changes_allowed(emulator: Emulator, bw: TestBot, admin: Any) -> None:
    assert "Pending change" in await _run(emulator, "keywords", "block", admin, term="drone show")
    assert "Pending change" in await _run(emulator, "keywords", "force", admin, term="vigilex")
    refused = await _run(emulator, "keywords", "block", admin, term="air show")
    assert "already has 2 changes pending" in refused


@pytest.mark.settings(guild_max_rules=2)
async def test_a_server_holds_at_most_the_rules_allowed(emulator: Emulator, bw: TestBot, admin: Any) -> None:
    async with bw.services.sessions.begin() as s:
        await tuning.add_rule(s, emulator.guild.id, "drone show", "block")
        await tuning.add_rule(s, emulator.guild.id, "air show", "block")
    refused = await _run(emulator, "keywords", "force", admin, term="vigilex")
    assert "at most 2 rules" in refused and "would have 3" in refused
    # Replacing or removing one is still possible at the cap.
    assert "Pending change" in await _run(emulator, "keywords", "remove", admin, term="air show")


async def test_applying_checks_the_rule_cap_against_the_rules_stored_now(bw: TestBot) -> None:
    """Two previews may each fit under the cap and together exceed it: apply checks again, and refuses."""
    guild = 4242
    async with bw.services.sessions.begin() as s:
        await tuning.apply_ops(s, guild, [make_op("block", term="drone show")], max_rules=2)
        await tuning.apply_ops(s, guild, [make_op("block", term="air show")], max_rules=2)
    with pytest.raises(RuleError, match="at most 2 rules"):
        async with bw.services.sessions.begin() as s:
            await tuning.apply_ops(s, guild, [make_op("force", term="vigilex")], max_rules=2)
    async with bw.services.sessions() as s:
        assert (await tuning.load_guild_rules(s, guild)).rule_count == 2
