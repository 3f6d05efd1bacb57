"""What the delivery worker needs from a messaging backend (Discord, or the console), and how sends fail."""

from __future__ import annotations

from typing import Any, Protocol


class SendError(Exception):
    """A send that did not happen; the subclass tells the worker what to do next."""


class RateLimited(SendError):
    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transient(SendError):
    """5xx, a timeout, a dropped connection: try again later."""


class NoAccess(SendError):
    """403: the bot may not post (or embed) there."""


class ChannelGone(SendError):
    """404: the channel (or the message to edit) no longer exists."""


class Rejected(SendError):
    """400: Discord refused the payload itself; retrying the same payload cannot help."""


class Sender(Protocol):
    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str, reply_to: int | None = None) -> int:
        """Post a message; returns its id. Must be idempotent for the same nonce (enforce_nonce)."""
        ...

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None: ...

    async def notify(self, guild_id: int, channel_id: int | None, text: str) -> bool:
        """Post a plain notice to the channel, else the guild's system channel; False if nowhere."""
        ...
