"""What identifies an incident in an article: names, numbers, distinctive words, data types, dates.

A `Signature` is computed per article and merged per story (stored as JSON on the story). Names and numbers
carry across languages; distinctive words compare only within one language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from bot.core.text import WORD, fold_in_place, split_sentences
from bot.stories import lexicon, minhash, names
from bot.stories.bodies import body_names
from bot.stories.facts import find_countries, find_counts, find_data_types
from bot.stories.roles import Roles, after_name_head, find_roles, token_parts, victim_records
from bot.stories.roles import cues as role_cues
from bot.stories.words import stem, zipf

MAX_ENTITIES = 60
MAX_TERMS = 250
MAX_NUMBERS = 40
MAX_MINHASHES = 6
MAX_VICTIMS = 12
MAX_COUNTRIES = 3
ENTITY_KEY_WEIGHT = 0.5  # names at least this distinctive get an index key
TERM_KEY_WEIGHT = 0.85
HEADLINE_NAME = 0.8  # a name at least this specific in an article's headline is what the article is about
CONTEXT_WEIGHT = 0.25  # a name met only as "after X" in an article about another name
_SEPARATE_REACH = 40  # characters before a "separate" cue searched for a word for an incident ("the case is unrelated")
_CUE_REACH = 64  # characters before a name searched for a reference cue and its event (references.toml)
_SENTENCE_OPENERS = re.compile(r"^[\"'«“(\[¿¡]+")


def _rarity(z: float) -> float:
    """0 for everyday words, 1 for words the frequency lists barely know."""
    return max(0.0, min(1.0, (5.2 - z) / 2.5))


@dataclass
class Signature:
    lang: str
    first: str  # ISO dates of the earliest and latest article
    last: str
    entities: dict[str, float] = field(default_factory=dict)
    weak_entities: dict[str, float] = field(default_factory=dict)  # capitalised only where any word would be
    title_entities: list[str] = field(default_factory=list)
    # [value, kind]: kind 1 counts people/records, 0 is a bare number, 2 a data size, 3 a sum of money
    numbers: list[list[float]] = field(default_factory=list)
    terms: dict[str, dict[str, float]] = field(default_factory=dict)  # lang -> stem -> weight
    data_types: list[str] = field(default_factory=list)
    minhashes: list[list[int]] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    # Whose data it was (roles.py, victim_records): one record per victim named; empty when no report named one
    # (and in signatures stored before victims were read), which vetoes nothing.
    victims: list[dict[str, Any]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)  # keys of names with another role: attackers, regulators, outlets
    # Keys of names given a part in the incident ("the subcontractor X", roles.py): they bridge headline victims
    participants: list[str] = field(default_factory=list)
    third_party: bool = False  # a report tells of a supplier it does not name ("a break-in at a supplier")
    # A report says its incident is not another one it mentions ("unconnected to last week's lapse at X", "nada
    # tem a ver com o da X"): decide.py then takes two victims' names at their word.
    separate: bool = False
    # A report tells of a further incident of a known actor, tool or kind ("NightLedger strikes again", "la stessa
    # gang che ...", "Second police wiretap leak in a week"): decide.py lets it join only the story of its victim.
    sequel: bool = False
    # The headline counts the incident ("Second Intersonic leak", "nueva fuga en Vértice Telecom"): a new incident,
    # even of the same victim. Only the article's own is read (decide.py).
    new_incident: bool = False
    # The countries the reports name most (facts.find_countries: names, adjectives, capitals): reports of one theme
    # in two countries read alike in meaning; the learned judgement weighs them (pairing.py).
    countries: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "first": self.first,
            "last": self.last,
            "entities": self.entities,
            "weak_entities": self.weak_entities,
            "title_entities": self.title_entities,
            "numbers": self.numbers,
            "terms": self.terms,
            "data_types": self.data_types,
            "minhashes": self.minhashes,
            "outlets": self.outlets,
            "victims": self.victims,
            "roles": self.roles,
            "participants": self.participants,
            "third_party": self.third_party,
            "separate": self.separate,
            "sequel": self.sequel,
            "new_incident": self.new_incident,
            "countries": self.countries,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signature:
        return cls(
            lang=str(data.get("lang") or "en"),
            first=str(data.get("first") or ""),
            last=str(data.get("last") or ""),
            entities=dict(data.get("entities") or {}),
            weak_entities=dict(data.get("weak_entities") or {}),
            title_entities=list(data.get("title_entities") or []),
            numbers=[list(n) for n in data.get("numbers") or []],
            terms={k: dict(v) for k, v in (data.get("terms") or {}).items()},
            data_types=list(data.get("data_types") or []),
            minhashes=[list(m) for m in data.get("minhashes") or []],
            outlets=list(data.get("outlets") or []),
            victims=[dict(v) for v in data.get("victims") or []],
            roles=list(data.get("roles") or []),
            participants=list(data.get("participants") or []),
            third_party=bool(data.get("third_party")),
            separate=bool(data.get("separate")),
            sequel=bool(data.get("sequel")),
            new_incident=bool(data.get("new_incident")),
            countries=list(data.get("countries") or []),
        )

    @property
    def first_date(self) -> datetime:
        return datetime.fromisoformat(self.first)

    @property
    def last_date(self) -> datetime:
        return datetime.fromisoformat(self.last)


# How much a name counts when it belongs to an organisation of this role (organisations.toml): outlets and
# researchers say who told the story, agencies whose data it was; the same agency holds the data of many incidents.
ROLE_WEIGHTS = {"reporter": 0.25, "agency": 0.5}


def _role_tokens(text: str) -> dict[str, float]:
    """Words of outlet, researcher and agency names in the text, with the factor their weight is scaled by."""
    orgs = lexicon.organisations()
    tokens: dict[str, float] = {}
    for match in orgs.pattern.finditer(fold_in_place(text)):
        factor = ROLE_WEIGHTS.get(orgs.roles[match.group(0)])
        if factor is None:
            continue
        for token in WORD.findall(match.group(0)):
            tokens[token] = min(tokens.get(token, 1.0), factor)
    return tokens


def _entities(title: str, sentences: list[str], lang: str) -> tuple[dict[str, float], dict[str, float], set[str]]:
    """Proper names: acronyms, mixed case, and capitalised words not opening a sentence.

    German capitalises every noun, so there a capitalised word only counts as a name when the German lists
    barely know it or other languages know it as a word too (as with place and company names).
    """
    found: dict[str, float] = {}
    weak: dict[str, float] = {}
    in_title: set[str] = set()
    roles = _role_tokens(" ".join([title, *sentences]))
    title_case = names.is_title_case(title)
    seen_mid_sentence: set[str] = set()
    cues = lexicon.reference_cues().get(lang)
    cued: set[str] = set()  # names met right after "after the" and the like
    connectors = role_cues().connectors.get(lang, frozenset())
    plain: set[str] = set()  # names met anywhere else
    units: list[tuple[str, bool]] = [(title, True)] + [(s, False) for s in sentences]
    for text, _is_title in units:
        for index, token in enumerate(WORD.findall(_SENTENCE_OPENERS.sub("", text))):
            for j, part in enumerate(token_parts(token)):
                if index > 0 or j > 0:
                    seen_mid_sentence.add(part)
    for text, is_title in units:
        clauses = re.split(r"(?<=[:;])\s+|\s+[–—-]\s+", _SENTENCE_OPENERS.sub("", text))
        for clause in clauses:
            folded_clause = fold_in_place(clause)
            in_reference = False
            previous, previous_end = "", -1
            words = list(WORD.finditer(clause))
            for index, match in enumerate(words):
                token = match.group(0)
                headed = (
                    lang == "de"
                    and previous_end >= 0
                    and clause[previous_end : match.start()] == " "
                    and after_name_head((token_parts(previous) or [previous])[-1], lang)
                )
                previous, previous_end = token, match.end()
                # Only the words just before: the longest cue and determiner fit well within this, and searching
                # the whole clause before every token would cost quadratic time on long sentences.
                before = folded_clause[max(0, match.start() - _CUE_REACH) : match.start()]
                # The reference goes on over the name's capitalised words and the connectors inside it ("the
                # attack on the Ayuntamiento de Valdeperal").
                going_on = token[0].isupper() or fold_in_place(token) in connectors
                in_reference = not is_title and (
                    bool(cues and cues.search(before)) or (in_reference and going_on and before.endswith(" "))
                )
                parts = token_parts(token)
                for j, part in enumerate(parts):
                    if part[0].isdigit():
                        continue  # numbers are compared as numbers
                    if re.fullmatch(r"[A-Z]{2,}s", part):
                        part = part[:-1]  # "EVs", "IDs"
                    shape = names.shape(part)
                    if shape in ("lower", "none") or len(part) < 2 or fold_in_place(part) in lexicon.generic_terms():
                        continue
                    initial = index == 0 and j == 0
                    target = found
                    if shape == "capital":
                        # "Klinikgruppe Rabenau", "Kreis Soest": a name right after what it names;
                        # "Südwestfalen-IT": a name before the acronym that ends it
                        named = headed or names.before_acronym(parts)
                        german_named = lang == "de" and j == 0 and named and names.headed_name(part)
                        if not german_named and lang == "de" and not names.german_name(part):
                            if not names.unknown_compound(part):
                                continue
                            target = weak  # "Arbeitsblick": a brand made of two words, or a noun made up
                        elif (
                            not german_named
                            and (initial or (is_title and title_case))
                            and part not in seen_mid_sentence
                            and not (
                                initial
                                and not (is_title and title_case)
                                and len(words) > 1
                                and names.opens_a_name(part, clause[match.end() : words[1].end()], lang, roles)
                            )
                        ):
                            target = weak  # perhaps a name, perhaps just the first word ("Ashgrove College ...")
                    weight = names.entity_weight(part, shape, lang, roles)
                    if weight <= 0.05:
                        continue
                    key = fold_in_place(part)[:36]
                    target[key] = max(target.get(key, 0.0), round(weight, 3))
                    (cued if in_reference else plain).add(key)
                    if is_title:
                        in_title.add(key)
    for key in found:
        weak.pop(key, None)
    context = cued - plain
    if context and any(found.get(key, 0.0) >= HEADLINE_NAME for key in in_title):
        for table in (found, weak):
            for key in context & table.keys():
                table[key] = round(table[key] * CONTEXT_WEIGHT, 3)
    return found, weak, in_title


@cache
def _generic_stems(lang: str) -> frozenset[str]:
    return frozenset(stem(term, lang) for term in lexicon.generic_terms())


def _terms(text: str, lang: str) -> tuple[dict[str, float], list[str]]:
    """Distinctive word stems with weights, and the stem sequence for shingling.

    German glues nouns together, so one outlet's "Zulassungsstellen" and another's "Kfz-Zulassungen" share a
    word only once compounds are split: their distinctive parts count as words too (shingles keep the whole).
    Words of breach reporting itself (generic_terms.toml: "ransomware", "cyberattaque") tell the kind of story,
    not the incident, so they get no weight.
    """
    generic = _generic_stems(lang)
    weights: dict[str, float] = {}
    sequence: list[str] = []
    for token in WORD.findall(text):
        for part in token_parts(token):
            low = part.lower()
            if len(low) < 3 or low.isdigit():
                continue
            key = stem(fold_in_place(low), lang)
            sequence.append(key)
            weight = _rarity(zipf(low, lang))
            if weight >= 0.2 and key not in generic:
                weights[key] = max(weights.get(key, 0.0), round(weight, 3))
            pieces = names.split_compound(low) if lang == "de" and len(low) >= 9 else None
            for piece in pieces or ():
                piece_weight = _rarity(zipf(piece, lang))
                piece_key = stem(fold_in_place(piece), lang)
                if piece_weight >= 0.2 and piece_key not in generic:
                    weights[piece_key] = max(weights.get(piece_key, 0.0), round(piece_weight, 3))
    return weights, sequence


def name_roles(title: str, body: str, lang: str) -> Roles:
    """The roles of the names in clean text (as an article stores it; roles.py), on this module's name table."""
    entities, weak, _in_title = _entities(title, split_sentences(body), lang)
    return find_roles(title, body, lang, {**weak, **entities}, entities)


