"""Victims named with the kind of public body they are (issue 14, third round): one report writes "Prefeitura de
Serra Alta", another "Serra Alta" alone, and the two were read as different victims that vetoed the pair. Victims
are compared without those words (roles.toml's place_heads and body_heads); a town named as one is written alike
in every language when English does not know its word, so one gang's town and hospital in two languages are told
apart; and a follow-up naming the story's victim joins it up to two windows later. Checked on the signature and
through storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.decide import in_reach, victims_differ
from bot.stories.signature import Signature, build_signature, merge
from tests.stories_helpers import group_through_storage, pair_errors, report

DAY = datetime(2026, 6, 1, tzinfo=UTC)
WEEK = timedelta(days=7)


def _sig(title: str, body: str, lang: str, day: datetime = DAY) -> Signature:
    return build_signature(title, body, lang, day)


# (language, the town's report naming the body, the vendor's report naming the town bare): the town's name is made
# of everyday words, so only the whole of it says which town it is.
HEADED = [
    (
        "en",
        ("City of Green Valley says staff payslips leaked", "The City of Green Valley said payslips were exposed."),
        (
            "Payroll firm Paylon confirms breach",
            "Paylon, which runs the payroll of Green Valley and other towns, said.",
        ),
    ),
    (
        "fr",
        (
            "La Ville de Belle Rive confirme une fuite",
            "La Ville de Belle Rive indique que des fiches de paie ont fuité.",
        ),
        (
            "Le prestataire Paylon confirme le piratage",
            "Paylon, qui gère la paie de Belle Rive et d'autres villes, confirme.",
        ),
    ),
    (
        "es",
        (
            "El Ayuntamiento de Villa Nueva sufre una filtración",
            "El Ayuntamiento de Villa Nueva confirma la filtración.",
        ),
        (
            "La empresa Paylon admite el ataque",
            "Paylon, que gestiona las nóminas de Villa Nueva y otros municipios, lo admite.",
        ),
    ),
    (
        "it",
        (
            "Il Comune di Monte Alto conferma la fuga di dati",
            "Il Comune di Monte Alto conferma che i cedolini sono esposti.",
        ),
        (
            "La società Paylon ammette l'attacco",
            "Paylon, che gestisce gli stipendi di Monte Alto e di altri comuni, lo ammette.",
        ),
    ),
    (
        "pt",
        ("Prefeitura de Campo Verde confirma vazamento", "A Prefeitura de Campo Verde informou que holerites vazaram."),
        (
            "A empresa Paylon admite invasão",
            "A Paylon, que processa a folha de Campo Verde e de outros municípios, admitiu.",
        ),
    ),
    (
        "nl",
        ("Gemeente Hoog Veld bevestigt datalek", "De Gemeente Hoog Veld meldt dat loonstroken zijn gelekt."),
        (
            "Salarisverwerker Paylon bevestigt hack",
            "Paylon, dat de salarissen van Hoog Veld en andere gemeenten verwerkt, bevestigt.",
        ),
    ),
    (
        "de",
        ("Datenleck bei der Stadt Kiefern", "Die Stadt Kiefern meldet, dass Gehaltsabrechnungen offenliegen."),
        ("Dienstleister Paylon bestätigt Angriff", "Paylon, das die Gehälter der Stadt Kiefern abrechnet, bestätigt."),
    ),
]


@pytest.mark.parametrize(("lang", "town", "vendor"), HEADED, ids=[h[0] for h in HEADED])
def test_a_town_named_with_its_body_is_mentioned_by_a_report_naming_it_bare(
    lang: str, town: tuple[str, str], vendor: tuple[str, str]
) -> None:
    first, second = _sig(*town, lang), _sig(*vendor, lang)
    assert first.victims and second.victims
    assert not victims_differ(first, second)
    assert not victims_differ(second, first)


def test_two_ministries_of_one_government_still_differ() -> None:
    health = _sig(
        "Ministry of Health confirms leak of staff records", "The Ministry of Health said files leaked.", "en"
    )
    defence = _sig("Ministry of Defence confirms leak of staff records", "The Ministry of Defence said so.", "en")
    assert victims_differ(health, defence)


# (language, a gang's town named as one, whose word its own language uses every day but English does not)
TOWNS = [
    (
        "fr",
        "Le gang Korvex frappe la Mairie de Vignoble",
        "Le gang Korvex a publié des fichiers de la Mairie de Vignoble.",
    ),
    ("de", "Korvex-Bande greift Gemeinde Kiefern an", "Die Bande Korvex veröffentlichte Daten der Gemeinde Kiefern."),
    (
        "es",
        "La banda Korvex ataca al Ayuntamiento de Olmedo",
        "La banda Korvex publicó datos del Ayuntamiento de Olmedo.",
    ),
    ("it", "La gang Korvex colpisce il Comune di Pineta", "La gang Korvex ha pubblicato dati del Comune di Pineta."),
    (
        "pt",
        "Gangue Korvex ataca Câmara Municipal de Pinhal Velho",
        "O grupo Korvex publicou dados da Câmara Municipal.",
    ),
    ("nl", "Bende Korvex treft Gemeente Wilgen", "De bende Korvex publiceerde gegevens van de Gemeente Wilgen."),
]
HOSPITAL = (
    "Korvex gang leaks patient files of Brennock Hospital",
    "The Korvex gang posted files of Brennock Hospital.",
)


@pytest.mark.parametrize(("lang", "title", "body"), TOWNS, ids=[t[0] for t in TOWNS])
def test_a_town_named_as_one_is_compared_across_languages(lang: str, title: str, body: str) -> None:
    town, hospital = _sig(title, body, lang), _sig(*HOSPITAL, "en")
    assert any(v["town"] for v in town.victims)
    assert victims_differ(town, hospital)
    assert victims_differ(hospital, town)


def test_a_follow_up_naming_the_victim_reaches_two_windows_back() -> None:
    first = _sig(ITEMS[0]["title"], ITEMS[0]["summary"], "it")
    later = _sig(ITEMS[2]["title"], ITEMS[2]["summary"], "en", DAY + timedelta(days=9))
    other = _sig(ITEMS[4]["title"], ITEMS[4]["summary"], "en", DAY + timedelta(days=9))
    assert in_reach(later, first, WEEK)
    assert not in_reach(later, first, WEEK / 2)  # two windows at most
    assert not in_reach(other, merge(first, first), WEEK)


ITEMS = [
    report(
        "f1",
        "asl-corvaro",
        "it",
        "2026-06-01",
        "Attacco informatico all'ASL Corvaro: esposti i dati di 20.000 pazienti",
        "L'azienda sanitaria Corvaro ha rilevato un accesso abusivo: recapiti di circa 20.000 assistiti copiati.",
    ),
    report(
        "f2",
        "asl-corvaro",
        "it",
        "2026-06-07",
        "Salgono a 64.000 i pazienti coinvolti nel data breach dell'ASL",
        "La ASL Corvaro aggiorna il bilancio: gli assistiti i cui dati sono stati sottratti sono 64.000.",
    ),
    report(
        "f3",
        "asl-corvaro",
        "en",
        "2026-06-10",
        "Italian health authority raises breach count to 64,000 patients",
        "Corvaro's local health authority said attackers copied booking records of 64,000 patients.",
    ),
    report(
        "f4",
        "korvex-campoverde",
        "pt",
        "2026-06-03",
        "Prefeitura de Campo Verde confirma ataque do grupo Korvex",
        "A Prefeitura de Campo Verde informou que holerites de servidores vazaram depois que o grupo Korvex atacou "
        "uma empresa contratada.",
    ),
    report(
        "f5",
        "asl-brenna",
        "en",
        "2026-06-10",
        "Second Italian health authority reports breach of 64,000 patients",
        "Brenna's local health authority said attackers copied booking records of 64,000 patients.",
    ),
    report(
        "f6",
        "korvex-campoverde",
        "pt",
        "2026-06-04",
        "Empresa Paylon confirma que o grupo Korvex copiou holerites",
        "A Paylon, que processa a folha de pagamento de Campo Verde, confirmou que o grupo Korvex copiou holerites.",
    ),
    report(
        "f7",
        "korvex-rioclaro",
        "pt",
        "2026-06-05",
        "Prefeitura de Rio Claro confirma ataque do grupo Korvex",
        "A Prefeitura de Rio Claro informou que o grupo Korvex publicou dados de contribuintes.",
    ),
    report(
        "f8",
        "korvex-pinhalvelho",
        "pt",
        "2026-06-08",
        "Grupo Korvex ataca a Câmara Municipal de Pinhal Velho",
        "O grupo Korvex publicou faturas da água e dados de munícipes da Câmara Municipal de Pinhal Velho.",
    ),
    report(
        "f9",
        "korvex-brenoza",
        "es",
        "2026-06-07",
        "La banda Korvex roba datos de pacientes del Hospital Comarcal de Brenoza",
        "El grupo Korvex asegura haber sustraído historias clínicas de pacientes del Hospital Comarcal de Brenoza.",
    ),
]


async def test_institutions_and_late_follow_ups_group_through_storage(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    stories = await group_through_storage(sessions, ITEMS)
    assert pair_errors(ITEMS, stories) == ([], [])
