"""Feed bytes to clean entries. Synchronous and self-contained so it can run in a worker process.

feedparser is only ever given bytes (wrapped in a file object: given a bare string or bytes it would try it as
a path or URL) together with the response headers, so the HTTP charset takes part in decoding. Its HTML
sanitiser is off because nothing here keeps HTML: every field is reduced to plain text by bot.core.text.

This is where an entry's text and language are decided, once: the stored article keeps both and nothing after
cleans or detects again.
"""

from __future__ import annotations

import calendar
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser

from bot.core.languages import decide_language, language_tag, supported_language
from bot.core.links import safe_url
from bot.core.text import html_to_text
from bot.feeds.identity import content_hash, entry_identity, entry_key
from bot.feeds.urls import canonical_url

EMPTY = "empty"
NOT_A_FEED = "not_a_feed"
PARSE = "parse"

MAX_ENTRIES = 1000
MAX_TITLE = 500
MAX_SUMMARY = 5000
MAX_CONTENT = 100_000
# Internal entities may expand to at most this many characters in total (billion laughs, quadratic blow-up).
MAX_ENTITY_EXPANSION = 4 * 1024 * 1024
PROLOG_SCAN = 256 * 1024

_ENTITY_DECL = re.compile(
    rb"<!ENTITY\s+(%\s+)?([^\s\"'>%;]+)\s+(?:\"([^\"]*)\"|'([^']*)'|(SYSTEM|PUBLIC)\b)", re.IGNORECASE
)
_ENTITY_REF = re.compile(rb"[&%]([A-Za-z_:][\w.:-]*);")
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)


class FeedParseError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[type[FeedParseError], tuple[str, str]]:
        # Raised in worker processes, so it must survive pickling with both arguments.
        return (type(self), (self.kind, str(self)))


@dataclass(frozen=True)
class ParsedEntry:
    entry_id: str
    entry_key: str
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    content: str | None
    language: str | None
    published_at: datetime | None
    content_hash: str
    # One of the seven (bot.core.languages); None only between a parse worker and decide_languages.
    analysis_language: str | None = None
    # The publisher's site as the entry names it (RSS <source url>, Atom <source><link>): aggregators such as
    # Google News link to themselves but say whose article it is.
    publisher_url: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    version: str
    language: str | None
    bozo: str | None
    entries: list[ParsedEntry] = field(default_factory=list)
    # Entry links refused (not http(s), or no usable host): the entries are kept without a link. The count and
    # the first few, for the log line the pool writes in the main process (workers have no logging set up).
    dropped_links: int = 0
    dropped_examples: tuple[str, ...] = ()


def _prolog(body: bytes) -> bytes:
    match = _FIRST_ELEMENT.search(body, 0, PROLOG_SCAN)
    return body[: match.start()] if match else body[:PROLOG_SCAN]


def check_entities(body: bytes, limit: int = MAX_ENTITY_EXPANSION) -> None:
    """Refuse documents whose internal entities would expand beyond `limit` characters, before any parser runs."""
    prolog = _prolog(body)
    if b"<!ENTITY" not in prolog.upper():
        return
    values: dict[bytes, bytes] = {}
    for match in _ENTITY_DECL.finditer(prolog):
        name = match.group(2)
        value = match.group(3) if match.group(3) is not None else match.group(4)
        values.setdefault(name, value if value is not None else b"")
    sizes: dict[bytes, int] = {}

    def expanded(name: bytes, stack: tuple[bytes, ...]) -> int:
        if name in sizes:
            return sizes[name]
        if name in stack:
            raise FeedParseError(PARSE, f"entity {name.decode(errors='replace')!r} refers to itself")
        value = values.get(name, b"")
        total = len(value)
        for ref in _ENTITY_REF.finditer(value):
            if ref.group(1) in values:
                total += expanded(ref.group(1), (*stack, name))
            if total > limit:
                break
        sizes[name] = min(total, limit + 1)
        return sizes[name]

    total = 0
    for ref in _ENTITY_REF.finditer(body):
        if ref.group(1) in values:
            total += expanded(ref.group(1), ())
            if total > limit:
                raise FeedParseError(PARSE, f"entity expansion beyond {limit // 1024} KB refused (XML bomb)")


def _timestamp(value: Any, now: datetime) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    # A date in the future is a feed's mistake; it must not keep an entry "new" for ever.
    if when.year < 1990 or when > now + timedelta(days=1):
        return None
    return when


