"""The REST half: one middleware does auth, injected faults, rate limits and the request log; the
handlers below do what Discord does for the routes discord.py's bot path uses."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as p
from .messages import apply_edit, get_message, history, new_message
from .ratelimit import too_many_requests_body, too_many_requests_headers
from .state import Channel
from .validate import (
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    ApiError,
    error,
    validate_commands,
    validate_message,
)
from .webhooks import BODY, WEBHOOK_ROUTES

if TYPE_CHECKING:
    from .server import Emulator

Answer = tuple[int, Any]
Handler = Callable[["Emulator", web.Request], Awaitable[Answer]]
API_PREFIX = "/api/v10"


@dataclass
class RequestRecord:
    at: float
    method: str
    path: str
    route: str  # "METHOD /template", or "UNIMPLEMENTED"
    status: int
    headers: dict[str, str]
    body: Any = None
    scope: str | None = None  # set on 429s: "user", "global" or "forced"


@dataclass
class Fault:
    """A forced answer for matching requests: 429 (route or global), or an error status."""

    route: str
    status: int
    times: int = 1
    retry_after: float = 0.05
    is_global: bool = False
    params: dict[str, str] = field(default_factory=dict)
    code: int | None = None
    message: str | None = None

    def matches(self, route: str, params: dict[str, str]) -> bool:
        return self.times > 0 and self.route == route and all(params.get(k) == v for k, v in self.params.items())


_DEFAULT_ERRORS = {
    403: (MISSING_ACCESS, "Missing Access"),
    404: (UNKNOWN_CHANNEL, "Unknown Channel"),
    500: (0, "500: Internal Server Error"),
    502: (0, "502: Bad Gateway"),
    503: (0, "503: Service Unavailable"),
}


def _json(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=204, headers=headers)
    # Exactly "application/json", no charset: discord.py only parses JSON under that exact header.
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"}
    )


async def read_body(request: web.Request) -> Any:
    """JSON, or the payload_json part of a multipart upload (attachments are accepted and ignored)."""
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        body: Any = None
        async for part in reader:
            if getattr(part, "name", None) == "payload_json":
                body = json.loads(await part.text())  # type: ignore[union-attr]
        return body
    raw = await request.read()
    return json.loads(raw) if raw else None


def make_middleware(emu: Emulator) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        target = request.match_info.handler
        fn: Handler | None = getattr(target, "__wrapped__", None)
        if fn is None:
            if getattr(target, "is_gateway", False):
                return await handler(request)  # type: ignore[no-any-return]
            emu.unimplemented.append(f"{request.method} {request.path}")
            record = RequestRecord(time.monotonic(), request.method, request.path, "UNIMPLEMENTED", 404, {})
            emu.log.append(record)
            return _json(404, {"message": "404: Not Found", "code": 0}, {})
        template = request.match_info.route.resource.canonical  # type: ignore[union-attr]
        route = f"{request.method} {template.removeprefix(API_PREFIX)}"
        params = dict(request.match_info)
        try:
            body = await read_body(request)
        except ValueError:
            return _finish(emu, request, route, 400, error(50109, "The request body contains invalid JSON."), {}, None)
        token = _bot_token(request)
        needs_auth = not route.split(" ", 1)[1].startswith(("/webhooks/{webhook_id}/{webhook_token}", "/interactions/"))
        if needs_auth and token != emu.state.token:
            return _finish(emu, request, route, 401, {"message": "401: Unauthorized", "code": 0}, {}, body)

        for fault in emu.faults:
            if fault.matches(route, params):
                fault.times -= 1
                return _forced(emu, request, route, fault, body)

        decision = emu.limiter.check(route, params, token if needs_auth else None)
        if not decision.allowed:
            headers = {**decision.headers, **too_many_requests_headers(decision.retry_after)}
            answer = too_many_requests_body(decision.retry_after, decision.scope == "global")
            return _finish(emu, request, route, 429, answer, headers, body, decision.scope)

        request[BODY] = body
        try:
            status, answer = await fn(emu, request)
        except ApiError as exc:
            status, answer = exc.status, exc.body()
        return _finish(emu, request, route, status, answer, decision.headers, body)

    return middleware


def _bot_token(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[4:] if auth.startswith("Bot ") else None


def _forced(emu: Emulator, request: web.Request, route: str, fault: Fault, body: Any) -> web.StreamResponse:
    if fault.status == 429:
        emu.limiter.served["forced"] += 1
        headers = too_many_requests_headers(fault.retry_after)
        headers["X-RateLimit-Scope"] = "global" if fault.is_global else "user"
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
        answer = too_many_requests_body(fault.retry_after, fault.is_global)
        return _finish(emu, request, route, 429, answer, headers, body, "forced")
    code, message = _DEFAULT_ERRORS.get(fault.status, (0, f"{fault.status}: Error"))
    answer = error(fault.code if fault.code is not None else code, fault.message or message)
    return _finish(emu, request, route, fault.status, answer, {}, body)


def _finish(
    emu: Emulator,
    request: web.Request,
    route: str,
    status: int,
    answer: Any,
    headers: dict[str, str],
    body: Any,
    scope: str | None = None,
) -> web.StreamResponse:
    emu.log.append(
        RequestRecord(time.monotonic(), request.method, request.path, route, status, dict(headers), body, scope)
    )
    emu.state.changes.notify()
    return _json(status, answer, headers)


def api(fn: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def unreachable(request: web.Request) -> web.StreamResponse:  # the middleware calls fn directly
        raise AssertionError("emulator handler called outside its middleware")

    unreachable.__wrapped__ = fn  # type: ignore[attr-defined]
    return unreachable


# -- handlers -----------------------------------------------------------------------------------------


def _channel(emu: Emulator, request: web.Request, need: int = p.VIEW_CHANNEL) -> Channel:
    c = emu.state.live_channel(int(request.match_info["channel_id"]))
    if c is None:
        raise ApiError(404, UNKNOWN_CHANNEL, "Unknown Channel")
    perms = emu.state.bot_permissions(c)
    if not perms & p.VIEW_CHANNEL:
        raise ApiError(403, MISSING_ACCESS, "Missing Access")
    if perms & need != need:
        raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")
    return c


def _guild_id(emu: Emulator, request: web.Request) -> int:
    gid = int(request.match_info["guild_id"])
    if gid not in emu.state.guilds:
        raise ApiError(404, UNKNOWN_GUILD, "Unknown Guild")
    return gid


def _app_id(emu: Emulator, request: web.Request) -> None:
    if int(request.match_info["application_id"]) != emu.state.application_id:
        raise ApiError(403, MISSING_ACCESS, "Missing Access")


async def me(emu: Emulator, request: web.Request) -> Answer:
    return 200, p.current_user(emu.state.bot_id, emu.state.bot_user["username"])


async def get_user(emu: Emulator, request: web.Request) -> Answer:
    uid = int(request.match_info["user_id"])
    for g in emu.state.guilds.values():
        if uid in g.members:
            return 200, g.members[uid].user
    raise ApiError(404, 10013, "Unknown User")


async def application_info(emu: Emulator, request: web.Request) -> Answer:
    s = emu.state
    return 200, p.application(
        s.application_id, s.bot_user["username"], s.owner_user, bot=s.bot_user, flags=s.application_flags
    )


async def gateway(emu: Emulator, request: web.Request) -> Answer:
    return 200, {"url": emu.gateway_url}


async def gateway_bot(emu: Emulator, request: web.Request) -> Answer:
    limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
    return 200, {"url": emu.gateway_url, "shards": emu.shard_count, "session_start_limit": limit}


async def get_commands(emu: Emulator, request: web.Request) -> Answer:
    _app_id(emu, request)
    gid = _guild_id(emu, request) if "guild_id" in request.match_info else None
    return 200, emu.state.commands.get(gid, [])


async def put_commands(emu: Emulator, request: web.Request) -> Answer:
    _app_id(emu, request)
    gid = _guild_id(emu, request) if "guild_id" in request.match_info else None
    sent = request[BODY]
    validate_commands(sent)
    return 200, emu.state.overwrite_commands(gid, sent)


async def get_channel(emu: Emulator, request: web.Request) -> Answer:
    return 200, _channel(emu, request).payload()


async def guild_channels(emu: Emulator, request: web.Request) -> Answer:
    g = emu.state.guilds[_guild_id(emu, request)]
    return 200, [c.payload() for c in g.live_channels()]


async def get_guild(emu: Emulator, request: web.Request) -> Answer:
    data = emu.state.guilds[_guild_id(emu, request)].payload()
    for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large", "member_count"):
        data.pop(key, None)
    return 200, data


async def guild_roles(emu: Emulator, request: web.Request) -> Answer:
    return 200, list(emu.state.guilds[_guild_id(emu, request)].roles.values())


async def get_member(emu: Emulator, request: web.Request) -> Answer:
    g = emu.state.guilds[_guild_id(emu, request)]
    m = g.members.get(int(request.match_info["user_id"]))
    if m is None:
        raise ApiError(404, 10007, "Unknown Member")
    return 200, m.payload()


async def create_message(emu: Emulator, request: web.Request) -> Answer:
    c = _channel(emu, request, p.VIEW_CHANNEL | p.SEND_MESSAGES)
    body = request[BODY] or {}
    validate_message(body, creating=True)
    if body.get("embeds") and not emu.state.bot_permissions(c) & p.EMBED_LINKS:
        raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")
    nonce = body.get("nonce")
    if nonce is not None and body.get("enforce_nonce"):
        hit = emu.state.nonce_hit(c.id, str(nonce), emu.nonce_window)
        if hit is not None and hit in c.messages:
            return 200, c.messages[hit]
    msg = new_message(emu.state, c, body)
    c.messages[int(msg["id"])] = msg
    if nonce is not None:
        emu.state.remember_nonce(c.id, str(nonce), int(msg["id"]))
    emu.dispatch_message("MESSAGE_CREATE", c, msg)
    return 200, msg


async def fetch_message(emu: Emulator, request: web.Request) -> Answer:
    c = _channel(emu, request, p.VIEW_CHANNEL | p.READ_MESSAGE_HISTORY)
    return 200, get_message(c, int(request.match_info["message_id"]))


async def list_messages(emu: Emulator, request: web.Request) -> Answer:
    c = _channel(emu, request, p.VIEW_CHANNEL | p.READ_MESSAGE_HISTORY)
    return 200, history(c, request.query)


async def edit_message(emu: Emulator, request: web.Request) -> Answer:
    c = _channel(emu, request)
    msg = get_message(c, int(request.match_info["message_id"]))
    if msg["author"]["id"] != str(emu.state.bot_id):
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    body = request[BODY] or {}
    validate_message(body, creating=False)
    if body.get("embeds") and not emu.state.bot_permissions(c) & p.EMBED_LINKS:
        raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")
    apply_edit(emu.state, c, msg, body)
    emu.dispatch_message("MESSAGE_UPDATE", c, msg)
    return 200, msg


async def delete_message(emu: Emulator, request: web.Request) -> Answer:
    c = _channel(emu, request)
    msg = get_message(c, int(request.match_info["message_id"]))
    if msg["author"]["id"] != str(emu.state.bot_id) and not emu.state.bot_permissions(c) & p.MANAGE_MESSAGES:
        raise ApiError(403, MISSING_PERMISSIONS, "Missing Permissions")
    del c.messages[int(msg["id"])]
    emu.dispatch_delete(c, int(msg["id"]))
    return 204, None


async def typing(emu: Emulator, request: web.Request) -> Answer:
    _channel(emu, request, p.VIEW_CHANNEL | p.SEND_MESSAGES)
    return 204, None


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/users/@me", me),
    ("GET", "/users/{user_id}", get_user),
    ("GET", "/oauth2/applications/@me", application_info),
    ("GET", "/applications/@me", application_info),
    ("GET", "/gateway", gateway),
    ("GET", "/gateway/bot", gateway_bot),
    ("GET", "/applications/{application_id}/commands", get_commands),
    ("PUT", "/applications/{application_id}/commands", put_commands),
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", get_commands),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", put_commands),
    ("GET", "/channels/{channel_id}", get_channel),
    ("GET", "/channels/{channel_id}/messages", list_messages),
    ("POST", "/channels/{channel_id}/messages", create_message),
    ("GET", "/channels/{channel_id}/messages/{message_id}", fetch_message),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message),
    ("POST", "/channels/{channel_id}/typing", typing),
    ("GET", "/guilds/{guild_id}", get_guild),
    ("GET", "/guilds/{guild_id}/channels", guild_channels),
    ("GET", "/guilds/{guild_id}/roles", guild_roles),
    ("GET", "/guilds/{guild_id}/members/{user_id}", get_member),
]


async def _unimplemented(request: web.Request) -> web.StreamResponse:
    raise AssertionError("handled by the middleware")


def add_routes(app: web.Application) -> None:
    for method, path, fn in ROUTES + WEBHOOK_ROUTES:
        app.router.add_route(method, API_PREFIX + path, api(fn))
    app.router.add_route("*", "/{tail:.*}", _unimplemented)
