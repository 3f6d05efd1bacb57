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
from bot.stories.facts import find_countries

BODY_WEIGHT = 0.45  # about an everyday name's: corroborates, never decides alone
COUNTRY_BODY_WEIGHT = 0.9  # a rare name's: one organisation


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    data = schema.load("facts", "bodies.toml", schema.BodiesFile)
    out: dict[str, re.Pattern[str]] = {}
    for body, names in data.bodies.items():
        terms = sorted({fold_in_place(t) for terms in names.values() for t in terms}, key=len, reverse=True)
        out[body] = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(t) for t in terms) + ")")
    return out


def body_names(title: str, body: str) -> list[tuple[str, float, bool]]:
    """(key, weight, named in the headline) for each public body the report names."""
    folded_title, folded_body = fold_in_place(title), fold_in_place(body)
    found: list[tuple[str, float, bool]] = []
    countries: list[str] | None = None
    for name, pattern in _patterns().items():
        in_title = bool(pattern.search(folded_title))
        if not in_title and not pattern.search(folded_body):
            continue
        found.append((f"body:{name}", BODY_WEIGHT, in_title))
        if countries is None:
            countries = find_countries(f"{title}\n{body}")
        if len(countries) == 1:
            found.append((f"body:{name}:{countries[0].lower()}", COUNTRY_BODY_WEIGHT, in_title))
    return found
