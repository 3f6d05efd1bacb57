"""The labelled items the model learns from: the project's corpus (corpus/train), the probe fixtures of the tests
and, when it sits beside the checkout, the shared development set. The set-aside files are read only for the
final evaluation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.training.schema import problems

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "corpus"
PROBES = REPO / "tests" / "fixtures"
PROBE_FILES = (
    "probes_en_fr_de.jsonl",
    "probes_es_it_pt_nl.jsonl",
    "probes2_en_fr_de_nl.jsonl",
    "probes2_es_it_pt.jsonl",
)
SHARED_DEV = REPO.parent / "shared" / "corpus" / "dev.jsonl"
LANGS = ("en", "fr", "de", "es", "it", "pt", "nl")
# Negatives that share words with positives; "unrelated" news is the easy kind.
EASY_NEGATIVE = "unrelated"


class CorpusError(ValueError):
    """A corpus line that is not a labelled item."""


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    incident: str
    lang: str
    title: str
    summary: str
    label: int
    category: str
    origin: str  # corpus, probes, dev, setaside

    @property
    def hard_negative(self) -> bool:
        return self.label == 0 and self.category != EASY_NEGATIVE


def _read(path: Path, origin: str, strict: bool = False) -> Iterator[Item]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                if strict and (wrong := problems(raw)):
                    raise ValueError("; ".join(wrong))
                if raw.get("borderline"):
                    continue  # careful readers disagree on these: neither taught nor scored
                label = int(raw["label"])
                if label not in (0, 1):
                    raise ValueError(f"label {label}")
                item_id = str(raw["id"])
                yield Item(
                    id=item_id,
                    incident=str(raw.get("incident") or raw.get("event") or item_id),
                    lang=str(raw.get("lang") or ""),
                    title=str(raw.get("title") or ""),
                    summary=str(raw.get("summary") or ""),
                    label=label,
                    category=str(raw.get("category") or ("probe" if label else "probe_negative")),
                    origin=origin,
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{n}: {exc}") from exc


def training_items(corpus: Path = CORPUS, probes: Path = PROBES, dev: Path | None = SHARED_DEV) -> list[Item]:
    """Every item the model is trained on, in a stable order."""
    items: list[Item] = []
    for path in sorted((corpus / "train").glob("*.jsonl")):
        items.extend(_read(path, "corpus", strict=True))
    for name in PROBE_FILES:
        if (probes / name).is_file():
            items.extend(_read(probes / name, "probes"))
    if dev is not None and dev.is_file():
        items.extend(_read(dev, "dev"))
    _check_unique(items)
    return items


def setaside_items(corpus: Path = CORPUS, folder: str = "setaside") -> list[Item]:
    """Items written apart from the training files (`folder`: setaside, or blind, the article-style set written
    later), read only to score a final model."""
    items: list[Item] = []
    for path in sorted((corpus / folder).glob("*.jsonl")):
        items.extend(_read(path, "setaside", strict=True))
    _check_unique(items)
    return items


def _check_unique(items: Iterable[Item]) -> None:
    seen: set[str] = set()
    titles: set[str] = set()
    for item in items:
        if item.id in seen:
            raise CorpusError(f"item id {item.id} appears twice")
        seen.add(item.id)
        if item.origin in ("corpus", "setaside"):
            title = item.title.strip().casefold()
            if title in titles:
                raise CorpusError(f"item {item.id}: the title {item.title!r} appears twice")
            titles.add(title)


def corpus_hash(items: Iterable[Item]) -> str:
    """Names the training data in the model's provenance: any changed item changes it."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps([item.id, item.incident, item.lang, item.title, item.summary, item.label]).encode())
    return digest.hexdigest()[:16]
