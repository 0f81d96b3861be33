"""Relative times in a sentence: "last year", "this month", "two years ago", "yesterday".

This module owns recognising a time that only means something against the date it was written
("in April last year" is a different April in every year). It is a small generic English
pattern, not a list of a domain's phrases: a citation that quotes such a sentence tells the
reader the source's date (source_label.py) so the quote can be checked.
"""

from __future__ import annotations

import re

_UNITS = r"(?:year|month|week|day|decade|century|quarter|term|season|weekend)"
_SEASONS = r"(?:spring|summer|autumn|fall|winter)"
_WEEKDAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
)
_COUNT = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|few|several|some|many)"

_RELATIVE = re.compile(
    "|".join(
        (
            # last year, this month, next spring, past decade, coming year, last Tuesday
            rf"\b(?:last|this|next|past|coming)\s+(?:{_UNITS}|{_SEASONS}|{_WEEKDAYS})s?\b",
            # last April, next March ("this may" is left out: "may" is also a verb)
            rf"\b(?:last|next)\s+{_MONTHS}\b",
            r"\b(?:yesterday|today|tomorrow|tonight)\b",
            # two years ago, a few months ago, in three weeks' time, six months from now
            rf"\b{_COUNT}\s+{_UNITS}s?\s+ago\b",
            rf"\b{_COUNT}\s+{_UNITS}s?(?:'|’)?\s+time\b",
            rf"\b{_COUNT}\s+{_UNITS}s?\s+from\s+now\b",
            r"\b(?:recent|current|previous)\s+(?:year|month|week)\b",
        )
    ),
    re.IGNORECASE,
)


def relative_times(text: str) -> list[str]:
    """The relative-time phrases in `text`, as written, in order."""
    return [match.group(0) for match in _RELATIVE.finditer(text)]


def mentions_relative_time(text: str) -> bool:
    """Whether `text` says when something happened only relative to when it was written."""
    return _RELATIVE.search(text) is not None
