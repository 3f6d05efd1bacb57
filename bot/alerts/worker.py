"""The delivery worker: sends queued rows oldest first per channel, marks them, retries, never drops silently."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.alerts import read_model, render
from bot.alerts.sender import ChannelGone, NoAccess, RateLimited, Rejected, Sender, SendError, Transient
from bot.alerts.text import cut, safe
from bot.alerts.view import AlertView
from bot.core.clock import utcnow
from bot.i18n import t
from storage import deliveries, notices, stories, subscriptions
from storage.deliveries import DeliveryJob, ShardFilter

log = logging.getLogger(__name__)

ACCESS_TRIES = 3
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class DeliveryStats:
    sent: int = 0
    edited: int = 0
    followups: int = 0
    retried: int = 0
    failed: int = 0
    paused: int = 0
    rate_limited: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def backoff(attempts: int, base: float = 5.0) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=base * 2 ** max(0, attempts - 1)))


class DeliveryWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        *,
        owner: str = "worker",
        shards: ShardFilter | None = None,
        batch: int = 500,
        channel_concurrency: int = 64,
        lease: timedelta = timedelta(seconds=120),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.owner = owner
        self.shards = shards
        self.batch = batch
        self.channel_limit = asyncio.Semaphore(channel_concurrency)
        self.clock = clock
        self.lease = lease

    async def run_once(self) -> DeliveryStats:
        """Claim what is due, send it, and repeat until nothing is due; returns what happened."""
        stats = DeliveryStats()
        while True:
            async with self.sessions.begin() as session:
                jobs = await deliveries.claim(
                    session, self.owner, self.clock(), limit=self.batch, lease=self.lease, shards=self.shards
                )
                # Each alert shows its story as the delivery's guild may see it (servers are tenants).
                views = await read_model.load_for(session, {(j.story_id, j.guild_id) for j in jobs})
                pointers = await _pointers(session, jobs)
            if not jobs:
                break
            by_channel: dict[int, list[DeliveryJob]] = defaultdict(list)
            for job in jobs:
                by_channel[job.channel_id].append(job)
            await asyncio.gather(*(self._channel(js, views, pointers, stats) for js in by_channel.values()))
        await self.post_notices()
        return stats

    async def _channel(
        self,
        jobs: list[DeliveryJob],
        views: dict[tuple[int, int], AlertView],
        pointers: dict[int, int],
        stats: DeliveryStats,
    ) -> None:
        async with self.channel_limit:
            for i, job in enumerate(jobs):
                view = views.get((job.story_id, job.guild_id))
                survivor = pointers.get(job.id)
                if survivor is not None:
                    # Read now, not when claimed: the survivor's alert may have been posted earlier in this batch.
                    async with self.sessions() as session:
                        message_id = await deliveries.message_of(session, survivor, job.subscription_id)
                    pointer = render.merged_payload(job.language, survivor, job.guild_id, job.channel_id, message_id)
                    stop = await self._one(job, None, stats, pointer)
                elif view is None:
                    async with self.sessions.begin() as session:
                        await deliveries.fail(session, job.id, "story no longer exists")
                    stats.failed += 1
                    continue
                else:
                    stop = await self._one(job, view, stats)
                if stop:
                    # The channel is unusable or limited; release the rest untouched for a later pass.
                    async with self.sessions.begin() as session:
                        for rest in jobs[i + 1 :]:
                            await deliveries.retry_later(
                                session,
                                rest.id,
                                self.clock() + timedelta(seconds=5),
                                "channel deferred",
                                count_attempt=False,
                            )
                    return

    async def _one(
        self, job: DeliveryJob, view: AlertView | None, stats: DeliveryStats, pointer: dict[str, Any] | None = None
    ) -> bool:
        """Deliver one job (`view`, or the `pointer` edit of a merged story's alert); True when the rest of this
        channel's batch should wait."""
        version = view.version if view is not None else 0
        try:
            if pointer is not None:
                assert job.message_id is not None
                await self.sender.edit(job.channel_id, job.message_id, pointer)
                message_id = job.message_id
            else:
                assert view is not None
                message_id = await self._perform(job, view)
        except RateLimited as exc:
            stats.rate_limited += 1
            metrics.RATE_LIMITED.inc()
            async with self.sessions.begin() as session:
                await deliveries.retry_later(
                    session, job.id, self.clock() + timedelta(seconds=exc.retry_after), str(exc), count_attempt=False
                )
            return True
        except (NoAccess, ChannelGone) as exc:
            return await self._access_error(job, exc, stats)
        except Rejected as exc:
            log.error("delivery %s rejected by Discord, giving up: %s", job.id, exc)
            async with self.sessions.begin() as session:
                await deliveries.fail(session, job.id, f"rejected: {exc}")
            stats.failed += 1
            return False
        except (Transient, SendError, OSError, TimeoutError) as exc:
            stats.errors[type(exc).__name__] += 1
            await self._retry(job, f"{type(exc).__name__}: {exc}", stats)
            return True
        except Exception as exc:
            log.exception("delivery %s: unexpected error; it will be retried", job.id)
            stats.errors[type(exc).__name__] += 1
            await self._retry(job, f"{type(exc).__name__}: {exc}", stats)
            return True
        now = self.clock()
        async with self.sessions.begin() as session:
            if job.action == "send":
                await deliveries.mark_sent(session, job.id, message_id, version, now)
                stats.sent += 1
                metrics.ALERTS_SENT.inc()
            elif job.action == "followup":
                await deliveries.mark_followup_done(session, job.id, version)
                stats.followups += 1
            else:
                await deliveries.mark_edited(session, job.id, version)
                stats.edited += 1
        return False

    async def _perform(self, job: DeliveryJob, view: AlertView) -> int:
        payload = render.alert_payload(view, mention_role_id=job.mention_role_id, lang=job.language)
        if job.action == "send":
            return await self.sender.send(job.channel_id, payload, nonce=job.nonce)
        assert job.message_id is not None
        if job.action == "followup":
            content = render.followup_content(view, job.followup_facts or {}, job.language)
            nonce = f"{job.nonce}f{job.followup_count}"[:25]
            return await self.sender.send(
                job.channel_id,
                {"content": content, "allowed_mentions": {"parse": []}},
                nonce=nonce,
                reply_to=job.message_id,
            )
        await self.sender.edit(job.channel_id, job.message_id, payload)
        return job.message_id

    async def _retry(self, job: DeliveryJob, error: str, stats: DeliveryStats) -> None:
        metrics.DELIVERY_FAILURES.labels(error.split(":", 1)[0][:40]).inc()
        async with self.sessions.begin() as session:
            attempts = await deliveries.retry_later(session, job.id, self.clock() + backoff(job.attempts + 1), error)
        stats.retried += 1
        log.warning(
            "delivery %s to channel %s failed (attempt %s), retrying: %s", job.id, job.channel_id, attempts, error
        )

    async def _access_error(self, job: DeliveryJob, exc: SendError, stats: DeliveryStats) -> bool:
        reason_id = "notice.channel_gone" if isinstance(exc, ChannelGone) else "notice.no_access"
        reason = t("en", reason_id)
        if job.action != "send" and isinstance(exc, ChannelGone):
            # The alert message itself was deleted: nothing to edit, the delivery stands.
            async with self.sessions.begin() as session:
                await deliveries.mark_edited(session, job.id, 0)
            return False
        if job.attempts + 1 < ACCESS_TRIES:
            await self._retry(job, f"{reason}: {exc}", stats)
            return True
        async with self.sessions.begin() as session:
            await deliveries.fail(session, job.id, f"{reason}: {exc}")
            await subscriptions.pause(session, job.subscription_id, t(job.language, reason_id))
            await notices.add(
                session,
                job.guild_id,
                f"channel-lost:{job.channel_id}",
                "channel_lost",
                # The notice is posted later, to people who read the subscription's language.
                t(
                    job.language,
                    "notice.channel_lost",
                    channel=f"<#{job.channel_id}>",
                    reason=t(job.language, reason_id),
                ),
            )
        stats.paused += 1
        log.warning("subscription %s paused: %s", job.subscription_id, reason)
        return True

    async def post_notices(self) -> int:
        async with self.sessions.begin() as session:
            pending = await notices.pending(session, shards=self.shards)
        posted = 0
        for notice in pending:
            channel = notice.channel_id
            if channel is None:
                async with self.sessions() as session:
                    channel = await subscriptions.notice_channel(session, notice.guild_id)
            text = notice.message
            if notice.params is not None:
                async with self.sessions() as session:
                    lang = await subscriptions.notice_language(session, notice.guild_id, channel)
                text = notice_text(lang, notice.kind, notice.params) or text
            try:
                delivered = await self.sender.notify(notice.guild_id, channel, text)
            except SendError as exc:
                log.warning("notice %s for guild %s not posted yet: %s", notice.id, notice.guild_id, exc)
                continue
            async with self.sessions.begin() as session:
                # Marked even when nowhere could take it, so a notice never loops; the log keeps the trace.
                await notices.mark_posted(session, notice.id, self.clock())
            if not delivered:
                log.warning("notice for guild %s had nowhere to go: %s", notice.guild_id, notice.message)
            posted += delivered
        return posted


def notice_text(lang: str, kind: str, params: dict[str, Any]) -> str | None:
    """A notice recorded as values (storage.notices), written in `lang`; None for a kind written when recorded."""
    if kind != "source_disabled":
        return None
    # The name is the guild's or its feed's own text; the address was made safe (encoded, in <>) when recorded.
    name = safe(str(params.get("name") or ""))
    source = f"{name} {params['address']}" if name else str(params["address"])
    since = params.get("since")
    return t(
        lang,
        "notice.source_disabled",
        source=source,
        since=f"<t:{int(since)}:f>" if since is not None else "?",
        count=int(params.get("attempts") or 0),
        error=cut(safe(str(params.get("error") or "")), 500),
    )


async def _pointers(session: AsyncSession, jobs: list[DeliveryJob]) -> dict[int, int]:
    """The posted alerts of stories merged into another one, by delivery id, with the story that survived: each is
    edited into a pointer to that story's alert in the same channel (storage.deliveries.merge_stories kept it)."""
    posted = [j for j in jobs if j.action != "send" and j.message_id is not None]
    into = await stories.merged_into(session, {j.story_id for j in posted})
    return {job.id: into[job.story_id] for job in posted if job.story_id in into}


def describe(stats: DeliveryStats) -> dict[str, Any]:
    return {k: v for k, v in stats.__dict__.items() if v}
