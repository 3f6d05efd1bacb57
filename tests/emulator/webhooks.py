"""Interaction callbacks and the interaction webhook (follow-ups, @original), with Discord's deadlines.

A callback later than `interaction_deadline` (3 s) answers 10062 Unknown interaction; a second
acknowledgement answers 40060; webhook calls after `token_lifetime` (15 min) answer 50027.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as p
from .invoke import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL,
    UPDATE_MESSAGE,
    Invocation,
)
from .messages import apply_edit, new_message
from .validate import (
    ALREADY_ACKNOWLEDGED,
    INVALID_WEBHOOK_TOKEN,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    ApiError,
    form_error,
    validate_message,
)

if TYPE_CHECKING:
    from .server import Emulator

Answer = tuple[int, Any]
# The parsed request body, read once by the middleware.
BODY: web.RequestKey[Any] = web.RequestKey("emulator_body", object)

ALLOWED = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
}


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _message_kind(inv: Invocation) -> int:
    return 20 if inv.kind == APPLICATION_COMMAND else 0


def _post(emu: Emulator, inv: Invocation, body: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
    """A message authored through the interaction: stored in the channel unless ephemeral."""
    c = emu.state.channels[inv.channel_id]
    meta = p.interaction_metadata(inv.id, inv.kind, inv.member.user, guild_id=inv.guild_id)
    msg = new_message(emu.state, c, body, webhook=True, flags=flags, kind=_message_kind(inv), interaction_metadata=meta)
    if not int(msg["flags"]) & EPHEMERAL and not c.deleted:
        c.messages[int(msg["id"])] = msg
        emu.dispatch_message("MESSAGE_CREATE", c, msg)
    elif int(msg["flags"]) & EPHEMERAL:
        emu.state.ephemeral[int(msg["id"])] = (c, msg)
    return msg


async def callback(emu: Emulator, request: web.Request) -> Answer:
    inv = emu.interactions.get(int(request.match_info["webhook_id"]))
    if inv is None or inv.token != request.match_info["webhook_token"]:
        raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
    if time.monotonic() - inv.created > emu.interaction_deadline:
        raise ApiError(404, UNKNOWN_INTERACTION, "Unknown interaction")
    if inv.response is not None:
        raise ApiError(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
    body = request[BODY] or {}
    rtype = int(body.get("type", 0))
    if rtype not in ALLOWED.get(inv.kind, set()):
        raise form_error(
            "type", "INTERACTION_RESPONSE_TYPE_INVALID", f"Interaction response type {rtype} is not valid here"
        )
    data = body.get("data") or {}
    message: dict[str, Any] | None = None
    if rtype == CHANNEL_MESSAGE:
        validate_message(data, creating=True)
        message = _post(emu, inv, data)
    elif rtype == DEFERRED_CHANNEL_MESSAGE:
        message = _post(emu, inv, {"content": ""}, flags=LOADING | (int(data.get("flags") or 0) & EPHEMERAL))
    elif rtype in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
        c = emu.state.channels[inv.channel_id]
        found = emu.state.find_message(inv.source_message_id or 0)
        if found is None:
            raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")
        message = found[1]
        if rtype == UPDATE_MESSAGE:
            validate_message(data, creating=False)
            apply_edit(emu.state, c, message, data)
            inv.edits.append(data)
            if not int(message.get("flags", 0)) & EPHEMERAL:
                emu.dispatch_message("MESSAGE_UPDATE", c, message)
    elif rtype == AUTOCOMPLETE_RESULT:
        if len(data.get("choices") or []) > 25:
            raise form_error("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    elif rtype == MODAL and not (data.get("custom_id") and data.get("title") and data.get("components")):
        raise form_error("data", "BASE_TYPE_REQUIRED", "This field is required")
    inv.response = body
    inv.original = message
    emu.state.changes.notify()
    if not _truthy(request.query.get("with_response")):
        return 204, None
    ephemeral = bool(message and int(message["flags"]) & EPHEMERAL)
    return 200, p.callback_response(inv.id, inv.kind, rtype, message_payload=message, ephemeral=ephemeral)


def _webhook(emu: Emulator, request: web.Request) -> Invocation:
    token = request.match_info["webhook_token"]
    inv = emu.interactions_by_token.get(token)
    if inv is None or int(request.match_info["webhook_id"]) != emu.state.application_id:
        raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
    if time.monotonic() - inv.created > emu.token_lifetime:
        raise ApiError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
    if inv.response is None:
        raise ApiError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
    return inv


def _find(inv: Invocation, message_id: str) -> dict[str, Any]:
    if message_id == "@original":
        if inv.original is None:
            raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")
        return inv.original
    for m in inv.messages:
        if m["id"] == message_id:
            return m
    raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")


async def followup(emu: Emulator, request: web.Request) -> Answer:
    inv = _webhook(emu, request)
    body = request[BODY] or {}
    validate_message(body, creating=True)
    original = inv.original
    if original is not None and int(original.get("flags", 0)) & LOADING:
        # Discord turns the first follow-up after a defer into the deferred ("thinking") message itself.
        c = emu.state.channels[inv.channel_id]
        apply_edit(emu.state, c, original, body)
        original["flags"] = int(original["flags"]) & ~LOADING
        msg = original
        if not int(msg["flags"]) & EPHEMERAL:
            emu.dispatch_message("MESSAGE_UPDATE", c, msg)
    else:
        msg = _post(emu, inv, body, flags=int(body.get("flags") or 0) & EPHEMERAL)
    inv.followups.append(msg)
    emu.state.changes.notify()
    return (200, msg) if _truthy(request.query.get("wait")) else (204, None)


async def get_webhook_message(emu: Emulator, request: web.Request) -> Answer:
    return 200, _find(_webhook(emu, request), request.match_info.get("message_id", "@original"))


async def edit_webhook_message(emu: Emulator, request: web.Request) -> Answer:
    inv = _webhook(emu, request)
    msg = _find(inv, request.match_info.get("message_id", "@original"))
    body = request[BODY] or {}
    validate_message(body, creating=False)
    c = emu.state.channels[inv.channel_id]
    apply_edit(emu.state, c, msg, body)
    msg["flags"] = int(msg.get("flags", 0)) & ~LOADING
    inv.edits.append(body)
    if not int(msg["flags"]) & EPHEMERAL and int(msg["id"]) in c.messages:
        emu.dispatch_message("MESSAGE_UPDATE", c, msg)
    emu.state.changes.notify()
    return 200, msg


async def delete_webhook_message(emu: Emulator, request: web.Request) -> Answer:
    inv = _webhook(emu, request)
    msg = _find(inv, request.match_info.get("message_id", "@original"))
    c = emu.state.channels[inv.channel_id]
    if c.messages.pop(int(msg["id"]), None) is not None:
        emu.dispatch_delete(c, int(msg["id"]))
    msg["deleted"] = True
    return 204, None


_BASE = "/webhooks/{webhook_id}/{webhook_token}"
WEBHOOK_ROUTES = [
    ("POST", "/interactions/{webhook_id}/{webhook_token}/callback", callback),
    ("POST", _BASE, followup),
    ("GET", _BASE + "/messages/@original", get_webhook_message),
    ("PATCH", _BASE + "/messages/@original", edit_webhook_message),
    ("DELETE", _BASE + "/messages/@original", delete_webhook_message),
    ("GET", _BASE + "/messages/{message_id}", get_webhook_message),
    ("PATCH", _BASE + "/messages/{message_id}", edit_webhook_message),
    ("DELETE", _BASE + "/messages/{message_id}", delete_webhook_message),
]
