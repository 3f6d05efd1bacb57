"""Issue 14, sixth round: two victims the grouping read as one.

A town's hospital and the same town's council share the town's name but are two victims: when both reports say
what kind of body theirs is (roles.toml's place_heads, body_heads, institution_heads), the kinds are compared,
and the name one report gives its own victim is no mention of the other's. And a headline whose attacker is the
subject of a leak or publish verb ("Millbrook also hit: Vexora leaks ...") names one victim, not two: the gang is
the attacker. Each pair merged on the code before; checked on the signature and through storage on SQLite and
PostgreSQL. All reports here are my own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.decide import agreement, victims_differ
from bot.stories.roles import names_in
from bot.stories.signature import build_signature
from tests.stories_helpers import group_through_storage, pair_errors

DAY = datetime(2026, 11, 9, tzinfo=UTC)

Report = tuple[str, str]

# (language, the hospital's or school's report, the same town's council's): two incidents.
KINDS: list[tuple[str, Report, Report]] = [
    (
        "en",
        (
            "Brackley Hospital confirms patient records and ward camera footage were stolen",
            "Attackers copied records of 14,000 patients and recordings of the ward cameras, Brackley Hospital said.",
        ),
        (
            "Brackley Town Council also reports a breach of parking permit data",
            "Separately from the attack on the hospital, a former employee of a parking firm passed on number "
            "plates of Brackley residents. The council has told the regulator.",
        ),
    ),
    (
        "fr",
        (
            "Hôpital de Granvaux : les dossiers de 9 000 patients dérobés",
            "Des pirates ont copié les dossiers et les images des caméras des urgences de l'hôpital de Granvaux.",
        ),
        (
            "La mairie de Granvaux signale à son tour une fuite des données de stationnement",
            "Sans lien avec l'attaque contre l'hôpital, un ancien salarié d'un prestataire a transmis les plaques "
            "relevées à Granvaux.",
        ),
    ),
    (
        "de",
        (
            "Klinikum Hohenbrack: Patientendaten und Kameraaufnahmen gestohlen",
            "Erpresser haben Stammdaten von 18.000 Patienten und Aufnahmen der Überwachungskameras kopiert.",
        ),
        (
            "Auch die Stadt Hohenbrack meldet Datenabfluss bei Parkausweisen",
            "Unabhängig vom Angriff auf das Klinikum hat ein ehemaliger Mitarbeiter Kennzeichen aus Hohenbrack "
            "weitergegeben.",
        ),
    ),
    (
        "es",
        (
            "El Hospital de Valdemora confirma el robo de historias clínicas",
            "Los atacantes copiaron los historiales de 11.000 pacientes y grabaciones de las cámaras de urgencias.",
        ),
        (
            "El Ayuntamiento de Valdemora también sufre una filtración de multas",
            "Sin relación con el ataque al hospital, un exempleado de una empresa de aparcamiento difundió "
            "matrículas captadas en Valdemora.",
        ),
    ),
    (
        "it",
        (
            "Ospedale di Castelvaro, rubate le cartelle cliniche",
            "Gli aggressori hanno copiato le cartelle di 7.000 pazienti e le immagini delle telecamere del pronto "
            "soccorso.",
        ),
        (
            "Anche il Comune di Castelvaro denuncia una fuga di dati delle multe",
            "Senza legami con l'attacco all'ospedale, un ex dipendente di una ditta di parcheggi ha diffuso le "
            "targhe rilevate a Castelvaro.",
        ),
    ),
    (
        "pt",
        (
            "Hospital de Ribamar confirma roubo de prontuários",
            "Os atacantes copiaram os prontuários de 12.000 pacientes e imagens das câmeras da emergência.",
        ),
        (
            "Prefeitura de Ribamar também relata vazamento de multas",
            "Sem relação com o ataque ao hospital, um ex-funcionário de uma empresa de estacionamento divulgou "
            "placas captadas em Ribamar.",
        ),
    ),
    (
        "nl",
        (
            "Ziekenhuis Zuiderveen: patiëntgegevens en camerabeelden gestolen",
            "Aanvallers kopieerden dossiers van 10.000 patiënten en beelden van de camera's op de spoedeisende hulp.",
        ),
        (
            "Ook gemeente Zuiderveen meldt datalek bij parkeervergunningen",
            "Los van de aanval op het ziekenhuis gaf een oud-medewerker van een parkeerbedrijf kentekens uit "
            "Zuiderveen door.",
        ),
    ),
]

# (language, one gang's first town, another gang's town whose headline names its gang as the subject of a leak
# verb after the colon): two incidents.
LEAKS: list[tuple[str, Report, Report]] = [
    (
        "en",
        (
            "Corvane gang takes down Fernbridge council's camera network",
            "The attack knocked out street cameras and the parking register; the criminals claim to hold 90 GB.",
        ),
        (
            "Millbrook also hit: Vexora leaks number-plate photos",
            "On the same day as the Fernbridge attack, but by another gang, Millbrook Council had plate reads and "
            "camera photos published.",
        ),
    ),
    (
        "pt",
        (
            "Grupo Jaguatirica sequestra sistemas da Prefeitura de Pedra Azul",
            "O ataque derrubou as câmeras urbanas; os criminosos afirmam ter copiado 140 GB.",
        ),
        (
            "Rio Manso também é atacada: Carcará vaza fotos de placas",
            "No mesmo dia do ataque a Pedra Azul, mas por outra quadrilha, a Prefeitura de Rio Manso teve "
            "publicadas leituras de placas.",
        ),
    ),
    (
        "es",
        (
            "El grupo Zorro Gris cifra los sistemas del Ayuntamiento de Alcorva",
            "El ataque dejó sin servicio las cámaras de tráfico; los delincuentes dicen tener 120 GB.",
        ),
        (
            "Torrenal también sufre un ataque: Garduña filtra fotos de matrículas",
            "El mismo día del ataque a Alcorva, pero por otra banda, el Ayuntamiento de Torrenal vio publicadas "
            "lecturas de matrículas.",
        ),
    ),
]


def _sig(report: Report, lang: str, day: int = 0) -> Any:
    return build_signature(report[0], report[1], lang, DAY.replace(day=DAY.day + day))


TABLE = [*KINDS, *LEAKS]
IDS = [f"kind-{p[0]}" for p in KINDS] + [f"leak-{p[0]}" for p in LEAKS]


@pytest.mark.parametrize(("lang", "first", "second"), TABLE, ids=IDS)
def test_two_victims_one_name_or_one_gang_are_two_incidents(lang: str, first: Report, second: Report) -> None:
    a, b = _sig(first, lang), _sig(second, lang, 1)
    assert victims_differ(b, a)
    assert agreement(b, a).score == 0.0


def test_one_body_named_with_and_without_its_kind_is_one_victim() -> None:
    """ "Gemeinde Wiesbrunn" and "Stadt Wiesbrunn" are one kind of body; "Wiesbrunn" alone says no kind."""
    council = _sig(("Gemeinde Wiesbrunn: Bürgerdaten im Netz", "Daten von 4.000 Bürgern wurden kopiert."), "de")
    town = _sig(("Stadt Wiesbrunn bestätigt Angriff auf Meldeamt", "Die Stadt Wiesbrunn hat Anzeige erstattet."), "de")
    bare = _sig(("Wiesbrunn: 4.000 Bürgerdaten kopiert", "Die Täter kopierten Meldedaten von 4.000 Bürgern."), "de")
    assert not victims_differ(town, council)
    assert not victims_differ(bare, council)


@pytest.mark.parametrize(
    ("lang", "text", "kind"),
    [
        ("en", "City of London Police", "institution"),  # English ends a name with its kind
        ("en", "Brackley Town Council", "place"),
        ("de", "Landeskrankenhaus Mürzegg", "institution"),  # a German compound ends in its kind
        ("de", "Landeshauptstadt Mürzegg", "place"),
        ("es", "Hospital de Valdemora", "institution"),
        ("it", "Comune di Castelvaro", "place"),
        ("nl", "Ministerie van Justitie", "body"),
    ],
)
def test_the_kind_of_body_a_name_says(lang: str, text: str, kind: str) -> None:
    names = {"city": 1.0, "london": 1.0, "police": 1.0, "brackley": 1.0, "town": 1.0, "council": 1.0}
    names |= {"murzegg": 1.0, "hospital": 1.0, "valdemora": 1.0, "comune": 1.0, "castelvaro": 1.0, "justitie": 1.0}
    assert [n.kind for n in names_in(text, lang, names)] == [kind]


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for index, (lang, first, second) in enumerate(TABLE):
        for n, (title, summary) in enumerate((first, second)):
            items.append(
                {
                    "id": f"{index}-{n}",
                    "event": f"{index}-{n}",
                    "lang": lang,
                    "date": f"2026-11-{9 + n:02d}",
                    "title": title,
                    "summary": summary,
                    "outlet": "T",
                }
            )
    return items


async def test_two_victims_stay_apart_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    items = _items()
    stories = await group_through_storage(sessions, items)
    wrong, _ = pair_errors(items, stories)
    assert wrong == []
