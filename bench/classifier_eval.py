"""Classifier quality over the labelled development set (../shared/corpus/dev.jsonl by default).

Prints precision, recall and F1 overall, per language and per category, the false-positive rate on hard
negatives, the errors, and the borderline items apart (left out of the headline figures). The last line is one
JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.classify.evaluation import TARGETS, Counts, evaluate  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "corpus" / "dev.jsonl"


def _line(name: str, c: Counts) -> str:
    return f"  {name:<28} P={c.precision:.3f} R={c.recall:.3f} F1={c.f1:.3f}  (tp={c.tp} fp={c.fp} fn={c.fn} tn={c.tn})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="every third item, at most 32: checks the bench runs, measures nothing (no labelled set: a clean skip,"
        " except under CI=true)",
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        if args.smoke and os.environ.get("CI", "").lower() != "true":
            print(f"skipped: no labelled set at {args.data}")
            print(json.dumps({"skipped": f"no labelled set at {args.data}"}))
            return 0
        print(f"no labelled set at {args.data}", file=sys.stderr)
        return 2
    items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.smoke:
        items = items[::3][:32]
    report = evaluate(items)
    s = report.summary()
    print(f"{len(items)} items, targets P>={TARGETS['precision']} R>={TARGETS['recall']} F1>={TARGETS['f1']}")
    print("overall (borderline excluded):")
    print(_line("all", report.overall))
    print("per language:")
    for lang, c in sorted(report.per_language.items()):
        print(_line(lang, c))
    print("per category (recall for positive categories, false alarms for negative ones):")
    for cat, c in sorted(report.per_category.items()):
        print(_line(cat, c))
    print(
        f"hard negatives: {report.hard_negative_fp}/{report.hard_negatives} false positives"
        f" (rate {s['hard_negative_fp_rate']}); rejection reason right on {report.reasons_right}/"
        f"{report.reasons_total}"
    )
    print(f"errors ({len(report.errors)}):")
    for e in report.errors:
        kind = "FN" if e["label"] else "FP"
        print(f"  {kind} {e['id']:<8} score={e['score']:.3f} {e['category']:<26} {e['title']}")
    print(f"borderline, not in the headline ({len(report.borderline_items)}):")
    print(_line("borderline", report.borderline))
    for e in report.borderline_items:
        print(f"  label={e['label']} {e['id']:<8} score={e['score']:.3f} reason={e['reason']} {e['title']}")
    print(json.dumps(s, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
