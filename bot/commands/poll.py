"""`breachwatch poll --once [--source URL ...] [--json]`: one polling cycle, reported per source.

It exits 0 whatever the feeds did; only misuse of the command is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any, TextIO

from bot import logs
from bot.core.clock import utcnow
from bot.feeds.job import sync_sources_file
from bot.feeds.poller import SourceOutcome
from bot.feeds.runner import feed_runtime
from bot.feeds.sources_file import SourcesFileError, validate_feed_url
from bot.settings import Settings, load_settings
from storage.sources import add_source


def format_outcome(outcome: SourceOutcome) -> str:
    http = str(outcome.http_status) if outcome.http_status is not None else "-"
    line = (
        f"{outcome.status:<12} {http:>3}  entries={outcome.entries:<4} new={outcome.new:<4} "
        f"{outcome.duration:6.2f}s  {outcome.url}"
    )
    if outcome.error_kind:
        line += f"\n{'':17}{outcome.error_kind}: {outcome.error}"
    return line


class _AboveTheBar:
    """A stream for log handlers while the bar is shown: each line is printed above the bar, not through it."""

    def write(self, text: str) -> None:
        from tqdm import tqdm

        if text.strip():
            tqdm.write(text.rstrip("\n"), file=sys.stderr)

    def flush(self) -> None:
        sys.stderr.flush()


class _Progress:
    """A tqdm bar on a terminal; nothing when output is piped or JSON."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self._redirected: list[logging.StreamHandler[Any]] = []

    def start(self, total: int) -> None:
        if self.enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="feed", file=sys.stderr, leave=False)
            # The handlers keep their formatter and secret-scrubbing filter; only where they write changes.
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
                    handler.setStream(_AboveTheBar())
                    self._redirected.append(handler)

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        for handler in self._redirected:
            handler.setStream(sys.stderr)
        self._redirected.clear()


async def _poll(settings: Settings, urls: list[str], as_json: bool, out: TextIO) -> list[SourceOutcome]:
    progress = _Progress(enabled=not as_json and sys.stderr.isatty())

    def on_outcome(outcome: SourceOutcome) -> None:
        progress.step()
        if as_json:
            out.write(json.dumps(outcome.as_json(), ensure_ascii=False) + "\n")
            out.flush()

    async with feed_runtime(settings) as runtime:
        assert runtime.sessions is not None
        try:
            await sync_sources_file(settings, runtime.sessions)
        except SourcesFileError as exc:
            print(f"breachwatch: warning: {exc}", file=sys.stderr)
        if urls:
            async with runtime.sessions.begin() as session:
                for url in urls:
                    await add_source(session, url, utcnow())
        try:
            outcomes = await runtime.poller.run_cycle(
                force=True, urls=urls or None, progress=on_outcome, on_claimed=progress.start
            )
        finally:
            progress.close()
    if not as_json:
        for outcome in sorted(outcomes, key=lambda o: o.url):
            print(format_outcome(outcome), file=out)
        failed = sum(o.status == "error" for o in outcomes)
        print(f"{len(outcomes)} feeds polled, {failed} failed, {sum(o.new for o in outcomes)} new entries", file=out)
    return outcomes


def _run(args: argparse.Namespace) -> int:
    if not args.once:
        print("breachwatch poll: only --once is supported here; `breachwatch run` polls continuously", file=sys.stderr)
        return 2
    urls: list[str] = []
    for url in args.source or []:
        try:
            urls.append(validate_feed_url(url))
        except ValueError as exc:
            print(f"breachwatch poll: {exc}", file=sys.stderr)
            return 2
    settings = load_settings()
    logs.configure("WARNING" if args.json else settings.log_level, settings.log_json)
    asyncio.run(_poll(settings, urls, args.json, sys.stdout))
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("poll", help="poll the feeds once and report each one")
    parser.add_argument("--once", action="store_true", help="run one cycle over every enabled source, then exit")
    parser.add_argument(
        "--source",
        action="append",
        metavar="URL",
        help="poll only this feed URL (added as an operator source); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per source per line")
    parser.set_defaults(func=_run)
