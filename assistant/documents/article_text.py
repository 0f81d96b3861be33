"""Web pages fetched by address: the article's main text only, and what the page says of itself.

This module owns taking the article out of a page with trafilatura (navigation, cookie banners,
comments, "related articles", footers and the like are left behind; comments are never
included), one paragraph per line of its output, the rule for a page with no article in it, and
the page's title, author, site and publication date (metadata.py's reading of the meta tags and
JSON-LD, with htmldate kept off the article's prose). A file saved from the web is loaded whole
by html_text.py instead: its reader chose to keep what it holds.
"""

from __future__ import annotations

from assistant.documents.extraction import Extracted, collapse
from assistant.documents.limits import CharBudget, ParseLimits
from assistant.documents.metadata import (
    DATE_PARAMS,
    document_fields,
    page_reader,
    quiet_page_reader,
)
from assistant.documents.plain_text import read_text
from assistant.errors import RejectedFile

MIN_ARTICLE_CHARS = 60
"""Less main text than this is a page of links and boilerplate, not an article."""


def extract_article(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    """The article of a page (an `Extractor`): RejectedFile when the page has none."""
    html = read_text(data, shown, html=True)
    reader = page_reader()
    with quiet_page_reader():
        found = reader.bare_extraction(
            html,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=True,
            date_extraction_params=dict(DATE_PARAMS),
        )
    text = getattr(found, "text", None) or ""
    budget = CharBudget(limits, shown)
    paragraphs: list[str] = []
    for line in text.split("\n"):
        paragraph = collapse(line)
        if paragraph:
            budget.add(paragraph)
            paragraphs.append(paragraph)
    if sum(len(p) for p in paragraphs) < MIN_ARTICLE_CHARS:
        raise RejectedFile(f"'{shown}' has no main text (only navigation, links or boilerplate)")
    title, metadata = document_fields(found)
    return Extracted([(p, None) for p in paragraphs], title, metadata)
