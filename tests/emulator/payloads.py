"""The one payload factory: every JSON object the emulator shows discord.py is built here.

Shapes follow Discord's API v10 documentation. The contract test feeds each factory's output through
discord.py's own model constructors, so a field a future discord.py starts to require fails there first.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any

from .constants import *  # noqa: F403  (re-exported, so callers write p.VIEW_CHANNEL)
from .constants import GUILD_TEXT

Json = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000

_lock = threading.Lock()
_increment = itertools.count(1)


def snowflake(at: float | None = None) -> int:
    """A fresh, unique, time-ordered snowflake (worker/process bits fixed)."""
    ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    with _lock:
        inc = next(_increment) & 0xFFF
    return (ms << 22) | (1 << 17) | (1 << 12) | inc


def iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, UTC).isoformat()


# fmt: off
_USER_STATIC: Json = {
    "avatar": None, "banner": None, "accent_color": None, "avatar_decoration_data": None, "collectibles": None,
    "primary_guild": None, "public_flags": 0, "flags": 0,
}
# fmt: on


def user(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> Json:
    data: Json = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name if global_name is not None else (None if bot else username),
        **copy.deepcopy(_USER_STATIC),
    }
    if bot:
        data["bot"] = True
    return data


def current_user(user_id: int, username: str) -> Json:
    """/users/@me and READY.user: a user plus the private fields only the owner sees."""
    data = user(user_id, username, bot=True)
    data.update({"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US", "premium_type": 0})
    return data


# fmt: off
_APPLICATION_STATIC: Json = {
    "icon": None, "description": "", "summary": "", "type": None, "bot_public": True, "bot_require_code_grant": False,
    "verify_key": "0" * 64, "team": None, "tags": [], "approximate_guild_count": 1,
    "approximate_user_install_count": 0, "interactions_endpoint_url": None, "redirect_uris": [],
    "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
    "integration_types_config": {"0": {}}, "custom_install_url": None, "role_connections_verification_url": None,
    "event_webhooks_url": None, "event_webhooks_status": 1,
}
# fmt: on


def application(app_id: int, name: str, owner: Json, *, bot: Json | None = None, flags: int = 0) -> Json:
    data = copy.deepcopy(_APPLICATION_STATIC)
    data.update({"id": str(app_id), "name": name, "owner": owner, "flags": flags})
    if bot is not None:
        data["bot"] = bot
    return data


def role(
    role_id: int,
    name: str,
    *,
    permissions: int = 0,
    position: int = 0,
    managed: bool = False,
    mentionable: bool = False,
    bot_id: int | None = None,
) -> Json:
    data: Json = {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if bot_id is not None:
        data["tags"] = {"bot_id": str(bot_id)}
    return data


def overwrite(target_id: int, kind: int, *, allow: int = 0, deny: int = 0) -> Json:
    """kind 0 = role, 1 = member."""
    return {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}


def text_channel(
    channel_id: int,
    guild_id: int,
    name: str,
    *,
    position: int = 0,
    overwrites: list[Json] | None = None,
    parent_id: int | None = None,
    kind: int = GUILD_TEXT,
    last_message_id: int | None = None,
) -> Json:
    return {
        "id": str(channel_id),
        "type": kind,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": list(overwrites or []),
        "nsfw": False,
        "topic": None,
        "parent_id": None if parent_id is None else str(parent_id),
        "last_message_id": None if last_message_id is None else str(last_message_id),
        "last_pin_timestamp": None,
        "rate_limit_per_user": 0,
        "default_auto_archive_duration": 1440,
        "default_thread_rate_limit_per_user": 0,
        "flags": 0,
    }


def member(user_payload: Json, role_ids: list[int], *, joined: float | None = None, nick: str | None = None) -> Json:
    return {
        "user": user_payload,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": iso(joined),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }


def interaction_member(member_payload: Json, permissions: int) -> Json:
    """A member as carried by an interaction: includes its computed permissions in the channel."""
    return {**member_payload, "permissions": str(permissions)}


# fmt: off
_GUILD_STATIC: Json = {
    "icon": None, "icon_hash": None, "splash": None, "discovery_splash": None, "afk_channel_id": None,
    "afk_timeout": 300, "widget_enabled": False, "widget_channel_id": None, "verification_level": 0,
    "default_message_notifications": 1, "explicit_content_filter": 0, "emojis": [], "stickers": [], "features": [],
    "mfa_level": 0, "application_id": None, "system_channel_flags": 0, "rules_channel_id": None,
    "max_presences": None, "max_members": 500000, "vanity_url_code": None, "description": None, "banner": None,
    "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
    "public_updates_channel_id": None, "max_video_channel_users": 25, "max_stage_video_channel_users": 50,
    "nsfw_level": 0, "premium_progress_bar_enabled": False, "safety_alerts_channel_id": None,
    "incidents_data": None, "region": "deprecated", "home_header": None,
}
_GUILD_CREATE_STATIC: Json = {
    "large": False, "unavailable": False, "voice_states": [], "threads": [], "presences": [], "stage_instances": [],
    "guild_scheduled_events": [], "soundboard_sounds": [], "lazy": True,
}
# fmt: on


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    roles: list[Json],
    channels: list[Json],
    members: list[Json],
    system_channel_id: int | None = None,
    joined: float | None = None,
    preferred_locale: str = "en-US",
) -> Json:
    """A full GUILD_CREATE payload (also what GET /guilds/{id} returns, minus the gateway-only keys)."""
    return {
        "id": str(guild_id),
        "name": name,
        "owner_id": str(owner_id),
        "roles": roles,
        "system_channel_id": None if system_channel_id is None else str(system_channel_id),
        **copy.deepcopy(_GUILD_STATIC),
        "preferred_locale": preferred_locale,
        # Gateway-only fields of GUILD_CREATE.
        "joined_at": iso(joined),
        "member_count": len(members),
        "members": members,
        "channels": channels,
        **copy.deepcopy(_GUILD_CREATE_STATIC),
    }


def unavailable_guild(guild_id: int) -> Json:
    return {"id": str(guild_id), "unavailable": True}


# fmt: off
_MESSAGE_STATIC: Json = {
    "type": 0, "content": "", "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
    "mention_roles": [], "mention_channels": [], "attachments": [], "embeds": [], "reactions": [], "pinned": False,
    "flags": 0, "components": [], "sticker_items": [], "position": 0,
}
# fmt: on


def message(message_id: int, channel_id: int, author: Json, *, created: float | None = None, **fields: Any) -> Json:
    """A message; `fields` are Discord's own keys (content, embeds, type, nonce, message_reference,
    webhook_id...) and override the defaults. None values are left out."""
    data = copy.deepcopy(_MESSAGE_STATIC)
    data.update({"id": str(message_id), "channel_id": str(channel_id), "author": author, "timestamp": iso(created)})
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def interaction_metadata(interaction_id: int, kind: int, user_payload: Json, *, guild_id: int) -> Json:
    return {
        "id": str(interaction_id),
        "type": kind,
        "user": user_payload,
        "authorizing_integration_owners": {"0": str(guild_id)},
    }


def partial_channel(channel: Json, permissions: int) -> Json:
    """The channel object inside an interaction (and in resolved data): carries the user's permissions."""
    return {**channel, "permissions": str(permissions)}


