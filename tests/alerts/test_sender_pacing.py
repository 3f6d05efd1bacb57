"""The Discord sender paces every request it makes (alerts, edits, digests, notices) under Discord's global limit."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

from bot.discord_app.sender import DiscordSender


class _Http:
    def __init__(self) -> None:
        self.at: list[float] = []

    async def send_message(self, channel_id: int, **_kw: Any) -> dict[str, Any]:
        self.at.append(time.monotonic())
        return {"id": str(len(self.at))}

    async def edit_message(self, channel_id: int, message_id: int, **_kw: Any) -> None:
        self.at.append(time.monotonic())


async def test_sends_edits_and_notices_share_one_pace_of_at_most_fifty_a_second() -> None:
    http = _Http()
    sender = DiscordSender(SimpleNamespace(http=http, get_guild=lambda _id: None))  # type: ignore[arg-type]
    calls = []
    for i in range(25):
        calls.append(sender.send(i, {"content": "alert"}, nonce=f"n{i}"))  # alerts and digests post with send
        calls.append(sender.edit(i, 1, {"content": "update"}))
        calls.append(sender.notify(1, i, "notice"))
    started = time.monotonic()
    await asyncio.gather(*calls)
    assert len(http.at) == 75
    busiest = max(sum(1 for t in http.at[i:] if t - start < 1.0) for i, start in enumerate(http.at))
    assert busiest <= 50, busiest
    assert time.monotonic() - started >= (75 - 50) / 48  # paced, not merely counted
