"""Turns files into Documents.

This module owns everything between a file's bytes and a `Document`: deciding the type (by
suffix, checked against the content), decoding text, extracting the visible text of .txt, .md,
.html/.htm, .pdf and .docx files, splitting it into paragraphs with exact character offsets
(and page numbers for PDFs), titles and YAML front matter, and turning every way a file can be
unusable into a one-line `RejectedFile`.

Every file is parsed under `ParseLimits` (`limits.py`): a .docx's unzipped size and compression
ratio are checked from the zip's directory before anything is extracted, a PDF's page count
before any page is read, and every format stops extracting at the first paragraph that takes
its text over the character limit. The parse itself runs in a child process (`worker.py`) that
may allocate only so much memory and is killed at the wall-clock limit, for every format: plain
text and Markdown too, since they are not clearly safe in-process (a 1 MB YAML front matter
took 6 s to parse, a 1 MB text of one-character lines 1.2 s). A file over any limit is rejected,
like any unusable file, with a `RejectedFile` whose one line names the limit and its setting,
and nothing of it reaches the caller.
"""

from __future__ import annotations

import codecs
import datetime
import io
import itertools
import logging
import math
import re
import stat
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import docx
import yaml
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PageElement, PreformattedString, Tag
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph
from pypdf import PasswordType, PdfReader

from assistant.documents.limits import CharBudget, ParseLimits
from assistant.documents.worker import ChildCrashed, ChildTimedOut, run_in_child
from assistant.errors import RejectedFile
from assistant.types import Document, Paragraph

__all__ = ["SUPPORTED_SUFFIXES", "ParseLimits", "load_bytes", "load_document"]

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
)

_DOC_TYPES: dict[str, str] = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
_DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_KB = 1024
_MB = 1024 * 1024
_RATIO_FLOOR = _MB  # zip members smaller than this may be compressed any amount
_SEPARATOR = "\n\n"
_SHORT_TITLE = 100

# pypdf logs a warning for every oddity of a damaged file, and bs4 warns about pages that look
# like a URL or like XML: the user gets our one line instead.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning)
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls files

# Control characters (Unicode category Cc) other than \t \n \r \f.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_MD_TITLE = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_MD_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")
_BULLET = re.compile(r"^(?:[•●▪■◦‣∙·○◆►✓➢*\-–—]\s|\d{1,2}[.)]\s|\([a-zA-Z0-9]{1,3}\)\s)")
_SENTENCE_END = re.compile(r"(?:[.!?:][\"'”’»)\]]*|[\"”’»])$")
_NO_BREAK_AFTER = re.compile(r"[,;:\-–—/(&]$")
_UNTITLED = frozenset(
    {"untitled", "untitled document", "document", "title", "unknown", "none", "null", "anonymous"}
)
_FILE_NAME_TITLE = re.compile(r"\.(?:docx?|pdf|rtf|odt|pptx?|xlsx?|txt|tex|dvi|indd|qxd|html?)$")
_OFFICE_TITLE = re.compile(r"^microsoft (?:word|powerpoint|excel|office word)\s*-")

# HTML: elements whose content is never shown, and elements that start a new paragraph.
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


@dataclass
class _Extracted:
    """What a format's extractor found: paragraph texts (with pages), a title, front matter."""

    pieces: list[tuple[str, int | None]]
    title: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Parsed:
    """What the parsing child sends back: the assembled text and what goes with it."""

    text: str
    paragraphs: tuple[Paragraph, ...]
    title: str | None
    metadata: dict[str, str]


def load_document(
    path: Path,
    *,
    source: str | None = None,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    name: str | None = None,
    limits: ParseLimits | None = None,
) -> Document:
    """Read the file at `path` and load it; `name` (default: the file's own name) is what the
    user knows it by, and decides its type; `source` defaults to the path; `limits` as in
    `load_bytes`."""
    path = Path(path)
    display_name = name if name is not None else path.name
    _doc_type(display_name)  # an unsupported type is rejected before the file is touched
    shown = _clean_name(display_name)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise RejectedFile(f"cannot read '{shown}': not a regular file")
        if status.st_size > max_bytes:
            raise RejectedFile(_too_large(shown, status.st_size, max_bytes))
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # a file growing meanwhile is still caught
    except OSError as exc:
        raise RejectedFile(f"cannot read '{shown}': {_os_reason(exc)}") from None
    return load_bytes(
        data,
        display_name,
        source=source if source is not None else str(path),
        max_bytes=max_bytes,
        limits=limits,
    )


