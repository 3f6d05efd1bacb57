"""The same-incident decision: how strongly an article's signature agrees with a story's, and which story wins.

Agreement is the sum of weighted evidence: names both mention (rarer names weigh more, names in both titles more
still), numbers both give (the best cross-language evidence: "800,000" is "800 000" is "800.000"), distinctive
words both use (same language only), near-duplicate wording, and a little for shared data types. Words only
corroborate a shared name or number: alone they are the vocabulary of a kind of breach, which two towns' police
hacked the same week share. Names of agencies, outlets, and other incidents an article mentions in passing
("days after the X leak") count for less (see signature.py). Only stories inside the time window are
considered; nothing wins below the threshold.

Above all of that, the victims (roles.py): when both name whose data it was and the names differ, with neither
report mentioning the other's victim, they are two incidents however much else they share (the gang that posted
both companies' files, the regulator that fined both the same day), unless they give the same head count. When each
headline names one victim, a mention elsewhere is only background: only a supplier (a participant, or one a report
does not name) keeps the two together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from bot.stories import minhash
from bot.stories.pairing import Evidence, PairJudge, Vector, features
from bot.stories.signature import HEADLINE_NAME, Signature

THRESHOLD = 0.8
NEAR_DUPLICATE = 0.5  # estimated Jaccard of word pairs above which two texts are one text re-published
TITLE_BONUS = 1.25
NUMBER_TOLERANCE = 0.02
FOLLOW_UP_REACH = 2  # windows a follow-up naming the story's victim may come after the story's first report
MENTIONED = 0.3  # a victim's name this strong on the other side is mentioned there (context mentions count 0.25)


# Sentence-embedding similarity (multilingual-e5-small, cosine) as evidence: across languages, where names and
# numbers are all two reports may share, reports of one incident measured 0.82-0.92 and different incidents of
# the same week at most 0.83 (shared/corpus/dedupe_dev.jsonl); within one language different incidents reach
# 0.88, so there only a higher similarity counts, and only beside a shared name or number.
ACROSS_FROM, ACROSS_FULL = 0.84, 0.90
WITHIN_FROM, WITHIN_FULL = 0.88, 0.94
MEANING_WEIGHT = 0.8


@dataclass(frozen=True)
class Similarity:
    """The best cosine between the article's embedding and those of the story's articles in the article's own
    language and in any other; None where there is nothing to compare."""

    same_language: float | None = None
    other_language: float | None = None


@dataclass(frozen=True)
class Candidate:
    story_id: int
    signature: Signature
    similarity: Similarity | None = None


@dataclass(frozen=True)
class Agreement:
    score: float
    names: float
    numbers: float
    words: float
    near_duplicate: float
    victims_differ: float = 0.0  # 1 when the two name different victims: the score is then 0
    meaning: float = 0.0  # what the embeddings' similarity added
    raw: float = 0.0  # the score before the victims' veto
    probability: float | None = None  # the learned judgement's (pairing.py), where it decided
    # What the rules found on the way, kept for the learned judgement's features (pair_features).
    shared_kinds: int = 0
    headline_elsewhere: bool = False
    different_victims: bool = False
    another_incident: bool = False

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in self.__dict__.items() if v is not None}


def _names(article: Signature, story: Signature) -> float:
    """The most specific shared name counts fully, the others half: several everyday names (FBI, Microsoft)
    together do not make one specific one."""
    shared: list[float] = []
    titles = set(story.title_entities)
    for key, weight in (article.weak_entities | article.entities).items():
        other = story.entities.get(key)
        if other is None and key in article.entities:
            other = story.weak_entities.get(key)  # a weak name counts when the other side is sure of it
        if other is None:
            continue
        value = min(weight, other)
        if key in titles and key in article.title_entities:
            value *= TITLE_BONUS
        shared.append(value)
    if not shared:
        return 0.0
    shared.sort(reverse=True)
    return min(shared[0] + 0.5 * sum(shared[1:]), 2.5)


def _headline_elsewhere(article: Signature, story: Signature) -> bool:
    """Whether the article's headline names something specific the story never mentions while every name the two
    share comes from the article's body: "CBP contractor Kestrel hacked" beside a story about another CBP
    contractor. The shared names are then context, not the article's subject."""
    known = story.entities.keys() | story.weak_entities.keys()
    titles = set(article.title_entities)
    if not any(article.entities.get(k, 0.0) >= HEADLINE_NAME and k not in known for k in titles):
        return False
    shared = [k for k in article.entities.keys() | article.weak_entities.keys() if k in known]
    return not any(k in titles for k in shared)


