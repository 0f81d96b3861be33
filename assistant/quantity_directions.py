"""Which way a stated amount goes: "up 12%" against "down 12%", "3% less" against "3% more",
"more than 10,000" against "fewer than 10,000". The figure is the same, so comparing numbers
passes it; the word beside it says the opposite. Generic English comparatives only.

Said of the same thing only: the two figures share a content word among the few before them or
the one after ("sales ..., down 12%" / "sales ..., up 12%"; "passengers over 12 pay" and
"children under 12 travel" share none), and a comparison turned round ("the old phone costs £200 more than the new one" for "the
new phone costs £200 less than the old one") is no contradiction.
"""

from __future__ import annotations

import re

from assistant.quantities import YEAR, Quantity, quantities
from assistant.quantity_matching import same_amount

_UP = frozenset("up more higher greater larger above over".split())
_DOWN = frozenset("down less fewer lower smaller below under".split())
_BEFORE = re.compile(r"\b([A-Za-z]+)(\s+than|\s+by)?\s+[£$€¥]?$")
_AFTER = re.compile(r"^\s+([A-Za-z]+)\b")
_THAN = re.compile(r"\bthan\s+(?:the\s+|a\s+|an\s+|its\s+|their\s+)?([A-Za-z]+)", re.IGNORECASE)
_SUBJECT_WORDS = 3  # content words before a figure that say what it is of


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


def _subject(q: Quantity, text: str, with_after: bool = True) -> set[str]:
    """The lemmas of the content words just before the figure (and the first one after it)."""
    from assistant.reading.lexicon import content_words, lemmas_of

    before = [w for w in content_words(text[: q.start]) if w.isalpha() and _way(w) == 0]
    after = [w for w in content_words(text[q.end :]) if w.isalpha() and _way(w) == 0]
    return lemmas_of(before[-_SUBJECT_WORDS:] + (after[:1] if with_after else []))


# what a figure is compared with: "than last year", "than it had this year" -> "this year"
_REFERENCE = re.compile(
    r"^\W*(?:[A-Za-z]+\W+){0,5}?than\s+(?:(?:it|they|he|she|we|there)\s+(?:has|have|had|is|are"
    r"|was|were|does|do|did)\s+)?(?:the\s+|a\s+|an\s+|its\s+|their\s+)?([A-Za-z]+(?:\s+[A-Za-z]+)?)",
    re.IGNORECASE,
)


def _reference(text: str, q: Quantity) -> str | None:
    """The words after "than" in the comparison the figure opens, lowercased."""
    found = _REFERENCE.match(text[q.end :])
    return found.group(1).lower() if found else None


def _turned_round(claim: str, passage: str, q: Quantity, s: Quantity) -> bool:
    """The claim compares with what the passage's figure is said of ("more than the new one" /
    "the new phone costs £200 less"; "20 more last year than it has this year" / "this year,
    20 fewer than last year"), not with what the passage compares it with."""
    from assistant.reading.lexicon import lemmas

    target = _THAN.search(claim, q.end)
    if target is None:
        return False
    said, told = _reference(claim, q), _reference(passage, s)
    if said is not None and told is not None:
        if said == told:
            return False  # the same comparison, the other way: a contradiction
        if said in passage[: s.start].lower():
            return True
    return bool(lemmas(target.group(1)) & _subject(s, passage, with_after=False))


def opposite_amount(claim: str, passage: str) -> tuple[str, str] | None:
    """(the claim's figure with its word, the passage's) when the claim gives a figure of the
    passage the opposite way about the same thing, and the passage never gives it the claim's
    way."""
    stated = [(s, way_of(s, passage)) for s in quantities(passage) if s.unit != YEAR]
    for q in quantities(claim):
        if q.unit == YEAR:
            continue
        way, said = way_of(q, claim)
        same = [(s, told) for s, told in stated if same_amount(q, s)]
        if not way or any(w == way for _, (w, _) in same):
            continue
        for s, (w, phrase) in same:
            if w != -way or not _subject(q, claim) & _subject(s, passage):
                continue
            if not _turned_round(claim, passage, q, s):
                return said, phrase
    return None