def load_bytes(
    data: bytes,
    name: str,
    *,
    source: str,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    limits: ParseLimits | None = None,
) -> Document:
    """Load a document from its bytes; `name` is its display file name (never opened).

    The bytes are parsed in a child process under `limits` (default: the current settings'
    limits, `ParseLimits.current()`); a file over a limit raises RejectedFile naming it.
    """
    doc_type = _doc_type(name)
    shown = _clean_name(name)
    if len(data) > max_bytes:
        raise RejectedFile(_too_large(shown, len(data), max_bytes))
    if not data.strip():
        raise RejectedFile(f"'{shown}' has no text")
    limits = limits if limits is not None else ParseLimits.current()
    try:
        parsed = run_in_child(
            _parse,
            data,
            doc_type,
            shown,
            limits,
            timeout=limits.parse_timeout_s,
            memory_mb=limits.max_parse_memory_mb,
        )
    except RejectedFile:
        raise
    except ChildTimedOut:
        raise limits.too_slow(shown) from None
    except ChildCrashed as exc:
        raise RejectedFile(f"'{shown}' could not be read: the parser stopped ({exc})") from None
    except MemoryError:  # the result itself did not fit in the child's memory limit
        raise limits.too_much_memory(shown) from None
    except Exception as exc:  # whatever else came back must still be one line
        raise RejectedFile(_parse_failure(shown, doc_type, exc)) from None
    title = _collapse(parsed.title or "") or _title_from_name(name)
    return Document(
        text=parsed.text,
        title=title,
        source=source,
        doc_type=doc_type,
        paragraphs=parsed.paragraphs,
        metadata=parsed.metadata,
    )


def _parse(data: bytes, doc_type: str, shown: str, limits: ParseLimits) -> _Parsed:
    """The part of loading that runs in the child: extract, assemble, check the text's size."""
    try:
        extracted = _EXTRACTORS[doc_type](data, shown, limits)
        text, paragraphs = _assemble(extracted.pieces, CharBudget(limits, shown))
    except RejectedFile:
        raise
    except MemoryError:  # over the child's memory limit (ASSISTANT_MAX_PARSE_MEMORY_MB)
        raise limits.too_much_memory(shown) from None
    except Exception as exc:  # a parser's own failure must reach the user as one line
        raise RejectedFile(_parse_failure(shown, doc_type, exc)) from None
    if not paragraphs:
        raise RejectedFile(f"'{shown}' has no text")
    return _Parsed(text, paragraphs, extracted.title, extracted.metadata)


# --- shared helpers ---------------------------------------------------------------------------


