"""The same-incident decision on our own fictional reports: groups across outlets and languages, keeps
look-alikes apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.stories.decide import Candidate, agreement, best_story
from bot.stories.minhash import band_keys, shingles, signature, similarity
from bot.stories.signature import Signature, build_signature, index_keys, merge

WEEK = timedelta(days=7)


def sig(title: str, summary: str, lang: str, day: str, outlet: str | None = None) -> Signature:
    return build_signature(title, summary, lang, datetime.fromisoformat(day).replace(tzinfo=UTC), outlet)


# One fictional incident, five outlets, two languages.
KORVALIS = [
    sig(
        "Korvalis left 310,000 number-plate scans open on the internet",
        "An unprotected storage bucket run by the traffic-camera maker Korvalis held plate reads and "
        "vehicle photos from toll roads in three states, a researcher found.",
        "en",
        "2025-03-03",
    ),
    sig(
        "Toll-road camera vendor confirms exposure of plate data",
        "Korvalis said the bucket was closed within hours of being reported and that it is notifying "
        "the road authorities whose cameras fed it.",
        "en",
        "2025-03-04",
    ),
    sig(
        "Lawmakers ask Korvalis how long plate images sat exposed",
        "Two senators want the company to say who else downloaded the 310,000 scans before the bucket was locked.",
        "en",
        "2025-03-06",
    ),
    sig(
        "Fuite chez Korvalis : 310 000 images de plaques accessibles en ligne",
        "Le fabricant de caméras routières a laissé un espace de stockage sans mot de passe, selon un "
        "chercheur en sécurité.",
        "fr",
        "2025-03-04",
    ),
    sig(
        "Péages : les clichés de 310 000 véhicules exposés par un sous-traitant",
        "Les images de plaques collectées sur des autoroutes à péage étaient téléchargeables par "
        "n'importe qui, reconnaît Korvalis.",
        "fr",
        "2025-03-05",
    ),
]


def group(signatures: list[Signature]) -> list[int]:
    """Greedy online grouping, as ingestion does it, returning a story number per signature."""
    stories: dict[int, Signature] = {}
    out = []
    for s in signatures:
        choice = best_story(s, [Candidate(i, st) for i, st in stories.items()], WEEK)
        if choice is None:
            number = len(stories) + 1
            stories[number] = s
        else:
            number = choice[0].story_id
            stories[number] = merge(stories[number], s)
        out.append(number)
    return out


def test_outlets_and_languages_of_one_incident_form_one_story() -> None:
    assert len(set(group(KORVALIS))) == 1


def test_cross_language_pair_agrees_on_name_and_number() -> None:
    result = agreement(KORVALIS[3], KORVALIS[0])
    assert result.names >= 1.0
    assert result.numbers > 0
    assert result.words == 0.0  # word stems are never compared across languages


def test_same_company_months_later_is_another_story() -> None:
    later = sig(
        "Korvalis fined over last year's plate-scan leak",
        "Regulators fined the camera maker for leaving 310,000 plate scans in an open bucket.",
        "en",
        "2025-09-20",
    )
    assert group([*KORVALIS, later])[-1] != 1


def test_same_kind_of_breach_elsewhere_the_same_week_is_another_story() -> None:
    elsewhere = sig(
        "Parking operator Brellix exposes 52,000 licence plate images",
        "A misconfigured server at the garage chain Brellix let anyone browse entry-camera pictures of "
        "cars, a security researcher said.",
        "en",
        "2025-03-05",
    )
    assert group([*KORVALIS, elsewhere])[-1] != 1


def test_same_company_other_incident_same_week_without_shared_specifics() -> None:
    other = sig(
        "Ransomware hits Amsterdam parking app",
        "The city's parking payment service went offline after an attack on its supplier; no number "
        "plates were taken, officials said.",
        "en",
        "2025-03-05",
    )
    assert group([*KORVALIS, other])[-1] != 1


def test_republished_text_is_a_near_duplicate() -> None:
    text = (
        "Spyware maker Ghostline exposed messages and locations of 12,000 monitored phones through an "
        "open database, according to a researcher who found it last week."
    )
    a = sig("Ghostline spyware exposes monitored phones", text, "en", "2025-02-01")
    b = sig(
        "Ghostline spyware exposes monitored phones (updated)", text + " The company did not reply.", "en", "2025-02-01"
    )
    assert agreement(b, a).near_duplicate >= 0.5
    assert set(band_keys(a.minhashes[0])) & set(band_keys(b.minhashes[0]))


def test_minhash_estimates_jaccard() -> None:
    left = shingles(["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "today"])
    right = shingles(["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "cat", "today"])
    true = len(left & right) / len(left | right)
    assert abs(similarity(signature(left), signature(right)) - true) < 0.2
    assert similarity(signature(left), signature(left)) == 1.0


def test_index_keys_fit_the_column_and_include_names_and_numbers() -> None:
    keys = index_keys(KORVALIS[0])
    assert all(len(k) <= 40 for k in keys)
    assert "e:korvalis" in keys
    assert any(k.startswith("n:31") for k in keys)
    assert sum(1 for k in keys if k.startswith("m")) == 16


def test_signature_round_trips_through_json() -> None:
    merged = merge(KORVALIS[0], KORVALIS[3])
    again = Signature.from_json(merged.to_json())
    assert again == merged
    assert again.first == "2025-03-03" and again.last == "2025-03-04"
