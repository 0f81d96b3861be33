"""A claim more certain than its source: "the beads prove the household traded" where the passage
says they "suggest" it. General English hedges and their certain counterparts; words are compared
by lemma."""

from __future__ import annotations

import re

from assistant.reading.lexicon import lemmas_of

HEDGES = frozenset(
    "suggest indicate hint imply may might could possibly perhaps probably likely appear seem "
    "estimate believe suspect tentative preliminary".split()
)
# "proves" anywhere; "confirms", "demonstrates", "establishes" only of a finding ("... that"):
# "the Senate confirmed her", "thousands demonstrated", "was established in 1990" claim no proof.
_CERTAIN = re.compile(
    r"\b(prov(?:e|es|ed|en|ing)|(?:confirm|demonstrat|establish)\w*\s+that|certainly|definitely"
    r"|undoubtedly)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]+")


def _hedges(text: str) -> set[str]:
    # "May" with a capital is the month
    words = {w.lower() for w in _WORD.findall(text) if w != "May"}
    return lemmas_of(words) & HEDGES


def overstates(claim: str, passage: str) -> str | None:
    """The claim's words of certainty (as written) where the passage hedges and says no such
    thing, else None."""
    said = [m.group(0) for m in _CERTAIN.finditer(claim)]
    if not said or _CERTAIN.search(passage):
        return None
    return said[0] if _hedges(passage) - _hedges(claim) else None


# What makes the verb after it possible or planned rather than done: an auxiliary of possibility
# ("may sell"), or a verb of intent before "to" ("plans to sell") or before an -ing form
# ("would consider selling").
AUXILIARIES = frozenset("may might could".split())
INTENT = frozenset("plan intend aim hope propose seek want wish threaten expect consider".split())
_TOKENS = re.compile(r"[A-Za-z]+|[^\sA-Za-z]")


def _governed(words: list[str], i: int) -> bool:
    """Whether a modal governs words[i]: "may sell", "may have to sell", "plans to sell",
    "considering selling" (nothing but those words between; punctuation ends the reach)."""
    from assistant.reading.lexicon import lemmas

    before = [w.lower() for w in words[max(0, i - 3) : i]]
    if before[-1:] and before[-1] in AUXILIARIES and words[i - 1] != "May":
        return True
    if before[-3:] and before[-3:][0] in AUXILIARIES and before[-2:] == ["have", "to"]:
        return True
    if len(before) >= 2 and before[-1] == "to" and lemmas(before[-2]) & INTENT:
        return True
    ing = words[i].lower().endswith("ing")
    return bool(ing and before and lemmas(before[-1]) & {"consider"})


_FUTURE = frozenset("will shall would to".split())


def _to_come(words: list[str], i: int) -> bool:
    """ "is due to be released", "will be completed", "will have finished": not done yet."""
    before = [w.lower() for w in words[max(0, i - 2) : i]]
    return len(before) == 2 and before[1] in ("be", "have") and before[0] in _FUTURE


def states_as_done(claim: str, passage: str) -> str | None:
    """A verb the claim states as done (a past tense or participle, no modal governing it) that
    the passage has only as possible or planned ("has sold a stake" where it says "would consider
    selling a stake"), else None."""
    from assistant.reading.lexicon import is_function_word, lemmas, plainly_a_verb

    said = _TOKENS.findall(claim)
    told = _TOKENS.findall(passage)
    for i, word in enumerate(said):
        if not word.isalpha() or is_function_word(word) or word.lower().endswith("ing"):
            continue
        if not plainly_a_verb(word) or _governed(said, i) or _to_come(said, i):
            continue
        forms = lemmas(word)
        at = [j for j, w in enumerate(told) if w.isalpha() and lemmas(w) & forms]
        if at and all(_governed(told, j) for j in at):
            return word
    return None
