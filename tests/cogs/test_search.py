"""`/search`, `/story` and `/breachwatch status` through the emulator on real SQL with the real search index."""

from __future__ import annotations

from typing import Any

import pytest

from tests.botfixtures import TestBot, new_story
from tests.emulator.fixtures import eventually
from tests.emulator.server import Emulator
from tests.factories import make_source, make_story
from tests.storage.test_search_scale import _archive


async def _search(emu: Emulator, member: Any = None, **options: Any) -> tuple[Any, dict[str, Any]]:
    inv = await emu.invoke("search", options, member=member or emu.member)
    return inv, await inv.wait_message(timeout=10)


async def test_french_story_found_with_and_without_accents_and_inflected(emulator: Emulator, bw: TestBot) -> None:
    sid = await new_story(
        bw.services,
        title="Fuite des données biométriques de la police aux frontières",
        summary="Les empreintes de milliers de voyageurs exposées.",
        language="fr",
        categories=["biometrics"],
    )
    await new_story(bw.services, title="Ransomware hits a bakery chain", summary="Loyalty cards taken.")
    # Several readers, so the per-user cooldown does not get in the way.
    for i, query in enumerate(("données biométriques", "donnees biometriques", "fuites", "FUITE -bakery")):
        _, answer = await _search(emulator, emulator.add_member(f"reader{i}"), query=query)
        assert f"#{sid}" in answer["content"], (query, answer["content"])
        assert "Ransomware" not in answer["content"]
        assert int(answer["flags"]) & 64  # ephemeral
    reader = emulator.add_member("reader-filters")
    _, answer = await _search(emulator, reader, query='"police aux frontières"', language="fr", category="biometrics")
    assert f"#{sid}" in answer["content"]
    _, answer = await _search(emulator, reader, query="fuite", language="de")
    assert "No story matches" in answer["content"]


async def test_pages_through_thirty_results(emulator: Emulator, bw: TestBot) -> None:
    for i in range(30):
        await new_story(bw.services, title=f"Camera archive leaked, case {i}", summary="Footage exposed online.")
    _, answer = await _search(emulator, query="camera leaked")
    assert "(30)" in answer["content"]
    seen = set(_ids(answer["content"]))
    message = answer
    for page in range(2, 7):
        click = await emulator.click(message, _button(message, "Next"), member=emulator.member)
        await click.wait_response()
        message = click.original or message
        assert f"page {page}" in message["content"]
        seen |= set(_ids(message["content"]))
    assert len(seen) == 30
    assert _disabled(message, "Next")


def _ids(text: str) -> list[str]:
    return [w for w in text.replace("**", " ").split() if w.startswith("#") and w[1:].isdigit()]


def _button(message: dict[str, Any], label: str) -> str:
    for row in message["components"]:
        for c in row["components"]:
            if c.get("label") == label:
                return str(c["custom_id"])
    raise AssertionError(f"no {label} button")


def _disabled(message: dict[str, Any], label: str) -> bool:
    return any(c.get("label") == label and c.get("disabled") for r in message["components"] for c in r["components"])


@pytest.mark.parametrize("query", ["!!!", "-leak", "a" * 70, "OR NEAR(", '"'])
async def test_empty_or_absurd_queries_get_help(emulator: Emulator, bw: TestBot, query: str) -> None:
    _, answer = await _search(emulator, query=query)
    assert answer["content"] and "went wrong" not in answer["content"]
    assert int(answer["flags"]) & 64


async def test_search_cooldown_is_per_user(emulator: Emulator, bw: TestBot) -> None:
    answers = [(await _search(emulator, query=f"camera {i}"))[1]["content"] for i in range(5)]
    assert "Please wait" in answers[-1] and "4 times in 20 s" in answers[-1]
    _, other = await _search(emulator, member=emulator.moderator, query="camera")
    assert "Please wait" not in other["content"]


async def test_story_shows_everything(emulator: Emulator, bw: TestBot) -> None:
    sid = await new_story(
        bw.services,
        title="Plate scans of 100,000 travellers stolen",
        facts={"affected": 100000, "organisations": ["Perceptics"]},
    )
    inv = await emulator.invoke("story", {"id": sid}, member=emulator.member)
    embed = (await inv.wait_message())["embeds"][0]
    assert embed["title"].startswith(f"#{sid} Plate scans")
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Affected"] == "100,000" and "Perceptics" in fields["Organisations"]
    assert "0 relevant" in fields["Feedback"]
    assert any(name.startswith("Reported by 1") for name in fields)
    inv = await emulator.invoke("story", {"id": 999999}, member=emulator.member)
    assert "no story #999999" in (await inv.wait_message())["content"]


async def test_autocomplete_category_and_source(emulator: Emulator, bw: TestBot) -> None:
    await new_story(bw.services, categories=["spyware"])
    inv = await emulator.autocomplete("search", "category", "spy", {"query": "x"}, member=emulator.member)
    await inv.wait_response()
    assert "spyware" in [c["value"] for c in inv.choices]
    inv = await emulator.autocomplete("search", "source", "Example", {"query": "x"}, member=emulator.member)
    await inv.wait_response()
    assert any("feed.example" in c["value"] for c in inv.choices)


async def test_status_for_anyone(emulator: Emulator, bw: TestBot) -> None:
    await new_story(bw.services)
    inv = await emulator.invoke("breachwatch", {}, subcommand="status", member=emulator.member)
    text = (await inv.wait_message())["content"]
    assert "breachwatch 0.1.0" in text and "Last 24 hours: 1 story, 0 alerts sent" in text and "Sources:" in text


@pytest.mark.faults
async def test_search_over_100k_stories_answers_within_the_deadline(emulator: Emulator, bw: TestBot) -> None:
    await _archive(bw.services.engine)
    inv, answer = await _search(emulator, query="caméras fuites")
    assert inv.response is not None and inv.response["type"] == 5  # deferred at once, well inside 3 s
    assert "Results for" in answer["content"]


async def test_a_servers_own_feed_is_invisible_to_other_servers(emulator: Emulator, bw: TestBot) -> None:
    """Servers are tenants: a story only one server's own feed carries is not found, shown or offered elsewhere."""
    other = emulator.add_guild("Other server")
    await eventually(lambda: bw.get_guild(other.id), what="the second guild")
    reader = emulator.add_member("reader-elsewhere", guild=other)
    there = other.live_channels()[0]
    async with bw.services.sessions.begin() as s:
        source = await make_source(s, url="https://own.example/feed", name="Own Feed", guild_id=emulator.guild.id)
        sid = (await make_story(s, source, title="Vigilex plate scans stolen, verify your account")).id
    _, answer = await _search(emulator, query="Vigilex")
    assert f"#{sid}" in answer["content"]
    inv = await emulator.invoke("search", {"query": "Vigilex"}, member=reader, channel=there)
    answer = await inv.wait_message(timeout=10)
    assert "No story matches" in answer["content"] and "verify" not in answer["content"]
    inv = await emulator.invoke("story", {"id": sid}, member=reader, channel=there)
    assert f"no story #{sid}" in (await inv.wait_message())["content"]
    inv = await emulator.invoke("story", {"id": sid}, member=emulator.member)
    assert (await inv.wait_message())["embeds"][0]["title"].startswith(f"#{sid} Vigilex")
    inv = await emulator.autocomplete("search", "source", "", {"query": "x"}, member=reader, channel=there)
    await inv.wait_response()
    assert "https://own.example/feed" not in [c["value"] for c in inv.choices]
