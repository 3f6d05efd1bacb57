"""A learned "same incident?" for a report and a story: the grouping's own evidence and the embeddings' similarity,
weighed by a small tree ensemble trained on labelled report clusters (bot/training/grouping.py).

Why learned: the hand-set threshold adds evidence linearly (a name plus a number plus words) and the vetoes are
absolute, and on sets written after the rules (never shown to them) that combination lost most of its
precision across languages. Trees trained on the rules' own outputs learn where they hold and where a high
similarity of meaning outweighs a missing name. They run in numpy: the weights are arrays in
`config/model/grouping.npz`, the figures and provenance in `grouping.json`. The model is used only for a report
that carries an embedding (the encoder is on and the first pass sent it on); without one, grouping is the rules'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.stories.signature import Signature

MODEL_DIR = Path(__file__).resolve().parents[2] / "config" / "model"
WEIGHTS, CARD = "grouping.npz", "grouping.json"

FEATURES = (
    "names",
    "numbers",
    "words",
    "near_duplicate",
    "shared_kinds",
    "headline_elsewhere",
    "victims_differ",
    "another_incident",
    "cosine_same_language",
    "has_same_language",
    "cosine_other_language",
    "has_other_language",
    "rule_score",
    "gap_days",
    "story_span_days",
    "story_reports",
    "names_its_victim",
    "both_name_victims",
    "article_is_sequel",
    "article_headline_name_unknown",
    "story_headline_name_unknown",
    "countries_shared",
    "countries_differ",
)

Vector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Evidence:
    """What the rules found for one pair, as decide.agreement computes it (the score before any veto)."""

    names: float
    numbers: float
    words: float
    near_duplicate: float
    shared_kinds: int
    headline_elsewhere: bool
    victims_differ: bool
    another_incident: bool
    rule_score: float
    names_its_victim: bool


def _days(value: str) -> date:
    return date.fromisoformat(value[:10])


def features(
    article: Signature,
    story: Signature,
    same_language: float | None,
    other_language: float | None,
    evidence: Evidence,
) -> Vector:
    first, last, day = _days(story.first), _days(story.last), _days(article.first)
    gap = max((first - day).days, (day - last).days, 0)
    return np.array(
        [
            evidence.names,
            evidence.numbers,
            evidence.words,
            min(evidence.near_duplicate, 1.0),
            min(evidence.shared_kinds, 2),
            float(evidence.headline_elsewhere),
            float(evidence.victims_differ),
            float(evidence.another_incident),
            same_language if same_language is not None else 0.0,
            float(same_language is not None),
            other_language if other_language is not None else 0.0,
            float(other_language is not None),
            min(evidence.rule_score, 4.0),
            gap / 7.0,
            (last - first).days / 7.0,
            min(len(story.minhashes), 10),
            float(evidence.names_its_victim),
            float(bool(article.victims) and bool(story.victims)),
            float(article.sequel or article.separate or article.new_incident),
            _unknown_headline_name(article, story),
            _unknown_headline_name(story, article),
            float(bool(set(article.countries) & set(story.countries))),
            float(bool(article.countries and story.countries and not set(article.countries) & set(story.countries))),
        ],
        dtype=np.float64,
    )


def _unknown_headline_name(one: Signature, other: Signature) -> float:
    """How specific the most specific name of `one`'s headlines is that `other` never mentions ("Agen" against a
    story of Montauban's police): 0 when every headline name is known there."""
    known = other.entities.keys() | other.weak_entities.keys()
    weights = [one.entities.get(k, one.weak_entities.get(k, 0.0)) for k in one.title_entities if k not in known]
    return max(weights, default=0.0)


@dataclass(frozen=True)
class PairJudge:
    """Gradient-boosted trees of fixed depth as flat arrays: per tree and node, the feature tested, the threshold,
    the children (-1 at a leaf) and the leaf's value (the learning rate applied)."""

    feature: npt.NDArray[np.int64]
    threshold: Vector
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    value: Vector
    bias: float
    depth: int
    cutoff: float
    # The cutoff for a pair that shares no name and no number, which meaning alone brings together: reports of one
    # theme in two countries read alike (a stricter cut measured better on sets mixed with other sets' news).
    meaning_cutoff: float
    card: dict[str, Any]

    def probability(self, x: Vector) -> float:
        trees = np.arange(self.feature.shape[0])
        node = np.zeros(trees.shape[0], dtype=np.int64)
        for _ in range(self.depth):
            leaf = self.left[trees, node] < 0
            go_left = x[np.maximum(self.feature[trees, node], 0)] <= self.threshold[trees, node]
            step = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(leaf, node, step)
        raw = self.bias + float(self.value[trees, node].sum())
        return float(1.0 / (1.0 + np.exp(-raw)))

    def same(self, x: Vector) -> tuple[bool, float]:
        p = self.probability(x)
        evidence = x[FEATURES.index("names")] + x[FEATURES.index("numbers")]
        return p >= (self.cutoff if evidence > 0.0 else self.meaning_cutoff), p

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            folder / WEIGHTS,
            feature=self.feature,
            threshold=self.threshold,
            left=self.left,
            right=self.right,
            value=self.value,
            meta=np.array([self.bias, float(self.depth), self.cutoff, self.meaning_cutoff]),
        )
        (folder / CARD).write_text(json.dumps(self.card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_pair_judge(folder: Path = MODEL_DIR) -> PairJudge | None:
    """The committed model, or None where there is none (grouping is then the rules')."""
    path = folder / WEIGHTS
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        bias, depth, cutoff, meaning_cutoff = (float(v) for v in data["meta"])
        card = json.loads((folder / CARD).read_text(encoding="utf-8")) if (folder / CARD).is_file() else {}
        if card.get("features") not in (None, list(FEATURES)):
            raise ValueError(f"{path} was trained on other features than bot/stories/pairing.py computes")
        return PairJudge(
            feature=data["feature"].astype(np.int64),
            threshold=data["threshold"].astype(np.float64),
            left=data["left"].astype(np.int64),
            right=data["right"].astype(np.int64),
            value=data["value"].astype(np.float64),
            bias=bias,
            depth=int(depth),
            cutoff=cutoff,
            meaning_cutoff=meaning_cutoff,
            card=card,
        )


@lru_cache(maxsize=1)
def committed_pair_judge() -> PairJudge | None:
    return load_pair_judge()
