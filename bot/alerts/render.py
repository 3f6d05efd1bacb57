"""Alert and digest messages as Discord JSON payloads, within every Discord limit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.alerts.text import cut, neutralise_mentions, safe
from bot.alerts.view import AlertView
from bot.core import categories
from bot.core.links import markdown_link, safe_url

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
FIELDS_MAX = 25
# The "also reported by" line of an alert's description.
OTHERS_MAX = 900
EMBED_TOTAL_MAX = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_MAX = 2000

CATEGORY_COLOURS = categories.COLOURS  # config/categories.toml
DEFAULT_COLOUR = 0x7F8C8D
CATEGORY_LABELS = categories.LABELS
FEEDBACK_RELEVANT = "bw:fb:1:{story_id}"
FEEDBACK_IRRELEVANT = "bw:fb:0:{story_id}"


def discord_timestamp(moment: datetime, style: str = "f") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def _count(value: Any) -> str | None:
    if isinstance(value, int) and value > 0:
        return f"{value:,}"
    return None


def _join(values: Any, limit: int = FIELD_VALUE_MAX) -> str | None:
    if not values:
        return None
    items = [values] if isinstance(values, str) else [str(v) for v in values]
    return cut(safe(", ".join(items)), limit)


def fact_fields(facts: dict[str, Any]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    affected = _count(facts.get("affected")) or _join(facts.get("affected_text"))
    for name, value in (
        ("Affected", affected),
        ("Data", _join(facts.get("data_types"))),
        ("Organisations", _join(facts.get("organisations"))),
        ("Country", _join(facts.get("country"))),
    ):
        if value:
            fields.append((name, value))
    return fields


def _why(view: AlertView) -> str:
    parts = [f"{concept}: {', '.join(terms[:4])}" for concept, terms in view.evidence.items() if terms]
    text = f"Why: {'; '.join(parts)}" if parts else "Why: classifier score"
    return cut(" ".join(f"{text} · score {view.score:.2f} · story #{view.story_id}".split()), FOOTER_MAX)


def _others_line(view: AlertView, limit: int = OTHERS_MAX) -> str | None:
    others = [o for o in view.others if o.name != view.outlet]
    if not others:
        return None
    n = len({o.name for o in others})
    head = f"Also reported by {n} outlet{'s' if n != 1 else ''}: "
    links: list[str] = []
    for o in others[:8]:
        link = markdown_link(cut(safe(o.name), 60), o.url)
        # Whole links only: a link cut in the middle would leave its markdown open.
        if len(head) + len(", ".join([*links, link])) + len(" and 99 more") > limit:
            break
        links.append(link)
    more = f" and {len(others) - len(links)} more" if len(others) > len(links) else ""
    return head + ", ".join(links) + more


def alert_embed(view: AlertView, *, test: bool = False) -> dict[str, Any]:
    """One alert as an embed dict (the JSON discord.Embed.from_dict takes and Discord accepts)."""
    title = cut(safe(view.title) or "Untitled report", TITLE_MAX - (7 if test else 0))
    if test:
        title = "[TEST] " + title
    lines = [cut(safe(view.summary), 3000)] if view.summary else []
    others = _others_line(view)
    if others:
        lines.append(others)
    if view.published_at:
        lines.append(f"Published {discord_timestamp(view.published_at)}")
    embed: dict[str, Any] = {
        "type": "rich",
        "title": title,
        "description": cut("\n\n".join(lines), DESCRIPTION_MAX),
        "color": CATEGORY_COLOURS.get(view.categories[0], DEFAULT_COLOUR) if view.categories else DEFAULT_COLOUR,
        # Discord shows an author name as it is, markdown and all: escaping it would show the backslashes. Mentions
        # are still broken (an invisible space), so no client ever reads one there.
        "author": {"name": cut(neutralise_mentions(" ".join(view.outlet.split())) or "unknown outlet", AUTHOR_MAX)},
        "footer": {"text": _why(view)},
        "fields": [],
    }
    url = safe_url(view.url)
    if url:
        embed["url"] = url
    if view.published_at:
        embed["timestamp"] = view.published_at.isoformat()
    fields = fact_fields(view.facts)
    if view.categories:
        fields.append(("Categories", ", ".join(CATEGORY_LABELS.get(c, c) for c in view.categories)))
    if view.language:
        fields.append(("Language", view.language))
    embed["fields"] = [
        {"name": cut(n, FIELD_NAME_MAX), "value": cut(v, FIELD_VALUE_MAX), "inline": True}
        for n, v in fields[:FIELDS_MAX]
    ]
    return fit_total(embed)


def embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    return size + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))


def fit_total(embed: dict[str, Any]) -> dict[str, Any]:
    """Shrink the description, then drop trailing fields, until the embed is within Discord's 6000 total."""
    over = embed_size(embed) - EMBED_TOTAL_MAX
    if over > 0 and embed.get("description"):
        embed["description"] = cut(embed["description"], max(1, len(embed["description"]) - over))
    while embed_size(embed) > EMBED_TOTAL_MAX and embed["fields"]:
        embed["fields"].pop()
    return embed


