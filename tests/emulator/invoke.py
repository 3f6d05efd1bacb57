"""Interactions as Discord would deliver them, and the handle a test holds on to.

Discord's client never sends an interaction for a command that is not synced, with options that do not
match the schema, or from a member hidden from the command by `default_member_permissions`; such an
invocation raises `InteractionRefused` here instead of reaching the bot.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from . import payloads as p
from .payloads import Json
from .state import Changes, Channel, Guild, Member, State

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4

# Interaction response types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

EPHEMERAL = 1 << 6
LOADING = 1 << 7


class InteractionRefused(Exception):
    """Discord would not have delivered this interaction (the reason says why)."""


@dataclass
class Invocation:
    id: int
    token: str
    kind: int
    guild_id: int
    channel_id: int
    member: Member
    name: str
    changes: Changes
    created: float = field(default_factory=time.monotonic)
    payload: Json = field(default_factory=dict)
    source_message_id: int | None = None
    response: Json | None = None
    original: Json | None = None
    followups: list[Json] = field(default_factory=list)
    edits: list[Json] = field(default_factory=list)

    @property
    def response_type(self) -> int | None:
        return None if self.response is None else int(self.response["type"])

    @property
    def deferred(self) -> bool:
        return self.response_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def ephemeral(self) -> bool:
        return bool(self.original and int(self.original.get("flags", 0)) & EPHEMERAL)

    @property
    def choices(self) -> list[Json]:
        if self.response_type != AUTOCOMPLETE_RESULT or self.response is None:
            return []
        return list((self.response.get("data") or {}).get("choices") or [])

    @property
    def messages(self) -> list[Json]:
        """Everything the user sees for this interaction, in order: original then follow-ups."""
        out = [self.original] if self.original is not None else []
        # The first follow-up after a defer *is* the original message; list it once.
        return out + [f for f in self.followups if f is not self.original]

    async def wait_response(self, timeout: float = 3.0) -> Json:
        """The callback body the bot sent (type and data)."""
        return await self.changes.wait_for(lambda: self.response, timeout, f"a response to /{self.name}")  # type: ignore[no-any-return]

    async def wait_original(self, timeout: float = 3.0) -> Json:
        """The original response message once it is no longer 'thinking' (a defer was edited)."""

        def ready() -> Json | None:
            o = self.original
            return o if o is not None and not int(o.get("flags", 0)) & LOADING else None

        return await self.changes.wait_for(ready, timeout, f"the original response to /{self.name}")  # type: ignore[no-any-return]

    async def wait_followups(self, count: int = 1, timeout: float = 3.0) -> list[Json]:
        await self.changes.wait_for(lambda: len(self.followups) >= count, timeout, f"{count} follow-up(s)")
        return list(self.followups)

    async def wait_edits(self, count: int = 1, timeout: float = 3.0) -> list[Json]:
        await self.changes.wait_for(lambda: len(self.edits) >= count, timeout, f"{count} edit(s)")
        return list(self.edits)

    async def wait_message(self, timeout: float = 3.0) -> Json:
        """The first visible message: the immediate response, the edited defer, or else a follow-up."""

        def visible() -> Json | None:
            for m in self.messages:
                if not int(m.get("flags", 0)) & LOADING:
                    return m
            return None

        return await self.changes.wait_for(visible, timeout, f"a visible answer to /{self.name}")  # type: ignore[no-any-return]


def _user_value(state: State, guild: Guild, value: Any, resolved: Json) -> str:
    m = value if isinstance(value, Member) else guild.members.get(int(value))
    if m is None:
        raise InteractionRefused(f"unknown member {value!r}")
    resolved.setdefault("users", {})[str(m.id)] = m.user
    member = {k: v for k, v in m.payload().items() if k != "user"}
    member["permissions"] = str(guild.base_permissions(m))
    resolved.setdefault("members", {})[str(m.id)] = member
    return str(m.id)


def _channel_value(state: State, guild: Guild, value: Any, option: Json, invoker: Member, resolved: Json) -> str:
    cid = value.id if isinstance(value, Channel) else int(value)
    c = state.live_channel(cid)
    if c is None or c.guild_id != guild.id:
        raise InteractionRefused(f"channel {cid} is not a channel of this guild")
    allowed = option.get("channel_types")
    if allowed and c.kind not in allowed:
        raise InteractionRefused(f"channel type {c.kind} not allowed for option {option['name']}")
    perms = guild.channel_permissions(invoker, c)
    data = {k: c.payload()[k] for k in ("id", "name", "type", "parent_id", "guild_id", "topic", "nsfw", "position")}
    resolved.setdefault("channels", {})[str(c.id)] = p.partial_channel(data, perms)
    return str(c.id)


def _role_value(guild: Guild, value: Any, resolved: Json) -> str:
    rid = int(value)
    if rid not in guild.roles:
        raise InteractionRefused(f"unknown role {rid}")
    resolved.setdefault("roles", {})[str(rid)] = guild.roles[rid]
    return str(rid)


def _coerce(kind: int, name: str, value: Any) -> Any:
    ok = {
        3: isinstance(value, str),
        4: isinstance(value, int) and not isinstance(value, bool),
        5: isinstance(value, bool),
        10: isinstance(value, int | float) and not isinstance(value, bool),
    }.get(kind, True)
    if not ok:
        raise InteractionRefused(f"option {name!r} does not accept {value!r}")
    return value


def build_options(
    state: State,
    guild: Guild,
    invoker: Member,
    schema: list[Json],
    values: dict[str, Any],
    resolved: Json,
    focused: str | None = None,
) -> list[Json]:
    by_name = {o["name"]: o for o in schema}
    unknown = set(values) - set(by_name)
    if unknown:
        raise InteractionRefused(f"options not in the synced schema: {sorted(unknown)}")
    out: list[Json] = []
    for o in schema:
        name, kind = o["name"], int(o["type"])
        if name not in values:
            if o.get("required") and name != focused:
                raise InteractionRefused(f"required option {name!r} missing")
            continue
        value = values[name]
        if name == focused:
            out.append({"name": name, "type": kind, "value": str(value), "focused": True})
            continue
        if kind == 6:
            value = _user_value(state, guild, value, resolved)
        elif kind == 7:
            value = _channel_value(state, guild, value, o, invoker, resolved)
        elif kind == 8:
            value = _role_value(guild, value, resolved)
        elif kind == 9:
            value = (
                _role_value(guild, value, resolved)
                if int(value) in guild.roles
                else _user_value(state, guild, value, resolved)
            )
        elif kind == 11:
            raise InteractionRefused("attachment options are not emulated")
        else:
            value = _coerce(kind, name, value)
        choices = o.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise InteractionRefused(f"{value!r} is not a choice of {name!r}")
        too_low = "min_value" in o and value < o["min_value"]
        if kind in (4, 10) and (too_low or ("max_value" in o and value > o["max_value"])):
            raise InteractionRefused(f"{value!r} out of range for {name!r}")
        if kind == 3 and not o.get("min_length", 0) <= len(value) <= o.get("max_length", 6000):
            raise InteractionRefused(f"{value!r} has the wrong length for {name!r}")
        out.append({"name": name, "type": kind, "value": value})
    return out


def shown_name(node: Json, locale: str) -> str:
    """The name a client in `locale` shows for a command, subcommand or option."""
    return str((node.get("name_localizations") or {}).get(locale, node["name"]))


def _canonical(schema: list[Json], name: str, locale: str) -> str:
    """Discord always sends the default name, whatever name the member's client showed."""
    return next((o["name"] for o in schema if name in (o["name"], shown_name(o, locale))), name)


