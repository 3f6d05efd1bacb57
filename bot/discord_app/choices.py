"""Choices shared by several commands, named for people; the translator localises the names."""

from __future__ import annotations

from discord import app_commands

# The languages the pipeline reads; choice values are the codes stored on stories and sources.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
}


def language_choices() -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=code) for code, name in LANGUAGE_NAMES.items()]
