"""Fan one alert out to N subscribed channels through the loopback emulator with Discord's limits on.

Prints messages per second against the 50/s global ceiling, lost and duplicated messages and 429s served,
then one JSON object on the last line. Baseline in the same run: the same fan-out with our pacing off
(discord.py alone), on a smaller set of channels.

    .venv/bin/python bench/deliver.py [--channels 2000] [--baseline-channels 300] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.alerts.fanout import fan_out
from bot.alerts.worker import DeliveryWorker
from bot.core.clock import utcnow
from bot.discord_app.endpoints import apply_endpoints, reset_endpoints
from bot.discord_app.pacing import Pacer
from bot.services import Services, make_http_session
from bot.settings import Settings
from storage import subscriptions
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.subscriptions import SubscriptionFilters
from tests.botfixtures import TestBot
from tests.emulator.server import Emulator
from tests.factories import make_source, make_story


async def run(channels: int, paced: bool, workdir: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{workdir / f'deliver-{channels}-{paced}.db'}"
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    emu = Emulator()
    targets = [emu.state.add_channel(emu.guild, f"alerts-{i}") for i in range(channels)]
    await emu.start()
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    http = make_http_session(settings)
    services = Services(settings, engine, sessions, http, AsyncIOScheduler())
    pacer = Pacer(rate=48, burst=2) if paced else Pacer(rate=1e6, burst=10**6)
    bot = TestBot(services, sync_commands=False, guild_ready_timeout=0.05, pacer=pacer)
    apply_endpoints(bot, emu.api_base, emu.gateway_url)
    task = asyncio.create_task(bot.start(emu.token))
    await asyncio.wait_for(bot.wait_until_ready(), 30)
    async with sessions.begin() as s:
        for ch in targets:
            await subscriptions.subscribe(s, emu.guild.id, ch.id, SubscriptionFilters())
    async with sessions.begin() as s:
        source = await make_source(s)
        story = await make_story(s, source, title="Licence-plate images of travellers stolen from a contractor")
        await fan_out(s, story, utcnow())
    worker = DeliveryWorker(sessions, bot.sender, batch=5000)
    before = dict(emu.served_429)
    started = time.perf_counter()
    sent = 0
    while sent < channels and time.perf_counter() - started < channels:  # bounded: a second per channel
        stats = await worker.run_once()
        sent += stats.sent
        if sent < channels:
            await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    per_channel = Counter(int(m["channel_id"]) for ch in targets for m in emu.messages(ch))
    served = {k: v - before.get(k, 0) for k, v in emu.served_429.items()}
    await bot.close()
    await asyncio.gather(task, return_exceptions=True)
    await http.close()
    await emu.stop()
    await engine.dispose()
    reset_endpoints()
    return {
        "channels": channels,
        "seconds": round(elapsed, 2),
        "msgs_per_s": round(sum(per_channel.values()) / elapsed, 2),
        "lost": sum(1 for ch in targets if per_channel[ch.id] == 0),
        "duplicated": sum(n - 1 for n in per_channel.values() if n > 1),
        "route_429": served.get("route", 0),
        "global_429": served.get("global", 0),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--baseline-channels", type=int, default=300)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes (50 and 20 channels): checks the bench runs, measures nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        args.channels, args.baseline_channels = 50, 20
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        baseline = await run(args.baseline_channels, paced=False, workdir=Path(tmp))
        print(f"baseline (discord.py alone, {baseline['channels']} channels): {baseline}")
        ours = await run(args.channels, paced=True, workdir=Path(tmp))
        print(f"breachwatch pacing ({ours['channels']} channels): {ours}")
    result = {
        **ours,
        "ceiling_per_s": 50,
        "baseline_channels": baseline["channels"],
        "baseline_msgs_per_s": baseline["msgs_per_s"],
        "baseline_global_429": baseline["global_429"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
