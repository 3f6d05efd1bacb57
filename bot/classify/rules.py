"""Per-guild tuning as a pure value, and the cache of compiled classifiers it selects.

A guild's effective classifier is the bundled lexicons plus its own terms (added to a concept with a weight,
blocked: any story containing one never alerts, forced: any story containing one always alerts) and its threshold.
Compiling it rebuilds the automaton, so the result is cached under (guild_id, rules_version): storage bumps the
version on every change, which is what invalidates the entry.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.classify.classifier import DEFAULT_THRESHOLD, Classifier, default_classifier
from bot.classify.lexicon import ANY_LANG, CONCEPT_KINDS, Kind, LexiconError, TermSpec, default_terms
from bot.classify.matcher import expand
from bot.core.notes import Note
from bot.i18n import t

ACTIONS = ("add", "block", "force")
# Concepts a moderator may add terms to: evidence and counter-evidence, not the matcher's internals.
ADDABLE_KINDS = frozenset(
    {Kind.BREACH, Kind.SURVEILLANCE, Kind.NEGATIVE, Kind.VULNERABILITY, Kind.NO_EXPLOITATION, Kind.ACTOR}
)
MAX_TERM_LENGTH = 100


class RuleError(ValueError):
    """A rule a moderator cannot have: unknown concept, weight out of range, a term with no words. `note` explains it
    in the moderator's language; str() is the English."""

    def __init__(self, msg_id: str, **params: Any) -> None:
        self.note = Note(msg_id, params)
        super().__init__(t("en", msg_id, **params))


@dataclass(frozen=True, slots=True)
class RuleTerm:
    term: str
    concept: str
    weight: float = 0.8


def clean_term(term: str) -> str:
    """The stored form of a rule's term: trimmed, single-spaced, lower-case; checked to compile."""
    text = " ".join(term.split()).lower()
    if sum(ch.isalnum() for ch in text) < 2:
        raise RuleError("rules.too_short")
    if len(text) > MAX_TERM_LENGTH:
        raise RuleError("rules.too_long", limit=MAX_TERM_LENGTH)
    try:
        expand(TermSpec(text, "blocked", 1.0, ANY_LANG))
    except LexiconError as exc:
        raise RuleError("rules.unusable", error=str(exc)) from exc
    return text


def check_concept(concept: str) -> str:
    kind = CONCEPT_KINDS.get(concept)
    if kind is None or kind not in ADDABLE_KINDS:
        allowed = sorted(c for c, k in CONCEPT_KINDS.items() if k in ADDABLE_KINDS)
        raise RuleError("rules.unknown_concept", concept=concept, allowed=", ".join(allowed))
    return concept


def check_weight(weight: float) -> float:
    if not 0.0 <= weight <= 1.0:
        raise RuleError("rules.weight")
    return float(weight)


def check_threshold(threshold: float | None) -> float | None:
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise RuleError("rules.threshold")
    return threshold


@dataclass(frozen=True, slots=True)
class GuildRules:
    guild_id: int
    version: int = 0
    added: tuple[RuleTerm, ...] = ()
    blocked: tuple[str, ...] = ()
    forced: tuple[str, ...] = ()
    threshold: float | None = None

    @property
    def is_default(self) -> bool:
        return not (self.added or self.blocked or self.forced) and self.threshold is None

    @property
    def rule_count(self) -> int:
        """Rules as stored: one per term and action."""
        return len(self.added) + len(self.blocked) + len(self.forced)

    @property
    def effective_threshold(self) -> float:
        return DEFAULT_THRESHOLD if self.threshold is None else self.threshold

    def specs(self) -> list[TermSpec]:
        out = [TermSpec(t.term, t.concept, t.weight, ANY_LANG) for t in self.added]
        out += [TermSpec(t, "blocked", 1.0, ANY_LANG) for t in self.blocked]
        out += [TermSpec(t, "forced", 1.0, ANY_LANG) for t in self.forced]
        return out

    # Proposals for a backtest: new values, same version (they are never cached).
    def with_added(self, term: str, concept: str, weight: float = 0.8) -> GuildRules:
        rule = RuleTerm(clean_term(term), check_concept(concept), check_weight(weight))
        kept = tuple(t for t in self.added if t.term != rule.term)
        return replace(self, added=(*kept, rule))

    def with_blocked(self, term: str) -> GuildRules:
        term = clean_term(term)
        return replace(self, blocked=tuple(dict.fromkeys((*self.blocked, term))))

    def with_forced(self, term: str) -> GuildRules:
        term = clean_term(term)
        return replace(self, forced=tuple(dict.fromkeys((*self.forced, term))))

    def without(self, term: str) -> GuildRules:
        term = " ".join(term.split()).lower()
        return replace(
            self,
            added=tuple(t for t in self.added if t.term != term),
            blocked=tuple(t for t in self.blocked if t != term),
            forced=tuple(t for t in self.forced if t != term),
        )

    def with_threshold(self, threshold: float | None) -> GuildRules:
        return replace(self, threshold=check_threshold(threshold))


def compile_rules(rules: GuildRules | None, base: Sequence[TermSpec] | None = None) -> Classifier:
    """A fresh classifier for these rules (uncached: for proposals and tests)."""
    if rules is None or (rules.is_default and base is None):
        return default_classifier()
    terms = list(default_terms() if base is None else base)
    threshold = DEFAULT_THRESHOLD if rules is None else rules.effective_threshold
    return Classifier([*terms, *rules.specs()], threshold)


# The defaults of the one cache the runtime builds (BREACHWATCH_CLASSIFIER_CACHE_GUILDS and _MB).
CACHE_GUILDS = 64
CACHE_BYTES = 256 * 1024 * 1024


@dataclass
class ClassifierCache:
    """Compiled classifiers per guild, keyed by (guild_id, rules_version); least recently used evicted.

    Bounded twice: at most `max_guilds` entries and at most about `max_bytes` of them (a tuned guild's classifier
    holds its own automaton, about 4.5 MB with the bundled lexicons, more with many terms). A classifier larger
    than `max_bytes` on its own is returned but not kept.
    """

    max_guilds: int = CACHE_GUILDS
    max_bytes: int = CACHE_BYTES
    compiles: int = 0  # how many times a classifier was built (observable for tests and metrics)
    bytes: int = 0  # the approximate size of what is cached now
    _entries: OrderedDict[int, tuple[int, Classifier, int]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, rules: GuildRules | None) -> Classifier:
        if rules is None or rules.is_default:
            return default_classifier()
        with self._lock:
            entry = self._entries.get(rules.guild_id)
            if entry is not None and entry[0] == rules.version:
                self._entries.move_to_end(rules.guild_id)
                return entry[1]
        classifier = compile_rules(rules)
        size = classifier.approx_bytes()
        with self._lock:
            self.compiles += 1
            self._drop(rules.guild_id)
            if size <= self.max_bytes:
                self._entries[rules.guild_id] = (rules.version, classifier, size)
                self.bytes += size
            while len(self._entries) > self.max_guilds or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return classifier

    def _drop(self, guild_id: int) -> None:
        entry = self._entries.pop(guild_id, None)
        if entry is not None:
            self.bytes -= entry[2]

    def invalidate(self, guild_id: int) -> None:
        with self._lock:
            self._drop(guild_id)

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        # A cache is there even while empty: with __len__ alone, `cache or ClassifierCache()` (the fan-out's
        # GuildJudge) took the runtime's fresh, empty cache for none and built a second, unbounded-by-bytes one.
        return True
