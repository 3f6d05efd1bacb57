"""`/healthz` and `/metrics` on a loopback port, for orchestrators and Prometheus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from storage import deliveries, stories
from storage.health import ping

log = logging.getLogger(__name__)

GatewayCheck = Callable[[], bool]


class HealthServer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        host: str,
        port: int,
        gateway_ready: GatewayCheck | None = None,
    ) -> None:
        self.sessions = sessions
        self.host = host
        self.port = port
        self.gateway_ready = gateway_ready
        self._runner: web.AppRunner | None = None
        self._lag_task: asyncio.Task[None] | None = None

    async def _db_ok(self) -> bool:
        try:
            async with asyncio.timeout(2), self.sessions() as session:
                await ping(session)
            return True
        except Exception as exc:
            log.warning("health: database not answering: %s", exc)
            return False

    async def healthz(self, _: web.Request) -> web.Response:
        checks = {"database": await self._db_ok()}
        if self.gateway_ready is not None:
            checks["gateway"] = self.gateway_ready()
        ok = all(checks.values())
        return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)

    async def metrics_view(self, _: web.Request) -> web.Response:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2), self.sessions() as session:
                for status, n in (await deliveries.counts_by_status(session)).items():
                    metrics.DELIVERIES.labels(status).set(n)
                metrics.SET_ASIDE.set(await stories.count_set_aside(session))
        body = generate_latest(metrics.REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _measure_lag(self) -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(1.0)
            metrics.LOOP_LAG.set(max(0.0, time.monotonic() - start - 1.0))

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.metrics_view)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self._lag_task = asyncio.create_task(self._measure_lag())
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = int(sockets[0].getsockname()[1]) if sockets else self.port
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, bound)
        return bound

    async def stop(self) -> None:
        if self._lag_task:
            self._lag_task.cancel()
        if self._runner:
            await self._runner.cleanup()
