"""Google News item links point to news.google.com, not to the publisher: find the publisher's URL.

Two forms, as public feed readers decode them (no browser needed):
- older ids carry the URL itself: the id is base64url of a small protobuf whose field 4 is the URL;
- ids since mid-2024 carry an opaque token ("AU_yqL..."): the article page on news.google.com gives a signature
  and a timestamp (`data-n-a-sg`, `data-n-a-ts`), and Google's `batchexecute` endpoint (rpc `Fbv4je`,
  `garturlreq`) answers with the URL.
Both requests go through the process's guarded HTTP session, with the page fetcher's size and time limits.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import quote, urlsplit

import aiohttp

GOOGLE_NEWS = "https://news.google.com"
_ID = re.compile(r"/(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]+)")
_SIGNATURE = re.compile(rb'data-n-a-sg="([^"]+)"')
_TIMESTAMP = re.compile(rb'data-n-a-ts="([^"]+)"')
_MAX_PAGE = 2 * 1024 * 1024


class ResolveError(Exception):
    """A Google News link whose publisher URL could not be found."""


def article_id(url: str, base: str = GOOGLE_NEWS) -> str | None:
    """The id of a Google News article link, or None for any other URL."""
    parts = urlsplit(url)
    if parts.hostname not in {"news.google.com", urlsplit(base).hostname}:
        return None
    found = _ID.search(parts.path)
    return found.group(1) if found else None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ResolveError("truncated varint")


def decode_offline(gid: str) -> str | None:
    """The URL an older id carries, or None when the id needs the online decoding."""
    try:
        data = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ResolveError(f"not base64: {exc}") from exc
    if not data.startswith(b"\x08\x13\x22"):
        raise ResolveError("unknown Google News id layout")
    length, pos = _varint(data, 3)
    inner = data[pos : pos + length]
    if inner.startswith(b"AU_yqL"):
        return None
    text = inner.decode("utf-8", errors="replace")
    if not text.startswith(("http://", "https://")):
        raise ResolveError("the id carries no URL")
    return text


async def _read(resp: aiohttp.ClientResponse) -> bytes:
    body = await resp.content.read(_MAX_PAGE + 1)
    if len(body) > _MAX_PAGE:
        raise ResolveError("answer too large")
    return body


def _request_body(gid: str, timestamp: str, signature: str) -> str:
    inner = (
        '["garturlreq",[["X","X",["X","X"],null,null,1,1,"US:en",null,1,null,null,null,null,null,0,1],'
        f'"X","X",1,[1,1,1],1,1,null,0,0,null,0],"{gid}",{int(timestamp)},"{signature}"]'
    )
    return "f.req=" + quote(json.dumps([[["Fbv4je", inner, None, "generic"]]]))


def parse_batchexecute(text: str) -> str:
    """The URL in a batchexecute answer (an anti-JSON prefix line, then JSON arrays)."""
    for chunk in text.split("\n"):
        chunk = chunk.strip()
        if not chunk.startswith("["):
            continue
        try:
            rows = json.loads(chunk)
        except ValueError:
            continue
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, list) and len(row) > 2 and row[:2] == ["wrb.fr", "Fbv4je"] and row[2]:
                payload = json.loads(row[2])
                if isinstance(payload, list) and len(payload) > 1 and payload[0] == "garturlres":
                    url = str(payload[1])
                    if url.startswith(("http://", "https://")):
                        return url
    raise ResolveError("no URL in the batchexecute answer")


async def resolve(http: aiohttp.ClientSession, url: str, base: str = GOOGLE_NEWS, seconds: float = 15.0) -> str:
    """The publisher's URL of a Google News link (any other URL is returned unchanged)."""
    gid = article_id(url, base)
    if gid is None:
        return url
    direct = decode_offline(gid)
    if direct is not None:
        return direct
    limit = aiohttp.ClientTimeout(total=seconds)
    async with http.get(f"{base}/articles/{gid}", timeout=limit, allow_redirects=False) as resp:
        if resp.status != 200:
            raise ResolveError(f"article page answered HTTP {resp.status}")
        page = await _read(resp)
    sg, ts = _SIGNATURE.search(page), _TIMESTAMP.search(page)
    if not sg or not ts or not ts.group(1).isdigit():
        raise ResolveError("no decoding parameters on the article page")
    body = _request_body(gid, ts.group(1).decode(), sg.group(1).decode())
    headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
    async with http.post(
        f"{base}/_/DotsSplashUi/data/batchexecute", data=body, headers=headers, timeout=limit, allow_redirects=False
    ) as resp:
        if resp.status != 200:
            raise ResolveError(f"batchexecute answered HTTP {resp.status}")
        answer = await _read(resp)
    return parse_batchexecute(answer.decode("utf-8", errors="replace"))
