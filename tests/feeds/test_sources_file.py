"""The bundled sources file is valid, varied and real-looking; broken files fail with a clear message."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.feeds.sources_file import SourcesFileError, load_sources_file
from bot.resources import config_path, load_toml


def test_bundled_sources_file() -> None:
    path = config_path("sources.toml")
    raw = load_toml(path)["source"]
    assert all(set(table) == {"url", "name", "language", "homepage"} for table in raw), (
        "keys: url name language homepage"
    )
    specs = load_sources_file(path)
    urls = [s.url for s in specs]
    assert len(specs) >= 30 and len(set(urls)) == len(urls)
    languages = {s.language for s in specs}
    assert len(languages) >= 6 and {"en", "fr", "de", "es", "it", "pt", "nl"} <= languages
    assert all(urlsplit(u).scheme == "https" and s.name and s.homepage for u, s in zip(urls, specs, strict=True))
    hosts = {urlsplit(u).hostname for u in urls}
    for expected in ("databreaches.net", "therecord.media", "www.bleepingcomputer.com", "krebsonsecurity.com",
                     "www.heise.de", "netzpolitik.org", "www.lemonde.fr", "www.laquadrature.net",
                     "www.security.nl", "tweakers.net", "news.google.com"):  # fmt: skip
        assert expected in hosts
    news_search = {s.language for s in specs if urlsplit(s.url).hostname == "news.google.com"}
    assert news_search >= {"en", "fr", "de", "es", "it", "pt", "nl"}  # a key-phrase search per language


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[source]]\nname = 'x'\n", "has no url"),
        ("[[source]]\nurl = 'ftp://x/feed'\n", r"not an http\(s\) URL"),
        ("[[source]]\nurl = 'https://a/f'\n[[source]]\nurl = 'https://a/f'\n", "duplicate url"),
        ("[[source]]\nurl = 'https://a/f'\nlanguage = 'english!'\n", "bad language"),
        ("[[source]\n", "not valid TOML"),
        ("source = 'x'\n", "array of tables"),
    ],
)
def test_broken_files_explain_themselves(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourcesFileError, match=message) as info:
        load_sources_file(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourcesFileError, match="cannot read"):
        load_sources_file(tmp_path / "nope.toml")
