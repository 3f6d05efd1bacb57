"""The two-stage classifier the bot uses.

First pass: the lexicon (fast, explains itself, tuned by moderators). A story with no breach and no surveillance
cue in any language stops there. Any other story goes on: its text is encoded once (the embedding is stored with
the article, so backtests and re-scoring never encode again) and the trained model turns the embedding and the
lexicon's signals into a calibrated probability, compared with the guild's threshold. A guild's `block` and
`force` rules still decide on top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.classify.classifier import Classifier
from bot.classify.encoder import Encoder, Matrix, encoder_text
from bot.classify.model import LearnedModel, ModelError, Vector, lexicon_features
from bot.classify.verdict import Reason, Verdict
from bot.core.categories import CATEGORIES

EMBEDDING_DTYPE = np.float16
_CATEGORY_SET = frozenset(CATEGORIES)


@dataclass(frozen=True, slots=True)
class FirstPass:
    verdict: Verdict
    cue: bool  # a breach or surveillance term in any language: worth the second pass
    text: str  # what the encoder reads


def pack(vector: Vector) -> bytes:
    """An embedding as stored with its article: float16, 768 bytes for 384 dimensions."""
    return np.asarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


def unpack(blob: bytes | None) -> Vector | None:
    if not blob:
        return None
    return np.frombuffer(blob, dtype=EMBEDDING_DTYPE).astype(np.float32)


class Judge:
    """The lexicon plus, when both are present, the encoder and the trained model."""

    def __init__(self, encoder: Encoder | None, model: LearnedModel | None) -> None:
        if encoder is not None and model is not None and model.encoder != encoder.name:
            raise ModelError(
                f"the trained model was made with encoder {model.encoder!r}, not {encoder.name!r}:"
                " run `breachwatch train` with this encoder, or set BREACHWATCH_ENCODER back"
            )
        self.encoder = encoder if model is not None else None
        self.model = model if encoder is not None else None

    @classmethod
    def on_stored_embeddings(cls, model: LearnedModel | None) -> Judge:
        """A judge that decides on embeddings already stored (backtests) and never encodes: it needs the trained
        model, not the encoder, so a worker process need not load the encoder at all."""
        judge = cls(None, None)
        judge.model = model
        return judge

    @property
    def learned(self) -> bool:
        return self.model is not None

    @property
    def encoder_name(self) -> str | None:
        return None if self.encoder is None else self.encoder.name

    def first_pass(
        self, classifier: Classifier, title: str, summary: str = "", text: str = "", lang: str | None = None
    ) -> FirstPass:
        verdict, cue = classifier.first_pass(title, summary, text or None, lang)
        return FirstPass(verdict, cue, encoder_text(title, summary, text))

    def wants_embedding(self, first: FirstPass) -> bool:
        return self.learned and first.cue

    def encode(self, texts: list[str]) -> Matrix:
        """Blocking (about 0.1 s a story on one core): call it from a worker thread."""
        assert self.encoder is not None
        return self.encoder.encode(texts)

    def decide(self, verdict: Verdict, embedding: Vector | None, threshold: float) -> Verdict:
        """The final verdict: the lexicon's alone when there is no embedding or a guild rule decided."""
        model = self.model
        if model is None or embedding is None or verdict.forced or verdict.reason is Reason.BLOCKED_BY_RULE:
            return verdict
        sims = model.similarities(embedding)
        probability = model.probability(embedding, lexicon_features(verdict), sims)
        match = probability >= threshold
        categories = verdict.categories
        if match and not categories:
            hint = model.nearest_category(sims, _CATEGORY_SET)
            categories = (hint,) if hint else ()
        reason = None if match else (verdict.reason or Reason.NO_BREACH_EVENT)
        return verdict._replace(
            match=match,
            score=probability,
            categories=categories if match else verdict.categories,
            reason=reason,
            lexicon_score=verdict.score,
            cases=model.nearest(sims, 2),
            stage="model",
        )

    def judge_now(
        self, classifier: Classifier, title: str, summary: str = "", text: str = "", lang: str | None = None
    ) -> tuple[Verdict, Vector | None]:
        """Both passes in the calling thread (the CLI, tests, benches); the bot encodes in a worker thread."""
        first = self.first_pass(classifier, title, summary, text, lang)
        embedding = self.encode([first.text])[0] if self.wants_embedding(first) else None
        return self.decide(first.verdict, embedding, classifier.threshold), embedding
