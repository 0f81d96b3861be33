"""Splits a loaded document into passages (paragraph-aware, never across PDF pages) with stable ids."""

from __future__ import annotations

import bisect
import hashlib
from collections import Counter

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.types import Chunk, Document, Paragraph, cited_metadata

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_id_for(document_id: str, text: str, occurrence: int) -> str:
    """Derived from content: the same passage of the same document always gets the same id."""
    digest = hashlib.sha256(f"{document_id}\x00{occurrence}\x00{text}".encode())
    return digest.hexdigest()[:32]


def _page_spans(doc: Document) -> list[tuple[int, int, int | None, list[Paragraph]]]:
    """Consecutive runs of paragraphs on the same page (one run for documents without pages)."""
    runs: list[tuple[int, int, int | None, list[Paragraph]]] = []
    for para in doc.paragraphs:
        if runs and runs[-1][2] == para.page:
            start, _, page, paras = runs[-1]
            paras.append(para)
            runs[-1] = (start, para.end, page, paras)
        else:
            runs.append((para.start, para.end, para.page, [para]))
    return runs


def locate(text: str, piece: str, guess: int, lo: int, hi: int, *, window: int) -> int:
    """Where piece starts in text[lo:hi]: at guess when it is there, else the first match from
    `window` characters before the guess, else the first in the span; guess (kept inside the
    span) only when the piece is nowhere in it."""
    if lo <= guess and text[guess : guess + len(piece)] == piece:
        return guess
    for start_from in (max(lo, guess - window), lo):
        found = text.find(piece, start_from, hi)
        if found != -1:
            return found
    return min(max(guess, lo), max(lo, hi - len(piece)))


def chunk_document(
    doc: Document, document_id: str, *, chunk_size: int = 1000, chunk_overlap: int = 0
) -> list[Chunk]:
    """Passages of at most chunk_size characters, split at paragraph, then sentence, boundaries."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    seen: Counter[str] = Counter()
    metadata = cited_metadata(doc.metadata)
    for run_start, run_end, page, paras in _page_spans(doc):
        starts = [p.start for p in paras]
        for piece in splitter.create_documents([doc.text[run_start:run_end]]):
            text = piece.page_content
            guess = run_start + int(piece.metadata["start_index"])
            start = locate(doc.text, text, guess, run_start, run_end, window=chunk_size)
            end = start + len(text)
            first = paras[max(0, bisect.bisect_right(starts, start) - 1)]
            last = paras[max(0, bisect.bisect_right(starts, end - 1) - 1)]
            occurrence = seen[text]
            seen[text] += 1
            chunks.append(
                Chunk(
                    chunk_id=chunk_id_for(document_id, text, occurrence),
                    document_id=document_id,
                    title=doc.title,
                    source=doc.source,
                    text=text,
                    start=start,
                    end=end,
                    paragraph_start=first.number,
                    paragraph_end=last.number,
                    page=page,
                    document_metadata=metadata,
                )
            )
    return chunks
