"""Alert and digest messages as Discord JSON payloads, within every Discord limit, in the subscription's language
(labels and numbers; feed text stays as the outlet wrote it, and times are Discord's <t:…> so each reader sees their
own clock and language)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.alerts.text import cut, neutralise_mentions, safe
from bot.alerts.view import AlertView, Outlet
from bot.core import categories
from bot.core.links import markdown_link, safe_url
from bot.i18n import name_of_language, number, t

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
# English labels (config/categories.toml); every language's are `category.<key>` in config/locales/messages.
CATEGORY_LABELS = categories.LABELS
FEEDBACK_RELEVANT = "bw:fb:1:{story_id}"
FEEDBACK_IRRELEVANT = "bw:fb:0:{story_id}"


def discord_timestamp(moment: datetime, style: str = "f") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def category_label(key: str, lang: str = "en") -> str:
    return t(lang, f"category.{key}") if key in CATEGORY_LABELS else key


def category_labels(keys: Any, lang: str = "en") -> str:
    return ", ".join(category_label(k, lang) for k in keys)


def _count(value: Any, lang: str) -> str | None:
    if isinstance(value, int) and value > 0:
        return number(lang, value)
    return None


def _join(values: Any, limit: int = FIELD_VALUE_MAX) -> str | None:
    if not values:
        return None
    items = [values] if isinstance(values, str) else [str(v) for v in values]
    return cut(safe(", ".join(items)), limit)


def fact_fields(facts: dict[str, Any], lang: str = "en") -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    affected = _count(facts.get("affected"), lang) or _join(facts.get("affected_text"))
    for msg_id, value in (
        ("alert.affected", affected),
        ("alert.data", _join(facts.get("data_types"))),
        ("alert.organisations", _join(facts.get("organisations"))),
        ("alert.country", _join(facts.get("country"))),
    ):
        if value:
            fields.append((t(lang, msg_id), value))
    return fields


def _why(view: AlertView, lang: str) -> str:
    parts = [f"{concept}: {', '.join(terms[:4])}" for concept, terms in view.evidence.items() if terms]
    text = t(lang, "alert.why", evidence="; ".join(parts)) if parts else t(lang, "alert.why_score")
    footer = t(lang, "alert.footer", why=text, score=float(view.score), id=str(view.story_id))
    return cut(" ".join(footer.split()), FOOTER_MAX)


def _others_line(view: AlertView, lang: str, limit: int = OTHERS_MAX) -> str | None:
    others = [o for o in view.others if o.name != view.outlet]
    if not others:
        return None
    n = len({o.name for o in others})
    head = t(lang, "alert.also_reported", count=n, links="")
    more_room = len(t(lang, "alert.also_reported_more", links="", more=99))
    links: list[str] = []
    for o in others[:8]:
        link = markdown_link(cut(safe(o.name), 60), o.url)
        # Whole links only: a link cut in the middle would leave its markdown open.
        if len(head) + len(", ".join([*links, link])) + more_room > limit:
            break
        links.append(link)
    joined = ", ".join(links)
    if len(others) > len(links):
        joined = t(lang, "alert.also_reported_more", links=joined, more=len(others) - len(links))
    return t(lang, "alert.also_reported", count=n, links=joined)


def _code(language: str | None) -> str | None:
    """An article's language as one of our two-letter codes (`pt-BR` and `pt` are one language)."""
    return language[:2].lower() if language else None


def in_language(view: AlertView, lang: str) -> tuple[AlertView, str | None]:
    """The story as `lang`'s readers should meet it: led by a report in `lang` when an outlet wrote one (the others,
    the original lead included, become "also reported by"); else as it is, with a line saying in which language(s)
    it was reported. A report in `lang` arriving later bumps the story's version, so the posted alert is edited to
    lead with it."""
    if _code(view.language) == lang:
        return view, None
    local = next((o for o in view.others if _code(o.language) == lang and o.title), None)
    if local is None:
        languages = dict.fromkeys(c for c in (_code(view.language), *(_code(o.language) for o in view.others)) if c)
        if not languages:
            return view, None
        names = ", ".join(name_of_language(lang, c) for c in languages)
        return view, t(lang, "alert.original_language", language=names, reader_language=name_of_language(lang, lang))
    former_lead = Outlet(view.outlet, view.url, view.language, view.title, view.summary)
    others = (former_lead, *(o for o in view.others if o is not local))
    led = replace(
        view,
        title=local.title,
        url=local.url,
        outlet=local.name,
        summary=local.summary or view.summary,
        language=_code(local.language),
        others=others,
    )
    return led, None


