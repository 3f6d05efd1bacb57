"""Slash commands in French, German, Spanish, Italian, Dutch and Brazilian Portuguese: every string of the real
command tree is translated, names follow Discord's rules, and the catalogues hold nothing the tree no longer uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import regex
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import Locale, app_commands

from bot.discord_app.client import EXTENSIONS, BreachwatchBot
from bot.discord_app.sync import payload_hash, tree_payload
from bot.discord_app.translator import SECTIONS, TomlTranslator, load_catalogue, load_catalogues
from bot.services import Services, make_http_session
from bot.settings import Settings
from storage.engine import create_engine, session_factory

LOCALES = ("fr", "de", "es-ES", "es-419", "it", "nl", "pt-BR")
FILES = {"fr.toml", "de.toml", "es.toml", "it.toml", "nl.toml", "pt.toml"}
# The brand is /breachwatch in every language; no catalogue translates it.
KEPT_IN_ENGLISH = {"breachwatch"}
# Discord's own rule for command and option names (the `regex` module speaks \p{...}).
DISCORD_NAME = regex.compile(r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")
Where = app_commands.TranslationContextLocation


@pytest.fixture
async def tree_bot() -> AsyncIterator[BreachwatchBot]:
    """The real bot with every extension loaded and the translator installed, never connected."""
    settings = Settings(_env_file=None, database_url="sqlite+aiosqlite://")  # type: ignore[call-arg]
    engine = create_engine(settings.database_url)
    http = make_http_session(settings)
    bot = BreachwatchBot(Services(settings, engine, session_factory(engine), http, AsyncIOScheduler()))
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    await bot.tree.set_translator(TomlTranslator())
    yield bot
    await http.close()
    await engine.dispose()


def walk(nodes: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, node) for every command, subcommand and option of a synced payload."""
    for node in nodes:
        here = f"{path} {node['name']}".strip()
        yield here, node
        yield from walk(node.get("options") or [], here)


def tree_strings(tree: app_commands.CommandTree[Any]) -> dict[str, set[str]]:
    """Every English string of the tree, by catalogue section, straight from discord.py's objects."""
    found: dict[str, set[str]] = defaultdict(set)

    def visit(item: app_commands.Command[Any, ..., Any] | app_commands.Group) -> None:
        found["names"].add(item.name)
        found["descriptions"].add(item.description)
        if isinstance(item, app_commands.Group):
            for child in item.commands:
                visit(child)
            return
        for param in item.parameters:
            found["options"].add(param.name)
            found["option_descriptions"].add(param.description)
            found["choices"].update(choice.name for choice in param.choices)

    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        assert isinstance(command, app_commands.Command | app_commands.Group)
        visit(command)
    return found


async def test_every_command_option_and_choice_is_described_in_each_language(tree_bot: BreachwatchBot) -> None:
    payload = await tree_payload(tree_bot.tree)
    nodes = dict(walk(payload))
    # The payload walk covers the whole tree: /alerts subscribe mode, /search language, /breachwatch status ...
    expected = {"alerts subscribe mode", "search language", "sources add language", "breachwatch status", "story id"}
    assert expected <= set(nodes)
    assert len(nodes) >= 50
    for path, node in nodes.items():
        localised = node.get("description_localizations") or {}
        missing = [loc for loc in LOCALES if loc not in localised]
        assert not missing, f"/{path}: no description for {missing}"
        assert all(localised[loc] != node["description"] for loc in LOCALES), f"/{path}: left in English"
        for choice in node.get("choices") or []:
            names = choice.get("name_localizations") or {}
            assert all(loc in names for loc in LOCALES), f"/{path} choice {choice['name']!r} is not translated"


async def test_every_catalogue_covers_every_string_the_cogs_define(tree_bot: BreachwatchBot) -> None:
    """From discord.py's own objects, so a command, option or choice a cog adds fails here until each language has
    it. Names too: a name that is the same word in a language is listed as itself, so "not translated yet" and
    "translated as the same word" cannot be confused."""
    strings = tree_strings(tree_bot.tree)
    assert {"alerts", "subscribe", "sources", "status"} <= strings["names"]
    assert {"channel", "mode", "concept", "url", "name"} <= strings["options"]
    catalogues = TomlTranslator().catalogues
    assert {locale.value for locale in catalogues} == set(LOCALES)
    for locale, catalogue in catalogues.items():
        for section in SECTIONS.values():
            wanted = strings[section] - (KEPT_IN_ENGLISH if section == "names" else set())
            missing = sorted(wanted - set(catalogue.sections[section]))
            assert not missing, f"{locale.value} [{section}] lacks {missing}"


