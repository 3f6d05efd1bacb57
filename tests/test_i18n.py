"""The message catalogues: every language has every message with the same placeholders, plural forms follow CLDR's
rules for the language (Babel), numbers are written as its readers write them, and the commands a message names
are the ones that language's picker shows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot import i18n
from bot.core.languages import LANGUAGES
from bot.resources import config_path, load_toml

# Babel writes French groups with a narrow no-break space, as French typography does.
NNBSP = "\u202f"


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    """A copy of the shipped catalogues that a test may break."""
    target = tmp_path / "messages"
    shutil.copytree(config_path("locales", "messages"), target)
    return target


def test_the_shipped_catalogues_are_complete() -> None:
    loaded = i18n.load_messages()
    assert set(loaded) == set(LANGUAGES)
    assert i18n.problems(loaded) == []
    assert len(loaded["en"]) > 150


def test_a_language_lacking_a_message_fails(catalogue_dir: Path) -> None:
    path = catalogue_dir / "it.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('tips = "Prova', 'tipz = "Prova'), encoding="utf-8")
    found = i18n.problems(i18n.load_messages(catalogue_dir))
    assert found == ["it: search.tips is missing", "it: search.tipz is not an English message id"]


def test_a_language_lacking_or_inventing_a_placeholder_fails(catalogue_dir: Path) -> None:
    path = catalogue_dir / "nl.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("geplaatst in {channel}.", "geplaatst.")
    text = text.replace('no_match = "Geen bericht past bij {query}."', 'no_match = "Geen bericht past bij {vraag}."')
    path.write_text(text, encoding="utf-8")
    found = i18n.problems(i18n.load_messages(catalogue_dir))
    assert "nl: alerts.test_posted uses [], English uses ['channel']" in found
    assert "nl: search.no_match uses ['vraag'], English uses ['query']" in found
    assert len(found) == 2


def test_a_plural_message_needs_every_form_of_its_language(catalogue_dir: Path) -> None:
    # French has a "many" form (1 000 000 de médias); a table with only one/other is refused when loaded.
    path = catalogue_dir / "fr.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('many = "{count} de médias"\n', ""),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"fr.toml: search.outlets gives plural forms \['one', 'other'\]"):
        i18n.load_messages(catalogue_dir)


def test_a_message_plural_in_one_language_only_fails(catalogue_dir: Path) -> None:
    path = catalogue_dir / "de.toml"
    text = path.read_text(encoding="utf-8").replace('never = "nie"', 'never = { one = "nie", other = "nie" }')
    path.write_text(text, encoding="utf-8")
    assert i18n.problems(i18n.load_messages(catalogue_dir)) == ["de: status.never is plural here"]


@pytest.mark.parametrize(
    ("lang", "zero", "one", "two", "million"),
    [
        ("en", "0 outlets", "1 outlet", "2 outlets", "1,000,000 outlets"),
        ("fr", "0 média", "1 média", "2 médias", f"1{NNBSP}000{NNBSP}000 de médias"),
        ("de", "0 Medien", "1 Medium", "2 Medien", "1.000.000 Medien"),
        ("es", "0 medios", "1 medio", "2 medios", "1.000.000 de medios"),
        ("it", "0 testate", "1 testata", "2 testate", "1.000.000 di testate"),
        ("nl", "0 media", "1 medium", "2 media", "1.000.000 media"),
        ("pt", "0 veículo", "1 veículo", "2 veículos", "1.000.000 de veículos"),
    ],
)
def test_plural_forms_follow_each_languages_rules(lang: str, zero: str, one: str, two: str, million: str) -> None:
    # French and Brazilian Portuguese count 0 as singular; the others plural. "many" takes "de"/"di" in Romance.
    assert [i18n.t(lang, "search.outlets", count=n) for n in (0, 1, 2, 1_000_000)] == [zero, one, two, million]


@pytest.mark.parametrize(
    ("lang", "big", "small", "score", "share"),
    [
        ("en", "12,345", "1,234", "0.87", "42%"),
        ("fr", f"12{NNBSP}345", f"1{NNBSP}234", "0,87", "42\u00a0%"),
        ("de", "12.345", "1.234", "0,87", "42\u00a0%"),
        ("es", "12.345", "1.234", "0,87", "42\u00a0%"),
        ("it", "12.345", "1.234", "0,87", "42%"),
        ("nl", "12.345", "1.234", "0,87", "42%"),
        ("pt", "12.345", "1.234", "0,87", "42%"),
    ],
)
def test_numbers_are_written_for_each_language(lang: str, big: str, small: str, score: str, share: str) -> None:
    # French groups with a narrow no-break space and puts a no-break space before %; Italian does not.
    text = i18n.t(lang, "status.sources", healthy=12345, failing=1234, disabled=0, last_poll="-")
    assert big in text and small in text
    assert i18n.t(lang, "alerts.min_score", score=0.8712).endswith(score)
    assert i18n.percent(lang, 0.42) == share


def test_strings_are_inserted_as_they_are() -> None:
    # Ids are passed as strings so that story #12345 is never written #12,345.
    assert i18n.t("en", "story.not_found", id="12345").startswith("There is no story #12345.")


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("fr", "fr"),
        ("de", "de"),
        ("es-ES", "es"),
        ("es-419", "es"),
        ("it", "it"),
        ("nl", "nl"),
        ("pt-BR", "pt"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("pl", "en"),
        ("ja", "en"),
        (None, "en"),
        ("pt", "pt"),
    ],
)
def test_discord_locales_map_to_the_seven_languages(locale: str | None, lang: str) -> None:
    assert i18n.language_for(locale) == lang


def test_an_unknown_language_reads_english_and_an_unknown_id_fails() -> None:
    assert i18n.t("pl", "pager.next") == "Next"
    with pytest.raises(KeyError):
        i18n.t("fr", "pager.nxet")
    with pytest.raises(TypeError, match="plural"):
        i18n.t("fr", "search.outlets")


# "/alertes abonner": a command a message tells people to type, and its subcommand for the groups.
COMMAND = re.compile(r"(?<![\w<])/(\w[\w-]*)(?: ([\w-]+))?")
GROUPS = {"alerts", "keywords", "sources"}
PICKER_FILE = {"fr": "fr", "de": "de", "es": "es", "it": "it", "nl": "nl", "pt": "pt"}


def test_commands_named_in_messages_are_the_pickers_names() -> None:
    english_names = set(load_toml(config_path("locales", "fr.toml"))["names"])
    for lang, messages in i18n.catalogues().items():
        names = (
            {n: n for n in english_names}
            if lang == "en"
            else load_toml(config_path("locales", f"{PICKER_FILE[lang]}.toml"))["names"]
        )
        shown = {v: k for k, v in names.items()} | {"breachwatch": "breachwatch"}
        for msg_id, message in messages.items():
            for text in [message] if isinstance(message, str) else list(message.values()):
                for command, sub in COMMAND.findall(text):
                    assert command in shown, f"{lang}: {msg_id} names /{command}, which the {lang} picker lacks"
                    if shown[command] in GROUPS:
                        assert sub in shown, f"{lang}: {msg_id} names /{command} {sub}: no such subcommand"
