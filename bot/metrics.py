"""Prometheus metrics of the process, in one registry so tests and several bots in one process stay apart."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

POLLS = Counter("breachwatch_polls", "Source fetches attempted", ["status"], registry=REGISTRY)
FETCH_ERRORS = Counter("breachwatch_fetch_errors", "Failed source fetches by kind", ["kind"], registry=REGISTRY)
STORIES = Counter("breachwatch_stories", "Stories created", registry=REGISTRY)
ALERTS_SENT = Counter("breachwatch_alerts_sent", "Alert messages posted", registry=REGISTRY)
DELIVERY_FAILURES = Counter(
    "breachwatch_delivery_failures", "Delivery attempts that failed", ["kind"], registry=REGISTRY
)
RATE_LIMITED = Counter("breachwatch_rate_limited", "429 answers met while delivering", registry=REGISTRY)
DELIVERIES = Gauge("breachwatch_deliveries", "Delivery rows by status", ["status"], registry=REGISTRY)
LAST_POLL = Gauge(
    "breachwatch_last_poll_timestamp_seconds", "When a poll cycle that fetched something last ended", registry=REGISTRY
)
LOOP_LAG = Gauge("breachwatch_event_loop_lag_seconds", "How late a 1 s event-loop timer fired", registry=REGISTRY)
PROCESS_RETRIES = Counter(
    "breachwatch_processing_paused",
    "Times processing paused on a failure of the environment (disk, database, network), by kind",
    ["kind"],
    registry=REGISTRY,
)
SET_ASIDE = Gauge(
    "breachwatch_articles_set_aside",
    "Articles whose own processing failed every try: no story until `breachwatch reprocess`",
    registry=REGISTRY,
)
