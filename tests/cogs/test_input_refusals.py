"""Option values the database cannot hold are refused politely before any query, for every command."""

from __future__ import annotations

import logging

import pytest

from tests.botfixtures import TestBot, new_story
from tests.emulator import constants as perms
from tests.emulator.server import Emulator


async def test_nul_in_a_search_option_is_refused_politely(emulator: Emulator, bw: TestBot) -> None:
    await new_story(bw.services, title="Camera archive leaked")
    for options in ({"query": "camera\x00"}, {"query": "camera", "source": "Example\x00Feed"}):
        inv = await emulator.invoke("search", options, member=emulator.add_member(f"r{len(options)}"))
        answer = await inv.wait_message(timeout=10)
        assert "NUL character" in answer["content"] and "went wrong" not in answer["content"], answer["content"]
        assert int(answer["flags"]) & 64


async def test_nul_in_a_keyword_term_is_refused_politely(emulator: Emulator, bw: TestBot) -> None:
    mod = emulator.add_member("server-mod", permissions=perms.MANAGE_GUILD)
    inv = await emulator.invoke("keywords", {"term": "drone\x00show"}, subcommand="block", member=mod)
    answer = await inv.wait_message(timeout=10)
    assert "NUL character" in answer["content"] and "went wrong" not in answer["content"], answer["content"]


async def test_nul_in_an_autocomplete_value_gets_no_choices(
    emulator: Emulator, bw: TestBot, caplog: pytest.LogCaptureFixture
) -> None:
    await new_story(bw.services, categories=["spyware"])
    with caplog.at_level(logging.ERROR):
        for option in ("source", "category"):
            inv = await emulator.autocomplete("search", option, "Ex\x00", {"query": "x"}, member=emulator.member)
            await inv.wait_response()
            assert inv.choices == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
