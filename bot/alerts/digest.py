"""Daily and weekly digests: a period's queued stories for one subscription, gathered into few messages."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import read_model, render
from bot.alerts.sender import Sender, SendError
from storage import deliveries, subscriptions

log = logging.getLogger(__name__)


async def send_due_digests(sessions: async_sessionmaker[AsyncSession], sender: Sender, now: datetime) -> int:
    """Send every digest whose period has ended; returns the number of messages posted."""
    async with sessions.begin() as session:
        due = await subscriptions.digest_due(session, now)
    posted = 0
    for sub in due:
        async with sessions.begin() as session:
            rows = await deliveries.digest_rows(session, sub.id)
            views = await read_model.load(session, [r.story_id for r in rows], guild_id=sub.guild_id)
            if not rows:
                live = await session.get(type(sub), sub.id)
                if live is not None:
                    live.last_digest_at = now
                continue
        period = "daily" if sub.mode == "daily" else "weekly"
        ordered = [views[r.story_id] for r in rows if r.story_id in views]
        first_id: int | None = None
        try:
            for i, payload in enumerate(render.digest_payloads(ordered, period, sub.language)):
                nonce = f"bwd{sub.id}-{int(now.timestamp())}-{i}"[:25]
                message_id = await sender.send(sub.channel_id, payload, nonce=nonce)
                first_id = first_id or message_id
                posted += 1
        except SendError as exc:
            # Nothing is marked: the rows stay queued and the next run retries with the same nonces.
            log.warning("digest for subscription %s not sent yet: %s", sub.id, exc)
            continue
        async with sessions.begin() as session:
            await deliveries.mark_digest_sent(session, [r.id for r in rows], first_id or 0, now)
            live = await session.get(type(sub), sub.id)
            if live is not None:
                live.last_digest_at = now
    return posted
