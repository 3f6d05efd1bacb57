"""Pick out stories that report a breach of surveillance data, in seven languages, and say why.

Plain Python, no I/O beyond reading the bundled lexicons: `classify(title, summary, text, lang)` gives a Verdict;
`ClassifierCache.get(GuildRules)` gives a guild's compiled classifier (defaults plus its rules); the runtime
builds the one cache the process shares. `judge.Judge` adds the encoder and the trained model.
"""

from bot.classify.classifier import DEFAULT_THRESHOLD, Classifier, classify, default_classifier
from bot.classify.rules import ClassifierCache, GuildRules, RuleError, RuleTerm
from bot.classify.verdict import Reason, Verdict
from bot.core.categories import CATEGORIES

__all__ = [
    "CATEGORIES",
    "DEFAULT_THRESHOLD",
    "Classifier",
    "ClassifierCache",
    "GuildRules",
    "Reason",
    "RuleError",
    "RuleTerm",
    "Verdict",
    "classify",
    "default_classifier",
]