def interaction(
    *,
    interaction_id: int,
    application_id: int,
    kind: int,
    token: str,
    guild_id: int,
    channel: Json,
    member_payload: Json,
    app_permissions: int,
    data: Json | None = None,
    message_payload: Json | None = None,
    locale: str = "en-US",
    guild_locale: str = "en-US",
) -> Json:
    """INTERACTION_CREATE. kind: 2 application command, 3 component, 4 autocomplete."""
    payload: Json = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": guild_locale, "features": []},
        "channel_id": channel["id"],
        "channel": channel,
        "member": member_payload,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "guild_locale": guild_locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if data is not None:
        payload["data"] = data
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def command_data(
    command: Json, options: list[Json], resolved: Json | None = None, *, target_guild: int | None = None
) -> Json:
    """interaction.data for a slash command."""
    data: Json = {"id": command["id"], "name": command["name"], "type": command.get("type", 1)}
    if options:
        data["options"] = options
    if resolved:
        data["resolved"] = resolved
    if target_guild is not None:
        data["guild_id"] = str(target_guild)
    return data


def component_data(custom_id: str, component_type: int, values: list[str] | None = None) -> Json:
    data: Json = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = values
    return data


def application_command(
    sent: Json, *, command_id: int, application_id: int, guild_id: int | None, version: int
) -> Json:
    """What Discord stores and returns for a command the bot registered (bulk overwrite / fetch)."""
    perms = sent.get("default_member_permissions")
    data: Json = {
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(version),
        "type": sent.get("type", 1),
        "name": sent["name"],
        "name_localizations": sent.get("name_localizations"),
        "description": sent.get("description", ""),
        "description_localizations": sent.get("description_localizations"),
        "options": sent.get("options", []),
        "default_member_permissions": None if perms is None else str(perms),
        "dm_permission": sent.get("dm_permission", True),
        "nsfw": sent.get("nsfw", False),
        "contexts": sent.get("contexts"),
        "integration_types": sent.get("integration_types") or [0],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def callback_response(
    interaction_id: int, kind: int, response_type: int, *, message_payload: Json | None, ephemeral: bool
) -> Json:
    """The body of POST /interactions/{id}/{token}/callback?with_response=true."""
    inner: Json = {"id": str(interaction_id), "type": kind}
    if message_payload is not None:
        inner["response_message_id"] = message_payload["id"]
        inner["response_message_loading"] = response_type == 5
        inner["response_message_ephemeral"] = ephemeral
    body: Json = {"interaction": inner}
    resource: Json = {"type": response_type}
    if message_payload is not None:
        resource["message"] = message_payload
    body["resource"] = resource
    return body


# fmt: off
_READY_STATIC: Json = {
    "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [], "user_settings": {},
    "geo_ordered_rtc_regions": ["local"], "auth": {},
}
# fmt: on


def ready(
    *,
    session_id: str,
    resume_url: str,
    me: Json,
    guild_ids: list[int],
    application_id: int,
    application_flags: int,
    shard: list[int] | None,
) -> Json:
    data: Json = {
        "v": 10,
        "user": me,
        "guilds": [unavailable_guild(g) for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "application": {"id": str(application_id), "flags": application_flags},
        **copy.deepcopy(_READY_STATIC),
        "_trace": ['["breachwatch-emulator",{"micros":0}]'],
    }
    if shard is not None:
        data["shard"] = shard
    return data
