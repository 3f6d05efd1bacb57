"""The Emulator: a loopback Discord (REST + gateway) in the test's own event loop, plus test helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import payloads as p
from .gateway import Gateway
from .invoke import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionRefused,
    Invocation,
    command_options,
    may_use,
    new_token,
)
from .payloads import Json
from .ratelimit import RateLimitConfig, RateLimiter
from .rest import Fault, RequestRecord, add_routes, make_middleware
from .state import Channel, Guild, Member, State


class Emulator:
    """A fresh Discord with one guild (`guild`), one text channel (`channel`), a plain member (`member`)
    and a moderator holding Manage Channels (`moderator`). Start it inside the test's loop."""

    def __init__(
        self,
        *,
        token: str = "emulator.bot.token",
        ratelimits: RateLimitConfig | None = None,
        interaction_deadline: float = 3.0,
        token_lifetime: float = 900.0,
        nonce_window: float = 300.0,
        shard_count: int = 1,
        heartbeat_interval: float = 41.25,
    ) -> None:
        self.state = State(token=token)
        self.limiter = RateLimiter(ratelimits or RateLimitConfig())
        self.gateway = Gateway(self)
        self.interaction_deadline = interaction_deadline
        self.token_lifetime = token_lifetime
        self.nonce_window = nonce_window
        self.shard_count = shard_count
        self.heartbeat_interval = heartbeat_interval
        # Simulates a server admin granting a command to members outside default_member_permissions
        # (Server Settings > Integrations), so the bot's own permission check is the last line.
        self.admin_override = False
        self.interactions: dict[int, Invocation] = {}
        self.interactions_by_token: dict[str, Invocation] = {}
        self.log: list[RequestRecord] = []
        self.unimplemented: list[str] = []
        self.faults: list[Fault] = []
        self.port = 0
        self._resume_override: str | None = None
        self._runner: web.AppRunner | None = None

        self.guild = self.state.add_guild("Emulated Guild")
        self.channel = self.state.add_channel(self.guild, "general")
        self.moderator_role = self.state.add_role(self.guild, "Moderator", p.MANAGE_CHANNELS | p.MANAGE_MESSAGES)
        self.moderator = self.state.add_member(self.guild, "moderator", [self.moderator_role])
        self.member = self.state.add_member(self.guild, "member")

    # -- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> Emulator:
        app = web.Application(middlewares=[make_middleware(self)])

        async def gateway_handler(request: web.Request) -> web.StreamResponse:
            return await self.gateway.handle(request)

        gateway_handler.is_gateway = True  # type: ignore[attr-defined]
        app.router.add_get("/", gateway_handler)
        app.router.add_get("/resume", gateway_handler)
        add_routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self.gateway.close(1001)
        await asyncio.sleep(0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """What BREACHWATCH_DISCORD_API_BASE should be set to."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What BREACHWATCH_DISCORD_GATEWAY should be set to (also the /gateway/bot answer)."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def resume_gateway_url(self) -> str:
        return self._resume_override or f"ws://127.0.0.1:{self.port}/resume"

    @resume_gateway_url.setter
    def resume_gateway_url(self, value: str | None) -> None:
        """Hand out another resume URL in READY (e.g. an unreachable one, as real Discord's would be
        to a client whose operator routes the gateway through a proxy)."""
        self._resume_override = value

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_id(self) -> int:
        return self.state.bot_id

    # -- world building (changes are dispatched like Discord would) ----------------------------------

    def add_guild(self, name: str) -> Guild:
        g = self.state.add_guild(name)
        self.state.add_channel(g, "general")
        self.gateway.dispatch("GUILD_CREATE", g.payload(), guild_id=g.id, intent=p.INTENT_GUILDS)
        return g

    def add_channel(self, name: str, *, guild: Guild | None = None) -> Channel:
        c = self.state.add_channel(guild or self.guild, name)
        self.gateway.dispatch("CHANNEL_CREATE", c.payload(), guild_id=c.guild_id, intent=p.INTENT_GUILDS)
        return c

    def add_role(
        self, name: str, permissions: int = 0, *, mentionable: bool = False, guild: Guild | None = None
    ) -> int:
        g = guild or self.guild
        rid = self.state.add_role(g, name, permissions, mentionable=mentionable)
        self.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": g.roles[rid]}, guild_id=g.id, intent=p.INTENT_GUILDS
        )
        return rid

    def add_member(
        self, name: str, *, permissions: int = 0, roles: list[int] | None = None, guild: Guild | None = None
    ) -> Member:
        """A member; `permissions` creates a role with exactly those bits for them."""
        g = guild or self.guild
        role_ids = list(roles or [])
        if permissions:
            role_ids.append(self.add_role(f"{name}-role", permissions, guild=g))
        return self.state.add_member(g, name, role_ids)

    def set_overwrite(self, channel: Channel, target_id: int, *, kind: int, allow: int = 0, deny: int = 0) -> None:
        channel.overwrites[target_id] = p.overwrite(target_id, kind, allow=allow, deny=deny)
        self.gateway.dispatch("CHANNEL_UPDATE", channel.payload(), guild_id=channel.guild_id, intent=p.INTENT_GUILDS)

    def set_bot_permissions(self, channel: Channel, *, allow: int = 0, deny: int = 0) -> None:
        """A member overwrite for the bot, e.g. deny=SEND_MESSAGES or deny=EMBED_LINKS."""
        self.set_overwrite(channel, self.bot_id, kind=1, allow=allow, deny=deny)

    def delete_channel(self, channel: Channel) -> None:
        channel.deleted = True
        self.gateway.dispatch("CHANNEL_DELETE", channel.payload(), guild_id=channel.guild_id, intent=p.INTENT_GUILDS)

    # -- gateway -------------------------------------------------------------------------------------

    def dispatch(self, event: str, data: Json, *, guild_id: int | None = None) -> None:
        """Send any dispatch event to every session (sharded sessions only if the guild is theirs)."""
        self.gateway.dispatch(event, data, guild_id=guild_id)

    def dispatch_message(self, event: str, channel: Channel, msg: Json) -> None:
        g = self.state.guilds[channel.guild_id]
        bot = g.members[self.bot_id].payload()
        bot.pop("user")
        data = {**msg, "guild_id": str(g.id), "member": bot}
        self.gateway.dispatch(event, data, guild_id=g.id, intent=p.INTENT_GUILD_MESSAGES)

    def dispatch_delete(self, channel: Channel, message_id: int) -> None:
        data = {"id": str(message_id), "channel_id": str(channel.id), "guild_id": str(channel.guild_id)}
        self.gateway.dispatch("MESSAGE_DELETE", data, guild_id=channel.guild_id, intent=p.INTENT_GUILD_MESSAGES)

    def gateway_reconnect(self) -> None:
        """Op 7 RECONNECT to every connected session: the client should come back with RESUME."""
        self.gateway.reconnect()

    def gateway_invalid_session(self, resumable: bool = False) -> None:
        self.gateway.invalid_session(resumable)

    def gateway_close(self, code: int = 4000, *, forget_sessions: bool = False) -> None:
        """Close every gateway socket with `code` (4004 etc. are fatal for discord.py)."""
        self.gateway.close(code, forget_sessions=forget_sessions)

    async def wait_gateway_event(self, kind: str, count: int = 1, timeout: float = 3.0) -> list[Any]:
        def seen() -> list[Any] | None:
            found = [d for k, d in self.gateway.events if k == kind]
            return found if len(found) >= count else None

        return await self.state.changes.wait_for(seen, timeout, f"{count} gateway {kind!r}")  # type: ignore[no-any-return]

    # -- interactions --------------------------------------------------------------------------------

    def _deliver(self, kind: int, name: str, member: Member, channel: Channel, **extra: Any) -> Invocation:
        iid = p.snowflake()
        inv = Invocation(iid, new_token(), kind, channel.guild_id, channel.id, member, name, self.state.changes)
        g = self.state.guilds[channel.guild_id]
        app_perms = self.state.bot_permissions(channel)
        inv.payload = p.interaction(
            interaction_id=iid,
            application_id=self.state.application_id,
            kind=kind,
            token=inv.token,
            guild_id=g.id,
            channel=p.partial_channel(channel.payload(), g.channel_permissions(member, channel)),
            member_payload=p.interaction_member(member.payload(), g.channel_permissions(member, channel)),
            app_permissions=app_perms,
            guild_locale=g.preferred_locale,
            **extra,
        )
        self.interactions[iid] = inv
        self.interactions_by_token[inv.token] = inv
        self.gateway.dispatch("INTERACTION_CREATE", inv.payload, guild_id=g.id)
        return inv

    def _command_payload(
        self,
        name: str,
        options: dict[str, Any] | None,
        subcommand: str | None,
        group: str | None,
        member: Member,
        channel: Channel,
        admin_override: bool | None,
        focused: str | None = None,
        locale: str = "en-US",
    ) -> tuple[Json, Json]:
        g = self.state.guilds[channel.guild_id]
        command = self.state.find_command(g.id, name, locale=locale)
        if command is None:
            raise InteractionRefused(f"/{name} is not synced (global or for guild {g.id})")
        override = self.admin_override if admin_override is None else admin_override
        if not may_use(g, member, command) and not override:
            raise InteractionRefused(f"{member.user['username']} lacks default_member_permissions for /{name}")
        resolved: Json = {}
        opts = command_options(
            self.state,
            g,
            member,
            command,
            group=group,
            subcommand=subcommand,
            values=dict(options or {}),
            resolved=resolved,
            focused=focused,
            locale=locale,
        )
        return command, p.command_data(
            command, opts, resolved, target_guild=int(command["guild_id"]) if command.get("guild_id") else None
        )

    async def invoke(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        member: Member | None = None,
        channel: Channel | None = None,
        admin_override: bool | None = None,
        locale: str = "en-US",
    ) -> Invocation:
        """Run a slash command as `member` (default: the moderator) in `channel` (default: general).
        With `locale`, names may be given as that client shows them (e.g. "rechercher" for fr).
        Raises InteractionRefused when Discord would not deliver it."""
        member = member or self.moderator
        channel = channel or self.channel
        command, data = self._command_payload(
            name, options, subcommand, group, member, channel, admin_override, locale=locale
        )
        return self._deliver(APPLICATION_COMMAND, command["name"], member, channel, data=data, locale=locale)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        value: str,
        options: dict[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        member: Member | None = None,
        channel: Channel | None = None,
        locale: str = "en-US",
    ) -> Invocation:
        """An autocomplete interaction for option `focused` typed as `value`; read `.choices` after
        `await inv.wait_response()`."""
        member = member or self.moderator
        channel = channel or self.channel
        values = {**(options or {}), focused: value}
        command, data = self._command_payload(
            name, values, subcommand, group, member, channel, None, focused, locale=locale
        )
        return self._deliver(AUTOCOMPLETE, command["name"], member, channel, data=data, locale=locale)

    async def click(
        self,
        message: Json | int,
        custom_id: str,
        *,
        member: Member | None = None,
        values: list[str] | None = None,
        locale: str = "en-US",
    ) -> Invocation:
        """Press the button (or choose `values` in the select) with `custom_id` on a posted message, from a client
        in `locale`."""
        mid = message if isinstance(message, int) else int(message["id"])
        found = self.state.find_message(mid)
        if found is None:
            raise InteractionRefused(f"message {mid} does not exist")
        channel, msg = found
        component = next(
            (
                c
                for row in msg.get("components") or []
                for c in row.get("components") or []
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if component is None or component.get("disabled"):
            raise InteractionRefused(f"no enabled component {custom_id!r} on message {mid}")
        data = p.component_data(custom_id, int(component["type"]), values)
        inv = self._deliver(
            MESSAGE_COMPONENT, custom_id, member or self.member, channel, data=data, message_payload=msg, locale=locale
        )
        inv.source_message_id = mid
        return inv

    # -- reading -------------------------------------------------------------------------------------

    def messages(self, channel: Channel | None = None) -> list[Json]:
        """A channel's messages, oldest first (embeds as Discord stores them)."""
        return list((channel or self.channel).messages.values())

    def all_messages(self) -> list[Json]:
        return sorted(
            (m for c in self.state.channels.values() for m in c.messages.values()), key=lambda m: int(m["id"])
        )

    async def wait_message(
        self, predicate: Callable[[Json], bool] | None = None, *, channel: Channel | None = None, timeout: float = 5.0
    ) -> Json:
        """The first message (in `channel`, or anywhere) matching `predicate`, waiting up to `timeout`."""

        def find() -> Json | None:
            pool = self.messages(channel) if channel is not None else self.all_messages()
            return next((m for m in pool if predicate is None or predicate(m)), None)

        return await self.state.changes.wait_for(find, timeout, "a matching message")  # type: ignore[no-any-return]

    def requests(self, route: str | None = None) -> list[RequestRecord]:
        """The request log, optionally only one route ("POST /channels/{channel_id}/messages")."""
        return [r for r in self.log if route is None or r.route == route]

    @property
    def served_429(self) -> dict[str, int]:
        """429s served so far: {"route": n, "global": n, "forced": n}."""
        return dict(self.limiter.served)

    def force(
        self,
        route: str,
        status: int = 429,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        code: int | None = None,
        message: str | None = None,
        **params: Any,
    ) -> Fault:
        """Answer the next `times` matching requests with `status` (429, 403, 404, 500...). `route` is
        "METHOD /template"; params (channel_id=...) narrow it."""
        fault = Fault(
            route, status, times, retry_after, is_global, {k: str(v) for k, v in params.items()}, code, message
        )
        self.faults.append(fault)
        return fault