def command_options(
    state: State,
    guild: Guild,
    invoker: Member,
    command: Json,
    *,
    group: str | None,
    subcommand: str | None,
    values: dict[str, Any],
    resolved: Json,
    focused: str | None = None,
    locale: str = "en-US",
) -> list[Json]:
    """Nest options under subcommand group / subcommand exactly as Discord does. Names may be given as a
    client in `locale` shows them; the interaction carries the default names."""
    schema: list[Json] = command.get("options") or []
    path = [s for s in (group, subcommand) if s]
    has_subs = any(o["type"] in (1, 2) for o in schema)
    if has_subs and not path:
        raise InteractionRefused(f"/{command['name']} needs a subcommand")
    chain: list[Json] = []
    for part in path:
        match = next((o for o in schema if part in (o["name"], shown_name(o, locale)) and o["type"] in (1, 2)), None)
        if match is None:
            raise InteractionRefused(f"/{command['name']} has no subcommand {part!r}")
        chain.append(match)
        schema = match.get("options") or []
    values = {_canonical(schema, k, locale): v for k, v in values.items()}
    focused = _canonical(schema, focused, locale) if focused else None
    leaf = build_options(state, guild, invoker, schema, values, resolved, focused)
    for node in reversed(chain):
        leaf = [{"name": node["name"], "type": node["type"], "options": leaf}]
    return leaf


def may_use(guild: Guild, member: Member, command: Json) -> bool:
    """Discord hides a command from members lacking all of its default_member_permissions."""
    required = command.get("default_member_permissions")
    if required is None:
        return True
    perms = guild.base_permissions(member)
    if perms & p.ADMINISTRATOR:
        return True
    need = int(required)
    return need != 0 and perms & need == need


def new_token() -> str:
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
