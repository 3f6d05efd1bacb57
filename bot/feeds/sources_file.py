"""The operator's sources file (config/sources.toml by default): one [[source]] table per feed."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from bot.core.languages import language_tag
from storage.sources import SourceSpec


class SourcesFileError(Exception):
    """The file cannot be used; the message names the file and the problem."""


def validate_feed_url(url: str) -> str:
    """The URL trimmed, or ValueError when it is not an absolute http(s) URL."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def load_sources_file(path: Path) -> list[SourceSpec]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SourcesFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesFileError(f"{path}: not valid TOML: {exc}") from None
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise SourcesFileError(f"{path}: 'source' must be an array of tables ([[source]])")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        if not isinstance(table, dict) or not isinstance(table.get("url"), str):
            raise SourcesFileError(f"{path}: source #{number} has no url")
        try:
            url = validate_feed_url(table["url"])
        except ValueError as exc:
            raise SourcesFileError(f"{path}: source #{number}: {exc}") from None
        if url in seen:
            raise SourcesFileError(f"{path}: source #{number}: duplicate url {url}")
        seen.add(url)
        language = table.get("language")
        if language is not None and language_tag(str(language)) is None:
            raise SourcesFileError(f"{path}: source #{number}: bad language {language!r}")
        specs.append(
            SourceSpec(
                url=url,
                name=str(table["name"]) if table.get("name") else None,
                language=language_tag(str(language)) if language else None,
                homepage=str(table["homepage"]) if table.get("homepage") else None,
            )
        )
    return specs
