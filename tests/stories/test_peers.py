"""Two headlines, two victims (issue 14, fifth round): when each report's headline names one victim and the two
differ, they are two incidents, whatever else one says of the other ("nachdem Lindholm betroffen war", "une semaine
après les révélations sur Brovillac", "nelle stesse ore in cui Varzena ..."): a mention is background. Unless one
report gives the other's victim a part in its own incident ("o fornecedor Vigitec") or tells of a supplier it does
not name ("la empresa proveedora del servicio"): a supplier's breach is often its customers' too, and the reports
of such a cluster still join. Also: a headline's name right after a cue for another incident ("Après Kalinéo,
l'appli Tendrio ...") is that incident's, and the one a regulator ruled on may stand before a comma ("Ferrovel,
sancionada por la AEPD"). Checked on the signature and through storage on SQLite and PostgreSQL; all reports here
are my own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.decide import agreement, victims_differ
from bot.stories.signature import build_signature
from tests.stories_helpers import group_through_storage, pair_errors

DAY = datetime(2026, 10, 5, tzinfo=UTC)

Report = tuple[str, str]

# (language, the first report, the second: another victim of the same kind, naming the first only as background)
PEERS: list[tuple[str, Report, Report]] = [
    (
        "en",
        (
            "Harwick County Council exposes camera footage of its car parks",
            "Footage from 60 cameras of Harwick County Council sat on an open server, a researcher found.",
        ),
        (
            "Ostrander Logistics left warehouse camera recordings online",
            "The same week as the Harwick leak was reported, the courier firm Ostrander Logistics stored 2,000 "
            "hours of recordings without a password.",
        ),
    ),
    (
        "fr",
        (
            "La mairie de Brovillac victime d'une fuite des images de vidéosurveillance",
            "Les enregistrements de 45 caméras de la mairie de Brovillac étaient accessibles sans mot de passe.",
        ),
        (
            "Les caméras du supermarché Valdoré Frais consultables en ligne",
            "Une semaine après les révélations sur Brovillac, un chercheur a trouvé les vidéos de l'enseigne "
            "Valdoré Frais sur un serveur ouvert.",
        ),
    ),
    (
        "fr",
        (
            "L'appli de rencontre Kalinéo expose les photos de ses membres",
            "Une base de données de l'application Kalinéo contenait 80 000 photos privées.",
        ),
        (
            "Après Kalinéo, l'appli Tendrio laisse fuiter les messages de ses abonnés",
            "Le même chercheur a trouvé une deuxième base ouverte, celle de Tendrio, avec 15 000 conversations.",
        ),
    ),
    (
        "de",
        (
            "Stadtwerke Lindholm: Kundendaten nach Hackerangriff im Netz",
            "Unbekannte haben Verbrauchsdaten von 12.000 Kunden der Stadtwerke Lindholm veröffentlicht.",
        ),
        (
            "Klinikverbund Ostmarsch meldet Datenabfluss bei Patientenakten",
            "Wenige Tage nachdem Lindholm betroffen war, meldet auch der Klinikverbund Ostmarsch einen Angriff; "
            "die Täter sind andere.",
        ),
    ),
    (
        "es",
        (
            "La AEPD multa a Hortalia por grabar a sus empleados",
            "La cadena de fruterías Hortalia instaló cámaras en los vestuarios, según la resolución.",
        ),
        (
            "Ferrovel, sancionada por la AEPD por exponer los datos de sus clientes",
            "En la misma resolución semanal, la agencia castigó también a la empresa de mudanzas Ferrovel; el "
            "expediente de Hortalia es otro.",
        ),
    ),
    (
        "it",
        (
            "Comune di Varzena, online i dati delle multe",
            "I verbali di 8.000 automobilisti del Comune di Varzena sono finiti su un forum.",
        ),
        (
            "La clinica Rivamonte conferma il furto delle cartelle cliniche",
            "Nelle stesse ore in cui Varzena denunciava la fuga di dati, la clinica Rivamonte ha scoperto un "
            "accesso abusivo ai propri archivi.",
        ),
    ),
    (
        "nl",
        (
            "Gemeente Duinwijk lekt beelden van handhavingscamera's",
            "Opnames van 30 camera's van de gemeente Duinwijk stonden zonder wachtwoord online.",
        ),
        (
            "Woningcorporatie Veenstede verliest huurdersgegevens",
            "Terwijl Duinwijk nog bezig was met het lek, ontdekte woningcorporatie Veenstede dat huurdersgegevens "
            "waren gekopieerd.",
        ),
    ),
]

# (language, the customer's report, the supplier's): one incident, the supplier named as a party to it or the
# customer's report telling of a supplier it does not name.
SUPPLIERS: list[tuple[str, Report, Report]] = [
    (
        "es",
        (
            "El Ayuntamiento de Mirabrava sufre una filtración de las multas de tráfico",
            "Los datos de 20.000 multas quedaron expuestos tras un ataque a la empresa proveedora del servicio, "
            "según el consistorio.",
        ),
        (
            "La empresa Tramitex reconoce el robo de datos de multas",
            "La compañía, que gestiona las multas de varios municipios, admite que los atacantes accedieron a los "
            "expedientes de Mirabrava.",
        ),
    ),
    (
        "pt",
        (
            "Câmara Municipal de Vilar Seco confirma roubo de dados da videovigilância",
            "As imagens de 25 câmaras da vila foram copiadas, diz a autarquia.",
        ),
        (
            "O fornecedor Vigitec admite ataque a servidores de videovigilância",
            "A empresa, que gere as câmaras de Vilar Seco, diz que os atacantes copiaram as gravações.",
        ),
    ),
    (
        "nl",
        (
            "Gemeente Kraaiveld: parkeerdata gestolen bij een leverancier",
            "Kentekens en parkeertijden van 9.000 bezoekers zijn buitgemaakt, meldt de gemeente Kraaiveld.",
        ),
        (
            "Parkeerbedrijf Tolvana bevestigt hack",
            "Het bedrijf beheert de parkeerautomaten van Kraaiveld; aanvallers kopieerden de kentekens.",
        ),
    ),
]


def _sig(report: Report, lang: str, day: int = 0) -> Any:
    return build_signature(report[0], report[1], lang, DAY.replace(day=DAY.day + day))


@pytest.mark.parametrize(("lang", "first", "second"), PEERS, ids=[f"{p[0]}-{i}" for i, p in enumerate(PEERS)])
def test_two_headlines_naming_two_victims_are_two_incidents(lang: str, first: Report, second: Report) -> None:
    a, b = _sig(first, lang), _sig(second, lang, 1)
    assert victims_differ(b, a)
    assert agreement(b, a).score == 0.0


@pytest.mark.parametrize(("lang", "customer", "supplier"), SUPPLIERS, ids=[s[0] for s in SUPPLIERS])
def test_a_supplier_and_its_customer_still_join(lang: str, customer: Report, supplier: Report) -> None:
    a, b = _sig(customer, lang), _sig(supplier, lang, 1)
    assert not victims_differ(b, a)
    assert agreement(b, a).score >= 0.8


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for kind, table in (("peer", PEERS), ("supplier", SUPPLIERS)):
        for index, (lang, first, second) in enumerate(table):
            for n, (title, summary) in enumerate((first, second)):
                event = f"{kind}-{index}" + (f"-{n}" if kind == "peer" else "")
                day = f"2026-10-{5 + n:02d}"
                items.append(
                    {
                        "id": f"{kind}-{index}-{n}",
                        "event": event,
                        "lang": lang,
                        "date": day,
                        "title": title,
                        "summary": summary,
                        "outlet": "T",
                    }
                )
    return items


async def test_peers_stay_apart_and_suppliers_join_through_storage(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    items = _items()
    stories = await group_through_storage(sessions, items)
    wrong, missed = pair_errors(items, stories)
    assert wrong == []
    assert missed == []
