"""Train the learned same-incident judgement (bot/stories/pairing.py) from labelled report clusters, and measure it.

Rows: every report of a set, in date order, against every story of the set's true clustering so far that the bot
could join it to (within reach), with the rules' evidence and the embeddings' similarity as features; the label
says whether it is the report's own story. Each pair is also given once without similarity, so the trees know
what a candidate without embeddings looks like. The figures are the grouping's own, set by set: a model trained
on every other set groups the set left out with the ingestion code (`group_items`), and its pairs are counted
within one language and across languages, as bench/dedupe_eval.py counts them. Seeded and deterministic.

scikit-learn fits the trees (a development dependency); the bot runs them in numpy.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.classify.encoder import Encoder, encoder_text
from bot.stories.assign import NEAREST_FLOOR
from bot.stories.decide import Similarity, agreement, in_reach, pair_features
from bot.stories.pairing import FEATURES, PairJudge
from bot.stories.signature import Signature, build_signature, merge
from bot.training.embeddings import CACHE_DIR, embed_all

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
# The sets the trees learn from: set-asides once measured blind, and sets written for training (22-25); sets written
# after the model (18-21) measure it blind.
TRAINING_SETS = (
    "dedupe_probes.jsonl",
    "dedupe_lookalikes.jsonl",
    "dedupe_setaside.jsonl",
    *(f"dedupe_setaside{i}.jsonl" for i in range(2, 18)),
    *(f"dedupe_train{i}.jsonl" for i in range(22, 26)),
)
SHARED_DEV = REPO.parent / "shared" / "corpus" / "dedupe_dev.jsonl"
SEED = 20261207
TREES, DEPTH, LEARNING_RATE = 200, 4, 0.05
CUTOFF = 0.5
MEANING_CUTOFF = 0.85
WINDOW = timedelta(days=7)

Matrix = npt.NDArray[np.float64]


def training_sets(shared_dev: Path = SHARED_DEV) -> list[Path]:
    sets = [FIXTURES / name for name in TRAINING_SETS]
    return [*sets, shared_dev] if shared_dev.is_file() else sets


Group = Callable[[Sequence[dict[str, Any]], PairJudge], Coroutine[Any, Any, list[int]]]


def read_set(path: Path, read: Callable[[dict[str, Any]], dict[str, Any]]) -> list[dict[str, Any]]:
    """A set's items as the grouping reads them (`read`: text tidied, analysis language decided)."""
    return [read(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _published(item: dict[str, Any]) -> datetime:
    parsed = datetime.fromisoformat(str(item["date"]).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _signature(item: dict[str, Any]) -> Signature:
    return build_signature(
        item["title"], item["summary"], item["analysis_language"], _published(item), item.get("outlet")
    )


def pair_rows(items: Sequence[dict[str, Any]], vectors: npt.NDArray[np.float32]) -> tuple[Matrix, Matrix]:
    """Features and labels of every (report, true story so far) pair within reach, in date order."""
    order = sorted(range(len(items)), key=lambda i: (str(items[i]["date"])[:10], i))
    norms = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    stories: dict[str, tuple[Signature, list[int]]] = {}
    rows: list[npt.NDArray[np.float64]] = []
    labels: list[float] = []
    for i in order:
        item, sig = items[i], _signature(items[i])
        for event, (story, members) in stories.items():
            if not in_reach(sig, story, WINDOW):
                continue
            cosines = norms[members] @ norms[i]
            same = [c for m, c in zip(members, cosines, strict=True) if items[m]["analysis_language"] == sig.lang]
            other = [c for m, c in zip(members, cosines, strict=True) if items[m]["analysis_language"] != sig.lang]
            similarity = Similarity(max(same) if same else None, max(other) if other else None)
            truth = float(event == item["event"])
            for given in (similarity, None):
                rows.append(pair_features(sig, story, given, agreement(sig, story, given)))
                labels.append(truth)
        known = stories.get(item["event"])
        stories[item["event"]] = (merge(known[0], sig), [*known[1], i]) if known else (sig, [i])
    width = len(FEATURES)
    return (np.vstack(rows) if rows else np.zeros((0, width))), np.array(labels)


def shifted(items: Sequence[dict[str, Any]], onto: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`items` moved in time so that their first day is `onto`'s, their events renamed apart: another set's
    incidents as the same weeks' other news."""
    first = min(date.fromisoformat(str(i["date"])[:10]) for i in items)
    target = min(date.fromisoformat(str(i["date"])[:10]) for i in onto)
    return [
        {
            **i,
            "date": (date.fromisoformat(str(i["date"])[:10]) + (target - first)).isoformat(),
            "event": f"bg:{i['event']}",
        }
        for i in items
    ]


def background_rows(
    items: Sequence[dict[str, Any]],
    vectors: npt.NDArray[np.float32],
    others: Sequence[dict[str, Any]],
    other_vectors: npt.NDArray[np.float32],
) -> tuple[Matrix, Matrix]:
    """Negatives from another set's incidents, moved into the same weeks: each report against the other set's story
    nearest to it by meaning, where a search by meaning would bring it (assign.NEAREST_FLOOR), as the whole story
    (every report of it): unrelated news of the week that reads alike, which the sets themselves hold too few of."""
    moved = shifted(others, items)
    norms = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    other_norms = other_vectors / np.maximum(np.linalg.norm(other_vectors, axis=1, keepdims=True), 1e-9)
    members: dict[str, list[int]] = {}
    for j, item in enumerate(moved):
        members.setdefault(item["event"], []).append(j)
    stories: dict[str, Signature] = {}
    for event, js in members.items():
        sig = _signature(moved[js[0]])
        for j in js[1:]:
            sig = merge(sig, _signature(moved[j]))
        stories[event] = sig
    cosines = norms @ other_norms.T
    rows: list[npt.NDArray[np.float64]] = []
    for i, item in enumerate(items):
        sig = _signature(item)
        best = max(members, key=lambda e: float(cosines[i, members[e]].max()))
        if float(cosines[i, members[best]].max()) < NEAREST_FLOOR or not in_reach(sig, stories[best], WINDOW):
            continue
        same = [float(cosines[i, j]) for j in members[best] if moved[j]["analysis_language"] == sig.lang]
        other = [float(cosines[i, j]) for j in members[best] if moved[j]["analysis_language"] != sig.lang]
        similarity = Similarity(max(same) if same else None, max(other) if other else None)
        story = stories[best]
        found = agreement(sig, story, similarity)
        if found.names + found.numbers > 0.0:
            continue  # a name or a figure two sets happen to share: not the unrelated news these rows stand for
        rows.append(pair_features(sig, story, similarity, found))
    width = len(FEATURES)
    return (np.vstack(rows) if rows else np.zeros((0, width))), np.zeros(len(rows))


def fit(x: Matrix, y: Matrix, card: dict[str, Any]) -> PairJudge:
    from sklearn.ensemble import GradientBoostingClassifier

    model = GradientBoostingClassifier(
        n_estimators=TREES, max_depth=DEPTH, learning_rate=LEARNING_RATE, random_state=SEED
    ).fit(x, y)
    nodes = 2 ** (DEPTH + 1) - 1
    shape = (TREES, nodes)
    feature, left, right = (np.full(shape, -1, dtype=np.int64) for _ in range(3))
    threshold, value = np.zeros(shape), np.zeros(shape)
    for t, estimator in enumerate(model.estimators_[:, 0]):
        tree = estimator.tree_
        n = tree.node_count
        feature[t, :n] = np.where(tree.children_left >= 0, tree.feature, -1)
        threshold[t, :n] = tree.threshold
        left[t, :n], right[t, :n] = tree.children_left, tree.children_right
        value[t, :n] = tree.value[:, 0, 0] * LEARNING_RATE
    trees_only = sum(e.predict(x[:1])[0] for e in model.estimators_[:, 0]) * LEARNING_RATE
    bias = float(model.decision_function(x[:1])[0] - trees_only)
    judge = PairJudge(feature, threshold, left, right, value, bias, DEPTH, CUTOFF, MEANING_CUTOFF, card)
    expected = model.predict_proba(x[:200])[:, 1]
    got = np.array([judge.probability(row) for row in x[:200]])
    if not np.allclose(expected, got, atol=1e-6):
        raise RuntimeError("the exported trees do not reproduce scikit-learn's probabilities")
    return judge


def pairwise(items: Sequence[dict[str, Any]], stories: Sequence[int], only: int | None = None) -> dict[str, list[int]]:
    """True positive, false positive and false negative pairs, within one language and across languages; with
    `only`, the pairs that involve one of the first `only` items."""
    counts = {"within": [0, 0, 0], "across": [0, 0, 0]}
    limit = len(items) if only is None else only
    for (i, (a, sa)), (j, (b, sb)) in itertools.combinations(enumerate(zip(items, stories, strict=True)), 2):
        if i >= limit and j >= limit:
            continue
        kind = "within" if a["lang"] == b["lang"] else "across"
        truth, guess = a["event"] == b["event"], sa == sb
        if truth or guess:
            counts[kind][0 if truth and guess else (1 if guess else 2)] += 1
    return counts


def figures(counts: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    out = {}
    for kind, (tp, fp, fn) in counts.items():
        out[kind] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 1.0,
            "false_pairs": fp,
            "missed_pairs": fn,
        }
    return out


def sets_hash(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train_grouping(
    encoder: Encoder,
    data: dict[str, list[dict[str, Any]]],
    group: Group,
    sets_hash: str,
    cache_dir: Path | None = CACHE_DIR,
    progress: Callable[[str], None] | None = None,
) -> PairJudge:
    """The model on every set (name -> items read as the grouping reads them), with each set's figures from a model
    trained on the others and grouped by `group` (the ingestion code)."""
    vectors = {
        name: embed_all(encoder, [encoder_text(i["title"], i["summary"]) for i in items], cache_dir)
        for name, items in data.items()
    }
    rows = {name: pair_rows(items, vectors[name]) for name, items in data.items()}
    background = {
        (a, b): background_rows(data[a], vectors[a], data[b], vectors[b]) for a in data for b in data if a != b
    }
    names = list(data)
    per_set: dict[str, Any] = {}
    pooled = {"within": [0, 0, 0], "across": [0, 0, 0]}
    mixed = {"within": [0, 0, 0], "across": [0, 0, 0]}
    for k, name in enumerate(names):
        kept = [n for n in names if n != name]
        parts = [rows[n] for n in kept] + [background[(a, b)] for a in kept for b in kept if a != b]
        judge = fit(np.vstack([x for x, _ in parts]), np.concatenate([y for _, y in parts]), {})
        items = data[name]
        counts = pairwise(items, asyncio.run(group(items, judge)))
        # The same set among another set's incidents moved into its weeks: its pairs, and any of its reports put
        # with another incident's, count.
        neighbour = shifted(data[names[(k + 1) % len(names)]], items)
        together = [*items, *neighbour]
        with_background = pairwise(together, asyncio.run(group(together, judge)), only=len(items))
        for kind in pooled:
            pooled[kind] = [a + b for a, b in zip(pooled[kind], counts[kind], strict=True)]
            mixed[kind] = [a + b for a, b in zip(mixed[kind], with_background[kind], strict=True)]
        per_set[name] = {"alone": figures(counts), "among_other_news": figures(with_background)}
        if progress is not None:
            progress(f"{name}: {json.dumps(per_set[name])}")
    parts = list(rows.values()) + list(background.values())
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    card = {
        "features": list(FEATURES),
        "trees": TREES,
        "depth": DEPTH,
        "learning_rate": LEARNING_RATE,
        "cutoff": CUTOFF,
        "meaning_cutoff": MEANING_CUTOFF,
        "seed": SEED,
        "encoder": encoder.name,
        "sets": list(data),
        "sets_hash": sets_hash,
        "pairs": len(y),
        "left_out_sets": {"pooled": figures(pooled), "pooled_among_other_news": figures(mixed), "per_set": per_set},
    }
    return fit(x, y, card)
