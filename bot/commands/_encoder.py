"""The encoder the settings name, for the commands that encode outside the running bot (training, evaluation)."""

from __future__ import annotations

from bot.classify.encoder import Encoder, load_encoder
from bot.settings import Settings, load_settings


def configured_encoder(settings: Settings | None = None) -> Encoder | None:
    """The encoder BREACHWATCH_ENCODER names, built as bot.runtime builds it (its threads, its graph cache); None
    for `none`. Raises EncoderError with one readable line."""
    settings = settings or load_settings()
    return load_encoder(settings.encoder, threads=settings.encoder_threads, cache_dir=settings.encoder_cache)
