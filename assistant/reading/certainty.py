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