async def test_localised_names_and_texts_follow_discords_rules(tree_bot: BreachwatchBot) -> None:
    payload = await tree_payload(tree_bot.tree)
    assert payload_hash(payload) != payload_hash([c.to_dict(tree_bot.tree) for c in tree_bot.tree.get_commands()])

    def check_siblings(nodes: list[dict[str, Any]], where: str) -> None:
        for locale in LOCALES:
            shown = [(n.get("name_localizations") or {}).get(locale, n["name"]) for n in nodes]
            assert len(shown) == len(set(shown)), f"{where}: two entries are called the same in {locale}: {shown}"
        for node in nodes:
            for locale, name in (node.get("name_localizations") or {}).items():
                assert DISCORD_NAME.match(name) and name == name.lower(), f"{locale} name {name!r} is refused"
            for locale, text in (node.get("description_localizations") or {}).items():
                assert 1 <= len(text) <= 100, f"{locale} description of {node['name']} is {len(text)} long"
            for choice in node.get("choices") or []:
                for text in (choice.get("name_localizations") or {}).values():
                    assert 1 <= len(text) <= 100
            check_siblings(node.get("options") or [], f"{where} {node['name']}")

    check_siblings(payload, "top level")
    by_name = {c["name"]: c for c in payload}
    spanish = {"es-ES": "buscar", "es-419": "buscar"}
    assert by_name["search"]["name_localizations"] == {
        **{"fr": "rechercher", "de": "suchen", **spanish},
        **{"it": "cerca", "nl": "zoeken", "pt-BR": "pesquisar"},
    }
    subscribe = next(o for o in by_name["alerts"]["options"] if o["name"] == "subscribe")["options"]
    mode = next(o for o in subscribe if o["name"] == "mode")
    assert [c["name_localizations"]["fr"] for c in mode["choices"]] == ["instantané", "quotidien", "hebdomadaire"]
    assert [c["name_localizations"]["pt-BR"] for c in mode["choices"]] == ["imediato", "diário", "semanal"]
    # Locales without a catalogue see English: nothing is sent for them.
    assert "ja" not in by_name["search"]["description_localizations"]


async def test_catalogues_hold_only_strings_the_tree_uses(tree_bot: BreachwatchBot) -> None:
    """An English text changed in a cog leaves its old translation behind; this catches it."""
    strings = tree_strings(tree_bot.tree)
    for locale, catalogue in TomlTranslator().catalogues.items():
        for section, entries in catalogue.sections.items():
            stale = sorted(set(entries) - strings[section])
            assert not stale, f"{locale.value} [{section}] translates text no command uses: {stale}"


async def test_missing_entries_fall_back_to_english() -> None:
    translator = TomlTranslator()
    spanish = {Locale.spain_spanish, Locale.latin_american_spanish}
    newer = {Locale.italian, Locale.dutch, Locale.brazil_portuguese}
    assert set(translator.locales) == {Locale.french, Locale.german, *spanish, *newer}
    choice: app_commands.Choice[str] = app_commands.Choice(name="daily", value="daily")
    context = app_commands.TranslationContext(Where.choice_name, choice)
    assert await translator.translate(app_commands.locale_str("daily"), Locale.german, context) == "täglich"
    assert await translator.translate(app_commands.locale_str("daily"), Locale.japanese, context) is None
    assert await translator.translate(app_commands.locale_str("hourly"), Locale.german, context) is None
    other = app_commands.TranslationContext(Where.other, None)
    assert await translator.translate(app_commands.locale_str("daily"), Locale.german, other) is None
    # The same English word can mean different things in different places: sections keep them apart.
    assert {"names", "options", "descriptions", "option_descriptions", "choices"} == set(SECTIONS.values())


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('locales = ["fr"]\n[names]\nalerts = "Alertes Données"\n', "not a valid command name"),
        ('locales = ["fr"]\n[options]\nchannel = "' + "s" * 33 + '"\n', "not a valid command name"),
        ('locales = ["fr"]\n[descriptions]\n"About this bot" = "' + "x" * 101 + '"\n', "1 to 100 characters"),
        ('locales = ["fr"]\n[choices]\ndaily = ""\n', "1 to 100 characters"),
        ('locales = ["fr-FR"]\n', "not a valid Locale"),
        ("[names]\n", "lists no Discord locales"),
        ('locales = ["fr"]\n[name]\nalerts = "alertes"\n', "unknown sections"),
        # Siblings would clash: /keywords remove and /keywords block both shown as /mots-clés retirer.
        ('locales = ["fr"]\n[names]\nblock = "retirer"\nremove = "retirer"\n', "'block' and 'remove' are both"),
        ('locales = ["fr"]\n[options]\nterm = "mot"\ntext = "mot"\n', "'term' and 'text' are both"),
        ('locales = ["fr"]\n[messages]\n"Wait" = "Patientez"\n', "unknown sections"),
    ],
)
def test_a_bad_catalogue_is_refused_when_loaded(tmp_path: Path, body: str, complaint: str) -> None:
    path = tmp_path / "xx.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=complaint):
        load_catalogue(path)


def test_two_catalogues_cannot_claim_one_locale(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text('locales = ["de"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="already served"):
        load_catalogues(tmp_path)


def test_catalogues_ship_as_package_data() -> None:
    """pyproject's package-data must carry config/locales/*.toml, or an installed bot speaks only English."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert "locales/*.toml" in data["tool"]["setuptools"]["package-data"]["config"]
    assert {p.name for p in (root / "config" / "locales").glob("*.toml")} == FILES
