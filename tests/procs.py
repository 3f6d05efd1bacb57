"""`breachwatch run` as separate processes for the scale and fault tests: start, watch the log, kill, stop.

Each process logs to a file (a pipe nobody drains would fill up and stall it), and gets a clean environment:
only what the test sets, never the developer's BREACHWATCH_* or DISCORD_TOKEN.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from tests.pg import PG_ADMIN_URL

REPO = Path(__file__).resolve().parents[1]


def product_env(workdir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREACHWATCH_") and k != "DISCORD_TOKEN"}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "BREACHWATCH_DATABASE_URL": database_url,
            "BREACHWATCH_ALLOW_PRIVATE_SOURCES": "true",
            "BREACHWATCH_HEALTH_PORT": "0",
            "BREACHWATCH_PARSE_WORKERS": "0",  # parse in a thread: no orphaned parser children after a SIGKILL
            "BREACHWATCH_SOURCES_FILE": str(workdir / "sources.toml"),
            "DISCORD_TOKEN": "",
        }
    )
    env.update(extra)
    return env


def write_sources(workdir: Path, urls: list[str]) -> Path:
    path = workdir / "sources.toml"
    path.write_text("".join(f'[[source]]\nurl = "{url}"\nlanguage = "en"\n\n' for url in urls))
    return path


class Proc:
    """One `python -m bot run ...` process with its log file."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log_path = log

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_log(self, pattern: str, timeout: float, count: int = 1) -> list[str]:
        """Until `pattern` (a regex) has matched `count` times in the log; returns the matches."""
        async with asyncio.timeout(timeout):
            while True:
                found = re.findall(pattern, self.log())
                if len(found) >= count:
                    return found
                if not self.alive:
                    raise AssertionError(
                        f"{self.name} exited ({self.proc.returncode}) before {pattern!r}:\n{self.log()}"
                    )
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        if self.alive:
            self.proc.kill()

    async def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it does not stop in time; returns the exit code."""
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                self.proc.kill()
        return await self.proc.wait()


async def start(name: str, workdir: Path, env: dict[str, str], *args: str) -> Proc:
    log = workdir / f"{name}.log"
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *args, cwd=workdir, env=env, stdout=out, stderr=out
        )
    return Proc(name, proc, log)


async def terminate_backends(url: str) -> int:
    """Kill every PostgreSQL connection the breachwatch processes hold on this test's schema (not the server)."""
    schema = url.rsplit("schema=", 1)[1]
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            f"breachwatch/{schema}",
        )
        return sum(1 for r in rows if r[0])
    finally:
        await admin.close()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str, every: float = 0.25) -> None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                if await check():
                    return
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None