def alert_payload(view: AlertView, *, mention_role_id: int | None = None, test: bool = False) -> dict[str, Any]:
    """The whole message: embed, optional role ping, mentions locked to that role, feedback buttons."""
    payload: dict[str, Any] = {
        "embeds": [alert_embed(view, test=test)],
        "allowed_mentions": {"parse": [], "roles": [str(mention_role_id)] if mention_role_id else []},
        "components": [] if test else [feedback_row(view.story_id)],
    }
    if mention_role_id:
        payload["content"] = f"<@&{mention_role_id}>"
    return payload


def feedback_row(story_id: int) -> dict[str, Any]:
    return {
        "type": 1,
        "components": [
            {"type": 2, "style": 3, "label": "Relevant", "custom_id": FEEDBACK_RELEVANT.format(story_id=story_id)},
            {
                "type": 2,
                "style": 4,
                "label": "Not relevant",
                "custom_id": FEEDBACK_IRRELEVANT.format(story_id=story_id),
            },
        ],
    }


def followup_content(view: AlertView, new_facts: dict[str, Any]) -> str:
    parts = [f"{name}: {value}" for name, value in fact_fields(new_facts)]
    text = "Update on this story: " + ("; ".join(parts) if parts else "new details reported")
    return cut(f"{text} (story #{view.story_id})", CONTENT_MAX)


def digest_payloads(views: list[AlertView], period: str) -> list[dict[str, Any]]:
    """A period's stories as few messages as the limits allow: one embed line per story, split when full."""
    header = f"breachwatch {period} digest: {len(views)} stor{'y' if len(views) == 1 else 'ies'}"
    lines = []
    for v in views:
        outlets = f" · {v.outlet_count} outlets" if v.outlet_count > 1 else ""
        head = cut(safe(v.title), 180)
        lines.append(f"**{markdown_link(head, v.url)}**{outlets} · #{v.story_id}\n{cut(safe(v.summary), 220)}")
    embeds: list[dict[str, Any]] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n\n".join([*chunk, line])) > DESCRIPTION_MAX - 200:
            embeds.append({"type": "rich", "description": "\n\n".join(chunk), "color": DEFAULT_COLOUR})
            chunk = []
        chunk.append(line)
    if chunk:
        embeds.append({"type": "rich", "description": "\n\n".join(chunk), "color": DEFAULT_COLOUR})
    # Discord's 6000-character total counts every embed of one message together.
    messages: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for embed in embeds:
        n = len(embed["description"])
        if current and (len(current) >= EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_MAX - 200):
            messages.append({"embeds": current})
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        messages.append({"embeds": current})
    for i, message in enumerate(messages):
        message["content"] = header + (f" (part {i + 1}/{len(messages)})" if len(messages) > 1 else "")
        message["allowed_mentions"] = {"parse": []}
    return messages


def merged_payload(survivor_id: int, guild_id: int, channel_id: int, message_id: int | None) -> dict[str, Any]:
    """What an alert becomes once its story was merged into another one that was alerted in the same channel: a
    pointer to that alert, with no embed and no buttons, so the channel has one live alert per incident."""
    where = f" — see https://discord.com/channels/{guild_id}/{channel_id}/{message_id}" if message_id else ""
    return {
        "content": f"Merged into story #{survivor_id}{where}",
        "embeds": [],
        "components": [],
        "allowed_mentions": {"parse": []},
    }
