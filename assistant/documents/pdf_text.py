"""PDF files: their text, page by page, rebuilt into paragraphs, and their title.

This module owns refusing PDFs that are not PDFs, truncated or encrypted, the page-count limit
(checked before any page is read), and rebuilding paragraphs from the lines pypdf extracts:
blank lines where there are any, else line lengths, bullets and sentence ends; words hyphenated
across lines are joined again. The document information dictionary gives the title, the author
and, as the publication date, the creation date.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pypdf import PasswordType, PdfReader

from assistant.documents.extraction import (
    PDF_MAGIC,
    SHORT_TITLE,
    Extracted,
    binary_signature,
    blocks,
    clean,
    meaningful_title,
    short_reason,
)
from assistant.documents.limits import CharBudget, ParseLimits
from assistant.documents.metadata import normalised
from assistant.errors import RejectedFile
from assistant.quiet import loggers_at

_BULLET = re.compile(r"^(?:[•●▪■◦‣∙·○◆►✓➢*\-–—]\s|\d{1,2}[.)]\s|\([a-zA-Z0-9]{1,3}\)\s)")
_SENTENCE_END = re.compile(r"(?:[.!?:][\"'”’»)\]]*|[\"”’»])$")
_NO_BREAK_AFTER = re.compile(r"[,;:\-–—/(&]$")


def _join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one string, rejoining words hyphenated across lines."""
    parts: list[str] = [lines[0]]
    for line in lines[1:]:
        previous = parts[-1]
        if previous.endswith("\xad"):  # soft hyphen
            parts[-1] = previous[:-1]
        elif (
            previous.endswith("-")
            and len(previous) >= 2
            and previous[-2].isalpha()
            and line[:1].isalnum()
        ):
            if line[0].islower():  # "defen-" + "ce": a word split by the line break
                parts[-1] = previous[:-1]
            # else "US-" + "Japan": a real hyphen, kept, with no space
        else:
            parts.append(" ")
        parts.append(line)
    return "".join(parts)


def _starts_paragraph(previous: str, line: str, typical: int) -> bool:
    if _BULLET.match(line):
        return True
    if previous.endswith(("-", "\xad")):
        return False
    if _SENTENCE_END.search(previous) and len(previous) < 0.8 * typical:
        return True
    # A short line without closing punctuation before a capitalised one: a heading.
    return (
        len(previous) <= 0.5 * typical
        and _NO_BREAK_AFTER.search(previous) is None
        and line[:1].isupper()
    )


def _pdf_page_paragraphs(text: str) -> list[str]:
    lines = [line.strip() for line in text.split("\n")]
    found = blocks(lines)
    if len(found) > 1:
        return [_join_lines(block) for block in found]
    if not found:
        return []
    lines = found[0]
    lengths = sorted(len(line) for line in lines)
    typical = lengths[int(0.9 * (len(lengths) - 1) + 0.5)]  # robust to one stray long line
    groups: list[list[str]] = [[lines[0]]]
    for previous, line in itertools.pairwise(lines):
        if _starts_paragraph(previous, line, typical):
            groups.append([line])
        else:
            groups[-1].append(line)
    return [_join_lines(group) for group in groups]


def _pdf_page_count(reader: PdfReader, shown: str, limits: ParseLimits) -> None:
    """Reject a PDF with more pages than the limit before any page is read: first by the count
    its page tree declares (no page visited), then by the pages actually found."""
    try:
        root: Any = reader.trailer["/Root"]
        declared = root["/Pages"]["/Count"]
    except Exception:  # no usable declaration: the pages found decide
        declared = None
    if isinstance(declared, int) and declared > limits.max_pdf_pages:
        raise limits.too_many_pages(shown, declared)
    found = len(reader.pages)
    if found > limits.max_pdf_pages:
        raise limits.too_many_pages(shown, found)


def _open_pdf(data: bytes, shown: str) -> PdfReader:
    """A reader of the PDF, or RejectedFile when it is not one, is truncated or is locked."""
    if not data.startswith(PDF_MAGIC):
        reason = binary_signature(data) or "no %PDF- header"
        raise RejectedFile(f"'{shown}' is not a valid PDF ({reason})")
    if b"%%EOF" not in data[-4096:]:
        raise RejectedFile(f"'{shown}' is not a valid PDF (truncated: no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise RejectedFile(f"'{shown}' is not a valid PDF ({short_reason(exc)})") from None
    if reader.is_encrypted:
        try:  # readable as is when only an owner password restricts it
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception:  # e.g. AES without the optional cryptography package
            opened = False
        if not opened:
            raise RejectedFile(f"'{shown}' is an encrypted PDF")
    return reader


@contextmanager
def _pypdf_silenced() -> Iterator[None]:
    """pypdf logs a warning for every oddity of a damaged file: the user gets our one line instead.
    (Parses run in a child process of their own, so the level changes for that parse only.)"""
    with loggers_at(logging.CRITICAL, "pypdf"):
        yield


def extract_pdf(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    with _pypdf_silenced():
        return _extract_pdf(data, shown, limits)


def _extract_pdf(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    reader = _open_pdf(data, shown)
    _pdf_page_count(reader, shown, limits)
    budget = CharBudget(limits, shown)
    pieces: list[tuple[str, int | None]] = []
    first_line: str | None = None
    for number, page in enumerate(reader.pages, start=1):
        text = clean(page.extract_text() or "")
        if number == 1:
            first_line = next((line.strip() for line in text.split("\n") if line.strip()), None)
        for paragraph in _pdf_page_paragraphs(text):
            budget.add(paragraph)  # stops at the page that takes the text over the limit
            pieces.append((paragraph, number))
    title, metadata = _pdf_info(reader)
    if title is None and first_line and len(first_line) <= SHORT_TITLE:
        title = first_line
    return Extracted(pieces, title, metadata)


def _pdf_info(reader: PdfReader) -> tuple[str | None, dict[str, str]]:
    """Title and metadata from the document information dictionary, field by field: a damaged
    field only costs itself."""
    try:
        info = reader.metadata
    except Exception:  # a damaged info dictionary costs what it would have said
        return None, {}
    if info is None:
        return None, {}
    values: dict[str, Any] = {}
    for key, read in (
        ("title", lambda: info.title),
        ("author", lambda: info.author),
        ("published", lambda: info.creation_date),
    ):
        try:
            values[key] = read()
        except Exception:
            values[key] = None
    metadata = normalised(author=values["author"], published=values["published"])
    return meaningful_title(values["title"]), metadata