def _numbers(article: Signature, story: Signature) -> float:
    total = 0.0
    for value, kind in article.numbers:
        for other, other_kind in story.numbers:
            if kind != other_kind and max(kind, other_kind) >= 2.0:
                continue  # a data size or a sum of money never matches a head count
            if abs(value - other) <= NUMBER_TOLERANCE * max(value, other):
                total += 0.7 if kind in (1.0, 2.0) or other_kind in (1.0, 2.0) else 0.4
                break
    return min(total, 1.4)


def _words(article: Signature, story: Signature) -> float:
    """Share of the article's distinctive-word weight that the story also has, in the article's language."""
    mine = article.terms.get(article.lang, {})
    theirs = story.terms.get(article.lang, {})
    if not mine or not theirs:
        return 0.0
    total = sum(mine.values())
    shared = sum(min(w, theirs[k]) for k, w in mine.items() if k in theirs)
    return shared / total if total else 0.0


def _near_duplicate(article: Signature, story: Signature) -> float:
    best = 0.0
    for mine in article.minhashes:
        for theirs in story.minhashes:
            best = max(best, minhash.similarity(mine, theirs))
    return best


def _same_victim(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """One organisation: a specific word of either name is in the other ("Halberd" and "Halberd Insurance",
    "Klinikgruppe Rabenau" and "Rabenau-Kliniken"), or, in one language, one name's words are all in the other."""
    if _other_kind(mine, theirs):
        return False
    keys, other_keys = set(mine["keys"]), set(theirs["keys"])
    if set(mine["specific"]) & other_keys or set(theirs["specific"]) & keys:
        return True
    if mine["lang"] != theirs["lang"] and any(_one_place(a, b) for a in mine["specific"] for b in theirs["specific"]):
        return True
    # Without the kind of body ("Prefeitura de Serra Alta", "Serra Alta"): the same words in any language, or in
    # one language one name's words all in the other's.
    core, other_core = _core(mine), _core(theirs)
    if core == other_core:
        return True
    return mine["lang"] == theirs["lang"] and (
        keys <= other_keys or other_keys <= keys or core <= other_core or other_core <= core
    )


def _other_kind(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Whether both say what kind of body they are and the kinds differ: "Landeskrankenhaus Mürzegg" and "Gemeinde
    Mürzegg", a town's hospital and its council, are two victims (roles.py's kind_of)."""
    kind, other = mine.get("kind") or "", theirs.get("kind") or ""
    return bool(kind and other and kind != other)


def _core(victim: dict[str, Any]) -> set[str]:
    """A victim's name without the words for the kind of body it is (roles.toml's place_heads and body_heads);
    victims stored before these were read have their whole name."""
    return set(victim.get("core") or victim["keys"])


def _one_place(a: str, b: str) -> bool:
    """One name as two languages spell it: "Brugge" and "Bruges" (accents are folded already) share all but
    their last two letters."""
    prefix = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return prefix >= max(4, min(len(a), len(b)) - 2)


def _comparable(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Whether two names can be told apart. Across languages only names written alike in every language are:
    "Ministerio de Sanidad" and "Ministry of Health" are one, with no word in common, and so are "Munich" and
    "München". Within one language, specific names, or everyday ones of several words."""
    if mine["lang"] != theirs["lang"]:
        # A town named as one is its own name in every language but a famous city's ("Comune di Roma", "City of
        # Rome"; "Stadt Bozen", "Comune di Bolzano"): it is told from a name written alike everywhere (the
        # Spanish hospital of Tordesa and the Portuguese town of Pinhal Novo), never from another town.
        mine_portable, theirs_portable = bool(mine.get("portable")), bool(theirs.get("portable"))
        return (
            (mine_portable or bool(mine.get("town")))
            and (theirs_portable or bool(theirs.get("town")))
            and (mine_portable or theirs_portable)
        )
    if mine["specific"] and theirs["specific"]:
        return True
    # A lone everyday word ("Handel", "BND-Personal") is too often a capitalised noun or a side mention; an
    # everyday name of several words ("ministerie van Justitie") says which body it is.
    return all(bool(v["specific"]) or len(v["keys"]) + bool(v.get("head")) >= 2 for v in (mine, theirs))


def _mentioned(victim: dict[str, Any], other: Signature) -> bool:
    # Words of a victim of the other's own, of another kind, are that one's name there: "Mürzegg" in "Gemeinde
    # Mürzegg" does not mention "Landeskrankenhaus Mürzegg".
    own = {k for v in other.victims if _other_kind(victim, v) for k in v["keys"]}

    def weight(key: str) -> float:
        if key in own:
            return 0.0
        return max(other.entities.get(key, 0.0), other.weak_entities.get(key, 0.0))

    if victim["specific"]:
        return any(weight(k) >= MENTIONED for k in victim["specific"])
    # "Prefeitura de Serra Alta" is mentioned by a report writing "Serra Alta" alone.
    return all(weight(k) > 0.0 for k in _core(victim))


def victims_differ(article: Signature, story: Signature) -> bool:
    """Whether the two name different victims: some pair of their victims can be compared, none is the same,
    and neither side mentions a victim of the other. A name one side knows as the attacker, regulator or outlet
    is no victim on the other side either ("Lince di Ferro colpisce ancora" names the group without a cue)."""
    mine = [v for v in article.victims if not set(v["keys"]) & set(story.roles)]
    theirs = [v for v in story.victims if not set(v["keys"]) & set(article.roles)]
    if not mine or not theirs:
        return False
    comparable = False
    for victim in mine:
        for other in theirs:
            if _same_victim(victim, other):
                return False
            comparable = comparable or _comparable(victim, other)
    specific = [any(v["specific"] for v in side) for side in (mine, theirs)]
    if (article.separate or story.separate) and (
        all(specific) or (any(specific) and mine[0]["lang"] == theirs[0]["lang"])
    ):
        # One report says its incident is not another it mentions: names that are not one victim are two (a
        # name specific to one body is comparable in any language), whatever mention or supplier bridges them.
        return True
    if not comparable:
        return False
    parties = set(article.participants) | set(story.participants)
    if (
        _one_headlined(mine)
        and _one_headlined(theirs)
        and not any(_victim_words(v) & parties for v in [*mine, *theirs])
        and not (article.third_party or story.third_party)
    ):
        # Both headlines name whose data it was, not the same one, and neither is a party to the other's incident
        # ("the subcontractor X", "le prestataire X", "X, which runs ...": a supplier's breach is often its
        # customers' too): two peers, two incidents. A mention ("Après X", "the same day as the ruling on X", "no
        # link with the loss at X") is background.
        return True
    return not any(_mentioned(v, story) for v in mine) and not any(_mentioned(v, article) for v in theirs)


def _one_headlined(victims: list[dict[str, Any]]) -> bool:
    """Whether these are one victim, read from headlines (records stored before this was kept were not). A headline
    read as naming two ("plaques captées par caméras ANPR et des demandes à Telenet") is less sure of either."""
    return all(bool(v.get("title")) for v in victims) and all(_same_victim(victims[0], v) for v in victims[1:])


def _victim_words(victim: dict[str, Any]) -> set[str]:
    return set(victim["specific"] or _core(victim))


def in_window(article: Signature, story: Signature, window: timedelta) -> bool:
    """Whether the article keeps the whole story within one window of time."""
    return article.first_date - story.first_date <= window and story.last_date - article.first_date <= window


def in_reach(article: Signature, story: Signature, window: timedelta) -> bool:
    """Whether the article may join the story: within one window, or within FOLLOW_UP_REACH windows when it names
    the story's victim by a specific name (a follow-up with new figures a week and a day later; the victim's
    specific name is what keeps one gang's or one regulator's next case out)."""
    if in_window(article, story, window):
        return True
    return in_window(article, story, window * FOLLOW_UP_REACH) and names_the_victim(article, story)


def names_the_victim(article: Signature, story: Signature) -> bool:
    """Whether the article names one of the story's victims by a word specific to it (written alike in its
    language; a sentence's first word counts, since the story is sure it is a name; "after the X leak" does not),
    and names no other victim of its own."""

    def weight(key: str) -> float:
        return max(article.entities.get(key, 0.0), article.weak_entities.get(key, 0.0))

    def named(victim: dict[str, Any]) -> bool:
        words = victim["specific"] if victim["lang"] == article.lang else victim.get("portable") or []
        return any(weight(k) >= HEADLINE_NAME for k in words)

    if not any(named(v) for v in story.victims):
        return False
    return not article.victims or _names_victim_of(article, story)


def _ramp(value: float | None, low: float, full: float) -> float:
    if value is None:
        return 0.0
    return max(0.0, min(1.0, (value - low) / (full - low)))


def _meaning(similarity: Similarity | None, corroborated: bool) -> float:
    if similarity is None:
        return 0.0
    across = _ramp(similarity.other_language, ACROSS_FROM, ACROSS_FULL)
    within = _ramp(similarity.same_language, WITHIN_FROM, WITHIN_FULL) if corroborated else 0.0
    return MEANING_WEIGHT * max(across, within)


def agreement(article: Signature, story: Signature, similarity: Similarity | None = None) -> Agreement:
    """How strongly the two agree; `similarity` (the embeddings') adds to it when given."""
    names = _names(article, story)
    numbers = _numbers(article, story)
    words = _words(article, story)
    dup = _near_duplicate(article, story)
    kinds = len(set(article.data_types) & set(story.data_types))
    elsewhere = names > 0.0 and _headline_elsewhere(article, story)
    if numbers == 0.0 and (names == 0.0 or elsewhere):
        # Words only corroborate: alone they are the vocabulary of a kind of breach, not of one incident, and
        # beside names the article mentions only in passing they would turn context into a match.
        words = 0.0
    meaning = _meaning(similarity, numbers > 0.0 or (names > 0.0 and not elsewhere))
    score = names + numbers + 2.0 * words + min(kinds, 2) * 0.1 + meaning
    if dup >= NEAR_DUPLICATE:
        score = max(score, THRESHOLD + dup)
    differ, another = victims_differ(article, story), _another_incident(article, story)
    found = Agreement(
        score=score,
        names=names,
        numbers=numbers,
        words=words,
        near_duplicate=dup,
        meaning=meaning,
        raw=score,
        shared_kinds=kinds,
        headline_elsewhere=elsewhere,
        different_victims=differ,
        another_incident=another,
    )
    if numbers < 0.7 and (differ or another):
        # A head count both give is incident-specific evidence of its own: it overrides a victim misread.
        return replace(found, score=0.0, victims_differ=1.0)
    return found


def pair_features(article: Signature, story: Signature, similarity: Similarity | None, found: Agreement) -> Vector:
    """The learned judgement's inputs for one pair (pairing.FEATURES), from the rules' own findings."""
    evidence = Evidence(
        names=found.names,
        numbers=found.numbers,
        words=found.words,
        near_duplicate=found.near_duplicate,
        shared_kinds=found.shared_kinds,
        headline_elsewhere=found.headline_elsewhere,
        victims_differ=found.different_victims,
        another_incident=found.another_incident,
        rule_score=found.raw,
        names_its_victim=_names_victim_of(article, story),
    )
    same = similarity.same_language if similarity else None
    other = similarity.other_language if similarity else None
    return features(article, story, same, other, evidence)


def _another_incident(article: Signature, story: Signature) -> bool:
    """Whether a report that tells of a further incident ("strikes again", "the same spyware", "a separate
    break-in") is another than the story's: it names none of the story's victims as its own. A story of one report
    that told so is judged the same way against the article. A headline that counts the incident ("Second
    Intersonic leak", "nueva fuga en Vértice Telecom") tells of a new one even at the same victim."""
    if article.new_incident:
        return True
    told = article.sequel or article.separate or (len(story.minhashes) <= 1 and (story.sequel or story.separate))
    return told and not _names_victim_of(article, story)


def best_story(
    article: Signature, candidates: Sequence[Candidate], window: timedelta, judge: PairJudge | None = None
) -> tuple[Candidate, Agreement] | None:
    """The candidate story the article most agrees with, if any agrees enough; ties go to the older story.

    With a `judge` (the article carries an embedding), the learned judgement decides and ranks: the most probable
    story above its cutoff wins. Without, the rules' score against THRESHOLD does."""
    best: tuple[Candidate, Agreement] | None = None
    best_key = 0.0
    for candidate in sorted(candidates, key=lambda c: c.story_id):
        if not in_reach(article, candidate.signature, window):
            continue
        result = agreement(article, candidate.signature, candidate.similarity)
        if judge is not None:
            same, p = judge.same(pair_features(article, candidate.signature, candidate.similarity, result))
            result = replace(result, probability=round(p, 4))
            # The victim decides (the rules' veto, which a shared head count overrides): the model weighs everything
            # else, never a report whose victim is not the story's.
            same, key = same and not result.victims_differ, p
        else:
            same, key = result.score >= THRESHOLD, result.score
        if not same:
            continue
        if best is None or key > best_key:
            best, best_key = (candidate, result), key
    return best


def bridges(
    article: Signature, joined: Signature, grown: Signature, other: Candidate, window: timedelta, *, quiet: bool = False
) -> bool:
    """Whether `other` is the incident of the story the article just joined (`joined`: that story before the
    article, `grown`: with it), so that the two stories merge; `quiet`: `other` is one report that alerted nobody.

    The merged story must stay within one window of time. A quiet lone report merges when the grown story now
    explains it (it said too little for a story to find it; the rule stray reports were re-linked by before stories
    could merge). Otherwise the article must agree with `other` above the threshold (it matches both stories), with
    a name or a number of its own, and when the two stories name different victims it must name a victim of each
    as its own ("Brenvik leak traced to Quillmore breach"): a report that names one gang's new victim and mentions
    its last one ("days after Halberd") agrees with both of the gang's stories, but says nothing of them being one
    incident.
    """
    theirs = other.signature
    if not in_window(theirs, grown, window):
        return False
    if quiet and len(theirs.minhashes) == 1 and agreement(theirs, grown).score >= THRESHOLD:
        return True
    if (victims_differ(theirs, joined) or victims_differ(joined, theirs)) and not (
        _names_victim_of(article, joined) and _names_victim_of(article, theirs)
    ):
        return False
    found = agreement(article, theirs, other.similarity)
    # Meaning alone (the embeddings' similarity) may let a report join a story, never merge two: a name or a number
    # the report shares with the other story must say it is the same incident.
    return found.score >= THRESHOLD and found.names + found.numbers > 0.0


def _names_victim_of(article: Signature, story: Signature) -> bool:
    return any(_same_victim(mine, theirs) for mine in article.victims for theirs in story.victims)
