"""Parsing bytes: entries cleaned, failures classified, bombs and XXE refused, workers bounded."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.parse import (
    EMPTY,
    NOT_A_FEED,
    PARSE,
    FeedParseError,
    check_entities,
    decide_languages,
    parse_document,
)
from bot.feeds.workers import ParsePool
from tests.feedserver import Item, rss, sample_items

BASE = "https://news.example/feed.xml"


def test_entries_cleaned_and_identified() -> None:
    feed = parse_document(rss(sample_items(2)), {"Content-Type": "application/rss+xml"}, BASE)
    assert feed.version == "rss20" and feed.language == "en" and len(feed.entries) == 2
    entry = feed.entries[0]
    assert entry.entry_id == "a-0"
    assert entry.canonical_url == "https://news.example/a/0"
    assert entry.url == "https://news.example/a/0?utm_source=rss&utm_medium=feed"
    assert entry.summary == "Researchers found footage store 0 open to anyone."
    assert entry.language == "en" and entry.published_at is not None


def test_relative_links_resolve_against_feed_url() -> None:
    body = b'<rss version="2.0"><channel><item><title>T</title><link>/story/1</link></item></channel></rss>'
    entry = parse_document(body, {}, BASE).entries[0]
    assert entry.url == "https://news.example/story/1" and entry.entry_id == entry.url


def test_future_dates_dropped_and_unsafe_links_ignored() -> None:
    future = datetime.now(UTC) + timedelta(days=30)
    items = [Item(guid="g", title="T", link="javascript:alert(1)", published=future)]
    entry = parse_document(rss(items), {}, BASE).entries[0]
    assert entry.published_at is None and entry.url is None and entry.canonical_url is None


def test_language_detected_when_undeclared() -> None:
    items = [Item(guid="g", title="Datenleck bei der Polizei: Kennzeichenerfassung offen im Netz", summary="")]
    assert parse_document(rss(items, language=None), {}, BASE).entries[0].language == "de"


def test_text_and_both_languages_are_decided_at_parse() -> None:
    items = [
        Item(guid="a", title="Datenleck bei der Polizei: Kennzeichenerfassung offen im Netz", summary=""),
        # Escaped twice: the markup that decodes out of it is not kept either.
        Item(guid="b", title="Scans &amp;lt;b&amp;gt;exposed&amp;lt;/b&amp;gt;", summary=""),
    ]
    feed = parse_document(rss(items, language=None), {}, BASE, fallback_language="nl")
    german, escaped = feed.entries
    assert (german.language, german.analysis_language) == ("de", "de")
    assert escaped.title == "Scans exposed"
    # Too short to detect: the source's language is shown and analysed.
    assert (escaped.language, escaped.analysis_language) == ("nl", "nl")
    # A declared language beyond the seven is kept; the text is analysed as the nearest of the seven.
    polish = [Item(guid="c", title="Immagini delle targhe rubate a un fornitore della polizia", summary="")]
    entry = parse_document(rss(polish, language="pl"), {}, BASE).entries[0]
    assert (entry.language, entry.analysis_language) == ("pl", "it")


def test_a_parse_worker_leaves_detection_to_decide_languages() -> None:
    items = [
        Item(guid="a", title="Datenleck bei der Polizei: Kennzeichenerfassung offen im Netz", summary=""),
        Item(guid="b", title="Camera footage of the police leaked online, the city confirmed", summary=""),
    ]
    body = rss(items, language=None)
    in_worker = parse_document(body, {}, BASE, detect=False)
    assert [e.analysis_language for e in in_worker.entries] == [None, None]
    assert decide_languages(in_worker, None) == parse_document(body, {}, BASE)


def test_bozo_feed_with_entries_is_fine() -> None:
    body = rss(sample_items(2)).replace(b"</channel></rss>", b"<unclosed></channel>")
    feed = parse_document(body, {}, BASE)
    assert len(feed.entries) == 2 and feed.bozo


@pytest.mark.parametrize(
    ("body", "headers", "kind"),
    [
        (b"", {}, EMPTY),
        (b"   \n ", {}, EMPTY),
        (b"<!DOCTYPE html><html><body>hi</body></html>", {"content-type": "text/html"}, NOT_A_FEED),
        (b"<html><body><p>no type given</p></body></html>", {}, NOT_A_FEED),
        (b'{"json": "not a feed"}', {"content-type": "application/json"}, NOT_A_FEED),
        (b"<?xml version='1.0'?><foo><bar></foo>", {}, PARSE),
    ],
)
def test_failures_classified(body: bytes, headers: dict[str, str], kind: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_document(body, headers, BASE)
    assert info.value.kind == kind and str(info.value)


def test_empty_channel_is_a_feed_with_no_entries() -> None:
    feed = parse_document(rss([]), {}, BASE)
    assert feed.entries == [] and feed.version == "rss20"


def _bomb(levels: int) -> bytes:
    decls = ['<!ENTITY e0 "lollollollollollollollollollol">']
    decls += [f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    doctype = "<!DOCTYPE rss [" + "".join(decls) + "]>"
    return (
        doctype + f'<rss version="2.0"><channel><item><title>&e{levels - 1};</title></item></channel></rss>'
    ).encode()


def test_billion_laughs_refused_before_parsing() -> None:
    with pytest.raises(FeedParseError) as info:
        check_entities(_bomb(9))
    assert info.value.kind == PARSE and "entity expansion" in str(info.value)
    check_entities(_bomb(2))  # small, harmless expansion passes


def test_quadratic_blowup_refused() -> None:
    big = "x" * 50_000
    body = f'<!DOCTYPE rss [<!ENTITY big "{big}">]><rss version="2.0"><channel>'.encode()
    body += b"<item><title>&big;</title></item>" * 200 + b"</channel></rss>"
    with pytest.raises(FeedParseError, match="entity expansion"):
        parse_document(body, {}, BASE)


def test_recursive_entities_refused() -> None:
    body = b'<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]>'
    body += b'<rss version="2.0"><channel><title>&a;</title></channel></rss>'
    with pytest.raises(FeedParseError, match="refers to itself"):
        parse_document(body, {}, BASE)


def test_external_entities_never_resolved(tmp_path: object) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
        b'<rss version="2.0"><channel><item><title>x&secret;y</title><guid>g</guid></item></channel></rss>'
    )
    try:
        feed = parse_document(body, {}, BASE)
    except FeedParseError as exc:
        assert exc.kind in (PARSE, NOT_A_FEED)
        return
    with open("/etc/hostname", encoding="utf-8") as fh:
        secret = fh.read().strip()
    assert all(secret not in (e.title + e.summary) for e in feed.entries)


def test_bytes_that_look_like_a_path_are_not_opened() -> None:
    # feedparser given a bare str/bytes would try it as a file name; we always hand it a file object.
    with pytest.raises(FeedParseError):
        parse_document(b"/etc/hostname", {}, BASE)


async def test_thread_pool_parses(thread_parser: ParsePool) -> None:
    feed = await thread_parser.parse(rss(sample_items(5)), {}, BASE)
    assert len(feed.entries) == 5


async def test_process_pool_parses_and_reports_errors(process_parser: ParsePool) -> None:
    feeds = await asyncio.gather(*(process_parser.parse(rss(sample_items(n + 1)), {}, BASE) for n in range(6)))
    assert [len(f.entries) for f in feeds] == [1, 2, 3, 4, 5, 6]
    with pytest.raises(FeedParseError) as info:
        await process_parser.parse(b"<html><body>x</body></html>", {"content-type": "text/html"}, BASE)
    assert info.value.kind == NOT_A_FEED  # the kind survives the trip back from the worker


async def test_process_pool_stops_a_runaway_parse(process_parser: ParsePool) -> None:
    # A huge flat document of tiny entries: far more than 0.5 s of parsing on any machine.
    body = b'<rss version="2.0"><channel>' + b"<item><title>t</title></item>" * 300_000 + b"</channel></rss>"
    with pytest.raises(FeedParseError, match=r"longer than 0\.5s"):
        await process_parser.parse(body, {}, BASE, time_limit=0.5)
    # The killed worker was replaced: the pool still works, for every worker.
    feeds = await asyncio.gather(*(process_parser.parse(rss(sample_items(1)), {}, BASE) for _ in range(4)))
    assert all(len(f.entries) == 1 for f in feeds)


async def test_a_worker_killed_while_idle_does_not_stop_parsing(process_parser: ParsePool) -> None:
    """pebble gives a whole pool up when a worker dies holding no job (the kernel's OOM killer, an operator's kill,
    a worker dying on its next allocation after a job's MemoryError): without a new pool every later feed would fail
    until the bot restarted."""
    assert len((await process_parser.parse(rss(sample_items(1)), {}, BASE)).entries) == 1
    workers = process_parser._pool._pool_manager.worker_manager.workers  # type: ignore[union-attr]  # pebble's own
    for pid in list(workers):
        os.kill(pid, signal.SIGKILL)
    deadline = asyncio.get_running_loop().time() + 10
    while process_parser._pool is not None and process_parser._pool.active:  # pebble notices within a moment
        assert asyncio.get_running_loop().time() < deadline, "pebble never noticed the killed worker"
        await asyncio.sleep(0.05)
    feeds = await asyncio.gather(*(process_parser.parse(rss(sample_items(2)), {}, BASE) for _ in range(3)))
    assert [len(f.entries) for f in feeds] == [2, 2, 2]
    assert process_parser.renewals == 1


@pytest.mark.faults
async def test_process_pool_memory_limit() -> None:
    with ParsePool(workers=1, timeout=120, memory_mb=150) as pool:
        # Within the byte limit but enormous once parsed into Python objects.
        body = b'<rss version="2.0"><channel>' + b"<item><title>t</title></item>" * 300_000 + b"</channel></rss>"
        with pytest.raises(FeedParseError) as info:
            await pool.parse(body, {}, BASE)
        assert info.value.kind == PARSE and "memory" in str(info.value)
        assert len((await pool.parse(rss(sample_items(1)), {}, BASE)).entries) == 1  # a fresh worker took over


async def test_links_other_than_http_are_dropped_with_a_log_line(
    thread_parser: ParsePool, caplog: pytest.LogCaptureFixture
) -> None:
    items = [
        Item(guid="js", title="Script link", link="javascript:alert(1)"),
        Item(guid="data", title="Data link", link="data:text/html,<b>x</b>"),
        Item(guid="host", title="Markdown in the host", link="https://evil.example)[x](y/"),
        Item(guid="ok", title="Plain link", link="https://news.example/a/1"),
    ]
    with caplog.at_level("INFO", logger="bot.feeds.workers"):
        feed = await thread_parser.parse(rss(items), {}, BASE)
    assert [e.title for e in feed.entries] == ["Script link", "Data link", "Markdown in the host", "Plain link"]
    assert [e.url for e in feed.entries] == [None, None, None, "https://news.example/a/1"]
    assert feed.dropped_links == 3
    [line] = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert BASE in line and "3 entry link(s)" in line and "javascript:alert(1)" in line


def test_bidirectional_controls_removed_from_feed_text() -> None:
    # An override left open reverses the rest of the line in the reader's client ("Trojan Source").
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    items = [Item(guid="g", title=f"Camera\u202e images{bidi} leaked", summary="Footage \u2067exposed\u2069 online.")]
    feed = parse_document(rss(items, title="Wire\u202e news"), {}, BASE)
    entry = feed.entries[0]
    assert entry.title == "Camera images leaked"
    assert entry.summary == "Footage exposed online."
    assert feed.title == "Wire news"
