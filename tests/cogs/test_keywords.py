"""`/keywords` through the emulator: previews on past stories, apply and discard, refusals and bad input."""

from __future__ import annotations

import pytest

from bot import tuning
from tests.botfixtures import TestBot, new_story
from tests.emulator.invoke import InteractionRefused
from tests.emulator.server import Emulator


async def _kw(emu: Emulator, sub: str, member: object = None, **options: object) -> str:
    inv = await emu.invoke("keywords", options, subcommand=sub, member=member or emu.owner_like)  # type: ignore[arg-type]
    return str((await inv.wait_message())["content"])


@pytest.fixture
def mod(emulator: Emulator) -> object:
    from tests.emulator import constants as perms

    member = emulator.add_member("server-mod", permissions=perms.MANAGE_GUILD)
    emulator.owner_like = member  # type: ignore[attr-defined]
    return member


async def test_block_is_previewed_then_applied(emulator: Emulator, bw: TestBot, mod: object) -> None:
    await new_story(bw.services, title="Drone camera footage of protesters leaked online", categories=["cctv"])
    await new_story(bw.services, title="Police database of informants stolen", categories=["police_db"])
    text = await _kw(emulator, "block", term="drone camera")
    assert "Pending change" in text and "block “drone camera”" in text
    assert "Would stop alerting (1)" in text and "Drone camera footage" in text
    async with bw.services.sessions() as s:
        assert (await tuning.load_guild_rules(s, emulator.guild.id)).is_default  # nothing applied yet
    inv = await emulator.invoke(
        "keywords",
        {},
        subcommand="backtest",
        member=mod,
    )  # type: ignore[arg-type]
    preview = await inv.wait_message()
    assert "Would stop alerting (1)" in preview["content"]
    click = await emulator.click(preview, "bw:kw:apply", member=mod)  # type: ignore[arg-type]
    await click.wait_response()
    async with bw.services.sessions() as s:
        assert (await tuning.load_guild_rules(s, emulator.guild.id)).blocked == ("drone camera",)
    listed = await _kw(emulator, "list")
    assert "block “drone camera”" in listed and "0 relevant, 0 not relevant" in listed


async def test_discard_leaves_rules_alone(emulator: Emulator, bw: TestBot, mod: object) -> None:
    inv = await emulator.invoke(
        "keywords", {"term": "geofence warrant", "concept": "location"}, subcommand="add", member=mod
    )  # type: ignore[arg-type]
    preview = await inv.wait_message()
    assert "add “geofence warrant” to location" in preview["content"]
    click = await emulator.click(preview, "bw:kw:discard", member=mod)  # type: ignore[arg-type]
    await click.wait_response()
    async with bw.services.sessions() as s:
        assert (await tuning.load_guild_rules(s, emulator.guild.id)).is_default
    assert "Nothing is pending" in await _kw(emulator, "backtest")


@pytest.mark.parametrize(
    ("sub", "options", "expected"),
    [
        ("block", {"term": "x"}, "at least two letters"),
        ("block", {"term": "**"}, "at least two letters"),
        ("force", {"term": "a" * 150}, "at most 100 characters"),
        ("add", {"term": "plates", "concept": "weather"}, "unknown concept"),
    ],
)
async def test_bad_terms_get_a_clear_reply(
    emulator: Emulator, bw: TestBot, mod: object, sub: str, options: dict[str, object], expected: str
) -> None:
    assert expected in await _kw(emulator, sub, **options)


async def test_empty_and_too_long_terms_are_refused_by_discord_schema(
    emulator: Emulator, bw: TestBot, mod: object
) -> None:
    for term in ("", "a" * 201):
        with pytest.raises(InteractionRefused):
            await emulator.invoke("keywords", {"term": term}, subcommand="block", member=mod)  # type: ignore[arg-type]


async def test_test_command_explains(emulator: Emulator, bw: TestBot, mod: object) -> None:
    text = await _kw(emulator, "test", text="Hackers stole the face-recognition database of the city police")
    assert text.startswith("**Alert**") and "facial_recognition" in text
    text = await _kw(emulator, "test", text="The city council banned facial recognition")
    assert text.startswith("**No alert**")


async def test_members_without_manage_server_are_refused(emulator: Emulator, bw: TestBot, mod: object) -> None:
    # The moderator fixture has Manage Channels, not Manage Server.
    with pytest.raises(InteractionRefused):
        await emulator.invoke("keywords", {}, subcommand="list", member=emulator.moderator)
    inv = await emulator.invoke(
        "keywords", {"term": "plates"}, subcommand="block", member=emulator.moderator, admin_override=True
    )
    assert "Manage Server" in (await inv.wait_message())["content"]


async def test_concept_autocomplete(emulator: Emulator, bw: TestBot, mod: object) -> None:
    inv = await emulator.autocomplete("keywords", "concept", "loca", {"term": "x"}, subcommand="add", member=mod)  # type: ignore[arg-type]
    await inv.wait_response()
    assert "location" in [c["value"] for c in inv.choices]


async def test_test_command_shows_the_trained_model_and_nearest_cases(
    emulator: Emulator, bw: TestBot, mod: object
) -> None:
    from bot.runtime import build_judge

    bw.services.judge = build_judge(bw.services.settings)
    text = await _kw(emulator, "test", text="Support staff at a doorbell-camera maker watched customers' clips for fun")
    assert text.startswith("**Alert**"), text
    assert "trained model decided" in text and "Closest known cases:" in text
