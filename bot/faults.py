"""Whose fault a failure is: the environment's (a full disk, a locked or unreachable database, a lost connection, the
network) or the work's own. The processing step pauses for the first and counts only the second against an article
(bot.process)."""

from __future__ import annotations

import errno
import sqlite3

import aiohttp
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import exc as sa_exc

DISK, DATABASE, NETWORK = "disk", "database", "network"

# SQLite primary result codes that report the environment, not the statement: BUSY, LOCKED, NOMEM, READONLY,
# IOERR, FULL, CANTOPEN, PROTOCOL.
_SQLITE_CODES = {5: DATABASE, 6: DATABASE, 7: DATABASE, 8: DISK, 10: DISK, 13: DISK, 14: DISK, 15: DATABASE}
# PostgreSQL SQLSTATEs (or their classes) that do the same: connection exceptions, insufficient resources (53100 is
# disk full), operator intervention (a terminated backend, a shutdown), system errors, and the transient conflicts
# a retry resolves (serialization failure, deadlock, lock not available, read-only standby).
_PG_STATES = {"40001": DATABASE, "40P01": DATABASE, "55P03": DATABASE, "25006": DATABASE, "53100": DISK}
_PG_CLASSES = {"08": DATABASE, "53": DATABASE, "57": DATABASE, "58": DISK}
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS}


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, the DBAPI error SQLAlchemy wrapped, and everything it was raised from or while handling."""
    chain: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is seen for seen in chain) or len(chain) > 20:
            continue
        chain.append(current)
        orig = getattr(current, "orig", None)
        todo.extend([current.__cause__, current.__context__, orig if isinstance(orig, BaseException) else None])
    return chain


def environment_fault(exc: BaseException) -> str | None:
    """DISK, DATABASE or NETWORK when `exc` says the environment failed (every article would fail alike), None when
    it is the article's own processing that failed."""
    for cause in _causes(exc):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in _SQLITE_CODES:
                return _SQLITE_CODES[code & 0xFF]
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state:
            found = _PG_STATES.get(state) or _PG_CLASSES.get(state[:2])
            if found:
                return found
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return DATABASE
        if isinstance(cause, sa_exc.DisconnectionError | sa_exc.TimeoutError | asyncpg.InterfaceError):
            return DATABASE  # a dropped connection, an exhausted pool, an operation on a closed connection
        if isinstance(cause, OSError) and cause.errno in _DISK_ERRNOS:
            return DISK
        if isinstance(cause, ConnectionError | TimeoutError | aiohttp.ClientConnectionError):
            return NETWORK
    # Last, so that a wrapped disk-full or locked error above is named as such: SQLAlchemy's OperationalError is
    # "the database's operation failed" (SQLite's locked and full, a PostgreSQL connection gone), never bad data.
    if any(isinstance(cause, sa_exc.OperationalError) for cause in _causes(exc)):
        return DATABASE
    return None
