"""Lexicons as data: config/lexicon/<lang>.toml, loaded through importlib.resources.

Every term belongs to a concept, and every concept to a kind that tells the scorer what the term is evidence of:
a breach event, a kind of surveillance data (one of the public categories), a cue that the story is not a breach,
and so on. The file format is documented at the top of each lexicon file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources

from bot.core.categories import CATEGORIES
from bot.core.languages import LANGUAGES

SHARED = "shared"  # names of vendors, systems and loanwords used by the press of every language
ANY_LANG = "*"  # a guild's own terms apply whatever the story's language


class Kind(StrEnum):
    BREACH = "breach"  # something happened to data: leaked, stolen, exposed, sold, abused
    SURVEILLANCE = "surveillance"  # the data is surveillance data (one of CATEGORIES)
    NEGATIVE = "negative"  # policy, fines, lawsuits, deployments: surveillance news without a breach
    VULNERABILITY = "vulnerability"  # a flaw was found (says nothing about exposure by itself)
    NO_EXPLOITATION = "no_exploitation"  # "no evidence of access": turns a flaw story into a non-event
    HYPOTHETICAL = "hypothetical"  # "could allow", "pourrait": the breach terms that follow did not happen
    ACTOR = "actor"  # criminals or insiders: turns a plain "consulted the system" into abuse
    OTHER_DATA = "other_data"  # ordinary personal data (cards, patients): explains a non-surveillance breach
    MASK = "mask"  # phrases that contain a surveillance word without meaning it ("network monitoring")
    BLOCK = "block"  # guild veto
    FORCE = "force"  # guild: always alert


CONCEPT_KINDS: dict[str, Kind] = {
    "leak": Kind.BREACH,
    "hack": Kind.BREACH,
    "theft": Kind.BREACH,
    "exposure": Kind.BREACH,
    "sale": Kind.BREACH,
    "insider_abuse": Kind.BREACH,
    "access": Kind.BREACH,
    "infection": Kind.BREACH,
    **dict.fromkeys(CATEGORIES, Kind.SURVEILLANCE),
    "policy": Kind.NEGATIVE,
    "penalty": Kind.NEGATIVE,
    "lawsuit": Kind.NEGATIVE,
    "deployment": Kind.NEGATIVE,
    "vulnerability": Kind.VULNERABILITY,
    "no_exploitation": Kind.NO_EXPLOITATION,
    "hypothetical": Kind.HYPOTHETICAL,
    "illicit_actor": Kind.ACTOR,
    "insider_actor": Kind.ACTOR,
    "ordinary_data": Kind.OTHER_DATA,
    "not_surveillance": Kind.MASK,
    "blocked": Kind.BLOCK,
    "forced": Kind.FORCE,
}

# Weak breach concepts: on their own they do not make a breach, an actor nearby can promote them.
WEAK_BREACH: frozenset[str] = frozenset({"access"})


class LexiconError(ValueError):
    """A lexicon file or term that cannot be compiled."""


@dataclass(frozen=True, slots=True)
class TermSpec:
    """One lexicon entry before compilation. `text` uses the lexicon syntax (see the TOML headers)."""

    text: str
    concept: str
    weight: float
    lang: str
    inflections: tuple[str, ...] = ("",)

    @property
    def kind(self) -> Kind:
        return CONCEPT_KINDS[self.concept]


def parse_lexicon(source: str, name: str) -> tuple[TermSpec, ...]:
    """Terms from the text of one lexicon file; `name` is the language code or "shared"."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{name}: {exc}") from exc
    lang = str(data.get("lang", name))
    inflections = tuple(str(s) for s in data.get("inflections", [""]))
    if "" not in inflections:
        inflections = ("", *inflections)
    specs: list[TermSpec] = []
    seen: dict[tuple[str, str], int] = {}
    for i, group in enumerate(data.get("group", [])):
        concept = group.get("concept")
        if concept not in CONCEPT_KINDS:
            raise LexiconError(f"{name}: group {i} has unknown concept {concept!r}")
        weight = float(group.get("weight", 0.8))
        if not 0.0 <= weight <= 1.0:
            raise LexiconError(f"{name}: group {i} weight {weight} outside 0..1")
        for term in group.get("terms", []):
            if not isinstance(term, str) or not term.strip("* "):
                raise LexiconError(f"{name}: group {i} has an empty or non-string term")
            key = (concept, " ".join(term.lower().split()))
            if key in seen:
                # Two weights for one term of one concept: only the stronger ever counted, so say which to keep.
                raise LexiconError(f"{name}: {term!r} is listed twice under {concept!r} (groups {seen[key]} and {i})")
            seen[key] = i
            specs.append(TermSpec(term, concept, weight, lang, inflections))
    return tuple(specs)


def lexicon_names() -> tuple[str, ...]:
    return (*LANGUAGES, SHARED)


@cache
def load_lexicon(name: str) -> tuple[TermSpec, ...]:
    path = resources.files("config").joinpath("lexicon", f"{name}.toml")
    return parse_lexicon(path.read_text(encoding="utf-8"), name)


@lru_cache(maxsize=1)
def default_terms() -> tuple[TermSpec, ...]:
    """Every bundled term, all languages: the matcher filters by language at match time."""
    out: list[TermSpec] = []
    for name in lexicon_names():
        out.extend(load_lexicon(name))
    return tuple(out)
