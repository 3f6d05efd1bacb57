"""A name that opens a sentence (issue 14): the first word of a headline or a sentence is capitalised whatever it is,
so it was only "perhaps a name", and a report whose headline starts with its victim ("Brackwater College confirms
...") named no victim: one gang's two victims merged. Such a word begins a name when the word lists barely know it
and another capitalised word follows it directly; an everyday noun ("Leverancier Kliniknet") or a role cue
("Hacktivists Ironfen ...") does not. Checked on the signature and through storage on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.stories.decide import agreement, victims_differ
from bot.stories.signature import Signature, build_signature
from tests.stories_helpers import group_through_storage, pair_errors, report

DAY = datetime(2026, 4, 6, tzinfo=UTC)


def _sig(title: str, body: str, lang: str) -> Signature:
    return build_signature(title, body, lang, DAY)


# (language, headline starting with the victim, body, the victim's first word)
OPENERS = [
    (
        "en",
        "Brackwater College confirms data theft claimed by Ironfen",
        "Brackwater College said payroll files may have been copied after the Ironfen gang listed it.",
        "brackwater",
    ),
    (
        "fr",
        "Quervanne Assurances confirme le vol revendiqué par Ironfen",
        "Quervanne Assurances indique que des contrats ont été copiés.",
        "quervanne",
    ),
    (
        "es",
        "Tordevia Seguros confirma el robo reivindicado por Ironfen",
        "Tordevia Seguros reconoce que se copiaron pólizas de clientes.",
        "tordevia",
    ),
    (
        "it",
        "Valbrenta Servizi conferma il furto di dati rivendicato da Ironfen",
        "Valbrenta Servizi ammette che sono stati copiati contratti dei clienti.",
        "valbrenta",
    ),
    (
        "pt",
        "Serramar Seguros confirma roubo de dados reivindicado pela Ironfen",
        "Serramar Seguros admite que apólices de clientes foram copiadas.",
        "serramar",
    ),
    (
        "nl",
        "Duinhaven Verzekeringen bevestigt diefstal van klantgegevens",
        "Duinhaven Verzekeringen zegt dat polissen zijn gekopieerd.",
        "duinhaven",
    ),
]


@pytest.mark.parametrize(("lang", "title", "body", "first"), OPENERS, ids=[o[0] for o in OPENERS])
def test_a_rare_word_opening_a_headline_before_another_capitalised_one_begins_the_victim(
    lang: str, title: str, body: str, first: str
) -> None:
    sig = _sig(title, body, lang)
    assert first in sig.entities
    assert any(first in v["keys"] for v in sig.victims)


def test_an_everyday_noun_or_a_role_cue_opening_a_sentence_is_no_name() -> None:
    noun = _sig("Leverancier Kliniknet getroffen door hack", "Leverancier Kliniknet bevestigt de hack.", "nl")
    assert "leverancier" not in noun.entities and "kliniknet" in noun.entities
    cue = _sig("Hacktivists Ironfen hit two ministries", "Hacktivists Ironfen posted files.", "en")
    assert "hacktivists" not in cue.entities


def test_a_rare_opener_followed_by_a_lower_case_word_stays_unsure() -> None:
    sig = _sig("Wiretap backdoors found in routers", "Wiretap backdoors were found in two router brands.", "en")
    assert "wiretap" not in sig.entities and sig.victims == []


ITEMS = [
    report(
        "o1",
        "ironfen-tamsey",
        "en",
        "2026-04-06",
        "Ironfen gang leaks patient files of Tamsey General Hospital",
        "The Ironfen extortion group published scans and discharge letters it says it took from Tamsey General.",
    ),
    report(
        "o2",
        "ironfen-brackwater",
        "en",
        "2026-04-09",
        "Brackwater College confirms data theft claimed by Ironfen",
        "Brackwater College said payroll files of its teachers may have been copied after the Ironfen gang listed "
        "it, three days after a hospital.",
    ),
    report(
        "o3",
        "ironfen-brackwater",
        "en",
        "2026-04-10",
        "Teachers' payslips from Brackwater College posted online",
        "The school told staff that the files the Ironfen group published include salaries and bank details.",
    ),
]


def test_one_gang_two_victims_one_named_first_in_its_headline_are_two_incidents() -> None:
    first = _sig(ITEMS[0]["title"], ITEMS[0]["summary"], "en")
    second = _sig(ITEMS[1]["title"], ITEMS[1]["summary"], "en")
    assert victims_differ(second, first)
    assert agreement(second, first).score == 0.0


async def test_openers_group_through_storage(sessions: async_sessionmaker[AsyncSession]) -> None:
    stories = await group_through_storage(sessions, ITEMS)
    assert pair_errors(ITEMS, stories) == ([], [])
