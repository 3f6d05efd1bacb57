"""Putting one article into its story: find candidates through the band index, decide, create or grow.

Runs inside the caller's transaction and does not commit, so whoever called it can add rows (deliveries) that
commit or roll back together with the assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.ext.asyncio import AsyncSession

from bot.classify.judge import unpack
from bot.core.clock import utcnow
from bot.core.outlets import outlet_name
from bot.core.text import strip_markdown
from bot.stories.decide import FOLLOW_UP_REACH, Candidate, Similarity, best_story, bridges
from bot.stories.facts import Facts
from bot.stories.pairing import PairJudge
from bot.stories.signature import HEADLINE_NAME, Signature, build_signature, index_keys, merge
from bot.stories.summary import SourceText, choose_summary
from storage import stories as repo
from storage.models import Article, Story

FOLLOW_UP_GROWTH = 1.1  # a count at least this much larger than the story's is news
# Stories found by meaning alone, beside those the index keys find: the few nearest, and only where reports of one
# incident in two languages measured (raw multilingual-e5-small cosine: one in ten below 0.85).
NEAREST = 3
NEAREST_FLOOR = 0.84


@dataclass(frozen=True)
class AssignResult:
    story_id: int
    kind: str  # created | grew | follow_up | unchanged | merged
    became_alertworthy: bool
    version: int
    new_facts: dict[str, Any] | None = None
    article_id: int | None = None  # the article just put into the story
    merged: tuple[int, ...] = ()  # stories the article showed to be this one's incident, now merged into it


def outlet_of(article: Article) -> str:
    """The outlet name stored when the article was read (bot.core.outlets), or its site for rows without one."""
    return article.outlet or outlet_name(article.canonical_url or article.url)


def article_signature(article: Article, lang: str) -> Signature:
    text = article.summary or ""
    if article.content and len(text) < 200:
        # The cut may end in spaces or a line break; the rest is clean text as stored.
        text = "\n".join(filter(None, [text, article.content[:800].rstrip()]))
    published = article.published_at or article.first_seen_at
    return build_signature(article.title, text, lang, published, outlet_of(article))


def merge_facts(story: dict[str, Any], article: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The story's facts with the article's added, and what is materially new (a larger count, a culprit)."""
    old, new = Facts.from_json(story), Facts.from_json(article)
    news: dict[str, Any] = {}
    merged = Facts.from_json(story)
    if new.affected and (old.affected is None or new.affected > old.affected):
        if old.affected and new.affected >= old.affected * FOLLOW_UP_GROWTH:
            news["affected"] = {"was": old.affected, "now": new.affected, "text": new.affected_text}
        merged.affected, merged.affected_text = new.affected, new.affected_text
    known_actors = {a.casefold() for a in old.actors}
    fresh = [a for a in new.actors if a.casefold() not in known_actors]
    if fresh:
        news["actors"] = fresh
        merged.actors = old.actors + fresh
    merged.data_types = sorted(set(old.data_types) | set(new.data_types))
    names = {(o.get("name") or "").casefold() for o in old.organisations}
    merged.organisations = old.organisations + [
        o for o in new.organisations if (o.get("name") or "").casefold() not in names
    ]
    merged.countries = old.countries + [c for c in new.countries if c not in old.countries]
    merged.victims = old.victims + [v for v in new.victims if v not in old.victims]
    merged.regulators = sorted(set(old.regulators) | set(new.regulators))
    merged.date = min(filter(None, [old.date, new.date]), default=None)
    return merged.to_json(), news


def _alertworthy(story: Story) -> bool:
    return bool(story.match) and bool(story.alertable)


async def assign_article(
    session: AsyncSession, article: Article, window: timedelta, judge: PairJudge | None = None
) -> AssignResult:
    """Put the article into its story; `judge` (the learned same-incident model) decides for an article that
    carries an embedding, the rules for one that does not."""
    # Decided when the article was read; the processing step fills it in for rows stored before that.
    assert article.analysis_language is not None
    lang = article.analysis_language
    sig = article_signature(article, lang)
    keys = index_keys(sig)
    published = article.published_at or article.first_seen_at
    vector = unpack(article.embedding)
    bands = [*keys, repo.MEANING_BAND] if vector is not None else keys
    await repo.lock_keys(session, bands)
    found = await repo.candidate_stories(session, keys, published - window, published + window)
    # A follow-up may come later than one window when it names the story's victim (decide.in_reach): the stories
    # its specific names find further back are candidates too.
    names = sig.weak_entities | sig.entities
    specific = [k for k in keys if k.startswith("e:") and names.get(k[2:], 0.0) >= HEADLINE_NAME]
    if specific:
        reach = window * FOLLOW_UP_REACH
        seen = {sid for sid, _data in found}
        far = await repo.candidate_stories(session, specific, published - reach, published - window)
        found += [(sid, data) for sid, data in far if sid not in seen]
    similarity: dict[int, Similarity] = {}
    if vector is not None:
        if judge is not None:
            nearest, similarity = await _nearest_in_meaning(
                session, vector, lang, published - window, published + window, found
            )
            found += nearest
        rest = [sid for sid, data in found if data and sid not in similarity]
        similarity.update(_best_cosines(vector, lang, await repo.story_embeddings(session, rest)))
    candidates = [Candidate(sid, Signature.from_json(data), similarity.get(sid)) for sid, data in found if data]
    choice = best_story(sig, candidates, window, judge if vector is not None else None)
    if choice is None:
        return await _create(session, article, sig, bands, lang, published)
    result = await _grow(session, article, choice[0].story_id, sig, bands, published, choice[1].as_dict())
    others = [c for c in candidates if c.story_id != result.story_id]
    if others:
        return await _merge_bridged(session, sig, choice[0].signature, result, others, window)
    return result


