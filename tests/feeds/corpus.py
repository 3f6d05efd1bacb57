"""Serve ../shared/feeds over loopback HTTP the way its upstream suites meant (Header: comments, .gz, .z)."""

from __future__ import annotations

import asyncio
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

_COMMENT = re.compile(rb"\A\s*(?:<\?xml[^>]*\?>\s*)?<!--(.*?)-->", re.DOTALL)
_HEADER = re.compile(r"^\s*Header:\s*([A-Za-z-]+):\s?(.*?)\s*$")


@dataclass(frozen=True)
class CorpusDoc:
    file: str
    kind: str
    expected: int | None


def load_manifest(root: Path) -> list[CorpusDoc]:
    with (root / "MANIFEST.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [
        CorpusDoc(r["file"], r["kind"], int(r["expected_entries"]) if r["expected_entries"].strip() else None)
        for r in rows
    ]


def comment_headers(body: bytes) -> dict[str, str]:
    match = _COMMENT.match(body)
    headers: dict[str, str] = {}
    if match:
        for line in match.group(1).decode("utf-8", "replace").splitlines():
            found = _HEADER.match(line)
            if found:
                headers[found.group(1).lower()] = found.group(2)
    return headers


def _read(root: Path, rel: str) -> bytes | None:
    path = (root / rel).resolve()
    if not path.is_file() or root.resolve() not in path.parents:
        return None
    return path.read_bytes()


def build_corpus_app(root: Path) -> web.Application:
    async def serve(request: web.Request) -> web.StreamResponse:
        rel = request.match_info["path"]
        body = await asyncio.to_thread(_read, root, rel)
        if body is None:
            return web.Response(status=404, text="no such corpus file")
        declared = comment_headers(body)
        status = int(declared.pop("status", "200") or 200)
        headers: dict[str, str] = {}
        for name, value in declared.items():
            if name == "location":
                # Upstream pointed at its own test server; point at the sibling file on this one instead.
                target = Path(rel).parent / Path(urlsplit(value).path).name
                value = f"/{target.as_posix()}"
            headers[name] = value
        etag = headers.get("etag")
        if status == 200 and etag and request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        if rel.endswith(".gz"):
            headers["Content-Encoding"] = "gzip"
        elif rel.endswith(".z"):
            headers["Content-Encoding"] = "deflate"
        resp = web.Response(status=status, body=body)
        for name, value in headers.items():
            resp.headers[name] = value
        return resp

    app = web.Application()
    app.router.add_get("/{path:.+}", serve)
    return app
