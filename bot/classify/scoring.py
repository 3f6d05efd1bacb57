"""From term hits to a verdict.

The score is the strength of the best ties between a breach event and surveillance data, where a tie is the product
of the two terms' weights and of how close they are (same sentence or both in the headline: 1; headline and summary:
0.9; far ends of an article: 0.4). Non-breach cues (bans, fines, lawsuits), flaws without exposure and hypothetical
wording ("could allow") then pull it down.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from bot.classify.lexicon import CATEGORIES, WEAK_BREACH, Kind
from bot.classify.matcher import Hit
from bot.classify.verdict import Reason, Verdict

# How far (characters) after a hypothetical cue its doubt reaches, within one sentence.
_MODAL_REACH = 60
# Weights of the 2nd and 3rd best ties when combined with the best: corroboration helps, but less.
_CORROBORATION = (1.0, 0.5, 0.25)
# How hard each kind of counter-evidence pulls a score down at full strength.
_NEGATIVE_PULL = 0.55
_VULN_PULL = 0.6
_NO_EXPLOIT_PULL = 0.75
# A breach term this strong, not under a hypothetical, means the data really went somewhere.
_REAL_BREACH = 0.7
# A mask hides breach and surveillance readings of its words; a flaw it contains still counts as a flaw.
_MASKABLE = frozenset({Kind.BREACH, Kind.SURVEILLANCE})


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the sentences are in the normalised text: title sentences first, then summary, then article body."""

    marks: Sequence[int]  # offsets of the sentence marks
    title_count: int
    lead_end: int  # sentences before this index are title or summary

    def sentence(self, pos: int) -> int:
        return bisect_right(self.marks, pos)

    def proximity(self, i: int, j: int) -> float:
        if i == j:
            return 1.0
        if i > j:
            i, j = j, i
        if j < self.title_count:
            return 1.0
        if j < self.lead_end:
            if i < self.title_count:
                return 0.9
            return 0.85 if j - i == 1 else 0.75
        if i < self.lead_end:
            return 0.7 if j - self.lead_end < 3 else 0.5
        gap = j - i
        return 0.75 if gap == 1 else 0.6 if gap == 2 else 0.4

    def placement(self, i: int) -> float:
        """Weight of a cue by where it sits: the headline and summary say what a story is about."""
        return 1.0 if i < self.lead_end else 0.5


@dataclass(slots=True)
class _Scored:
    hit: Hit
    sent: int
    weight: float


def _noisy_or(values: Sequence[float]) -> float:
    out = 1.0
    for v in values:
        out *= 1.0 - v
    return 1.0 - out


def _surface(text: str, hit: Hit) -> str:
    """The words of the text a term matched, whole: "pirat*" shows as "piratee", "*leck" as "datenleck"."""
    start = text.rfind(" ", 0, hit.start) + 1
    end = text.find(" ", hit.end)
    return text[start : end if end >= 0 else len(text)]


