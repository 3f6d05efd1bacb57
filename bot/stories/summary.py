"""Story summaries: one to three whole sentences, at most 350 characters, that carry the breach facts.

Sentences come from the best text available (an article page's main text when the feed gave a teaser), never
cut, never boilerplate, never HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import trafilatura

from bot.core.text import split_sentences, strip_bidi, strip_markdown, tidy_text
from bot.stories import lexicon
from bot.stories.facts import find_counts, find_data_types

MAX_CHARS = 350
MAX_SENTENCES = 3
TEASER_CHARS = 200
_TERMINAL = re.compile(r"[.!?…][\"'»”)]*$")
_TRUNCATED = re.compile(r"(\.\.\.|…|\[\s*(?:…|\.\.\.)?\s*\])\s*$")
_URL = re.compile(r"https?://|www\.", re.I)
_BREACH = re.compile(
    r"(?i)\b(breach|leak|hack|stole|stolen|expos|compromis|intrusion|fuite|piratage|piraté|vol[ée]?s?\b|"
    r"dérob|datenleck|leck|gehackt|hacker|angriff|gestohlen|abgeflossen|filtraci|hacke|robad|expuest|"
    r"violat|furto|rubat|sottratt|vazament|vazad|invadid|roubad|datalek|gelekt|gehackt|gestolen|lek)"
)


@dataclass(frozen=True)
class SourceText:
    title: str
    text: str
    language: str | None


def is_teaser(summary: str) -> bool:
    """Whether the feed's text (as stored, clean) is too short or visibly cut to summarise from."""
    return len(summary) < TEASER_CHARS or bool(_TRUNCATED.search(summary))


def extract_main_text(page: bytes, url: str | None = None) -> str:
    """The article body of an HTML page, as plain text paragraphs ("" when none is found)."""
    if not page:
        return ""
    text = trafilatura.extract(
        page.decode("utf-8", errors="replace") if isinstance(page, bytes) else page,
        url=url,
        include_comments=False,
        include_tables=False,
        include_links=False,
        include_images=False,
        favor_precision=True,
        deduplicate=True,
    )
    # A page is feed text too: the same bidirectional controls are removed as from the feed's own fields.
    return tidy_text(strip_bidi(text or ""))


def clean_sentences(text: str) -> list[str]:
    """Whole, plain sentences from clean text (as an article stores it), without feed and page furniture."""
    boiler = lexicon.boilerplate()
    kept: list[str] = []
    for sentence in split_sentences(text):
        sentence = strip_markdown(sentence)
        if len(sentence) < 25 or len(sentence) > MAX_CHARS:
            continue
        if not _TERMINAL.search(sentence) or _TRUNCATED.search(sentence):
            continue  # cut off by the feed
        if _URL.search(sentence) or boiler.search(sentence) or "@" in sentence:
            continue
        if sum(c.isupper() for c in sentence) > 0.5 * sum(c.isalpha() for c in sentence):
            continue
        kept.append(sentence)
    return kept


def _fact_weight(sentence: str, lang: str | None) -> float:
    weight = 0.0
    if any(c.counts_something for c in find_counts(sentence, lang)):
        weight += 2.0
    weight += min(len(find_data_types(sentence)), 2) * 1.0
    if _BREACH.search(sentence):
        weight += 1.5
    if re.search(r"\b[A-Z][\w&-]+", sentence[1:]):
        weight += 0.5  # names an organisation, place or person
    return weight


def _compose(sentences: list[str], lang: str | None) -> tuple[float, str]:
    chosen: list[str] = []
    total = 0.0
    for index, sentence in enumerate(sentences[: MAX_SENTENCES + 2]):
        candidate = " ".join([*chosen, sentence])
        if len(candidate) > MAX_CHARS:
            continue
        chosen.append(sentence)
        total += _fact_weight(sentence, lang) + (0.5 if index == 0 else 0.0)
        if len(chosen) == MAX_SENTENCES:
            break
    return total, " ".join(chosen)


def choose_summary(sources: Sequence[SourceText], language: str | None) -> str:
    """The best summary any source offers, preferring the story's language; "" when none has a whole sentence."""
    best: tuple[float, str] = (-1.0, "")
    for source in sources:
        sentences = clean_sentences(source.text)
        if not sentences:
            continue
        score, text = _compose(sentences, source.language)
        if not text:
            continue
        if language and source.language and source.language != language:
            score -= 100.0  # another language only when the story's own has nothing
        if score > best[0]:
            best = (score, text)
    return best[1]