def _doc_type(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    if suffix in _DOC_TYPES:
        return _DOC_TYPES[suffix]
    if not suffix:
        raise RejectedFile(f"'{_clean_name(name)}' has no file extension (supported: {supported})")
    raise RejectedFile(f"unsupported file type '{_clean_name(suffix)}' (supported: {supported})")


def _clean_name(name: str) -> str:
    """The name as it can appear inside a one-line message."""
    shown = _CONTROL.sub("?", " ".join(name.split()))
    return shown if len(shown) <= 200 else shown[:199] + "…"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _format_size(n: int, *, round_up: bool = False) -> str:
    for unit, factor in (("MB", _MB), ("KB", _KB)):
        if n >= factor:
            value = n / factor
            if round_up:  # so a file just over the limit never shows as equal to it
                value = math.ceil(value * 10) / 10
            return f"{value:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _too_large(shown: str, size: int, max_bytes: int) -> str:
    return (
        f"'{shown}' is {_format_size(size, round_up=True)}, "
        f"over the {_format_size(max_bytes)} limit"
    )


def _short_reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    reason = _collapse(lines[0]) if lines else ""
    reason = reason or type(exc).__name__
    return reason if len(reason) <= 100 else reason[:99] + "…"


def _parse_failure(shown: str, doc_type: str, exc: BaseException) -> str:
    reason = _short_reason(exc)
    if doc_type == "pdf":
        return f"'{shown}' is not a valid PDF ({reason})"
    if doc_type == "docx":
        return f"'{shown}' is not a valid .docx ({reason})"
    kinds = {"html": "HTML", "md": "Markdown"}
    return f"'{shown}' could not be read as {kinds.get(doc_type, 'text')} ({reason})"


def _collapse(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _clean(text: str) -> str:
    """Unicode-normalised text with \\n line ends and no control characters but \\t and \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def _title_from_name(name: str) -> str:
    """ "my_notes-2024.txt" -> "My notes 2024"."""
    base = PurePath(name.replace("\\", "/")).name
    stem = base[: -len(PurePath(base).suffix)] if PurePath(base).suffix else base
    words = _collapse(re.sub(r"[_\-]+", " ", _CONTROL.sub("", stem)))
    if not words:
        return "Untitled"
    return words[:1].upper() + words[1:]


def _assemble(
    pieces: Iterable[tuple[str, int | None]], budget: CharBudget | None = None
) -> tuple[str, tuple[Paragraph, ...]]:
    """Join paragraph texts with blank lines, recording where each one lands; the text's size
    is counted against `budget` (the final, authoritative check of the character limit)."""
    parts: list[str] = []
    paragraphs: list[Paragraph] = []
    numbers: dict[int | None, int] = {}
    position = 0
    for raw, page in pieces:
        text = raw.strip()
        if not text:
            continue
        if budget is not None:
            budget.add(text)
        if parts:
            position += len(_SEPARATOR)
        number = numbers.get(page, 0) + 1
        numbers[page] = number
        end = position + len(text)
        paragraphs.append(Paragraph(number=number, start=position, end=end, page=page))
        parts.append(text)
        position += len(text)
    return _SEPARATOR.join(parts), tuple(paragraphs)


def _blocks(lines: Iterable[str]) -> list[list[str]]:
    """Runs of non-blank (stripped) lines, split at blank lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped:
            current.append(stripped)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _binary_signature(data: bytes) -> str | None:
    """What a file of another kind than its name says appears to be, from its first bytes."""
    if data.startswith(_PDF_MAGIC):
        return "it looks like a PDF"
    if data.startswith(_ZIP_MAGIC):
        return "it looks like a zip archive"
    if data.startswith(_OLE_MAGIC):
        return "it looks like an old Office file"
    return None


# --- text formats -----------------------------------------------------------------------------


def _decode(data: bytes, *, html: bool = False) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html:
        declared = _declared_charset(data)
        if declared is not None:
            try:
                return data.decode(declared)
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    try:
        codec = codecs.lookup(match.group(1).decode("ascii"))
    except LookupError:
        return None
    # A page that says utf-16 without a BOM is mislabelled; decoding it so would be garbage.
    if codec.name.startswith(("utf-16", "utf-32", "utf-8")):
        return None
    return codec.name


def _read_text(data: bytes, shown: str, *, html: bool = False) -> str:
    """Decoded, cleaned text, or RejectedFile if the bytes are not text at all."""
    text = _decode(data, html=html)
    controls = len(_CONTROL.findall(text))
    if _binary_signature(data) is not None or "\x00" in text or controls > 0.05 * max(len(text), 1):
        raise RejectedFile(f"'{shown}' looks binary, not text")
    return _clean(text)


def _front_matter(text: str) -> tuple[str, dict[str, str], str | None]:
    """(text without front matter, its other scalar keys as strings, its title)."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text, {}, None
    try:
        parsed: Any = yaml.safe_load(match.group(1))
    except Exception:  # not YAML after all: keep the block as text
        return text, {}, None
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, dict):
        return text, {}, None
    metadata: dict[str, str] = {}
    title: str | None = None
    for key, value in parsed.items():
        if value is None or not isinstance(
            value, str | int | float | bool | datetime.date | datetime.datetime
        ):
            continue
        if str(key) == "title":
            title = _collapse(str(value)) or None
        else:
            metadata[str(key)] = str(value).strip()
    return text[match.end() :], metadata, title


def _extract_txt(data: bytes, shown: str, limits: ParseLimits) -> _Extracted:
    body, metadata, title = _front_matter(_read_text(data, shown))
    blocks = _blocks(body.split("\n"))
    if len(blocks) == 1 and len(blocks[0]) > 1:  # no blank lines at all: one paragraph a line
        texts = blocks[0]
    else:
        texts = [" ".join(block) for block in blocks]
    if title is None and texts and len(texts[0]) <= _SHORT_TITLE and not texts[0].endswith("."):
        title = texts[0]
    return _Extracted([(t, None) for t in texts], title, metadata)


def _extract_md(data: bytes, shown: str, limits: ParseLimits) -> _Extracted:
    body, metadata, title = _front_matter(_read_text(data, shown))
    texts: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush() -> None:
        if current:
            texts.append(" ".join(current))
            current.clear()

    for line in body.split("\n"):
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if not in_fence and _MD_HEADING.match(line):
            flush()
            texts.append(stripped)
            heading = _MD_TITLE.match(line)
            if title is None and heading is not None and heading.group(1).strip():
                title = heading.group(1)
            continue
        if _MD_FENCE.match(line):
            in_fence = not in_fence
        current.append(stripped)
    flush()
    return _Extracted([(t, None) for t in texts], title, metadata)


# --- HTML -------------------------------------------------------------------------------------


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
            text = _collapse(element.get_text())
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
        text = _collapse("".join(buffer))
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


def _extract_html(data: bytes, shown: str, limits: ParseLimits) -> _Extracted:
    soup = BeautifulSoup(_read_text(data, shown, html=True), "html.parser")
    paragraphs, first_h1 = _html_paragraphs(soup, CharBudget(limits, shown))
    return _Extracted([(t, None) for t in paragraphs], _html_title(soup) or first_h1)


# --- PDF --------------------------------------------------------------------------------------


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
    blocks = _blocks(lines)
    if len(blocks) > 1:
        return [_join_lines(block) for block in blocks]
    if not blocks:
        return []
    lines = blocks[0]
    lengths = sorted(len(line) for line in lines)
    typical = lengths[int(0.9 * (len(lengths) - 1) + 0.5)]  # robust to one stray long line
    groups: list[list[str]] = [[lines[0]]]
    for previous, line in itertools.pairwise(lines):
        if _starts_paragraph(previous, line, typical):
            groups.append([line])
        else:
            groups[-1].append(line)
    return [_join_lines(group) for group in groups]


def _meaningful_title(raw: object) -> str | None:
    if raw is None:
        return None
    title = _collapse(_CONTROL.sub("", str(raw)))
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


def _extract_pdf(data: bytes, shown: str, limits: ParseLimits) -> _Extracted:
    if not data.startswith(_PDF_MAGIC):
        reason = _binary_signature(data) or "no %PDF- header"
        raise RejectedFile(f"'{shown}' is not a valid PDF ({reason})")
    if b"%%EOF" not in data[-4096:]:
        raise RejectedFile(f"'{shown}' is not a valid PDF (truncated: no end-of-file marker)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise RejectedFile(f"'{shown}' is not a valid PDF ({_short_reason(exc)})") from None
    if reader.is_encrypted:
        try:  # readable as is when only an owner password restricts it
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception:  # e.g. AES without the optional cryptography package
            opened = False
        if not opened:
            raise RejectedFile(f"'{shown}' is an encrypted PDF")
    _pdf_page_count(reader, shown, limits)
    budget = CharBudget(limits, shown)
    pieces: list[tuple[str, int | None]] = []
    first_line: str | None = None
    for number, page in enumerate(reader.pages, start=1):
        text = _clean(page.extract_text() or "")
        if number == 1:
            first_line = next((line.strip() for line in text.split("\n") if line.strip()), None)
        for paragraph in _pdf_page_paragraphs(text):
            budget.add(paragraph)  # stops at the page that takes the text over the limit
            pieces.append((paragraph, number))
    title = None
    try:
        title = _meaningful_title(reader.metadata.title if reader.metadata else None)
    except Exception:  # a damaged info dictionary only costs the title
        title = None
    if title is None and first_line and len(first_line) <= _SHORT_TITLE:
        title = first_line
    return _Extracted(pieces, title)


# --- DOCX -------------------------------------------------------------------------------------


def _check_docx_zip(data: bytes, shown: str, limits: ParseLimits) -> None:
    """A .docx must be a zip with word/document.xml whose directory promises no zip bomb.

    The sizes are the ones the zip's central directory declares, read before anything is
    decompressed; they also bound what can come out: zipfile stops every member at its declared
    size (and then fails its CRC check), so a member cannot unpack to more than it says.
    """
    signature = _binary_signature(data)
    if signature is not None and not data.startswith(_ZIP_MAGIC):
        raise RejectedFile(f"'{shown}' is not a valid .docx ({signature})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        reason = "corrupt or truncated zip" if data.startswith(_ZIP_MAGIC) else "not a zip archive"
        raise RejectedFile(f"'{shown}' is not a valid .docx ({reason})") from None
    if not any(info.filename == "word/document.xml" for info in infos):
        raise RejectedFile(f"'{shown}' is not a valid .docx (no word/document.xml inside)")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unzipped_bytes:
        raise limits.unzipped_too_large(shown, unpacked)
    for info in infos:
        if info.file_size < _RATIO_FLOOR:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_zip_ratio:
            raise limits.too_compressed(shown, _clean_name(info.filename), ratio)


def _docx_text(paragraph: DocxParagraph) -> str:
    return _collapse(_clean(paragraph.text))


def _docx_table_cells(table: Table) -> Iterator[str]:
    """One text per non-empty cell, row by row; merged cells once; nested tables after."""
    seen: set[Any] = set()
    try:
        cells = [cell for row in table.rows for cell in row.cells]
    except Exception:  # an irregular grid python-docx cannot map: take the cells as stored
        for tc in table._tbl.iter(qn("w:tc")):
            yield _collapse(
                " ".join(_docx_text(DocxParagraph(p, table)) for p in tc.iterchildren(qn("w:p")))
            )
        return
    for cell in cells:
        if cell._tc in seen:
            continue
        seen.add(cell._tc)
        yield _collapse(" ".join(_docx_text(p) for p in cell.paragraphs))
        for nested in cell.tables:
            yield from _docx_table_cells(nested)


def _docx_blocks(container: Any, parent: Any) -> Iterator[tuple[str, DocxParagraph | None]]:
    """Body paragraphs and table cells in document order (content controls looked into)."""
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = DocxParagraph(child, parent)
            yield _docx_text(paragraph), paragraph
        elif child.tag == qn("w:tbl"):
            for text in _docx_table_cells(Table(child, parent)):
                yield text, None
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _docx_blocks(content, parent)


def _docx_style(paragraph: DocxParagraph) -> str:
    try:
        style = paragraph.style
    except Exception:  # a dangling style reference only costs the title guess
        return ""
    return (style.name or "") if style is not None else ""


def _extract_docx(data: bytes, shown: str, limits: ParseLimits) -> _Extracted:
    _check_docx_zip(data, shown, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise RejectedFile(f"'{shown}' is not a valid .docx ({_short_reason(exc)})") from None
    budget = CharBudget(limits, shown)
    pieces: list[tuple[str, int | None]] = []
    styled_title: str | None = None
    for text, paragraph in _docx_blocks(document.element.body, document._body):
        if not text:
            continue
        budget.add(text)
        pieces.append((text, None))
        if (
            styled_title is None
            and paragraph is not None
            and _docx_style(paragraph) in ("Title", "Heading 1")
        ):
            styled_title = text
    try:
        title = _meaningful_title(document.core_properties.title or None)
    except Exception:
        title = None
    return _Extracted(pieces, title or styled_title)


# Keyed by document type; `_parse` looks the extractor up here in the child, so a test that
# replaces one (monkeypatch.setitem) replaces it in the child too.
_EXTRACTORS: dict[str, Callable[[bytes, str, ParseLimits], _Extracted]] = {
    "txt": _extract_txt,
    "md": _extract_md,
    "html": _extract_html,
    "pdf": _extract_pdf,
    "docx": _extract_docx,
}
