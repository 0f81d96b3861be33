"""Chunking: offsets into the document, paragraph locations, page boundaries, stable ids."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.documents.chunking import chunk_document
from assistant.documents.loaders import load_bytes
from assistant.types import Document, Paragraph


def _doc(paragraphs: list[str], pages: list[int | None] | None = None) -> Document:
    text = "\n\n".join(paragraphs)
    paras, offset = [], 0
    for i, p in enumerate(paragraphs):
        page = pages[i] if pages else None
        number = i + 1 if pages is None else sum(1 for q in pages[: i + 1] if q == page)
        paras.append(Paragraph(number=number, start=offset, end=offset + len(p), page=page))
        offset += len(p) + 2
    return Document(text=text, title="T", source="t.txt", doc_type="txt", paragraphs=tuple(paras))


def test_chunks_are_exact_slices_with_paragraph_locations() -> None:
    paras = [f"Paragraph {i} says thing number {i}. " * 8 for i in range(1, 7)]
    doc = _doc([p.strip() for p in paras])
    chunks = chunk_document(doc, "doc-1", chunk_size=500)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 500
        assert chunk.text.startswith(f"Paragraph {chunk.paragraph_start} ")
        assert f"thing number {chunk.paragraph_end}." in chunk.text
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


def test_small_paragraphs_merge_and_long_ones_split_at_sentences() -> None:
    long = " ".join(f"Sentence {i} is here." for i in range(60))
    doc = _doc(["Short one.", "Short two.", long])
    chunks = chunk_document(doc, "d", chunk_size=300)
    assert chunks[0].text.startswith("Short one.\n\nShort two.")
    assert (chunks[0].paragraph_start, chunks[0].paragraph_end) == (1, 2)
    assert all(c.text.endswith(".") for c in chunks)
    assert all(c.paragraph_start == c.paragraph_end == 3 for c in chunks[1:])


def test_chunks_never_cross_pages() -> None:
    doc = _doc(["Page one text.", "More page one.", "Page two text."], pages=[1, 1, 2])
    chunks = chunk_document(doc, "pdf", chunk_size=1000)
    assert [(c.page, c.paragraph_start, c.paragraph_end) for c in chunks] == [(1, 1, 2), (2, 1, 1)]
    assert chunks[1].location == "page 2, paragraph 1"
    assert chunks[0].location == "page 1, paragraphs 1\u20132"


def test_ids_are_stable_and_derived_from_content() -> None:
    doc = _doc(["Alpha beta gamma.", "Delta epsilon."])
    first = chunk_document(doc, "doc", chunk_size=20)
    again = chunk_document(doc, "doc", chunk_size=20)
    other_doc = chunk_document(doc, "other", chunk_size=20)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in other_doc}
    edited = _doc(["Alpha beta gamma.", "Delta epsilon changed."])
    changed = chunk_document(edited, "doc", chunk_size=20)
    assert changed[0].chunk_id == first[0].chunk_id
    assert changed[1].chunk_id != first[1].chunk_id


def test_repeated_passages_get_distinct_ids() -> None:
    doc = _doc(["Same words here.", "Other words.", "Same words here."])
    ids = [c.chunk_id for c in chunk_document(doc, "d", chunk_size=20)]
    assert len(ids) == len(set(ids)) == 3


def test_founding_article_chunks_cover_its_ten_paragraphs(article_bytes: bytes) -> None:
    doc = load_bytes(article_bytes, "japan-second-trump-term.md", source="knowledge/x.md")
    chunks = chunk_document(doc, "japan", chunk_size=1000)
    assert chunks[0].paragraph_start == 1
    assert chunks[-1].paragraph_end == 10
    covered = {n for c in chunks for n in range(c.paragraph_start, c.paragraph_end + 1)}
    assert covered == set(range(1, 11))


def test_locate_trusts_the_guess_then_searches_near_it_then_the_whole_span() -> None:
    from assistant.documents.chunking import locate

    text = "alpha beta gamma beta delta"
    assert locate(text, "beta", 6, 0, len(text), window=5) == 6
    assert locate(text, "beta", 20, 0, len(text), window=5) == 17  # near the guess
    assert locate(text, "alpha", 20, 0, len(text), window=5) == 0  # behind the window
    assert locate(text, "beta", -1, 0, len(text), window=5) == 6  # a -1 from the splitter
    assert locate(text, "beta", 0, 12, 16, window=5) == 12  # not in the span: never -1
    assert locate(text, "omega", 3, 0, len(text), window=5) == 3


def test_a_splitter_that_misplaces_a_piece_never_yields_negative_offsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, a piece the splitter placed more than chunk_size after its real start was searched
    for from there on, not found (-1), and got start -1 and a wrong end."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    create = RecursiveCharacterTextSplitter.create_documents

    def misplaced(self: Any, texts: Any, metadatas: Any = None) -> Any:
        pieces = create(self, texts, metadatas)
        for piece in pieces:
            piece.metadata["start_index"] += 10_000
        return pieces

    monkeypatch.setattr(RecursiveCharacterTextSplitter, "create_documents", misplaced)
    doc = _doc([f"Paragraph {i} says thing number {i}. " * 8 for i in range(1, 5)])
    chunks = chunk_document(doc, "d", chunk_size=200)
    assert chunks
    for chunk in chunks:
        assert chunk.start >= 0 and doc.text[chunk.start : chunk.end] == chunk.text
