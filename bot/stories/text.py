"""Text clean-up shared by facts, signatures and summaries: HTML to plain text, sentences, words."""

from __future__ import annotations

import html
import re
import unicodedata

_TAG = re.compile(r"<[^>]{0,2000}>")
_BLOCK_TAG = re.compile(r"</?(p|br|div|li|ul|ol|h[1-6]|blockquote|tr|table|section|article)\b[^>]{0,2000}>", re.I)
_SCRIPT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.I | re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u202f\u2009\u2007]+")
_MARKDOWN = re.compile(r"[*_`~|>#]|\[|\]")

# Abbreviations whose full stop does not end a sentence (lower-case, without the stop).
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "nr",
        "art",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "inc",
        "corp",
        "ltd",
        "co",
        "jr",
        "sr",
        "gen",
        "gov",
        "sen",
        "rep",
        "m",
        "mme",
        "mlle",
        "me",
        "dr",
        "st",
        "env",
        "cf",
        "p.ex",
        "ca",
        "bzw",
        "evtl",
        "ggf",
        "inkl",
        "usw",
        "z.b",
        "d.h",
        "sog",
        "sr",
        "sra",
        "dra",
        "ecc",
        "sig",
        "dott",
        "ing",
        "sr.a",
        "dhr",
        "mevr",
        "nl",
        "jan",
        "feb",
        "febr",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "okt",
        "nov",
        "dec",
        "déc",
        "c.-b",
        "n.-b",
    ]
)

WORD = re.compile(r"[^\W_](?:[\w'’&.\-]*[^\W_])?", re.UNICODE)


def clean_text(value: str | None) -> str:
    """Plain text from feed or page text: tags dropped, entities decoded (twice, feeds double-escape), spaces folded."""
    if not value:
        return ""
    text = _SCRIPT.sub(" ", value)
    text = _BLOCK_TAG.sub("\n", text)
    text = _TAG.sub("", text)
    for _ in range(2):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = _TAG.sub("", decoded)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()


def strip_markdown(text: str) -> str:
    """Characters Discord would read as formatting, removed so feed text cannot style or quote anything."""
    return _SPACES.sub(" ", _MARKDOWN.sub("", text)).strip()


def _fold_char(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    if len(base) == 1:
        return base
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


def fold(value: str) -> str:
    """Lower-case without accents, one character for one, so offsets in the folded text hold in the original."""
    return "".join(_fold_char(ch) for ch in value).replace("’", "'")


def _ends_sentence(before: str) -> bool:
    match = re.search(r"(\S+)$", before)
    if not match:
        return False
    last = match.group(1).rstrip(".").lower().lstrip("(«\"'“")
    if last in _ABBREVIATIONS:
        return False
    # A single capital ("J. Smith") is an initial, not the end of a sentence.
    return not (len(last) == 1 and last.isalpha())


_BOUNDARY = re.compile(r"([.!?…][\"'»”)\]]*)\s+(?=[\"'«“(\[]?[A-ZÀ-ÖØ-Þ0-9¿¡])")


def split_sentences(text: str) -> list[str]:
    """Sentences of plain text; stops after abbreviations and initials do not split."""
    sentences: list[str] = []
    for paragraph in text.split("\n"):
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            head = paragraph[start : match.start(1) + 1]
            if head.endswith(".") and not _ends_sentence(head):
                continue
            sentences.append(paragraph[start : match.end(1)].strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return [s for s in sentences if s]


def words(text: str) -> list[str]:
    return WORD.findall(text)
