"""The corpus item schema of corpus/README.md, checked when the corpus is read (and by `breachwatch train --check`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.core.categories import CATEGORIES
from bot.core.languages import LANGUAGES

NEGATIVE_CATEGORIES = frozenset(
    {"surveillance_no_breach", "non_surveillance_breach", "vulnerability_no_exposure", "crime_on_camera", "unrelated"}
)
POSITIVE_KINDS = frozenset(
    {
        "outside_attack",
        "insider_lookup",
        "insider_sale",
        "misconfiguration",
        "software_bug",
        "broker_sample",
        "vendor_leak",
        "intercept_compromise",
        "data_sold",
        "follow_up",
    }
)
NEGATIVE_KINDS = frozenset(
    {
        "deployment",
        "ban_or_law",
        "fine_or_ruling",
        "lawsuit",
        "procurement",
        "accuracy_study",
        "opinion",
        "protest",
        "ordinary_breach",
        "vulnerability",
        "crime_on_camera",
        "police_work",
        "unrelated",
    }
)
FORMS = frozenset({"teaser", "wire", "long_lead", "question", "headline_only"})
KEYS = frozenset({"id", "incident", "lang", "variant", "title", "summary", "label", "category", "kind", "form"})
_ID = re.compile(r"(sa-|bl-)?[a-z]{2}-\d{2,4}")


def problems(item: Mapping[str, Any]) -> list[str]:
    """What is wrong with one corpus item (an empty list when nothing is)."""
    out = []
    if set(item) != KEYS:
        out.append(f"keys {sorted(set(item) ^ KEYS)} differ from the schema")
    if item.get("lang") not in LANGUAGES:
        out.append(f"unknown language {item.get('lang')!r}")
    if not _ID.fullmatch(str(item.get("id"))):
        out.append(f"bad id {item.get('id')!r}")
    if not str(item.get("variant", "")).startswith(str(item.get("lang"))):
        out.append("variant does not match lang")
    label = item.get("label")
    if label not in (0, 1):
        out.append("label must be 0 or 1")
    categories, kinds = (frozenset(CATEGORIES), POSITIVE_KINDS) if label == 1 else (NEGATIVE_CATEGORIES, NEGATIVE_KINDS)
    if item.get("category") not in categories:
        out.append(f"category {item.get('category')!r} not allowed for label {label}")
    if item.get("kind") not in kinds:
        out.append(f"kind {item.get('kind')!r} not allowed for label {label}")
    if item.get("form") not in FORMS:
        out.append(f"unknown form {item.get('form')!r}")
    if not str(item.get("title", "")).strip() or not str(item.get("incident", "")).strip():
        out.append("empty title or incident")
    if (item.get("form") == "headline_only") != (not str(item.get("summary", "")).strip()):
        out.append("a summary is empty exactly when the form is headline_only")
    return out
