"""Quantities: the numbers a text states, however they are spelled. Which of a claim's numbers a
passage does not state is `quantity_matching.py`'s, by the matching rules listed here.

This module owns reading numbers out of English prose for verification: digits ("1,500,000",
"6.5", "65%"), words ("sixty-five", "one hundred and twenty", "two point five"), digits with a
scale word ("1.5 million", "2bn"), per cent in any spelling ("%", "per cent", "percent"), and
years (a four-digit number from 1800 to 2100 written alone, "2027"). Spelled-out cardinals are
parsed by the `text2num` library (`find_numbers`); the rules around it are here:

- Ordinals ("first", "21st", "twenty-first") are not quantities, nor are plurals ("hundreds of
  troops", "tens of thousands"), which name no exact number.
- "one" on its own is usually a pronoun or determiner ("one analysis", "one of the partners"), so
  it counts only as part of a larger number ("one hundred", "one million") or directly before a
  per cent sign or word ("one per cent"). The digit "1" always counts.
- "a dozen" is 12 and multiplies a number before it ("two dozen" = 24); "trillion" (which
  text2num's English does not know) multiplies likewise. "half a point" is 0.5 and "seven and a half"
  7.5; "half the cost", "half of them" and "roughly half" are a loose share of 0.5, which a claim's
  "about 50 per cent" matches but which is never itself held against a passage ("half" is said
  of 48 per cent too). "a half", "the first half" are not read.
- In a range whose last number is a percentage ("2-3 per cent", "between two and three per
  cent"), the first number is a percentage too.
- Matching (`quantity_matching.py`): values agree within a relative 1e-9 and per cent-ness
  must agree; a year in the claim matches only a year, while a plain number may match a
  passage's year-like number (so "2,000 troops" matches a passage's "2000 troops").
- Fractions in words: "two-thirds", "three fifths" (a numerator above one with a plural
  denominator) and "a quarter of", "one fifth of" (only before "of": "a third term" and "the
  third increase" are ordinals). A fraction matches a percentage of the same share ("three-fifths"
  = "60 per cent") or a plain number of the same value ("a quarter of a point" = "0.25 points").
  "the remaining quarter of" is a quarter; ratios ("seven in ten", "1 out of 5") are fractions.
- A claim's figure a reader works out from two of the passage's of one kind (their difference)
  or from one (its half, where the passage says "half") is stated by the passage.
- Units of measure written after a number (durations, power, length, mass; `measures.py`):
  two quantities with units of one measure match when their amounts agree ("1.2 gigawatts" =
  "1,200 megawatts", "4 hours 10 minutes" = "250 minutes"); with a unit on one side only, the
  numbers as written are compared.
- Not handled: numbers with spaces as thousands separators, years in words ("twenty
  twenty-seven"), signs ("-2%" reads as 2%), "m"/"k"
  abbreviations, currencies ("£3 million" is 3 million, whatever the currency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from text_to_num import Token, find_numbers

PERCENT = "percent"
YEAR = "year"
FRACTION = "fraction"

_TOKEN = re.compile(
    r"(?P<num>(?<!\d)(?<!\d\.)\d+(?:,\d{3}(?!\d))*(?:\.\d+)?)"
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<sym>[^\w\s])"
)
# Scale words that may follow digits: "1.5 million", "2bn", "3 dozen".
_DIGIT_SCALES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "dozen": 12.0,
}
# Multipliers that text2num does not fold into a spelled-out number itself.
_WORD_SCALES = {"dozen": 12.0, "trillion": 1e12}
# Scale words that "a"/"an" may stand before ("a hundred", "a dozen").
_A_SCALES = {"hundred", "thousand", "million", "billion", "trillion", "dozen"}
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}
_GAP = re.compile(r"[^\S\n]*-?[^\S\n]*")
_RANGE_LINKS = {"-", "\u2013", "\u2014", "to", "and", "or"}
_YEARS = (1800, 2100)


@dataclass(frozen=True)
class Quantity:
    """A number stated in a text."""

    value: float
    unit: str  # "percent", "year" or ""
    text: str  # as written, unit included ("two per cent", "1,000")
    start: int = field(default=-1, compare=False)  # where text starts and ends in its text
    end: int = field(default=-1, compare=False)
    measure: str = ""  # "duration", "power", "length", "mass" (assistant/measures.py) or ""
    base: float = 0.0  # with a measure: the amount in its base unit (seconds, watts, ...)
    # "half the cost", "roughly half": a share said loosely, which a claim's figure may match
    # but which is never itself held against a passage (a claim's "half" for "48 per cent")
    loose: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "num", "word" or "sym"
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()


class _Word(Token):
    """A token as text2num reads it; blocked tokens never join a number.

    Subclasses text2num's Token so that every method its Rust side calls exists: a missing one
    raises a PanicException there, which is not an Exception."""

    def __init__(self, text: str, blocked: bool) -> None:
        self._text = text
        self._blocked = blocked

    def text(self) -> str:
        return self._text

    def not_a_number_part(self) -> bool:
        return self._blocked


@dataclass
class _Found:
    value: float
    first: int  # index of the first token in the quantity (unit excluded)
    last: int  # index of the last token in the quantity (unit excluded)
    spelled: bool  # written in words
    unit: str = ""
    unit_last: int = -1  # index of the unit's last token, -1 without unit
    loose: bool = False


def _tokens(text: str) -> list[_Tok]:
    """Numbers, words and symbols; a hyphen joining two tokens ("sixty-five", "2-3") is left out."""
    toks = [_Tok(str(m.lastgroup), m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    return [
        tok
        for i, tok in enumerate(toks)
        if not (
            tok.text == "-"
            and 0 < i < len(toks) - 1
            and toks[i - 1].end == tok.start
            and tok.end == toks[i + 1].start
        )
    ]


def _joined(text: str, a: _Tok, b: _Tok) -> bool:
    """Whether b follows a with nothing but spaces or one hyphen between them."""
    return _GAP.fullmatch(text, a.end, b.start) is not None


def _percent_end(text: str, toks: list[_Tok], i: int) -> int:
    """Index of the last token of a per cent marker starting at toks[i], or -1."""
    if i >= len(toks) or not _joined(text, toks[i - 1], toks[i]):
        return -1
    tok = toks[i]
    if tok.text == "%" or tok.lower == "percent":
        return i
    if (
        tok.lower == "per"
        and i + 1 < len(toks)
        and toks[i + 1].lower == "cent"
        and _joined(text, tok, toks[i + 1])
    ):
        return i + 1
    return -1


def _digit_quantities(text: str, toks: list[_Tok], used: set[int]) -> list[_Found]:
    found: list[_Found] = []
    for i, tok in enumerate(toks):
        if tok.kind != "num":
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt and nxt.start == tok.end and nxt.lower in _ORDINAL_SUFFIXES:
            continue  # "21st"
        value = float(tok.text.replace(",", ""))
        last = i
        while (
            last + 1 < len(toks)
            and toks[last + 1].lower in _DIGIT_SCALES
            and _joined(text, toks[last], toks[last + 1])
        ):
            last += 1
            value *= _DIGIT_SCALES[toks[last].lower]
            used.add(last)
        found.append(_Found(value, i, last, spelled=False))
    return found


_NUMERATORS = {
    "a": 1, "an": 1, "one": 1, "remaining": 1, "other": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_DENOMINATORS = {
    "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}  # fmt: skip


def _fraction_quantities(text: str, toks: list[_Tok], used: set[int]) -> list[_Found]:
    """ "two-thirds", "three fifths", "a quarter of", "one tenth of": a value below 1.

    A plural denominator after a numerator above one is always a fraction; "a third" or "one
    quarter" only before "of" ("a third term" and "the third increase" are ordinals).
    """
    found: list[_Found] = []
    for i in range(len(toks) - 1):
        top, bottom = toks[i], toks[i + 1]
        if top.lower not in _NUMERATORS or not _joined(text, top, bottom):
            continue
        word = bottom.lower
        plural = word.endswith("s") and word[:-1] in _DENOMINATORS
        denominator = _DENOMINATORS.get(word[:-1] if plural else word)
        numerator = _NUMERATORS[top.lower]
        if denominator is None or plural != (numerator > 1):
            continue
        followed_by_of = i + 2 < len(toks) and toks[i + 2].lower == "of"
        if numerator == 1 and not followed_by_of:
            continue
        used.update((i, i + 1))
        found.append(_Found(numerator / denominator, i, i + 1, spelled=True, unit=FRACTION))
    return found


def _halves(toks: list[_Tok], found: list[_Found], used: set[int]) -> list[_Found]:
    """ "seven and a half" (7.5, the number found extended), "half a point" (0.5, returned) and
    a share said loosely, "half the cost", "half of them", "roughly half" (a loose fraction);
    "a half", "the first half" and "half-time" are left unread."""
    words = [t.lower for t in toks]
    for f in found:
        at = f.last + 1
        if words[at : at + 3] == ["and", "a", "half"] and f.unit == "":
            f.value += 0.5
            f.last = at + 2
            used.update(range(at, at + 3))
    halves: list[_Found] = []
    for i in range(len(toks)):
        if i in used or words[i] != "half":
            continue
        before = words[i - 1] if i > 0 else ""
        after = words[i + 1] if i + 1 < len(toks) else ""
        if before in ("a", "and"):
            continue
        if after in ("a", "an") and i + 2 < len(toks) and toks[i + 2].kind == "word":
            used.update((i, i + 1))
            halves.append(_Found(0.5, i, i + 1, spelled=True))
        elif before in _LOOSE_BEFORE or (after in _LOOSE_AFTER and before not in _NOT_A_SHARE):
            used.add(i)
            halves.append(_Found(0.5, i, i, spelled=True, unit=FRACTION, loose=True))
    return halves


_LOOSE_BEFORE = frozenset(
    "about around roughly approximately nearly almost some just than over under".split()
)
_LOOSE_AFTER = frozenset("of the its their his her our this that these those all".split())
_NOT_A_SHARE = frozenset("first second latter former other one the each every".split())


def _word_quantities(text: str, toks: list[_Tok], used: set[int]) -> list[_Found]:
    # text2num reads the words; digits, symbols, plurals and scale words taken by digits are
    # never part of a spelled-out number.
    words = [
        _Word(tok.text, tok.kind != "word" or i in used or tok.lower.endswith("s"))
        for i, tok in enumerate(toks)
    ]
    found: list[_Found] = []
    for occ in find_numbers(words, "en", 0.0):
        if occ.is_ordinal:
            continue
        scales_only = all(toks[i].lower in _DIGIT_SCALES for i in range(occ.start, occ.end))
        before = found[-1] if found else None
        if scales_only and before and before.last == occ.start - 1:
            before.value *= float(occ.value)  # "one point five million"
            before.last = occ.end - 1
        else:
            found.append(_Found(float(occ.value), occ.start, occ.end - 1, spelled=True))
    # "a dozen", "a trillion", alone; "two dozen", "one trillion" after a number.
    for i, tok in enumerate(toks):
        if tok.kind != "word" or i in used or tok.lower not in _WORD_SCALES:
            continue
        scale = _WORD_SCALES[tok.lower]
        before = next((f for f in found if f.last == i - 1 and f.spelled), None)
        if before is not None and _joined(text, toks[i - 1], tok):
            before.value *= scale
            before.last = i
        else:
            found.append(_Found(scale, i, i, True))
    for f in found:
        if (
            f.first > 0
            and toks[f.first].lower in _A_SCALES
            and toks[f.first - 1].lower in ("a", "an")
            and _joined(text, toks[f.first - 1], toks[f.first])
        ):
            f.first -= 1
    return found


def _ratios(toks: list[_Tok], found: list[_Found]) -> list[_Found]:
    """ "seven in ten", "1 out of 5", "one in every four": a share (a fraction), not two numbers."""
    from assistant.measures import unit_of

    out: list[_Found] = []
    for f in found:
        before = out[-1] if out else None
        if before is not None and before.unit == "" and f.unit == "":
            link = [t.lower for t in toks[before.last + 1 : f.first]]
            whole = f.value.is_integer() and before.value.is_integer()
            if (
                link in _RATIO_LINKS
                and whole
                and 0 < before.value < f.value <= 1000
                and not (f.last + 1 < len(toks) and unit_of(toks[f.last + 1].text))
            ):  # "2 in 10 minutes" is a count and a span, not a share
                out[-1] = _Found(before.value / f.value, before.first, f.last, True, FRACTION)
                continue
        out.append(f)
    return out


_RATIO_LINKS = (["in"], ["out", "of"], ["in", "every"], ["of", "every"])


def quantities(text: str) -> list[Quantity]:
    """Every quantity in text, in order, digits or words; see the module docstring for the rules."""
    toks = _tokens(text)
    used: set[int] = set()
    found = _fraction_quantities(text, toks, used)
    found += _digit_quantities(text, toks, used)
    found += _word_quantities(text, toks, used)
    found += _halves(toks, found, used)
    found.sort(key=lambda f: f.first)
    found = _ratios(toks, found)
    for f in found:
        end = _percent_end(text, toks, f.last + 1) if f.unit != FRACTION else -1
        if end >= 0:
            f.unit, f.unit_last = PERCENT, end
    # "2-3 per cent", "between two and three per cent": the first number is a percentage too.
    for a, b in zip(reversed(found[:-1]), reversed(found[1:]), strict=True):
        if a.unit != "" or b.unit != PERCENT:
            continue
        hyphened = b.first == a.last + 1 and "-" in text[toks[a.last].end : toks[b.first].start]
        linked = b.first == a.last + 2 and toks[a.last + 1].lower in _RANGE_LINKS
        if hyphened or linked:
            a.unit = PERCENT
    result: list[Quantity] = []
    for f in found:
        first, last = toks[f.first], toks[f.last]
        if f.spelled and f.first == f.last and first.lower == "one" and f.unit_last < 0:
            continue  # "one analysis", "one of the partners"
        if (
            not f.spelled
            and f.unit == ""
            and f.first == f.last
            and re.fullmatch(r"\d{4}", first.text)
            and _YEARS[0] <= f.value <= _YEARS[1]
        ):
            f.unit = YEAR
        end = toks[f.unit_last].end if f.unit_last >= 0 else last.end
        quote = text[first.start : end]
        result.append(Quantity(f.value, f.unit, quote, first.start, end, loose=f.loose))
    from assistant.measures import attach

    return attach(text, result)


def checked_quantities(text: str) -> list[Quantity]:
    """The quantities a rule holds against another text: all but a loose "half" ("half the
    cost"), which only a claim's figure may match (`quantity_matching.unmatched_quantities`)."""
    return [q for q in quantities(text) if not q.loose]
