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


# Words that make what follows possible, wished or planned rather than done.
MODALS = frozenset(
    "may might could would consider plan intend aim hope propose expect seek want wish threaten "
    "likely possibly perhaps possible potential".split()
)
_REACH = 3  # words before a word that a modal governs it from ("may have to rise")


def _modal_before(words: list[str], i: int) -> bool:
    before = [w for w in words[max(0, i - _REACH) : i] if w != "May"]
    return bool(lemmas_of(w.lower() for w in before) & MODALS)


def states_as_done(claim: str, passage: str) -> str | None:
    """A verb the claim states as done (a past tense or participle, with no modal before it) that
    the passage has only as possible, wished or planned ("has sold a stake" where it says "would
    consider selling a stake"), else None."""
    from assistant.reading.lexicon import is_function_word, lemmas, plainly_a_verb

    said = _WORD.findall(claim)
    told = _WORD.findall(passage)
    for i, word in enumerate(said):
        forms = lemmas(word)
        if is_function_word(word) or forms & MODALS or not plainly_a_verb(word):
            continue
        if _modal_before(said, i):
            continue
        at = [j for j, w in enumerate(told) if lemmas(w) & forms]
        if at and all(_modal_before(told, j) for j in at):
            return word
    return None
