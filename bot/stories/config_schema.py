"""Schemas of the term lists under config/facts and config/stories, checked when they are loaded, as the
classifier's lexicons are: a wrong key, a wrong type or a term listed twice stops with one line naming the file."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.core.languages import LANGUAGES
from bot.resources import config_path, load_toml

Terms = list[str]


class ConfigError(ValueError):
    """A file under config/facts or config/stories does not match its schema."""


def _unique(terms: Terms, where: str) -> Terms:
    seen: set[str] = set()
    for term in terms:
        if not term.strip():
            raise ValueError(f"an empty term in {where}")
        key = " ".join(term.casefold().split())
        if key in seen:
            raise ValueError(f"{term!r} is listed twice in {where}")
        seen.add(key)
    return terms


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NumbersFile(_Strict):
    multipliers: dict[str, float]
    number_words: dict[str, float]
    count_nouns: dict[str, Terms]

    @field_validator("count_nouns")
    @classmethod
    def _nouns(cls, value: dict[str, Terms]) -> dict[str, Terms]:
        for lang, terms in value.items():
            _unique(terms, f"count_nouns.{lang}")
        return value


class TermList(_Strict):
    """A table with one list of terms: a data type's (facts/data_types.toml) or the generic terms' file."""

    terms: Terms

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: Terms) -> Terms:
        return _unique(value, "terms")


class CountriesFile(_Strict):
    names: dict[str, Terms]
    acronyms: dict[str, Terms]


class BodiesFile(_Strict):
    """config/facts/bodies.toml: per public body, its names in each language."""

    bodies: dict[str, dict[str, Terms]]

    @field_validator("bodies")
    @classmethod
    def _names(cls, value: dict[str, dict[str, Terms]]) -> dict[str, dict[str, Terms]]:
        for body, names in value.items():
            if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", body):
                raise ValueError(f"body {body!r}: lower-case words joined by hyphens")
            for lang, terms in names.items():
                if lang not in LANGUAGES:
                    raise ValueError(f"body {body!r}: unknown language {lang!r}")
                _unique(terms, f"{body}.{lang}")
        return value


class OrganisationsFile(_Strict):
    vendors: Terms
    agencies: Terms
    actors: Terms
    reporters: Terms

    @field_validator("vendors", "agencies", "actors", "reporters")
    @classmethod
    def _names(cls, value: Terms) -> Terms:
        return _unique(value, "the list")


class RolesFile(_Strict):
    """config/facts/roles.toml: the regulators' names and, per language, the words around a name that give its
    role in a breach story."""

    regulators: Terms
    actor_before: dict[str, Terms]
    actor_after: dict[str, Terms]
    regulator_before: dict[str, Terms]
    regulator_after: dict[str, Terms]
    reporter_before: dict[str, Terms]
    connectors: dict[str, Terms]
    tool_before: dict[str, Terms] = {}
    tool_after: dict[str, Terms] = {}
    ruled_after: dict[str, Terms] = {}
    participant_before: dict[str, Terms] = {}
    participant_after: dict[str, Terms] = {}
    suppliers: dict[str, Terms] = {}
    name_heads: dict[str, Terms] = {}
    place_heads: dict[str, Terms] = {}
    body_heads: dict[str, Terms] = {}
    institution_heads: dict[str, Terms] = {}
    attacker_verbs: dict[str, Terms] = {}

    @field_validator("regulators")
    @classmethod
    def _names(cls, value: Terms) -> Terms:
        return _unique(value, "regulators")

    @field_validator(
        "actor_before",
        "actor_after",
        "regulator_before",
        "regulator_after",
        "reporter_before",
        "participant_before",
        "participant_after",
        "suppliers",
        "connectors",
        "name_heads",
        "place_heads",
        "body_heads",
        "institution_heads",
        "attacker_verbs",
    )
    @classmethod
    def _per_language(cls, value: dict[str, Terms]) -> dict[str, Terms]:
        for lang, terms in value.items():
            if lang not in LANGUAGES:
                raise ValueError(f"{lang!r} is not one of the languages {', '.join(LANGUAGES)}")
            _unique(terms, lang)
        return value


class DatesFile(_Strict):
    months: dict[str, Terms]


class BoilerplateFile(_Strict):
    sentence_patterns: Terms


class ReferencesFile(_Strict):
    cues: dict[str, Terms]
    events: dict[str, Terms] = {}
    determiners: dict[str, Terms] = {}
    separate: dict[str, Terms] = {}
    incidents: dict[str, Terms] = {}
    sequel: dict[str, Terms] = {}
    ordinals: dict[str, Terms] = {}
    similar: dict[str, Terms] = {}


M = TypeVar("M", bound=BaseModel)


def load(folder: str, name: str, model: type[M]) -> M:
    path = config_path(folder, name)
    try:
        return model.model_validate(load_toml(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"config/{folder}/{name}: {where}: {first['msg']}") from None


def load_data_types() -> dict[str, TermList]:
    raw: dict[str, Any] = load_toml(config_path("facts", "data_types.toml"))
    try:
        return {kind: TermList.model_validate(entry) for kind, entry in raw.items()}
    except ValidationError as exc:
        raise ConfigError(f"config/facts/data_types.toml: {exc.errors()[0]['msg']}") from None
