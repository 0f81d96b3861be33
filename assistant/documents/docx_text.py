"""Word (.docx) files: their paragraphs and table cells in document order, and their title.

This module owns the zip checks made from the archive's directory before anything is
decompressed (word/document.xml present, unzipped size and compression ratio under the limits),
walking the body (content controls and nested tables included, merged cells once), and the
title (the document's stored title, else its first Title or Heading 1 paragraph), and the author
and, as the publication date, the creation date its core properties state.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph as DocxParagraph

from assistant.documents.extraction import (
    ZIP_MAGIC,
    Extracted,
    binary_signature,
    clean,
    clean_name,
    collapse,
    meaningful_title,
    short_reason,
)
from assistant.documents.limits import CharBudget, ParseLimits
from assistant.documents.metadata import normalised
from assistant.errors import RejectedFile

_MB = 1024 * 1024
_RATIO_FLOOR = _MB  # zip members smaller than this may be compressed any amount


def _check_docx_zip(data: bytes, shown: str, limits: ParseLimits) -> None:
    """A .docx must be a zip with word/document.xml whose directory promises no zip bomb.

    The sizes are the ones the zip's central directory declares, read before anything is
    decompressed; they also bound what can come out: zipfile stops every member at its declared
    size (and then fails its CRC check), so a member cannot unpack to more than it says.
    """
    signature = binary_signature(data)
    if signature is not None and not data.startswith(ZIP_MAGIC):
        raise RejectedFile(f"'{shown}' is not a valid .docx ({signature})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        reason = "corrupt or truncated zip" if data.startswith(ZIP_MAGIC) else "not a zip archive"
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
            raise limits.too_compressed(shown, clean_name(info.filename), ratio)


def _docx_text(paragraph: DocxParagraph) -> str:
    return collapse(clean(paragraph.text))


def _docx_table_cells(table: Table) -> Iterator[str]:
    """One text per non-empty cell, row by row; merged cells once; nested tables after."""
    seen: set[Any] = set()
    try:
        cells = [cell for row in table.rows for cell in row.cells]
    except Exception:  # an irregular grid python-docx cannot map: take the cells as stored
        for tc in table._tbl.iter(qn("w:tc")):
            yield collapse(
                " ".join(_docx_text(DocxParagraph(p, table)) for p in tc.iterchildren(qn("w:p")))
            )
        return
    for cell in cells:
        if cell._tc in seen:
            continue
        seen.add(cell._tc)
        yield collapse(" ".join(_docx_text(p) for p in cell.paragraphs))
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


def extract_docx(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    _check_docx_zip(data, shown, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise RejectedFile(f"'{shown}' is not a valid .docx ({short_reason(exc)})") from None
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
    title, metadata = _docx_core(document)
    return Extracted(pieces, title or styled_title, metadata)


def _docx_core(document: Any) -> tuple[str | None, dict[str, str]]:
    """Title and metadata from the core properties; damaged properties state nothing."""
    try:
        core = document.core_properties
        title = meaningful_title(core.title or None)
        author, created = core.author, core.created
    except Exception:
        return None, {}
    if author == "python-docx" and created is not None and created.year == 2013:
        created = None  # python-docx's own template: its date is not the document's
    return title, normalised(author=author, published=created)
