"""Citations: sentence spans in passages, numbering the cited passages, and where each quote sits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.types import Chunk, Citation

CITATION_MARK = re.compile(r"\s*\[(\d+)\]")


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


@lru_cache(maxsize=8192)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence in text, whitespace trimmed; paragraphs never join."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for block in text.split("\n\n"):
        if block.strip():
            for seg in _segmenter().segment(block):
                start, end = offset + seg.start, offset + seg.end
                piece = text[start:end]
                lead = len(piece) - len(piece.lstrip())
                trail = len(piece) - len(piece.rstrip())
                if end - trail > start + lead:
                    spans.append((start + lead, end - trail))
        offset += len(block) + 2
    return tuple(spans)


def location_of(chunk: Chunk, offset: int) -> str:
    """Paragraph (and page) of a character offset inside a chunk."""
    paragraph = chunk.paragraph_start + chunk.text.count("\n\n", 0, offset)
    where = f"paragraph {paragraph}"
    return f"page {chunk.page}, {where}" if chunk.page is not None else where


@dataclass(frozen=True)
class Quote:
    """A sentence taken from a passage."""

    chunk: Chunk
    start: int
    end: int

    @property
    def text(self) -> str:
        return " ".join(self.chunk.text[self.start : self.end].split())


def number_citations(quotes: list[Quote]) -> tuple[list[Citation], list[int]]:
    """One numbered citation per passage, numbered in order of first use; the number of each quote."""
    order: dict[str, int] = {}
    grouped: dict[str, list[Quote]] = {}
    numbers: list[int] = []
    for quote in quotes:
        cid = quote.chunk.chunk_id
        if cid not in order:
            order[cid] = len(order) + 1
            grouped[cid] = []
        grouped[cid].append(quote)
        numbers.append(order[cid])
    citations: list[Citation] = []
    for cid, n in order.items():
        parts = sorted(grouped[cid], key=lambda q: q.start)
        chunk = parts[0].chunk
        locations = list(dict.fromkeys(location_of(chunk, q.start) for q in parts))
        citations.append(
            Citation(
                n=n,
                chunk_id=cid,
                document_id=chunk.document_id,
                title=chunk.title,
                location=_merge_locations(locations),
                quote=" … ".join(q.text for q in parts),
                passage=chunk.text,
                highlights=tuple((q.start, q.end) for q in parts),
                source=chunk.source,
            )
        )
    return citations, numbers


def _merge_locations(locations: list[str]) -> str:
    if len(locations) == 1:
        return locations[0]
    prefix = "page " if locations[0].startswith("page ") else ""
    if prefix:
        return "; ".join(locations)
    numbers = [loc.removeprefix("paragraph ") for loc in locations]
    return "paragraphs " + ", ".join(numbers)
