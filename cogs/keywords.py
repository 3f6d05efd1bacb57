"""`/keywords`: moderators tune this server's classifier, previewing every change on past stories first."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import tuning
from bot.alerts.text import cut, safe
from bot.classify import RuleError
from bot.classify.backtest import BacktestResult
from bot.classify.judge import Judge
from bot.classify.lexicon import CONCEPT_KINDS
from bot.classify.proposals import PendingChanges, RuleOp, apply_to, make_op
from bot.classify.rules import ADDABLE_KINDS
from bot.discord_app.checks import member_cooldown, member_has, member_may
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.errors import UserError
from bot.feeds.workers import PoolBusy, WorkerMemory, WorkerTimeout
from storage import feedback

PREVIEW_DAYS = 30
ADDABLE = sorted(c for c, k in CONCEPT_KINDS.items() if k in ADDABLE_KINDS)
PENDING = PendingChanges()
# Per member and server (README, "Limits"): a change re-scores a month of stories in a worker; a test encodes once.
CHANGE_COOLDOWN = (5, 60.0)
TEST_COOLDOWN = (5, 30.0)


def _checked(action: str, **kw: Any) -> RuleOp:
    try:
        return make_op(action, **kw)
    except RuleError as exc:
        raise UserError(f"That rule can't be used: {exc}.") from None


def render_preview(ops: list[RuleOp], result: BacktestResult, days: int) -> str:
    lines = [
        "**Pending change:** " + "; ".join(op.describe() for op in ops),
        f"Over the last {days} days ({result.scored} stories): {result.alerting_before} alert now, "
        f"{result.alerting_after} would alert after the change.",
    ]
    for label, changes in (("Would start alerting", result.start), ("Would stop alerting", result.stop)):
        if changes:
            lines.append(f"**{label} ({len(changes)}):**")
            lines += [
                f"• #{c.story_id} {cut(safe(c.title), 90)} ({c.score_before:.2f} → {c.score_after:.2f})"
                for c in changes[:8]
            ]
            if len(changes) > 8:
                lines.append(f"… and {len(changes) - 8} more")
    if not (result.start or result.stop):
        lines.append("No stored story would change.")
    return cut("\n".join(lines), 1900)


class DecisionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bw:kw:(?P<what>apply|discard)"):
    def __init__(self, what: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Apply" if what == "apply" else "Discard",
                style=discord.ButtonStyle.primary if what == "apply" else discord.ButtonStyle.secondary,
                custom_id=f"bw:kw:{what}",
            )
        )
        self.what = what

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DecisionButton:
        return cls(match["what"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, BreachwatchBot) and interaction.guild_id is not None
        if not member_may(interaction, manage_guild=True):
            await interaction.response.send_message("You need the Manage Server permission.", ephemeral=True)
            return
        ops = PENDING.clear(interaction.guild_id)
        if not ops:
            text = "Nothing is pending any more (applied, discarded, or the bot restarted)."
        elif self.what == "discard":
            text = "Discarded: " + "; ".join(op.describe() for op in ops)
        else:
            try:
                async with client.services.sessions.begin() as session:
                    version = await tuning.apply_ops(
                        session,
                        interaction.guild_id,
                        ops,
                        interaction.user.id,
                        max_rules=client.services.settings.guild_max_rules,
                    )
            except RuleError as exc:
                text = f"Not applied: {exc}. The pending change was discarded."
            else:
                text = f"Applied (rules version {version}): " + "; ".join(op.describe() for op in ops)
        await interaction.response.edit_message(content=cut(text, 1900), view=None)


def decision_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DecisionButton("apply"))
    view.add_item(DecisionButton("discard"))
    return view


async def _concepts(_: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=c, value=c) for c in ADDABLE if current.lower() in c][:25]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Keywords(commands.GroupCog, group_name="keywords", group_description="Tune what counts as an alert here"):
    def __init__(self, bot: BreachwatchBot) -> None:
        self.bot = bot
        super().__init__()

    async def _preview(self, interaction: discord.Interaction[Any], ops: list[RuleOp], days: int) -> None:
        assert interaction.guild_id is not None
        services = self.bot.services
        pool = services.command_pool
        if pool is None:
            raise RuntimeError("no command worker pool: bot.runtime builds one for the roles that answer commands")
        if pool.full:
            raise PoolBusy("no free command worker")
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with services.sessions() as session:
            current = await tuning.load_guild_rules(session, interaction.guild_id)
            try:
                proposed = apply_to(current, ops)
                tuning.check_rule_count(current, proposed, services.settings.guild_max_rules)
            except RuleError as exc:
                PENDING.clear(interaction.guild_id)
                raise UserError(f"That change can't be used: {exc}. The pending change was discarded.") from None
            stories = await tuning.recent_stories(session, interaction.guild_id, days)
        learned = services.judge is not None and services.judge.learned
        try:
            result = await tuning.rescore(stories, current, proposed, pool=pool, learned=learned)
        except (WorkerTimeout, WorkerMemory):
            raise UserError(
                f"Re-scoring {len(stories)} stories took too long or too much memory and was stopped. "
                "Try /keywords backtest with fewer days."
            ) from None
        await interaction.followup.send(render_preview(ops, result, days), view=decision_view(), ephemeral=True)

    async def _stage(self, interaction: discord.Interaction[Any], op: RuleOp) -> None:
        assert interaction.guild_id is not None
        cap = self.bot.services.settings.guild_max_pending
        if len(PENDING.get(interaction.guild_id)) >= cap:
            raise UserError(
                f"This server already has {cap} changes pending, the most the bot's operator allows. "
                "Apply or discard them (the buttons under the last preview) first."
            )
        await self._preview(interaction, PENDING.stage(interaction.guild_id, op), PREVIEW_DAYS)

    @app_commands.command(name="add", description="Add a term to a concept (previewed before it applies)")
    @app_commands.describe(
        term="Word or phrase; end with * for a prefix",
        concept="What the term is evidence of",
        weight="How strongly it counts, 0 to 1 (default 0.8)",
    )
    @app_commands.autocomplete(concept=_concepts)
    @member_has(manage_guild=True)
    @member_cooldown(*CHANGE_COOLDOWN)
    async def add(
        self,
        interaction: discord.Interaction[Any],
        term: app_commands.Range[str, 1, 200],
        concept: str,
        weight: app_commands.Range[float, 0.0, 1.0] = 0.8,
    ) -> None:
        await self._stage(interaction, _checked("add", term=term, concept=concept, weight=weight))

    @app_commands.command(name="block", description="Never alert on stories containing this term")
    @app_commands.describe(term="Word or phrase that vetoes an alert")
    @member_has(manage_guild=True)
    @member_cooldown(*CHANGE_COOLDOWN)
    async def block(self, interaction: discord.Interaction[Any], term: app_commands.Range[str, 1, 200]) -> None:
        await self._stage(interaction, _checked("block", term=term))

    @app_commands.command(name="force", description="Always alert on stories containing this term")
    @app_commands.describe(term="Word or phrase that forces an alert")
    @member_has(manage_guild=True)
    @member_cooldown(*CHANGE_COOLDOWN)
    async def force(self, interaction: discord.Interaction[Any], term: app_commands.Range[str, 1, 200]) -> None:
        await self._stage(interaction, _checked("force", term=term))

    @app_commands.command(name="remove", description="Remove this server's rules for a term")
    @app_commands.describe(term="The term as it was added")
    @member_has(manage_guild=True)
    @member_cooldown(*CHANGE_COOLDOWN)
    async def remove(self, interaction: discord.Interaction[Any], term: app_commands.Range[str, 1, 200]) -> None:
        await self._stage(interaction, _checked("remove", term=term))

    @app_commands.command(name="threshold", description="Score a story needs to alert here (default 0.5)")
    @app_commands.describe(value="Between 0.05 and 1; lower alerts more")
    @member_has(manage_guild=True)
    @member_cooldown(*CHANGE_COOLDOWN)
    async def threshold(
        self, interaction: discord.Interaction[Any], value: app_commands.Range[float, 0.05, 1.0]
    ) -> None:
        await self._stage(interaction, _checked("threshold", threshold=value))

    @app_commands.command(name="backtest", description="Preview the pending change on past stories")
    @app_commands.describe(days="How many days of stories to re-score (default 30)")
    @member_has(manage_guild=True)
    @member_cooldown(*CHANGE_COOLDOWN)
    async def backtest(
        self, interaction: discord.Interaction[Any], days: app_commands.Range[int, 1, 365] = PREVIEW_DAYS
    ) -> None:
        assert interaction.guild_id is not None
        ops = PENDING.get(interaction.guild_id)
        if not ops:
            raise UserError(
                "Nothing is pending. Stage a change with /keywords add, block, force, remove or threshold first."
            )
        await self._preview(interaction, ops, days)

    @app_commands.command(name="list", description="This server's rules and readers' feedback")
    @member_has(manage_guild=True)
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions() as session:
            current = await tuning.load_guild_rules(session, interaction.guild_id)
            yes, no = await feedback.counts(session, interaction.guild_id)
        lines = [f"Threshold: {current.effective_threshold:.2f}" + (" (default)" if current.threshold is None else "")]
        lines += [f"• add “{t.term}” → {t.concept} ({t.weight:.2f})" for t in current.added]
        lines += [f"• block “{t}”" for t in current.blocked] + [f"• force “{t}”" for t in current.forced]
        if current.is_default:
            lines.append("No rules: this server uses the default lexicons.")
        lines.append(f"Readers' feedback on alerts here: {yes} relevant, {no} not relevant.")
        await interaction.response.send_message(cut("\n".join(lines), 1900), ephemeral=True)

    @app_commands.command(name="test", description="How this server's classifier judges a sentence")
    @app_commands.describe(text="A headline or sentence to classify")
    @member_has(manage_guild=True)
    @member_cooldown(*TEST_COOLDOWN)
    async def test(self, interaction: discord.Interaction[Any], text: app_commands.Range[str, 3, 1000]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions() as session:
            current = await tuning.load_guild_rules(session, interaction.guild_id)
        judge = self.bot.services.judge or Judge(None, None)
        cache = self.bot.services.classifiers
        title, _, summary = text.partition("\n")
        # Encoding takes a tenth of a second of CPU and compiling a tuned classifier (on a cache miss) half a
        # second: a worker thread, so every other server's commands go on.
        verdict, _ = await asyncio.to_thread(lambda: judge.judge_now(cache.get(current), title, summary))
        head = "**Alert**" if verdict.match else f"**No alert** ({verdict.reason.value if verdict.reason else '-'})"
        lines = [f"{head}: score {verdict.score:.2f}, categories {', '.join(verdict.categories) or 'none'}"]
        if verdict.lexicon_score is not None:
            lines[0] += f" (lexicon {verdict.lexicon_score:.2f}, trained model decided)"
        lines += [f"• {concept}: {safe(', '.join(terms))}" for concept, terms in verdict.evidence.items()]
        if verdict.cases:
            lines.append("Closest known cases:")
            lines += [
                f"• {safe(c.incident)} ({'breach' if c.label else 'not a breach'}, {c.similarity:.2f}): {safe(c.title)}"
                for c in verdict.cases
            ]
        await interaction.response.send_message(cut("\n".join(lines), 1900), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    bot.add_dynamic_items(DecisionButton)
    await bot.add_cog(Keywords(bot))
