"""A message for a person, before it is written in their language: a message id of config/locales/messages and its
parameters. Layers below the one that knows the reader (the query parser, the rule checks, storage) explain
themselves with one; bot.i18n writes it, a Note among the parameters included."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Note:
    msg_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
