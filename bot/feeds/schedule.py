"""When to fetch a source next, and when to give up on it. Pure: time and randomness are passed in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_WAIT = 24 * 3600.0
# A fraction of the wait added at random so sources polled together drift apart.
JITTER = 0.1


@dataclass(frozen=True)
class Policy:
    poll_interval: float
    disable_after_days: float
    # Failures needed besides the elapsed days, so one outage during a quiet weekend does not disable a feed.
    disable_min_failures: int = 5
    max_wait: float = MAX_WAIT
    jitter: float = JITTER


@dataclass(frozen=True)
class SourceHealth:
    consecutive_failures: int
    first_failure_at: datetime | None


@dataclass(frozen=True)
class Plan:
    next_fetch_at: datetime
    consecutive_failures: int
    first_failure_at: datetime | None
    disable: bool


def backoff_seconds(poll_interval: float, failures: int, cap: float = MAX_WAIT) -> float:
    """interval x 2^failures, capped (the exponent is bounded first so huge counts cannot overflow)."""
    if failures <= 0:
        return min(poll_interval, cap)
    return min(poll_interval * float(1 << min(failures, 32)), cap)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def max_age_seconds(cache_control: str | None) -> float | None:
    """max-age from a Cache-Control header (s-maxage is for shared caches, which we are not)."""
    if not cache_control:
        return None
    for directive in cache_control.split(","):
        name, _, arg = directive.strip().partition("=")
        if name.strip().lower() == "max-age":
            arg = arg.strip().strip('"')
            if arg.isdigit():
                return float(arg)
    return None


def next_wait(policy: Policy, failures: int, server_hint: float | None, rng: random.Random) -> float:
    """Seconds until the next fetch: the backoff, or the server's hint when longer; capped, plus jitter."""
    wait = backoff_seconds(policy.poll_interval, failures, policy.max_wait)
    if server_hint is not None and server_hint > wait:
        wait = min(server_hint, policy.max_wait)
    return wait + wait * policy.jitter * rng.random()


def should_disable(policy: Policy, failures: int, first_failure_at: datetime | None, now: datetime) -> bool:
    if first_failure_at is None or failures < policy.disable_min_failures:
        return False
    return now - first_failure_at >= timedelta(days=policy.disable_after_days)


def plan_after_fetch(
    policy: Policy,
    health: SourceHealth,
    *,
    succeeded: bool,
    server_hint: float | None,
    now: datetime,
    rng: random.Random,
) -> Plan:
    """The source's next state after one fetch. A 304 counts as success; any recorded error as failure."""
    if succeeded:
        wait = next_wait(policy, 0, server_hint, rng)
        return Plan(now + timedelta(seconds=wait), 0, None, disable=False)
    failures = health.consecutive_failures + 1
    first = health.first_failure_at or now
    wait = next_wait(policy, failures, server_hint, rng)
    return Plan(now + timedelta(seconds=wait), failures, first, should_disable(policy, failures, first, now))
