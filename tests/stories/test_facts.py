"""Facts from our own sentences in the seven languages: counts in local notation, data types, names, dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.stories.facts import extract_facts, find_counts

COUNTS = [
    ("en", "The leak exposed 100,000 drivers in the region.", 100_000),
    ("en", "Roughly 1.2 million customers were told on Friday.", 1_200_000),
    ("en", "A dump of 2.4M unique addresses surfaced.", 2_400_000),
    ("fr", "Au total, 100 000 automobilistes seraient concernés.", 100_000),
    ("fr", "La base contenait 5,6 millions de clients.", 5_600_000),
    ("de", "Betroffen sind 3,6 Milliarden Standortpunkte von Handys.", 3_600_000_000),
    ("de", "Auch 22'000 Fahrzeuge aus der Schweiz sind dabei.", 22_000),
    ("de", "Die Polizei informierte 100.000 Bürger per Brief.", 100_000),
    ("es", "Se filtraron datos de 236.493 clientes de la operadora.", 236_493),
    ("es", "Hay un millón de registros en la muestra.", 1_000_000),
    ("it", "Sono coinvolti 2,3 milioni di utenti italiani.", 2_300_000),
    ("pt", "O vazamento atingiu 1,5 milhão de clientes.", 1_500_000),
    ("pt", "Foram expostos 76 mil celulares vigiados.", 76_000),
    ("nl", "Het lek trof twee miljoen klanten van de provider.", 2_000_000),
    ("nl", "Ook 61.000 Nederlandse auto's zijn betrokken.", 61_000),
]


@pytest.mark.parametrize(("lang", "sentence", "expected"), COUNTS)
def test_affected_count_in_local_notation(lang: str, sentence: str, expected: int) -> None:
    facts = extract_facts("", sentence, lang)
    assert facts.affected == expected, (sentence, facts)


def test_sizes_money_and_years_are_not_affected_counts() -> None:
    text = "In 2023 the gang leaked 581 GB and asked for 1.500 dólares; 100 000 euros of fines followed."
    counts = find_counts(text, "en")
    assert all(not c.counts_something for c in counts)
    assert [c.unit for c in counts if c.unit] == ["gb"]
    assert extract_facts("", text, "en").affected is None


def test_title_count_wins_over_body_counts() -> None:
    facts = extract_facts(
        "Camera maker exposes 40,000 faceprints",
        "The bucket also held 900,000 log lines, researchers said.",
        "en",
    )
    assert facts.affected == 40_000
    assert facts.affected_text == "40,000"


DATA_TYPES = [
    ("en", "Hackers copied faceprints and licence plate reads from the vendor.", {"face_images", "licence_plates"}),
    ("fr", "Des empreintes digitales et des plaques d'immatriculation ont fuité.", {"fingerprints", "licence_plates"}),
    ("de", "Die Bewegungsdaten und Kennzeichen lagen offen im Netz.", {"locations", "licence_plates"}),
    ("es", "Se expusieron huellas dactilares y registros de llamadas.", {"fingerprints", "call_records"}),
    ("it", "Rubati i filmati delle telecamere e le impronte digitali.", {"camera_footage", "fingerprints"}),
    ("pt", "Foram vazadas localizações e impressões digitais de presos.", {"locations", "fingerprints"}),
    ("nl", "Kentekens en locatiegegevens van burgers lagen op straat.", {"licence_plates", "locations"}),
]


@pytest.mark.parametrize(("lang", "sentence", "expected"), DATA_TYPES)
def test_data_types_in_each_language(lang: str, sentence: str, expected: set[str]) -> None:
    assert expected <= set(extract_facts("", sentence, lang).data_types)


def test_organisations_roles_and_culprits() -> None:
    facts = extract_facts(
        "Ransomware gang Nightowl hits Perceptics",
        "CBP said images held by the vendor were stolen; the LockBit crew was not involved, TechCrunch reported.",
        "en",
    )
    roles = {o["name"]: o["role"] for o in facts.organisations}
    assert roles == {"Perceptics": "vendor", "CBP": "agency"}
    assert "Nightowl" in facts.actors and "LockBit" in facts.actors
    assert "TechCrunch" not in roles  # who reported it is not a party to the breach


def test_countries_from_names_and_acronyms() -> None:
    french = extract_facts("", "Des voyageurs canadiens et des agents aux États-Unis.", "fr")
    assert set(french.countries) == {"CA", "US"}
    assert extract_facts("", "A US-Händler sold the records.", "de").countries == ["US"]


DATES = [
    ("en", "Records taken in May 2024 went online.", datetime(2024, 7, 1, tzinfo=UTC), "2024-05"),
    ("en", "The logs cover January 2, 2023 only.", None, "2023-01-02"),
    ("fr", "Il a été mis en examen le 26 septembre.", datetime(2018, 10, 1, tzinfo=UTC), "2018-09-26"),
    ("de", "Die Server gingen am 30. Oktober vom Netz.", datetime(2023, 11, 2, tzinfo=UTC), "2023-10-30"),
    ("es", "Entraron el 9 de enero con credenciales robadas.", datetime(2025, 1, 14, tzinfo=UTC), "2025-01-09"),
    ("it", "Il furto risale al 3 giugno 2022.", None, "2022-06-03"),
    ("pt", "O ataque ocorreu em 12 de agosto de 2023.", None, "2023-08-12"),
    ("nl", "De inbraak gebeurde op 28 december.", datetime(2025, 1, 3, tzinfo=UTC), "2024-12-28"),
]


@pytest.mark.parametrize(("lang", "sentence", "published", "expected"), DATES)
def test_dates_written_out(lang: str, sentence: str, published: datetime | None, expected: str) -> None:
    assert extract_facts("", sentence, lang, published).date == expected


def test_unknown_stays_empty() -> None:
    facts = extract_facts("Officials comment on privacy", "A spokesperson declined to say more.", "en")
    assert facts.affected is None
    assert facts.data_types == []
    assert facts.organisations == []
    assert facts.actors == []
    assert facts.countries == []
    assert facts.date is None


def test_term_lists_are_checked_against_their_schema(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from bot.classify.lexicon import LexiconError, parse_lexicon
    from bot.stories import config_schema

    with pytest.raises(config_schema.ConfigError, match="listed twice"):
        monkeypatch.setattr(config_schema, "load_toml", lambda _p: {"terms": ["leak", "Leak"]})
        config_schema.load("stories", "generic_terms.toml", config_schema.TermList)
    with pytest.raises(config_schema.ConfigError, match="reporters"):
        monkeypatch.setattr(config_schema, "load_toml", lambda _p: {"vendors": [], "agencies": [], "actors": []})
        config_schema.load("facts", "organisations.toml", config_schema.OrganisationsFile)
    twice = (
        '[[group]]\nconcept = "leak"\nweight = 0.9\nterms = ["fuite"]\n[[group]]\nconcept = "leak"\nterms = ["fuite"]\n'
    )
    with pytest.raises(LexiconError, match="listed twice under 'leak'"):
        parse_lexicon(twice, "fr")
