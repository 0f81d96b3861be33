"""Document metadata as a citation shows it: normal forms, and what a page's markup states.

This module owns turning what a source says about itself into the DOCUMENT_META_KEYS
(assistant/types.py): a publication date as an ISO date (YYYY-MM-DD), an author or site only when
one is named ("not stated", "unknown" and the like stay unknown), an address only when it is an
http(s) URL. Nothing is guessed: a date that is not written as a date is left out. It also reads
an HTML page's meta tags and JSON-LD with trafilatura (the date through htmldate, without its
search of the page's text, which would take any date the article mentions).

trafilatura is imported on first use (`page_reader`), with its loggers and htmldate's silenced
while it is imported and while it reads a page, and restored afterwards: importing this module
changes nothing in the process.
"""

from __future__ import annotations

import datetime
import importlib
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from assistant.documents.extraction import collapse, meaningful_title
from assistant.quiet import loggers_at

# trafilatura and the libraries it uses log every oddity of a page (htmldate its settings as
# it is imported): the user gets the result or our one line instead.
_NOISY_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")

# htmldate's settings for dates a page states: markup, JSON-LD, its address; never its prose.
DATE_PARAMS: dict[str, Any] = {"extensive_search": False, "original_date": True}

_UNSTATED = re.compile(
    r"^(?:not (?:stated|given|known|available)|unknown|n/?a|none|null|anonymous|-+|\?+)\b", re.I
)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
# Generators that write their own name and a fixed date into a file they make from a template.
_GENERATOR_AUTHORS = frozenset({"python-docx", "reportlab", "anonymous", "unspecified"})


def iso_date(value: object) -> str | None:
    """A date as YYYY-MM-DD when `value` is one (a date, or a string starting with an ISO date)."""
    if isinstance(value, datetime.datetime | datetime.date):
        day = value.date() if isinstance(value, datetime.datetime) else value
        return day.isoformat() if day.year >= 1000 else None
    match = _ISO_DATE.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def stated(value: object) -> str | None:
    """A name as the source gives it, or None when it names nobody ("not stated", "unknown")."""
    if not isinstance(value, str):
        return None
    text = collapse(value)
    if not text or _UNSTATED.match(text) or text.lower() in _GENERATOR_AUTHORS:
        return None
    return text if len(text) <= 300 else None


def web_address(value: object) -> str | None:
    """An http(s) URL, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    return text if ok and len(text) <= 2000 and not any(c.isspace() for c in text) else None


def normalised(
    *,
    url: object = None,
    published: object = None,
    author: object = None,
    site: object = None,
) -> dict[str, str]:
    """The DOCUMENT_META_KEYS that are stated, in their normal forms."""
    values = {
        "url": web_address(url),
        "published": iso_date(published),
        "author": stated(author),
        "site": stated(site),
    }
    return {key: value for key, value in values.items() if value}


def from_mapping(raw: Mapping[str, Any]) -> dict[str, str]:
    """The metadata a mapping of a source's own keys states (front matter): `date` or
    `published`, `author`, `site` or `publisher`, `url`."""
    return normalised(
        url=raw.get("url"),
        published=raw.get("published", raw.get("date")),
        author=raw.get("author"),
        site=raw.get("site", raw.get("publisher")),
    )


@contextmanager
def quiet_page_reader() -> Iterator[None]:
    """trafilatura's and its libraries' logging silenced, for the time of the block."""
    with loggers_at(logging.CRITICAL, *_NOISY_LOGGERS):
        yield


def page_reader() -> ModuleType:
    """trafilatura, imported quietly (loaders call this before a parse is forked, so that each
    parsing child does not import it again: it takes a quarter of a second)."""
    with quiet_page_reader():
        return importlib.import_module("trafilatura")


def html_metadata(html: str, url: str | None = None) -> tuple[str | None, dict[str, str]]:
    """The title and metadata a page's meta tags and JSON-LD state (with `url`, where it was
    fetched from, when it has no address of its own)."""
    reader = page_reader()
    with quiet_page_reader():
        found = reader.extract_metadata(html, default_url=url, date_config=dict(DATE_PARAMS))
    return document_fields(found)


def document_fields(found: Any) -> tuple[str | None, dict[str, str]]:
    """Title and metadata from a trafilatura Document (None: nothing found)."""
    if found is None:
        return None, {}
    metadata = normalised(
        url=found.url, published=found.date, author=found.author, site=found.sitename
    )
    return meaningful_title(found.title), metadata
