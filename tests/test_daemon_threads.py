"""The default executor of `breachwatch run`: results come back, and nothing at exit waits for a stuck call."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.daemon_threads import DaemonThreads

REPO = Path(__file__).resolve().parents[1]


async def test_results_and_errors_come_back_through_the_loop() -> None:
    loop = asyncio.get_running_loop()
    executor = DaemonThreads(max_workers=2)
    results = await asyncio.gather(*(loop.run_in_executor(executor, pow, n, 2) for n in range(10)))
    assert results == [n * n for n in range(10)]
    with pytest.raises(ZeroDivisionError):
        await loop.run_in_executor(executor, divmod, 1, 0)


def test_a_call_that_never_returns_does_not_hold_up_exit() -> None:
    # A DNS lookup with no network blocks for seconds and cannot be interrupted; exit must not wait for it.
    code = (
        "import asyncio, time\n"
        "from bot.daemon_threads import DaemonThreads\n"
        "async def main():\n"
        "    loop = asyncio.get_running_loop()\n"
        "    loop.set_default_executor(DaemonThreads())\n"
        "    loop.run_in_executor(None, time.sleep, 60)\n"
        "    await asyncio.sleep(0.2)\n"
        "asyncio.run(main())\n"
        "print('done')\n"
    )
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30)
    elapsed = time.monotonic() - started
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stderr
    assert elapsed < 10, f"exit waited {elapsed:.1f}s for the stuck call"
