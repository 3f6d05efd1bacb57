"""What the bot writes to people, in the seven languages it reads: `t(lang, msg_id, **params)`.

Messages live in `config/locales/messages/<lang>.toml`, one per language, keyed by a stable message id
(`section.name`). A message is a string with `{placeholders}`, or a table of plural forms (`one`, `many`, `other`,
as CLDR's rules for that language name them) chosen by the `count` parameter. Plural rules and number formatting
come from Babel (CLDR data), never from hand-written rules: French says "1 média" and "0 média", English "0 outlets".

Parameters that are numbers are formatted for the language (int: grouped, `1 234` in French; float: two decimals,
`0,87` in German); a bot.core.notes.Note is written in the language too; anything else is inserted with `str()`, so
an id that must not be grouped is passed as a string.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_decimal, format_percent

from bot.core.languages import LANGUAGES
from bot.core.notes import Note
from bot.resources import config_path, load_toml

DEFAULT = "en"
PLURAL_KEY = "count"

# Discord's locale codes for the seven languages; every other locale (and none) reads English.
DISCORD_LOCALES: dict[str, str] = {
    "en-US": "en",
    "en-GB": "en",
    "fr": "fr",
    "de": "de",
    "es-ES": "es",
    "es-419": "es",
    "it": "it",
    "nl": "nl",
    "pt-BR": "pt",
}

Message = str | Mapping[str, str]


def language_for(locale: str | None) -> str:
    """The language for a Discord locale code (`pt-BR`) or one of our own codes (`pt`); English otherwise."""
    if locale is None:
        return DEFAULT
    if locale in LANGUAGES:
        return locale
    return DISCORD_LOCALES.get(locale, DEFAULT)


def placeholders(text: str) -> set[str]:
    """The names of `text`'s {placeholders}."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(text) if field}


def plural_categories(lang: str) -> set[str]:
    """The plural forms a message must give in `lang`: CLDR's categories for it, and `other`."""
    return {*_locale(lang).plural_form.tags, "other"}


def load_messages(directory: Path | None = None) -> dict[str, dict[str, Message]]:
    """Every catalogue, by language. Shape errors (a plural table lacking a form, an unknown form) raise here."""
    folder = directory or config_path("locales", "messages")
    catalogues: dict[str, dict[str, Message]] = {}
    for lang in LANGUAGES:
        path = folder / f"{lang}.toml"
        catalogues[lang] = _flatten(load_toml(path), lang, path.name)
    return catalogues


def _flatten(data: Mapping[str, Any], lang: str, where: str, prefix: str = "") -> dict[str, Message]:
    """TOML tables are sections of ids; a table whose keys are all plural categories is one plural message."""
    out: dict[str, Message] = {}
    forms = {"zero", "one", "two", "few", "many", "other"}
    for key, value in data.items():
        msg_id = f"{prefix}{key}"
        if isinstance(value, str):
            out[msg_id] = value
        elif isinstance(value, Mapping) and value and set(value) <= forms:
            wanted = plural_categories(lang)
            if set(value) != wanted:
                raise ValueError(f"{where}: {msg_id} gives plural forms {sorted(value)}; {lang} needs {sorted(wanted)}")
            out[msg_id] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, Mapping):
            out.update(_flatten(value, lang, where, f"{msg_id}."))
        else:
            raise ValueError(f"{where}: {msg_id} is neither a message nor a section")
    return out


def problems(catalogues: Mapping[str, Mapping[str, Message]]) -> list[str]:
    """What a language lacks or adds compared with English: message ids, and each message's placeholders."""
    english = catalogues[DEFAULT]
    found: list[str] = []
    for lang, messages in catalogues.items():
        for msg_id in sorted(set(english) - set(messages)):
            found.append(f"{lang}: {msg_id} is missing")
        for msg_id in sorted(set(messages) - set(english)):
            found.append(f"{lang}: {msg_id} is not an English message id")
        for msg_id in sorted(set(english) & set(messages)):
            want, have = english[msg_id], messages[msg_id]
            if isinstance(want, str) != isinstance(have, str):
                found.append(f"{lang}: {msg_id} is {'plural' if isinstance(have, Mapping) else 'not plural'} here")
                continue
            expected = _names(want)
            forms = [have] if isinstance(have, str) else list(have.values())
            # A plural form may leave out the count ("un seul média"), but no form may invent a placeholder.
            used = set().union(*(placeholders(f) for f in forms))
            if isinstance(have, Mapping):
                used.add(PLURAL_KEY)
            if used != expected:
                found.append(f"{lang}: {msg_id} uses {sorted(used)}, English uses {sorted(expected)}")
    return found


def _names(message: Message) -> set[str]:
    if isinstance(message, str):
        return placeholders(message)
    return set().union(*(placeholders(f) for f in message.values())) | {PLURAL_KEY}


@cache
def catalogues() -> dict[str, dict[str, Message]]:
    """The shipped catalogues, checked once: a gap stops start-up with the offending entries named."""
    loaded = load_messages()
    bad = problems(loaded)
    if bad:
        raise ValueError("config/locales/messages: " + "; ".join(bad))
    return loaded


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(lang: str, count: int) -> str:
    """CLDR's plural category of `count` in `lang` (`one`, `many`, `other`)."""
    return str(_locale(lang).plural_form(count))


def number(lang: str, value: float, digits: int = 0) -> str:
    """`value` written for `lang`'s readers with `digits` decimals: CLDR's grouping (Spanish leaves 4-digit numbers
    ungrouped) and decimal mark (`0,87`)."""
    if not digits:
        return str(format_decimal(round(value), locale=_locale(lang)))
    return str(format_decimal(value, format="#,##0." + "0" * digits, locale=_locale(lang)))


def percent(lang: str, fraction: float) -> str:
    return str(format_percent(fraction, locale=_locale(lang)))


def _value(lang: str, value: Any) -> str:
    if isinstance(value, Note):
        return t(lang, value.msg_id, **value.params)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number(lang, value)
    if isinstance(value, float):
        return number(lang, value, 2)
    return str(value)


def has(msg_id: str) -> bool:
    return msg_id in catalogues()[DEFAULT]


def t(lang: str, msg_id: str, **params: Any) -> str:
    """Message `msg_id` in `lang` (one of the seven, else English) with `params` filled in.

    An unknown id raises KeyError: a typo must fail the tests, not show a raw id to somebody."""
    lang = language_for(lang)
    message = catalogues()[lang][msg_id]
    if not isinstance(message, str):
        count = params.get(PLURAL_KEY)
        if not isinstance(count, int):
            raise TypeError(f"{msg_id} is plural: pass count=<int>")
        message = message[plural_category(lang, count)]
    return message.format(**{k: _value(lang, v) for k, v in params.items()})


def name_of_language(lang: str, code: str | None) -> str:
    """A story language's name as `lang`'s readers call it (`allemand`), or `?` when unknown."""
    if not code:
        return "?"
    key = f"language.{code}"
    return t(lang, key) if has(key) else code
