"""Cause and effect swapped: "the shortage was caused by the delays" against "the delays rose
because of a shortage".

A sentence that joins two clauses with a causal connective ("because of", "due to", "led to",
"after" ...) states which side causes which. Both the claim and the passage sentence are split at
their connective into a cause and an effect; when the claim's cause reads like the passage's
effect and its effect like the passage's cause, and not the other way round, the claim has them
reversed. The connectives are general English; words are compared by lemma.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.reading.lexicon import content_words, lemmas_of

# "X because of Y": Y is the cause. "X led to Y": X is the cause.
_EFFECT_FIRST = (
    r"because\s+of|because|due\s+to|owing\s+to|caused\s+by|driven\s+by|thanks\s+to"
    r"|as\s+a\s+result\s+of|a\s+result\s+of|after"
)
_CAUSE_FIRST = (
    r"(?:which|that)\s+led|led\s+to|leading\s+to|resulted\s+in|resulting\s+in|caused|causing"
    r"|prompted|prompting|so\s+that|drove|forced"
)
_CONNECTIVE = re.compile(
    rf"\b(?:({_EFFECT_FIRST})|({_CAUSE_FIRST}))\b(?!\s+(?:that|this|which|whom|it)\b)",
    re.IGNORECASE,
)
_NOT_CAUSAL = re.compile(r"\bnamed\s+after\b|[;:]|,\s+(?:and|but|while|whereas)\b", re.IGNORECASE)
MIN_CROSSED = 2  # shared words across the swap for it to count


@dataclass(frozen=True)
class CausalClaim:
    cause: frozenset[str]
    effect: frozenset[str]


def _words(text: str) -> frozenset[str]:
    return frozenset(lemmas_of(content_words(text)))


def causal_parts(sentence: str) -> CausalClaim | None:
    """The sentence's cause and effect (their content lemmas), split at its connective; None
    unless it has exactly one and one main clause ("after which", "named after", and clauses
    joined by ";" or ", and" are left alone)."""
    if _NOT_CAUSAL.search(sentence):
        return None
    connectives = list(_CONNECTIVE.finditer(sentence))
    if len(connectives) != 1:
        return None
    found = connectives[0]
    before, after = _words(sentence[: found.start()]), _words(sentence[found.end() :])
    if not before or not after:
        return None
    if found.group(1):
        return CausalClaim(cause=after, effect=before)
    return CausalClaim(cause=before, effect=after)


def reverses_cause(claim: str, passage: str) -> bool:
    """Whether the claim gives the passage's cause as the effect and its effect as the cause."""
    said, told = causal_parts(claim), causal_parts(passage)
    if said is None or told is None:
        return False
    cause_as_effect = len(said.cause & told.effect)
    effect_as_cause = len(said.effect & told.cause)
    straight = len(said.cause & told.cause) + len(said.effect & told.effect)
    crossed = cause_as_effect + effect_as_cause
    return (
        cause_as_effect >= MIN_CROSSED
        and effect_as_cause >= 1
        and crossed >= straight + MIN_CROSSED
    )
