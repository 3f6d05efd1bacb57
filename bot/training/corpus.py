"""The labelled items the model learns from: the project's corpus (corpus/train), the probe fixtures of the tests, the
grouping's labelled report clusters and, when they sit beside the checkout, the shared development sets. The
set-aside files, the article-style blind set and the measuring report clusters are read only for the final
evaluation."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from bot.core.categories import CATEGORIES
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
# The grouping's report clusters (tests/fixtures/dedupe_*.jsonl) teach the classifier too: news as outlets write it,
# follow-ups and reactions included. Only the sets whose writers labelled each report by the label's definition
# (the earlier sets label every report 1); named, not globbed, so that a set written to measure the grouping blind
# stays out until it has been measured.
DEDUPE_FILES = (
    *(f"dedupe_setaside{i}.jsonl" for i in range(11, 18)),
    "dedupe_sparse_a.jsonl",
    "dedupe_sparse_b.jsonl",
    *(f"dedupe_train{i}.jsonl" for i in range(22, 26)),
)
# Report clusters written after the classifier learned from the others and never taught to it: they measure it on
# news as outlets write it (`breachwatch train --evaluate-setaside reports`).
REPORT_SETS = tuple(f"dedupe_setaside{i}.jsonl" for i in range(18, 22))
# Their writers named categories their own way: the project's (config/categories.toml) for a positive, one name for
# every negative (each shares its vendor, agency or words with a breach of the same weeks).
DEDUPE_CATEGORIES = {
    "face": "facial_recognition",
    "biometric": "biometrics",
    "lpr": "alpr",
    "border_db": "police_db",
    "intel": "police_db",
    "intel_db": "police_db",
    "wiretap": "intercept",
}
DEDUPE_NEGATIVE = "report_lookalike"
SHARED_DEV = REPO.parent / "shared" / "corpus" / "dev.jsonl"
SHARED_DEDUPE_DEV = REPO.parent / "shared" / "corpus" / "dedupe_dev.jsonl"
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


def _read(path: Path, origin: str, strict: bool = False, prefix: str = "") -> Iterator[Item]:
    """`prefix` names a file's ids apart from other files' (the grouping's sets number their own)."""
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
                item_id = f"{prefix}:{raw['id']}" if prefix else str(raw["id"])
                incident = str(raw.get("incident") or raw.get("event") or raw["id"])
                yield Item(
                    id=item_id,
                    incident=incident,  # one incident in two files is one incident: never on both sides of a fold
                    lang=str(raw.get("lang") or ""),
                    title=str(raw.get("title") or ""),
                    summary=str(raw.get("summary") or ""),
                    label=label,
                    category=str(raw.get("category") or ("probe" if label else "probe_negative")),
                    origin=origin,
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise CorpusError(f"{path}:{n}: {exc}") from exc


def training_items(
    corpus: Path = CORPUS,
    probes: Path = PROBES,
    dev: Path | None = SHARED_DEV,
    dedupe_dev: Path | None = SHARED_DEDUPE_DEV,
) -> list[Item]:
    """Every item the model is trained on, in a stable order."""
    items: list[Item] = []
    for path in sorted((corpus / "train").glob("*.jsonl")):
        items.extend(_read(path, "corpus", strict=True))
    for name in PROBE_FILES:
        if (probes / name).is_file():
            items.extend(_read(probes / name, "probes"))
    # The report clusters tell of real incidents the set-aside tells of too: those reports stay out, so that the
    # set-aside's figures remain about incidents the model never learned from; so does a report whose headline the
    # article-style set or the measuring report clusters have word for word (two writers can word a headline alike).
    held = {item.incident for item in setaside_items(corpus)}
    held_titles = {item.title for item in [*setaside_items(corpus, "blind"), *report_items(probes)]}
    reports = _report_clusters(probes, DEDUPE_FILES, "dedupe")
    if dev is not None and dev.is_file():
        items.extend(_read(dev, "dev"))
    if dedupe_dev is not None and dedupe_dev.is_file():
        reports.extend(_read(dedupe_dev, "dev", prefix="dedupe_dev"))
    items.extend(item for item in reports if item.incident not in held and item.title not in held_titles)
    _check_unique(items)
    return items


def _dedupe_categories(items: Iterable[Item]) -> Iterator[Item]:
    for item in items:
        if item.label == 0:
            category = DEDUPE_NEGATIVE
        else:
            category = DEDUPE_CATEGORIES.get(item.category, item.category)
            category = category if category in CATEGORIES else "probe"  # no category the project knows
        yield replace(item, category=category)


def _report_clusters(probes: Path, names: Iterable[str], origin: str) -> list[Item]:
    """The grouping's labelled sets among `names`, their ids named by their file, their categories the project's."""
    items: list[Item] = []
    for name in names:
        if (probes / name).is_file():
            items.extend(_dedupe_categories(_read(probes / name, origin, prefix=name.removesuffix(".jsonl"))))
    return items


def report_items(probes: Path = PROBES) -> list[Item]:
    """The report clusters kept out of training (REPORT_SETS), read only to score a final model."""
    return _report_clusters(probes, REPORT_SETS, "setaside")


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
