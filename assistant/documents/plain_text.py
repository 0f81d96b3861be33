"""Plain text and Markdown files, and the decoding of any text file's bytes.

This module owns deciding a text file's encoding (BOMs, UTF-8, an HTML page's declared
charset, then cp1252 and latin-1), refusing bytes that are not text, YAML front matter (its
title, the citation metadata it states: `author`, `date`, `url`, `site`, in their normal forms,
and its other scalar keys as written), and the paragraphs of .txt and .md files.
"""

from __future__ import annotations

import codecs
import datetime
import re
from typing import Any

import yaml

from assistant.documents.extraction import (
    CONTROL,
    SHORT_TITLE,
    Extracted,
    binary_signature,
    blocks,
    clean,
    collapse,
)
from assistant.documents.limits import ParseLimits
from assistant.documents.metadata import from_mapping
from assistant.errors import RejectedFile

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_MD_TITLE = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_MD_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")
# front matter keys read as citation metadata (metadata.from_mapping), not kept as written
_CITED_KEYS = frozenset({"author", "published", "site", "publisher", "url"})


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


def read_text(data: bytes, shown: str, *, html: bool = False) -> str:
    """Decoded, cleaned text, or RejectedFile if the bytes are not text at all."""
    text = _decode(data, html=html)
    controls = len(CONTROL.findall(text))
    if binary_signature(data) is not None or "\x00" in text or controls > 0.05 * max(len(text), 1):
        raise RejectedFile(f"'{shown}' looks binary, not text")
    return clean(text)


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
    scalars = {
        str(key): value
        for key, value in parsed.items()
        if isinstance(value, str | int | float | bool | datetime.date | datetime.datetime)
    }
    title = collapse(str(scalars.pop("title", ""))) or None
    cited = from_mapping(scalars)
    metadata = {
        key: str(value).strip()
        for key, value in scalars.items()
        if key not in _CITED_KEYS and not (key == "date" and "published" in cited)
    }
    return text[match.end() :], {**metadata, **cited}, title


def extract_txt(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    body, metadata, title = _front_matter(read_text(data, shown))
    found = blocks(body.split("\n"))
    if len(found) == 1 and len(found[0]) > 1:  # no blank lines at all: one paragraph a line
        texts = found[0]
    else:
        texts = [" ".join(block) for block in found]
    if title is None and texts and len(texts[0]) <= SHORT_TITLE and not texts[0].endswith("."):
        title = texts[0]
    return Extracted([(t, None) for t in texts], title, metadata)


def extract_md(data: bytes, shown: str, limits: ParseLimits) -> Extracted:
    body, metadata, title = _front_matter(read_text(data, shown))
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
    return Extracted([(t, None) for t in texts], title, metadata)
