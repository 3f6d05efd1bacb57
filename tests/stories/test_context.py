"""A victim mentioned only as another incident's (issue 14, fourth round): the second of two reports the same day
names the first's victim in its body as background ("no link with the attack on X", "after the attack on X",
"also hit X"), and "one report mentions the other's victim" let the two merge. Such a mention is context
(references.toml's cues, with the incident's noun between). Also: a role cue written into the name ("Ransomwarebende
Korvex"), a regulator named with lower-case words ("Commission d'accès à l'information"), a spyware named as the
attacker's tool, a headline's first word that a regulator ruled on, and German names after "Wachdienst" and
"Bußgeldstelle". Checked on the signature and through
storage on SQLite and PostgreSQL; all reports here are my own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.decide import victims_differ
from bot.stories.signature import build_signature
from tests.stories_helpers import group_through_storage, pair_errors, report

DAY = datetime(2026, 9, 14, tzinfo=UTC)


# (language, the first town's report, the second's, which names the first only as the other incident)
CONTEXT = [
    (
        "en",
        (
            "Korvex gang leaks Tamsford council's parking records",
            "The Korvex group published parking permits and fines of Tamsford residents.",
        ),
        (
            "Brindlecombe council hit too: Nightjar gang claims payroll theft",
            "On the same day the Nightjar gang listed Brindlecombe Borough Council, saying it took payroll files. "
            "Police see no link with the attack on Tamsford.",
        ),
    ),
    (
        "fr",
        (
            "Le groupe Korvex publie les données de la mairie de Vaudrenne",
            "Le groupe Korvex a mis en ligne des fichiers d'état civil de la mairie de Vaudrenne.",
        ),
        (
            "Nightjar frappe aussi Castelmoure le même jour",
            "Le groupe Nightjar a revendiqué le vol des fichiers de la mairie de Castelmoure. Les enquêteurs "
            "n'établissent aucun lien avec l'attaque contre Vaudrenne.",
        ),
    ),
    (
        "de",
        (
            "Erpressergruppe Korvex veröffentlicht Daten der Gemeinde Hollerbach",
            "Die Gruppe Korvex hat Meldedaten der Gemeinde Hollerbach ins Netz gestellt.",
        ),
        (
            "Auch Gemeinde Steinwiesen angegriffen: Nightjar erpresst Verwaltung",
            "Die Gruppe Nightjar hat Steuerdaten der Gemeinde Steinwiesen erbeutet. Die Ermittler sehen keinen "
            "Zusammenhang mit dem Angriff auf die Gemeinde Hollerbach.",
        ),
    ),
    (
        "es",
        (
            "La banda Korvex secuestra los sistemas del Ayuntamiento de Valdeperal",
            "El grupo Korvex asegura haber robado el padrón del Ayuntamiento de Valdeperal.",
        ),
        (
            "Cerromayor, segundo ayuntamiento atacado en el mismo día: Nightjar filtra multas",
            "El grupo Nightjar ha publicado las multas de tráfico de Cerromayor. La policía descarta por ahora "
            "relación con el ataque al Ayuntamiento de Valdeperal.",
        ),
    ),
    (
        "it",
        (
            "La gang Korvex colpisce il Comune di Roccafosca",
            "Il gruppo Korvex ha pubblicato i registri dell'anagrafe del Comune di Roccafosca.",
        ),
        (
            "Anche Pietralunga sotto attacco: Nightjar ruba i dati dei tributi",
            "Nella stessa giornata il gruppo Nightjar ha colpito il Comune di Pietralunga. Non risultano legami "
            "con l'attacco a Roccafosca.",
        ),
    ),
    (
        "pt",
        (
            "Grupo Korvex invade sistemas da Câmara Municipal de Vilarelho",
            "O grupo Korvex divulgou dados de munícipes da Câmara Municipal de Vilarelho.",
        ),
        (
            "Nightjar ataca também Soutelinho no mesmo dia",
            "O grupo Nightjar divulgou faturas da água da Câmara Municipal de Soutelinho. A polícia não vê "
            "ligação com o ataque a Vilarelho.",
        ),
    ),
    (
        "nl",
        (
            "Bende Korvex steelt gegevens van gemeente Dorpshoven",
            "De groep Korvex zegt paspoortgegevens van inwoners van Dorpshoven te hebben buitgemaakt.",
        ),
        (
            "Ook gemeente Kreekdijk getroffen: Nightjar eist belastingdata",
            "De groep Nightjar zegt belastinggegevens van Kreekdijk te hebben buitgemaakt. De politie ziet geen "
            "verband met de aanval op Dorpshoven.",
        ),
    ),
]

# (language, two reports of different incidents that merged for another reason than context; a report may give its
# own language third)
ROLES = [
    (  # the cue written into the name: the gang was read as the first report's victim, and the second's
        "nl",
        (
            "Ransomwarebende Korvex steelt data van Zorggroep Lindeveld",
            "De criminelen zeggen cliëntdossiers van de zorggroep te hebben buitgemaakt.",
        ),
        (
            "Korvex zet thuiszorg Meerwijk op lekpagina",
            "Drie dagen later claimt dezelfde groep dossiers van wijkverpleegkundigen.",
        ),
    ),
    (  # a regulator named with lower-case words, and "blâme": the Commission was read as a victim both mention
        "fr",
        (
            "La Commission d'accès à l'information blâme Gardalis pour des vidéos en libre accès",
            "La Commission reproche à l'agence de sécurité d'avoir laissé en ligne des vidéos de ses agents.",
        ),
        (
            "Centre de services scolaire des Hautes-Rivières : la Commission conclut à un incident",
            "Le même jour, la Commission a rendu sa décision sur l'application de transport scolaire.",
        ),
    ),
    (  # a German name after "-betriebe" was not read, so the gang (no cue in this report) was the only victim
        "de",
        (
            "Korvex erpresst Verkehrsbetriebe Seewalden mit Videos aus Bussen",
            "Die Erpressergruppe droht, Aufnahmen aus Fahrgastkameras zu veröffentlichen.",
        ),
        (
            "La gang Korvex ruba i video delle telecamere di Trasporti Valdorno",
            "Il gruppo ha rivendicato l'attacco all'azienda di trasporto pubblico.",
            "it",
        ),
    ),
    (  # a spyware named as the tool: the headline named only it, so the victim was the spyware
        "en",
        (
            "Detective agency left Spyglint intercept logs on an open server",
            "Harwick Investigations stored call logs from phones monitored with Spyglint spyware in an open bucket.",
        ),
        (
            "Spyglint target list leaks from Orbury police department",
            "A spreadsheet of numbers monitored by Orbury police with the Spyglint spyware was posted on a forum.",
        ),
    ),
    (
        "it",
        (
            "Spyware Spyglint, online i bersagli intercettati da una procura",
            "Una cartella con le intercettazioni della Procura di Valmarina, fatte con lo spyware Spyglint, è online.",
        ),
        (
            "Spyware Spyglint, esposte le chat raccolte da un'agenza investigativa",
            "Investigazioni Ferrazzano ha lasciato aperto il pannello dello spyware Spyglint.",
        ),
    ),
    (  # the headline's first word ruled on: it was only "perhaps a name", so no victim
        "fr",
        (
            "La CNIL inflige 400 000 euros à Vidralis pour des caméras sans mot de passe",
            "L'installateur avait laissé en ligne les images de ses clients.",
        ),
        (
            "Parkalis sanctionnée par la CNIL : les plaques de ses parkings étaient exposées",
            "Le même jour, la commission a condamné l'exploitant de parkings à 150 000 euros.",
        ),
    ),
    (
        "es",
        (
            "La AEPD multa con 300.000 euros a Vigilora por sus cámaras abiertas",
            "La empresa de seguridad dejó en abierto las imágenes de sus clientes.",
        ),
        (
            "Aparcalia multada por la AEPD por exponer matrículas",
            "El mismo día, la agencia sancionó al operador de aparcamientos con 90.000 euros.",
        ),
    ),
]


@pytest.mark.parametrize(("lang", "first", "second"), CONTEXT, ids=[c[0] for c in CONTEXT])
def test_a_victim_named_as_another_incident_is_context(
    lang: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    a = build_signature(*first, lang, DAY)
    b = build_signature(*second, lang, DAY)
    assert victims_differ(b, a)


@pytest.mark.parametrize(("lang", "first", "second"), ROLES, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROLES)])
def test_attacker_regulator_and_tool_roles_tell_victims_apart(
    lang: str, first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    a = build_signature(first[0], first[1], _lang(first, lang), DAY)
    b = build_signature(second[0], second[1], _lang(second, lang), DAY)
    assert victims_differ(b, a)


def _lang(report: tuple[str, ...], lang: str) -> str:
    """A report's language: the pair's, unless it gives its own third."""
    return report[2] if len(report) > 2 else lang


# (language, the town's report, its vendor's, naming the town as its own incident's: "in connection with", "also
# hit" are no cues, since the breach that hit the vendor may well have hit the town)
PLAIN = [
    (
        "en",
        (
            "Korvex gang leaks Tamsford council's parking records",
            "The Korvex group published parking permits and fines of Tamsford residents.",
        ),
        (
            "Parking contractor Parkwise confirms breach",
            "Parkwise said the breach of its permit system also hit Tamsford council.",
        ),
    ),
    (
        "nl",
        (
            "Bende Korvex steelt gegevens van gemeente Dorpshoven",
            "De groep Korvex zegt paspoortgegevens van inwoners van Dorpshoven te hebben buitgemaakt.",
        ),
        (
            "Leverancier Burgerlink bevestigt hack",
            "Burgerlink is benaderd door de politie in verband met de aanval op gemeente Dorpshoven.",
        ),
    ),
    (
        "es",
        (
            "La banda Korvex secuestra los sistemas del Ayuntamiento de Valdeperal",
            "El grupo Korvex asegura haber robado el padrón del Ayuntamiento de Valdeperal.",
        ),
        (
            "La empresa Padronet confirma el hackeo",
            "Padronet confirmó su relación con el Ayuntamiento de Valdeperal, cuyo padrón gestiona.",
        ),
    ),
]


@pytest.mark.parametrize(("lang", "town", "vendor"), PLAIN, ids=[p[0] for p in PLAIN])
def test_a_plain_mention_of_the_victim_still_joins_the_vendor(
    lang: str, town: tuple[str, str], vendor: tuple[str, str]
) -> None:
    """The recall kind kept: the vendor's report names the town as its own incident's, not as another."""
    assert not victims_differ(build_signature(*vendor, lang, DAY), build_signature(*town, lang, DAY))


# German clusters whose name stands after "Wachdienst", "Bußgeldstelle": the name was only a weak word in each report,
# so the reports shared no name.
GERMAN = [
    (
        "Wachdienst Eichenfels: Kundendaten und Alarmcodes im Netz",
        "Beim Sicherheitsunternehmen sind Alarmcodes und Objektpläne von rund 2.000 Kunden abgeflossen.",
    ),
    (
        "Eichenfels-Leak größer als gedacht: 9.400 Kunden betroffen",
        "Nach einer forensischen Untersuchung korrigiert der Wachdienst die Zahl deutlich nach oben.",
    ),
    (
        "Bußgeldstelle Kornwiesen: Blitzerfotos und Halterdaten abgeflossen",
        "Die Stadt meldet einen Datenabfluss bei einem externen Dienstleister.",
    ),
    (
        "Kornwiesen nennt gehackten Dienstleister: Radarwerk Süd GmbH",
        "Das Unternehmen wertet für mehrere Kommunen Blitzerbilder aus; kopiert wurden nur Daten aus Kornwiesen.",
    ),
]


def _items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n, (lang, first, second) in enumerate([*CONTEXT, *ROLES]):
        for k, piece in enumerate((first, second)):
            items.append(report(f"c{n}{k}", f"c{n}-{k}", _lang(piece, lang), "2026-09-14", piece[0], piece[1]))
    # a cluster: the town's report and its contractor's, which names the town plainly
    items.append(report("v1", "tamsford-parking", "en", "2026-09-15", *_TAMSFORD_VENDOR))
    return items


_TAMSFORD_VENDOR = (
    "Parking contractor Parkwise confirms Tamsford permit files were taken",
    "Parkwise, which runs parking permits and fines for Tamsford council, said the Korvex group copied them.",
)


async def test_context_mentions_and_roles_group_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    items = _items()
    items[0]["event"] = "tamsford-parking"
    stories = await group_through_storage(sessions, items)
    assert pair_errors(items, stories) == ([], [])


async def test_german_names_after_a_service_or_office_group_through_storage(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    items = [
        report(f"g{k}", f"german-{k // 2}", "de", f"2026-09-{16 + k % 2}", title, body)
        for k, (title, body) in enumerate(GERMAN)
    ]
    stories = await group_through_storage(sessions, items)
    assert stories[0] == stories[1] != stories[2] == stories[3]