def says_separate(sentences: list[str], lang: str) -> bool:
    """Whether a sentence of the body says the incident is another than one it names or calls an incident
    (references.toml's [separate] and [incidents]); a headline's "no link" is rarer and as often about the
    attacker, so only the body is read."""
    cues = lexicon.separate_cues().get(lang)
    if cues is None:
        return False
    pattern, incident = cues
    for sentence in sentences:
        folded = fold_in_place(sentence)
        for match in pattern.finditer(folded):
            rest = sentence[match.end() :]
            before = folded[max(0, match.start() - _SEPARATE_REACH) : match.start()]
            if (
                incident.search(match.group(0))
                or incident.search(folded[match.end() :])
                or incident.search(before)
                or re.search(r"\b[A-Z]", rest)
            ):
                return True
    return False


def tells_a_sequel(units: list[str], lang: str) -> bool:
    """Whether the headline or a sentence tells of a further incident of a known actor, tool or kind
    (references.toml's [sequel] and [ordinals])."""
    pattern = lexicon.sequel_cues().get(lang)
    return pattern is not None and any(pattern.search(fold_in_place(u)) for u in units)


def counts_the_incident(title: str, lang: str) -> bool:
    """Whether the headline counts the incident: an ordinal before a word for an incident ("Second Intersonic
    leak", "nueva fuga en Vértice Telecom"; references.toml's [ordinals] and [incidents])."""
    pattern = lexicon.ordinal_cues().get(lang)
    return pattern is not None and bool(pattern.search(fold_in_place(title)))


