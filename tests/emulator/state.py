"""What the emulated Discord knows: guilds, roles, members, channels, messages, commands, nonces.

Permission maths follows Discord's documented algorithm (base from roles, then @everyone, role and member
overwrites), so a test that denies the bot a permission through an overwrite sees the same 50013 the real
API would give, and discord.py's own `permissions_for` (fed the same overwrites over the gateway) agrees.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import payloads as p
from .payloads import Json


@dataclass
class Member:
    user: Json
    role_ids: list[int]
    joined: float = field(default_factory=time.time)
    nick: str | None = None

    @property
    def id(self) -> int:
        return int(self.user["id"])

    def payload(self) -> Json:
        return p.member(self.user, self.role_ids, joined=self.joined, nick=self.nick)


@dataclass
class Channel:
    id: int
    guild_id: int
    name: str
    position: int = 0
    kind: int = p.GUILD_TEXT
    parent_id: int | None = None
    overwrites: dict[int, Json] = field(default_factory=dict)
    deleted: bool = False
    messages: dict[int, Json] = field(default_factory=dict)

    def payload(self) -> Json:
        last = next(reversed(self.messages), None) if self.messages else None
        return p.text_channel(
            self.id,
            self.guild_id,
            self.name,
            position=self.position,
            overwrites=list(self.overwrites.values()),
            parent_id=self.parent_id,
            kind=self.kind,
            last_message_id=last,
        )


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Json] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    system_channel_id: int | None = None
    joined: float = field(default_factory=time.time)
    # The server's language as its owner set it in Community settings; Discord sends it as guild_locale.
    preferred_locale: str = "en-US"

    def live_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if not c.deleted]

    def payload(self) -> Json:
        return p.guild(
            self.id,
            self.name,
            owner_id=self.owner_id,
            roles=list(self.roles.values()),
            channels=[c.payload() for c in self.live_channels()],
            members=[m.payload() for m in self.members.values()],
            system_channel_id=self.system_channel_id,
            joined=self.joined,
            preferred_locale=self.preferred_locale,
        )

    def base_permissions(self, member: Member) -> int:
        if member.id == self.owner_id:
            return p.ALL_PERMISSIONS
        perms = int(self.roles[self.id]["permissions"])
        for rid in member.role_ids:
            if rid in self.roles:
                perms |= int(self.roles[rid]["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def channel_permissions(self, member: Member, channel: Channel) -> int:
        perms = self.base_permissions(member)
        if perms & p.ADMINISTRATOR:
            return p.ALL_PERMISSIONS
        everyone = channel.overwrites.get(self.id)
        if everyone is not None:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in member.role_ids:
            ow = channel.overwrites.get(rid)
            if ow is not None and ow["type"] == 0:
                allow |= int(ow["allow"])
                deny |= int(ow["deny"])
        perms = (perms & ~deny) | allow
        own = channel.overwrites.get(member.id)
        if own is not None and own["type"] == 1:
            perms = (perms & ~int(own["deny"])) | int(own["allow"])
        # Discord's implicit rules: no view means nothing; no send means no send-dependent permissions.
        if not perms & p.VIEW_CHANNEL:
            return 0
        if not perms & p.SEND_MESSAGES:
            perms &= ~(p.MENTION_EVERYONE | p.EMBED_LINKS | p.ATTACH_FILES)
        return perms


class Changes:
    """A pulse every test helper can wait on: anything that changes state calls `notify()`."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"emulator: timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), left)


