"""The Discord bot: built with its dependencies passed in; all async set-up happens in `setup_hook`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.ext import commands
from discord.http import Route

from bot.core.clock import utcnow
from bot.discord_app.endpoints import apply_settings
from bot.discord_app.errors import on_app_command_error
from bot.discord_app.pacing import Pacer
from bot.discord_app.sender import DiscordSender
from bot.discord_app.sync import sync_if_changed
from bot.discord_app.translator import TomlTranslator
from bot.discord_app.tree import BreachwatchTree
from bot.services import Services
from bot.settings import StartupError
from storage.deliveries import ShardFilter

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.alerts", "cogs.feedback", "cogs.keywords", "cogs.search", "cogs.sources", "cogs.status")


class BreachwatchBot(commands.AutoShardedBot):
    def __init__(
        self,
        services: Services,
        *,
        shard_ids: list[int] | None = None,
        shard_count: int | None = None,
        sync_commands: bool = True,
        pacer: Pacer | None = None,
        **options: Any,
    ) -> None:
        # Guilds only: channels, roles and the bot's own member for permission checks. No message content.
        intents = discord.Intents.none()
        intents.guilds = True
        sharding: dict[str, Any] = {}
        if shard_ids is not None:
            sharding["shard_ids"] = shard_ids
        if shard_count is not None:
            sharding["shard_count"] = shard_count
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            tree_cls=BreachwatchTree,
            **sharding,
            **options,
        )
        self.services = services
        self.sender = DiscordSender(self, pacer)
        self.started_at = utcnow()
        self.sync_commands = sync_commands
        # A process that runs only some shards delivers only for their guilds.
        self.shard_filter = ShardFilter(tuple(shard_ids), shard_count) if shard_ids and shard_count else None

    async def setup_hook(self) -> None:
        """Runs inside login, before the gateway connects: the cogs, the translator, the command sync. Nothing else:
        bot.runtime builds everything else, and installs the delivery job and starts the scheduler after login."""
        for extension in EXTENSIONS:
            if extension not in self.extensions:  # a login tried again after a network failure runs this again
                await self.load_extension(extension)
        self.tree.on_error = on_app_command_error  # type: ignore[method-assign]
        # Before the sync: the synced payload (and its hash) carries the localised names from config/locales.
        await self.tree.set_translator(TomlTranslator())
        if self.sync_commands:
            await sync_if_changed(self.tree, self.services.sessions, self.application_id)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %d guilds", self.user, len(self.guilds))


async def sync_commands_now(services: Services, guild_id: int | None) -> None:
    """`breachwatch sync`: log in over REST (no gateway) and push the slash commands to one guild, or globally,
    whatever the stored hash says."""
    token = services.settings.discord_token
    assert token is not None
    bot = BreachwatchBot(services, sync_commands=False)
    apply_settings(bot, services.settings)
    async with bot:
        await bot.login(token.get_secret_value())
        guild = discord.Object(id=guild_id) if guild_id else None
        await sync_if_changed(bot.tree, services.sessions, bot.application_id, guild=guild, force=True)


LOGIN_RETRY_FIRST_S = 1.0
LOGIN_RETRY_MAX_S = 60.0


async def login_with_retry(
    client: commands.AutoShardedBot, token: str, *, first: float = LOGIN_RETRY_FIRST_S, cap: float = LOGIN_RETRY_MAX_S
) -> None:
    """Log in, trying again with backoff for as long as Discord cannot be reached (a network failure, a timeout, a
    5xx): a Discord outage or a network that comes up after the bot must not end the process. Each attempt is
    logged with the address tried and the error, never the token. A refused token ends the start in one line."""
    attempt = 0
    # The runtime closes the client to stop a login that waits (a signal during the retries): then give up quietly.
    while not client.is_closed():
        attempt += 1
        try:
            await client.login(token)
            if attempt > 1:
                log.info("logged in to Discord at attempt %d", attempt)
            return
        except discord.LoginFailure:
            raise StartupError("DISCORD_TOKEN: Discord refused the token (401 Unauthorized)") from None
        except (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordServerError) as exc:
            if client.is_closed():
                return
            delay = min(cap, first * 2 ** (attempt - 1))
            detail = str(exc).replace(token, "***").splitlines()[0] if str(exc) else ""
            log.warning(
                "Discord not reachable at %s (attempt %d: %s: %s); trying again in %.0fs",
                Route.BASE,
                attempt,
                type(exc).__name__,
                detail,
                delay,
            )
        # The failed login's HTTP session is closed (it owns its connector); the next one makes a new connector.
        await client.http.close()
        client.http.connector = discord.utils.MISSING
        await asyncio.sleep(delay)
