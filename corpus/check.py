"""Check corpus files against corpus/README.md: python corpus/check.py corpus/train/fr.jsonl [...]"""

from __future__ import annotations

import collections
import json
import re
import sys

LANGS = {"en", "fr", "de", "es", "it", "pt", "nl"}
POS_CATS = {
    "cctv",
    "alpr",
    "facial_recognition",
    "biometrics",
    "location",
    "spyware",
    "intercept",
    "police_db",
    "monitoring",
}
NEG_CATS = {
    "surveillance_no_breach",
    "non_surveillance_breach",
    "vulnerability_no_exposure",
    "crime_on_camera",
    "unrelated",
}
POS_KINDS = {
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
NEG_KINDS = {
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
FORMS = {"teaser", "wire", "long_lead", "question", "headline_only"}
KEYS = {"id", "incident", "lang", "variant", "title", "summary", "label", "category", "kind", "form"}


def check(path: str) -> int:
    errors = 0
    seen: set[str] = set()
    titles: set[str] = set()
    counts: collections.Counter[str] = collections.Counter()
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"{path}:{n}: not JSON: {exc}")
                errors += 1
                continue
            problems = []
            if set(item) != KEYS:
                problems.append(f"keys {sorted(set(item) ^ KEYS)} differ")
            if item.get("id") in seen:
                problems.append("duplicate id")
            seen.add(item.get("id"))
            if item.get("lang") not in LANGS:
                problems.append("bad lang")
            if not re.fullmatch(r"(sa-)?[a-z]{2}-\d{3,4}", str(item.get("id"))):
                problems.append("bad id")
            if not str(item.get("variant", "")).startswith(str(item.get("lang"))):
                problems.append("variant does not match lang")
            label = item.get("label")
            cats, kinds = (POS_CATS, POS_KINDS) if label == 1 else (NEG_CATS, NEG_KINDS)
            if label not in (0, 1):
                problems.append("label must be 0 or 1")
            if item.get("category") not in cats:
                problems.append(f"category {item.get('category')!r} not allowed for label {label}")
            if item.get("kind") not in kinds:
                problems.append(f"kind {item.get('kind')!r} not allowed for label {label}")
            if item.get("form") not in FORMS:
                problems.append("bad form")
            if not str(item.get("title", "")).strip() or not str(item.get("incident", "")).strip():
                problems.append("empty title or incident")
            if (item.get("form") == "headline_only") != (not str(item.get("summary", "")).strip()):
                problems.append("headline_only iff summary is empty")
            key = str(item.get("title", "")).strip().lower()
            if key in titles:
                problems.append("duplicate title")
            titles.add(key)
            for p in problems:
                print(f"{path}:{n}: {item.get('id')}: {p}")
            errors += bool(problems)
            counts[f"label={label}"] += 1
            counts[f"{label}:{item.get('category')}"] += 1
            counts[f"form:{item.get('form')}"] += 1
    print(f"{path}: {sum(v for k, v in counts.items() if k.startswith('label='))} items, {errors} with problems")
    for key in sorted(counts):
        print(f"  {key}: {counts[key]}")
    return errors


if __name__ == "__main__":
    sys.exit(1 if sum(check(p) for p in sys.argv[1:]) else 0)