def build_signature(title: str, body: str, lang: str, published: datetime, outlet: str | None = None) -> Signature:
    """The signature of clean text (as an article stores it) in its analysis language."""
    sentences = split_sentences(body)
    entities, weak, in_title = _entities(title, sentences, lang)
    terms, sequence = _terms(f"{title}\n{body}", lang)
    numbers: list[list[float]] = []
    for count in find_counts(f"{title}\n{body}", lang):
        if count.unit:
            number = [float(count.value), 2.0]  # a data size, e.g. 269 GB
        elif count.money:
            number = [float(count.value), 3.0]
        elif count.value >= 1000 or (count.counts_something and count.value >= 100):
            # "613 profiles" is as telling as "2.4 million addresses"; a bare "300" is not
            number = [float(count.value), 1.0 if count.counts_something else 0.0]
        else:
            continue
        if not any(n[0] == number[0] for n in numbers):
            numbers.append(number)
    mh = minhash.signature(minhash.shingles(sequence))
    day = published.date().isoformat()
    name_table = {**weak, **entities}
    roles = find_roles(title, body, lang, name_table, entities)
    # After the roles: a body's key is no word of the text, only a name other languages share.
    for key, weight, titled in body_names(title, body):
        entities[key] = max(entities.get(key, 0.0), weight)
        if titled:
            in_title.add(key)
    return Signature(
        lang=lang,
        first=day,
        last=day,
        entities=entities,
        weak_entities=weak,
        title_entities=sorted(in_title),
        numbers=numbers[:MAX_NUMBERS],
        terms={lang: terms},
        data_types=find_data_types(f"{title}\n{body}"),
        minhashes=[mh] if mh else [],
        outlets=[outlet] if outlet else [],
        victims=victim_records(roles, lang, name_table)[:MAX_VICTIMS],
        roles=sorted(roles.not_victims),
        participants=sorted(roles.participants),
        third_party=roles.third_party,
        separate=says_separate(sentences, lang),
        sequel=tells_a_sequel([title, *sentences], lang),
        new_incident=counts_the_incident(title, lang),
        countries=find_countries(f"{title}\n{body}")[:MAX_COUNTRIES],
    )


