"""Bot start-up and errors through the emulator: command sync only on change, error ids, digests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from bot.alerts.digest import send_due_digests
from bot.core.clock import utcnow
from bot.services import Services
from tests.botfixtures import TestBot, make_bot, new_story, subscribe
from tests.emulator.server import Emulator

SYNC_ROUTE = "PUT /applications/{application_id}/commands"


async def test_commands_sync_only_when_the_tree_changes(
    emulator: Emulator, services: Services, start_discord: Any
) -> None:
    first = make_bot(services)
    await start_discord(first)
    assert len(emulator.requests(SYNC_ROUTE)) == 1
    await first.close()
    second = make_bot(services)
    await start_discord(second)
    assert len(emulator.requests(SYNC_ROUTE)) == 1, "a restart with the same commands must not sync"
    await second.close()
    changed = make_bot(services)

    @changed.tree.command(name="extra", description="A command added in a new release")
    async def extra(interaction: Any) -> None:
        await interaction.response.send_message("hi")

    await start_discord(changed)
    assert len(emulator.requests(SYNC_ROUTE)) == 2


async def test_unexpected_error_is_logged_with_an_id(emulator: Emulator, bw: TestBot, caplog: Any) -> None:
    async with bw.services.engine.begin() as conn:
        cascade = " CASCADE" if conn.dialect.name == "postgresql" else ""
        await conn.execute(text("DROP TABLE subscriptions" + cascade))
    inv = await emulator.invoke("alerts", {}, subcommand="list")
    answer = await inv.wait_message()
    assert "error id" in answer["content"] and int(answer["flags"]) & 64
    error_id = answer["content"].split("`")[1]
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_daily_digest_posts_one_message(emulator: Emulator, bw: TestBot) -> None:
    await subscribe(emulator, mode="daily")
    for i in range(4):
        await new_story(bw.services, title=f"Incident {i}: doorbell camera footage exposed")
    assert await send_due_digests(bw.services.sessions, bw.sender, utcnow()) == 0
    posted = await send_due_digests(bw.services.sessions, bw.sender, utcnow() + timedelta(days=1, seconds=5))
    assert posted == 1
    [message] = emulator.messages(emulator.channel)
    assert "daily digest: 4 stories" in message["content"]
    assert sum(e["description"].count("doorbell camera") for e in message["embeds"]) == 4
    # Nothing is posted twice.
    assert await send_due_digests(bw.services.sessions, bw.sender, utcnow() + timedelta(days=2, seconds=10)) == 0
