"""Alert messages: readable, within every Discord limit, and unable to ping or inject markdown."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.alerts import render
from bot.alerts.text import cut, safe
from bot.alerts.view import AlertView, Outlet


def _view(**kw: object) -> AlertView:
    base: dict[str, object] = {
        "story_id": 7,
        "title": "Plate-reader images of 100,000 travellers stolen",
        "url": "https://a.example/x",
        "outlet": "Wire",
        "summary": "Hackers took images from a border contractor.",
        "published_at": datetime(2019, 6, 10, 12, tzinfo=UTC),
        "language": "en",
        "categories": ("alpr",),
        "facts": {
            "affected": 100000,
            "data_types": ["licence plates", "face images"],
            "organisations": ["Perceptics", "CBP"],
            "country": "US",
        },
        "evidence": {"breach": ["stolen"], "alpr": ["plate reader"]},
        "score": 0.93,
    }
    base.update(kw)
    return AlertView(**base)  # type: ignore[arg-type]


def test_alert_embed_reads_at_a_glance() -> None:
    view = _view(others=(Outlet("Le Monde", "https://b.example/y", "fr"), Outlet("Heise", "https://c.example/z")))
    payload = render.alert_payload(view)
    embed = payload["embeds"][0]
    assert embed["title"].startswith("Plate-reader images")
    assert embed["url"] == "https://a.example/x"
    assert embed["author"]["name"] == "Wire"
    assert "Also reported by 2 outlets" in embed["description"]
    assert "<t:1560168000:f>" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Affected"] == "100,000"
    assert "Perceptics" in fields["Organisations"]
    assert fields["Country"] == "US"
    assert "Licence plates" in fields["Categories"]
    assert embed["color"] == render.CATEGORY_COLOURS["alpr"]
    assert "stolen" in embed["footer"]["text"]
    assert payload["allowed_mentions"] == {"parse": [], "roles": []}
    buttons = payload["components"][0]["components"]
    assert [b["label"] for b in buttons] == ["Relevant", "Not relevant"]
    assert buttons[0]["custom_id"] == "bw:fb:1:7"


def test_feed_text_cannot_ping_or_format() -> None:
    view = _view(
        title="@everyone **URGENT** <@&123> [click](https://evil.example) @here",
        summary="<@42> `code` > quote",
        outlet="@everyone",
    )
    payload = render.alert_payload(view)
    embed = payload["embeds"][0]
    text = embed["title"] + embed["description"] + embed["author"]["name"]
    assert "@everyone" not in text and "@here" not in text
    assert "<@&123>" not in text and "<@42>" not in text
    assert "\\*\\*URGENT\\*\\*" in embed["title"]
    assert "\\[click\\]" in embed["title"]
    assert payload["allowed_mentions"]["parse"] == []


def test_role_mention_only_for_the_subscription_role() -> None:
    payload = render.alert_payload(_view(title="@everyone look"), mention_role_id=555)
    assert payload["content"] == "<@&555>"
    assert payload["allowed_mentions"] == {"parse": [], "roles": ["555"]}


def test_test_alert_is_marked_and_has_no_feedback() -> None:
    payload = render.alert_payload(_view(), test=True)
    assert payload["embeds"][0]["title"].startswith("[TEST] ")
    assert payload["components"] == []


def test_cut_prefers_sentence_then_word() -> None:
    text = "The first sentence is here. The second one goes on and on and on without stopping anywhere."
    assert cut(text, 40) == "The first sentence is here."
    cut_words = cut("alpha beta gamma delta epsilon", 18)
    assert cut_words == "alpha beta gamma…"
    assert cut("short", 10) == "short"


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(min_size=0, max_size=2000),
    summary=st.text(min_size=0, max_size=9000),
    outlet=st.text(max_size=600),
    orgs=st.lists(st.text(max_size=400), max_size=30),
)
def test_every_discord_limit_holds(title: str, summary: str, outlet: str, orgs: list[str]) -> None:
    view = _view(
        title=title,
        summary=summary,
        outlet=outlet,
        facts={"organisations": orgs, "data_types": orgs},
        others=tuple(Outlet(f"o{i}", f"https://o{i}.example") for i in range(40)),
    )
    embed = render.alert_embed(view)
    assert 0 < len(embed["title"]) <= render.TITLE_MAX
    assert len(embed["description"]) <= render.DESCRIPTION_MAX
    assert len(embed["fields"]) <= render.FIELDS_MAX
    assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in embed["fields"])
    assert len(embed["author"]["name"]) <= render.AUTHOR_MAX
    assert render.embed_size(embed) <= render.EMBED_TOTAL_MAX
    assert "@everyone" not in embed["title"] + embed["description"]


def test_digest_splits_within_limits() -> None:
    views = [_view(story_id=i, title=f"Story {i} " + "x" * 150, summary="y " * 200) for i in range(120)]
    messages = render.digest_payloads(views, "daily")
    assert len(messages) > 1
    seen = 0
    for m in messages:
        assert len(m["embeds"]) <= render.EMBEDS_PER_MESSAGE
        assert sum(len(e["description"]) for e in m["embeds"]) <= render.EMBED_TOTAL_MAX
        assert all(len(e["description"]) <= render.DESCRIPTION_MAX for e in m["embeds"])
        assert "daily digest: 120 stories" in m["content"]
        seen += sum(e["description"].count("· #") for e in m["embeds"])
    assert seen == 120


def test_safe_collapses_whitespace() -> None:
    assert safe("a \n\n b\t c") == "a b c"


def test_digest_lines_lead_with_the_report_in_the_digests_language() -> None:
    view = _view(
        language="de",
        title="Kennzeichenfotos gestohlen",
        others=(Outlet("Le Monde", "https://b.example/y", "fr", "Des photos de plaques volées", "Résumé."),),
    )
    [message] = render.digest_payloads([view], "daily", "fr")
    line = message["embeds"][0]["description"]
    assert line.startswith("**[Des photos de plaques volées](https://b.example/y)**") and "Résumé." in line
    [message] = render.digest_payloads([view], "daily", "de")
    assert message["embeds"][0]["description"].startswith("**[Kennzeichenfotos gestohlen]")
