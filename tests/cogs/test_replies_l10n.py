"""Replies in the reader's language, through the emulator: a member whose Discord client is set to one of the seven
languages gets every answer of the command tour in it (answers, refusals from the central error handler, previews,
pagers, button labels, /story, /breachwatch status, autocomplete), and a client in any other language gets English.
Every message id the cogs name exists, and no cog sends a literal text past the catalogues."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import i18n
from bot.classify.verdict import Reason
from bot.core.notes import Note
from tests.botfixtures import TestBot, new_story
from tests.emulator import constants as perms
from tests.emulator.server import Emulator
from tests.feedserver import rss, sample_items

ROOT = Path(__file__).resolve().parents[2]
# Discord locale -> the language of the answers; Polish is not one of the seven, so it reads English.
LOCALES = {
    "en-US": "en",
    "fr": "fr",
    "de": "de",
    "es-419": "es",
    "es-ES": "es",
    "it": "it",
    "nl": "nl",
    "pt-BR": "pt",
    "pl": "en",
}
# One answer per language written out by hand, so the test does not only compare the code with its own catalogue.
UNSUBSCRIBED = {
    "en": "will get no more alerts.",
    "fr": "ne recevra plus d'alertes.",
    "de": "bekommt keine Warnungen mehr.",
    "es": "ya no recibirá alertas.",
    "it": "non riceverà più avvisi.",
    "nl": "krijgt geen meldingen meer.",
    "pt": "não vai mais receber alertas.",
}


def fixed_parts(lang: str, msg_id: str, count: int | None = None) -> list[str]:
    """The literal text of message `msg_id` in `lang` around its placeholders (what any filling of it contains)."""
    message = i18n.catalogues()[lang][msg_id]
    if not isinstance(message, str):
        assert count is not None
        message = message[i18n.plural_category(lang, count)]
    parts = re.split(r"\{[^}]*\}", message)
    return [p.strip() for p in parts if len(p.strip()) >= 3]


def says(text: str, lang: str, msg_id: str, count: int | None = None) -> bool:
    return all(part in text for part in fixed_parts(lang, msg_id, count))


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async def feed(_request: web.Request) -> web.Response:
        return web.Response(body=rss(sample_items(3)), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed", feed)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/feed"))
    await server.close()


@pytest.mark.settings(allow_private_sources=True)
@pytest.mark.parametrize("locale", list(LOCALES))
async def test_the_command_tour_answers_in_the_members_language(
    emulator: Emulator, bw: TestBot, site: str, locale: str
) -> None:
    lang = LOCALES[locale]
    mod = emulator.add_member("mod", permissions=perms.MANAGE_GUILD | perms.MANAGE_CHANNELS)
    reader = emulator.add_member("reader")
    ids = [await new_story(bw.services, title=f"Camera archive leaked, case {i}") for i in range(6)]

    async def answer(name: str, options: dict[str, Any], sub: str | None = None, member: Any = mod) -> Any:
        inv = await emulator.invoke(name, options, subcommand=sub, member=member, locale=locale)
        return await inv.wait_message(timeout=10)

    text = (await answer("alerts", {"mode": "daily"}, "subscribe"))["content"]
    assert says(text, lang, "alerts.subscribed") and i18n.t(lang, "alerts.mode.daily") in text, text
    text = (await answer("alerts", {}, "list"))["content"]
    assert says(text, lang, "alerts.no_alert_yet") and i18n.t(lang, "alerts.mode.daily") in text, text
    text = (await answer("alerts", {}, "test"))["content"]
    assert says(text, lang, "alerts.test_posted"), text

    inv = await emulator.autocomplete("alerts", "categories", "fac", subcommand="subscribe", member=mod, locale=locale)
    await inv.wait_response()
    assert [c["name"] for c in inv.choices] == [f"{i18n.t(lang, 'category.facial_recognition')} (facial_recognition)"]

    results = await answer("search", {"query": "camera leaked"}, member=reader)
    assert says(results["content"], lang, "search.results") and says(results["content"], lang, "search.story_hint")
    labels = [c["label"] for row in results["components"] for c in row["components"]]
    assert labels == [i18n.t(lang, "pager.previous"), i18n.t(lang, "pager.next")]
    text = (await answer("search", {"query": "zeppelin"}, member=emulator.add_member("r2")))["content"]
    assert says(text, lang, "search.no_match") and says(text, lang, "search.tips"), text
    # The query's parser explains itself in the reader's language too: a refusal, and a note beside the results.
    text = (await answer("search", {"query": "-test"}, member=emulator.add_member("r3")))["content"]
    assert text == i18n.t(lang, "search.only_exclusions")
    text = (await answer("search", {"query": "camera OR leaked"}, member=emulator.add_member("r4")))["content"]
    assert i18n.t(lang, "search.note_operator", operator="OR") in text

    story = (await answer("story", {"id": ids[0]}, member=reader))["embeds"][0]
    names = [f["name"] for f in story["fields"]]
    assert i18n.t(lang, "story.first_seen") in names and i18n.t(lang, "story.categories") in names
    assert i18n.t(lang, "story.reported_by", count=1) in names
    categories = next(f["value"] for f in story["fields"] if f["name"] == i18n.t(lang, "story.categories"))
    assert categories == i18n.t(lang, "category.alpr")
    text = (await answer("story", {"id": 987654}, member=reader))["content"]
    assert text == i18n.t(lang, "story.not_found", id="987654")

    text = (await answer("breachwatch", {}, "status", member=reader))["content"]
    assert says(text, lang, "status.sources") and says(text, lang, "status.stories", count=6), text

    # Refusals come from the central error handler, with the permission named as the client names it.
    inv = await emulator.invoke("keywords", {}, subcommand="list", member=reader, admin_override=True, locale=locale)
    text = (await inv.wait_message())["content"]
    assert text == i18n.t(lang, "errors.missing_permissions", permissions=i18n.t(lang, "permission.manage_guild"))

    preview = await answer("keywords", {"value": 0.6}, "threshold")
    assert says(preview["content"], lang, "keywords.pending") and says(preview["content"], lang, "keywords.over_days")
    assert i18n.t(lang, "keywords.op_threshold", value=0.6) in preview["content"]
    labels = [c["label"] for row in preview["components"] for c in row["components"]]
    assert labels == [i18n.t(lang, "keywords.apply"), i18n.t(lang, "keywords.discard")]
    click = await emulator.click(preview, "bw:kw:discard", member=mod, locale=locale)
    await click.wait_response()
    assert click.original is not None and says(click.original["content"], lang, "keywords.discarded")
    text = (await answer("keywords", {}, "list"))["content"]
    assert says(text, lang, "keywords.no_rules") and says(text, lang, "keywords.threshold_default"), text
    # The rule checks explain a refusal in the reader's language too, inside the cog's own sentence.
    text = (await answer("keywords", {"term": "x"}, "block"))["content"]
    assert text == i18n.t(lang, "keywords.bad_rule", error=Note("rules.too_short")), text
    text = (await answer("keywords", {"text": "The bakery opens a new shop on Monday"}, "test"))["content"]
    reasons = [i18n.t(lang, f"reason.{r.value}") for r in Reason]
    assert says(text, lang, "keywords.verdict_no_alert") and any(f"({r})" in text for r in reasons), text

    text = (await answer("sources", {"url": site}, "check"))["content"]
    assert says(text, lang, "sources.check_head") and i18n.t(lang, "sources.entries", count=3) in text, text
    text = (await answer("sources", {}, "list"))["content"]
    assert says(text, lang, "sources.list_header"), text

    text = (await answer("alerts", {}, "unsubscribe"))["content"]
    assert text.endswith(UNSUBSCRIBED[lang]), text


# Calls whose first string argument is a message id.
ID_CALLS = {
    **{"UserError": 0, "MissingBotPermissions": 0, "tr": 1, "t": 1},
    **{"QueryError": 0, "RuleError": 0, "Note": 0, "note": 0},
}
# Sending calls that must never be given literal text: it would reach every reader in English.
SENDS = {"send_message", "send", "edit_message"}


def _calls(path: Path) -> list[ast.Call]:
    return [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def test_every_message_id_the_cogs_name_exists_and_no_literal_text_is_sent() -> None:
    files = [*ROOT.glob("cogs/*.py"), *ROOT.glob("bot/discord_app/*.py"), *ROOT.glob("bot/alerts/*.py")]
    files += [ROOT / "bot/core/search_query.py", ROOT / "storage/search.py"]
    files += [ROOT / "bot/classify/rules.py", ROOT / "bot/tuning.py"]
    english = i18n.catalogues()["en"]
    named = 0
    for path in files:
        for call in _calls(path):
            name = _name(call)
            if name in ID_CALLS and len(call.args) > ID_CALLS[name]:
                arg = call.args[ID_CALLS[name]]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    assert arg.value in english, f"{path.name}:{call.lineno}: no message {arg.value!r}"
                    named += 1
            if name in SENDS:
                texts = [*call.args[:1], *(k.value for k in call.keywords if k.arg == "content")]
                for arg in texts:
                    literal = isinstance(arg, ast.JoinedStr) or (
                        isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    )
                    assert not literal, f"{path.name}:{call.lineno}: literal text sent to a reader"
    assert named > 100
