"""Pairwise precision and recall of "same story" on ../shared/corpus/dedupe_dev.jsonl (or --file).

Runs the ingestion code itself (`group_items`, as `breachwatch dedupe` does, on a throw-away database) and, in
the same run, a fuzzy-title baseline of the kind feed readers use: pairs whose titles' similarity ratio reaches
a threshold within the same time window are "the same story". The threshold is swept and the baseline is
reported at its best F1 (chosen on this very file, which flatters it) and at the point nearest the issue's
reference (recall 0.40). Pairs are counted within one language and across languages. The last line is one JSON
object.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
from datetime import date
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.commands._encoder import configured_encoder
from bot.commands.dedupe.batch import Embedder, group_items
from bot.core.text import fold_in_place

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "dedupe_dev.jsonl"
SWEEP = [round(0.2 + 0.05 * i, 2) for i in range(15)]  # 0.20 .. 0.90
REFERENCE_RECALL = 0.40


def pairwise(items: list[dict[str, Any]], same: dict[tuple[str, str], bool]) -> dict[str, dict[str, float]]:
    counts = {"within": [0, 0, 0], "across": [0, 0, 0]}  # true positive, false positive, false negative
    for a, b in itertools.combinations(items, 2):
        kind = "within" if a["lang"] == b["lang"] else "across"
        truth = a["event"] == b["event"]
        guess = same[(a["id"], b["id"])]
        if truth and guess:
            counts[kind][0] += 1
        elif guess:
            counts[kind][1] += 1
        elif truth:
            counts[kind][2] += 1
    out = {}
    for kind, (tp, fp, fn) in counts.items():
        out[kind] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
            "pairs": tp + fn,
            "false_pairs": fp,
        }
    return out


def _f1(counts: dict[str, float]) -> float:
    p, r = counts["precision"], counts["recall"]
    return 2 * p * r / (p + r) if p + r else 0.0


def _days_apart(a: dict[str, Any], b: dict[str, Any]) -> float:
    return abs((date.fromisoformat(a["date"][:10]) - date.fromisoformat(b["date"][:10])).days)


def _title_similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, fold_in_place(a), fold_in_place(b)).ratio()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--window-days", type=float, default=7.0)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument(
        "--embeddings",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="give every item its sentence embedding (the configured encoder, BREACHWATCH_ENCODER), as the bot does"
        " for items that pass the classifier's first pass, so the grouping weighs meaning and the learned judgement"
        " decides (the default); --no-embeddings groups on names, numbers and words alone, as the bot does with the"
        " encoder off",
    )
    parser.add_argument(
        "--no-model",
        action="store_true",
        help="with --embeddings, decide by the rules' score alone (as before the learned judgement,"
        " config/model/grouping.npz), for comparison",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the first 24 items: checks the bench runs, measures nothing (no corpus: a clean skip, except under"
        " CI=true)",
    )
    args = parser.parse_args()
    if not args.file.exists():
        if args.smoke and os.environ.get("CI", "").lower() != "true":
            print(f"skipped: no corpus at {args.file}")
            print(json.dumps({"skipped": f"no corpus at {args.file}"}))
            return 0
        print(f"no corpus at {args.file}", file=sys.stderr)
        return 2
    items = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.smoke:
        items = items[:24]  # the file keeps each event's items together: pairs within and across languages remain
    inputs = [
        {"id": d["id"], "title": d["title"], "summary": d["summary"], "published": d["date"], "lang": d["lang"]}
        for d in items
    ]
    embed = None
    if args.embeddings:
        encoder = configured_encoder()
        if encoder is None:
            print("BREACHWATCH_ENCODER=none: grouping without embeddings, as the bot does with the encoder off")
        else:
            embed = Embedder(encoder)
    started = time.perf_counter()
    pairs = None if args.no_model else "committed"
    stories = asyncio.run(group_items(inputs, window_days=args.window_days, embed=embed, pairs=pairs))
    elapsed = time.perf_counter() - started
    story_of = {d["id"]: s for d, s in zip(items, stories, strict=True)}
    ours = {(a["id"], b["id"]): story_of[a["id"]] == story_of[b["id"]] for a, b in itertools.combinations(items, 2)}
    # The baseline gets the same time window as ours (feed readers only fold recent items together too); the
    # sweep without it is printed as well, and so is the window alone (every pair within it "the same").
    pairs = list(itertools.combinations(items, 2))
    raw = {(a["id"], b["id"]): _title_similarity(a["title"], b["title"]) for a, b in pairs}
    near = {(a["id"], b["id"]): _days_apart(a, b) <= args.window_days for a, b in pairs}
    similarity = {pair: value if near[pair] else 0.0 for pair, value in raw.items()}
    sweep = {t: pairwise(items, {pair: value >= t for pair, value in similarity.items()}) for t in SWEEP}
    unwindowed = {t: pairwise(items, {pair: value >= t for pair, value in raw.items()}) for t in SWEEP}
    window_only = pairwise(items, near)
    best_t = max(SWEEP, key=lambda t: _f1(sweep[t]["within"]))
    ref_t = min(SWEEP, key=lambda t: abs(sweep[t]["within"]["recall"] - REFERENCE_RECALL))
    result = pairwise(items, ours)
    baseline, reference = sweep[best_t], sweep[ref_t]
    print(f"items: {len(items)}, stories: {len(set(stories))}, events: {len({d['event'] for d in items})}")
    print(
        f"grouping took {elapsed:.1f} s (including a fresh database and migrations"
        + (", and encoding every item)" if embed else ")")
    )
    for kind in ("within", "across"):
        r, b = result[kind], baseline[kind]
        print(
            f"{kind:>6} language: P={r['precision']:.3f} R={r['recall']:.3f} ({r['pairs']} true pairs, "
            f"{r['false_pairs']} false) | fuzzy titles >= {best_t} (best F1): "
            f"P={b['precision']:.3f} R={b['recall']:.3f}"
        )
    for name, table in (("with the window", sweep), ("without a window", unwindowed)):
        print(f"fuzzy-title sweep {name}, within a language (threshold: P R):")
        print(
            "  "
            + "  ".join(
                f"{t}: {v['within']['precision']:.2f} {v['within']['recall']:.2f}" for t in SWEEP for v in [table[t]]
            )
        )
    wo = window_only["within"]
    print(f"the {args.window_days:g}-day window alone, within a language: P={wo['precision']:.3f} R={wo['recall']:.3f}")
    rw = reference["within"]
    print(f"nearest the reference recall {REFERENCE_RECALL}: >= {ref_t} P={rw['precision']:.3f} R={rw['recall']:.3f}")
    if args.show_errors:
        for a, b in itertools.combinations(items, 2):
            truth, guess = a["event"] == b["event"], ours[(a["id"], b["id"])]
            if truth != guess:
                print(
                    ("MISSED " if truth else "WRONG  ") + f"{a['id']} {b['id']}: {a['title'][:60]} | {b['title'][:60]}"
                )
    summary = {
        "within_precision": result["within"]["precision"],
        "within_recall": result["within"]["recall"],
        "across_precision": result["across"]["precision"],
        "across_recall": result["across"]["recall"],
        "baseline_within_precision": baseline["within"]["precision"],
        "baseline_within_recall": baseline["within"]["recall"],
        "baseline_across_precision": baseline["across"]["precision"],
        "baseline_across_recall": baseline["across"]["recall"],
        "baseline_threshold": best_t,
        "baseline_reference_threshold": ref_t,
        "baseline_reference_precision": rw["precision"],
        "baseline_reference_recall": rw["recall"],
        "window_only_within_precision": wo["precision"],
        "window_only_within_recall": wo["recall"],
        "items": len(items),
        "embeddings": bool(embed),
        "model": bool(embed) and not args.no_model,
        "seconds": round(elapsed, 2),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