async def _nearest_in_meaning(
    session: AsyncSession,
    vector: npt.NDArray[np.float32],
    lang: str,
    since: datetime,
    until: datetime,
    found: list[tuple[int, dict[str, Any]]],
) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, Similarity]]:
    """The NEAREST stories of the window by the embeddings' cosine (at least NEAREST_FLOOR) that no index key found,
    with their similarities: reports of one incident in two languages often share no name, number or word the keys
    are made of."""
    rows = await repo.meaning_in_window(session, since, until, exclude={sid for sid, _data in found})
    similarity = _best_cosines(vector, lang, rows)
    best = {sid: max(filter(None, (s.same_language, s.other_language)), default=-1.0) for sid, s in similarity.items()}
    chosen = sorted((c, sid) for sid, c in best.items() if c >= NEAREST_FLOOR)[::-1][:NEAREST]
    stories = await repo.story_signatures(session, sorted(sid for _c, sid in chosen))
    return stories, {sid: similarity[sid] for sid, _data in stories}


def _best_cosines(
    vector: npt.NDArray[np.float32], lang: str, rows: list[tuple[int, str | None, bytes]]
) -> dict[int, Similarity]:
    """Per story, the best cosine between the article's sentence embedding and its articles' (rows of story id,
    language, embedding), in the article's language and in any other."""
    mine = vector / (float(np.linalg.norm(vector)) or 1.0)
    best: dict[int, dict[bool, float]] = {}
    for story_id, language, blob in rows:
        theirs = unpack(blob)
        if theirs is None or theirs.shape != mine.shape:
            continue  # another encoder's vector: not comparable
        cosine = float(mine @ theirs) / (float(np.linalg.norm(theirs)) or 1.0)
        slot = best.setdefault(story_id, {})
        same = (language or "")[:2] == lang
        slot[same] = max(slot.get(same, -1.0), cosine)
    return {sid: Similarity(v.get(True), v.get(False)) for sid, v in best.items()}


async def _merge_bridged(
    session: AsyncSession,
    sig: Signature,
    joined_sig: Signature,
    result: AssignResult,
    others: list[Candidate],
    window: timedelta,
) -> AssignResult:
    """Merge the stories the article showed to be one incident with the one it joined (decide.bridges).

    The older story survives, whichever the article joined: it takes the others' articles, index keys, facts,
    signature and outlets, its version is bumped so posted alerts are edited at once, and the others are marked
    merged into it. What their alerts become is the delivery queue's business (bot.alerts.queueing).
    """
    joined = await repo.story_for_update(session, result.story_id)
    if joined is None:
        return result
    grown = Signature.from_json(joined.signature)
    group = [joined]
    for candidate in sorted(others, key=lambda c: c.story_id):
        # Decided on the signatures first, so that only the stories that merge are read and locked.
        strict = bridges(sig, joined_sig, grown, candidate, window)
        if not strict and not bridges(sig, joined_sig, grown, candidate, window, quiet=True):
            continue
        other = await repo.story_for_update(session, candidate.story_id)
        if other is None or other.merged_into is not None:
            continue
        if not strict and (other.article_count != 1 or _alertworthy(other)):
            continue
        grown = merge(grown, candidate.signature)
        group.append(other)
    if len(group) == 1:
        return result
    survivor = min(group, key=lambda s: (s.first_seen_at, s.id))
    absorbed = [s for s in group if s is not survivor]
    was_alertworthy = any(_alertworthy(s) for s in group)
    for story in absorbed:
        _fold(survivor, story)
        await repo.absorb_story(session, story.id, survivor.id)
        await repo.add_event(session, story.id, "merged_into", result.article_id, story.version, {"story": survivor.id})
    survivor.signature = grown.to_json()
    survivor.outlet_count = max(len(grown.outlets), 1)
    articles = await repo.story_articles(session, survivor.id)
    sources = [SourceText(a.title, a.content or a.summary, a.language and a.language[:2]) for a in articles]
    survivor.summary = choose_summary(sources, survivor.language) or survivor.summary
    survivor.updated_at = utcnow()
    # A merge changes what every channel that had either story sees: bumped even when only a lone report was
    # re-linked, so posted alerts show it now rather than at the next report.
    survivor.version = max(s.version for s in group) + 1
    details = {"stories": [s.id for s in absorbed], "article": result.article_id}
    await repo.add_event(session, survivor.id, "merged", result.article_id, survivor.version, details)
    return AssignResult(
        survivor.id,
        "merged",
        not was_alertworthy and _alertworthy(survivor),
        survivor.version,
        result.new_facts,
        result.article_id,
        tuple(s.id for s in absorbed),
    )


