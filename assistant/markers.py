"""Citation markers in answer text: "[1]", "[2, 3]", "[4; 5]", parsed and written here only.

Every module that reads the numbers out of a text, strips the markers from it, or turns them
into something else (the web page's citation chips) goes through :func:`parse_markers`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# the whitespace before a marker belongs to it: stripping "a [1]." leaves "a."
_MARKER = re.compile(r"(\s*)\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_SEPARATOR = re.compile(r"\s*[,;]\s*")


@dataclass(frozen=True)
class Marker:
    """One bracketed marker: where it sits (with the whitespace before it) and its numbers."""

    start: int  # where the whitespace before the bracket starts
    bracket: int  # where "[" is
    end: int  # just after "]"
    numbers: tuple[int, ...]


def parse_markers(text: str) -> list[Marker]:
    """Every citation marker in text, in order."""
    return [
        Marker(
            start=m.start(),
            bracket=m.start() + len(m.group(1)),
            end=m.end(),
            numbers=tuple(int(n) for n in _SEPARATOR.split(m.group(2))),
        )
        for m in _MARKER.finditer(text)
    ]


def marker_numbers(text: str) -> list[int]:
    """The citation numbers in text, in order of appearance, repeats kept."""
    return [n for marker in parse_markers(text) for n in marker.numbers]


def replace_markers(text: str, replace: Callable[[Marker, str], str]) -> str:
    """text with each marker (and the whitespace before it) replaced by replace(marker, original)."""
    out: list[str] = []
    pos = 0
    for marker in parse_markers(text):
        out.append(text[pos : marker.start])
        out.append(replace(marker, text[marker.start : marker.end]))
        pos = marker.end
    out.append(text[pos:])
    return "".join(out)


def strip_markers(text: str) -> str:
    """text without its markers or the whitespace before them."""
    return replace_markers(text, lambda _marker, _original: "")


def leading_markers(text: str) -> tuple[list[int], int]:
    """The numbers of the markers that open text ("[1] [2] Next" -> [1, 2]) and where they end."""
    numbers: list[int] = []
    pos = 0
    for marker in parse_markers(text):
        if marker.start != pos:
            break
        numbers.extend(marker.numbers)
        pos = marker.end
    return numbers, pos


def format_markers(numbers: Iterable[int]) -> str:
    """The markers as answers write them: [1][3]."""
    return "".join(f"[{n}]" for n in numbers)