def alert_embed(view: AlertView, *, test: bool = False, lang: str = "en") -> dict[str, Any]:
    """One alert as an embed dict (the JSON discord.Embed.from_dict takes and Discord accepts), in `lang`: labels,
    numbers and, when an outlet reported the story in `lang`, its headline, link and summary."""
    view, language_note = in_language(view, lang)
    marker = t(lang, "alert.test") + " " if test else ""
    title = marker + cut(safe(view.title) or t(lang, "alert.untitled"), TITLE_MAX - len(marker))
    lines = [cut(safe(view.summary), 3000)] if view.summary else []
    if language_note:
        lines.append(f"*{language_note}*")
    others = _others_line(view, lang)
    if others:
        lines.append(others)
    if view.published_at:
        lines.append(t(lang, "alert.published", when=discord_timestamp(view.published_at)))
    embed: dict[str, Any] = {
        "type": "rich",
        "title": title,
        "description": cut("\n\n".join(lines), DESCRIPTION_MAX),
        "color": CATEGORY_COLOURS.get(view.categories[0], DEFAULT_COLOUR) if view.categories else DEFAULT_COLOUR,
        # Discord shows an author name as it is, markdown and all: escaping it would show the backslashes. Mentions
        # are still broken (an invisible space), so no client ever reads one there.
        "author": {
            "name": cut(
                neutralise_mentions(" ".join(view.outlet.split())) or t(lang, "alert.unknown_outlet"), AUTHOR_MAX
            )
        },
        "footer": {"text": _why(view, lang)},
        "fields": [],
    }
    url = safe_url(view.url)
    if url:
        embed["url"] = url
    if view.published_at:
        embed["timestamp"] = view.published_at.isoformat()
    fields = fact_fields(view.facts, lang)
    if view.categories:
        fields.append((t(lang, "alert.categories"), category_labels(view.categories, lang)))
    if view.language:
        fields.append((t(lang, "alert.language"), name_of_language(lang, view.language)))
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


def alert_payload(
    view: AlertView, *, mention_role_id: int | None = None, test: bool = False, lang: str = "en"
) -> dict[str, Any]:
    """The whole message: embed, optional role ping, mentions locked to that role, feedback buttons; in `lang`."""
    payload: dict[str, Any] = {
        "embeds": [alert_embed(view, test=test, lang=lang)],
        "allowed_mentions": {"parse": [], "roles": [str(mention_role_id)] if mention_role_id else []},
        "components": [] if test else [feedback_row(view.story_id, lang)],
    }
    if mention_role_id:
        payload["content"] = f"<@&{mention_role_id}>"
    return payload


def feedback_row(story_id: int, lang: str = "en") -> dict[str, Any]:
    """The feedback buttons; their ids carry no language, so a click counts whatever the labels say."""
    return {
        "type": 1,
        "components": [
            {
                "type": 2,
                "style": 3,
                "label": t(lang, "feedback.relevant"),
                "custom_id": FEEDBACK_RELEVANT.format(story_id=story_id),
            },
            {
                "type": 2,
                "style": 4,
                "label": t(lang, "feedback.not_relevant"),
                "custom_id": FEEDBACK_IRRELEVANT.format(story_id=story_id),
            },
        ],
    }


def followup_content(view: AlertView, new_facts: dict[str, Any], lang: str = "en") -> str:
    parts = [f"{name}: {value}" for name, value in fact_fields(new_facts, lang)]
    facts = "; ".join(parts) if parts else t(lang, "alert.new_details")
    return cut(t(lang, "alert.update", facts=facts, id=str(view.story_id)), CONTENT_MAX)


def digest_payloads(views: list[AlertView], period: str, lang: str = "en") -> list[dict[str, Any]]:
    """A period's stories as few messages as the limits allow: one embed line per story, split when full."""
    header = t(lang, f"digest.{period}", count=len(views))
    lines = []
    for v in (in_language(view, lang)[0] for view in views):
        outlets = " · " + t(lang, "search.outlets", count=v.outlet_count) if v.outlet_count > 1 else ""
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
        message["content"] = (
            t(lang, "digest.part", header=header, part=i + 1, parts=len(messages)) if len(messages) > 1 else header
        )
        message["allowed_mentions"] = {"parse": []}
    return messages


def merged_payload(
    lang: str, survivor_id: int, guild_id: int, channel_id: int, message_id: int | None
) -> dict[str, Any]:
    """What an alert becomes once its story was merged into another one that was alerted in the same channel: a
    pointer to that alert, with no embed and no buttons, so the channel has one live alert per incident."""
    if message_id:
        link = f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
        content = t(lang, "alert.merged", id=str(survivor_id), link=link)
    else:
        content = t(lang, "alert.merged_unposted", id=str(survivor_id))
    return {
        "content": content,
        "embeds": [],
        "components": [],
        "allowed_mentions": {"parse": []},
    }
