"""Discord's rate limits: a global per-token limit and per-route buckets scoped by major parameter.

The global limit is a sliding window over accepted requests, which is the strictest reading of "50 per
second": no one-second interval ever holds more than `global_limit` accepted requests. Route buckets are
fixed windows that open on their first request, like Discord's, and every bucketed answer carries the full
`X-RateLimit-*` set. `time_scale` multiplies every window (and so every Retry-After) for fast tests.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass, field

MESSAGE_ROUTES = frozenset(
    {
        "POST /channels/{channel_id}/messages",
        "PATCH /channels/{channel_id}/messages/{message_id}",
        "DELETE /channels/{channel_id}/messages/{message_id}",
    }
)
MAJOR_PARAMS = ("channel_id", "guild_id", "webhook_id", "webhook_token")


@dataclass
class RateLimitConfig:
    global_limit: int = 50
    global_window: float = 1.0
    message_limit: int = 5
    message_window: float = 5.0
    webhook_limit: int = 5
    webhook_window: float = 2.0
    route_limit: int = 50
    route_window: float = 1.0
    time_scale: float = 1.0
    enabled: bool = True
    # "METHOD /template" -> (limit, window seconds before scaling)
    routes: dict[str, tuple[int, float]] = field(default_factory=dict)

    def bucket_for(self, route: str) -> tuple[int, float]:
        if route in self.routes:
            limit, window = self.routes[route]
        elif route in MESSAGE_ROUTES:
            limit, window = self.message_limit, self.message_window
        elif route.split(" ", 1)[1].startswith(("/webhooks/", "/interactions/")):
            limit, window = self.webhook_limit, self.webhook_window
        else:
            limit, window = self.route_limit, self.route_window
        return limit, window * self.time_scale


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    scope: str | None = None  # "user" (route bucket) or "global" when refused


@dataclass
class _Window:
    count: int = 0
    reset_at: float = 0.0


def _ceil3(x: float) -> float:
    return math.ceil(max(x, 0.0) * 1000) / 1000


class RateLimiter:
    # A bucket counts as reset a hair early: the client's sleep and ours start from slightly different
    # instants, and a real Discord edge is not sharper than this either.
    TOLERANCE = 0.002

    def __init__(self, config: RateLimitConfig) -> None:
        self.config = config
        self._buckets: dict[tuple[str, str], _Window] = {}
        self._global: dict[str, deque[float]] = {}
        self.served = {"route": 0, "global": 0, "forced": 0}

    @staticmethod
    def bucket_hash(route: str) -> str:
        return hashlib.sha1(route.encode()).hexdigest()[:16]

    def check(self, route: str, params: dict[str, str], token: str | None) -> Decision:
        now = time.monotonic()
        cfg = self.config
        limit, window = cfg.bucket_for(route)
        major = "+".join(params[k] for k in MAJOR_PARAMS if k in params)
        bucket = self.bucket_hash(route)
        w = self._buckets.setdefault((bucket, major), _Window())
        if now + self.TOLERANCE >= w.reset_at:
            w.count, w.reset_at = 0, now + window

        if cfg.enabled and token is not None:
            log = self._global.setdefault(token, deque())
            gwin = cfg.global_window * cfg.time_scale
            while log and log[0] <= now - gwin + self.TOLERANCE:
                log.popleft()
            if len(log) >= cfg.global_limit:
                self.served["global"] += 1
                retry = _ceil3(log[0] + gwin - now)
                headers = {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                return Decision(False, headers, retry, "global")

        if cfg.enabled and w.count >= limit:
            self.served["route"] += 1
            headers = self._headers(bucket, limit, w, now)
            headers["X-RateLimit-Scope"] = "user"
            return Decision(False, headers, _ceil3(w.reset_at - now), "user")

        w.count += 1
        if cfg.enabled and token is not None:
            self._global[token].append(now)
        return Decision(True, self._headers(bucket, limit, w, now))

    @staticmethod
    def _headers(bucket: str, limit: int, w: _Window, now: float) -> dict[str, str]:
        after = _ceil3(w.reset_at - now)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - w.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + after:.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }


def too_many_requests_body(retry_after: float, is_global: bool) -> dict[str, object]:
    return {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}


def too_many_requests_headers(retry_after: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(retry_after))), "Via": "1.1 google"}
