"""Scale-out benchmark: 1, 2 and 4 `breachwatch run --role poller` processes over 2,000 loopback feeds on one
PostgreSQL (a fresh schema per round).

Each feed answers after a simulated network latency (default 100 ms), from a feed server in its own process so
it does not compete with the pollers' event loops. A round's cycle time runs from the first request the server
sees to the moment every source has a recorded fetch. Double fetches are requests beyond the first per feed within
the round (the poll interval is an hour, so any second request is a double). The baseline is the 1-poller round;
the JSON carries speed-ups against it. The machine's load average is printed, since the host may be shared.

Last line: one JSON object with pollers_1_s, pollers_2_s, pollers_4_s, double_fetches (and the details).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def serve(port_file: str, latency: float) -> None:
    """The feed server process: /f/{n} after `latency`, /stats the request counts."""
    from aiohttp import web

    from tests.feedserver import Item, rss

    hits: Counter[int] = Counter()
    first: list[float] = []

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        hits[n] += 1
        if not first:
            first.append(time.time())
        await asyncio.sleep(latency)
        item = Item(f"f{n}", f"Harbour board {n} publishes its annual report", "Figures.", f"https://b.example/{n}")
        return web.Response(body=rss([item]), content_type="application/rss+xml")

    async def stats(_: web.Request) -> web.Response:
        return web.json_response({"hits": {str(k): v for k, v in hits.items()}, "first": first[0] if first else None})

    async def reset(_: web.Request) -> web.Response:
        hits.clear()
        first.clear()
        return web.json_response({})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/f/{n}", feed)
        app.router.add_get("/stats", stats)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        await asyncio.to_thread(Path(port_file).write_text, str(runner.addresses[0][1]))
        await asyncio.Event().wait()

    asyncio.run(main())


async def _json(url: str, method: str = "GET") -> dict[str, object]:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.request(method, url) as resp:
        return dict(await resp.json())


async def one_round(pollers: int, feeds: int, base: str, workdir: Path, limit_s: float) -> tuple[float, int]:
    from sqlalchemy import func, select

    from storage.engine import create_engine
    from storage.models import Source
    from tests.pg import pg_schema
    from tests.procs import product_env, start, write_sources

    await _json(f"{base}/reset", "POST")
    write_sources(workdir, [f"{base}/f/{n}" for n in range(feeds)])
    async for url in pg_schema():
        env = product_env(
            workdir,
            url,
            BREACHWATCH_POLL_INTERVAL="3600",
            BREACHWATCH_POLL_TICK="1",
            BREACHWATCH_FETCH_CONCURRENCY="20",
            BREACHWATCH_PER_HOST_CONCURRENCY="20",
            BREACHWATCH_LOG_LEVEL="WARNING",
        )
        procs = [await start(f"p{pollers}-{i}", workdir, env, "--role", "poller") for i in range(pollers)]
        engine = create_engine(url)
        try:
            deadline = time.monotonic() + limit_s
            while True:
                async with engine.connect() as conn:
                    done = (
                        await conn.execute(
                            select(func.count()).select_from(Source).where(Source.last_fetch_at.is_not(None))
                        )
                    ).scalar_one()
                if done >= feeds:
                    finished = time.time()
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"round with {pollers} pollers: only {done}/{feeds} fetched in {limit_s}s")
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)  # a chance for a double fetch to show
            stats = await _json(f"{base}/stats")
        finally:
            for p in procs:
                p.proc.send_signal(signal.SIGTERM)
            for p in procs:
                await p.stop()
            await engine.dispose()
    hits = stats["hits"]
    assert isinstance(hits, dict)
    first = stats["first"]
    assert isinstance(first, float)
    doubles = sum(max(0, int(v) - 1) for v in hits.values()) + (feeds - len(hits))
    return finished - first, doubles


async def bench(args: argparse.Namespace) -> dict[str, object]:
    with TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        server = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", str(port_file), "--latency", str(args.latency)
        )
        try:
            for _ in range(100):
                if port_file.exists() and port_file.read_text():
                    break
                await asyncio.sleep(0.1)
            base = f"http://127.0.0.1:{port_file.read_text()}"
            result: dict[str, object] = {"feeds": args.feeds, "latency_s": args.latency}
            doubles = 0
            for n in (1, 2, 4):
                workdir = Path(tmp) / f"round{n}"
                workdir.mkdir()
                seconds, double = await one_round(n, args.feeds, base, workdir, args.timeout)
                print(f"{n} poller(s): cycle {seconds:.1f} s, double fetches {double}", flush=True)
                result[f"pollers_{n}_s"] = round(seconds, 2)
                doubles += double
            result["double_fetches"] = doubles
            one = float(result["pollers_1_s"])  # type: ignore[arg-type]
            result["speedup_2"] = round(one / float(result["pollers_2_s"]), 2)  # type: ignore[arg-type]
            result["speedup_4"] = round(one / float(result["pollers_4_s"]), 2)  # type: ignore[arg-type]
            result["loadavg_1m"] = round(os.getloadavg()[0], 2)
            result["cpus"] = os.cpu_count()
            return result
        finally:
            server.terminate()
            await server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each feed takes to answer")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a round may take")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes (20 feeds, 10 ms latency): checks the bench runs, measures nothing; without PostgreSQL on"
        " 127.0.0.1:5432 a clean skip, except under CI=true",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.latency)
        return
    if args.smoke:
        args.feeds, args.latency, args.timeout = 20, 0.01, 60.0
        from tests.pg import pg_available

        reason = pg_available()
        if reason is not None and os.environ.get("CI", "").lower() != "true":
            print(f"skipped: PostgreSQL not available: {reason}")
            print(json.dumps({"skipped": f"PostgreSQL not available: {reason}"}))
            return
    print(f"load average before: {os.getloadavg()} on {os.cpu_count()} cpus; run {uuid.uuid4().hex[:8]}", flush=True)
    result = asyncio.run(bench(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
