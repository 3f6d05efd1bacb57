"""Links are data: the one check every URL passes before it is put into a message.

A feed's link is text its author chose. Put as it is inside `[name](url)` or `<url>`, a `)` ends the link early and
what follows is read as markdown: `http://x/a) **[Verify](https://evil.example)** (` renders a second, hidden link.
`safe_url` accepts only an absolute http(s) URL with a plain host name or IP address, drops credentials (a link
reading `https://bank.example@evil.example/` is a classic disguise) and percent-encodes every character that
Discord's markdown or its link parser would read: whitespace and controls, `()<>[]`, the emphasis marks `*_~|`, the
backtick, quotes, backslash and braces, and everything outside ASCII. Percent-encoding a character does not change
the resource an HTTP server serves for it, so the link still leads where the feed said.
"""

from __future__ import annotations

import ipaddress
import re
import string
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("http", "https")
# Longer than any link a reader follows, and Discord refuses longer embed URLs.
MAX_URL_CHARS = 2048
# Characters that stay as they are: none of them is markdown in the middle of a link, and `%` only where it
# starts an escape that is already there.
_KEEP = frozenset(string.ascii_letters + string.digits + "-./?=&+:;,@!$'%#")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# One DNS label; the whole host is checked label by label after IDNA encoding.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _encode(part: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(part):
        ch = part[i]
        if ch == "%" and _ESCAPE.match(part, i):
            out.append(part[i : i + 3])
            i += 3
            continue
        if ch in _KEEP and ch != "%":
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _ip(hostname: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(hostname)
    except ValueError:
        return None


def _host(hostname: str) -> str | None:
    """The host in the form a link carries, or None when it is no DNS name or IP address."""
    address = _ip(hostname)
    if address is not None:
        return f"[{address}]" if address.version == 6 else str(address)
    name = hostname.rstrip(".")
    try:
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return name


def safe_url(url: str | None) -> str | None:
    """`url` as it may appear in a message (embed URL, `[name](url)`, `<url>`), or None if it must not appear.

    None for anything that is not an absolute http(s) URL with a valid host, and for URLs that stay longer than
    MAX_URL_CHARS once encoded.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        return None
    host = _host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None else f"{host}:{port}"
    path = _encode(parts.path) or "/"
    safe = urlunsplit((parts.scheme.lower(), netloc, path, _encode(parts.query), _encode(parts.fragment)))
    return safe if len(safe) <= MAX_URL_CHARS else None


def markdown_link(label: str, url: str | None) -> str:
    """`[label](url)` when the URL may be linked, else the label alone. `label` must already be markdown-escaped."""
    safe = safe_url(url)
    return f"[{label}]({safe})" if safe else label
