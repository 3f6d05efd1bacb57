"""Alerts in the channel's language, through the emulator on real SQL: a subscription's language (the server's by
default, `/alerts subscribe language:` to choose) decides the embed's labels, numbers, buttons, replies, digests and
notices; times stay Discord's <t:…> so each reader sees their own clock."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import i18n
from bot.alerts.console import ConsoleSender
from bot.alerts.digest import send_due_digests
from bot.alerts.jobs import ensure_console_subscription
from bot.alerts.queueing import after_assign
from bot.alerts.worker import DeliveryWorker
from bot.core.clock import utcnow
from bot.core.languages import LANGUAGES
from bot.services import Services
from bot.stories.assign import AssignResult
from storage import deliveries
from storage import sources as source_store
from storage.models import Delivery, Notice, Source, Story, Subscription
from storage.sources import FetchRecord
from tests.botfixtures import TestBot, new_story, subscribe, worker
from tests.emulator.server import Emulator
from tests.factories import add_outlet

# Written out by hand for each language: the "affected" label, 12345 as its readers write it, the buttons.
EXPECTED = {
    "en": ("Affected", "12,345", ["Relevant", "Not relevant"]),
    "fr": ("Personnes touchées", "12\u202f345", ["Pertinent", "Pas pertinent"]),
    "de": ("Betroffen", "12.345", ["Relevant", "Nicht relevant"]),
    "es": ("Afectados", "12.345", ["Relevante", "No relevante"]),
    "it": ("Persone coinvolte", "12.345", ["Pertinente", "Non pertinente"]),
    "nl": ("Getroffen", "12.345", ["Relevant", "Niet relevant"]),
    "pt": ("Afetados", "12.345", ["Relevante", "Não relevante"]),
}


async def _language_of(bw: TestBot) -> str:
    async with bw.services.sessions() as s:
        return str((await s.execute(select(Subscription.language))).scalar_one())


@pytest.mark.parametrize(("guild_locale", "language"), [("pt-BR", "pt"), ("es-419", "es"), ("nl", "nl"), ("ja", "en")])
async def test_a_subscription_reads_the_servers_language_by_default(
    emulator: Emulator, bw: TestBot, guild_locale: str, language: str
) -> None:
    emulator.guild.preferred_locale = guild_locale
    answer = await subscribe(emulator)
    assert await _language_of(bw) == language
    assert i18n.t("en", "alerts.alert_language", language=i18n.name_of_language("en", language)) in answer["content"]


async def test_the_language_option_chooses_another(emulator: Emulator, bw: TestBot) -> None:
    emulator.guild.preferred_locale = "de"
    await subscribe(emulator, language="it")
    assert await _language_of(bw) == "it"
    # The moderator's client is German: the answer is German, naming the alerts' language in German.
    inv = await emulator.invoke("warnungen", {}, subcommand="liste", locale="de")
    assert "Warnungen auf Italienisch" in (await inv.wait_message())["content"]


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_an_alert_is_labelled_in_its_subscriptions_language(emulator: Emulator, bw: TestBot, lang: str) -> None:
    await subscribe(emulator, language=lang)
    sid = await new_story(
        bw.services,
        title="Plate-reader images stolen",
        facts={"affected": 12345, "organisations": ["Perceptics"], "country": "US"},
        categories=["alpr", "facial_recognition"],
    )
    assert (await worker(bw).run_once()).sent == 1
    [message] = emulator.messages(emulator.channel)
    embed = message["embeds"][0]
    affected, count, buttons = EXPECTED[lang]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields[affected] == count
    assert fields[i18n.t(lang, "alert.organisations")] == "Perceptics"
    assert fields[i18n.t(lang, "alert.categories")] == ", ".join(
        i18n.t(lang, f"category.{c}") for c in ("alpr", "facial_recognition")
    )
    assert fields[i18n.t(lang, "alert.language")] == i18n.t(lang, "language.en")
    assert [c["label"] for c in message["components"][0]["components"]] == buttons
    assert embed["footer"]["text"].endswith(i18n.t(lang, "alert.footer", why="", score=0.9, id=str(sid)).strip())
    published = next(line for line in embed["description"].split("\n\n") if "<t:" in line)
    assert published.startswith(i18n.t(lang, "alert.published", when="").strip()) and published.endswith(":f>")

    # A second outlet edits the alert: "also reported by" in the same language.
    async with bw.services.sessions.begin() as s:
        story = await s.get(Story, sid)
        source = (await s.execute(select(Source))).scalars().first()
        assert story is not None and source is not None
        # In English like the story: which outlet leads is the next test's business.
        (await add_outlet(s, story, source, "Le Monde", "https://lemonde.example/art")).language = "en"
        await deliveries.story_changed(s, sid, {"affected": 20000})
    stats = await worker(bw).run_once()
    assert stats.followups == 1
    await worker(bw).run_once()
    edited, reply = emulator.messages(emulator.channel)
    assert i18n.t(lang, "alert.also_reported", count=1, links="[Le Monde]") in edited["embeds"][0]["description"]
    assert reply["content"].startswith(i18n.t(lang, "alert.update", facts="", id="").split(":")[0])
    assert f"{affected}: {i18n.number(lang, 20000)}" in reply["content"]


async def test_a_digest_is_written_in_its_subscriptions_language(emulator: Emulator, bw: TestBot) -> None:
    await subscribe(emulator, mode="weekly", language="de")
    await new_story(bw.services, title="Gesichtsdatenbank offen im Netz")
    await new_story(bw.services, title="Kennzeichenfotos gestohlen")
    assert await send_due_digests(bw.services.sessions, bw.sender, utcnow() + timedelta(days=7, seconds=5)) == 1
    [message] = emulator.messages(emulator.channel)
    assert message["content"] == "breachwatch-Wochenübersicht: 2 Meldungen"


async def test_a_notice_is_written_in_its_subscriptions_language(emulator: Emulator, bw: TestBot) -> None:
    doomed = emulator.add_channel("doomed")
    await subscribe(emulator, doomed, language="es")
    emulator.delete_channel(doomed)
    await new_story(bw.services)
    w = worker(bw)
    for _ in range(4):
        await w.run_once()
        async with bw.services.sessions.begin() as s:
            await s.execute(Delivery.__table__.update().values(next_attempt_at=utcnow()))
    async with bw.services.sessions() as s:
        sub = (await s.execute(select(Subscription))).scalar_one()
        [notice] = (await s.execute(select(Notice))).scalars().all()
    assert not sub.active and sub.paused_reason == "el canal ya no existe"
    assert notice.message == (
        f"breachwatch ha pausado las alertas de <#{doomed.id}>: el canal ya no existe. "
        "Arregla el canal o los permisos y vuelve a ejecutar /alertas suscribir."
    )
    posted: list[Any] = [m for m in emulator.messages(emulator.channel) if "ha pausado" in m["content"]]
    assert len(posted) == 1


@pytest.mark.parametrize("lang", ["fr", "pt"])
async def test_a_disabled_source_is_told_in_the_subscriptions_language(
    emulator: Emulator, bw: TestBot, lang: str
) -> None:
    """The notice is recorded as values by the poller's storage (which knows no language) and written when posted,
    in the language of the channel it goes to; the feed's own name stays literal text, never markdown."""
    alerts = emulator.add_channel("alerts")
    await subscribe(emulator, alerts, language=lang)
    now = utcnow()
    since = now - timedelta(days=4)
    async with bw.services.sessions.begin() as s:
        row, _ = await source_store.add_source(
            s, "https://feeds.example/rss", now, guild_id=emulator.guild.id, origin="guild", name="**Mon** flux"
        )
        record = FetchRecord(
            started_at=now, duration_ms=10, status="error", http_status=500, nbytes=0, entries=0, new_entries=0,
            error_kind="http", error="HTTP 500", etag=None, last_modified=None, next_fetch_at=now,
            consecutive_failures=5, first_failure_at=since, disable=True,
        )  # fmt: skip
        await source_store.record_fetch(s, row.id, record)
    await worker(bw).run_once()
    [posted] = [m for m in emulator.messages(alerts) if "feeds.example" in m["content"]]
    expected = i18n.t(
        lang,
        "notice.source_disabled",
        source=r"\*\*Mon\*\* flux <https://feeds.example/rss>",
        since=f"<t:{int(since.timestamp())}:f>",
        count=5,
        error="http: HTTP 500",
    )
    assert posted["content"] == expected


