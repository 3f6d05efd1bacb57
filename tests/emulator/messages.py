"""Creating and editing messages as Discord does: mentions resolved under allowed_mentions, flags kept."""

from __future__ import annotations

import re
import time
from typing import Any

from . import payloads as p
from .payloads import Json
from .state import Channel, State
from .validate import UNKNOWN_MESSAGE, ApiError, form_error

_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
EDITABLE = ("content", "embeds", "components", "flags", "allowed_mentions")
SUPPRESS_EMBEDS = 1 << 2


def resolve_mentions(state: State, channel: Channel, content: str, allowed: Json | None) -> Json:
    """Who this content actually pings, given allowed_mentions (absent = Discord's parse-everything)."""
    g = state.guilds[channel.guild_id]
    perms = state.bot_permissions(channel)
    parse = ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
    allow_users = {int(u) for u in (allowed or {}).get("users") or []}
    allow_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    everyone = (
        ("@everyone" in content or "@here" in content) and "everyone" in parse and bool(perms & p.MENTION_EVERYONE)
    )
    roles: list[int] = []
    for rid in map(int, _ROLE.findall(content)):
        role = g.roles.get(rid)
        if role is None or rid in roles:
            continue
        if ("roles" in parse or rid in allow_roles) and (role["mentionable"] or perms & p.MENTION_EVERYONE):
            roles.append(rid)
    users: list[Json] = []
    for uid in map(int, _USER.findall(content)):
        m = g.members.get(uid)
        if m is not None and ("users" in parse or uid in allow_users) and m.user not in users:
            users.append(m.user)
    return {"mention_everyone": everyone, "mention_roles": [str(r) for r in roles], "mentions": users}


def new_message(
    state: State,
    channel: Channel,
    body: Json,
    *,
    webhook: bool = False,
    flags: int = 0,
    kind: int = 0,
    interaction_metadata: Json | None = None,
) -> Json:
    reference = body.get("message_reference")
    referenced = None
    if reference:
        ref_id = int(reference.get("message_id", 0))
        referenced = channel.messages.get(ref_id)
        if referenced is None and reference.get("fail_if_not_exists", True):
            raise form_error("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
        if referenced is not None:
            reference = {
                "type": 0,
                "message_id": str(ref_id),
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            kind = 19
        else:
            reference = None
    msg = p.message(
        p.snowflake(),
        channel.id,
        state.bot_user,
        content=body.get("content") or "",
        embeds=[_normalise_embed(e) for e in body.get("embeds") or []],
        components=body.get("components") or [],
        flags=flags | (int(body.get("flags") or 0) & (SUPPRESS_EMBEDS | 64 | 4096)),
        nonce=body.get("nonce"),
        message_reference=reference,
        referenced_message=referenced if reference else None,
        webhook_id=str(state.application_id) if webhook else None,
        application_id=str(state.application_id) if webhook else None,
        type=kind,
        interaction_metadata=interaction_metadata,
    )
    msg.update(resolve_mentions(state, channel, msg["content"], body.get("allowed_mentions")))
    return msg


def apply_edit(state: State, channel: Channel, msg: Json, body: Json) -> Json:
    for key in EDITABLE:
        if key not in body or key == "allowed_mentions":
            continue
        value = body[key]
        if key == "embeds":
            value = [_normalise_embed(e) for e in value or []]
        elif key == "flags":
            value = (int(msg.get("flags", 0)) & ~SUPPRESS_EMBEDS) | (int(value or 0) & SUPPRESS_EMBEDS)
        msg[key] = value if value is not None else ([] if key in ("embeds", "components") else "")
    if not (msg.get("content") or msg.get("embeds") or msg.get("components") or msg.get("attachments")):
        raise ApiError(400, 50006, "Cannot send an empty message")
    msg["edited_timestamp"] = p.iso(time.time())
    if "content" in body:
        msg.update(resolve_mentions(state, channel, msg["content"], body.get("allowed_mentions")))
    return msg


def _normalise_embed(e: Json) -> Json:
    out: dict[str, Any] = {"type": e.get("type", "rich")}
    out.update({k: v for k, v in e.items() if v is not None})
    if out.get("fields"):
        out["fields"] = [
            {"name": f["name"], "value": f["value"], "inline": bool(f.get("inline", False))} for f in out["fields"]
        ]
    return out


def get_message(channel: Channel, message_id: int) -> Json:
    msg = channel.messages.get(message_id)
    if msg is None:
        raise ApiError(404, UNKNOWN_MESSAGE, "Unknown Message")
    return msg


def history(channel: Channel, query: Any) -> list[Json]:
    """GET /channels/{id}/messages: newest first, with before/after/around and limit 1..100."""
    try:
        limit = int(query.get("limit", 50))
    except ValueError:
        raise form_error("limit", "NUMBER_TYPE_COERCE", "Value is not int.") from None
    if not 1 <= limit <= 100:
        raise form_error("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.")
    ids = sorted(channel.messages)
    if "before" in query:
        ids = [i for i in ids if i < int(query["before"])][-limit:]
    elif "after" in query:
        ids = [i for i in ids if i > int(query["after"])][:limit]
    elif "around" in query:
        pivot = int(query["around"])
        older = [i for i in ids if i <= pivot][-(limit // 2 + limit % 2) :]
        newer = [i for i in ids if i > pivot][: limit // 2]
        ids = older + newer
    else:
        ids = ids[-limit:]
    return [channel.messages[i] for i in reversed(ids)]
