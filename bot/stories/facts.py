"""Breach facts from an article's text: affected count, data types, organisations, attackers, countries, date.

Each extractor reports only what the text says; anything not found stays empty rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from bot.core.text import fold_in_place
from bot.stories import lexicon

_DIGITS = r"\d{1,3}(?:(?:[.,'’]|[ \u00a0\u202f])\d{3})+(?!\d)|\d+(?:[.,]\d+)?"
_NUMBER = re.compile(rf"(?<![\w.,'’])({_DIGITS})")
_THOUSANDS = re.compile(r"\d{1,3}(?:(?:[.,'’]|[ \u00a0\u202f])\d{3})+")
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥]|\b(?:us|usd|eur|chf|gbp|r)\$?)\s?$")
_CURRENCY_AFTER = re.compile(
    r"\s?(?:[$€£¥]|(?:euros?|eur|usd|chf|gbp|dollars?|dolares|dollari|dolares|dólares|pounds?|sterling|sterline|"
    r"libras?|francs?|franken|franchi|francos|reais|bitcoins?|btc)(?!\w))"
)
_SIZE_UNIT = re.compile(r"\s?(gb|go|tb|to|mb|mo|gigabytes?|terabytes?|gigaoctets?|teraoctets?)(?!\w)")
_FILLER = frozenset(
    [
        "de",
        "d'",
        "of",
        "van",
        "di",
        "do",
        "da",
        "der",
        "des",
        "du",
        "unique",
        "more",
        "than",
        "plus",
        "mehr",
        "als",
        "oltre",
        "mais",
        "meer",
        "dan",
    ]
)
_ACTOR_CUE = re.compile(
    r"(?i:\b(?:gang|group|groupe|gruppe|grupo|gruppo|groep|bende|banda|crew))"
    r"(?:\s+(?i:de|di|du|of|van|do))?(?:\s+(?i:ransomware|rançongiciel|hackers?|pirates?))?\s+"
    r"((?:[A-Z][\w$\-]*|[0-9][A-Za-z][\w]*)(?:\s+[A-Z][\w$\-]*)?)"
)

_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "le",
        "la",
        "les",
        "un",
        "une",
        "ce",
        "cette",
        "der",
        "die",
        "das",
        "ein",
        "eine",
        "el",
        "los",
        "las",
        "il",
        "lo",
        "gli",
        "o",
        "os",
        "as",
        "um",
        "uma",
        "het",
        "de",
        "een",
        "dit",
        "dat",
    ]
)
_ACTOR_BEFORE_CUE = re.compile(
    r"\b((?:[A-Z][\w$\-]*|[0-9][A-Za-z][\w]*)(?:\s+[A-Z][\w$\-]*)?)\s+(?i:gang|crew|bende|ransomware group)\b"
)


@dataclass(frozen=True)
class Count:
    value: int
    text: str
    start: int
    counts_something: bool  # followed by a noun for people, devices or records
    unit: str | None = None  # a data size ("gb"), which is never an affected count
    money: bool = False  # a sum ("100 000 euros", "$1.5 million"): a fine or a ransom, never an affected count


@dataclass
class Facts:
    affected: int | None = None
    affected_text: str | None = None
    data_types: list[str] = field(default_factory=list)
    organisations: list[dict[str, str | None]] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    date: str | None = None
    victims: list[str] = field(default_factory=list)  # whose data was taken or exposed, as written (roles.py)
    regulators: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Facts:
        data = data or {}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _to_float(digits: str, has_multiplier: bool) -> float:
    if _THOUSANDS.fullmatch(digits) and not (has_multiplier and re.fullmatch(r"\d{1,3}[.,]\d{3}", digits) is None):
        return float(re.sub(r"\D", "", digits))
    return float(digits.replace(",", "."))


def _multiplier_at(folded: str, pos: int) -> tuple[float, int]:
    """The multiplier word starting at `pos` (after optional space) and where it ends, or (1, pos)."""
    match = re.match(r"\s?([^\W\d]+\.?)(?:\s+(millones))?", folded[pos:])
    if not match:
        return 1.0, pos
    word = match.group(1)
    table = lexicon.numbers().multipliers
    if match.group(2) and word == "mil":
        return 1e9, pos + match.end()
    for candidate in (word, word.rstrip(".")):
        if candidate in table:
            end = pos + match.start(1) + len(candidate)
            return table[candidate], end
    return 1.0, pos


def _counts_something(folded: str, end: int, lang: str | None) -> bool:
    nums = lexicon.numbers()
    nouns = nums.count_nouns.get(lang or "", nums.all_count_nouns)
    following = re.findall(r"[\w'\-]+", folded[end : end + 60])
    checked = 0
    for word in following:
        if word in _FILLER or word.endswith("'"):
            continue
        if any(word.startswith(noun) for noun in nouns):
            return True
        checked += 1
        if checked >= 3:
            break
    return False


def find_counts(text: str, lang: str | None = None) -> list[Count]:
    """Every number in the text with its multiplier applied: "5,6 millions" is 5 600 000, "2.4M" 2 400 000."""
    folded = fold_in_place(text)
    found: list[Count] = []
    words = lexicon.numbers().number_words
    spelled = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    for match in re.finditer(rf"(?<!\w)(?:({_DIGITS})|({spelled}|a)(?=\s))", folded):
        if match.group(1):
            if match.start() > 0 and folded[match.start() - 1] in ".,'’":
                continue
            factor, end = _multiplier_at(folded, match.end())
            unit_match = _SIZE_UNIT.match(folded, match.end())
            value = _to_float(match.group(1), factor != 1.0) * factor
            unit = unit_match.group(1)[:2] if unit_match and factor == 1.0 else None
            if unit_match and unit:
                end = unit_match.end()
            if factor == 1.0 and unit is None and re.fullmatch(r"(19|20)\d\d", match.group(1)):
                continue  # a year
        else:
            factor, end = _multiplier_at(folded, match.end())
            if factor < 1e3:
                continue
            value = words.get(match.group(2), 1.0) * factor
            unit = None
        money = bool(_CURRENCY_BEFORE.search(folded[max(0, match.start() - 5) : match.start()])) or bool(
            _CURRENCY_AFTER.match(folded, end)
        )
        found.append(
            Count(
                value=round(value),
                text=text[match.start() : end].strip(),
                start=match.start(),
                counts_something=unit is None and not money and _counts_something(folded, end, lang),
                unit=unit,
                money=money,
            )
        )
    return found


def affected_count(title: str, text: str, lang: str | None) -> Count | None:
    """The headline count of people, devices or records: the title's if it has one, else the text's largest."""
    for source in (title, text):
        counts = [c for c in find_counts(source, lang) if c.counts_something and c.value >= 10]
        if counts:
            return max(counts, key=lambda c: c.value)
    return None


def find_data_types(text: str) -> list[str]:
    folded = fold_in_place(text)
    return [kind for kind, pattern in lexicon.data_types().items() if pattern.search(folded)]


def country_counts(text: str) -> Counter[str]:
    """How often the text names each country (names, adjectives, capitals, acronyms)."""
    folded = fold_in_place(text)
    names, acronyms = lexicon.countries()
    tally: Counter[str] = Counter()
    for code, pattern in names.items():
        tally[code] += len(pattern.findall(folded))
    for code, pattern in acronyms.items():
        tally[code] += len(pattern.findall(text))
    return +tally


def find_countries(text: str) -> list[str]:
    return [code for code, _n in country_counts(text).most_common()]


def find_organisations(text: str) -> tuple[list[dict[str, str | None]], list[str]]:
    """Known organisations with their role, and named attackers (from the lexicon or "the X gang" phrasing)."""
    orgs = lexicon.organisations()
    folded = fold_in_place(text)
    seen: dict[str, dict[str, str | None]] = {}
    actors: dict[str, str] = {}
    for match in orgs.pattern.finditer(folded):
        original = text[match.start() : match.end()]
        if not any(ch.isupper() for ch in original):
            continue  # "play" or "ring" as ordinary words
        role = orgs.roles[match.group(0)]
        if role == "reporter":
            continue
        if role == "actor":
            actors.setdefault(match.group(0), original)
        else:
            seen.setdefault(match.group(0), {"name": original, "role": role})
    for match in [*_ACTOR_CUE.finditer(text), *_ACTOR_BEFORE_CUE.finditer(text)]:
        name = match.group(1).strip()
        key = fold_in_place(name)
        if key.split()[0] in _NOT_NAMES or text[match.end() : match.end() + 3] == " of":
            continue
        if orgs.roles.get(key, "actor") == "actor" and key not in actors:
            actors[key] = name
    return list(seen.values()), list(actors.values())


_DAY_MONTH = r"(\d{1,2})(?:\.|er|º|°)?\s+(?:de\s+)?([^\W\d]{3,10})\.?(?:\s+(?:de\s+)?((?:19|20)\d\d))?"
_MONTH_DAY = r"([^\W\d]{3,10})\.?\s+(\d{1,2}),?\s+((?:19|20)\d\d)"
_MONTH_YEAR = r"([^\W\d]{3,10})\s+(?:de\s+)?((?:19|20)\d\d)"


def find_date(text: str, published: datetime | None) -> str | None:
    """The first date written out in the text (ISO, year-month if no day); a year-less one takes the year of
    publication, or of the year before if it would fall after publication."""
    folded = fold_in_place(text)
    names = lexicon.months()
    best: tuple[int, str] | None = None

    def offer(pos: int, year: int | None, month: int, day: int | None) -> None:
        nonlocal best
        if year is None:
            if published is None:
                return
            year = published.year
            if (month, day or 1) > (published.month, published.day):
                year -= 1
        try:
            value = date(year, month, day).isoformat() if day else f"{year:04d}-{month:02d}"
        except ValueError:
            return
        if best is None or pos < best[0]:
            best = (pos, value)

    for m in re.finditer(r"(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)", folded):
        offer(m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in re.finditer(rf"(?<![\w]){_DAY_MONTH}", folded):
        if m.group(2) in names:
            offer(m.start(), int(m.group(3)) if m.group(3) else None, names[m.group(2)], int(m.group(1)))
    for m in re.finditer(rf"(?<![\w]){_MONTH_DAY}", folded):
        if m.group(1) in names:
            offer(m.start(), int(m.group(3)), names[m.group(1)], int(m.group(2)))
    for m in re.finditer(rf"(?<![\w]){_MONTH_YEAR}", folded):
        if m.group(1) in names and (len(m.group(1)) > 3 or text[m.start()].isupper()):
            offer(m.start(), int(m.group(2)), names[m.group(1)], None)
    return best[1] if best else None


def extract_facts(title: str, text: str, lang: str | None, published: datetime | None = None) -> Facts:
    whole = f"{title}\n{text}"
    count = affected_count(title, text, lang)
    organisations, actors = find_organisations(whole)
    victims, regulators = find_victims(title, text, lang or "en")
    return Facts(
        affected=count.value if count else None,
        affected_text=count.text if count else None,
        data_types=find_data_types(whole),
        organisations=organisations,
        actors=actors,
        countries=find_countries(whole),
        date=find_date(whole, published),
        victims=victims,
        regulators=regulators,
    )


def find_victims(title: str, text: str, lang: str) -> tuple[list[str], list[str]]:
    """The victims named (as written) and the regulators' name words, read as the grouping reads them."""
    # signature.py reads numbers through this module, so its name table is imported when first needed.
    from bot.stories.signature import name_roles

    roles = name_roles(title, text, lang)
    return list(dict.fromkeys(v.text for v in roles.victims)), sorted(roles.regulators)
