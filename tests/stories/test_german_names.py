"""German names that look like nouns (issue 14): German writes every noun with a capital, so a town or company the
word lists know a little ("Rabenau", "Soest") was not read as a name, and a report whose victim is one ("der
Klinikgruppe Rabenau") named no victim: one gang's two victims merged. Two rules read them: a capitalised word right
after a noun that says what it names (roles.toml's name_heads), and a word joined to an acronym after it
("Südwestfalen-IT"). Checked on the signature and through storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.resources import config_path, load_toml
from bot.stories.config_schema import RolesFile
from bot.stories.decide import agreement, victims_differ
from bot.stories.facts import extract_facts
from bot.stories.signature import Signature, build_signature
from tests.stories_helpers import group_through_storage, pair_errors

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def _sig(title: str, body: str) -> Signature:
    return build_signature(title, body, "de", DAY)


def _item(ident: str, event: str, day: str, title: str, summary: str) -> dict[str, Any]:
    return {"id": ident, "event": event, "lang": "de", "date": day, "title": title, "summary": summary, "outlet": "T"}


# One gang, two victims in one week, each named after what it is; and one incident told three ways: the towns
# whose offices are shut, one town, the provider that was hit.
ITEMS = [
    _item(
        "k1",
        "nachtfalke-ilmental",
        "2026-03-02",
        "Erpressergruppe Nachtfalke stellt Daten der Stadtwerke Ilmental ins Netz",
        "Die Gruppe Nachtfalke hat Verbrauchsdaten und Kontoverbindungen von Kunden der Stadtwerke Ilmental "
        "veröffentlicht.",
    ),
    _item(
        "k2",
        "nachtfalke-rhongrund",
        "2026-03-05",
        "Nachtfalke erbeutet Befunde vom Klinikverbund Rhöngrund",
        "Nach eigenen Angaben hat die Gruppe Nachtfalke Arztbriefe und Versichertendaten von Patienten des "
        "Klinikverbunds Rhöngrund kopiert. Die Häuser arbeiten im Notbetrieb.",
    ),
    _item(
        "g1",
        "nordhessen-it",
        "2026-03-02",
        "Hackerangriff legt Bürgerämter in Nordhessen lahm",
        "Nach einem Angriff auf den kommunalen Dienstleister Nordhessen-IT sind viele Verwaltungen weder per Mail "
        "noch telefonisch erreichbar.",
    ),
    _item(
        "g2",
        "nordhessen-it",
        "2026-03-03",
        "Stift und Papier im Rathaus: Standesamt nur für Notfälle geöffnet",
        "Weil Nordhessen-IT in der Nacht sämtliche Server heruntergefahren hat, arbeitet die Stadtverwaltung "
        "ohne ihre Fachanwendungen.",
    ),
    _item(
        "g3",
        "nordhessen-it",
        "2026-03-04",
        "Nordhessen-IT: Mehr als 40 Kommunen weiter ohne Fachverfahren",
        "Die Staatsanwaltschaft ermittelt nach dem Einbruch bei dem kommunalen Dienstleister. Ob Daten abgeflossen "
        "sind, ist offen.",
    ),
]


def test_a_capitalised_word_after_a_head_noun_is_a_name() -> None:
    facts = extract_facts(ITEMS[1]["title"], ITEMS[1]["summary"], "de", DAY)
    assert len(facts.victims) == 1 and "Rhöngrund" in facts.victims[0]  # "Klinikverbunds Rhöngrund"
    sig = _sig("Datenleck im Kreis Waldeck", "Im Kreis Waldeck wurden Meldedaten kopiert.")
    assert "waldeck" in sig.entities
    assert [v["keys"] for v in sig.victims] == [["kreis", "waldeck"]]


def test_a_word_german_uses_every_day_stays_a_noun_after_a_head_noun() -> None:
    sig = _sig("Angriff auf Versorger", "Hacker haben dem Dienstleister Daten gestohlen.")
    assert "daten" not in sig.entities and "daten" not in sig.weak_entities


def test_a_word_joined_to_an_acronym_is_a_name_even_first_in_the_headline() -> None:
    sig = _sig(ITEMS[4]["title"], ITEMS[4]["summary"])
    assert sig.entities.get("nordhessen", 0.0) >= 0.8
    assert ["nordhessen"] in [v["keys"] for v in sig.victims]
    linking = _sig("Verwaltungs-IT fällt aus", "Die Verwaltungs-IT des Landes ist gestört.")
    assert "verwaltungs" not in linking.entities and "verwaltungs" not in linking.weak_entities


def test_one_gang_two_victims_named_after_what_they_are_are_two_incidents() -> None:
    first = _sig(ITEMS[0]["title"], ITEMS[0]["summary"])
    second = _sig(ITEMS[1]["title"], ITEMS[1]["summary"])
    assert victims_differ(second, first)
    assert agreement(second, first).score == 0.0


async def test_german_names_group_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    stories = await group_through_storage(sessions, ITEMS)
    wrong, missed = pair_errors(ITEMS, stories)
    assert wrong == []
    assert missed == []


def test_the_name_heads_are_checked_against_their_schema() -> None:
    shipped = load_toml(config_path("facts", "roles.toml"))
    assert "stadtwerke" in RolesFile.model_validate(shipped).name_heads["de"]
    with pytest.raises(ValidationError, match="not one of the languages"):
        RolesFile.model_validate({**shipped, "name_heads": {"xx": ["werk"]}})
    with pytest.raises(ValidationError, match="listed twice"):
        RolesFile.model_validate({**shipped, "name_heads": {"de": ["werk", "Werk"]}})
