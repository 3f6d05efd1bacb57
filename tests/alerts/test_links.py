"""Links are data: a feed's link can never render a second link, in alerts, digests, `/story` or notices.

Links in the rendered text are found with simple-markdown's link rule (the parser Discord's clients build on), so
"how many links does the reader see, and where do they lead" is answered as the client would answer it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot.alerts import render
from bot.alerts.view import AlertView, Outlet
from bot.core.links import markdown_link, safe_url
from storage import sources as source_store
from storage.models import Notice, Source, Story
from storage.sources import FetchRecord
from tests.botfixtures import TestBot, new_story, subscribe, worker
from tests.emulator.server import Emulator
from tests.factories import add_outlet

HOSTILE = "http://x/a) **[Verify](https://evil.example)** ("
# simple-markdown's `link` rule: [label](target "optional title").
_LINK = re.compile(
    r"\[((?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*)\]\(\s*<?((?:\([^)]*\)|[^\s\\]|\\.)*?)>?(?:\s+['\"]([\s\S]*?)['\"])?\s*\)"
)


def link_targets(text: str) -> list[str]:
    return [m.group(2) for m in _LINK.finditer(text)]


def hosts(text: str) -> set[str]:
    return {urlsplit(t).hostname or "" for t in link_targets(text)}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (HOSTILE, "http://x/a%29%20%2A%2A%5BVerify%5D%28https://evil.example%29%2A%2A%20%28"),
        ("https://a.example/p?q=a b&r=<x>#top", "https://a.example/p?q=a%20b&r=%3Cx%3E#top"),
        (
            "https://a.example/_x_/~y~/*z*/|w|/`v`/[u]",
            "https://a.example/%5Fx%5F/%7Ey%7E/%2Az%2A/%7Cw%7C/%60v%60/%5Bu%5D",
        ),
        ("https://a.example/caf%C3%A9/été", "https://a.example/caf%C3%A9/%C3%A9t%C3%A9"),
        ("HTTPS://User:pw@Bank.Example@evil.example:8443/x", "https://evil.example:8443/x"),
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("http://[2001:db8::1]/a", "http://[2001:db8::1]/a"),
        ("https://a.example", "https://a.example/"),
    ],
)
def test_safe_url_encodes_what_markdown_reads(url: str, expected: str) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://a.example/x",
        "//a.example/x",
        "/relative/path",
        "https://evil.example)[x](y/",
        "https://a_b.example/",
        "https:///no-host",
        "http://[::1/",
        "https://a.example:99999/",
        "https://a.example/" + "x" * 3000,
        "",
        None,
    ],
)
def test_safe_url_refuses_what_is_not_a_plain_web_link(url: str | None) -> None:
    assert safe_url(url) is None
    assert markdown_link("Label", url) == "Label"


def _view(**kw: object) -> AlertView:
    base: dict[str, object] = {
        "story_id": 7,
        "title": "Plate-reader images stolen",
        "url": "https://a.example/x",
        "outlet": "Wire",
        "summary": "Hackers took images.",
        "published_at": datetime(2019, 6, 10, 12, tzinfo=UTC),
        "language": "en",
    }
    base.update(kw)
    return AlertView(**base)  # type: ignore[arg-type]


def test_hostile_link_is_one_link_in_alert_and_digest() -> None:
    view = _view(url=HOSTILE, others=(Outlet("Le Monde", HOSTILE), Outlet("Heise", "https://c.example/z")))
    embed = render.alert_embed(view)
    assert embed["url"] == safe_url(HOSTILE)
    targets = link_targets(embed["description"])
    assert len(targets) == 2 and hosts(embed["description"]) == {"x", "c.example"}
    assert "**" not in embed["description"]
    [digest] = render.digest_payloads([view], "daily")
    text = digest["embeds"][0]["description"]
    assert link_targets(text) == [safe_url(HOSTILE)] and hosts(text) == {"x"}


def test_unlinkable_url_leaves_the_name_as_text() -> None:
    view = _view(url="javascript:alert(1)", others=(Outlet("Le Monde", "javascript:alert(1)"),))
    embed = render.alert_embed(view)
    assert "url" not in embed
    assert link_targets(embed["description"]) == [] and "Le Monde" in embed["description"]
    [digest] = render.digest_payloads([view], "daily")
    assert link_targets(digest["embeds"][0]["description"]) == []


def test_many_long_links_are_never_cut_in_the_middle() -> None:
    others = tuple(Outlet(f"Outlet {i}", f"https://o{i}.example/{'(' * 150}") for i in range(8))
    description = render.alert_embed(_view(others=others))["description"]
    line = next(p for p in description.split("\n\n") if p.startswith("Also reported by"))
    assert len(line) <= render.OTHERS_MAX
    shown = link_targets(line)
    assert shown and all(t.endswith("%28" * 150) for t in shown)
    assert line.endswith(f"and {8 - len(shown)} more")


def test_author_name_is_shown_as_written() -> None:
    # Discord does not read markdown in an embed's author name: escaping it would show the backslashes.
    embed = render.alert_embed(_view(outlet="Wired_UK *Security*   [beta]"))
    assert embed["author"]["name"] == "Wired_UK *Security* [beta]"


async def test_alert_and_story_through_discord_show_one_link_per_outlet(emulator: Emulator, bw: TestBot) -> None:
    await subscribe(emulator)
    sid = await new_story(bw.services, url=HOSTILE, outlet="First Outlet")
    async with bw.services.sessions.begin() as s:
        story = await s.get(Story, sid)
        source = (await s.execute(select(Source))).scalars().first()
        assert story is not None and source is not None
        await add_outlet(s, story, source, "Le Monde", HOSTILE.replace("/a)", "/b)"))
    assert (await worker(bw).run_once()).sent == 1
    [message] = emulator.messages(emulator.channel)
    embed = message["embeds"][0]
    assert urlsplit(embed["url"]).hostname == "x"
    assert hosts(embed["description"]) == {"x"} and len(link_targets(embed["description"])) == 1
    inv = await emulator.invoke("story", {"id": sid}, member=emulator.member)
    shown = (await inv.wait_message())["embeds"][0]
    reported = next(f["value"] for f in shown["fields"] if f["name"].startswith("Reported by"))
    assert len(link_targets(reported)) == 2 and hosts(reported) == {"x"}
    assert urlsplit(shown["url"]).hostname == "x"


async def test_source_disabled_notice_carries_the_encoded_address(emulator: Emulator, bw: TestBot) -> None:
    now = datetime.now(UTC)
    async with bw.services.sessions.begin() as s:
        row, _ = await source_store.add_source(s, HOSTILE, now, guild_id=emulator.guild.id, origin="guild")
        record = FetchRecord(
            started_at=now,
            duration_ms=10,
            status="error",
            http_status=500,
            nbytes=0,
            entries=0,
            new_entries=0,
            error_kind="http",
            error="HTTP 500",
            etag=None,
            last_modified=None,
            next_fetch_at=now,
            consecutive_failures=5,
            first_failure_at=now - timedelta(days=4),
            disable=True,
        )
        await source_store.record_fetch(s, row.id, record)
    async with bw.services.sessions() as s:
        [notice] = (await s.execute(select(Notice))).scalars().all()
    assert f"<{safe_url(HOSTILE)}>" in notice.message
    assert "**" not in notice.message and "](" not in notice.message