class State:
    def __init__(self, *, token: str, bot_name: str = "breachwatch") -> None:
        self.token = token
        self.bot_id = p.snowflake()
        self.application_id = self.bot_id
        self.bot_user = p.user(self.bot_id, bot_name, bot=True)
        self.owner_user = p.user(p.snowflake(), "owner")
        self.application_flags = 0
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        # Ephemeral messages never reach a channel, but their author can still press their buttons.
        self.ephemeral: dict[int, tuple[Channel, Json]] = {}
        # None = global. Each list holds stored command payloads as Discord returns them.
        self.commands: dict[int | None, list[Json]] = {None: []}
        self._command_version = 1
        self.nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self.changes = Changes()

    # -- world building ------------------------------------------------------------------------------

    def add_guild(self, name: str, *, everyone_permissions: int = p.DEFAULT_EVERYONE) -> Guild:
        gid = p.snowflake()
        owner = int(self.owner_user["id"])
        g = Guild(gid, name, owner)
        g.roles[gid] = p.role(gid, "@everyone", permissions=everyone_permissions, position=0)
        bot_role = p.snowflake()
        g.roles[bot_role] = p.role(
            bot_role, "breachwatch", permissions=p.DEFAULT_EVERYONE, position=1, managed=True, bot_id=self.bot_id
        )
        g.members[self.bot_id] = Member(self.bot_user, [bot_role])
        g.members[owner] = Member(self.owner_user, [])
        self.guilds[gid] = g
        return g

    def add_role(self, g: Guild, name: str, permissions: int = 0, *, mentionable: bool = False) -> int:
        rid = p.snowflake()
        g.roles[rid] = p.role(rid, name, permissions=permissions, position=len(g.roles), mentionable=mentionable)
        return rid

    def add_member(self, g: Guild, name: str, role_ids: list[int] | None = None) -> Member:
        m = Member(p.user(p.snowflake(), name), list(role_ids or []))
        g.members[m.id] = m
        return m

    def add_channel(self, g: Guild, name: str) -> Channel:
        c = Channel(p.snowflake(), g.id, name, position=len(g.channels))
        g.channels[c.id] = c
        self.channels[c.id] = c
        if g.system_channel_id is None:
            g.system_channel_id = c.id
        return c

    def bot_member(self, guild_id: int) -> Member:
        return self.guilds[guild_id].members[self.bot_id]

    def bot_permissions(self, channel: Channel) -> int:
        g = self.guilds[channel.guild_id]
        return g.channel_permissions(g.members[self.bot_id], channel)

    def live_channel(self, channel_id: int) -> Channel | None:
        c = self.channels.get(channel_id)
        return None if c is None or c.deleted else c

    def find_message(self, message_id: int) -> tuple[Channel, Json] | None:
        for c in self.channels.values():
            if message_id in c.messages:
                return c, c.messages[message_id]
        return self.ephemeral.get(message_id)

    # -- commands ------------------------------------------------------------------------------------

    def overwrite_commands(self, guild_id: int | None, sent: list[Json]) -> list[Json]:
        old = {(c["name"], c.get("type", 1)): c for c in self.commands.get(guild_id, [])}
        stored: list[Json] = []
        for cmd in sent:
            prev = old.get((cmd["name"], cmd.get("type", 1)))
            cid = int(prev["id"]) if prev else p.snowflake()
            self._command_version += 1
            stored.append(
                p.application_command(
                    cmd,
                    command_id=cid,
                    application_id=self.application_id,
                    guild_id=guild_id,
                    version=self._command_version,
                )
            )
        self.commands[guild_id] = stored
        self.changes.notify()
        return stored

    def find_command(self, guild_id: int, name: str, kind: int = 1, locale: str = "en-US") -> Json | None:
        for scope in (guild_id, None):
            for c in self.commands.get(scope, []):
                shown = (c.get("name_localizations") or {}).get(locale)
                if name in (c["name"], shown) and c.get("type", 1) == kind:
                    return c
        return None

    # -- nonces --------------------------------------------------------------------------------------

    def nonce_hit(self, channel_id: int, nonce: str, window: float) -> int | None:
        now = time.monotonic()
        hit = self.nonces.get((channel_id, nonce))
        if hit is not None and now - hit[1] <= window:
            return hit[0]
        return None

    def remember_nonce(self, channel_id: int, nonce: str, message_id: int) -> None:
        self.nonces[(channel_id, nonce)] = (message_id, time.monotonic())
