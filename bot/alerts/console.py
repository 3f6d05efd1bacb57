"""Console mode's sender: prints each alert as it would be posted, through the same queue."""

from __future__ import annotations

import itertools
import sys
from typing import Any, TextIO


class ConsoleSender:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._ids = itertools.count(1)
        self._by_nonce: dict[str, int] = {}

    def _write(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    @staticmethod
    def format(payload: dict[str, Any]) -> str:
        lines = []
        if payload.get("content"):
            lines.append(str(payload["content"]))
        for embed in payload.get("embeds", []):
            if embed.get("author"):
                lines.append(f"[{embed['author']['name']}]")
            if embed.get("title"):
                lines.append(f"== {embed['title']} ==")
            if embed.get("url"):
                lines.append(embed["url"])
            if embed.get("description"):
                lines.append(embed["description"])
            lines.extend(f"  {f['name']}: {f['value']}" for f in embed.get("fields", []))
            if embed.get("footer"):
                lines.append(f"  ({embed['footer']['text']})")
        return "\n".join(lines)

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str, reply_to: int | None = None) -> int:
        if nonce in self._by_nonce:
            return self._by_nonce[nonce]
        message_id = next(self._ids)
        self._by_nonce[nonce] = message_id
        prefix = f"ALERT -> channel {channel_id}" + (f" (reply to {reply_to})" if reply_to else "")
        self._write(f"\n{prefix}\n{self.format(payload)}")
        return message_id

    async def edit(self, channel_id: int, message_id: int, payload: dict[str, Any]) -> None:
        self._write(f"\nUPDATE of alert {message_id} -> channel {channel_id}\n{self.format(payload)}")

    async def notify(self, guild_id: int, channel_id: int | None, text: str) -> bool:
        self._write(f"\nNOTICE for guild {guild_id}: {text}")
        return True
