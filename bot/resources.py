"""Find bundled data under the `config` package, wherever the project is installed."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any


def config_path(*parts: str) -> Path:
    return Path(str(files("config").joinpath(*parts)))


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)
