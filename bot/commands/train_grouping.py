"""`breachwatch train-grouping`: rebuild the learned same-incident judgement (bot/stories/pairing.py) from the
labelled report clusters (tests/fixtures/dedupe_*.jsonl, and ../shared/corpus/dedupe_dev.jsonl where it sits beside
the checkout), seeded; each set's figures come from a model trained on the others. Refuses a model whose pooled
left-out figures are lower than the committed one's, unless given --force. Needs the dev extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.classify.encoder import EncoderError
from bot.commands._encoder import configured_encoder
from bot.commands.dedupe.batch import Embedder, group_items, read_item
from bot.resources import config_path
from bot.settings import load_settings
from bot.stories.pairing import CARD, PairJudge
from bot.training.grouping import read_set, sets_hash, train_grouping, training_sets

TOLERANCE = 0.005


def _worse(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    out = []
    for kind in ("within", "across"):
        for figure in ("precision", "recall"):
            was, now = old.get(kind, {}).get(figure), new[kind][figure]
            if was is not None and now < was - TOLERANCE:
                out.append(f"{kind} {figure} {now:.3f} < {was:.3f}")
    return out


def _handle(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        encoder = configured_encoder(settings)
    except EncoderError as exc:
        print(f"breachwatch train-grouping: {exc}", file=sys.stderr)
        return 2
    if encoder is None:
        print("breachwatch train-grouping: BREACHWATCH_ENCODER=none: the model weighs embeddings", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else config_path("model")
    sets = training_sets()
    print(f"{len(sets)} sets: {', '.join(p.name for p in sets)}; encoder {encoder.name}")
    data = {path.name: read_set(path, read_item) for path in sets}
    embed = Embedder(encoder)

    async def group(items: Sequence[dict[str, Any]], judge: PairJudge) -> list[int]:
        return await group_items(items, embed=embed, pairs=judge)

    judge = train_grouping(
        encoder, data, group, sets_hash(sets), progress=lambda line: print(f"  left out {line}", flush=True)
    )
    pooled = judge.card["left_out_sets"]["pooled"]
    print(f"left-out sets, pooled: {json.dumps(pooled)}")
    committed = out / CARD
    if committed.is_file() and not args.force:
        old = json.loads(committed.read_text(encoding="utf-8")).get("left_out_sets", {}).get("pooled", {})
        worse = _worse(pooled, old)
        if worse:
            print("breachwatch train-grouping: worse than the committed model: " + "; ".join(worse))
            print("(nothing written; --force writes it anyway)")
            return 1
    judge.save(out)
    print(f"model written to {out}")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "train-grouping",
        help="rebuild the learned same-incident judgement from the labelled clusters (seeded)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", help="model folder (default: the bundled config/model)")
    p.add_argument("--force", action="store_true", help="write the model even if it measures worse")
    p.set_defaults(func=_handle)
