"""Text normalisation shared by the lexicon compiler and the matcher.

Both sides go through the same folding so that a term written "Überwachungskamera" in a lexicon finds
"UBERWACHUNGSKAMERAS" in a headline, and "8,6 Mio." in German finds "8.6 million" in English: numbers are rewritten
as their plain integer value, read with the decimal and grouping marks of the text's language.

The normalised text is a run of lower-case ASCII words separated by single spaces, with " | " between sentences and
a space at both ends, so a matcher can encode word boundaries as literal spaces in its patterns.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from bot.resources import config_path, load_toml

SENTENCE_MARK = "|"

_TRANSLATE = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ß": "ss",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "´": "'",
        "`": "'",
        "“": " ",
        "”": " ",
        "„": " ",
        "«": " ",
        "»": " ",
        "‹": " ",
        "›": " ",
        "–": " - ",
        "—": " - ",
        "―": " - ",
        "…": "... ",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u2007": " ",
    }
)

# A tag never spans two parts of a story (see _PART): it would swallow the separator and merge the parts.
_TAG = re.compile(r"<[^>\x07]{0,500}>")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# Magnitude words after a number, longest first so "mil millones" wins over "mil".
_MAGNITUDES: dict[str, float] = {
    "mil millones": 1e9,
    "mil milhoes": 1e9,
    "thousand": 1e3,
    "tausend": 1e3,
    "duizend": 1e3,
    "mille": 1e3,
    "mila": 1e3,
    "mil": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "millionen": 1e6,
    "millones": 1e6,
    "millon": 1e6,
    "milioni": 1e6,
    "milione": 1e6,
    "milhoes": 1e6,
    "milhao": 1e6,
    "miljoen": 1e6,
    "mio": 1e6,
    "mln": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "milliard": 1e9,
    "milliards": 1e9,
    "milliarde": 1e9,
    "milliarden": 1e9,
    "mrd": 1e9,
    "miliardi": 1e9,
    "miliardo": 1e9,
    "mld": 1e9,
    "bilhoes": 1e9,
    "bilhao": 1e9,
    "miljard": 1e9,
    # Abbreviations keep their dot so it is not read as the end of a sentence.
    "mio.": 1e6,
    "mrd.": 1e9,
    "mln.": 1e6,
    "mld.": 1e9,
}
# Short suffixes only count glued to the digits ("2.65m", "40k"), never after a space ("5 m" is five metres).
_GLUED = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9}

_MAG_ALT = "|".join(sorted((re.escape(m) for m in _MAGNITUDES), key=len, reverse=True))
# The look-behind comes after the first digit, not before it, so the regex engine can skip ahead to the next digit
# instead of trying the whole pattern at every character. Folded text is ASCII, so [0-9] is \d without the Unicode
# category lookup per character.
_NUMBER = re.compile(
    r"([0-9](?<![a-z0-9.,][0-9])(?:[0-9]{0,2}(?:(?:[.,']|\s(?=[0-9]{3}(?![0-9])))[0-9]{3})+(?:[.,][0-9]+)?"
    r"|[0-9]*(?:[.,][0-9]+)?))"
    r"(?:(k|mn|bn|m)|\s?(" + _MAG_ALT + r"))?"
    r"(?![a-z0-9])"
)

# Languages writing a decimal comma; English (and unknown) text is read with a decimal point.
_DECIMAL_COMMA = frozenset({"fr", "de", "es", "it", "pt", "nl"})

_DIGIT = re.compile(r"[0-9]")
# A sentence ends at . ! ? or ; before a space, except after a single letter that follows a dot ("U.S. border").
# (Look-behind after the first mark, as in _NUMBER, so the engine can skip to candidates.)
_SENTENCE_END = re.compile(r"[.!?;](?<!\.[a-z][.!?;])[.!?;]*(?=\s|$)")
# German writes ordinals with a dot ("des 1. Reviers", "am 3. Mai"): not the end of a sentence.
_ORDINAL = re.compile(r"(?<![0-9])([0-9]{1,2})\.(?=\s)")
_NON_WORD = re.compile(r"[^a-z0-9|]+")
# Between the parts of a story: an ASCII control character no feed text keeps after folding.
_PART = "\x07"
_MARK_SPACED = f" {SENTENCE_MARK} "
# Folded text is ASCII, and bytes.translate is several times faster than str.translate.
_KEEP_WORDS = bytes(
    i if chr(i).isascii() and (chr(i).isalnum() or chr(i) in f"{SENTENCE_MARK}{_PART}") else 32 for i in range(256)
)
# Folded runs of non-ASCII characters ("é", "’", "ß"): few distinct ones recur, so they are remembered.
_RUN_CACHE: dict[str, str] = {}
_RUN_CACHE_MAX = 20_000


def _fold_run(m: re.Match[str]) -> str:
    run = m.group()
    out = _RUN_CACHE.get(run)
    if out is None:
        out = unicodedata.normalize("NFKD", run.translate(_TRANSLATE)).encode("ascii", "ignore").decode("ascii")
        if len(_RUN_CACHE) >= _RUN_CACHE_MAX:
            _RUN_CACHE.clear()
        _RUN_CACHE[run] = out
    return out


# A run of letters: a word as far as look-alike folding is concerned.
_LETTERS = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _lookalikes() -> tuple[dict[int, str], re.Pattern[str]]:
    """config/confusables.toml as a translation table, and a pattern that finds any of its letters."""
    table: dict[str, str] = load_toml(config_path("confusables.toml"))["latin"]
    return {ord(k): v for k, v in table.items()}, re.compile("[" + re.escape("".join(table)) + "]")


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN ")


def fold_lookalikes(text: str) -> str:
    """Cyrillic and Greek letters that look Latin written as those Latin letters, in words that are otherwise
    Latin: "drоne" with a Cyrillic о is "drone", so a blocked or forced term cannot be dodged by a look-alike.
    Words of those scripts themselves (a letter with no Latin twin in them) are left as they are."""
    table, lookalike = _lookalikes()
    if lookalike.search(text) is None:
        return text

    def repl(m: re.Match[str]) -> str:
        word = m.group()
        if lookalike.search(word) is None:
            return word
        latin = word.translate(table)
        return latin if all(_is_latin(ch) for ch in latin) else word

    return _LETTERS.sub(repl, text)


def fold(text: str) -> str:
    """Lower-case, strip accents and markup, keep punctuation (sentences are split later)."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if not text.isascii():
        # Before case folding: an upper-case look-alike (Cyrillic Т) has a lower case that is not one (т).
        text = fold_lookalikes(text)
    text = text.casefold()
    if not text.isascii():
        # Only the non-ASCII runs are rewritten: the table and NFKD work character by character (canonical
        # reordering only moves combining marks, which are dropped), so folding runs alone gives the same text as
        # folding the whole, several times faster. Every character the table rewrites is non-ASCII.
        text = _NON_ASCII.sub(_fold_run, text)
    return text