def _fold(survivor: Story, other: Story) -> None:
    """The survivor's row with the other story's verdict, facts and counts added (as _grow adds an article's)."""
    survivor.facts, _news = merge_facts(survivor.facts or {}, other.facts or {})
    survivor.article_count += other.article_count
    survivor.match = bool(survivor.match or other.match)
    if other.match and float(other.score or 0.0) > float(survivor.score or 0.0):
        survivor.evidence = dict(other.evidence or {})
    survivor.score = max(float(survivor.score or 0.0), float(other.score or 0.0))
    survivor.categories = sorted(set(survivor.categories or []) | set(other.categories or []))
    survivor.alertable = bool(survivor.alertable or other.alertable)
    if other.event_date and (survivor.event_date is None or other.event_date < survivor.event_date):
        survivor.event_date = other.event_date


async def _create(
    session: AsyncSession, article: Article, sig: Signature, keys: list[str], lang: str, published: datetime
) -> AssignResult:
    now = utcnow()
    story = await repo.create_story(
        session,
        first_seen_at=now,
        updated_at=now,
        event_date=published,
        title=strip_markdown(article.title),
        summary=choose_summary([SourceText(article.title, article.content or article.summary, lang)], lang),
        language=lang,
        lead_article_id=article.id,
        match=bool(article.match),
        score=float(article.score or 0.0),
        categories=list(article.categories or []),
        evidence=dict(article.evidence or {}),
        facts=dict(article.facts or {}),
        article_count=1,
        outlet_count=1,
        version=1,
        alertable=bool(article.alertable),
        signature=sig.to_json(),
    )
    article.story_id = story.id
    await repo.add_bands(session, story.id, keys, published)
    await repo.add_event(session, story.id, "created", article.id, 1, {"outlet": outlet_of(article)})
    return AssignResult(story.id, "created", _alertworthy(story), 1, article_id=article.id)


async def _grow(
    session: AsyncSession,
    article: Article,
    story_id: int,
    sig: Signature,
    keys: list[str],
    published: datetime,
    agreement: dict[str, float],
) -> AssignResult:
    story = await repo.story_for_update(session, story_id)
    if story is None:  # deleted meanwhile
        lang = sig.lang
        return await _create(session, article, sig, keys, lang, published)
    was_alertworthy = _alertworthy(story)
    old = Signature.from_json(story.signature)
    outlet = outlet_of(article)
    new_outlet = bool(outlet) and outlet not in old.outlets
    merged = merge(old, sig)
    facts, news = merge_facts(story.facts or {}, article.facts or {})
    article.story_id = story.id
    articles = await repo.story_articles(session, story.id)
    sources = [SourceText(a.title, a.content or a.summary, a.language and a.language[:2]) for a in articles]

    story.signature = merged.to_json()
    story.facts = facts
    story.article_count = story.article_count + 1
    story.outlet_count = max(len(merged.outlets), 1)
    story.match = bool(story.match or article.match)
    story.score = max(float(story.score or 0.0), float(article.score or 0.0))
    story.categories = sorted(set(story.categories or []) | set(article.categories or []))
    if article.match and (article.score or 0.0) >= story.score:
        story.evidence = dict(article.evidence or {})
    story.alertable = bool(story.alertable or article.alertable)
    if published < (story.event_date or published):
        story.event_date = published
    story.summary = choose_summary(sources, story.language) or story.summary
    story.updated_at = utcnow()

    kind = "follow_up" if news else ("grew" if new_outlet else "unchanged")
    if kind != "unchanged":
        story.version = story.version + 1
        details: dict[str, Any] = {"outlet": outlet, "url": article.url or article.canonical_url}
        details["agreement"] = agreement
        if news:
            details["new_facts"] = news
        await repo.add_event(session, story.id, kind, article.id, story.version, details)
    await repo.add_bands(session, story.id, keys, published)
    became = not was_alertworthy and _alertworthy(story)
    return AssignResult(story.id, kind, became, story.version, news or None, article.id)
