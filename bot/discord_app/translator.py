"""Slash-command names and descriptions in the users' languages, from TOML catalogues in `config/locales/`.

Each catalogue lists the Discord locales it serves and maps the English text, per kind of string, to its
translation. A missing entry falls back to English. Catalogues are checked against Discord's limits when loaded,
so a bad translation fails at start-up with a clear message instead of as a 400 from the command sync.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from discord import Locale, app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.resources import config_path, load_toml

NAME_MAX = 32
TEXT_MAX = 100

# Catalogue section for each place discord.py asks about. Groups and commands share one vocabulary.
SECTIONS: dict[Where, str] = {
    Where.command_name: "names",
    Where.group_name: "names",
    Where.command_description: "descriptions",
    Where.group_description: "descriptions",
    Where.parameter_name: "options",
    Where.parameter_description: "option_descriptions",
    Where.choice_name: "choices",
}
NAME_SECTIONS = frozenset({"names", "options"})

# Discord's name rule is ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, lower case where a letter has one.
_SCRIPT_RANGES = (("\u0900", "\u097f"), ("\u0e00", "\u0e7f"))


def valid_name(name: str) -> bool:
    return 1 <= len(name) <= NAME_MAX and name == name.lower() and all(_name_char(c) for c in name)


def _name_char(c: str) -> bool:
    if c in "-_" or unicodedata.category(c)[0] in "LN":
        return True
    return any(lo <= c <= hi for lo, hi in _SCRIPT_RANGES)


@dataclass(frozen=True)
class Catalogue:
    locales: tuple[Locale, ...]
    sections: Mapping[str, Mapping[str, str]]

    def lookup(self, section: str, english: str) -> str | None:
        return self.sections.get(section, {}).get(english)


def problems(catalogue: Catalogue) -> list[str]:
    """Entries Discord would refuse: bad names, empty or over-long texts, names that would clash."""
    found = []
    for section, entries in catalogue.sections.items():
        for english, text in entries.items():
            if section in NAME_SECTIONS and not valid_name(text):
                found.append(f"[{section}] {english!r} = {text!r}: not a valid command name")
            elif not 1 <= len(text) <= TEXT_MAX:
                found.append(f"[{section}] {english!r} = {text!r}: must be 1 to {TEXT_MAX} characters")
    for section in sorted(NAME_SECTIONS):
        found.extend(_clashes(section, catalogue.sections.get(section, {})))
    return found


def _clashes(section: str, entries: Mapping[str, str]) -> list[str]:
    """Two subcommands of one group, or two options of one command, must differ in every locale: the picker would show
    them under one name and nobody could tell which is which. A catalogue does not know which names are siblings (one
    entry serves every command using that English name), so it asks for more: no two English names may share a
    translation anywhere in the section."""
    by_translation: dict[str, list[str]] = {}
    for english, text in entries.items():
        by_translation.setdefault(text, []).append(english)
    return [
        f"[{section}] {' and '.join(repr(e) for e in sorted(sources))} are both {text!r}: siblings would clash"
        for text, sources in by_translation.items()
        if len(sources) > 1
    ]


def load_catalogue(path: Path) -> Catalogue:
    data = load_toml(path)
    try:
        locales = tuple(Locale(code) for code in data.get("locales", []))
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    if not locales:
        raise ValueError(f"{path.name}: lists no Discord locales")
    unknown = set(data) - {"locales", *SECTIONS.values()}
    if unknown:
        raise ValueError(f"{path.name}: unknown sections {sorted(unknown)}")
    names = set(SECTIONS.values())
    sections = {name: {str(k): str(v) for k, v in data.get(name, {}).items()} for name in names}
    catalogue = Catalogue(locales, sections)
    bad = problems(catalogue)
    if bad:
        raise ValueError(f"{path.name}: " + "; ".join(bad))
    return catalogue


def load_catalogues(directory: Path | None = None) -> dict[Locale, Catalogue]:
    by_locale: dict[Locale, Catalogue] = {}
    for path in sorted((directory or config_path("locales")).glob("*.toml")):
        catalogue = load_catalogue(path)
        for locale in catalogue.locales:
            if locale in by_locale:
                raise ValueError(f"{path.name}: locale {locale.value} is already served by another catalogue")
            by_locale[locale] = catalogue
    return by_locale


class TomlTranslator(app_commands.Translator):
    def __init__(self, catalogues: Mapping[Locale, Catalogue] | None = None) -> None:
        self.catalogues = dict(catalogues) if catalogues is not None else load_catalogues()

    @property
    def locales(self) -> list[Locale]:
        return list(self.catalogues)

    async def translate(
        self, string: app_commands.locale_str, locale: Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        catalogue = self.catalogues.get(locale)
        section = SECTIONS.get(context.location)
        if catalogue is None or section is None:
            return None
        return catalogue.lookup(section, string.message)
