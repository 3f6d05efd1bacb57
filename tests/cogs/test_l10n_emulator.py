"""Localised slash commands through the emulator: what Discord stores after the sync, commands picked by their
French, German, Spanish, Italian, Dutch or Brazilian Portuguese names still reach the right handler, and Discord's
limits on localisations hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord
import pytest
from discord import app_commands

from tests.botfixtures import TestBot, new_story
from tests.emulator.botkit import make_bot as make_kit_bot
from tests.emulator.invoke import InteractionRefused
from tests.emulator.server import Emulator

LOCALES = ("fr", "de", "es-ES", "es-419", "it", "nl", "pt-BR")


def walk(nodes: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for node in nodes:
        here = f"{path} {node['name']}".strip()
        yield here, node
        yield from walk(node.get("options") or [], here)


async def test_discord_stores_the_localisations_of_every_command(emulator: Emulator, bw: TestBot) -> None:
    stored = emulator.state.commands[None]
    assert {c["name"] for c in stored} == {"alerts", "keywords", "search", "story", "sources", "breachwatch"}
    nodes = dict(walk(stored))
    for path, node in nodes.items():
        assert set(LOCALES) <= set(node.get("description_localizations") or {}), path
    alerts = next(c for c in stored if c["name"] == "alerts")
    assert alerts["name_localizations"] == {
        **{"fr": "alertes", "de": "warnungen", "es-ES": "alertas", "es-419": "alertas"},
        **{"it": "avvisi", "nl": "meldingen", "pt-BR": "alertas"},
    }
    assert alerts["description_localizations"]["fr"] == "Alertes de fuite de données dans les salons de ce serveur"
    assert alerts["description_localizations"]["nl"] == "Meldingen van datalekken in de kanalen van deze server"
    assert nodes["search query"]["name_localizations"]["de"] == "suchanfrage"
    assert nodes["alerts unsubscribe"]["name_localizations"]["pt-BR"] == "cancelar-inscrição"
    assert nodes["alerts subscribe mention_role"]["name_localizations"]["it"] == "ruolo_da_menzionare"
    languages = nodes["sources add language"]["choices"]
    assert [c["value"] for c in languages][:3] == ["en", "fr", "de"]
    assert [c["name_localizations"]["es-ES"] for c in languages][:3] == ["inglés", "francés", "alemán"]
    assert [c["name_localizations"]["nl"] for c in languages][:3] == ["Engels", "Frans", "Duits"]
    # The brand stays as it is: no localised name is sent for /breachwatch.
    assert not nodes["breachwatch"].get("name_localizations")


async def test_commands_picked_by_their_localised_names_still_work(emulator: Emulator, bw: TestBot) -> None:
    sid = await new_story(bw.services, title="Fuite des images de vidéosurveillance d'une mairie", language="fr")
    # A French member types /rechercher requête:… langue:français; Discord sends /search query:… language:fr.
    french = {"requête": "fuites", "langue": "fr"}
    inv = await emulator.invoke("rechercher", french, member=emulator.member, locale="fr")
    assert inv.payload["data"]["name"] == "search" and inv.payload["locale"] == "fr"
    assert {o["name"] for o in inv.payload["data"]["options"]} == {"query", "language"}
    answer = await inv.wait_message(timeout=10)
    assert f"#{sid}" in answer["content"]
    # A Latin American member opens /noticia número:<id>.
    inv = await emulator.invoke("noticia", {"número": sid}, member=emulator.member, locale="es-419")
    story = await inv.wait_message()
    assert story["embeds"][0]["title"].startswith(f"#{sid} ")
    # A German moderator subscribes with /warnungen abonnieren modus:täglich.
    inv = await emulator.invoke("warnungen", {"modus": "daily"}, subcommand="abonnieren", locale="de")
    answer = await inv.wait_message()
    assert "ist abonniert" in answer["content"] and "täglich" in answer["content"]
    # Names a client of another language shows are not this client's: Discord would not offer them.
    with pytest.raises(InteractionRefused, match="not synced"):
        await emulator.invoke("rechercher", {"requête": "x"}, member=emulator.member, locale="de")


async def test_italian_dutch_and_brazilian_members_use_the_commands_by_their_names(
    emulator: Emulator, bw: TestBot
) -> None:
    sid = await new_story(bw.services, title="Violazione dei dati delle telecamere di un comune", language="it")
    # An Italian member types /cerca ricerca:… lingua:italiano; Discord sends /search query:… language:it.
    inv = await emulator.invoke("cerca", {"ricerca": "violazione", "lingua": "it"}, member=emulator.member, locale="it")
    assert inv.payload["data"]["name"] == "search" and inv.payload["locale"] == "it"
    assert {o["name"] for o in inv.payload["data"]["options"]} == {"query", "language"}
    assert f"#{sid}" in (await inv.wait_message(timeout=10))["content"]
    # A Brazilian member opens /notícia número:<id>.
    inv = await emulator.invoke("notícia", {"número": sid}, member=emulator.member, locale="pt-BR")
    assert inv.payload["data"]["name"] == "story"
    assert (await inv.wait_message())["embeds"][0]["title"].startswith(f"#{sid} ")
    # A Dutch moderator subscribes with /meldingen abonneren modus:wekelijks, then stops with
    # /alertas cancelar-inscrição from a Brazilian client: a group's subcommands resolve by their localised names too.
    inv = await emulator.invoke("meldingen", {"modus": "weekly"}, subcommand="abonneren", locale="nl")
    answer = await inv.wait_message()
    assert "is geabonneerd" in answer["content"] and "wekelijks" in answer["content"]
    inv = await emulator.invoke("meldingen", {}, subcommand="lijst", locale="nl")
    assert "wekelijks" in (await inv.wait_message())["content"]
    inv = await emulator.invoke("alertas", {"canal": emulator.channel}, subcommand="cancelar-inscrição", locale="pt-BR")
    option = inv.payload["data"]["options"][0]
    assert option["name"] == "unsubscribe" and [o["name"] for o in option["options"]] == ["channel"]
    await inv.wait_message()
    inv = await emulator.invoke("alerts", {}, subcommand="list")
    assert "weekly" not in (await inv.wait_message())["content"]
    with pytest.raises(InteractionRefused, match="not synced"):
        await emulator.invoke("meldingen", {}, subcommand="lijst", locale="pt-BR")


class BadTranslator(app_commands.Translator):
    def __init__(self, name: str | None = None, description: str | None = None) -> None:
        self.name, self.description = name, description

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale is not discord.Locale.french:
            return None
        if context.location is app_commands.TranslationContextLocation.command_name and self.name is not None:
            return self.name.format(string.message)
        if context.location is app_commands.TranslationContextLocation.parameter_description:
            return self.description
        return None


@pytest.mark.parametrize(
    ("translator", "field"),
    [
        (BadTranslator(name="Dire Pong"), "name_localizations"),
        (BadTranslator(name="p" * 33), "name_localizations"),
        (BadTranslator(description="x" * 101), "description_localizations"),
        (BadTranslator(description=""), "description_localizations"),
    ],
)
async def test_discord_refuses_localisations_beyond_its_limits(
    emulator: Emulator, start_discord: Any, translator: BadTranslator, field: str
) -> None:
    bot = make_kit_bot()
    await bot.tree.set_translator(translator)
    await start_discord(bot)
    with pytest.raises(discord.HTTPException) as refused:
        await bot.tree.sync()
    assert refused.value.status == 400 and refused.value.code == 50035
    assert field in str(refused.value)
    assert not emulator.state.commands.get(None)


async def test_discord_accepts_localised_names_in_any_script(emulator: Emulator, start_discord: Any) -> None:
    bot = make_kit_bot()
    await bot.tree.set_translator(BadTranslator(name="{}-réponse-खोज", description="Durée en secondes"))
    await start_discord(bot)
    await bot.tree.sync()
    stored = {c["name"]: c for c in emulator.state.commands[None]}
    assert stored["ping"]["name_localizations"] == {"fr": "ping-réponse-खोज"}
    assert stored["slow"]["options"][0]["description_localizations"] == {"fr": "Durée en secondes"}
