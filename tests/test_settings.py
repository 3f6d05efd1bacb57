"""Settings come from the environment, fail in one clear line, and never show the token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import logs
from bot.resources import config_path
from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.chdir(tmp_path)
    settings = load_settings()
    assert settings.console_mode
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.poll_interval == 600
    assert settings.sources_file == config_path("sources.toml")
    assert settings.allow_private_sources is False
    assert settings.console_language == "en"


def test_environment_and_aliases(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.chdir(tmp_path)
    clean_env.setenv("DISCORD_TOKEN", "abc.def.ghi-secret")
    clean_env.setenv("BREACHWATCH_DATABASE_URL", "postgresql://u@h/db")
    clean_env.setenv("BREACHWATCH_POLL_INTERVAL", "1.5")
    clean_env.setenv("BREACHWATCH_ALLOW_PRIVATE_SOURCES", "true")
    clean_env.setenv("BREACHWATCH_LOG_LEVEL", "debug")
    clean_env.setenv("BREACHWATCH_CONSOLE_LANGUAGE", "PT")
    settings = load_settings()
    assert not settings.console_mode
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.poll_interval == 1.5
    assert settings.allow_private_sources
    assert settings.log_level == "DEBUG"
    assert settings.console_language == "pt"
    assert "abc.def" not in repr(settings)


def test_dotenv_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.chdir(tmp_path)
    (tmp_path / ".env").write_text("BREACHWATCH_POLL_INTERVAL=42\n")
    assert load_settings().poll_interval == 42


@pytest.mark.parametrize(
    ("var", "value", "named"),
    [
        ("BREACHWATCH_POLL_INTERVAL", "-3", "BREACHWATCH_POLL_INTERVAL"),
        ("BREACHWATCH_POLL_INTERVAL", "soon", "BREACHWATCH_POLL_INTERVAL"),
        ("BREACHWATCH_DATABASE_URL", "mysql://x", "BREACHWATCH_DATABASE_URL"),
        ("BREACHWATCH_LOG_LEVEL", "LOUD", "BREACHWATCH_LOG_LEVEL"),
        ("BREACHWATCH_ALLOW_PRIVATE_SOURCES", "perhaps", "BREACHWATCH_ALLOW_PRIVATE_SOURCES"),
        ("BREACHWATCH_CONSOLE_LANGUAGE", "pl", "BREACHWATCH_CONSOLE_LANGUAGE"),
    ],
)
def test_wrong_value_is_one_clear_line(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str, named: str
) -> None:
    clean_env.chdir(tmp_path)
    clean_env.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert named in message
    assert "\n" not in message


def test_secret_scrubbed_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "MTIzNDU2.token-value-xyz"
    logs.register_secret(secret)
    handler = logging.StreamHandler()
    handler.addFilter(logs._ScrubFilter())
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "connecting with %s", (secret,), None)
    handler.filter(record)
    assert secret not in record.getMessage()
    assert "***" in record.getMessage()