def _http_url(value: Any) -> str | None:
    """The link as the feed wrote it when it is one a message may carry (bot.core.links), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value if safe_url(value) is not None else None


def _link(base: str, raw_link: str) -> str | None:
    try:
        return _http_url(urljoin(base, raw_link.strip()))
    except ValueError:  # "http://[oops" and the like: a link the entry cannot have
        return None


def _detail_language(entry: Mapping[str, Any]) -> str | None:
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if isinstance(detail, Mapping) and detail.get("language"):
            return str(detail["language"])
    return None


def _entry(raw: Any, base: str, feed_language: str | None, now: datetime) -> ParsedEntry:
    raw_link = raw.get("link")
    link = _link(base, raw_link) if isinstance(raw_link, str) and raw_link.strip() else None
    guid = raw.get("id") if isinstance(raw.get("id"), str) else None
    origin = raw.get("source")
    publisher = _http_url(origin.get("href") or origin.get("link")) if isinstance(origin, Mapping) else None
    title = html_to_text(raw.get("title"), MAX_TITLE)
    summary = html_to_text(raw.get("summary"), MAX_SUMMARY)
    contents = [c.get("value", "") for c in raw.get("content") or [] if isinstance(c, Mapping)]
    content = html_to_text(max(contents, key=len), MAX_CONTENT) if contents else ""
    if not summary and content:
        summary = html_to_text(content, MAX_SUMMARY)
    if content == summary:
        content = ""
    # dict.get skips FeedParserDict's deprecated updated->published key mapping (and its warning).
    published = _timestamp(dict.get(raw, "published_parsed"), now) or _timestamp(dict.get(raw, "updated_parsed"), now)
    identity = entry_identity(guid, link, title, published, summary)
    # What the entry or feed declares; decide_languages settles the rest (detection needs the model).
    language = language_tag(_detail_language(raw)) or language_tag(feed_language)
    return ParsedEntry(
        entry_id=identity,
        entry_key=entry_key(identity),
        url=link,
        canonical_url=canonical_url(link) if link else None,
        title=title,
        summary=summary,
        content=content or None,
        language=language,
        published_at=published,
        content_hash=content_hash(title, summary, content),
        analysis_language=supported_language(language),
        publisher_url=publisher,
    )


def decide_languages(feed: ParsedFeed, fallback: str | None) -> ParsedFeed:
    """Each entry's language and analysis language (bot.core.languages.decide_language), where the declared tags
    did not settle both. Run in the main process, so parse workers never load the detection model."""
    entries = []
    for e in feed.entries:
        if e.analysis_language is None:
            decided = decide_language(e.title, e.summary, (e.language,), fallback)
            e = replace(e, language=decided.language, analysis_language=decided.analysis)
        entries.append(e)
    return replace(feed, entries=entries)


def _base(headers: Mapping[str, str], base_url: str) -> str:
    """Relative links resolve against a safe absolute Content-Location, else the URL the feed came from."""
    location = headers.get("content-location", "")
    return (_http_url(urljoin(base_url, location)) if location else None) or base_url


def _no_entries_error(parsed: Any, body: bytes, headers: Mapping[str, str]) -> FeedParseError:
    content_type = headers.get("content-type", "").lower()
    if "html" in content_type or _HTML_SNIFF.search(body[:4096]):
        return FeedParseError(NOT_A_FEED, "an HTML page, not a feed")
    if not body.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<"):
        kind = content_type.split(";")[0].strip() or "unknown type"
        return FeedParseError(NOT_A_FEED, f"not XML ({kind}), so not a feed")
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        exc = parsed["bozo_exception"]
        return FeedParseError(PARSE, f"not a readable feed: {type(exc).__name__}: {exc}")
    return FeedParseError(NOT_A_FEED, "no RSS, Atom or RDF feed in the document")


def parse_document(
    body: bytes,
    headers: Mapping[str, str],
    base_url: str = "",
    fallback_language: str | None = None,
    now: datetime | None = None,
    detect: bool = True,
) -> ParsedFeed:
    """Parse one feed document. Raises FeedParseError (kind empty, not_a_feed or parse) when it yields nothing.

    With `detect` False, entries whose declared language is not one of the seven keep None as analysis language,
    for decide_languages to settle in the caller's process.
    """
    now = now or datetime.now(UTC)
    if not body.strip():
        raise FeedParseError(EMPTY, "empty response body")
    check_entities(body)
    http_headers = {k.lower(): v for k, v in headers.items()}
    base = _base(http_headers, base_url)
    if "content-location" in http_headers:
        # feedparser resolves against it itself (xml:base aware); without one we resolve links afterwards,
        # which saves it a urljoin per element.
        http_headers["content-location"] = base
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), response_headers=http_headers, sanitize_html=False, resolve_relative_uris=False
        )
    except MemoryError:
        raise FeedParseError(PARSE, "parser ran out of memory") from None
    except RecursionError:
        raise FeedParseError(PARSE, "document nested too deeply") from None
    except Exception as exc:
        raise FeedParseError(PARSE, f"parser failed: {type(exc).__name__}: {exc}") from None
    raw_entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if not raw_entries and not version:
        raise _no_entries_error(parsed, body, http_headers)
    feed = parsed.get("feed") or {}
    feed_language = feed.get("language") if isinstance(feed.get("language"), str) else None
    # Entries sharing an identity are all returned (the count is what the feed holds); storage keeps one.
    entries = [_entry(raw, base, feed_language, now) for raw in raw_entries[:MAX_ENTRIES]]
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    dropped = [
        raw["link"].strip()
        for raw, entry in zip(raw_entries, entries, strict=False)
        if entry.url is None and isinstance(raw.get("link"), str) and raw["link"].strip()
    ]
    result = ParsedFeed(
        title=html_to_text(feed.get("title"), MAX_TITLE),
        version=version,
        language=language_tag(feed_language) or language_tag(fallback_language),
        bozo=f"{type(bozo).__name__}: {bozo}" if bozo is not None else None,
        entries=entries,
        dropped_links=len(dropped),
        dropped_examples=tuple(link[:200] for link in dropped[:3]),
    )
    return decide_languages(result, fallback_language) if detect else result
