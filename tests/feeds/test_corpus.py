"""Every document in ../shared/feeds through the real fetch and parse path over loopback HTTP.

No crash, no hang, the entry count equal to the manifest's wherever it gives one, and every failure recorded
with a readable error. Documents with an HTTP status other than 200 (redirects, 404) are checked against what
that status means here, since their manifest count is that of the body alone.
"""

from __future__ import annotations

import asyncio
import collections
import time

import aiohttp
from aiohttp.test_utils import TestServer

from bot.feeds.fetch import FetchLimits
from bot.feeds.netguard import AddressGuard
from bot.feeds.poller import PollConfig, Poller
from bot.feeds.schedule import Policy
from bot.feeds.workers import ParsePool
from tests.conftest import require_shared
from tests.feeds.corpus import build_corpus_app, comment_headers, load_manifest

LIMITS = FetchLimits(max_bytes=10 * 1024 * 1024, total_timeout=20.0, connect_timeout=2.0)


async def test_shared_feed_corpus(http: aiohttp.ClientSession, guard: AddressGuard, process_parser: ParsePool) -> None:
    root = require_shared("feeds")
    docs = load_manifest(root)
    assert len(docs) >= 700
    server = TestServer(build_corpus_app(root), host="127.0.0.1")
    await server.start_server()
    config = PollConfig(policy=Policy(poll_interval=600, disable_after_days=3), limits=LIMITS)
    poller = Poller(None, http, process_parser, config, guard)  # type: ignore[arg-type]
    semaphore = asyncio.Semaphore(8)
    mismatches: list[str] = []
    failures: collections.Counter[str] = collections.Counter()
    matched = checked = 0
    started = time.monotonic()

    async def one(doc_file: str) -> tuple[str, object, object, object]:
        async with semaphore:
            return (doc_file, *await poller.fetch_and_parse(str(server.make_url("/" + doc_file))))

    try:
        results = await asyncio.wait_for(asyncio.gather(*(one(d.file) for d in docs)), timeout=240)
    finally:
        await server.close()
    elapsed = time.monotonic() - started
    by_file = {d.file: d for d in docs}
    for file, result, feed, parse_error in results:
        doc = by_file[file]
        status = (comment_headers((root / file).read_bytes()).get("status") or "200").strip()
        error = None
        if result.status == "error":  # type: ignore[attr-defined]
            error = (result.error_kind, result.error)  # type: ignore[attr-defined]
        elif parse_error is not None:
            error = (parse_error.kind, str(parse_error))  # type: ignore[attr-defined]
        if error is not None:
            failures[error[0]] += 1
            assert error[0] and error[1] and len(error[1]) > 5, f"{file}: unreadable error {error!r}"
        count = len(feed.entries) if feed is not None else 0  # type: ignore[attr-defined]
        if status in ("301", "302", "303", "307"):
            # Followed to the sibling target (1 entry) when the target exists; otherwise a readable 404.
            assert (error is None and count == 1) or (error is not None and error[0] in ("http_4xx", "bad_redirect")), (
                file
            )
            continue
        if status == "404":
            assert error is not None and error[0] == "http_4xx", file
            continue
        if doc.expected is not None:
            checked += 1
            if count == doc.expected:
                matched += 1
            else:
                mismatches.append(f"{file}: {count} entries, manifest says {doc.expected} ({error})")
    summary = (
        f"{len(docs)} files, {matched}/{checked} counts matched, failures by kind {dict(failures)}, {elapsed:.1f}s"
    )
    print(summary)
    assert not mismatches, summary + "\n" + "\n".join(mismatches[:30])
    assert elapsed < 120, summary
