"""A claim more certain than its source: "the beads prove the household traded" where the passage
says they "suggest" it. General English hedges and their certain counterparts; words are compared
by lemma."""

from __future__ import annotations

from assistant.reading.lexicon import content_words, lemmas

HEDGES = frozenset(
    "suggest indicate hint imply may might could possibly perhaps probably likely appear seem "
    "estimate believe suspect tentative preliminary".split()
)
CERTAIN = frozenset("prove confirm demonstrate establish certainly definitely undoubtedly".split())


def _lemmas(text: str) -> set[str]:
    return {lemma for w in content_words(text) for lemma in lemmas(w)} | {
        w.lower() for w in text.split()
    }


def overstates(claim: str, passage: str) -> str | None:
    """The claim's word of certainty where the passage hedges (and does not say it), else None."""
    said, told = _lemmas(claim), _lemmas(passage)
    certain = sorted((said & CERTAIN) - told)
    if certain and (told & HEDGES) - said:
        return certain[0]
    return None
