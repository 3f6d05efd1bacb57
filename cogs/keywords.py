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
from bot.discord_app.speech import permission_names, reader_language, tr
from bot.feeds.workers import PoolBusy, WorkerMemory, WorkerTimeout
from bot.i18n import number, t
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
        raise UserError("keywords.bad_rule", error=exc.note) from None


def describe_op(op: RuleOp, lang: str = "en") -> str:
    """One staged change in `lang`; the terms and concept ids stay as typed."""
    if op.action == "add":
        return t(lang, "keywords.op_add", term=op.term, concept=op.concept, weight=float(op.weight))
    if op.action == "threshold":
        if op.threshold is None:
            return t(lang, "keywords.op_threshold_default")
        return t(lang, "keywords.op_threshold", value=float(op.threshold))
    return t(lang, f"keywords.op_{op.action}", term=op.term)


def describe_ops(ops: list[RuleOp], lang: str = "en") -> str:
    return "; ".join(describe_op(op, lang) for op in ops)


def render_preview(ops: list[RuleOp], result: BacktestResult, days: int, lang: str = "en") -> str:
    lines = [
        t(lang, "keywords.pending", changes=describe_ops(ops, lang)),
        t(
            lang,
            "keywords.over_days",
            days=days,
            scored=t(lang, "keywords.scored", count=result.scored),
            before=result.alerting_before,
            after=result.alerting_after,
        ),
    ]
    for msg_id, changes in (("keywords.would_start", result.start), ("keywords.would_stop", result.stop)):
        if changes:
            lines.append(t(lang, msg_id, count=len(changes)))
            lines += [
                f"• #{c.story_id} {cut(safe(c.title), 90)} "
                f"({number(lang, c.score_before, 2)} → {number(lang, c.score_after, 2)})"
                for c in changes[:8]
            ]
            if len(changes) > 8:
                lines.append(t(lang, "keywords.and_more", count=len(changes) - 8))
    if not (result.start or result.stop):
        lines.append(t(lang, "keywords.no_change"))
    return cut("\n".join(lines), 1900)


class DecisionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"bw:kw:(?P<what>apply|discard)"):
    def __init__(self, what: str, lang: str = "en") -> None:
        super().__init__(
            discord.ui.Button(
                label=t(lang, f"keywords.{what}"),
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
        lang = reader_language(interaction)
        if not member_may(interaction, manage_guild=True):
            text = t(lang, "errors.missing_permissions", permissions=permission_names(lang, ["manage_guild"]))
            await interaction.response.send_message(text, ephemeral=True)
            return
        ops = PENDING.clear(interaction.guild_id)
        if not ops:
            text = t(lang, "keywords.nothing_pending_any_more")
        elif self.what == "discard":
            text = t(lang, "keywords.discarded", changes=describe_ops(ops, lang))
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
                text = t(lang, "keywords.not_applied", error=exc.note)
            else:
                text = t(lang, "keywords.applied", version=str(version), changes=describe_ops(ops, lang))
        await interaction.response.edit_message(content=cut(text, 1900), view=None)


def decision_view(lang: str = "en") -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DecisionButton("apply", lang))
    view.add_item(DecisionButton("discard", lang))
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
                raise UserError("keywords.bad_change", error=exc.note) from None
            stories = await tuning.recent_stories(session, interaction.guild_id, days)
        learned = services.judge is not None and services.judge.learned
        try:
            result = await tuning.rescore(stories, current, proposed, pool=pool, learned=learned)
        except (WorkerTimeout, WorkerMemory):
            raise UserError("keywords.rescore_too_big", count=len(stories)) from None
        lang = reader_language(interaction)
        await interaction.followup.send(
            render_preview(ops, result, days, lang), view=decision_view(lang), ephemeral=True
        )

    async def _stage(self, interaction: discord.Interaction[Any], op: RuleOp) -> None:
        assert interaction.guild_id is not None
        cap = self.bot.services.settings.guild_max_pending
        if len(PENDING.get(interaction.guild_id)) >= cap:
            raise UserError("keywords.pending_full", cap=cap)
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
            raise UserError("keywords.nothing_pending")
        await self._preview(interaction, ops, days)

    @app_commands.command(name="list", description="This server's rules and readers' feedback")
    @member_has(manage_guild=True)
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.services.sessions() as session:
            current = await tuning.load_guild_rules(session, interaction.guild_id)
            yes, no = await feedback.counts(session, interaction.guild_id)
        threshold = "keywords.threshold_default" if current.threshold is None else "keywords.threshold"
        lines = [tr(interaction, threshold, value=float(current.effective_threshold))]
        lines += [
            tr(interaction, "keywords.rule_add", term=a.term, concept=a.concept, weight=float(a.weight))
            for a in current.added
        ]
        lines += [tr(interaction, "keywords.rule_block", term=b) for b in current.blocked]
        lines += [tr(interaction, "keywords.rule_force", term=f) for f in current.forced]
        if current.is_default:
            lines.append(tr(interaction, "keywords.no_rules"))
        lines.append(tr(interaction, "keywords.feedback", relevant=yes, not_relevant=no))
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
        categories = ", ".join(verdict.categories) or tr(interaction, "keywords.no_categories")
        if verdict.match:
            head = tr(interaction, "keywords.verdict_alert", score=float(verdict.score), categories=categories)
        else:
            reason = tr(interaction, f"reason.{verdict.reason.value}") if verdict.reason else "-"
            head = tr(
                interaction,
                "keywords.verdict_no_alert",
                reason=reason,
                score=float(verdict.score),
                categories=categories,
            )
        lines = [head]
        if verdict.lexicon_score is not None:
            lines[0] += tr(interaction, "keywords.lexicon_decided", score=float(verdict.lexicon_score))
        lines += [f"• {concept}: {safe(', '.join(terms))}" for concept, terms in verdict.evidence.items()]
        if verdict.cases:
            lines.append(tr(interaction, "keywords.closest"))
            lines += [
                f"• {safe(c.incident)} "
                f"({tr(interaction, 'keywords.case_breach' if c.label else 'keywords.case_not_breach')}, "
                f"{number(reader_language(interaction), c.similarity, 2)}): {safe(c.title)}"
                for c in verdict.cases
            ]
        await interaction.response.send_message(cut("\n".join(lines), 1900), ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, BreachwatchBot)
    bot.add_dynamic_items(DecisionButton)
    await bot.add_cog(Keywords(bot))
