"""A loopback Discord (REST + gateway) that an unmodified discord.py talks to over real sockets."""

from .invoke import InteractionRefused, Invocation
from .ratelimit import RateLimitConfig
from .server import Emulator

__all__ = ["Emulator", "InteractionRefused", "Invocation", "RateLimitConfig"]
