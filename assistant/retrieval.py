"""Hybrid retrieval: dense (vector store) and BM25 hits fused by reciprocal rank fusion.

`HybridRetriever` returns our `ScoredChunk`s; `AssistantRetriever` offers the same retrieval as a
LangChain retriever, whose Documents carry in their metadata what a citation needs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

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
        self,
        query: str,
        k: int | None = None,
        mode: Mode | None = None,
        document_ids: Collection[str] | None = None,
    ) -> list[ScoredChunk]:
        """The k best passages; with document_ids, only passages of those documents."""
        k = k or self.k
        mode = mode or self.mode
        n = max(self.candidates, k)
        found: dict[str, _Partial] = {}
        if mode in ("hybrid", "dense"):
            vector = self.embedder.embed_query(query)
            dense = self.store.search(vector, n, document_ids)
            for rank, (chunk, score) in enumerate(dense, start=1):
                part = found.setdefault(chunk.chunk_id, _Partial())
                part.chunk, part.dense_score, part.dense_rank = chunk, score, rank
        if mode in ("hybrid", "bm25"):
            lexical = self.bm25().search(query, n, self._chunk_ids(document_ids))
            for rank, (chunk_id, score) in enumerate(lexical, start=1):
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

    def _chunk_ids(self, document_ids: Collection[str] | None) -> set[str] | None:
        """The chunks of these documents (None: no limit)."""
        if document_ids is None:
            return None
        return set().union(*(self.store.ids(d) for d in document_ids))

    def _fused(self, part: _Partial) -> float:
        score = 0.0
        for rank in (part.dense_rank, part.bm25_rank):
            if rank is not None:
                score += 1.0 / (self.rrf_k + rank)
        return score


_SCORES = ("score", "dense_score", "bm25_score", "dense_rank", "bm25_rank")


def hit_to_document(hit: ScoredChunk) -> LCDocument:
    """A hit as a LangChain Document: the passage text, and plain metadata to cite it by.

    Metadata: chunk_id, document_id, title, source, location ("paragraph 4", "page 2, ..."),
    start, end, paragraph_start, paragraph_end, page (PDFs), score (fused), and the dense and
    BM25 scores and ranks of the retrievers that found it.
    """
    chunk = hit.chunk
    metadata: dict[str, Any] = {"chunk_id": chunk.chunk_id, **chunk.to_metadata()}
    metadata["location"] = chunk.location
    scores = (hit.score, hit.dense_score, hit.bm25_score, hit.dense_rank, hit.bm25_rank)
    metadata.update({k: v for k, v in zip(_SCORES, scores, strict=True) if v is not None})
    return LCDocument(page_content=chunk.text, id=chunk.chunk_id, metadata=metadata)


def hit_from_document(document: LCDocument) -> ScoredChunk:
    """The hit a Document of `hit_to_document` was made from."""
    meta = document.metadata
    chunk = Chunk.from_metadata(str(meta["chunk_id"]), document.page_content, meta)
    return ScoredChunk(chunk, **{name: meta[name] for name in _SCORES if name in meta})


class AssistantRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain retriever: `invoke(query)` -> Documents to cite.

    `k` and `mode` default to the hybrid retriever's own (the settings' `k`, "hybrid");
    `document_ids`, when set, limits retrieval to those documents.
    """

    hybrid: HybridRetriever
    k: int | None = None
    mode: Mode | None = None
    document_ids: frozenset[str] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits = self.hybrid.retrieve(query, k=self.k, mode=self.mode, document_ids=self.document_ids)
        return [hit_to_document(hit) for hit in hits]
