"""/healthz tells a live database (and gateway) from a dead one; /metrics speaks Prometheus."""

from __future__ import annotations

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.health import HealthServer
from storage.engine import create_engine, session_factory


async def _get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_healthz_and_metrics(sessions: async_sessionmaker[AsyncSession]) -> None:
    gateway = {"up": False}
    server = HealthServer(sessions, "127.0.0.1", 0, gateway_ready=lambda: gateway["up"])
    port = await server.start()
    try:
        status, body = await _get(port, "/healthz")
        assert status == 503 and '"gateway": false' in body and '"database": true' in body
        gateway["up"] = True
        status, _ = await _get(port, "/healthz")
        assert status == 200
        metrics.ALERTS_SENT.inc()
        status, text = await _get(port, "/metrics")
        assert status == 200
        assert "breachwatch_alerts_sent_total" in text
        assert "breachwatch_event_loop_lag_seconds" in text
    finally:
        await server.stop()


async def test_healthz_fails_when_database_is_down() -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    server = HealthServer(session_factory(engine), "127.0.0.1", 0)
    port = await server.start()
    try:
        status, body = await _get(port, "/healthz")
        assert status == 503 and '"database": false' in body
    finally:
        await server.stop()
        await engine.dispose()
