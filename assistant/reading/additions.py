"""A claim that adds to its source: a run of content words the passage has in no form ("...,
paid for partly by a regional subsidy" where the passage says only what was spent). A faithful
rewording changes a word here and there; an addition brings several new ones together. Words are
compared by lemma and WordNet synonym; numbers are left to the quantity rules."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.quantities import checked_quantities
from assistant.reading.lexicon import content_words, lemmas, lemmas_of, same_meaning

MIN_RUN = 4  # new content words in a row that make an addition (3 also takes rewordings)


def in_no_form(word: str, told: Sequence[str], told_lemmas: set[str]) -> bool:
    """The passage (its words `told`, their lemmas `told_lemmas`) has the word neither by lemma
    nor by WordNet synonym."""
    return not lemmas(word) & told_lemmas and not any(same_meaning(word, t) for t in told)


def added_words(claim: str, passage: str) -> list[str]:
    """The longest run of the claim's content words (numbers aside) that the passage has in no
    form, when it is MIN_RUN words or more; else []."""
    told = [w for w in content_words(passage) if w.isalpha()]
    told_lemmas = lemmas_of(told)
    numbers = {
        w.lower() for q in checked_quantities(claim) for w in q.text.replace("-", " ").split()
    }
    best: list[str] = []
    run: list[str] = []
    for word in content_words(claim):
        if word.lower() in numbers:
            continue  # "six thousand four hundred": the quantity rules compare it
        new = word.isalpha() and in_no_form(word, told, told_lemmas)
        run = [*run, word] if new else []
        if len(run) > len(best):
            best = run
    return best if len(best) >= MIN_RUN else []
