"""The alert categories, read from config/categories.toml (the one list; see its header) when first imported."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

_KEY = re.compile(r"[a-z][a-z0-9_]{1,31}")


class CategoryError(ValueError):
    """A categories file that cannot be used."""


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    colour: int


def parse_categories(source: str) -> tuple[Category, ...]:
    """The categories of one file's text, in file order; a wrong key, label or colour stops with one line."""
    try:
        tables = tomllib.loads(source).get("category", [])
    except tomllib.TOMLDecodeError as exc:
        raise CategoryError(f"categories.toml: {exc}") from exc
    out: list[Category] = []
    for number, table in enumerate(tables, 1):
        key, label, colour = table.get("key"), table.get("label"), table.get("colour")
        if set(table) != {"key", "label", "colour"}:
            raise CategoryError(f"categories.toml: category #{number} needs exactly key, label and colour")
        if not isinstance(key, str) or not _KEY.fullmatch(key) or any(c.key == key for c in out):
            raise CategoryError(f"categories.toml: category #{number}: bad or repeated key {key!r}")
        if not isinstance(label, str) or not label.strip():
            raise CategoryError(f"categories.toml: category {key}: empty label")
        if not isinstance(colour, int) or not 0 <= colour <= 0xFFFFFF:
            raise CategoryError(f"categories.toml: category {key}: colour is not an RGB number")
        out.append(Category(key, label, colour))
    if not out:
        raise CategoryError("categories.toml: no category")
    return tuple(out)


def _load() -> tuple[Category, ...]:
    return parse_categories(resources.files("config").joinpath("categories.toml").read_text(encoding="utf-8"))


ALL: tuple[Category, ...] = _load()
CATEGORIES: tuple[str, ...] = tuple(c.key for c in ALL)
LABELS: dict[str, str] = {c.key: c.label for c in ALL}
COLOURS: dict[str, int] = {c.key: c.colour for c in ALL}
