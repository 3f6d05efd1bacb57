"""Article pages for teaser-only feed items, fetched under the feeds' guards and limits.

Used by the processing step for items that pass the classifier's first pass and whose feed text is a teaser.
A Google News link is first resolved to the publisher's URL (bot.feeds.gnews). A page that cannot be had (refused
by the guard, too large, not found, not a page) is logged and yields None: the feed's own text is then what the
classifier reads, as it is when the publisher is down, slow or unknown. A page that could not be fetched because
this machine's network is down (the resolver cannot answer, no route) raises ConnectionError instead, so that the
processing step tries the article again later (bot/process.py) rather than judge it on its teaser.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import aiohttp

from bot.feeds import gnews
from bot.feeds.fetch import FetchLimits, fetch_feed, network_down
from bot.feeds.netguard import AddressGuard

log = logging.getLogger(__name__)


class PageFetcher:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        guard: AddressGuard,
        limits: FetchLimits,
        *,
        concurrency: int = 4,
        google_news: str = gnews.GOOGLE_NEWS,
    ) -> None:
        self._http = http
        self._guard = guard
        self._limits = limits
        self._slots = asyncio.Semaphore(concurrency)
        self._google_news = google_news
        self.fetched = 0
        self.failed = 0

    async def __call__(self, url: str) -> bytes | None:
        if urlsplit(url).scheme not in ("http", "https"):
            return None
        async with self._slots:
            try:
                target = await gnews.resolve(self._http, url, self._google_news, self._limits.total_timeout)
            except (gnews.ResolveError, aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                self.failed += 1
                log.info("could not resolve the Google News link %s: %s", url[:120], exc)
                if network_down(exc):
                    raise ConnectionError(f"network down: {exc}") from exc
                return None
            result = await fetch_feed(self._http, target, guard=self._guard, limits=self._limits)
        if result.status != "ok":
            self.failed += 1
            log.info("article page %s not fetched: %s %s", target[:200], result.error_kind, result.error)
            if result.network_down:
                raise ConnectionError(f"network down: {result.error}")
            return None
        self.fetched += 1
        return result.body
