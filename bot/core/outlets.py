"""Outlets, named one way. An outlet is the site an article is on: its link's host, without "www.". Its name is
the one the operator gave the site's source (bundled in config/sources.toml, or `breachwatch sources add --name`)
when exactly one name is given for that site, else the site itself.

Feed titles and guild-chosen source names never name an outlet: a feed title names a feed ("heise Security" and
"heise online News" are one outlet), and one article row is shared by every guild, so one guild's label must not
be what the others read. The poller stores the name on each new article; readers take the stored name, and fall
back to the site for rows stored without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit


def site_of(url: str | None) -> str:
    """ "https://www.Example.org/a" -> "example.org"; "" when there is no host (a link-less entry's urn:)."""
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def outlet_names(sources: Iterable[tuple[str, str | None, str | None]]) -> dict[str, str]:
    """Site -> name, from the operator's sources as (feed URL, homepage, name); a site given two different names
    (the news-search feeds all live on news.google.com) keeps none."""
    names: dict[str, set[str]] = {}
    for url, homepage, name in sources:
        site = site_of(homepage or url)
        if site and name and name.strip():
            names.setdefault(site, set()).add(name.strip())
    return {site: next(iter(given)) for site, given in names.items() if len(given) == 1}


def outlet_name(url: str | None, names: Mapping[str, str] | None = None) -> str:
    """The outlet name of an article at `url` ("" when it has no site)."""
    site = site_of(url)
    return (names or {}).get(site, site)
