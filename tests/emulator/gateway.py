"""The gateway half: HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME with replay, and
faults a test can inject (RECONNECT, INVALID_SESSION, close codes). Frames are JSON text, or one
zlib stream per connection (Z_SYNC_FLUSH per frame) when the URL asks for `compress=zlib-stream`.

Every connection has a writer task fed by a queue, so dispatching is synchronous for callers and frames
leave in sequence order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads as p
from .payloads import Json

if TYPE_CHECKING:
    from .server import Emulator

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 7, 9, 10, 11
KNOWN_SEND_OPS = {1, 2, 3, 4, 6, 8, 31}
_CLOSE = object()


@dataclass
class Session:
    id: str
    shard: tuple[int, int] | None
    intents: int
    seq: int = 0
    buffer: deque[Json] = field(default_factory=lambda: deque(maxlen=2000))
    conn: Connection | None = None

    def wants(self, guild_id: int | None) -> bool:
        if guild_id is None or self.shard is None:
            return True
        return (guild_id >> 22) % self.shard[1] == self.shard[0]


class Connection:
    def __init__(self, ws: web.WebSocketResponse, zlib_stream: bool, path: str) -> None:
        self.ws = ws
        self.path = path
        self.compressor = zlib.compressobj() if zlib_stream else None
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.session: Session | None = None
        self.writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, frame: Json) -> None:
        self.queue.put_nowait(frame)

    def close(self, code: int) -> None:
        self.queue.put_nowait((_CLOSE, code))

    async def _write(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, tuple) and item[0] is _CLOSE:
                await self.ws.close(code=item[1])
                return
            if self.ws.closed:
                return
            text = json.dumps(item)
            try:
                if self.compressor is not None:
                    data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except ConnectionError:
                return


class Gateway:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        # (event, detail) in order: "connect", "identify", "resume", "invalid_session", "closed"...
        self.events: list[tuple[str, Any]] = []

    def _event(self, kind: str, detail: Any) -> None:
        self.events.append((kind, detail))
        self.emu.state.changes.notify()

    # -- dispatching ---------------------------------------------------------------------------------

    def dispatch(self, event: str, data: Json, *, guild_id: int | None = None, intent: int | None = None) -> None:
        for s in list(self.sessions.values()):
            if not s.wants(guild_id) or (intent is not None and not s.intents & intent):
                continue
            self._send_dispatch(s, event, data)

    def _send_dispatch(self, s: Session, event: str, data: Json) -> None:
        s.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": s.seq, "d": data}
        s.buffer.append(frame)
        if s.conn is not None:
            s.conn.send(frame)

    # -- faults --------------------------------------------------------------------------------------

    def live(self) -> list[Connection]:
        return [c for c in self.connections if not c.ws.closed and c.session is not None]

    def reconnect(self) -> None:
        for c in self.live():
            c.send({"op": RECONNECT, "d": None})

    def invalid_session(self, resumable: bool = False) -> None:
        for c in self.live():
            if not resumable and c.session is not None:
                self.sessions.pop(c.session.id, None)
            c.send({"op": INVALID_SESSION, "d": resumable})

    def close(self, code: int = 4000, *, forget_sessions: bool = False) -> None:
        for c in self.live():
            if forget_sessions and c.session is not None:
                self.sessions.pop(c.session.id, None)
            c.close(code)

    # -- the socket ----------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compress = request.query.get("compress")
        encoding = request.query.get("encoding", "json")
        self._event("connect", {"path": request.path, "query": dict(request.query)})
        if compress not in (None, "zlib-stream") or encoding != "json":
            self.emu.unimplemented.append(f"GATEWAY compress={compress} encoding={encoding}")
            await ws.close(code=4000)
            return ws
        conn = Connection(ws, compress == "zlib-stream", request.path)
        self.connections.append(conn)
        conn.send({"op": HELLO, "d": {"heartbeat_interval": int(self.emu.heartbeat_interval * 1000)}})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    conn.close(4002)
                    break
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    conn.close(4002)
                    break
                self._receive(conn, frame)
        finally:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            self._event("closed", ws.close_code)
            conn.queue.put_nowait((_CLOSE, 1000))
            with contextlib.suppress(asyncio.CancelledError):
                await conn.writer
        return ws

    def _receive(self, conn: Connection, frame: Json) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op not in KNOWN_SEND_OPS:
            conn.close(4001)
        elif op == HEARTBEAT:
            self._event("heartbeat", data)
            conn.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            self._identify(conn, data or {})
        elif op == RESUME:
            self._resume(conn, data or {})
        elif conn.session is None:
            conn.close(4003)

    def _identify(self, conn: Connection, data: Json) -> None:
        emu = self.emu
        if conn.session is not None:
            conn.close(4005)
            return
        if data.get("token") != emu.state.token:
            conn.close(4004)
            return
        if "intents" not in data:
            conn.close(4013)
            return
        shard = data.get("shard")
        if shard is not None and not 0 <= shard[0] < shard[1]:
            conn.close(4010)
            return
        sid = secrets.token_hex(16)
        s = Session(sid, tuple(shard) if shard else None, int(data["intents"]))
        s.conn, conn.session = conn, s
        self.sessions[sid] = s
        self._event("identify", {"shard": shard, "intents": s.intents, "session": sid})
        guilds = [g for g in emu.state.guilds.values() if s.wants(g.id)]
        me = p.current_user(emu.state.bot_id, emu.state.bot_user["username"])
        ready = p.ready(
            session_id=sid,
            resume_url=emu.resume_gateway_url,
            me=me,
            guild_ids=[g.id for g in guilds],
            application_id=emu.state.application_id,
            application_flags=emu.state.application_flags,
            shard=list(shard) if shard else None,
        )
        self._send_dispatch(s, "READY", ready)
        for g in guilds:
            if s.intents & p.INTENT_GUILDS:
                data = g.payload()
                if not s.intents & p.INTENT_GUILD_MEMBERS:
                    # Without the privileged members intent Discord sends only the bot's own member.
                    data["members"] = [g.members[emu.state.bot_id].payload()]
                self._send_dispatch(s, "GUILD_CREATE", data)

    def _resume(self, conn: Connection, data: Json) -> None:
        s = self.sessions.get(str(data.get("session_id")))
        if data.get("token") != self.emu.state.token:
            conn.close(4004)
            return
        if s is None:
            self._event("invalid_session", data.get("session_id"))
            conn.send({"op": INVALID_SESSION, "d": False})
            return
        last = int(data.get("seq") or 0)
        missed = [f for f in s.buffer if f["s"] > last]
        self._event("resume", {"session": s.id, "seq": last, "replayed": len(missed), "path": conn.path})
        if s.conn is not None and s.conn is not conn:
            s.conn.close(4000)
        s.conn, conn.session = conn, s
        for frame in missed:
            conn.send(frame)
        self._send_dispatch(s, "RESUMED", {"_trace": ['["breachwatch-emulator",{"micros":0}]']})
