"""A moderator's pending rule change: a list of operations previewed on past stories before it is applied."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.classify.rules import GuildRules, check_concept, check_weight, clean_term


@dataclass(frozen=True, slots=True)
class RuleOp:
    action: str  # add | block | force | remove | threshold
    term: str = ""
    concept: str | None = None
    weight: float = 0.8
    threshold: float | None = None

    def describe(self) -> str:
        if self.action == "add":
            return f"add “{self.term}” to {self.concept} (weight {self.weight:.2f})"
        if self.action == "threshold":
            return f"threshold {'default' if self.threshold is None else f'{self.threshold:.2f}'}"
        return f"{self.action} “{self.term}”"


def make_op(
    action: str, term: str = "", concept: str | None = None, weight: float = 0.8, threshold: float | None = None
) -> RuleOp:
    """A checked operation: bad terms, concepts, weights or thresholds raise RuleError with a plain message."""
    if action == "add":
        return RuleOp("add", clean_term(term), check_concept(concept or ""), check_weight(weight))
    if action in ("block", "force"):
        return RuleOp(action, clean_term(term))
    if action == "remove":
        return RuleOp("remove", " ".join(term.split()).lower())
    GuildRules(guild_id=0).with_threshold(threshold)
    return RuleOp("threshold", threshold=threshold)


def apply_to(rules: GuildRules, ops: list[RuleOp]) -> GuildRules:
    """The rules as they would be after `ops` (a new value; nothing stored)."""
    for op in ops:
        if op.action == "add":
            rules = rules.with_added(op.term, op.concept or "", op.weight)
        elif op.action == "block":
            rules = rules.with_blocked(op.term)
        elif op.action == "force":
            rules = rules.with_forced(op.term)
        elif op.action == "remove":
            rules = rules.without(op.term)
        else:
            rules = rules.with_threshold(op.threshold)
    return rules


@dataclass
class PendingChanges:
    """Per guild, the operations a moderator staged; kept in memory: a preview is a moment's UI state."""

    by_guild: dict[int, list[RuleOp]] = field(default_factory=dict)

    def stage(self, guild_id: int, op: RuleOp) -> list[RuleOp]:
        ops = self.by_guild.setdefault(guild_id, [])
        ops.append(op)
        return list(ops)

    def get(self, guild_id: int) -> list[RuleOp]:
        return list(self.by_guild.get(guild_id, []))

    def clear(self, guild_id: int) -> list[RuleOp]:
        return self.by_guild.pop(guild_id, [])
