"""Whether two quantities state the same amount, and which of a claim's quantities a passage
does not state: the comparison of numbers the verifier makes once :mod:`assistant.quantities`
has read them (the rules are listed in that module's docstring, under "Matching")."""

from __future__ import annotations

import math
import re

from assistant.quantities import (
    FRACTION,
    PERCENT,
    YEAR,
    Quantity,
    checked_quantities,
    quantities,
)


def _as_share(q: Quantity) -> float | None:
    """A fraction or a percentage as a share of one (3/5 and 60 per cent are both 0.6)."""
    if q.unit == FRACTION:
        return q.value
    if q.unit == PERCENT:
        return q.value / 100
    return None


def same_amount(claim: Quantity, source: Quantity) -> bool:
    if claim.measure and source.measure:  # amounts: "250 minutes" = "4 hours 10 minutes"
        same = claim.measure == source.measure
        return same and math.isclose(claim.base, source.base, rel_tol=1e-6)
    if FRACTION in (claim.unit, source.unit):
        # "three-fifths" = "60 per cent"; "a quarter of a point" = "0.25 points"
        shares = (_as_share(claim), _as_share(source))
        if None not in shares and math.isclose(*shares, rel_tol=1e-6):  # type: ignore[arg-type]
            return True
        return math.isclose(claim.value, source.value, rel_tol=1e-6) and YEAR not in (
            claim.unit,
            source.unit,
        )
    if not math.isclose(claim.value, source.value, rel_tol=1e-9):
        return False
    if (claim.unit == PERCENT) != (source.unit == PERCENT):
        return False
    # A year matches only a year; a plain number may match a passage's four-digit number read as
    # a year ("2000 troops").
    return claim.unit != YEAR or source.unit == YEAR


# "about 67%", "roughly 1,500", "nearly 40 per cent": a figure given only as near as written
# ("more than", "under" and the like compare, and are read in quantity_directions.py)
_HEDGED = re.compile(
    r"\b(about|around|roughly|approximately|nearly|almost|some|close to)\s+$",
    re.IGNORECASE,
)


def rounds_to(claim: Quantity, source: Quantity) -> bool:
    """Whether the source's figure, rounded as the claim's is written, is the claim's ("about 67%"
    for "two-thirds", "roughly 1,500" for "1,487", "about 40 per cent" for "38%")."""
    if YEAR in (claim.unit, source.unit) or claim.measure or source.measure or claim.value == 0:
        return False
    if claim.unit == PERCENT and source.unit in (PERCENT, FRACTION):
        value = source.value * 100 if source.unit == FRACTION else source.value
    elif claim.unit == source.unit == "":
        value = source.value
    else:
        return False
    digits = re.sub(r"[^\d.]", "", claim.text.split()[0]) if claim.text[0].isdigit() else ""
    if "." in digits:
        places = len(digits.split(".")[1])
    else:
        whole = f"{claim.value:.0f}"
        places = -(len(whole) - len(whole.rstrip("0"))) if "." not in whole else 0
    return math.isclose(round(value, places), claim.value, rel_tol=1e-9)


def unmatched_quantities(claim: str, passage: str) -> list[str]:
    """The claim's quantities, as written in the claim and each once, that state a value (and
    per-cent-ness) none of the passage's quantities states, nor works out (`measures.worked_out`)."""
    from assistant.measures import worked_out

    stated = quantities(passage)
    missing: list[str] = []
    for q in checked_quantities(claim):
        if q.text in missing or any(same_amount(q, s) for s in stated):
            continue
        if _HEDGED.search(claim[: q.start]) and any(rounds_to(q, s) for s in stated):
            continue
        if not worked_out(q, stated, passage):
            missing.append(q.text)
    return missing


def in_passage_spelling(claim: str, passage: str) -> str:
    """The claim with each quantity the passage states too written as the passage writes it.

    "Ticket sales paid for about seventy per cent" against "covered about 70 per cent" becomes
    "... about 70 per cent": a reader model then compares meanings, not spellings of numbers.
    """
    stated = quantities(passage)
    rewritten = claim
    for q in quantities(claim):
        same = next((s for s in stated if same_amount(q, s)), None)
        if same is not None and same.text != q.text and same.measure == q.measure:
            rewritten = rewritten.replace(q.text, same.text, 1)
    return rewritten
