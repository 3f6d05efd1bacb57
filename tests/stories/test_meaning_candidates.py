"""Stories found by meaning (bot/stories/assign.py `_nearest_in_meaning`): a report that carries an embedding is also
compared with the window's stories nearest to it by the embeddings' cosine, which reports of one incident in two
languages need when they share no name, number or word. Through storage, on SQLite and PostgreSQL, with the
bundled encoder's real vectors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.classify.encoder import DEFAULT_ENCODER, load_encoder
from bot.commands.dedupe.batch import Embedder
from storage.models import StoryEvent
from tests.stories_helpers import group_through_storage

REPORTS = [
    {
        "title": "Bracelets électroniques : des pirates dérobent les positions GPS de personnes sous contrôle"
        " judiciaire",
        "summary": "Un prestataire du ministère de la Justice chargé de la surveillance électronique a été piraté ; les"
        " traces de localisation de plusieurs milliers de personnes placées sous bracelet auraient été copiées.",
        "published": "2026-05-04",
        "lang": "fr",
        "outlet": "Presse Sud",
    },
    {
        "title": "Frankreich: Angreifer erbeuten Bewegungsdaten von Fußfessel-Trägern",
        "summary": "Bei einem Dienstleister der französischen Justiz, der elektronische Fußfesseln überwacht, haben"
        " Hacker die Standortverläufe Tausender Überwachter kopiert.",
        "published": "2026-05-05",
        "lang": "de",
        "outlet": "Rheinblatt",
    },
    {
        # Another incident of the same days, near in meaning (cosine 0.84-0.85 to both): it must stay apart.
        "title": "Torino, esposte online le immagini delle telecamere di un parcheggio",
        "summary": "Un server mal configurato del gestore di un parcheggio torinese ha lasciato accessibili a chiunque"
        " le foto delle targhe scattate all'ingresso.",
        "published": "2026-05-05",
        "lang": "it",
        "outlet": "Cronaca Nord",
    },
]


async def _group(sessions: async_sessionmaker[AsyncSession], embedded: bool) -> tuple[list[int], list[StoryEvent]]:
    encoder = load_encoder(DEFAULT_ENCODER) if embedded else None
    stories = await group_through_storage(sessions, REPORTS, Embedder(encoder) if encoder else None)
    async with sessions() as session:
        events = list((await session.execute(select(StoryEvent).order_by(StoryEvent.id))).scalars())
    return stories, events


async def test_reports_sharing_no_name_join_by_meaning_and_a_look_alike_stays_apart(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stories, events = await _group(sessions, embedded=True)
    assert stories[0] == stories[1]
    assert stories[2] != stories[0]
    joined: dict[str, Any] = next(e.details for e in events if e.kind in ("grew", "follow_up"))
    # Found by meaning alone: no name and no number shared, the learned judgement's probability recorded.
    assert joined["agreement"]["names"] == 0.0 and joined["agreement"]["numbers"] == 0.0
    assert joined["agreement"]["probability"] >= 0.85


async def test_without_embeddings_the_index_keys_alone_never_bring_them_together(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stories, _events = await _group(sessions, embedded=False)
    assert len(set(stories)) == 3