def _top(weights: dict[str, float], limit: int) -> dict[str, float]:
    if len(weights) <= limit:
        return weights
    return dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def merge(story: Signature, article: Signature) -> Signature:
    """The story's signature after the article joins it: the union of what identifies either."""
    entities = dict(story.entities)
    for key, weight in article.entities.items():
        entities[key] = max(entities.get(key, 0.0), weight)
    weak = dict(story.weak_entities)
    for key, weight in article.weak_entities.items():
        weak[key] = max(weak.get(key, 0.0), weight)
    for key in entities:
        weak.pop(key, None)
    terms = {lang: dict(values) for lang, values in story.terms.items()}
    for lang, values in article.terms.items():
        bucket = terms.setdefault(lang, {})
        for key, weight in values.items():
            bucket[key] = max(bucket.get(key, 0.0), weight)
    numbers = list(story.numbers)
    for number in article.numbers:
        if number not in numbers:
            numbers.append(number)
    return Signature(
        lang=story.lang,
        first=min(story.first, article.first),
        last=max(story.last, article.last),
        entities=_top(entities, MAX_ENTITIES),
        weak_entities=_top(weak, MAX_ENTITIES),
        title_entities=sorted(set(story.title_entities) | set(article.title_entities)),
        numbers=numbers[:MAX_NUMBERS],
        terms={lang: _top(values, MAX_TERMS) for lang, values in terms.items()},
        data_types=sorted(set(story.data_types) | set(article.data_types)),
        minhashes=(story.minhashes + article.minhashes)[:MAX_MINHASHES],
        outlets=sorted(set(story.outlets) | set(article.outlets)),
        victims=(story.victims + [v for v in article.victims if v not in story.victims])[:MAX_VICTIMS],
        roles=sorted(set(story.roles) | set(article.roles))[:MAX_ENTITIES],
        participants=sorted(set(story.participants) | set(article.participants))[:MAX_ENTITIES],
        third_party=story.third_party or article.third_party,
        separate=story.separate or article.separate,
        sequel=story.sequel and article.sequel,
        countries=story.countries + [c for c in article.countries if c not in story.countries],
    )


def _number_key(value: float) -> str:
    digits = len(str(int(value)))
    scale = 10 ** max(0, digits - 2)
    return f"n:{int(round(value / scale) * scale)}"


def index_keys(sig: Signature) -> list[str]:
    """The keys under which a signature is indexed in story_bands (each at most 40 characters)."""
    keys: list[str] = []
    for mh in sig.minhashes:
        keys.extend(minhash.band_keys(mh))
    keys.extend(f"e:{k}" for k, w in sig.entities.items() if w >= ENTITY_KEY_WEIGHT)
    keys.extend(f"e:{k}" for k, w in sig.weak_entities.items() if w >= ENTITY_KEY_WEIGHT)
    keys.extend(_number_key(v) for v, _kind in sig.numbers)
    for lang, values in sig.terms.items():
        top = sorted(((w, k) for k, w in values.items() if w >= TERM_KEY_WEIGHT), reverse=True)[:12]
        keys.extend(f"t:{lang}:{k}"[:40] for _w, k in top)
    return sorted(set(keys))
