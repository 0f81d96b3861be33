"""What every format's extractor shares.

This module owns the `Extracted` result an extractor hands back, the text clean-up all formats
apply (Unicode normalisation, control characters, collapsed whitespace, blank-line blocks), the
first bytes by which a file of another kind shows itself, the check that a document's stored
title means something, and the one-line forms of a file name and of a parser's exception.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from assistant.documents.limits import ParseLimits

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls files

SHORT_TITLE = 100
"""The longest first line that may stand in for a missing title."""

# Control characters (Unicode category Cc) other than \t \n \r \f.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_UNTITLED = frozenset(
    {"untitled", "untitled document", "document", "title", "unknown", "none", "null", "anonymous"}
)
_FILE_NAME_TITLE = re.compile(r"\.(?:docx?|pdf|rtf|odt|pptx?|xlsx?|txt|tex|dvi|indd|qxd|html?)$")
_OFFICE_TITLE = re.compile(r"^microsoft (?:word|powerpoint|excel|office word)\s*-")


@dataclass
class Extracted:
    """What a format's extractor found: paragraph texts (with pages), a title, front matter."""

    pieces: list[tuple[str, int | None]]
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


Extractor = Callable[[bytes, str, ParseLimits], Extracted]
"""(the file's bytes, its name as shown in messages, the limits) -> what it holds."""


def clean_name(name: str) -> str:
    """The name as it can appear inside a one-line message."""
    shown = CONTROL.sub("?", " ".join(name.split()))
    return shown if len(shown) <= 200 else shown[:199] + "…"


def collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def clean(text: str) -> str:
    """Unicode-normalised text with \\n line ends and no control characters but \\t and \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return CONTROL.sub("", unicodedata.normalize("NFC", text))


def short_reason(exc: BaseException) -> str:
    """The first line of an exception's message, shortened: what a one-line rejection quotes."""
    lines = str(exc).strip().splitlines()
    reason = collapse(lines[0]) if lines else ""
    reason = reason or type(exc).__name__
    return reason if len(reason) <= 100 else reason[:99] + "…"


def blocks(lines: Iterable[str]) -> list[list[str]]:
    """Runs of non-blank (stripped) lines, split at blank lines."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped:
            current.append(stripped)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def binary_signature(data: bytes) -> str | None:
    """What a file of another kind than its name says appears to be, from its first bytes."""
    if data.startswith(PDF_MAGIC):
        return "it looks like a PDF"
    if data.startswith(ZIP_MAGIC):
        return "it looks like a zip archive"
    if data.startswith(_OLE_MAGIC):
        return "it looks like an old Office file"
    return None


def meaningful_title(raw: object) -> str | None:
    """A document's stored title, or None when it is a placeholder or a file name."""
    if raw is None:
        return None
    title = collapse(CONTROL.sub("", str(raw)))
    lowered = title.lower()
    if (
        not any(c.isalpha() for c in title)
        or lowered in _UNTITLED
        or lowered.startswith("untitled")
        or _OFFICE_TITLE.match(lowered)
        or _FILE_NAME_TITLE.search(lowered)
    ):
        return None
    return title
