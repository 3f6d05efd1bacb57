"""`breachwatch train`: rebuild the trained model from the corpus (seeded), and refuse one that measures worse.

`breachwatch train --evaluate-setaside` scores the committed model on corpus/setaside, the items written apart and
never used for training or tuning: run it at the end, for the figures to report.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.classify.classifier import default_classifier
from bot.classify.encoder import EncoderError
from bot.classify.judge import Judge
from bot.classify.model import PROVENANCE_FILE, ModelError, load_model
from bot.commands._encoder import configured_encoder
from bot.resources import config_path
from bot.settings import load_settings
from bot.training.corpus import CORPUS, CorpusError, report_items, setaside_items, training_items
from bot.training.metrics import errors, report
from bot.training.train import THRESHOLD, regressions, train


def _progress(done: int, total: int) -> None:
    print(f"\rencoding {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def _print_report(name: str, figures: dict[str, Any]) -> None:
    print(
        f"{name}: {figures['items']} items, P={figures['precision']:.3f} R={figures['recall']:.3f} "
        f"F1={figures['f1']:.3f} hard-negative FPR={figures['hard_negative_fpr']:.3f} ECE={figures['ece']:.3f}"
    )
    for lang, f in figures["per_language"].items():
        print(f"  {lang}: n={f['n']:<4} P={f['precision']:.3f} R={f['recall']:.3f} F1={f['f1']:.3f}")
    for category, f in figures["per_category"].items():
        key = "recall" if "recall" in f else "flagged"
        print(f"  {category:<28} n={f['n']:<4} {key}={f[key]:.3f}")


def _train(args: argparse.Namespace) -> int:
    settings = load_settings()
    out = Path(args.out) if args.out else config_path("model")
    encoder = configured_encoder(settings)
    if encoder is None:
        print("breachwatch train: BREACHWATCH_ENCODER=none: there is nothing to train", file=sys.stderr)
        return 2
    corpus = Path(args.corpus)
    items = (
        training_items(corpus, probes=corpus / "no-probes", dev=None, dedupe_dev=None)
        if args.only_corpus
        else training_items(corpus)
    )
    print(f"{len(items)} training items, {len({i.incident for i in items})} incidents; encoder {encoder.name}")
    result = train(items, encoder, cache_dir=Path(args.cache) if args.cache else None, progress=_progress)
    cv = result.metrics["cross_validated"]
    _print_report("cross-validated (grouped by incident, gated as in the bot)", cv)
    _print_report("lexicon alone, same items", result.metrics["lexicon_alone"])
    print(f"first pass: {result.metrics['first_pass']}")
    if args.report:
        Path(args.report).write_text(json.dumps(result.metrics, indent=2, ensure_ascii=False) + "\n")
    committed_file = out / PROVENANCE_FILE
    if committed_file.is_file() and not args.force:
        committed = json.loads(committed_file.read_text(encoding="utf-8"))
        worse = regressions(cv, committed.get("metrics", {}).get("cross_validated", {}))
        if committed.get("encoder") == encoder.name and worse:
            print("breachwatch train: the new model measures worse than the committed one: " + "; ".join(worse))
            print("(nothing written; --force writes it anyway)")
            return 1
    result.model.save(out)
    print(f"model written to {out}")
    return 0


SET_ASIDE_FOLDERS = ("setaside", "blind", "reports")


def _evaluate_setaside(args: argparse.Namespace) -> int:
    folder = args.evaluate_setaside
    if folder not in SET_ASIDE_FOLDERS:
        print(f"breachwatch train: --evaluate-setaside takes one of {', '.join(SET_ASIDE_FOLDERS)}", file=sys.stderr)
        return 2
    settings = load_settings()
    encoder = configured_encoder(settings)
    model = load_model(Path(args.out)) if args.out else load_model()
    judge = Judge(encoder, model)
    items = report_items() if folder == "reports" else setaside_items(Path(args.corpus), folder)
    if not items:
        print(f"breachwatch train: no set-aside items in {args.corpus}/{folder}", file=sys.stderr)
        return 2
    clf = default_classifier()
    scores = [judge.judge_now(clf, i.title, i.summary, "", i.lang)[0].score for i in items]
    lexicon = [clf.classify(i.title, i.summary, None, i.lang).score for i in items]
    figures = report(items, scores, THRESHOLD)
    _print_report(f"{folder} ({'model' if judge.learned else 'lexicon only'})", figures)
    _print_report(f"{folder}, lexicon alone", report(items, lexicon, THRESHOLD))
    wrong = errors(items, scores, THRESHOLD)
    print(f"wrong ({len(wrong)}):")
    for e in wrong:
        print(f"  {e['kind']} {e['id']:<12} {e['score']:.3f} {e['category']:<26} {e['title']}")
    if args.report:
        Path(args.report).write_text(json.dumps({folder: figures, "errors": wrong}, indent=2) + "\n")
    return 0


def _handle(args: argparse.Namespace) -> int:
    try:
        return _evaluate_setaside(args) if args.evaluate_setaside else _train(args)
    except (EncoderError, ModelError, CorpusError) as exc:
        print(f"breachwatch train: {exc}", file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "train",
        help="rebuild the trained classifier from the corpus (seeded); fails if it measures worse",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--corpus", default=str(CORPUS), help="corpus folder (train/ and setaside/)")
    p.add_argument("--out", help="model folder (default: the bundled config/model)")
    p.add_argument("--force", action="store_true", help="write the model even if it measures worse")
    p.add_argument("--report", metavar="FILE", help="also write every figure and error as JSON")
    p.add_argument(
        "--evaluate-setaside",
        nargs="?",
        const="setaside",
        metavar="FOLDER",
        help="score the model on corpus/setaside (or corpus/blind: the article-style set written later; or reports:"
        " the grouping's report clusters never trained on)",
    )
    p.add_argument(
        "--only-corpus",
        action="store_true",
        help="leave out the probe fixtures, the report clusters and the shared dev sets",
    )
    p.add_argument("--cache", default=".cache/embeddings", help="embedding cache folder ('' for none)")
    p.set_defaults(func=_handle)
