"""Canonical article URLs, so one story reached through differently decorated links is stored once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Exact query keys that only track the click, never select the content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "xtor",
        "ocid",
        "cmpid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "s_cid",
        "spm",
        "__twitter_impression",
        "ref_src",
        "ref_url",
        "wt_mc",
        "wt.mc_id",
        "at_campaign",
        "at_medium",
        "at_source",
        "at_link",
    }
)
# Key prefixes of whole tracking families (Google Analytics, Matomo, Piwik, HubSpot, Adobe, AT Internet).
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "at_", "itm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    try:
        # Internationalised names compare equal to their punycode form.
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def canonical_url(url: str) -> str:
    """The identity form of an article link.

    Scheme and host are lower-cased, default ports, credentials, tracking parameters and the fragment are dropped,
    remaining parameters sorted. Anything that is not an http(s) URL is returned trimmed, unchanged otherwise.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return url
    host = _host(parts.hostname)
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query.sort()
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))
