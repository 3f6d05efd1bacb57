"""Choices shared by several commands, named for people; the translator localises the names."""

from __future__ import annotations

from discord import app_commands

from bot.core.languages import LANGUAGES

# English names of the languages the pipeline reads; a language added to bot.core.languages needs one here.
_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}
LANGUAGE_NAMES = {code: _NAMES[code] for code in LANGUAGES}


def language_choices() -> list[app_commands.Choice[str]]:
    """Values are the codes stored on stories and sources."""
    return [app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()]
