"""A report that tells of a further incident of a known actor, tool or kind (issue 14, seventh round): "Redmoth
strikes again", "la stessa gang che pochi giorni fa ha colpito ...", "o mesmo spyware", "Second police wiretap
leak in a week". It shares the actor, the tool and often the place with the first incident's story, and names the
first victim as background; it joins a story only when it names that story's victim as its own or gives the same
head count. A follow-up of one incident that says "the same gang" still joins it. All reports here are my own;
checked through storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.decide import agreement
from bot.stories.signature import build_signature, counts_the_incident, tells_a_sequel
from tests.stories_helpers import group_through_storage, pair_errors, pair_reports, report

# (language, the first incident's report, the further incident's, which mentions the first as background)
SEQUELS = [
    (
        "en",
        (
            "Redmoth hackers dump footage from Calloway Transit's depot cameras",
            "The Redmoth crew posted 900 GB of recordings from bus depots run by Calloway Transit on its leak site.",
        ),
        (
            "Redmoth strikes again: Fenwick Leisure says members' entry photos taken",
            "Days after posting Calloway Transit's depot footage, the Redmoth group listed Fenwick Leisure, "
            "publishing turnstile photos of gym members.",
        ),
    ),
    (
        "fr",
        (
            "Le logiciel espion Spectraline : la base d'un revendeur lyonnais exposée",
            "Un revendeur de Spectraline à Lyon laissait en ligne les messages et positions de 12 000 téléphones "
            "espionnés.",
        ),
        (
            "Spectraline : une deuxième fuite touche un revendeur de Bordeaux",
            "Après le revendeur lyonnais, c'est la société Suivitel, à Bordeaux, qui exposait sa propre base de "
            "téléphones surveillés avec Spectraline.",
        ),
    ),
    (
        "de",
        (
            "Hackergruppe Nachtfalter veröffentlicht Videos der Verkehrskameras in Linz",
            "Die Gruppe Nachtfalter hat Aufnahmen von 600 Verkehrskameras in Linz ins Netz gestellt.",
        ),
        (
            "Dieselbe Gruppe greift Justizanstalt Hartberg an",
            "Nachtfalter, die vergangene Woche die Linzer Verkehrskameras veröffentlichte, hat nun Akten von "
            "Häftlingen der Justizanstalt Hartberg erbeutet.",
        ),
    ),
    (
        "es",
        (
            "Filtrados los registros del programa espía Halconera usado contra periodistas en Sonora",
            "Los registros del servidor de Halconera muestran 40 teléfonos de periodistas de Sonora infectados.",
        ),
        (
            "El mismo programa espía apunta ahora a abogados de Jalisco",
            "Documentos filtrados de Halconera, el mismo spyware usado en Sonora, revelan que la policía estatal de "
            "Jalisco vigiló 30 teléfonos de abogados.",
        ),
    ),
    (
        "it",
        (
            "La gang Corvonero pubblica i video delle telecamere di una ditta di vigilanza di Bari",
            "Corvonero ha messo online le registrazioni delle telecamere di negozi protetti dalla ditta.",
        ),
        (
            "Corvonero colpisce ancora: rubate le schede dei detenuti di un'impresa carceraria",
            "La stessa gang che ha colpito la vigilanza di Bari rivendica il furto delle schede dei detenuti "
            "gestite da Carcerservizi.",
        ),
    ),
    (
        "pt",
        (
            "Grupo Trovoada expõe imagens de câmaras de um centro comercial do Porto",
            "O grupo Trovoada publicou gravações das câmaras de vigilância de um centro comercial do Porto.",
        ),
        (
            "Trovoada ataca novamente e expõe dados biométricos da Câmara de Sintra",
            "O mesmo grupo que atacou o centro comercial do Porto divulgou impressões digitais de funcionários da "
            "Câmara Municipal de Sintra.",
        ),
    ),
    (
        "nl",
        (
            "Tapgegevens van politie in Groningen gelekt via leverancier Tapwerk",
            "Opnames van telefoontaps van de politie in Groningen stonden op een forum; ze liepen via Tapwerk.",
        ),
        (
            "Tweede lek van tapgegevens in een week: ook politie Zeeland getroffen",
            "Ook bij de politie in Zeeland, die eveneens met Tapwerk werkt, zijn tapverslagen uitgelekt; het gaat "
            "volgens justitie om een aparte inbraak.",
        ),
    ),
]


@pytest.mark.parametrize(("lang", "first", "second"), SEQUELS, ids=[r[0] for r in SEQUELS])
def test_the_further_incident_is_told_and_the_first_is_not(
    lang: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert tells_a_sequel(list(second), lang)
    assert not tells_a_sequel(list(first), lang)


def _items() -> list[dict[str, Any]]:
    items = pair_reports(SEQUELS, "2026-11-02", "2026-11-05")
    # A follow-up of the first incident that says "the same gang" names its victim, and joins it.
    items.append(
        report(
            "c0",
            "first-0",
            "en",
            "2026-11-06",
            "Calloway Transit: the same gang now threatens to sell drivers' files",
            "Calloway Transit says the Redmoth group that took its depot footage now offers drivers' records too.",
        )
    )
    return items


async def test_further_incidents_group_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    items = _items()
    stories = await group_through_storage(sessions, items)
    assert pair_errors(items, stories) == ([], [])


# (language, a sentence telling of a further incident) from the cues added after set-aside 6
FURTHER = [
    ("en", "Same hacktivists, new target: the group dumps migration records"),
    ("en", "A week after leaking police files, the collective claims a second agency"),
    ("fr", "Une semaine après avoir piraté le portail des prisons, le collectif vise les douanes"),
    ("nl", "Het lek volgt op een vergelijkbare blootstelling bij een Spaanse handelaar"),
    ("es", "Tras hackear a la fiscalía, el grupo publica los datos de la policía"),
    ("it", "Dopo aver colpito la Giustizia, il collettivo rivendica un nuovo bersaglio"),
]


@pytest.mark.parametrize(("lang", "sentence"), FURTHER, ids=[f"{r[0]}-{i}" for i, r in enumerate(FURTHER)])
def test_more_ways_of_telling_a_further_incident(lang: str, sentence: str) -> None:
    assert tells_a_sequel([sentence], lang)


# (language, first report, a headline counting a new incident at the same victim, its lead)
COUNTED = [
    (
        "en",
        (
            "Tapline's intercept server exposed prosecutors' recordings",
            "Recordings ordered by the Dunmore prosecutors sat on a Tapline server open to anyone.",
        ),
        (
            "Second Tapline leak exposes customs wiretaps",
            "A separate Tapline backup held about 700 calls intercepted for the customs service.",
        ),
    ),
    (
        "es",
        (
            "Falla en el portal de Telvista expone escuchas de la policía de Jalisco",
            "El portal de interceptación de la operadora Telvista dejó ver audios de la policía de Jalisco.",
        ),
        (
            "Nueva fuga en Telvista: expuestas escuchas de la fiscalía de Sonora",
            "La operadora Telvista admite que un contratista publicó un respaldo con líneas intervenidas en Sonora.",
        ),
    ),
]


@pytest.mark.parametrize(("lang", "first", "second"), COUNTED, ids=[r[0] for r in COUNTED])
def test_a_headline_counting_the_incident_is_a_new_one_at_the_same_victim(
    lang: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    a = build_signature(*first, lang, datetime(2026, 11, 2, tzinfo=UTC))
    b = build_signature(*second, lang, datetime(2026, 11, 5, tzinfo=UTC))
    assert b.new_incident and not a.new_incident
    assert agreement(b, a).score == 0.0


def test_a_similar_incident_in_a_headline_counts_nothing() -> None:
    assert not counts_the_incident("Dutch broker follows a similar leak in Spain", "en")


def test_a_regulators_second_ruling_is_a_further_incident() -> None:
    assert tells_a_sequel(["É a segunda decisão da autoridade na semana, após a multa à rede Pulso."], "pt")