def parse_number(digits: str, lang: str | None = None) -> float:
    """The value of a digit string written the way `lang` writes numbers ("1.234,5" in German is 1234.5)."""
    if not digits.isdigit():
        # Grouping by spaces may be any whitespace ("10\n000" where a feed wrapped a line).
        digits = "".join(digits.split()).replace("'", "")
    dots = digits.count(".")
    commas = digits.count(",")
    if not dots and not commas:
        return float(digits)
    parts = digits.replace(",", ".").split(".") if commas else digits.split(".")
    last_group = parts[-1]
    if dots and commas:
        # Both marks present: the last one is the decimal mark.
        return float(f"{''.join(parts[:-1])}.{last_group}")
    if dots + commas > 1:
        # The same mark several times can only be grouping ("1.234.567", "1,234,567").
        return float("".join(parts))
    if len(last_group) != 3:
        return float(f"{parts[0]}.{last_group}")
    # One mark followed by exactly three digits: grouping, unless the language uses that mark for decimals.
    decimal_mark = "," if lang in _DECIMAL_COMMA else "." if lang == "en" else None
    if decimal_mark == ("." if dots else ","):
        return float(f"{parts[0]}.{last_group}")
    return float("".join(parts))


def _render(value: float) -> str:
    if value == int(value):
        return str(int(value))
    whole, frac = f"{value:.3f}".rstrip("0").split(".")
    return f"{whole}d{frac}"


def canonical_numbers(folded: str, lang: str | None = None) -> str:
    """Rewrite every number (with its magnitude word) as its plain value: "19,2 millions" -> "19200000"."""
    if _DIGIT.search(folded) is None:
        return folded

    def repl(m: re.Match[str]) -> str:
        digits, glued, magnitude = m.groups()
        if glued is None and magnitude is None and len(digits) < 16 and digits.isdigit():
            # A plain integer (most numbers): what parse_number and _render would give, without the floats.
            return f" {int(digits)} "
        value = parse_number(digits, lang)
        if glued:
            value *= _GLUED[glued]
        elif magnitude:
            value *= _MAGNITUDES[magnitude]
        return f" {_render(value)} "

    return _NUMBER.sub(repl, folded)


def words(text: str, lang: str | None = None) -> str:
    """One sentence-free span (a title, a lexicon term) as space-separated words, without outer spaces."""
    text = canonical_numbers(fold(text), lang)
    return _NON_WORD.sub(" ", text.replace(SENTENCE_MARK, " ")).strip()


def _split_sentences(text: str, lang: str | None) -> str:
    text = fold(text)
    if lang == "de" and "." in text:
        text = _ORDINAL.sub(r"\1", text)
    text = canonical_numbers(text, lang)
    # translate + split/join is several times faster than a regex substitution per run of punctuation.
    return " ".join(
        _SENTENCE_END.sub(_MARK_SPACED, text).encode("ascii").translate(_KEEP_WORDS).decode("ascii").split()
    )


def sentences(text: str, lang: str | None = None) -> list[str]:
    """A running text as a list of normalised sentences (empty ones dropped)."""
    return [
        s for s in map(str.strip, _split_sentences(text.replace(SENTENCE_MARK, " "), lang).split(SENTENCE_MARK)) if s
    ]


def parts_text(parts: Sequence[str], lang: str | None = None) -> list[str]:
    """Several texts (title, summary, body) normalised in one pass, each as one string of words with sentence
    marks between sentences, maybe with empty sentences and outer spaces; one string per part."""
    joined = _PART.join(parts)
    if joined.count(_PART) != len(parts) - 1:
        joined = _PART.join(p.replace(_PART, " ") for p in parts)
    return _split_sentences(joined.replace(SENTENCE_MARK, " "), lang).split(_PART)


def parts_sentences(parts: Sequence[str], lang: str | None = None) -> list[list[str]]:
    """Several texts (title, summary, body) normalised in one pass: the sentences of each, in order."""
    return [[s for s in map(str.strip, chunk.split(SENTENCE_MARK)) if s] for chunk in parts_text(parts, lang)]


def tokens(text: str, lang: str | None = None) -> list[str]:
    return words(text, lang).split()
