"""Whether a capitalised word is a name: its shape, how well the word lists know it, German's capitalised nouns and
compounds, and a sentence's first word (bot.stories.signature reads an article's names with these)."""

from __future__ import annotations

import re

from bot.core.text import WORD, fold_in_place
from bot.stories import lexicon
from bot.stories.roles import role_cue_words
from bot.stories.words import zipf

OPENER_ZIPF = 3.0  # a sentence's first word the lists know less than this, before another capitalised one, is a name
HEADED_NAME_ZIPF = 4.5  # after a head noun, a German word this common is still a noun ("dem Dienstleister Daten")


def name_rarity(z: float) -> float:
    """How specific a name is: a town or company the lists know a little (Zipf <= 3.6) is fully specific,
    one in every day's news (FBI, Microsoft, China) barely."""
    return max(0.0, min(1.0, (5.6 - z) / 2.0))


def is_title_case(title: str) -> bool:
    long_words = [w for w in WORD.findall(title) if len(w) > 3]
    caps = [w for w in long_words if w[0].isupper()]
    return len(long_words) >= 4 and len(caps) / len(long_words) > 0.6


def shape(part: str) -> str:
    letters = [c for c in part if c.isalpha()]
    if not letters:
        return "none"
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return "acronym"
    if any(c.isupper() for c in part[1:]) and any(c.islower() for c in part):
        return "mixed"
    if any(c.isdigit() for c in part) and letters:
        return "mixed"
    if part[0].isupper():
        return "capital"
    return "lower"


def split_compound(word: str) -> tuple[str, str] | None:
    """A German word made of two everyday German words ("Fehlkonfiguration" -> fehl, konfiguration), or None.

    Both parts need four letters, so unknown names ("Haurus") are not cut into syllables that happen to be words.
    """
    low = word.lower()
    for i in range(4, len(low) - 3):
        left, right = low[:i], low[i:]
        lefts = [left] + ([left[:-1]] if left.endswith("s") else []) + ([left[:-2]] if left.endswith("en") else [])
        if zipf(right, "de") >= 3.0:
            for part in lefts:
                if len(part) >= 4 and zipf(part, "de") >= 3.0:
                    return part, right
    return None


def is_compound(word: str) -> bool:
    return split_compound(word) is not None


def german_name(part: str) -> bool:
    """German capitalises every noun: a capitalised word is a name only if no German noun explains it."""
    low = part.lower()
    z_de, z_en = zipf(low, "de"), zipf(low, "en")
    if 1.8 <= z_en <= z_de + 0.3:
        return True  # place and company names are known to the English lists too
    return z_de < 2.0 and z_en < 2.5 and not is_compound(part)


def headed_name(part: str) -> bool:
    """A capitalised German word right after a head noun ("Klinikgruppe Rabenau") is a name unless German uses it
    every day as a noun ("Hacker haben dem Dienstleister Daten gestohlen")."""
    return zipf(part.lower(), "de") < HEADED_NAME_ZIPF


def opens_a_name(part: str, following: str, lang: str, roles: dict[str, float]) -> bool:
    """Whether a sentence's first word, which may be capitalised only for opening it, begins a name: the word lists
    barely know it (a noun they know, "Leverancier Kliniknet", "Zorggroep Heuvelrand", may just open the sentence)
    and a capitalised word follows it directly ("Ashgrove College confirms ...") or a comma does ("Sendalia, otro
    intermediario de datos ..."). A role cue ("Hacktivists Lince di Ferro ...") never does."""
    before_name = following.startswith(" ") and following[1:2].isupper() and " " not in following[1:]
    if not (before_name or following.startswith(",")):
        return False
    low = part.lower()
    if lang == "de" or fold_in_place(part) in role_cue_words() or roles.get(fold_in_place(part), 1.0) < 1.0:
        return False  # German capitalises nouns anyway (its own rules above decide); outlets and agencies
    return max(zipf(low, lang), zipf(low, "en")) < OPENER_ZIPF


def before_acronym(parts: list[str]) -> bool:
    """ "Südwestfalen-IT", "Rheinland-AG": a word joined to an acronym after it names an organisation, unless it is
    the linking form of a noun ("Verwaltungs-IT")."""
    return (
        len(parts) == 2
        and shape(parts[1]) == "acronym"
        and len(parts[1]) <= 4
        and not parts[0].lower().endswith(("s", "ungs"))
    )


def unknown_compound(part: str) -> bool:
    """A capitalised German word no list knows but made of two everyday words: a brand ("Arbeitsblick") or a
    noun coined for the article ("Kennzeichenerfassungen"). Only weak evidence: it counts where another report
    is sure it is a name."""
    low = part.lower()
    return zipf(low, "de") < 2.0 and zipf(low, "en") < 2.5 and is_compound(part)


def entity_weight(part: str, shape: str, lang: str, role_tokens: dict[str, float]) -> float:
    key = fold_in_place(part)
    if not key.replace(".", "").replace("&", "").isalnum() or not re.search(r"[^\W\d]", key):
        z = 3.0  # "AT&T", "38C3": the word lists would split them
    else:
        z = max(zipf(part.lower(), lang), zipf(part.lower(), "en"))
    weight = name_rarity(z)
    if shape == "acronym" and len(key) <= 2:
        weight *= 0.5
    weight *= role_tokens.get(key, 1.0)
    if key in lexicon.months():
        return 0.0
    return weight
