"""Full-text search over stories, on SQLite (FTS5) and PostgreSQL (tsvector), through `storage.search`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, event, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import storage.search
from bot.core.notes import Note
from bot.core.search_query import QueryError, parse_query
from storage.models import Article, Source, Story
from storage.search import PgWalk, SearchPage, search_stories
from storage.search_choices import category_choices, source_choices
from tests.search_data import NOW, Piece, StorySpec, add_article, add_story

Sessions = async_sessionmaker[AsyncSession]

CORPUS = {
    "fr": StorySpec(
        "Fuite de données : les images des caméras de la police municipale exposées",
        "Une fuite expose des milliers d'enregistrements de vidéosurveillance et des données biométriques.",
        language="fr",
        categories=["cctv", "biometrics"],
        articles=[
            Piece(
                "Mediapart",
                "Les caméras de la police municipale ont fuité",
                source_url="https://mediapart.example/rss",
                source_name="Mediapart",
            ),
            Piece(
                "Le Monde",
                "Vidéosurveillance : une base exposée",
                source_url="https://lemonde.example/rss",
                source_name="Le Monde",
            ),
        ],
    ),
    "de": StorySpec(
        "Datenleck: Aufnahmen tausender Überwachungskameras frei im Netz",
        "Ein Hersteller ließ Videoarchive ungeschützt; betroffen sind Bahnhöfe und Straßen.",
        language="de",
        categories=["cctv"],
        articles=[
            Piece(
                "heise online",
                "Überwachungskameras offen im Netz",
                source_url="https://heise.example/rss",
                source_name="heise",
            )
        ],
    ),
    "face": StorySpec(
        "Face recognition database of a border agency leaked",
        "Millions of travellers' face images were left on an open server.",
        categories=["face_recognition"],
        first_seen=NOW - timedelta(days=10),
        articles=[
            Piece(
                "The Register",
                "Border face recognition database leaks",
                source_url="https://reg.example/rss",
                source_name="The Register",
            )
        ],
    ),
    "alpr_test": StorySpec(
        "ALPR camera data exposed in a test environment",
        "Researchers found licence plate reads in a test system.",
        categories=["alpr"],
    ),
    "alpr_vendor": StorySpec(
        "ALPR camera data exposed by vendor",
        "A licence plate reader vendor exposed millions of plate reads.",
        categories=["alpr"],
    ),
    "es": StorySpec(
        "Filtración de datos biométricos de la policía",
        "Las filtraciones afectan a huellas dactilares de detenidos.",
        language="es",
        categories=["biometrics"],
    ),
    "it": StorySpec(
        "Violazione dei dati delle telecamere comunali", "Le violazioni riguardano i video.", language="it"
    ),
    "pt": StorySpec("Vazamento de dados de reconhecimento facial", "Vazamentos de fotos da polícia.", language="pt"),
    "nl": StorySpec("Datalek bij politie: kentekencamera's gelekt", "Het datalekken van kentekens.", language="nl"),
}


async def _corpus(sessions: Sessions) -> dict[str, int]:
    ids = {}
    async with sessions() as session, session.begin():
        for key, spec in CORPUS.items():
            ids[key] = (await add_story(session, spec)).id
    return ids


async def _search(sessions: Sessions, text: str, **kwargs: object) -> SearchPage:
    async with sessions() as session, session.begin():
        return await search_stories(session, parse_query(text), now=NOW, **kwargs)  # type: ignore[arg-type]


async def _ids(sessions: Sessions, text: str, **kwargs: object) -> set[int]:
    return {hit.story_id for hit in (await _search(sessions, text, **kwargs)).hits}


async def test_french_story_with_and_without_accents_and_inflected(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    for query in ["données", "donnees", "DONNÉES", "fuites", "fuite", "Fuites caméras", "vidéosurveillance"]:
        assert ids["fr"] in await _ids(sessions, query), query
    assert ids["fr"] not in await _ids(sessions, "fuite -caméra")


async def test_german_compound_plural(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    for query in ["Überwachungskamera", "uberwachungskameras", "ÜBERWACHUNGSKAMERAS", "datenlecks"]:
        assert await _ids(sessions, query) == {ids["de"]}, query
    assert await _ids(sessions, "UEBERWACHUNGSKAMERA") == set()  # ü folds to u, not ue (documented)


async def test_inflection_in_other_languages(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    cases = [("filtraciones", "es"), ("violazioni", "it"), ("vazamento", "pt"), ("datalekken", "nl"), ("leaks", "face")]
    for query, key in cases:
        assert ids[key] in await _ids(sessions, query), query


async def test_hit_fields(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    page = await _search(sessions, "fuite")
    hit = next(h for h in page.hits if h.story_id == ids["fr"])
    assert hit.headline == CORPUS["fr"].title
    assert hit.outlet_count == 2
    assert hit.first_seen == NOW
    assert hit.language == "fr"
    assert hit.categories == ("cctv", "biometrics")
    assert hit.summary_line.startswith("Une fuite expose")
    assert page.total == len(page.hits) and not page.has_more and not page.has_previous


async def test_phrase(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    assert await _ids(sessions, '"face recognition database"') == {ids["face"]}
    assert await _ids(sessions, '"database recognition face"') == set()
    assert ids["fr"] in await _ids(sessions, '"police municipale"')


async def test_exclusion(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    assert await _ids(sessions, "ALPR") == {ids["alpr_test"], ids["alpr_vendor"]}
    assert await _ids(sessions, "ALPR -test") == {ids["alpr_vendor"]}
    assert await _ids(sessions, 'ALPR -"test environment"') == {ids["alpr_vendor"]}
    assert await _ids(sessions, "alpr -vendors") == {ids["alpr_test"]}  # exclusions are inflected too


async def test_outlet_names_and_article_titles_are_searchable(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    assert await _ids(sessions, "Mediapart") == {ids["fr"]}
    assert await _ids(sessions, "heise") == {ids["de"]}
    assert ids["fr"] in await _ids(sessions, "fuité")  # only in an article's title


async def test_title_outranks_summary(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        in_summary = await add_story(session, StorySpec("Unrelated headline", "mentions stalkerware once"))
        in_title = await add_story(session, StorySpec("Stalkerware maker leaks victims' data", "a breach"))
    page = await _search(sessions, "stalkerware")
    assert [h.story_id for h in page.hits] == [in_title.id, in_summary.id]
    assert page.hits[0].score > page.hits[1].score


async def test_filters(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    assert await _ids(sessions, "data", category="alpr") == {ids["alpr_test"], ids["alpr_vendor"]}
    assert await _ids(sessions, "cameras", language="de") == set()
    assert await _ids(sessions, "Überwachungskameras", language="de") == {ids["de"]}
    assert await _ids(sessions, "fuite", language="en") == set()
    assert await _ids(sessions, "face", days=7) == set()
    assert await _ids(sessions, "face", days=30) == {ids["face"]}
    assert await _ids(sessions, "police", source="Mediapart") == {ids["fr"]}
    assert await _ids(sessions, "police", source="mediapart") == {ids["fr"]}
    assert await _ids(sessions, "police", source="https://reg.example/rss") == set()
    assert await _ids(sessions, "border", source="https://reg.example/rss") == {ids["face"]}
    page = await _search(sessions, "police", source="Nowhere Gazette")
    assert page.hits == () and page.notes == (Note("search.note_unknown_source", {"source": "Nowhere Gazette"}),)
    both = await _ids(sessions, "caméras", category="cctv", language="fr", days=1, source="Le Monde")
    assert both == {ids["fr"]}


async def test_paging_through_30_results(sessions: Sessions) -> None:
    async with sessions() as session, session.begin():
        for i in range(30):
            await add_story(session, StorySpec(f"Spyware vendor breach number {i}", f"Spyware logs {i} leaked."))
        await add_story(session, StorySpec("Something else entirely", "no match here"))
    seen: list[int] = []
    pages = []
    for offset in (0, 10, 20, 30):
        page = await _search(sessions, "spyware", limit=10, offset=offset)
        pages.append(page)
        seen += [h.story_id for h in page.hits]
    assert [len(p.hits) for p in pages] == [10, 10, 10, 0]
    assert len(set(seen)) == 30
    assert all(p.total == 30 and not p.total_capped for p in pages)
    assert [p.has_more for p in pages] == [True, True, False, False]
    assert [p.has_previous for p in pages] == [False, True, True, True]
    scores = [h.score for p in pages for h in p.hits]
    assert scores == sorted(scores, reverse=True)


INJECTIONS = [
    "NEAR(police camera, 2)",
    "title:police OR summary:camera",
    'police* "',
    "police AND NOT camera",
    "'; DROP TABLE stories; --",
    "police) OR (1=1",
    "police & !camera | x:* <-> y",
    "{title body}: police ^camera",
    "\\' \\\" $$ %_ police",
    "-",
    "police -",
    "日本語 警察",
    "police\x00camera",
]


async def test_injection_attempts_do_not_error(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    searched = 0
    for text in INJECTIONS:
        try:
            parse_query(text)
        except QueryError:
            continue
        page = await _search(sessions, text)
        assert page.total == len(page.hits), text
        searched += 1
    assert searched == len(INJECTIONS) - 1  # only the lone "-" is refused
    assert await _ids(sessions, "NEAR(police municipale)") == set()  # the literal words "near police": absent
    assert ids["fr"] in await _ids(sessions, "police NEAR municipale")  # a lone operator is dropped, with a note
    async with sessions() as session:
        assert await session.scalar(select(Story.id).where(Story.id == ids["fr"])) == ids["fr"]


async def test_index_follows_edits_new_articles_and_deletes(sessions: Sessions) -> None:
    ids = await _corpus(sessions)
    async with sessions() as session, session.begin():
        story = await session.get(Story, ids["face"])
        assert story is not None
        story.summary = "Passport scans of travellers were exposed."
    assert await _ids(sessions, "passport") == {ids["face"]}
    assert await _ids(sessions, "millions -plate") == set()

    async with sessions() as session, session.begin():
        story = await session.get(Story, ids["face"])
        assert story is not None
        article = await add_article(
            session,
            story,
            Piece(
                "Netzpolitik",
                "Gesichtserkennung: Grenzdatenbank offen",
                "Biometrische Daten von Reisenden",
                source_url="https://netzpolitik.example/rss",
                source_name="netzpolitik.org",
            ),
        )
    assert await _ids(sessions, "Netzpolitik") == {ids["face"]}
    assert await _ids(sessions, "Grenzdatenbank") == {ids["face"]}
    assert await _ids(sessions, "biometrische reisenden") == {ids["face"]}

    async with sessions() as session, session.begin():
        moved = await session.get(Article, article.id)
        assert moved is not None
        moved.story_id = ids["de"]
    assert await _ids(sessions, "Grenzdatenbank") == {ids["de"]}

    async with sessions() as session, session.begin():
        await session.execute(delete(Article).where(Article.id == article.id))
    assert await _ids(sessions, "Grenzdatenbank") == set()

    async with sessions() as session, session.begin():
        await session.execute(delete(Story).where(Story.id == ids["fr"]))
    assert await _ids(sessions, "fuite") == set()
    assert ids["de"] in await _ids(sessions, "Überwachungskameras")


async def test_category_autocomplete(sessions: Sessions) -> None:
    await _corpus(sessions)
    async with sessions() as session:
        assert await category_choices(session, "") == ["alpr", "biometrics", "cctv", "face_recognition"]
        assert await category_choices(session, "B") == ["biometrics"]
        assert await category_choices(session, "face_") == ["face_recognition"]
        assert await category_choices(session, "%") == []


async def test_source_autocomplete(sessions: Sessions) -> None:
    await _corpus(sessions)
    async with sessions() as session, session.begin():
        session.add(Source(url="https://guild.example/rss", name="Guild Only Feed", guild_id=42))
        for i in range(30):
            session.add(Source(url=f"https://bulk{i}.example/rss", name=f"Bulk {i:02d}"))
    async with sessions() as session:
        names = [c.name for c in await source_choices(session, "me")]
        assert names == ["Mediapart"]
        assert [c.url for c in await source_choices(session, "heise")] == ["https://heise.example/rss"]
        assert [c.name for c in await source_choices(session, "reg.example")] == ["The Register"]
        assert len(await source_choices(session, "")) == 25
        assert len(await source_choices(session, "bulk")) == 25
        assert await source_choices(session, "guild", guild_id=7) == []
        assert [c.name for c in await source_choices(session, "guild", guild_id=42)] == ["Guild Only Feed"]
        assert await source_choices(session, "%_") == []


@pytest.mark.parametrize("walk_limit", [4, 1000])
async def test_walk_then_index_gives_the_same_answers(sessions: Sessions, walk_limit: int) -> None:
    """PostgreSQL walks the newest rows, then walks on or asks GIN; tiny sizes exercise every step."""
    ids = await _corpus(sessions)
    async with sessions() as session, session.begin():
        for i in range(12):
            await add_story(session, StorySpec(f"Spyware vendor breach number {i}", "Spyware logs leaked."))
    full = [h.story_id for h in (await _search(sessions, "spyware", limit=50)).hits]
    before = {q: await _ids(sessions, q) for q in ["fuite", "alpr -test", "leaked"]}
    tiny = PgWalk(probe_rows=3, walk_limit=walk_limit)
    assert [h.story_id for h in (await _search(sessions, "spyware", limit=50, walk=tiny)).hits] == full
    assert len(full) == 12
    assert {q: await _ids(sessions, q, walk=tiny) for q in before} == before
    assert before["fuite"] == {ids["fr"]}
    assert await _ids(sessions, "police", source="Mediapart", walk=tiny) == {ids["fr"]}


async def test_walk_over_gaps_in_story_ids_misses_nothing(sessions: Sessions, monkeypatch: pytest.MonkeyPatch) -> None:
    # PostgreSQL walks spans of story ids (storage.search._pg_candidates): deleted stories leave spans with fewer
    # rows, or none. Whatever the window and the spans, the candidates must be exactly the newest matches: a span
    # boundary off by one id would skip a story or take one twice. A small window reaches every step here.
    async with sessions() as session, session.begin():
        stories = [
            await add_story(session, StorySpec(f"Spyware vendor breach number {i}", "Spyware logs leaked."))
            for i in range(30)
        ]
        gone = [story.id for n, story in enumerate(stories) if n % 4 == 1 or 12 <= n < 20]
        await session.execute(delete(Story).where(Story.id.in_(gone)))
    kept = sorted({story.id for story in stories} - set(gone), reverse=True)
    for window in (1, 3, 6, 11, 200):
        monkeypatch.setattr(storage.search, "SEARCH_WINDOW", window)
        for probe in (1, 2, 5):
            for walk_limit in (1, 2, 4, 9):
                walk = PgWalk(probe_rows=probe, walk_limit=walk_limit)
                page = await _search(sessions, "spyware", limit=50, walk=walk)
                assert [h.story_id for h in page.hits] == kept[:window], (window, walk)


async def test_dotted_capital_i_matches_both_ways(sessions: Sessions) -> None:
    # "İ".lower() is "i" plus a combining dot, which split the word in two ("i", "stanbul") and matched nothing.
    async with sessions() as session, session.begin():
        dotted = await add_story(session, StorySpec("Camera archive of İstanbul police leaked", "Footage exposed."))
        plain = await add_story(session, StorySpec("Istanbul metro face scans exposed", "Scans leaked."))
    for query in ("İstanbul", "istanbul", "ISTANBUL", "İSTANBUL"):
        assert await _ids(sessions, query) == {dotted.id, plain.id}, query


async def test_a_rare_word_asks_the_index_for_it_alone(sessions: Sessions, engine: AsyncEngine, db_kind: str) -> None:
    # storage.search_terms: with word statistics, a query naming something rare asks GIN for that word alone and
    # checks the whole query on its rows; the answers are those of the walk, guild scope and exclusions included.
    if db_kind != "postgresql":
        pytest.skip("PostgreSQL's word statistics (SQLite's FTS5 has its own plan)")

    def wire(title: str) -> list[Piece]:
        return [Piece("Wire", title, source_url="https://wire.example/rss", source_name="Wire")]

    async with sessions() as session, session.begin():
        for i in range(60):
            await add_story(session, StorySpec(f"Camera footage leak number {i}", "Leaked camera clips."))
        depot = StorySpec("Quillmore depot camera leak", "Clips of the Quillmore depot.", articles=wire("Depot leak"))
        rare = await add_story(session, depot)
        await add_story(
            session, StorySpec("Quillmore depot opens", "A new depot in Quillmore.", articles=wire("Depot opens"))
        )
        guild_only = await add_story(session, StorySpec("Quillmore parking camera leak", "Plate photos leaked."))
        mine = Source(url="https://guild.example/rss", name="Guild Feed", guild_id=9)
        session.add(mine)
        await session.flush()
        session.add(
            Article(
                source_id=mine.id,
                canonical_url="https://guild.example/a/1",
                url="https://guild.example/a/1",
                title="Quillmore plates leak",
                summary="",
                language="en",
                outlet="Guild Feed",
                content_hash="q" * 64,
                story_id=guild_only.id,
                first_seen_at=NOW,
            )
        )
    async with engine.begin() as conn:
        await conn.execute(sql("ANALYZE story_search"))
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(str(args[2])))

    def asked_rare() -> bool:
        found = any("ts_match_vq" in s for s in statements)
        statements.clear()
        return found

    assert await _ids(sessions, "quillmore leak") == {rare.id, guild_only.id}
    assert asked_rare()
    assert await _ids(sessions, "quillmore leak", guild_id=7) == {rare.id}
    assert asked_rare()
    assert await _ids(sessions, "quillmore leak", guild_id=9) == {rare.id, guild_only.id}
    assert asked_rare()
    assert await _ids(sessions, "quillmore leak -parking", walk=PgWalk(rare_rows=0)) == {rare.id}
    assert not asked_rare()
    assert await _ids(sessions, "quillmore leak -parking") == {rare.id}
    assert asked_rare()
    # Common words alone keep the walk, which stops at the newest matches.
    walked = await _search(sessions, "camera leak", limit=50, walk=PgWalk(rare_rows=5))
    assert not asked_rare() and len(walked.hits) == 50
