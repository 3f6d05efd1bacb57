"""Public bodies a country has one of (its ministries, its border service, its tax and migration agencies), named in
any of the seven languages (config/facts/bodies.toml).

Reports of one incident in four languages may share no word for its victim: "ministère de la Justice", "France's
Ministry of Justice", "französisches Justizministerium". Each body found gives the signature a name key for the body
("body:justice-ministry") and, when the report names one country (facts.find_countries), a stronger key for that
country's body ("body:justice-ministry:fr"): the body of one country is one organisation, the body alone is any
country's.
"""

from __future__ import annotations

import re
from functools import cache

from bot.core.text import fold_in_place
from bot.stories import config_schema as schema
from bot.stories.facts import country_counts, find_countries

BODY_WEIGHT = 0.45  # about an everyday name's: corroborates, never decides alone
COUNTRY_BODY_WEIGHT = 0.9  # a rare name's: one organisation
_SHORT = 5


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    data = schema.load("facts", "bodies.toml", schema.BodiesFile)
    out: dict[str, re.Pattern[str]] = {}
    for body, names in data.bodies.items():
        terms = sorted({fold_in_place(t) for terms in names.values() for t in terms}, key=len, reverse=True)
        out[body] = re.compile(r"(?<![\w])(?:" + "|".join(_inflected(t) for t in terms) + ")")
    return out


def _inflected(term: str) -> str:
    """The term, its first word perhaps with a German case ending ("Staatssekretariats für Migration"); a word of
    five letters or fewer matched whole."""
    first, space, rest = term.partition(" ")
    if not space:
        # A short name is a word, not a prefix: "fisc" is no start of "fiscalía".
        return re.escape(term) + (r"s?(?![\w])" if len(term) <= _SHORT else "")
    return re.escape(first) + r"(?:e?s|e?n)?\s+" + re.escape(rest)


def _country(title: str, body: str) -> str | None:
    """The one country the report is about: the headline's only one, or the text's only or most named one."""
    in_title = find_countries(title)
    if len(in_title) == 1:
        return in_title[0]
    counts = country_counts(f"{title}\n{body}")
    if not counts:
        return None
    ranked = counts.most_common(2)
    if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
        return ranked[0][0]
    return None


def body_names(title: str, body: str) -> list[tuple[str, float, bool]]:
    """(key, weight, named in the headline) for each public body the report names."""
    folded_title, folded_body = fold_in_place(title), fold_in_place(body)
    found: list[tuple[str, float, bool]] = []
    country: str | None = None
    looked = False
    for name, pattern in _patterns().items():
        in_title = bool(pattern.search(folded_title))
        if not in_title and not pattern.search(folded_body):
            continue
        found.append((f"body:{name}", BODY_WEIGHT, in_title))
        if not looked:
            country, looked = _country(title, body), True
        if country:
            found.append((f"body:{name}:{country.lower()}", COUNTRY_BODY_WEIGHT, in_title))
    return found
