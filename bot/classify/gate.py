"""The first pass's gate: broad topic stems (config/lexicon/gate.toml) found anywhere in a normalised story.

The lexicon's own breach and surveillance terms open the gate too (Classifier.first_pass); these stems catch the
stories the lexicon has no word for, so that the trained model sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import ahocorasick

from bot.classify.lexicon import LexiconError
from bot.resources import config_path, load_toml


class Gate:
    def __init__(self, stems: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        count = 0
        for stem in stems:
            if not stem.strip() or stem != stem.lower():
                raise LexiconError(f"gate stem {stem!r} must be non-empty, normalised lower case")
            self._automaton.add_word(stem, stem)
            count += 1
        if count:
            self._automaton.make_automaton()
        self.size = count

    def opens(self, normalised: str) -> bool:
        """Whether any stem occurs in the text (as Classifier.prepare normalises it)."""
        if not self.size:
            return False
        for _ in self._automaton.iter(normalised):
            return True
        return False


@cache
def default_gate() -> Gate:
    data = load_toml(config_path("lexicon", "gate.toml"))
    stems = data.get("gate", {}).get("stems", [])
    if not isinstance(stems, list) or not all(isinstance(s, str) for s in stems):
        raise LexiconError("gate.toml: [gate] stems must be a list of strings")
    if len(set(stems)) != len(stems):
        raise LexiconError("gate.toml: a stem is listed twice")
    return Gate(stems)
