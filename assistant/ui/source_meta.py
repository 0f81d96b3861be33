"""The HTML of what a cited document says about itself: its name, author and link, and the note
on a quote with a relative time.

Built from escaped text only, like render.py: the words come from source_label.py, every value
goes through `html.escape`, and an address becomes a link only when it is an http(s) URL (it
opens in a new tab, without giving the page it opens a handle on this one).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from assistant.documents.metadata import web_address
from assistant.source_label import date_note, display_date


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def link_html(url: str, css: str = "source-url") -> str:
    """The address as a link opening in a new tab; as plain text when it is not http(s)."""
    address = web_address(url)
    if address is None:
        return f'<span class="{css}">{_esc(url)}</span>'
    return (
        f'<a class="{css}" href="{_esc(address)}" target="_blank" '
        f'rel="noopener noreferrer">{_esc(address)}</a>'
    )


def heading_html(title: str, metadata: Mapping[str, str], location: str) -> str:
    """ "Title, Site, 12 May 2024, paragraph 4": the known parts, each in its own span."""
    named = (
        ("source-title", title),
        ("source-site", metadata.get("site")),
        ("source-date", display_date(metadata.get("published"))),
    )
    spans = [f'<span class="{css}">{_esc(part)}</span>' for css, part in named if part]
    spans.append(f'<span class="source-loc">{_esc(location)}</span>')
    return f'<span class="source-name">{", ".join(spans)}</span>'


def byline_html(metadata: Mapping[str, str]) -> str:
    """The author and the address, under the heading; empty when neither is known."""
    parts = []
    if metadata.get("author"):
        parts.append(f'<span class="source-author">by {_esc(metadata["author"])}</span>')
    if metadata.get("url"):
        parts.append(link_html(metadata["url"]))
    return f'<div class="source-byline">{" ".join(parts)}</div>' if parts else ""


def date_note_html(quote: str, metadata: Mapping[str, str]) -> str:
    """The source's date next to a quote that says "last year" or the like; empty otherwise."""
    note = date_note(quote, metadata)
    if note is None:
        return ""
    dated = "dated" if metadata.get("published") else "undated"
    return f'<p class="date-note {dated}">{_esc(note)}</p>'


def document_meta_html(metadata: Mapping[str, str]) -> str:
    """A document's site, author, date and address for the knowledge base table."""
    known = [metadata.get("site"), metadata.get("author"), display_date(metadata.get("published"))]
    parts = [f"<span>{_esc(part)}</span>" for part in known if part]
    if metadata.get("url"):
        parts.append(link_html(metadata["url"], "doc-url"))
    return f'<div class="doc-meta">{" · ".join(parts)}</div>' if parts else ""
