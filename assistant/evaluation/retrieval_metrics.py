"""Retrieval metrics, as pure functions with exact definitions.

Against expected sources (our question sets)
    An expected source ``{document, quote}`` is *found* in a chunk when the document matches (the
    chunk's document id, its source path, or the file name of its source path equals ``document``)
    and ``normalize_phrase(quote)`` is a substring of ``normalize_phrase(chunk text)``.
    ``hit_at_k`` is 1 when any expected source is found in the first k chunks; ``recall_at_k`` is
    the share of expected sources found in the first k chunks; ``reciprocal_rank`` is 1/rank of
    the first chunk (1-based) in which any expected source is found, 0 when there is none.

Over ids (BEIR / pytrec_eval conventions)
    Relevant means a qrels grade above 0; repeated ids in a ranking count only at their first
    rank. ``ndcg_at_k``: DCG = sum over ranks i <= k of grade_i / log2(i + 1), divided by the DCG of
    the ideal ordering of the qrels grades (0 when nothing is relevant). ``recall_at_k_ids``:
    relevant ids in the top k / all relevant ids. ``mrr_at_k_ids``: 1/rank of the first relevant id
    in the top k, else 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from assistant.evaluation.metrics import ExpectedSource, document_matches, normalize_phrase
from assistant.types import ScoredChunk


class ChunkLike(Protocol):
    """What the retrieval metrics read from a chunk; :class:`assistant.types.Chunk` fits."""

    @property
    def document_id(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def text(self) -> str: ...


# --- against expected sources ---------------------------------------------------------------


def _unwrap(chunk: ChunkLike | ScoredChunk) -> ChunkLike:
    return chunk.chunk if isinstance(chunk, ScoredChunk) else chunk


def source_in_chunk(chunk: ChunkLike | ScoredChunk, expected: ExpectedSource) -> bool:
    """Whether the expected source is found in the chunk: same document, quote inside its text."""
    c = _unwrap(chunk)
    return document_matches(expected.document, c.document_id, c.source) and (
        normalize_phrase(expected.quote) in normalize_phrase(c.text)
    )


def _check(expected: Sequence[ExpectedSource], k: int | None) -> None:
    if not expected:
        raise ValueError("retrieval metrics need at least one expected source")
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1, not {k}")


def sources_found(
    retrieved: Sequence[ChunkLike | ScoredChunk], expected: Sequence[ExpectedSource], k: int
) -> list[bool]:
    """For each expected source, whether it is found in one of the first k retrieved chunks."""
    _check(expected, k)
    top = retrieved[:k]
    return [any(source_in_chunk(c, source) for c in top) for source in expected]


def hit_at_k(
    retrieved: Sequence[ChunkLike | ScoredChunk], expected: Sequence[ExpectedSource], k: int
) -> float:
    """1.0 when any expected source is found in the first k chunks, else 0.0."""
    return float(any(sources_found(retrieved, expected, k)))


def recall_at_k(
    retrieved: Sequence[ChunkLike | ScoredChunk], expected: Sequence[ExpectedSource], k: int
) -> float:
    """The share of expected sources found in the first k chunks."""
    found = sources_found(retrieved, expected, k)
    return sum(found) / len(found)


def reciprocal_rank(
    retrieved: Sequence[ChunkLike | ScoredChunk],
    expected: Sequence[ExpectedSource],
    k: int | None = None,
) -> float:
    """1/rank of the first chunk containing any expected source (within the first k if given)."""
    _check(expected, k)
    top = retrieved if k is None else retrieved[:k]
    for rank, chunk in enumerate(top, start=1):
        if any(source_in_chunk(chunk, source) for source in expected):
            return 1.0 / rank
    return 0.0


# --- ranking metrics over ids (BEIR) --------------------------------------------------------


def _first_k_unique(ranked_ids: Sequence[str], k: int) -> list[str]:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    seen: set[str] = set()
    unique: list[str] = []
    for doc_id in ranked_ids:
        if doc_id not in seen:
            seen.add(doc_id)
            unique.append(doc_id)
            if len(unique) == k:
                break
    return unique


def ndcg_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """nDCG@k with graded relevance and a log2(rank + 1) discount, as pytrec_eval's ndcg_cut."""
    top = _first_k_unique(ranked_ids, k)
    dcg = sum(
        max(qrels.get(doc_id, 0), 0) / math.log2(rank + 1)
        for rank, doc_id in enumerate(top, start=1)
    )
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k_ids(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """Relevant ids (grade > 0) in the top k over all relevant ids; 0 when none are relevant."""
    relevant = {doc_id for doc_id, grade in qrels.items() if grade > 0}
    top = _first_k_unique(ranked_ids, k)
    return len(relevant.intersection(top)) / len(relevant) if relevant else 0.0


def mrr_at_k_ids(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """1/rank of the first relevant id (grade > 0) in the top k, else 0."""
    for rank, doc_id in enumerate(_first_k_unique(ranked_ids, k), start=1):
        if qrels.get(doc_id, 0) > 0:
            return 1.0 / rank
    return 0.0
