"""Public bodies named in four languages (issue 14, eighth round): "le ministère de l'Intérieur", "France's interior
ministry", "das französische Innenministerium", "il Viminale francese" share no word, so reports of one incident
at the ministry, or at its contractor, stayed apart across languages. config/facts/bodies.toml names each body a
country has one of; a report naming one gets a key for the body and, naming one country, a stronger key for that
country's body. Two ministries of one country, and one ministry of two countries, stay apart. All reports here are
my own; checked through storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.bodies import body_names
from bot.stories.facts import find_countries
from bot.stories.signature import build_signature
from tests.stories_helpers import group_through_storage, pair_errors, report

# (language, text, the body key it must carry)
NAMED = [
    ("en", "Hackers stole visa files from Belgium's Federal Border Service", "body:border-service:be"),
    ("fr", "Le Service fédéral des frontières belge piraté", "body:border-service:be"),
    ("nl", "Hackers bij de Belgische grensdienst", "body:border-service:be"),
    ("de", "Daten aus dem österreichischen Gesundheitsministerium gestohlen", "body:health-ministry"),
    ("es", "El Ministerio de Sanidad de España detecta un acceso indebido", "body:health-ministry:es"),
    ("it", "Attacco al ministero della Salute italiano", "body:health-ministry:it"),
    ("pt", "Ministério da Justiça de Portugal confirma fuga", "body:justice-ministry:pt"),
    # A German name inflected after its first word, and a town's adjective naming the country.
    ("de", "Beim Berner Dienstleister des Staatssekretariats für Migration", "body:migration-agency:ch"),
    # The headline's one country, though the body names two.
    (
        "pt",
        "Espanha: falha no Ministério do Interior espanhol; o sistema português não foi afetado",
        "body:interior-ministry:es",
    ),
]


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("El Ministerio de Sanidad de España detecta un acceso indebido", ["ES"]),
        ("Indeed, the Belgen and the belges", ["BE"]),
        ("La Chine et l'Inde", ["CN", "IN"]),
        ("BRUXELLES — Le SPF Justice confirme", ["BE"]),
    ],
)
def test_a_short_country_name_is_a_word_not_a_prefix(text: str, countries: list[str]) -> None:
    assert sorted(find_countries(text)) == sorted(countries)


@pytest.mark.parametrize(("lang", "text", "key"), NAMED, ids=[f"{r[0]}-{i}" for i, r in enumerate(NAMED)])
def test_a_body_is_named_in_any_language(lang: str, text: str, key: str) -> None:
    keys = {k for k, _w, _t in body_names(text, "")}
    assert key in keys
    assert key in build_signature(text, "", lang, datetime(2026, 3, 2, tzinfo=UTC)).title_entities


def _items() -> list[dict[str, Any]]:
    return [
        # One incident: the French interior ministry's contractor, told in four languages without a shared name.
        report(
            "a1",
            "interior",
            "fr",
            "2026-03-02",
            "Fichiers de police dérobés chez un prestataire du ministère de l'Intérieur",
            "Le ministère de l'Intérieur confirme qu'un prestataire informatique a été piraté et que des fiches de "
            "personnes recherchées ont été copiées, en France comme dans les territoires d'outre-mer.",
        ),
        report(
            "a2",
            "interior",
            "en",
            "2026-03-03",
            "France's interior ministry says wanted-persons files were copied from a contractor",
            "Police records on people sought by French officers were taken from an IT supplier's servers, the "
            "ministry said; it did not name the firm.",
        ),
        report(
            "a3",
            "interior",
            "de",
            "2026-03-03",
            "Französisches Innenministerium: Fahndungsdaten bei Dienstleister abgeflossen",
            "Angreifer haben beim IT-Dienstleister des Ministeriums Datensätze zu gesuchten Personen kopiert, "
            "bestätigte das Innenministerium in Paris.",
        ),
        report(
            "a4",
            "interior",
            "it",
            "2026-03-04",
            "Francia, rubati i fascicoli dei ricercati al ministero dell'Interno",
            "Un fornitore informatico del ministero dell'Interno francese è stato violato: copiati i fascicoli delle "
            "persone ricercate dalla polizia francese.",
        ),
        # Another ministry of the same country, the same week: another incident.
        report(
            "b1",
            "labour",
            "en",
            "2026-03-04",
            "France's labour ministry leaks job-seekers' ID photos",
            "A misconfigured portal of the French labour ministry showed scanned identity photos of job-seekers.",
        ),
        # The same ministry of another country, the same week: another incident.
        report(
            "c1",
            "chile",
            "es",
            "2026-03-05",
            "El Ministerio del Interior de Chile sufre el robo de fichas policiales",
            "Chile confirmó que un atacante copió fichas de personas buscadas desde un servidor del ministerio.",
        ),
    ]


async def test_one_body_in_four_languages_groups_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    items = _items()
    stories = await group_through_storage(sessions, items)
    assert pair_errors(items, stories) == ([], [])


def test_a_federal_service_acronym_names_no_one_service() -> None:
    """Belgium's "FOD Justitie" and "FÖD Binnenlandse Zaken" share the word for a federal service, not a victim."""
    a = build_signature(
        "Hackers zetten cameraregister van de FOD Binnenlandse Zaken online", "", "nl", datetime(2026, 3, 2, tzinfo=UTC)
    )
    b = build_signature(
        "Hacker veröffentlichen Häftlingsdaten des FÖD Justiz", "", "de", datetime(2026, 3, 9, tzinfo=UTC)
    )
    assert all("fod" not in v["specific"] for v in a.victims + b.victims)


def test_a_short_body_name_is_a_word_not_a_prefix() -> None:
    assert body_names("La fiscalía de Sonora investiga", "") == []
    assert [k for k, _w, _t in body_names("Le fisc a perdu des fichiers", "")] == ["body:tax-agency"]
