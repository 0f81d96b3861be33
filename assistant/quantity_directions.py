"""Which way a stated amount goes: "up 12%" against "down 12%", "3% less" against "3% more",
"more than 10,000" against "fewer than 10,000". The figure is the same, so comparing numbers
passes it; the word beside it says the opposite. Generic English comparatives only."""

from __future__ import annotations

import re

from assistant.quantities import YEAR, Quantity, quantities, same_amount

_UP = frozenset("up more higher greater larger above over".split())
_DOWN = frozenset("down less fewer lower smaller below under".split())
_BEFORE = re.compile(r"\b([A-Za-z]+)(\s+than)?\s+$")
_AFTER = re.compile(r"^\s+([A-Za-z]+)\b")


def _way(word: str) -> int:
    low = word.lower()
    return 1 if low in _UP else -1 if low in _DOWN else 0


def way_of(q: Quantity, text: str) -> tuple[int, str]:
    """(+1, phrase) when the word just before the figure ("up 12%", "more than 10,000") or just
    after it ("12% higher", "3% less") says up or more, (-1, phrase) down or less, else (0, "")."""
    found: list[tuple[int, str]] = []
    before = _BEFORE.search(text, 0, q.start)
    if before and _way(before.group(1)):
        found.append((_way(before.group(1)), text[before.start() : q.end]))
    after = _AFTER.match(text[q.end :])
    if after and _way(after.group(1)):
        found.append((_way(after.group(1)), text[q.start : q.end + after.end()]))
    if not found or len({way for way, _ in found}) > 1:
        return 0, ""
    return found[0]


def opposite_amount(claim: str, passage: str) -> tuple[str, str] | None:
    """(the claim's figure with its word, the passage's) when the claim gives a figure of the
    passage the opposite way and the passage never gives it the claim's way."""
    stated = [(s, way_of(s, passage)) for s in quantities(passage) if s.unit != YEAR]
    for q in quantities(claim):
        if q.unit == YEAR:
            continue
        way, said = way_of(q, claim)
        same = [told for s, told in stated if same_amount(q, s)]
        if not way or any(w == way for w, _ in same):
            continue
        against = next((phrase for w, phrase in same if w == -way), None)
        if against is not None:
            return said, against
    return None
