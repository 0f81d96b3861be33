"""Hybrid retrieval: dense (vector store) and BM25 hits fused by reciprocal rank fusion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from assistant.index.bm25 import BM25Index
from assistant.index.embedder import Embedder
from assistant.index.store import ChunkStore
from assistant.types import Chunk, ScoredChunk

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class _Partial:
    chunk: Chunk | None = None
    dense_score: float | None = None
    bm25_score: float | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None


class HybridRetriever:
    """Finds the k passages most likely to answer a query."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        store: ChunkStore,
        bm25: Callable[[], BM25Index],
        k: int = 6,
        candidates: int = 30,
        rrf_k: int = 60,
        mode: Mode = "hybrid",
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.bm25 = bm25
        self.k = k
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.mode = mode

    def retrieve(
        self, query: str, k: int | None = None, mode: Mode | None = None
    ) -> list[ScoredChunk]:
        k = k or self.k
        mode = mode or self.mode
        n = max(self.candidates, k)
        found: dict[str, _Partial] = {}
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query)
            for rank, (chunk, score) in enumerate(self.store.search(vector, n), start=1):
                part = found.setdefault(chunk.chunk_id, _Partial())
                part.chunk, part.dense_score, part.dense_rank = chunk, score, rank
        if mode in ("hybrid", "bm25"):
            for rank, (chunk_id, score) in enumerate(self.bm25().search(query, n), start=1):
                part = found.setdefault(chunk_id, _Partial())
                part.bm25_score, part.bm25_rank = score, rank
        missing = [cid for cid, p in found.items() if p.chunk is None]
        if missing:
            for chunk in self.store.get(missing):
                found[chunk.chunk_id].chunk = chunk
        hits = [
            ScoredChunk(
                chunk=p.chunk,
                score=self._fused(p),
                dense_score=p.dense_score,
                bm25_score=p.bm25_score,
                dense_rank=p.dense_rank,
                bm25_rank=p.bm25_rank,
            )
            for p in found.values()
            if p.chunk is not None
        ]
        hits.sort(key=lambda h: (-h.score, h.chunk.chunk_id))
        return hits[:k]

    def _fused(self, part: _Partial) -> float:
        score = 0.0
        for rank in (part.dense_rank, part.bm25_rank):
            if rank is not None:
                score += 1.0 / (self.rrf_k + rank)
        return score
