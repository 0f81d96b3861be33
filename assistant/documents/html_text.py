"""HTML pages: their visible text, one paragraph per block, and their title.

This module owns which elements are never shown (scripts, styles, hidden elements), which start
a paragraph, and the page's title (its <title>, else its first <h1>). The markup is walked with an
explicit stack, so deeply nested pages cannot overflow Python's recursion limit. The author,
site, publication date and address the page's meta tags and JSON-LD state are read by
metadata.py. (Web pages fetched by address go through article_text.py instead, which keeps only
the article.)
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

from assistant.documents.extraction import Extracted, collapse
from assistant.documents.limits import CharBudget, ParseLimits
from assistant.documents.metadata import html_metadata
from assistant.documents.plain_text import read_text

# Elements whose content is never shown, and elements that start a new paragraph.
_HTML_DROP = frozenset(
    {"script", "style", "noscript", "template", "svg", "iframe", "canvas", "title", "meta", "link"}
)
_HTML_BLOCKS = frozenset(
    {
        "p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "th", "dt",
        "dd", "figcaption", "div",
        # containers: text loose inside them is a paragraph of its own, split from their blocks
        "address", "article", "aside", "body", "caption", "details", "dialog", "dl", "fieldset",
        "figure", "footer", "form", "header", "hgroup", "hr", "html", "legend", "main", "nav",
        "ol", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display:none|visibility:hidden")


@dataclass(frozen=True)
class _EndOfBlock:
    tag: str
    first_paragraph: int  # index of the block's first paragraph


def _attribute(tag: Tag, key: str) -> str:
    value = tag.attrs.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(str(v) for v in value)


def _is_hidden(tag: Tag) -> bool:
    if "hidden" in tag.attrs:
        return True
    if _attribute(tag, "aria-hidden").strip().lower() == "true":
        return True
    style = re.sub(r"\s+", "", _attribute(tag, "style").lower())
    return _HIDDEN_STYLE.search(style) is not None


def _html_title(soup: BeautifulSoup) -> str | None:
    for element in soup.find_all("title"):
        if isinstance(element, Tag) and element.find_parent("svg") is None:
            text = collapse(element.get_text())
            if text:
                return text
    return None


def _html_paragraphs(
    soup: BeautifulSoup, budget: CharBudget | None = None
) -> tuple[list[str], str | None]:
    """Visible text, one paragraph per block, and the first <h1>'s text; stops at the
    paragraph that takes the text over `budget`."""
    paragraphs: list[str] = []
    buffer: list[str] = []
    first_h1: str | None = None

    def flush() -> None:
        text = collapse("".join(buffer))
        buffer.clear()
        if text:
            if budget is not None:
                budget.add(text)
            paragraphs.append(text)

    # An explicit stack rather than recursion: deeply nested markup must not overflow.
    stack: list[PageElement | _EndOfBlock] = [soup]
    while stack:
        item = stack.pop()
        if isinstance(item, _EndOfBlock):
            flush()
            if item.tag == "h1" and first_h1 is None:
                first_h1 = " ".join(paragraphs[item.first_paragraph :]) or None
        elif isinstance(item, NavigableString):
            if not isinstance(item, PreformattedString):  # comments, CDATA, doctypes
                buffer.append(str(item))
        elif isinstance(item, Tag):
            tag = (item.name or "").lower()
            if tag in _HTML_DROP or _is_hidden(item):
                continue
            if tag == "br":
                buffer.append(" ")
                continue
            if tag in _HTML_BLOCKS:
                flush()
                stack.append(_EndOfBlock(tag, len(paragraphs)))
            stack.extend(reversed(item.contents))
    flush()
    return paragraphs, first_h1


def extract_html(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    text = read_text(data, shown, html=True)
    with warnings.catch_warnings():  # pages that look like a URL or like XML: our message is enough
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(text, "html.parser")
    paragraphs, first_h1 = _html_paragraphs(soup, CharBudget(limits, shown))
    _, metadata = html_metadata(text) if paragraphs else (None, {})
    return Extracted([(t, None) for t in paragraphs], _html_title(soup) or first_h1, metadata)
