"""A report that says its incident is another one (issue 14, seventh round): two victims of one week, the second
report naming the first in a sentence that says the two are unconnected ("the exposure is unconnected to last
week's lapse at X", "o caso nada tem a ver com o da X", "un episodio distinto da quello di X"). The mention, and
a supplier either report names, had bridged them. A cue counts only beside a name or a word for an incident:
"no link with terrorism has been found" says nothing of another incident. All reports here are my own; checked on
the signature and through storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.text import split_sentences
from bot.stories.decide import victims_differ
from bot.stories.signature import build_signature, says_separate
from tests.stories_helpers import group_through_storage, pair_errors, pair_reports, report

DAY = datetime(2026, 10, 5, tzinfo=UTC)

# (language, the first victim's report, the second's, which says the two incidents are unconnected)
SEPARATE = [
    (
        "en",
        (
            "Brackley Water's meter-reading contractor Flowtally leaves customer location logs open",
            "Flowtally, which reads smart meters for Brackley Water, kept visit logs with GPS positions and door "
            "photos of 40,000 homes on an open server.",
        ),
        (
            "Tennant Vale Housing says its door-entry camera clips were exposed",
            "Clips from entrance cameras at 60 blocks were reachable without a password. The housing association "
            "says the lapse has nothing to do with Brackley Water's.",
        ),
    ),
    (
        "fr",
        (
            "Fuite chez Parkéo : le prestataire de Villers-Morgon exposait les plaques lues par ses caméras",
            "Parkéo, le prestataire qui gère le stationnement de Villers-Morgon, a laissé en ligne 80 000 lectures "
            "de plaques.",
        ),
        (
            "Caméras de la mairie de Saint-Aubrac : des images consultables par tous",
            "Les enregistrements de la vidéoprotection de Saint-Aubrac étaient accessibles sans mot de passe. "
            "La mairie affirme que l'incident n'a rien à voir avec celui de Villers-Morgon.",
        ),
    ),
    (
        "de",
        (
            "Gemeinde Falkenried: Dienstleister Kamerafix ließ Videos der Parkhäuser offen",
            "Der Dienstleister Kamerafix, der die Parkhäuser der Gemeinde Falkenried betreut, speicherte die "
            "Aufnahmen ungeschützt im Netz.",
        ),
        (
            "Stadtwerke Ottenau: Standortdaten der Dienstwagen im Netz",
            "Die GPS-Protokolle von 300 Fahrzeugen der Stadtwerke Ottenau waren frei abrufbar. Ein Sprecher "
            "betonte, es handle sich um einen eigenen Fall, anders als bei Falkenried.",
        ),
    ),
    (
        "es",
        (
            "El proveedor Vigilanet expone las cámaras del Ayuntamiento de Robledal",
            "Vigilanet, la empresa que gestiona las cámaras municipales de Robledal, dejó abiertas las "
            "grabaciones de 120 calles.",
        ),
        (
            "Hospital de Valdeoca: robadas las imágenes de sus cámaras de seguridad",
            "Un atacante copió las grabaciones de urgencias del Hospital de Valdeoca. La policía habla de otro "
            "caso, sin relación directa conocida con Robledal.",
        ),
    ),
    (
        "it",
        (
            "Comune di Pratolungo, il fornitore Telecamix lascia online i video dei varchi",
            "Telecamix, la società che gestisce i varchi di Pratolungo, ha lasciato accessibili le letture targhe "
            "di 90.000 veicoli.",
        ),
        (
            "Asl Monteferro, rubati i filmati delle telecamere dei reparti",
            "Gli inquirenti parlano di un episodio distinto da quello che ha colpito Pratolungo: qui i filmati "
            "sono stati sottratti da un server interno.",
        ),
    ),
    (
        "pt",
        (
            "Operadora Lusinet detecta intrusão no sistema de interceções",
            "A operadora confirmou que um atacante acedeu à plataforma que executa as escutas judiciais.",
        ),
        (
            "Técnico da Ondamar vendia localizações de clientes",
            "O caso nada tem a ver com o da Lusinet: na Ondamar, um técnico consultou as posições de antena de 200 "
            "assinantes e vendeu-as.",
        ),
    ),
    (
        "nl",
        (
            "Leverancier Camwacht lekt camerabeelden van gemeente Beekdonk",
            "Camwacht, dat de camera's van de gemeente Beekdonk beheert, liet opnames van pleinen onbeveiligd "
            "online staan.",
        ),
        (
            "Ziekenhuis Meerhaven: beelden van bewakingscamera's gestolen",
            "Hackers kopieerden opnames van de spoedeisende hulp van Ziekenhuis Meerhaven. Volgens de politie "
            "staat het lek los van de zaak in Beekdonk.",
        ),
    ),
]

# (language, body sentences) that say "no link" of no other incident: not a cue
NOT_SEPARATE = [
    ("fr", "Le fonctionnaire vendait des fiches de police. Aucun lien avec le terrorisme n'a été établi."),
    ("en", "The officer sold records for cash. Investigators found no link to organised crime."),
    ("es", "El agente vendía datos de la policía. No tiene relación con grupos terroristas, según fuentes."),
]


@pytest.mark.parametrize(("lang", "first", "second"), SEPARATE, ids=[r[0] for r in SEPARATE])
def test_a_report_saying_its_incident_is_another_keeps_apart(
    lang: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    a = build_signature(*first, lang, DAY)
    b = build_signature(*second, lang, DAY)
    assert b.separate and not a.separate
    assert victims_differ(b, a)


@pytest.mark.parametrize(("lang", "body"), NOT_SEPARATE, ids=[r[0] for r in NOT_SEPARATE])
def test_no_link_with_something_that_is_no_incident_is_no_cue(lang: str, body: str) -> None:
    assert not says_separate(split_sentences(body), lang)


def _items() -> list[dict[str, Any]]:
    items = pair_reports(SEPARATE, "2026-10-05", "2026-10-07")
    # One incident's follow-up that says it is unrelated to an older incident keeps its own story: the victim is one.
    items.append(
        report(
            "c1",
            "second-0",
            "en",
            "2026-10-09",
            "Tennant Vale Housing: 9,000 residents filmed by exposed entrance cameras",
            "The association now says footage of 9,000 residents was reachable. The exposure is unrelated to a "
            "burglary at its offices last year.",
        )
    )
    return items


async def test_separate_incidents_group_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    items = _items()
    stories = await group_through_storage(sessions, items)
    assert pair_errors(items, stories) == ([], [])


# (language, body sentences, whether they say the incident is another one): a bare "unrelated" or "distinct" counts
# beside a word for an incident, before or after it
BARE = [
    ("en", "The force says the German case is unrelated.", True),
    ("fr", "Le portail est hébergé chez le même fournisseur, mais la faille serait distincte, selon la Ville.", True),
    ("es", "El caso es distinto, aunque los datos procedían de la misma app.", True),
    ("en", "The two camera models are distinct and sold separately.", False),
    ("it", "Le due aziende hanno sedi distinte a Milano.", False),
]


@pytest.mark.parametrize(("lang", "body", "separate"), BARE, ids=[f"{r[0]}-{i}" for i, r in enumerate(BARE)])
def test_a_bare_unrelated_counts_beside_an_incident(lang: str, body: str, separate: bool) -> None:
    assert says_separate(split_sentences(body), lang) is separate
