"""`breachwatch dedupe --jsonl FILE|-`: group items into stories with the ingestion code, print their story ids."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.commands.dedupe.batch import group_items
from bot.settings import load_settings


def _read(path: str) -> list[dict[str, Any]]:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        items = []
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            if not isinstance(item, dict) or "id" not in item:
                raise ValueError(f"line {number}: expected a JSON object with an id")
            items.append(item)
        return items
    finally:
        if stream is not sys.stdin:
            stream.close()


def _run(args: argparse.Namespace) -> int:
    try:
        items = _read(args.jsonl)
    except (OSError, ValueError) as exc:
        print(f"breachwatch dedupe: {exc}", file=sys.stderr)
        return 2
    window = args.window_days if args.window_days is not None else load_settings().dedupe_window_days
    stories = asyncio.run(group_items(items, window_days=window))
    for item, story in zip(items, stories, strict=True):
        print(json.dumps({"id": item["id"], "story": story}, ensure_ascii=False))
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("dedupe", help="group JSON-lines news items into stories (one per incident)")
    parser.add_argument("--jsonl", required=True, metavar="FILE", help="input file of JSON lines, or - for stdin")
    parser.add_argument("--window-days", type=float, default=None, help="time window (default: the setting)")
    parser.set_defaults(func=_run)
