"""How a cited document is named to a reader, as plain text: "Title, Site, 12 May 2024".

This module owns the words (the web page escapes them in ui/source_meta.py, the terminal prints
them as they are): the parts of a source's heading that are known, the publication date written
out, and the note a quote with a relative time gets ("source dated 12 May 2024", or that the
date is not stated). Unknown parts stay out; nothing is invented.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from assistant.relative_time import mentions_relative_time

DATE_NOT_STATED = "the source's date is not stated"
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def display_date(iso: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) written out: "12 May 2024"; None when it is not one."""
    if not iso:
        return None
    try:
        day = datetime.date.fromisoformat(iso[:10])
    except ValueError:
        return None
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def heading_parts(title: str, metadata: Mapping[str, str]) -> list[str]:
    """The known parts of a source's name: title, site, publication date."""
    parts = [title, metadata.get("site") or "", display_date(metadata.get("published")) or ""]
    return [part for part in parts if part]


def date_note(quote: str, metadata: Mapping[str, str]) -> str | None:
    """What a reader needs to place a quote's relative time ("last year"): the source's date,
    or that it is not stated; None when the quote holds no relative time."""
    if not mentions_relative_time(quote):
        return None
    written = display_date(metadata.get("published"))
    return f"source dated {written}" if written else DATE_NOT_STATED


def citation_lines(
    n: int, title: str, location: str, document_id: str, quote: str, metadata: Mapping[str, str]
) -> list[str]:
    """A citation in plain text: "[1] Title, Site, 12 May 2024 — paragraph 4 (id)", the quote,
    then the note on its relative time and the author and address, when there are any."""
    lines = [f"[{n}] {', '.join(heading_parts(title, metadata))} — {location} ({document_id})"]
    lines.append(f"    “{quote}”")
    note = date_note(quote, metadata)
    if note:
        lines.append(f"    ({note})")
    byline = [f"by {metadata['author']}"] if metadata.get("author") else []
    byline += [metadata["url"]] if metadata.get("url") else []
    if byline:
        lines.append("    " + " · ".join(byline))
    return lines
