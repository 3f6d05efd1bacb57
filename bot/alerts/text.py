"""Make feed text safe and short for Discord: no markdown injection, no mentions, cuts at a word or sentence."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")
# Headings, quotes and lists only take effect at the start of a line.
_LINE_START_MARKUP = re.compile(r"^(\s*)([#>-]|\d+\.)", re.MULTILINE)
# @everyone, @here, user, role and channel mentions, and slash-command mentions.
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#|/)([^>]*)>")
_ZWSP = "\u200b"
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")


def neutralise_mentions(text: str) -> str:
    """Break every mention so Discord renders it as text, whatever allowed_mentions says."""

    def repl(match: re.Match[str]) -> str:
        if match.group(1):
            return "@" + _ZWSP + match.group(1)
        return "<" + match.group(2)[0] + _ZWSP + match.group(2)[1:] + match.group(3) + ">"

    return _MENTION.sub(repl, text)


def escape_markdown(text: str) -> str:
    return _LINE_START_MARKUP.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", text))


def safe(text: str) -> str:
    """Feed text as Discord should show it: literal characters, pinging nobody."""
    return neutralise_mentions(escape_markdown(" ".join(text.split())))


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """At most `limit` characters, ending at a sentence end if one is near, else at a word boundary."""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    head = text[:room]
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if sentence_ends and sentence_ends[-1] >= room * 0.6:
        return head[: sentence_ends[-1]]
    space = head.rfind(" ")
    if space >= room * 0.5:
        head = head[:space]
    # Never leave a dangling escape backslash or half a mention.
    head = head.rstrip("\\ ")
    return head + ellipsis
