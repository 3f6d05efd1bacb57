"""`breachwatch classify "text"` and `breachwatch classify --jsonl FILE|-`: the classifier from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

from bot.classify.classifier import DEFAULT_THRESHOLD, default_classifier
from bot.classify.judge import Judge
from bot.classify.verdict import Reason, Verdict
from bot.core.languages import supported_language
from bot.settings import load_settings

_REASONS = {
    Reason.NO_BREACH_EVENT: "no breach event",
    Reason.NON_SURVEILLANCE_BREACH: "a breach, but not of surveillance data",
    Reason.SURVEILLANCE_NO_BREACH: "surveillance news without a breach",
    Reason.VULNERABILITY_NO_EXPOSURE: "a vulnerability with no reported exposure",
    Reason.BLOCKED_BY_RULE: "blocked by a guild rule",
}


def render(verdict: Verdict, threshold: float = DEFAULT_THRESHOLD) -> str:
    head = "MATCH" if verdict.match else "no match"
    lines = [f"{head}  score {verdict.score:.3f} (threshold {threshold:.2f})"]
    if verdict.stage == "model" and verdict.lexicon_score is not None:
        lines.append(f"decided by the trained model; lexicon score {verdict.lexicon_score:.3f}")
    else:
        lines.append("decided by the lexicon alone")
    if verdict.reason is not None:
        lines.append(f"reason: {verdict.reason.value} ({_REASONS[verdict.reason]})")
    lines.append(f"categories: {', '.join(verdict.categories) or '-'}")
    lines.append("evidence:" if verdict.evidence else "evidence: -")
    for concept, terms in verdict.evidence.items():
        lines.append(f"  {concept}: {', '.join(terms)}")
    if verdict.cases:
        lines.append("closest known cases:")
        for case in verdict.cases:
            kind = "breach" if case.label else "not a breach"
            lines.append(f"  {case.incident} ({kind}, similarity {case.similarity:.2f}): {case.title}")
    return "\n".join(lines)


def _judge() -> Judge:
    from bot.runtime import build_judge

    return build_judge(load_settings())


def _split(text: str) -> tuple[str, str]:
    """A free text as title and summary: the first line is the headline when there are several."""
    head, _, rest = text.strip().partition("\n")
    return head.strip(), rest.strip()


def classify_lines(lines: Iterable[str], judge: Judge | None = None) -> Iterator[dict[str, Any]]:
    """One output object per non-blank input line, in order; a bad line yields an object with `error`."""
    clf = default_classifier()
    judge = judge or Judge(None, None)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            yield {"id": None, "line": n, "error": f"invalid JSON: {exc}"}
            continue
        lang = supported_language(item.get("lang")) if isinstance(item.get("lang"), str) else None
        verdict, _ = judge.judge_now(clf, str(item.get("title") or ""), str(item.get("summary") or ""), "", lang)
        out = verdict.to_json()
        yield {
            "id": item.get("id"),
            "match": out["match"],
            "score": out["score"],
            "categories": out["categories"],
            "evidence": out["evidence"],
            "lang": lang,
            "stage": out["stage"],
            "lexicon_score": out["lexicon_score"],
            "cases": out["cases"],
        }


def _run_jsonl(source: str, out: IO[str]) -> int:
    failures = 0
    stream: IO[str] = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    try:
        for obj in classify_lines(stream, _judge()):
            failures += "error" in obj
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 1 if failures else 0


def _handle(args: argparse.Namespace) -> int:
    if args.jsonl is not None:
        try:
            return _run_jsonl(args.jsonl, sys.stdout)
        except BrokenPipeError:
            raise  # the reader stopped reading: not an error of the input file (see bot.cli)
        except OSError as exc:
            print(f"breachwatch classify: {exc}", file=sys.stderr)
            return 2
    if not args.text:
        print("breachwatch classify: give a text, or --jsonl FILE (- for stdin)", file=sys.stderr)
        return 2
    title, summary = _split(" ".join(args.text))
    verdict, _ = _judge().judge_now(default_classifier(), title, summary, "", args.lang)
    print(render(verdict))
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "classify",
        help="say whether a text reports a breach of surveillance data, and why",
        description="Classify one text (first line = headline) or a JSON-lines file of {id, title, summary, lang?}.",
    )
    p.add_argument("text", nargs="*", help="the text to classify")
    p.add_argument("--lang", help="language code (en fr de es it pt nl); all lexicons apply when absent")
    p.add_argument("--jsonl", metavar="FILE", help="JSON lines in, JSON lines out, same order ('-' = stdin)")
    p.set_defaults(func=_handle)
