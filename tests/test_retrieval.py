"""Hybrid retrieval: reciprocal rank fusion of the dense and BM25 rankings."""

from __future__ import annotations

import numpy as np

from assistant.index.bm25 import BM25Index
from assistant.retrieval import HybridRetriever
from assistant.testing import FakeEmbedder, InMemoryStore
from assistant.types import Chunk


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, "doc", "Doc", "doc.txt", text, 0, len(text), 1, 1)


def _retriever(texts: dict[str, str], k: int = 3) -> HybridRetriever:
    embedder = FakeEmbedder()
    store = InMemoryStore()
    chunks = [_chunk(cid, text) for cid, text in texts.items()]
    store.add(chunks, embedder.embed([c.text for c in chunks]))
    bm25 = BM25Index()
    bm25.build([c.chunk_id for c in chunks], [c.text for c in chunks])
    return HybridRetriever(embedder=embedder, store=store, bm25=lambda: bm25, k=k, rrf_k=60)


TEXTS = {
    "a": "Japan raised its defence budget sharply.",
    "b": "The defence budget of Japan will rise by 2027.",
    "c": "Robots and trade fairs in Osaka.",
}


def test_hybrid_scores_are_reciprocal_rank_fusion() -> None:
    retriever = _retriever(TEXTS)
    dense = [
        c.chunk_id
        for c, _ in retriever.store.search(retriever.embedder.embed_query("defence budget 2027"), 3)
    ]
    sparse = [cid for cid, _ in retriever.bm25().search("defence budget 2027", 3)]
    hits = retriever.retrieve("defence budget 2027")
    for hit in hits:
        cid = hit.chunk.chunk_id
        expected = 0.0
        if cid in dense:
            expected += 1 / (60 + dense.index(cid) + 1)
            assert hit.dense_rank == dense.index(cid) + 1
        if cid in sparse:
            expected += 1 / (60 + sparse.index(cid) + 1)
            assert hit.bm25_rank == sparse.index(cid) + 1
        assert np.isclose(hit.score, expected)
    assert hits[0].chunk.chunk_id == "b"  # first in both rankings
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_modes_use_one_retriever_each() -> None:
    retriever = _retriever(TEXTS)
    bm25_only = retriever.retrieve("Osaka robots", mode="bm25")
    assert [h.chunk.chunk_id for h in bm25_only] == ["c"]
    assert bm25_only[0].dense_score is None and bm25_only[0].bm25_score is not None
    dense_only = retriever.retrieve("Osaka robots", mode="dense")
    assert all(h.bm25_score is None for h in dense_only)
    assert len(dense_only) == 3


def test_k_limits_the_hits_and_empty_index_returns_nothing() -> None:
    assert len(_retriever(TEXTS, k=2).retrieve("Japan")) == 2
    assert _retriever({}).retrieve("anything") == []
