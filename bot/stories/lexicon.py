"""The term lists under config/facts and config/stories, loaded once and compiled into matchers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.core.text import fold_in_place
from bot.stories import config_schema as schema


def _alternation(terms: list[str], whole_word: bool) -> re.Pattern[str]:
    """One regex over folded text matching any term at a word start (and end, for whole words)."""
    folded = sorted({fold_in_place(t) for t in terms if t.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(t) for t in folded)
    tail = r"(?![\w])" if whole_word else ""
    return re.compile(rf"(?<![\w])(?:{body}){tail}")


@dataclass(frozen=True)
class Numbers:
    multipliers: dict[str, float]
    number_words: dict[str, float]
    count_nouns: dict[str, tuple[str, ...]]
    all_count_nouns: tuple[str, ...]


@dataclass(frozen=True)
class Organisations:
    roles: dict[str, str]  # folded name -> vendor | agency | actor | reporter
    pattern: re.Pattern[str]


@cache
def numbers() -> Numbers:
    data = schema.load("facts", "numbers.toml", schema.NumbersFile)
    nouns = {lang: tuple(fold_in_place(n) for n in items) for lang, items in data.count_nouns.items()}
    every = tuple(sorted({n for items in nouns.values() for n in items}))
    return Numbers(
        multipliers={fold_in_place(k): float(v) for k, v in data.multipliers.items()},
        number_words={fold_in_place(k): float(v) for k, v in data.number_words.items()},
        count_nouns=nouns,
        all_count_nouns=every,
    )


@cache
def data_types() -> dict[str, re.Pattern[str]]:
    return {kind: _alternation(entry.terms, whole_word=False) for kind, entry in schema.load_data_types().items()}


# A name this short is a word of its own, not a prefix: "inde" (India) is no start of "indebido" or "indeed".
_SHORT_NAME = 5


def _country_names(terms: list[str]) -> re.Pattern[str]:
    """Long names match at a word's start ("británic" for británico, británica); short ones as whole words, plural
    endings allowed ("belges", "Belgen", "Berner")."""
    folded = sorted({fold_in_place(t) for t in terms if t.strip()}, key=len, reverse=True)
    long = [re.escape(t) for t in folded if len(t) > _SHORT_NAME]
    short = [re.escape(t) for t in folded if len(t) <= _SHORT_NAME]
    parts = [*long, *(rf"(?:{t})(?:e?s|e?n|er)?(?![\w])" for t in short)]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + ")")


@cache
def countries() -> tuple[dict[str, re.Pattern[str]], dict[str, re.Pattern[str]]]:
    """Per ISO code: a matcher over folded text for names, and a case-sensitive one for acronyms."""
    data = schema.load("facts", "countries.toml", schema.CountriesFile)
    names = {code: _country_names(terms) for code, terms in data.names.items()}
    acronyms = {
        code: re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(t) for t in terms) + r")(?![\w])")
        for code, terms in data.acronyms.items()
    }
    return names, acronyms


@cache
def organisations() -> Organisations:
    data = schema.load("facts", "organisations.toml", schema.OrganisationsFile)
    roles: dict[str, str] = {}
    # Later lists do not override earlier ones: a vendor that also reports stays a vendor.
    for role, key in (("vendor", "vendors"), ("agency", "agencies"), ("actor", "actors"), ("reporter", "reporters")):
        for name in getattr(data, key):
            roles.setdefault(fold_in_place(name), role)
    return Organisations(roles=roles, pattern=_alternation(list(roles), whole_word=True))


@cache
def months() -> dict[str, int]:
    data = schema.load("facts", "dates.toml", schema.DatesFile)
    return {name: int(month) for month, names in data.months.items() for name in names}


@cache
def boilerplate() -> re.Pattern[str]:
    data = schema.load("stories", "boilerplate.toml", schema.BoilerplateFile)
    return re.compile("|".join(f"(?:{p})" for p in data.sentence_patterns), re.I)


@cache
def generic_terms() -> frozenset[str]:
    data = schema.load("stories", "generic_terms.toml", schema.TermList)
    return frozenset(fold_in_place(t) for t in data.terms)


@cache
def reference_cues(events: bool = True) -> dict[str, re.Pattern[str]]:
    """Per language, a matcher for folded text that ends with a word introducing another event ("days after the"),
    perhaps with that event's noun between ("no link with the attack on", "tras el ataque al"; not with
    `events=False`: "Après VeilleProche, ...")."""
    data = schema.load("stories", "references.toml", schema.ReferencesFile)

    def alternation(terms: list[str]) -> str:
        return "|".join(re.escape(fold_in_place(t)) for t in sorted(terms, key=len, reverse=True))

    out: dict[str, re.Pattern[str]] = {}
    for lang, cues in data.cues.items():
        dets = alternation(data.determiners.get(lang, []))
        det = rf"(?:(?:{dets})\s*)?" if dets else ""
        nouns = data.events.get(lang, []) if events else []
        event = rf"(?:(?:{alternation(nouns)})\s+{det})?" if nouns else ""
        out[lang] = re.compile(rf"(?<![\w'])(?:{alternation(cues)})\s+{det}{event}$")
    return out


@cache
def separate_cues() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    """Per language, a matcher for folded text saying an incident is not another one ("unrelated to", "sin
    relación con", "nada tem a ver com", "un episodio distinto"), and one for the words of an incident that make
    it speak of another incident ("attack", "caso"; matched at a word's start)."""
    data = schema.load("stories", "references.toml", schema.ReferencesFile)
    out: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}
    for lang, cues in data.separate.items():
        terms = "|".join(re.escape(fold_in_place(t)) for t in sorted(cues, key=len, reverse=True))
        nouns = "|".join(re.escape(fold_in_place(t)) for t in data.incidents.get(lang, [])) or "(?!)"
        out[lang] = (re.compile(rf"(?<![\w'])(?:{terms})(?!\w)"), re.compile(rf"(?<![\w])(?:{nouns})"))
    return out


@cache
def sequel_cues() -> dict[str, re.Pattern[str]]:
    """Per language, a matcher for folded text telling of a further incident of a known actor, tool or kind
    ("strikes again", "la stessa gang", "une deuxième fuite", "Second Italian police wiretap leak")."""
    data = schema.load("stories", "references.toml", schema.ReferencesFile)

    def alternation(terms: list[str]) -> str:
        return "|".join(re.escape(fold_in_place(t)) for t in sorted(terms, key=len, reverse=True)) or "(?!)"

    out: dict[str, re.Pattern[str]] = {}
    for lang in data.sequel.keys() | data.ordinals.keys():
        phrases = alternation(data.sequel.get(lang, []))
        ordinals = alternation(data.ordinals.get(lang, []))
        nouns = alternation(data.incidents.get(lang, []))
        # The ordinal may stand a few words before the incident's word ("second Italian police wiretap leak").
        out[lang] = re.compile(rf"(?<![\w'])(?:(?:{phrases})(?!\w)|(?:{ordinals})\s+(?:[\w'-]+\s+){{0,3}}(?:{nouns}))")
    return out


@cache
def ordinal_cues() -> dict[str, re.Pattern[str]]:
    """Per language, a matcher for folded text with an ordinal a few words before a word for an incident
    ("second Intersonic leak", "nueva fuga"), but not a similar one: "a similar breach" is another's, not this one's
    count."""
    data = schema.load("stories", "references.toml", schema.ReferencesFile)
    out: dict[str, re.Pattern[str]] = {}
    for lang, ordinals in data.ordinals.items():
        counting = [o for o in ordinals if o not in data.similar.get(lang, [])]
        words = "|".join(re.escape(fold_in_place(t)) for t in sorted(counting, key=len, reverse=True)) or "(?!)"
        nouns = "|".join(re.escape(fold_in_place(t)) for t in data.incidents.get(lang, [])) or "(?!)"
        out[lang] = re.compile(rf"(?<![\w'])(?:{words})\s+(?:[\w'-]+\s+){{0,2}}(?:{nouns})")
    return out
