"""Summaries: whole sentences, at most 350 characters, no HTML or boilerplate, facts first; page extraction."""

from __future__ import annotations

from pathlib import Path

from bot.core.text import tidy_text
from bot.stories.summary import MAX_CHARS, SourceText, choose_summary, clean_sentences, extract_main_text, is_teaser

PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "article_page.html"


def test_html_entities_and_feed_junk_are_removed() -> None:
    feed = (
        "<p>Hackers took 80,000 fingerprint records from Veltra&amp;apos;s time clocks.</p>"
        "<p>The company said payroll data was not affected.</p>"
        "<p>The post Veltra breach appeared first on Example Security.</p> Read more &raquo;"
    )
    # Summaries read text as an article stores it: tidied once when read, boilerplate sentences still in it.
    summary = choose_summary([SourceText("Veltra breach", tidy_text(feed), "en")], "en")
    assert summary == (
        "Hackers took 80,000 fingerprint records from Veltra's time clocks. "
        "The company said payroll data was not affected."
    )
    assert "<" not in summary and "&" not in summary


def test_never_cuts_a_sentence_and_respects_the_limit() -> None:
    long_text = " ".join(
        f"Sentence number {i} says that records of {i * 1000} drivers were exposed by the camera vendor."
        for i in range(1, 12)
    )
    summary = choose_summary([SourceText("t", long_text + " And then the feed cut this one off mid", "en")], "en")
    assert 0 < len(summary) <= MAX_CHARS
    assert summary.endswith(".")
    assert "mid" not in summary
    assert summary.count(".") <= 3


def test_truncated_teaser_sentences_are_dropped() -> None:
    teaser = "A camera firm leaked plate scans of 40,000 cars, and the regulator is now [...]"
    assert is_teaser(teaser)
    assert clean_sentences(teaser) == []
    assert choose_summary([SourceText("t", teaser, "en")], "en") == ""


def test_prefers_the_story_language_and_the_text_with_facts() -> None:
    sources = [
        SourceText("a", "Officials held a press conference on Tuesday. Questions were taken afterwards.", "en"),
        SourceText("b", "La société a perdu 70 000 empreintes digitales lors d'un piratage.", "fr"),
        SourceText("c", "Hackers stole 70,000 fingerprint records from the vendor's cloud account.", "en"),
    ]
    assert choose_summary(sources, "en") == "Hackers stole 70,000 fingerprint records from the vendor's cloud account."
    assert choose_summary(sources, "fr").startswith("La société a perdu 70 000")


def test_markdown_and_mentions_cannot_come_through() -> None:
    text = "Attackers **dumped** the `ALPR` logs of 9,000 cars and pinged @everyone in the forum post."
    summary = choose_summary([SourceText("t", text, "en")], "en")
    assert "*" not in summary and "`" not in summary
    assert "@everyone" not in summary


def test_extracts_main_text_from_a_page_without_furniture() -> None:
    text = extract_main_text(PAGE.read_bytes(), "https://news.example/ghostline")
    assert "12,000 phones" in text
    assert "Subscribe" not in text and "All rights reserved" not in text and "dataLayer" not in text
    summary = choose_summary([SourceText("Ghostline", text, "en")], "en")
    assert summary.startswith("The phone-monitoring service Ghostline left a database open")
    assert len(summary) <= MAX_CHARS and summary.endswith(".")


def test_extraction_of_nothing_is_empty() -> None:
    assert extract_main_text(b"") == ""
    menu_only = extract_main_text(b"<html><body><nav>Home</nav></body></html>")
    assert choose_summary([SourceText("t", menu_only, "en")], "en") == ""
