"""Units of measure after a quantity, so that numbers are compared as amounts: "4 hours 10
minutes" is 250 minutes, "1.2 gigawatts" is "1,200 megawatts".

:func:`attach` reads the unit written right after each quantity of a text (durations, power,
length, mass: general units, each with a factor to its base unit), gives the quantity its amount
in the base unit, and joins a duration of several parts ("2 hours 45 minutes") into one quantity.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.quantities import Quantity

_UNITS: dict[str, tuple[str, float]] = {}
_TABLES: dict[str, dict[str, float]] = {
    "duration": {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600,
                 "day": 86400, "week": 604800},
    "power": {"watt": 1, "kilowatt": 1e3, "kw": 1e3, "megawatt": 1e6, "mw": 1e6,
              "gigawatt": 1e9, "gw": 1e9, "terawatt": 1e12, "tw": 1e12},
    "length": {"millimetre": 1e-3, "millimeter": 1e-3, "mm": 1e-3, "centimetre": 1e-2,
               "centimeter": 1e-2, "cm": 1e-2, "metre": 1, "meter": 1, "kilometre": 1e3,
               "kilometer": 1e3, "km": 1e3},
    "mass": {"gram": 1e-3, "kilogram": 1, "kg": 1, "tonne": 1e3},
}  # fmt: skip
for _measure, _table in _TABLES.items():
    for _name, _factor in _table.items():
        _UNITS[_name] = (_measure, float(_factor))

_UNIT_AFTER = re.compile(r"[^\S\n]*(?:-[^\S\n]*)?([A-Za-z]+)\b")
_PART_LINK = re.compile(r"[^\S\n]+(?:and[^\S\n]+)?")


def unit_of(word: str) -> tuple[str, float] | None:
    """(measure, size in its base unit) of a unit word ("minutes": ("duration", 60.0)), or None."""
    low = word.lower()
    for name in (low, low.removesuffix("s")):
        if name in _UNITS:
            return _UNITS[name]
    return None


def attach(text: str, found: list[Quantity]) -> list[Quantity]:
    """The quantities with the unit written after each, durations of several parts joined."""
    measured: list[Quantity] = []
    for q in found:
        after = _UNIT_AFTER.match(text, q.end) if q.end >= 0 and q.unit == "" else None
        unit = unit_of(after.group(1)) if after else None
        if after is None or unit is None:
            measured.append(q)
            continue
        measure, factor = unit
        end = after.end()
        measured.append(
            replace(q, text=text[q.start : end], end=end, measure=measure, base=q.value * factor)
        )
    return _join_durations(text, measured)


def _unit_size(q: Quantity) -> float:
    """One of the quantity's unit, in the base unit (an hour: 3600); 0 without a unit."""
    return q.base / q.value if q.measure and q.value else 0.0


def _join_durations(text: str, found: list[Quantity]) -> list[Quantity]:
    """ "2 hours 45 minutes" is one duration: a part in a smaller unit, less than one of the unit
    before, right after it ("50 minutes, 10 minutes of which ..." stays two)."""
    joined: list[Quantity] = []
    for q in found:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.measure == q.measure == "duration"
            and _PART_LINK.fullmatch(text, last.end, q.start)
            and _unit_size(q) < _unit_size(last)
            and q.base < _unit_size(last)
        ):
            joined[-1] = replace(
                last, text=text[last.start : q.end], end=q.end, base=last.base + q.base
            )
        else:
            joined.append(q)
    return joined


def worked_out(q: Quantity, stated: list[Quantity], passage: str) -> bool:
    """Whether q is worked out from the passage's figures as a reader would: the difference of two
    of one kind the passage gives as a change ("from 52 to 44 minutes" = "eight minutes"
    shorter; "from 58% to 71%" = 13 points), or half of one it says half of ("18,000 volunteers,
    half of whom" = "nine thousand")."""
    from assistant.quantities import FRACTION, YEAR

    if q.unit in (YEAR, FRACTION):
        return False
    for i, a in enumerate(stated):
        half = _HALF.match(passage, a.end)
        if half and q.unit == a.unit == "" and not a.measure and math.isclose(2 * q.value, a.value):
            return True
        for b in stated[i + 1 :]:
            if a.unit != b.unit or a.unit in (YEAR, FRACTION) or a.measure != b.measure:
                continue
            if not _CHANGE_LINK.fullmatch(passage[a.end : b.start]):
                continue
            if a.measure:
                if q.measure == a.measure and math.isclose(q.base, abs(a.base - b.base)):
                    return True
            elif q.unit in ("", a.unit) and math.isclose(q.value, abs(a.value - b.value)):
                return True
    return False


_HALF = re.compile(r"[^.!?]{0,40}\bhalf\b", re.IGNORECASE)  # "18,000 volunteers, half of whom"
# What stands between the two figures of a change: "52 minutes to 44", "€3.1 million from €5.4".
_CHANGE_LINK = re.compile(r"(\s*[A-Za-z%]*){0,2}\s+(to|from|against)\s+[£$€¥]?", re.IGNORECASE)
