"""Polling benchmark: N loopback feeds (default 1,000 x ~50 entries x ~100 KB).

Measures a cold cycle (everything fetched, parsed and stored) and a warm cycle (everything 304), wall and CPU
time (this process plus its parse workers), and peak RSS (the same processes, summed). As a baseline, in the
same run, a naive sequential `feedparser.parse(url)` loop over a 50-feed subset, against our cold cycle over
the same 50 feeds in a fresh database. The feed server runs in its own process so it does not compete for this
process's event loop. All feeds share one loopback host, so per-host concurrency is set to the overall limit.

Targets (2 cores): cold <= 30 s, warm <= 3 s, peak RSS <= 300 MB. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    import aiohttp

    from bot.feeds.poller import Poller
    from bot.feeds.workers import ParsePool

# Only the standard library at module level: parse workers start from a fork server that re-imports this
# script as their main module, and each would otherwise carry the whole bot in memory.

WORDS = [
    "police",
    "camera",
    "database",
    "breach",
    "exposed",
    "footage",
    "license",
    "plate",
    "reader",
    "vendor",
    "researchers",
    "found",
    "server",
    "open",
    "internet",
    "millions",
    "records",
    "location",
    "data",
    "spyware",
    "leak",
    "biometric",
    "face",
    "recognition",
    "agency",
    "contractor",
    "city",
    "council",
    "surveillance",
    "network",
    "vehicles",
    "tracked",
    "archive",
    "misconfigured",
    "cloud",
    "bucket",
    "security",
    "password",
]


def make_feed(i: int, entries: int, size: int) -> bytes:
    """A feed of about `size` bytes; text varies per feed so every article is distinct."""
    per = max(400, size // entries)
    now = datetime.now(UTC)
    items = []
    for j in range(entries):
        words = [WORDS[(i * 7 + j * 3 + k) % len(WORDS)] for k in range(per // 7)]
        paragraphs = " ".join(
            f"<p>{' '.join(words[k : k + 40])} <a href='/story/{i}/{j}/{k}'>more</a></p>"
            for k in range(0, len(words), 40)
        )
        body = paragraphs[: per - 350]
        when = format_datetime(now - timedelta(hours=j), usegmt=True)
        items.append(
            f"<item><title>Feed {i} story {j}: {' '.join(words[:8])}</title>"
            f"<link>https://outlet{i}.example/news/{j}?utm_source=rss</link><guid>urn:bench:{i}:{j}</guid>"
            f"<pubDate>{when}</pubDate><description><![CDATA[{body}]]></description></item>"
        )
    language = "" if i % 10 == 0 else "<language>en</language>"  # one feed in ten needs detection
    head = f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Bench {i}</title>{language}"
    return (head + "".join(items) + "</channel></rss>").encode()


def serve(feeds: int, entries: int, size: int, port_pipe: Any) -> None:
    from aiohttp import web

    bodies = [make_feed(i, entries, size) for i in range(feeds)]
    etags = ['"' + hashlib.sha1(b).hexdigest()[:16] + '"' for b in bodies]

    async def handler(request: web.Request) -> web.StreamResponse:
        i = int(request.match_info["i"])
        if request.headers.get("If-None-Match") == etags[i]:
            return web.Response(status=304, headers={"ETag": etags[i]})
        return web.Response(body=bodies[i], headers={"ETag": etags[i], "Content-Type": "application/rss+xml"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{i}", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port_pipe.send(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


class Sampler:
    """Peak RSS and CPU of this process plus its parse workers (not the feed server), sampled every 50 ms."""

    def __init__(self, exclude: set[int]) -> None:
        import psutil

        self.proc = psutil.Process()
        self.exclude = exclude
        self.peak = 0
        self.peak_main = 0
        self.cpu_by_pid: dict[int, float] = {}
        self._members: list[Any] | None = None
        self._samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _family(self) -> list[Any]:
        # Listing children scans every process on the machine: done every 10th sample (0.5 s), so the sampler
        # does not steal the event loop's time it is measuring. Workers live far longer than that.
        self._samples += 1
        members = self._members
        if members is None or self._samples % 10 == 0:
            children = self.proc.children(recursive=True)
            members = self._members = [self.proc] + [c for c in children if c.pid not in self.exclude]
        return members

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.05)

    def sample(self) -> None:
        total = 0
        for p in self._family():
            try:
                rss = p.memory_info().rss
                times = p.cpu_times()
            except Exception:  # the process ended between listing and reading
                continue
            # Remembered per pid: a worker recycled by the pool still counts with its last sample.
            self.cpu_by_pid[p.pid] = times.user + times.system
            total += rss
            if p.pid == self.proc.pid:
                self.peak_main = max(self.peak_main, rss)
        self.peak = max(self.peak, total)

    def cpu(self) -> float:
        self._members = None  # a fresh list of workers for an exact total
        self.sample()
        return sum(self.cpu_by_pid.values())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


async def make_poller(db: Path, urls: list[str], pool: ParsePool, http: aiohttp.ClientSession) -> Poller:
    from bot.feeds.netguard import AddressGuard, networks
    from bot.feeds.poller import PollConfig, Poller
    from bot.settings import load_settings
    from storage.engine import create_engine, session_factory
    from storage.migrate import upgrade
    from storage.sources import SourceSpec, sync_config_sources

    url = f"sqlite+aiosqlite:///{db}"
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        await sync_config_sources(session, [SourceSpec(u) for u in urls], datetime.now(UTC))
    settings = load_settings(database_url=url)
    config = PollConfig.from_settings(settings)
    config = PollConfig(
        policy=config.policy,
        limits=config.limits,
        concurrency=settings.fetch_concurrency,
        per_host=settings.fetch_concurrency,
        alert_max_age=config.alert_max_age,
        edit_interval=config.edit_interval,
        lease=config.lease,
    )
    guard = AddressGuard(allow=networks(["127.0.0.1/32"]))
    return Poller(sessions, http, pool, config, guard)


async def timed_cycle(poller: Poller, sampler: Sampler) -> tuple[float, float, list[Any]]:
    cpu0, t0 = sampler.cpu(), time.perf_counter()
    outcomes = await poller.run_cycle(force=True)
    return time.perf_counter() - t0, sampler.cpu() - cpu0, outcomes


def naive(urls: list[str]) -> float:
    import feedparser

    t0 = time.perf_counter()
    for url in urls:
        feedparser.parse(url)
    return time.perf_counter() - t0


async def run(args: argparse.Namespace, port: int, server_pid: int) -> dict[str, Any]:
    import aiohttp

    from bot.feeds.netguard import AddressGuard, make_connector, networks
    from bot.feeds.workers import ParsePool
    from bot.services import USER_AGENT
    from bot.settings import load_settings

    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(args.feeds)]
    subset = urls[:: max(1, len(urls) // 50)][:50]
    settings = load_settings()
    sampler = Sampler(exclude={server_pid})
    sampler.start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-poll-"))
    pool = ParsePool(settings.parse_workers, settings.parse_timeout, settings.parse_memory_mb)
    guard = AddressGuard(allow=networks(["127.0.0.1/32"]))
    http = aiohttp.ClientSession(connector=make_connector(guard, limit=settings.fetch_concurrency),
                                 headers={"User-Agent": USER_AGENT})  # fmt: skip
    try:
        # Warm the parse workers up (spawn + language model) outside every timing.
        await pool.parse(make_feed(0, 2, 2000), {}, urls[0])
        small = await make_poller(tmp / "subset.db", subset, pool, http)
        ours_50, _, _ = await timed_cycle(small, sampler)
        naive_50 = await asyncio.to_thread(naive, subset)
        poller = await make_poller(tmp / "bench.db", urls, pool, http)
        cold_s, cold_cpu, cold = await timed_cycle(poller, sampler)
        warm_s, warm_cpu, warm = await timed_cycle(poller, sampler)
    finally:
        await http.close()
        pool.close()
        sampler.stop()
    ok = sum(o.status == "ok" for o in cold)
    entries = sum(o.entries for o in cold)
    not_modified = sum(o.status == "not_modified" for o in warm)
    print(f"cold: {cold_s:.2f}s wall, {cold_cpu:.2f}s CPU, {ok}/{len(cold)} ok, {entries} entries stored")
    print(f"warm: {warm_s:.2f}s wall, {warm_cpu:.2f}s CPU, {not_modified}/{len(warm)} not modified")
    print(f"peak RSS: {sampler.peak / 2**20:.0f} MB (this process {sampler.peak_main / 2**20:.0f} MB + parse workers)")
    print(f"50-feed subset: naive sequential feedparser.parse(url) {naive_50:.2f}s, ours {ours_50:.2f}s "
          f"({naive_50 / ours_50:.1f}x)")  # fmt: skip
    print(f"load average during run: {os.getloadavg()}")
    return {
        "feeds": args.feeds,
        "cold_s": round(cold_s, 2),
        "cold_cpu_s": round(cold_cpu, 2),
        "warm_s": round(warm_s, 2),
        "warm_cpu_s": round(warm_cpu, 2),
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "peak_rss_main_mb": round(sampler.peak_main / 2**20, 1),
        "naive_s_50": round(naive_50, 2),
        "ours_s_50": round(ours_50, 2),
        "cold_ok": ok,
        "warm_not_modified": not_modified,
        "entries": entries,
        "parse_workers": settings.parse_workers,
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--size", type=int, default=100_000, help="approximate bytes per feed")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes (20 feeds x 5 entries x ~5 KB): checks the bench runs, measures nothing",
    )
    args = parser.parse_args()
    if args.smoke:
        args.feeds, args.entries, args.size = 20, 5, 5000
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}")
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    server = ctx.Process(target=serve, args=(args.feeds, args.entries, args.size, send), daemon=True)
    server.start()
    try:
        port = receive.recv()
        result = asyncio.run(run(args, port, server.pid or -1))
    finally:
        server.terminate()
        server.join(5)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
