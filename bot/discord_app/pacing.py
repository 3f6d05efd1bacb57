"""Our own pacing under Discord's global limit, so a fan-out to thousands of channels never trips it: the Discord
sender acquires it before each request it makes (alerts, edits, follow-ups, digests, notices)."""

from __future__ import annotations

import asyncio
import time


class Pacer:
    """A token bucket: at most `rate` acquisitions per second, with bursts of at most `burst`."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        self._tokens = float(self.burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """After a global 429, spend the bucket so everyone waits."""
        self._tokens = min(self._tokens, 0) - seconds * self.rate
