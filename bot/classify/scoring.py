"""From term hits to a verdict.

The score is the strength of the best ties between a breach event and surveillance data, where a tie is the product
of the two terms' weights and of how close they are (same sentence or both in the headline: 1; headline and summary:
0.9; far ends of an article: 0.4). Ties of different kinds of surveillance data corroborate each other. Non-breach
cues (bans, fines, lawsuits), flaws without exposure and hypothetical wording ("could allow") then pull it down.

This runs for every story, so it works on plain tuples and locals rather than objects.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import NamedTuple

from bot.classify.lexicon import WEAK_BREACH, Kind
from bot.classify.matcher import Entry, Hit
from bot.classify.verdict import Reason, Verdict
from bot.core.categories import CATEGORIES

# How far (characters) after a hypothetical cue its doubt reaches, within one sentence.
_MODAL_REACH = 60
# Weights of the 2nd and 3rd strongest pieces of evidence when combined with the strongest: they help, less.
_CORROBORATION = (1.0, 0.5, 0.25)
# How hard each kind of counter-evidence pulls a score down at full strength.
_NEGATIVE_PULL = 0.55
_VULN_PULL = 0.6
_NO_EXPLOIT_PULL = 0.75
# A breach term this strong, not under a hypothetical, means the data really went somewhere.
_REAL_BREACH = 0.7
# An actor (criminal, insider) promotes a weak access verb only when this close to it.
_ACTOR_REACH = 0.85
# An insider's plain "viewed" or "searched" is abuse only against the records insiders are trusted with (a
# database look-up); officers who "viewed CCTV footage of the robbery" were doing their job.
_INSIDER = "insider_actor"
_INSIDER_RECORDS = frozenset({"police_db"})

_BREACH = Kind.BREACH
_SURVEILLANCE = Kind.SURVEILLANCE
_MASK = Kind.MASK
_HYPOTHETICAL = Kind.HYPOTHETICAL
_ACTOR = Kind.ACTOR
_NEGATIVE = Kind.NEGATIVE
_VULNERABILITY = Kind.VULNERABILITY
_NO_EXPLOITATION = Kind.NO_EXPLOITATION
_BLOCK = Kind.BLOCK
_FORCE = Kind.FORCE
# A mask hides breach and surveillance readings of its words (see _hidden); a flaw it contains still counts.
# Enum members are looked up through a descriptor on every access; module constants are plain loads.
_BLOCKED_BY_RULE = Reason.BLOCKED_BY_RULE
_VULNERABILITY_NO_EXPOSURE = Reason.VULNERABILITY_NO_EXPOSURE
_NON_SURVEILLANCE_BREACH = Reason.NON_SURVEILLANCE_BREACH
_SURVEILLANCE_NO_BREACH = Reason.SURVEILLANCE_NO_BREACH
_NO_BREACH_EVENT = Reason.NO_BREACH_EVENT
_CATEGORY_SET = frozenset(CATEGORIES)
_VALUE = itemgetter(1)


class Layout(NamedTuple):
    """Where the sentences are in the normalised text: title sentences first, then summary, then article body.
    (A named tuple: one is built per story, and a frozen dataclass costs several times more to build.)"""

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


def _combine(values: list[float]) -> float:
    """Noisy-or of the strongest values with diminishing weights."""
    if len(values) == 1:
        # The loop below for one value, float operation for float operation (v * 1.0 and 1.0 * x are exact).
        return 1.0 - (1.0 - values[0])
    values.sort(reverse=True)
    out = 1.0
    for v, f in zip(values, _CORROBORATION, strict=False):
        out *= 1.0 - v * f
    return 1.0 - out


def _cue_strength(items: list[tuple[int, str, float]], layout: Layout) -> float:
    best: dict[str, float] = {}
    lead_end = layout.lead_end
    for sent, display, weight in items:
        w = weight * (1.0 if sent < lead_end else 0.5)  # layout.placement, inlined
        if w > best.get(display, 0.0):
            best[display] = w
    return _combine(list(best.values())) if best else 0.0


def _hidden(start: int, end: int, kind: Kind, masks: list[tuple[int, int]]) -> bool:
    """A mask hides breach and surveillance readings inside it, and a breach reading of exactly its words; a
    surveillance name spelled exactly like a mask is that name ("Hacking Team" masks "hacking", not the vendor)."""
    if kind is _BREACH:
        return any(a <= start and end <= b for a, b in masks)
    if kind is _SURVEILLANCE:
        return any(a <= start and end <= b and end - start < b - a for a, b in masks)
    return False


def _unmasked(hits: Sequence[Hit], masks: list[tuple[int, int]]) -> list[Hit]:
    """The hits a mask does not hide ("credit monitoring" hides "monitoring"), masks themselves dropped."""
    return [h for h in hits if h[2].kind is not _MASK and not _hidden(h[0], h[1], h[2].kind, masks)]


def score_hits(hits: Sequence[Hit], layout: Layout, threshold: float, lang: str | None, text: str = "") -> Verdict:
    marks = layout.marks
    # Breach hits: (sentence, start, base weight, weak?); their weights are adjusted below.
    breaches: list[tuple[int, int, float, bool]] = []
    surveillance: list[tuple[int, float, str]] = []
    modals: list[tuple[int, int, int, float]] = []
    actors: list[tuple[int, float, bool]] = []
    negative: list[tuple[int, str, float]] = []
    vulnerability: list[tuple[int, str, float]] = []
    no_exploit: list[tuple[int, str, float]] = []
    blocked = forced = False
    evidence: dict[str, set[str]] = {}
    last_start = last_end = -1
    shown = ""
    for start, end, term in hits:
        # Most frequent kinds first.
        kind = term.kind
        if kind is _SURVEILLANCE:
            surveillance.append((bisect_right(marks, start), term.weight, term.concept))
        elif kind is _BREACH:
            breaches.append((bisect_right(marks, start), start, term.weight, term.concept in WEAK_BREACH))
        elif kind is _NEGATIVE:
            negative.append((bisect_right(marks, start), term.display, term.weight))
        elif kind is _VULNERABILITY:
            vulnerability.append((bisect_right(marks, start), term.display, term.weight))
        elif kind is _ACTOR:
            actors.append((bisect_right(marks, start), term.weight, term.concept == _INSIDER))
        elif kind is _HYPOTHETICAL:
            modals.append((bisect_right(marks, start), start, end, term.weight))
        elif kind is _NO_EXPLOITATION:
            no_exploit.append((bisect_right(marks, start), term.display, term.weight))
        elif kind is _MASK:
            # Rare: start again without the masks and what they hide.
            masks = [(a, b) for a, b, t in hits if t.kind is _MASK]
            return score_hits(_unmasked(hits, masks), layout, threshold, lang, text)
        elif kind is _BLOCK:
            blocked = True
        elif kind is _FORCE:
            forced = True
        if not text:
            shown = term.display
        elif start != last_start or end != last_end:
            # The whole words the term matched: "pirat*" shows as "piratee", "*leck" as "datenleck". Terms that
            # share a pattern share the words.
            last_start = start
            last_end = end
            a = text.rfind(" ", 0, start) + 1
            b = text.find(" ", end)
            shown = text[a:b] if b >= 0 else text[a:]
        bucket = evidence.get(term.concept)
        if bucket is None:
            evidence[term.concept] = {shown}
        else:
            bucket.add(shown)
    return _judge(
        layout, threshold, lang, breaches, surveillance, modals, actors, negative, vulnerability, no_exploit,
        blocked, forced, evidence,
    )  # fmt: skip


def score_matches(
    matches: Iterable[tuple[int, Entry]], slot: int, layout: Layout, threshold: float, lang: str | None, text: str
) -> Verdict | None:
    """score_hits fused with Matcher.scan over the automaton's own matches: the sentence and the words shown are
    worked out once per matched pattern rather than once per term. None when a mask matched (rare): then the
    caller scores the hits with score_hits."""
    marks = layout.marks
    breaches: list[tuple[int, int, float, bool]] = []
    surveillance: list[tuple[int, float, str]] = []
    modals: list[tuple[int, int, int, float]] = []
    actors: list[tuple[int, float, bool]] = []
    negative: list[tuple[int, str, float]] = []
    vulnerability: list[tuple[int, str, float]] = []
    no_exploit: list[tuple[int, str, float]] = []
    blocked = forced = False
    evidence: dict[str, set[str]] = {}
    for end, (back, trail, shown, _, by_lang) in matches:
        terms = by_lang[slot]
        if not terms:
            continue
        start = end - back
        sent = bisect_right(marks, start)
        if shown is None:
            a = text.rfind(" ", 0, start) + 1
            b = text.find(" ", end + 1 - trail)
            shown = text[a:b] if b >= 0 else text[a:]
        for term in terms:
            kind = term.kind
            if kind is _SURVEILLANCE:
                surveillance.append((sent, term.weight, term.concept))
            elif kind is _BREACH:
                breaches.append((sent, start, term.weight, term.concept in WEAK_BREACH))
            elif kind is _NEGATIVE:
                negative.append((sent, term.display, term.weight))
            elif kind is _VULNERABILITY:
                vulnerability.append((sent, term.display, term.weight))
            elif kind is _ACTOR:
                actors.append((sent, term.weight, term.concept == _INSIDER))
            elif kind is _HYPOTHETICAL:
                modals.append((sent, start, end + 1 - trail, term.weight))
            elif kind is _NO_EXPLOITATION:
                no_exploit.append((sent, term.display, term.weight))
            elif kind is _MASK:
                return None
            elif kind is _BLOCK:
                blocked = True
            elif kind is _FORCE:
                forced = True
            bucket = evidence.get(term.concept)
            if bucket is None:
                evidence[term.concept] = {shown}
            else:
                bucket.add(shown)
    return _judge(
        layout, threshold, lang, breaches, surveillance, modals, actors, negative, vulnerability, no_exploit,
        blocked, forced, evidence,
    )  # fmt: skip


def _judge(
    layout: Layout,
    threshold: float,
    lang: str | None,
    breaches: list[tuple[int, int, float, bool]],
    surveillance: list[tuple[int, float, str]],
    modals: list[tuple[int, int, int, float]],
    actors: list[tuple[int, float, bool]],
    negative: list[tuple[int, str, float]],
    vulnerability: list[tuple[int, str, float]],
    no_exploit: list[tuple[int, str, float]],
    blocked: bool,
    forced: bool,
    evidence: dict[str, set[str]],
) -> Verdict:
    """The verdict from the hits sorted by kind: (sentence, start, weight, weak?) per breach, (sentence, weight,
    concept) per surveillance term, (sentence, start, end, weight) per hypothetical, (sentence, weight) per
    actor, (sentence, display, weight) per cue, and the words shown per concept."""
    proximity = layout.proximity
    b_weight: list[float] = []
    b_outsider: list[float] = []  # the same, promoted by illicit actors only
    real = 0.0
    tie_concepts: dict[str, float] = {}
    if breaches:
        for sent, b_start, base, weak in breaches:
            weight = base
            for m_sent, m_start, m_end, m_weight in modals:
                if m_sent == sent and m_start <= b_start and b_start - m_end <= _MODAL_REACH:
                    weight = min(weight, base * (1.0 - m_weight))
            outsider = weight
            if weak:
                for a_sent, a_weight, insider in actors:
                    reach = proximity(a_sent, sent)
                    if reach >= _ACTOR_REACH:
                        if a_weight * reach > weight:
                            weight = a_weight * reach
                        if not insider and a_weight * reach > outsider:
                            outsider = a_weight * reach
            elif weight > real:
                real = weight
            b_weight.append(weight)
            b_outsider.append(outsider)
        # Closeness depends on sentences only, so the strongest breach per sentence is all a tie needs, and each
        # sentence of surveillance terms needs its best tie computed once (per kind of record: see _INSIDER_RECORDS).
        strongest: dict[int, float] = {}
        strongest_outsider: dict[int, float] = {}
        for (sent, _, _, _), weight, outsider in zip(breaches, b_weight, b_outsider, strict=True):
            if weight > strongest.get(sent, -1.0):
                strongest[sent] = weight
            if outsider > strongest_outsider.get(sent, -1.0):
                strongest_outsider[sent] = outsider
        best_by_sent: dict[tuple[int, bool], float] = {}
        for s_sent, s_weight, concept in surveillance:
            records = concept in _INSIDER_RECORDS
            best = best_by_sent.get((s_sent, records))
            if best is None:
                best = 0.0
                for sent, weight in (strongest if records else strongest_outsider).items():
                    v = weight * (1.0 if sent == s_sent else proximity(s_sent, sent))
                    if v > best:
                        best = v
                best_by_sent[(s_sent, records)] = best
            tie = s_weight * best
            if tie > tie_concepts.get(concept, 0.0):
                tie_concepts[concept] = tie
    raw = _combine(list(tie_concepts.values())) if tie_concepts else 0.0

    top_breach = max(b_weight) if b_weight else 0.0
    real = real if real >= _REAL_BREACH else 0.0
    if real and negative:
        # A headline about a ruling, fine or ban with the breach only in the summary is news about that ruling
        # ("NSO loses appeal", then what the hacks were): the breach wording then does not blunt the cue.
        titles = layout.title_count
        if any(sent < titles for sent, _, _ in negative) and not any(
            sent < titles and weight >= 0.5 for (sent, _, _, _), weight in zip(breaches, b_weight, strict=True)
        ):
            real = 0.0
    neg = _cue_strength(negative, layout) if negative else 0.0
    vuln = _cue_strength(vulnerability, layout) if vulnerability else 0.0

    score = raw
    if raw > 0.0:
        # A plainly worded breach outweighs a mention of a fine or a lawsuit (often about that very breach).
        score *= 1.0 - _NEGATIVE_PULL * neg * (1.0 - 0.5 * real)
        score *= 1.0 - _VULN_PULL * vuln * (1.0 - real)
        if no_exploit and (vuln or modals):
            score *= 1.0 - _NO_EXPLOIT_PULL * _cue_strength(no_exploit, layout)
        score = max(0.0, min(1.0, score))

    forced = forced and not blocked
    match = forced or (not blocked and score >= threshold)

    cats: tuple[str, ...] = ()
    reason: Reason | None = None
    if match:
        if tie_concepts:
            floor = max(tie_concepts.values()) * 0.4
            # Strongest first; equal ones keep the order they were met in (the sort is stable).
            ordered = (
                sorted(tie_concepts.items(), key=_VALUE, reverse=True)
                if len(tie_concepts) > 1
                else tie_concepts.items()
            )
            cats = tuple([c for c, t in ordered if t > 0 and t >= floor and c in _CATEGORY_SET])
    else:
        top_surv = 0.0
        by_weight: dict[str, float] = {}
        for _, w, c in surveillance:
            if w > top_surv:
                top_surv = w
            if w > by_weight.get(c, 0.0):
                by_weight[c] = w
        if by_weight:
            ordered = sorted(by_weight.items(), key=_VALUE, reverse=True) if len(by_weight) > 1 else by_weight.items()
            cats = tuple([c for c, w in ordered if w >= 0.5 and c in _CATEGORY_SET])
        if blocked:
            reason = _BLOCKED_BY_RULE
        elif vuln >= 0.4 and top_surv >= 0.4:
            reason = _VULNERABILITY_NO_EXPOSURE
        elif top_breach >= 0.5 and top_surv < 0.5:
            reason = _NON_SURVEILLANCE_BREACH
        elif top_surv >= 0.5 and (top_breach < 0.5 or neg >= 0.3):
            reason = _SURVEILLANCE_NO_BREACH
        elif top_breach >= 0.5:
            reason = _NON_SURVEILLANCE_BREACH
        elif top_surv >= 0.4:
            reason = _SURVEILLANCE_NO_BREACH
        else:
            reason = _NO_BREACH_EVENT

    shown_by_concept: dict[str, tuple[str, ...]] = {}
    for concept in sorted(evidence):
        words = evidence[concept]
        shown_by_concept[concept] = tuple(sorted(words)) if len(words) > 1 else tuple(words)
    return Verdict(match, score, cats, shown_by_concept, reason, lang, forced)
