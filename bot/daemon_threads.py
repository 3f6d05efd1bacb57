"""The event loop's default executor for `breachwatch run`: every call on a daemon thread.

asyncio.run waits at exit for the default executor's threads, and so does the interpreter for a ThreadPoolExecutor's.
A DNS lookup (aiohttp resolves in the default executor) cannot be interrupted and, with no network, blocks for
seconds: a shutdown that is otherwise finished in milliseconds then waited for it. Daemon threads are not waited for.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any


class DaemonThreads(concurrent.futures.ThreadPoolExecutor):
    """A ThreadPoolExecutor in type only (asyncio requires one); its own pool of threads is never started."""

    def __init__(self, max_workers: int = 32) -> None:
        super().__init__(max_workers=1)
        self._slots = threading.BoundedSemaphore(max_workers)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            with self._slots:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)

        threading.Thread(target=run, name="breachwatch-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: calls still running are abandoned with the process."""
