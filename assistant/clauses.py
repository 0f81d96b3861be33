"""Where a sentence's clauses part, and which clauses of a premise a claim touches: what the
reader is also given to read when a premise says more than the claim (:mod:`assistant.evidence`),
and where the verifier's name rules look for the fact a name comes with
(:mod:`assistant.reading.roles`)."""

from __future__ import annotations

import re

# Where a sentence's clauses part: ", but", ", while", ", although", ", and", "; " ...
CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:but|while|whereas|although|though|and)\s)|;\s+|\s+(?=but\s)", re.IGNORECASE
)
# a clause whose subject is the one before's ("..., but they fell")
_REFERS_BACK = re.compile(
    r"^(?:(?:but|while|whereas|although|though|and)\s+)?(?:it|they|this|that|these|those|he|she)\s",
    re.IGNORECASE,
)
MIN_SHARED_TERMS = 2


def touched_clauses(claim: str, premise: str) -> str:
    """The premise without the clauses that share fewer than two content words with the claim
    (a clause that opens by referring back stays with the one before it); the premise itself
    when every clause, or none, is touched."""
    from assistant.generation.question_kinds import content_terms

    terms = content_terms(claim)
    kept: list[str] = []
    dropped = False
    for sentence in sentences_of(premise):
        clauses = [c.strip(" ,;") for c in CLAUSE_BREAK.split(sentence) if c.strip(" ,;")]
        parts: list[str] = []
        for clause in clauses:
            touched = len(content_terms(clause) & terms) >= MIN_SHARED_TERMS
            if touched or (parts and parts[-1] and _REFERS_BACK.match(clause)):
                parts.append(clause)
            else:
                dropped = True
                parts.append("")
        said = ", ".join(p for p in parts if p)
        if said:
            kept.append(said if said[-1] in ".!?" else said + ".")
    if not dropped or not kept:
        return premise
    return " ".join(kept)


def sentences_of(text: str) -> list[str]:
    """The sentences of a text, as the citation checker cuts them (`citations.sentence_spans`)."""
    from assistant.citations import sentence_spans

    return [text[start:end] for start, end in sentence_spans(text)]