def score_hits(
    hits: Sequence[Hit], layout: Layout, threshold: float, lang: str | None, text: str = ""
) -> Verdict:
    masks = [(h.start, h.end) for h in hits if h.term.kind is Kind.MASK]
    groups: dict[Kind, list[_Scored]] = {}
    evidence: dict[str, set[str]] = {}
    for h in hits:
        kind = h.term.kind
        if kind is Kind.MASK:
            continue
        if masks and kind in _MASKABLE and any(a <= h.start and h.end <= b for a, b in masks):
            continue
        groups.setdefault(kind, []).append(_Scored(h, layout.sentence(h.start), h.term.weight))
        evidence.setdefault(h.term.concept, set()).add(_surface(text, h) if text else h.term.display)

    breach = groups.get(Kind.BREACH, [])
    surveillance = groups.get(Kind.SURVEILLANCE, [])
    modals = groups.get(Kind.HYPOTHETICAL, [])
    actors = groups.get(Kind.ACTOR, [])

    for b in breach:
        for m in modals:
            if m.sent == b.sent and m.hit.start <= b.hit.start and b.hit.start - m.hit.end <= _MODAL_REACH:
                b.weight = min(b.weight, b.hit.term.weight * (1.0 - m.weight))
        if b.hit.term.concept in WEAK_BREACH:
            for a in actors:
                promoted = a.weight * layout.proximity(a.sent, b.sent)
                if promoted > b.weight and layout.proximity(a.sent, b.sent) >= 0.85:
                    b.weight = promoted

    tie_concepts: dict[str, float] = {}
    for s in surveillance:
        best = 0.0
        for b in breach:
            best = max(best, b.weight * layout.proximity(s.sent, b.sent))
        tie = s.weight * best
        concept = s.hit.term.concept
        if tie > tie_concepts.get(concept, 0.0):
            tie_concepts[concept] = tie
    # Corroboration counts across kinds of surveillance data, not synonyms of one kind.
    ranked = sorted(tie_concepts.values(), reverse=True)[: len(_CORROBORATION)]
    raw = _noisy_or([t * f for t, f in zip(ranked, _CORROBORATION, strict=False)])

    def placed(kind: Kind) -> float:
        # Distinct cues add up with diminishing weight: five words about one fine are not five fines.
        best: dict[str, float] = {}
        for s in groups.get(kind, []):
            w = s.hit.term.weight * layout.placement(s.sent)
            best[s.hit.term.display] = max(best.get(s.hit.term.display, 0.0), w)
        ranked = sorted(best.values(), reverse=True)[: len(_CORROBORATION)]
        return _noisy_or([v * f for v, f in zip(ranked, _CORROBORATION, strict=False)])

    negative = placed(Kind.NEGATIVE)
    vulnerability = placed(Kind.VULNERABILITY)
    no_exploit = placed(Kind.NO_EXPLOITATION)
    real = max((b.weight for b in breach if b.hit.term.concept not in WEAK_BREACH), default=0.0)
    real = real if real >= _REAL_BREACH else 0.0

    # A plainly worded breach outweighs a mention of a fine or a lawsuit (often about that very breach).
    score = raw * (1.0 - _NEGATIVE_PULL * negative * (1.0 - 0.5 * real))
    score *= 1.0 - _VULN_PULL * vulnerability * (1.0 - real)
    if vulnerability or modals:
        score *= 1.0 - _NO_EXPLOIT_PULL * no_exploit
    score = max(0.0, min(1.0, score))

    blocked = Kind.BLOCK in groups
    forced = Kind.FORCE in groups and not blocked
    match = forced or (not blocked and score >= threshold)

    top_breach = max((b.weight for b in breach), default=0.0)
    top_surv = max((s.weight for s in surveillance), default=0.0)
    if match:
        floor = max(tie_concepts.values(), default=0.0) * 0.4
        cats = [c for c, t in sorted(tie_concepts.items(), key=lambda kv: -kv[1]) if t > 0 and t >= floor]
    else:
        by_weight: dict[str, float] = {}
        for s in surveillance:
            c = s.hit.term.concept
            by_weight[c] = max(by_weight.get(c, 0.0), s.weight)
        cats = [c for c, w in sorted(by_weight.items(), key=lambda kv: -kv[1]) if w >= 0.5]
    cats = [c for c in cats if c in CATEGORIES]

    reason: Reason | None = None
    if not match:
        if blocked:
            reason = Reason.BLOCKED_BY_RULE
        elif vulnerability >= 0.4 and top_surv >= 0.4:
            reason = Reason.VULNERABILITY_NO_EXPOSURE
        elif top_breach >= 0.5 and top_surv < 0.5:
            reason = Reason.NON_SURVEILLANCE_BREACH
        elif top_surv >= 0.5 and (top_breach < 0.5 or negative >= 0.3):
            reason = Reason.SURVEILLANCE_NO_BREACH
        elif top_breach >= 0.5:
            reason = Reason.NON_SURVEILLANCE_BREACH
        elif top_surv >= 0.4:
            reason = Reason.SURVEILLANCE_NO_BREACH
        else:
            reason = Reason.NO_BREACH_EVENT

    return Verdict(
        match=match,
        score=score,
        categories=tuple(cats),
        evidence={k: tuple(sorted(v)) for k, v in sorted(evidence.items())},
        reason=reason,
        lang=lang,
        forced=forced,
    )
