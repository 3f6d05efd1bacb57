"""Feed HTML to clean plain text: markup removed safely, entities decoded, whitespace collapsed, boilerplate cut.

The result is plain text only; whatever renders it (Discord embeds, the console) still escapes it for its medium.
"""

from __future__ import annotations

import html
import re

import lxml.etree
import lxml.html

# Elements whose content is never prose a reader sees.
DROP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head"})
# Elements that separate words visually; text_content() would otherwise glue "end.</p><p>Start" together.
BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "section", "article", "header", "footer", "figure", "figcaption", "pre", "hr", "dd", "dt",
        "img",
    }
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u2028\u2029\ufeff]")
# Bidirectional formatting characters: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069) and the
# marks (U+200E, U+200F, U+061C). An override left open in a headline reverses how the rest of the message reads
# ("Trojan Source"); feed text never needs them, as each script already has its own direction.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_ENTITY = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# Trailing boilerplate, matched at the end of the text and cut repeatedly ("… Read more [...]").
_ARROW = r"\s*(?:»|›|→|\.\.\.|…)?"
_SIGNOFFS = [  # "The post X appeared first on Y." and its WordPress translations; may be long.
    r"The post .{1,300}? appeared first on .{1,200}?\.?",
    r"(?:Der|Die|Das) Beitrag .{1,300}? erschien zuerst auf .{1,200}?\.?",
    r"L[’']article .{1,300}? est apparu en premier sur .{1,200}?\.?",
]
_SIGNOFF_MARKERS = ("appeared first on", "erschien zuerst auf", "apparu en premier sur")
_LINKS = [  # short "read more" links in each language
    r"(?:Read|Continue reading|Keep reading|Read the full (?:story|article)|Read more)(?:\s+(?:at|on)\s+[^.]{1,60})?"
    + _ARROW,
    r"\(more…?\.{0,3}\)",
    r"Lire la suite(?:\s+de l[’']article)?" + _ARROW,
    r"(?:Weiterlesen|Mehr lesen|Mehr dazu|Zum Artikel)" + _ARROW,
    r"(?:Leer más|Seguir leyendo|Sigue leyendo)" + _ARROW,
    r"(?:Continua a leggere|Leggi tutto|Leggi di più)" + _ARROW,
    r"(?:Leia mais|Continue lendo|Ler mais)" + _ARROW,
    r"(?:Lees verder|Lees meer)" + _ARROW,
    r"\[\s*(?:\.\.\.|…|&hellip;)\s*\]",
    r"\[\s*(?:read more|more|continue)\s*\]",
]
_LEAD = r"(?:\s|[-–—|:])*(?:"
_SIGNOFF_RE = re.compile(_LEAD + "|".join(_SIGNOFFS) + r")\s*$", re.IGNORECASE | re.DOTALL)
_LINK_RE = re.compile(_LEAD + "|".join(_LINKS) + r")\s*$", re.IGNORECASE | re.DOTALL)
# Words one of the link patterns needs; a tail with none of them is left alone without running the regex.
_LINK_MARKERS = (
    "read", "more", "lire", "weiter", "mehr", "zum artikel", "leer", "segui", "sigue", "continua", "legg",
    "leia", "ler mais", "continue", "lees", "[",
)  # fmt: skip
# Only the end of a text is searched, which keeps long texts cheap.
_SIGNOFF_TAIL = 800
_LINK_TAIL = 120


def _markup_to_text(fragment: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        # Nothing parseable (e.g. only a comment): fall back to dropping anything tag-shaped.
        return re.sub(r"<[^>]*>", " ", fragment)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            # Comments and processing instructions carry no visible text.
            element.drop_tree() if element.getparent() is not None else None
            continue
        tag = element.tag.lower()
        if tag in DROP_TAGS and element.getparent() is not None:
            element.drop_tree()
        elif tag in BLOCK_TAGS:
            element.tail = " " + (element.tail or "")
            element.text = " " + (element.text or "")
    return str(root.text_content())


def _cut(text: str, pattern: re.Pattern[str], tail: int) -> str:
    head, end = text[:-tail], text[-tail:]
    return head + pattern.sub("", end).rstrip()


def strip_boilerplate(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        lowered_end = text[-_SIGNOFF_TAIL:].lower()
        if any(marker in lowered_end for marker in _SIGNOFF_MARKERS):
            text = _cut(text, _SIGNOFF_RE, _SIGNOFF_TAIL)
        lowered_end = text[-_LINK_TAIL:].lower()
        if any(marker in lowered_end for marker in _LINK_MARKERS):
            text = _cut(text, _LINK_RE, _LINK_TAIL)
    return text


def strip_bidi(text: str) -> str:
    """`text` without bidirectional formatting characters (see _BIDI)."""
    return _BIDI.sub("", text)


def clean_text(value: str | None, max_chars: int | None = None) -> str:
    """Plain text of a feed field, which may be HTML, escaped HTML or plain text."""
    if not value:
        return ""
    text = value
    if "<" in text:
        text = _markup_to_text(text)
    # Feeds often escape twice ("&amp;eacute;"); after markup removal any entity left is such a leftover.
    for _ in range(2):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    text = _CONTROL.sub("", text)
    text = strip_bidi(text)
    text = " ".join(text.split())
    text = strip_boilerplate(text)
    if max_chars is not None and len(text) > max_chars:
        cut = text[:max_chars].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
        text = cut.rstrip() + "…"
    return text