# A headline, and the outlet that wrote it, in each language.
HEADLINES = {
    "en": ("The Register", "Police face database left open to the internet"),
    "fr": ("Le Monde", "La base de reconnaissance faciale de la police accessible à tous"),
    "de": ("Heise", "Gesichtsdatenbank der Polizei stand offen im Netz"),
    "es": ("El País", "La base de datos facial de la policía, expuesta en internet"),
    "it": ("la Repubblica", "Il database dei volti della polizia era esposto in rete"),
    "nl": ("NOS", "Gezichtendatabank van de politie lag open op internet"),
    "pt": ("Folha", "Banco de dados facial da polícia ficou exposto na internet"),
}


async def _report(bw: TestBot, story_id: int, lang: str) -> None:
    """Another outlet's report of the story, in `lang`: the story grows a version, and the processing step's hook
    (what bot.process runs after assigning an article) marks the posted alerts for an edit."""
    outlet, title = HEADLINES[lang]
    async with bw.services.sessions.begin() as s:
        story = await s.get(Story, story_id)
        source = (await s.execute(select(Source))).scalars().first()
        assert story is not None and source is not None
        article = await add_outlet(s, story, source, outlet, f"https://{lang}.news.example/{story_id}")
        article.language, article.title, article.summary = lang, title, f"{title}: {outlet}."
        await after_assign(s, AssignResult(story_id, "grew", False, story.version))


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_an_alert_leads_with_the_report_in_its_language(emulator: Emulator, bw: TestBot, lang: str) -> None:
    other = "de" if lang != "de" else "fr"
    await subscribe(emulator, language=lang)
    sid = await new_story(bw.services, title=HEADLINES[other][1], language=other, outlet=HEADLINES[other][0])
    await _report(bw, sid, lang)
    assert (await worker(bw).run_once()).sent == 1
    [message] = emulator.messages(emulator.channel)
    embed = message["embeds"][0]
    outlet, title = HEADLINES[lang]
    assert embed["title"] == title
    assert embed["url"] == f"https://{lang}.news.example/{sid}"
    assert embed["author"]["name"] == outlet
    assert embed["description"].startswith(f"{title}: {outlet}.")
    also = i18n.t(lang, "alert.also_reported", count=1, links=f"[{HEADLINES[other][0]}]")
    assert also in embed["description"]
    assert {f["name"]: f["value"] for f in embed["fields"]}[i18n.t(lang, "alert.language")] == i18n.t(
        lang, f"language.{lang}"
    )


