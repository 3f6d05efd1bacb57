"""Who each name is in a breach story: the victim (whose data was taken or exposed), the attacker, the regulator,
the outlet or researcher telling it.

Two reports that name different victims are two incidents, whatever attacker, regulator or week they share, so the
victim is what the grouping compares first (decide.py). The victim is read from the headline: a name there that no
cue or list (config/facts/roles.toml, organisations.toml, countries.toml) gives another role. A headline with no
such name ("a subcontractor", "a hospital") leaves the first sentence to say it; with neither, the victim is
unknown and nothing is vetoed. Which words are names at all is decided by signature.py's name table (capitals,
German nouns, sentence openers), passed in.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bot.core.text import WORD, fold_in_place, split_sentences
from bot.stories import config_schema as schema
from bot.stories import lexicon
from bot.stories.words import zipf

NAME_MIN = 0.2  # a word of a name: weaker ones are everyday words written with a capital
PORTABLE_ZIPF = 3.0
SPECIFIC = 0.8  # a name this specific (signature.py's scale) identifies one organisation across languages
_ELISION = re.compile(r"^(?:[ldjnstcm]|qu|all|dell|nell|sull|dall)['’](?=\w)", re.I)
_POSSESSIVE = re.compile(r"['’]s?$")
_CUE_REACH = 40  # characters searched before and after a name for a role cue


def token_parts(token: str) -> list[str]:
    """A word's parts as names are keyed: no elided article ("l'ASFC"), no possessive ("Opticor's"), split at
    hyphens and slashes."""
    token = _ELISION.sub("", token)
    token = _POSSESSIVE.sub("", token)
    return [p for p in re.split(r"[-–/]", token) if p]


@dataclass(frozen=True)
class RoleCues:
    regulators: re.Pattern[str]
    actor_before: dict[str, re.Pattern[str]]
    actor_after: dict[str, re.Pattern[str]]
    regulator_before: dict[str, re.Pattern[str]]
    regulator_after: dict[str, re.Pattern[str]]
    reporter_before: dict[str, re.Pattern[str]]
    tool_before: dict[str, re.Pattern[str]]  # "spyware Aracne": the attacker's tool
    tool_after: dict[str, re.Pattern[str]]
    ruled_after: dict[str, re.Pattern[str]]  # "X sanctionnée par": the one a regulator ruled on
    participant_before: dict[str, re.Pattern[str]]  # "the subcontractor X": a party to the report's own incident
    participant_after: dict[str, re.Pattern[str]]  # "X, which runs"
    suppliers: dict[str, re.Pattern[str]]  # "a supplier", "le fournisseur", "uma empresa contratada"
    connectors: dict[str, frozenset[str]]
    name_heads: dict[str, re.Pattern[str]]
    place_heads: dict[str, frozenset[str]]  # folded words: "prefeitura", "gemeente", "city"
    body_heads: dict[str, frozenset[str]]  # "ministry", "ministerio"
    institution_heads: dict[str, re.Pattern[str]]  # "hospital", "Landeskrankenhaus", "universidad"
    attacker_verbs: dict[str, re.Pattern[str]]  # "X vaza", "X leaks": a headline's subject that is the attacker


def _alternation(terms: list[str]) -> str:
    """The terms as one regex alternation; a "*" in a term stands for a few words within one clause ("cuyo *
    gestiona": "cuyo padrón gestiona")."""
    escaped = (
        re.escape(fold_in_place(t)).replace(r"\*", r"[^,.;:]{0,60}?") for t in sorted(set(terms), key=len, reverse=True)
    )
    return "|".join(escaped)


@cache
def cues() -> RoleCues:
    data = schema.load("facts", "roles.toml", schema.RolesFile)

    # Determiners may stand between a cue and its name ("according to the", "selon le"): references.toml's.
    determiners = schema.load("stories", "references.toml", schema.ReferencesFile).determiners

    def before(table: dict[str, list[str]]) -> dict[str, re.Pattern[str]]:
        out: dict[str, re.Pattern[str]] = {}
        for lang, terms in table.items():
            dets = determiners.get(lang, [])
            between = rf"(?:(?:{_alternation(dets)})\s*)?" if dets else ""
            out[lang] = re.compile(rf"(?<![\w'])(?:{_alternation(terms)})\s+{between}$")
        return out

    def after(table: dict[str, list[str]], comma: str = "") -> dict[str, re.Pattern[str]]:
        return {lang: re.compile(rf"^['’]?s?{comma}[\s-]+(?:{_alternation(t)})(?![\w])") for lang, t in table.items()}

    return RoleCues(
        regulators=re.compile(rf"(?<![\w])(?:{_alternation(data.regulators)})(?![\w])"),
        actor_before=before(data.actor_before),
        actor_after=after(data.actor_after),
        regulator_before=before(data.regulator_before),
        regulator_after=after(data.regulator_after),
        reporter_before=before(data.reporter_before),
        tool_before=before(data.tool_before),
        tool_after=after(data.tool_after),
        ruled_after=after(data.ruled_after, ",?"),  # "Escolta Norte, sancionada por la AEPD"
        participant_before=before(data.participant_before),
        participant_after=after(data.participant_after, ","),
        suppliers={lang: re.compile(rf"(?<![\w'])(?:{_alternation(t)})(?![\w])") for lang, t in data.suppliers.items()},
        connectors={lang: frozenset(fold_in_place(w) for w in words) for lang, words in data.connectors.items()},
        name_heads={
            lang: re.compile(rf"\w*(?:{_alternation(terms)})(?:s|es|n|en)?") for lang, terms in data.name_heads.items()
        },
        place_heads={lang: frozenset(fold_in_place(w) for w in words) for lang, words in data.place_heads.items()},
        body_heads={lang: frozenset(fold_in_place(w) for w in words) for lang, words in data.body_heads.items()},
        attacker_verbs=after(data.attacker_verbs),
        # German compounds end in their kind ("Landeskrankenhaus"): the name heads count there as well.
        institution_heads={
            lang: re.compile(rf"\w*(?:{_alternation([*terms, *data.name_heads.get(lang, [])])})(?:s|es|n|en)?")
            for lang, terms in data.institution_heads.items()
        },
    )


@cache
def role_cue_words() -> frozenset[str]:
    """Every word of every role cue in any language ("hacktivists", "watchdog", "selon"), folded."""
    data = schema.load("facts", "roles.toml", schema.RolesFile)
    tables = (
        data.actor_before,
        data.actor_after,
        data.regulator_before,
        data.regulator_after,
        data.reporter_before,
        data.tool_before,
        data.tool_after,
    )
    return frozenset(
        word for table in tables for terms in table.values() for term in terms for word in fold_in_place(term).split()
    )


def after_name_head(previous: str, lang: str) -> bool:
    """Whether `previous`, the word right before a capitalised one, says that a name follows: "Klinikgruppe" in
    "Klinikgruppe Rabenau", "Versandhändlers" in "des Versandhändlers Lindtal" (roles.toml's name_heads)."""
    pattern = cues().name_heads.get(lang)
    return pattern is not None and previous[:1].isupper() and pattern.fullmatch(fold_in_place(previous)) is not None


@dataclass(frozen=True)
class Name:
    text: str  # as written
    keys: tuple[str, ...]  # its words as signature.py keys them
    start: int
    end: int
    head: str = ""  # a lower-case noun before it that says what it is: "ministère" in "ministère de la Santé"
    kind: str = ""  # the kind of body it is, when a word before or in it says: "place", "body" or "institution"


@dataclass
class Roles:
    victims: list[Name] = field(default_factory=list)
    actors: set[str] = field(default_factory=set)  # keys of names with another role than victim
    regulators: set[str] = field(default_factory=set)
    reporters: set[str] = field(default_factory=set)
    tools: set[str] = field(default_factory=set)  # spyware named as the attacker's tool
    # Keys of names the article gives a part in its own incident: "the subcontractor X", "X, which runs ..."
    participants: set[str] = field(default_factory=set)
    in_title: bool = False  # whether the victims were read from the headline
    third_party: bool = False  # the article tells of a supplier it does not name ("a break-in at a supplier")

    @property
    def not_victims(self) -> set[str]:
        return self.actors | self.regulators | self.reporters | self.tools


def names_in(text: str, lang: str, names: Mapping[str, float], sure: Container[str] | None = None) -> list[Name]:
    """Runs of name words in one sentence: "Halberd Insurance", "Ministero della Salute", "Klinikgruppe Rabenau".

    A connector word ("of", "della") joins two name words; anything else (a lower-case word, punctuation but a
    hyphen) ends the run. With `sure`, a run starts only at one of those names."""
    rc = cues()
    connectors = rc.connectors.get(lang, frozenset())
    bodies = rc.place_heads.get(lang, frozenset()) | rc.body_heads.get(lang, frozenset())
    found: list[Name] = []
    run: list[tuple[str, list[str], int, int]] = []  # (word, keys, start, end)
    pending_connector = False

    def close() -> None:
        if run:
            keys = tuple(dict.fromkeys(k for _w, ks, _s, _e in run for k in ks))
            start = run[0][2]
            # "ministère de la Santé", "ministerie van Justitie": the lower-case head noun is part of the name; so
            # is the kind of public body written before it, capitalised or not ("Gemeinde Kiefern", "Comune di").
            noun = before = ""  # before: the word right before, connectors between ("Hospital de"): its kind
            for between in range(3):
                head = re.search(rf"([^\W\d_]{{4,}})\s+((?:[\w']+\s+){{{between}}})$", text[:start])
                if head is None or not all(fold_in_place(w) in connectors for w in head.group(2).split()):
                    continue
                before = before or head.group(1)
                word = fold_in_place(head.group(1))
                if (head.group(1).islower() and between) or word in bodies:
                    noun = word
                    break
            own = [w for w, _ks, _s, _e in run]  # English ends a name with its kind: "City of London Police"
            words = [noun, before, *(own[::-1] if lang == "en" else own)]
            found.append(Name(text[start : run[-1][3]], keys, start, run[-1][3], noun, kind_of(words, lang)))
        run.clear()

    previous_end = 0
    for match in WORD.finditer(text):
        gap = text[previous_end : match.start()]
        previous_end = match.end()
        token = match.group(0)
        parts = [p for p in token_parts(token) if not p[0].isdigit()]
        keys = [fold_in_place(p)[:36] for p in parts]
        # A name starts with a word the name table knows as one; once started, any capitalised word goes on
        # with it, everyday or not ("Ministero della Salute", "Border Service"). German writes every noun with
        # a capital, so there the name table decides every word.
        if not (run and parts and parts[0][0].isupper() and lang != "de"):
            keys = [k for k in keys if names.get(k, 0.0) >= NAME_MIN and (run or sure is None or k in sure)]
        if run and gap.strip(" -–") not in ("", "&"):
            close()
            pending_connector = False
        if keys:
            if run and not pending_connector and gap.strip(" "):
                close()
            run.append((token, keys, match.start(), match.end()))
            pending_connector = False
        elif run and fold_in_place(token) in connectors and not pending_connector:
            pending_connector = True
        else:
            close()
            pending_connector = False
    close()
    return found


def kind_of(words: list[str], lang: str) -> str:
    """The kind of body the first of these words that says one names: "place" (a town's council: roles.toml's
    place_heads), "body" (a ministry: body_heads) or "institution" (a hospital, a school, a company:
    institution_heads, and in German the name heads), or "". A town's hospital and its council are two victims."""
    rc = cues()
    institutions = rc.institution_heads.get(lang)
    for word in words:
        folded = fold_in_place(word)
        if not folded:
            continue
        places = rc.place_heads.get(lang, frozenset())
        # "Landeshauptstadt", "Kreisverwaltung": a German compound ending in a place's kind is one
        if folded in places or (lang == "de" and any(folded.endswith(p) for p in places if len(p) >= 5)):
            return "place"
        if folded in rc.body_heads.get(lang, frozenset()):
            return "body"
        if institutions is not None and institutions.fullmatch(folded):
            return "institution"
    return ""


def _role(folded: str, name: Name, lang: str) -> str | None:
    """The role cues around one name give it: actor, regulator, reporter, or None."""
    rc = cues()
    orgs = lexicon.organisations()
    phrase = fold_in_place(name.text)
    for match in orgs.pattern.finditer(phrase):
        role = orgs.roles[match.group(0)]
        if role in ("actor", "reporter"):
            return role
    # "Commission d'accès à l'information": a regulator's name with lower-case words in it begins here
    if rc.regulators.search(phrase) or rc.regulators.match(folded, name.start):
        return "regulator"
    before = folded[max(0, name.start - _CUE_REACH) : name.start]
    after = folded[name.end : name.end + _CUE_REACH]
    for role, table, text in (
        ("actor", rc.actor_before, before),
        ("actor", rc.actor_after, after),
        ("regulator", rc.regulator_before, before),
        ("regulator", {} if _ruled_on(folded, name, lang) else rc.regulator_after, after),
        ("reporter", rc.reporter_before, before),
        ("tool", rc.tool_before, before),
        ("tool", rc.tool_after, after),
    ):
        pattern = table.get(lang)
        if pattern is not None and pattern.search(text):
            return role
    return None


def _is_country(name: Name) -> bool:
    patterns, _acronyms = lexicon.countries()
    phrase = fold_in_place(name.text)
    return any((m := p.match(phrase)) is not None and m.end() >= len(phrase) - 1 for p in patterns.values())


def find_roles(title: str, body: str, lang: str, names: Mapping[str, float], sure: Container[str]) -> Roles:
    """Every name's role in the article, and its victims: the headline's names without another role (or, when
    the headline names nobody at all or only the attacker's tool, the first sentence's).

    `names` are every word that may be a name, `sure` those certainly names (not a headline's first word, not a
    German noun made of two words): only these start a victim's name, so "Wiretap backdoors ..." names none."""
    roles = Roles()
    units = [title, *split_sentences(body)]
    per_unit: list[list[Name]] = []
    candidates: list[list[Name]] = []
    for index, unit in enumerate(units):
        folded = fold_in_place(unit)
        roles.third_party = roles.third_party or _unnamed_supplier(unit, folded, lang)
        found = names_in(unit, lang, names)
        per_unit.append(found)
        sure_names = names_in(unit, lang, names, sure)
        if index == 0:  # "Stationa sanctionnée par la CNIL": the one ruled on, even as the headline's first word
            known = {n.start for n in sure_names}
            sure_names += [n for n in found if n.start not in known and _ruled_on(folded, n, lang)]
        candidates.append([n for n in sure_names if not _after_number(unit, n)])
        # A run may begin with its own cue ("Ransomwarebende Nachtvlinder", "Bende Korvex"): the name as the sure
        # words start it is read with the cue before it.
        starts = {n.start for n in found}
        for name in [*found, *(n for n in sure_names if n.start not in starts)]:
            role = _role(folded, name, lang)
            if role == "actor":
                roles.actors.update(name.keys)
            elif role == "regulator":
                roles.regulators.update(name.keys)
            elif role == "reporter":
                roles.reporters.update(name.keys)
            elif role == "tool":
                roles.tools.update(name.keys)
            if _participant(folded, name, lang):
                roles.participants.update(name.keys)
    roles.actors.update(_leaking_subject(title, candidates[0], roles.not_victims, lang))
    others = roles.not_victims
    longer = [n for found in per_unit[1:] for n in found]
    # A headline naming only the attacker or the regulator does not say whose data it was; the first sentence is
    # read only when the headline names nobody ("Hospital confirms data theft at a supplier") or nothing but the
    # attacker's tool, a spyware ("Spyware Aracne, online i bersagli ...", "Private eye firm left Veilcast
    # phone-intercept logs on an open server": the body calls it "Veilcast spyware").
    named = [n for n in candidates[0] if not _is_country(n)]
    # "Après VeilleProche, une deuxième appli espion, Gardozen, ...", "Depois de Alcaria, Maré Negra ataca ...": a
    # headline's name right after a cue for another incident is that incident's, when the headline names another.
    cue = lexicon.reference_cues(events=False).get(lang)
    folded_title = fold_in_place(title)
    own = [n for n in named if not (cue and cue.search(folded_title[max(0, n.start - _CUE_REACH) : n.start]))]
    if own and not all(set(n.keys) & roles.not_victims for n in own):
        candidates[0] = [n for n in candidates[0] if n in own]
    tool_only = any(set(n.keys) & roles.tools for n in named) and all(set(n.keys) <= others for n in named)
    for index, found in enumerate(candidates[: 1 if per_unit[0] and not tool_only else 2]):
        victims = [_fullest(n, longer) for n in found if not set(n.keys) & others and not _is_country(n)]
        if victims:
            roles.victims = victims
            roles.in_title = index == 0
            break
    return roles


def _leaking_subject(title: str, names: list[Name], others: set[str], lang: str) -> set[str]:
    """ "Vargem Clara também é atacada: Mandacaru vaza imagens ...", "Korvex leaks ...": the subject of a leak,
    publish or claim verb at the headline's start or right after its colon is the attacker, when the headline
    names someone else as well (alone it may be the victim leaking its own data)."""
    pattern = cues().attacker_verbs.get(lang)
    if pattern is None:
        return set()
    folded = fold_in_place(title)
    subjects = [
        n
        for n in names
        if re.search(r"(?:^|:)\s*$", title[: n.start]) and pattern.search(folded[n.end : n.end + _CUE_REACH])
    ]
    rest = [n for n in names if n not in subjects and not set(n.keys) & others]
    return {k for n in subjects for k in n.keys} if subjects and rest else set()


def _ruled_on(folded: str, name: Name, lang: str) -> bool:
    """ "Stationa sanctionnée par la CNIL": a headline's name, even its first word, that a regulator ruled on."""
    pattern = cues().ruled_after.get(lang)
    return pattern is not None and pattern.search(folded[name.end : name.end + _CUE_REACH]) is not None


def _participant(folded: str, name: Name, lang: str) -> bool:
    """ "the subcontractor Perceptics", "le prestataire X", "X, which runs the council's cameras": a name the
    article gives a part in its own incident (roles.toml's participant cues)."""
    rc = cues()
    before, after = rc.participant_before.get(lang), rc.participant_after.get(lang)
    if after is not None and after.search(folded[name.end : name.end + 2 * _CUE_REACH]):  # "X, dat * verwerkt"
        return True
    if before is None:
        return False
    # The cue may open the name itself ("ICT-leverancier Vectis Lokaal"): any of its words may follow it.
    starts = [name.start + m.start() for m in WORD.finditer(name.text)]
    return any(before.search(folded[max(0, start - _CUE_REACH) : start]) for start in starts)


def _unnamed_supplier(text: str, folded: str, lang: str) -> bool:
    """ "na een inbraak bij een leverancier", "chez le fournisseur de ses portiques": a supplier the text names
    not ("Leverancier Lensor helpt" names it)."""
    pattern = cues().suppliers.get(lang)
    if pattern is None:
        return False
    return any(not _capital_after(text, m.end()) for m in pattern.finditer(folded))


def _capital_after(text: str, end: int) -> bool:
    following = re.match(r"\s+([^\W\d_])", text[end:])
    return following is not None and following.group(1).isupper()


def _after_number(text: str, name: Name) -> bool:
    """ "18 GB", "3 TB": a unit, not a name."""
    return bool(re.search(r"\d\s?$", text[: name.start]))


def _fullest(name: Name, elsewhere: list[Name]) -> Name:
    """The name as the text writes it in full: a headline's "Border Service" is the body's "Northmark Border
    Service", so a report naming only "Northmark" is recognised as naming it."""
    best = name
    for other in elsewhere:
        if set(name.keys) < set(other.keys) and len(other.keys) > len(best.keys):
            best = Name(other.text, other.keys, name.start, name.end, name.head or other.head, name.kind or other.kind)
    return best


def victim_records(roles: Roles, lang: str, names: Mapping[str, float]) -> list[dict[str, Any]]:
    """The victims as a signature stores them: the language they were written in, their keys, which keys are
    specific to one organisation, which of those are written alike in every language, and the noun that says
    what they are."""
    rc = cues()
    places = rc.place_heads.get(lang, frozenset())
    heads = places | rc.body_heads.get(lang, frozenset())
    out: list[dict[str, Any]] = []
    for victim in roles.victims:
        # The kind of body is never what tells one from another, however rare its word ("FOD Justitie").
        specific = [k for k in victim.keys if k not in heads and names.get(k, 0.0) >= SPECIFIC]
        # The name without the kind of body it is: "Prefeitura de Serra Alta" is "Serra Alta" to a report that
        # leaves the kind out, "Ministry of Health" is "Health".
        # Only the words read as names: "Nueva" in "Villa Nueva" is too everyday for a report to keep as one.
        core = [k for k in victim.keys if k not in heads and names.get(k, 0.0) > 0.0] or list(victim.keys)
        # A name the word lists know well (a big city, a country's ministry) may be written otherwise in another
        # language ("Munich", "München"); one they barely know (a company, a small town) is written alike.
        portable = [k for k in specific if max(zipf(k, lang), zipf(k, "en")) < PORTABLE_ZIPF]
        record = {
            "lang": lang,
            "keys": list(victim.keys),
            "specific": specific,
            "portable": portable,
            "head": victim.head,
            "core": core,
            # Named as a town ("Câmara Municipal de Pinhal Novo", "Prefeitura de Rio Claro"), however everyday its
            # words: decide.py compares it across languages with a name written alike everywhere.
            "town": victim.head in places or any(k in places for k in victim.keys),
            "kind": victim.kind,
            "title": roles.in_title,  # read from the headline: decide.py's stricter rule compares these
        }
        if record not in out:
            out.append(record)
    return out
