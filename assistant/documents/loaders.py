"""Turns files into Documents.

This module owns the way from a file's bytes to a `Document`: deciding the type (by suffix),
dispatching to the format's extractor (`EXTRACTORS`: `plain_text.py` for .txt and .md,
`html_text.py`, `pdf_text.py`, `docx_text.py`, sharing `extraction.py`; `article_text.py` for a
web page's article, chosen by the caller as `kind="article"`), joining the paragraphs
it finds into one text with exact character offsets (and page numbers for PDFs), the title when
the file has none, and turning every way a file can be unusable into a one-line `RejectedFile`.

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

import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from assistant.documents.article_text import extract_article
from assistant.documents.docx_text import extract_docx
from assistant.documents.extraction import (
    CONTROL,
    Extractor,
    clean_name,
    collapse,
    short_reason,
)
from assistant.documents.html_text import extract_html
from assistant.documents.limits import CharBudget, ParseLimits, format_size
from assistant.documents.metadata import page_reader
from assistant.documents.pdf_text import extract_pdf
from assistant.documents.plain_text import extract_md, extract_txt
from assistant.documents.worker import ChildCrashed, ChildTimedOut, run_in_child
from assistant.errors import RejectedFile
from assistant.types import Document, Paragraph

__all__ = ["EXTRACTORS", "SUPPORTED_SUFFIXES", "ParseLimits", "load_bytes", "load_document"]

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
_SEPARATOR = "\n\n"

# Keyed by document type; `_parse` looks the extractor up here in the child, so a test that
# replaces one (monkeypatch.setitem) replaces it in the child too.
EXTRACTORS: dict[str, Extractor] = {
    "txt": extract_txt,
    "md": extract_md,
    "html": extract_html,
    "pdf": extract_pdf,
    "docx": extract_docx,
    "article": extract_article,
}
# Extractors that are not a file type of their own: the type their documents are stored as.
_KIND_TYPES: dict[str, str] = {"article": "html"}
# Libraries an extractor imports on first use, imported here once before the parse is forked
# rather than again in every child.
_PRELOAD: dict[str, Callable[[], object]] = {"html": page_reader, "article": page_reader}


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
    shown = clean_name(display_name)
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
    kind: str | None = None,
) -> Document:
    """Load a document from its bytes; `name` is its display file name (never opened).

    The bytes are parsed in a child process under `limits` (default: the current settings'
    limits, `ParseLimits.current()`); a file over a limit raises RejectedFile naming it.
    `kind` (an EXTRACTORS key) chooses the extractor instead of the name's suffix: a web address
    has none that tells ("pdf"; "article" for a page's main text, stored as "html").
    """
    if kind is not None and kind not in EXTRACTORS:
        raise ValueError(f"no extractor {kind!r}")
    extractor = kind if kind is not None else _doc_type(name)
    doc_type = _KIND_TYPES.get(extractor, extractor)
    shown = clean_name(name)
    if len(data) > max_bytes:
        raise RejectedFile(_too_large(shown, len(data), max_bytes))
    if not data.strip():
        raise RejectedFile(f"'{shown}' has no text")
    limits = limits if limits is not None else ParseLimits.current()
    if extractor in _PRELOAD:
        _PRELOAD[extractor]()
    try:
        parsed = run_in_child(
            _parse,
            data,
            extractor,
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
    title = collapse(parsed.title or "") or _title_from_name(name)
    return Document(
        text=parsed.text,
        title=title,
        source=source,
        doc_type=doc_type,
        paragraphs=parsed.paragraphs,
        metadata=parsed.metadata,
    )


def _parse(data: bytes, extractor: str, shown: str, limits: ParseLimits) -> _Parsed:
    """The part of loading that runs in the child: extract, assemble, check the text's size."""
    doc_type = _KIND_TYPES.get(extractor, extractor)
    try:
        extracted = EXTRACTORS[extractor](data, shown, limits)
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


# --- names, messages and assembly ----------------------------------------------------------


def _doc_type(name: str) -> str:
    suffix = PurePath(name).suffix.lower()
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    if suffix in _DOC_TYPES:
        return _DOC_TYPES[suffix]
    if not suffix:
        raise RejectedFile(f"'{clean_name(name)}' has no file extension (supported: {supported})")
    raise RejectedFile(f"unsupported file type '{clean_name(suffix)}' (supported: {supported})")


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _too_large(shown: str, size: int, max_bytes: int) -> str:
    return (
        f"'{shown}' is {format_size(size, round_up=True)}, over the {format_size(max_bytes)} limit"
    )


def _parse_failure(shown: str, doc_type: str, exc: BaseException) -> str:
    reason = short_reason(exc)
    if doc_type == "pdf":
        return f"'{shown}' is not a valid PDF ({reason})"
    if doc_type == "docx":
        return f"'{shown}' is not a valid .docx ({reason})"
    kinds = {"html": "HTML", "md": "Markdown"}
    return f"'{shown}' could not be read as {kinds.get(doc_type, 'text')} ({reason})"


def _title_from_name(name: str) -> str:
    """ "my_notes-2024.txt" -> "My notes 2024"."""
    base = PurePath(name.replace("\\", "/")).name
    stem = base[: -len(PurePath(base).suffix)] if PurePath(base).suffix else base
    words = collapse(re.sub(r"[_\-]+", " ", CONTROL.sub("", stem)))
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
