"""Pick out stories that report a breach of surveillance data, in seven languages, and say why.

Plain Python, no I/O beyond reading the bundled lexicons: `classify(title, summary, text, lang)` gives a Verdict;
`effective_classifier(GuildRules)` gives a guild's cached classifier (defaults plus its rules).
"""

from bot.classify.classifier import DEFAULT_THRESHOLD, Classifier, classify, default_classifier
from bot.classify.lexicon import CATEGORIES
from bot.classify.rules import ClassifierCache, GuildRules, RuleError, RuleTerm, effective_classifier
from bot.classify.verdict import Reason, Verdict

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
    "effective_classifier",
]
