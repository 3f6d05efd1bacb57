"""The whole product's schema as SQLAlchemy 2 typed declarative models.

Migrations in storage/migrations are checked against these models by the test suite, so a model change without a
migration fails CI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.core.clock import utcnow
from storage.types import PK, JSONType, Snowflake, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# guild_id 0 marks what the operator owns (bundled or command-line sources) rather than one guild.
GLOBAL_SCOPE = 0


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    """A feed. The same URL may be added by the operator and by several guilds; each scope has its own row."""

    __tablename__ = "sources"
    __table_args__ = (
        UniqueConstraint("url", "guild_id"),
        Index("ix_sources_due", "enabled", "next_fetch_at"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048))
    guild_id: Mapped[int] = mapped_column(Snowflake, default=GLOBAL_SCOPE)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    homepage: Mapped[str | None] = mapped_column(String(2048))
    origin: Mapped[str] = mapped_column(String(16), default="config")  # config | operator | guild
    added_by: Mapped[int | None] = mapped_column(Snowflake)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_fetch_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on the first successful poll: entries seen then are stored as seen and alert nobody (no flood).
    baseline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FetchLog(Base):
    """One fetch attempt of one source, for feed health and `/sources list`."""

    __tablename__ = "fetch_log"
    __table_args__ = (Index("ix_fetch_log_source_started", "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # ok | not_modified | error | skipped
    http_status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    new_entries: Mapped[int] = mapped_column(Integer, default=0)
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class Article(Base):
    """One piece of journalism, identified by its canonical URL whatever feeds carry it."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_story", "story_id"),
        Index("ix_articles_unprocessed", "processed_at"),
        Index("ix_articles_first_seen", "first_seen_at"),
        # `/search source:` starts from a source's stories.
        Index("ix_articles_source_story", "source_id", "story_id"),
        Index(
            "ix_articles_set_aside",
            "set_aside_at",
            sqlite_where=text("set_aside_at IS NOT NULL"),
            postgresql_where=text("set_aside_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str | None] = mapped_column(Text)
    # Both decided once when the entry is read (bot.core.languages.decide_language): `language` is any ISO 639 code
    # and is shown; `analysis_language` is the one of the seven the text is analysed as. None only on rows written
    # before 0005 or by hand.
    language: Mapped[str | None] = mapped_column(String(8))
    analysis_language: Mapped[str | None] = mapped_column(String(8))
    outlet: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    edit_count: Mapped[int] = mapped_column(Integer, default=0)
    # False for entries stored by a source's first poll or too old when first seen: kept, never alerted.
    alertable: Mapped[bool] = mapped_column(Boolean, default=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the article's own processing failed every try: it counts as processed (it stops blocking the queue)
    # but has no verdict or story, and `breachwatch reprocess` puts it back. A failure of the environment (disk,
    # database, network) never sets it (bot/process.py).
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    set_aside_reason: Mapped[str | None] = mapped_column(String(500))
    match: Mapped[bool | None] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[list[str] | None] = mapped_column(JSONType)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    # The sentence embedding the trained model read (float16, bot.classify.judge.pack); None when the first pass
    # stopped the article or no encoder runs. Stored so that backtests and re-scoring never encode again.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)


class FeedEntry(Base):
    """An entry's identity within one feed (guid, else link, else a hash), pointing at its article."""

    __tablename__ = "feed_entries"
    __table_args__ = (UniqueConstraint("source_id", "entry_key"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(64))  # sha256 of the identity, which may be very long
    entry_id: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Story(Base):
    """One incident, grouping the articles of every outlet that reported it."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_first_seen", "first_seen_at"),
        Index("ix_stories_match_seen", "match", "first_seen_at"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8))
    lead_article_id: Mapped[int | None] = mapped_column(Integer)
    match: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    article_count: Mapped[int] = mapped_column(Integer, default=1)
    outlet_count: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped whenever what a channel would see changes; deliveries remember the version they posted.
    version: Mapped[int] = mapped_column(Integer, default=1)
    alertable: Mapped[bool] = mapped_column(Boolean, default=True)
    signature: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Set when a later report showed this story and an older one to be one incident: its articles, facts and
    # alerts went to that story, and its id points there (`/story`, alerts edited to link to the survivor's).
    # Stories are never deleted, so a plain id (no foreign key) always names a stored story.
    merged_into: Mapped[int | None] = mapped_column(PK)


class StoryBand(Base):
    """Locality-sensitive hash bands of a story's text, so near-duplicates are found by index look-ups."""

    __tablename__ = "story_bands"
    # The look-up (band IN keys, seen_at in the window) reads only ix_story_bands_lookup, whose leading columns
    # make it the one band-first index, so no planner can pick an index that leaves the window to a filter.
    # The uniqueness key leads with story_id and doubles as the index for per-story deletes.
    __table_args__ = (
        UniqueConstraint("story_id", "band"),
        Index("ix_story_bands_lookup", "band", "seen_at", "story_id"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    band: Mapped[str] = mapped_column(String(40))
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryEvent(Base):
    """What changed in a story and when: created, grew (another outlet), follow_up (materially new facts)."""

    __tablename__ = "story_events"
    __table_args__ = (Index("ix_story_events_story", "story_id", "created_at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    article_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GuildSettings(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    threshold: Mapped[float | None] = mapped_column(Float)
    rules_version: Mapped[int] = mapped_column(Integer, default=0)
    notice_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("guild_id", "channel_id"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    min_score: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[list[str] | None] = mapped_column(JSONType)
    languages: Mapped[list[str] | None] = mapped_column(JSONType)
    mention_role_id: Mapped[int | None] = mapped_column(Snowflake)
    mode: Mapped[str] = mapped_column(String(8), default="instant")  # instant | daily | weekly
    # The language of this channel's alerts, digests and notices (bot.core.languages).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KeywordRule(Base):
    __tablename__ = "keyword_rules"
    __table_args__ = (UniqueConstraint("guild_id", "term", "action"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    term: Mapped[str] = mapped_column(String(100))
    concept: Mapped[str | None] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    action: Mapped[str] = mapped_column(String(8))  # add | block | force
    created_by: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One story for one subscription: the queue row the delivery worker sends, retries and marks."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "subscription_id"),
        Index("ix_deliveries_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    # pending -> sent | failed | paused; digest rows wait as "digest" until their subscription's period ends.
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    nonce: Mapped[str] = mapped_column(String(25))
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    story_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the story grew after posting and the message must be edited.
    edit_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the story gained materially new facts: a reply goes under the first alert.
    followup_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    followup_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("guild_id", "story_id", "user_id"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    relevant: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notice(Base):
    """Something a guild must be told once (a source disabled, a channel lost); `key` keeps it to once."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("guild_id", "key"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)  # in English: the log's, and what older notices post as they are
    # The values of `kind`'s message (config/locales/messages `notice.<kind>`), written in the channel's language when
    # posted; None for a notice written in its language when recorded.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Meta(Base):
    """Small process-wide facts, such as the hash of the last synced command tree."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
