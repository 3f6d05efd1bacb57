"""Run `breachwatch run` as a separate process against loopback sources, as an operator would."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def env_for(tmp_path: Path, feed_url: str, **extra: str) -> dict[str, str]:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nurl = "{feed_url}"\nname = "Loopback News"\nlanguage = "en"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREACHWATCH_") and k != "DISCORD_TOKEN"}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "BREACHWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.db'}",
            "BREACHWATCH_SOURCES_FILE": str(sources),
            "BREACHWATCH_POLL_INTERVAL": "1",
            "BREACHWATCH_ALLOW_PRIVATE_SOURCES": "true",
            "BREACHWATCH_HEALTH_PORT": "0",
            "BREACHWATCH_PARSE_WORKERS": "0",
            # the int8 encoder's graph, built once for every run rather than in each test's fresh folder
            "BREACHWATCH_ENCODER_CACHE": str(REPO / ".cache" / "encoder"),
            "DISCORD_TOKEN": "",
        }
    )
    env.update(extra)
    return env


async def start_bot(env: dict[str, str], tmp_path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_until(stream: asyncio.StreamReader, needle: str, timeout: float) -> str:
    seen = ""
    async with asyncio.timeout(timeout):
        while needle not in seen:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"stream ended before {needle!r}:\n{seen}")
            seen += line.decode()
    return seen


async def stop_bot(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    assert proc.stderr is not None
    return (await proc.stderr.read()).decode()