async def test_a_report_in_the_channels_language_arriving_later_edits_the_alert_to_lead_with_it(
    emulator: Emulator, bw: TestBot
) -> None:
    await subscribe(emulator, language="fr")
    sid = await new_story(bw.services, title=HEADLINES["de"][1], language="de", outlet="Heise")
    await worker(bw).run_once()
    [message] = emulator.messages(emulator.channel)
    embed = message["embeds"][0]
    # Only reported in German so far: the original headline, and a line saying so in French.
    assert embed["title"] == HEADLINES["de"][1]
    assert "*Rapportée seulement en allemand ; aucun média en français pour l'instant.*" in embed["description"]
    await _report(bw, sid, "fr")
    assert (await worker(bw).run_once()).edited == 1
    [message] = emulator.messages(emulator.channel)
    embed = message["embeds"][0]
    assert embed["title"] == HEADLINES["fr"][1] and embed["author"]["name"] == "Le Monde"
    assert "Rapportée seulement" not in embed["description"]
    assert "Également rapportée par 1 média : [Heise]" in embed["description"]


@pytest.mark.settings(console_language="nl")
async def test_console_mode_prints_alerts_in_its_language(services: Services) -> None:
    out = io.StringIO()
    await ensure_console_subscription(services)
    await new_story(services, title=HEADLINES["de"][1], language="de", facts={"affected": 4321})
    stats = await DeliveryWorker(services.sessions, ConsoleSender(out)).run_once()
    assert stats.sent == 1
    printed = out.getvalue()
    assert f"== {HEADLINES['de'][1]} ==" in printed
    assert "  Getroffen: 4.321" in printed and "  Taal: Duits" in printed
    assert "*Alleen in het Duits gemeld; nog geen medium in het Nederlands.*" in printed
