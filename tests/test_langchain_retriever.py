"""`AssistantRetriever`: our hybrid retrieval as a LangChain retriever, with what citations need."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from assistant.config import Settings
from assistant.index.bm25 import BM25Index
from assistant.retrieval import (
    AssistantRetriever,
    HybridRetriever,
    hit_from_document,
    hit_to_document,
)
from assistant.runtime import Runtime
from assistant.testing import FakeAnswerer, FakeEmbedder, InMemoryStore
from assistant.types import Answer, Chunk, ScoredChunk

TEXTS = {
    "a": "Japan raised its defence budget sharply.",
    "b": "The defence budget of Japan will rise by 2027.",
    "c": "Robots and trade fairs in Osaka.",
}
QUERY = "defence budget 2027"


def _chunk(cid: str, text: str, page: int | None = None) -> Chunk:
    return Chunk(cid, f"doc-{cid}", f"Title {cid}", f"{cid}.pdf", text, 0, len(text), 2, 3, page)


@pytest.fixture
def hybrid() -> HybridRetriever:
    embedder = FakeEmbedder()
    store = InMemoryStore()
    chunks = [_chunk(cid, text, page=4 if cid == "b" else None) for cid, text in TEXTS.items()]
    store.add(chunks, embedder.embed([c.text for c in chunks]))
    bm25 = BM25Index()
    bm25.build([c.chunk_id for c in chunks], [c.text for c in chunks])
    return HybridRetriever(embedder=embedder, store=store, bm25=lambda: bm25, k=3)


def test_documents_are_the_hybrid_hits_in_order(hybrid: HybridRetriever) -> None:
    retriever = AssistantRetriever(hybrid=hybrid)
    assert isinstance(retriever, BaseRetriever)
    hits = hybrid.retrieve(QUERY)
    docs = retriever.invoke(QUERY)
    assert [d.id for d in docs] == [h.chunk.chunk_id for h in hits]
    assert [d.page_content for d in docs] == [h.chunk.text for h in hits]
    assert [hit_from_document(d) for d in docs] == hits


def test_metadata_carries_what_a_citation_needs(hybrid: HybridRetriever) -> None:
    top = AssistantRetriever(hybrid=hybrid).invoke(QUERY)[0]
    meta = top.metadata
    assert meta["chunk_id"] == "b" and meta["document_id"] == "doc-b"
    assert (meta["title"], meta["source"]) == ("Title b", "b.pdf")
    assert meta["location"] == "page 4, paragraphs 2\u20133"
    assert (meta["paragraph_start"], meta["paragraph_end"], meta["page"]) == (2, 3, 4)
    assert meta["score"] > 0 and meta["dense_rank"] == 1 and meta["bm25_rank"] == 1
    plain = (str, int, float)
    assert all(isinstance(v, plain) for v in meta.values())  # serialisable as it is


@pytest.mark.parametrize(
    "hit",
    [
        ScoredChunk(_chunk("x", "Text."), 0.03, dense_score=0.7, dense_rank=1),
        ScoredChunk(_chunk("y", "Other text.", page=9), 0.01, bm25_score=2.5, bm25_rank=3),
    ],
)
def test_a_hit_survives_the_round_trip(hit: ScoredChunk) -> None:
    assert hit_from_document(hit_to_document(hit)) == hit


def test_k_and_mode_are_honoured(hybrid: HybridRetriever) -> None:
    assert len(AssistantRetriever(hybrid=hybrid, k=2).invoke("Japan")) == 2
    bm25_only = AssistantRetriever(hybrid=hybrid, mode="bm25").invoke("Osaka robots")
    assert [d.id for d in bm25_only] == ["c"]
    assert "dense_score" not in bm25_only[0].metadata


def test_it_composes_with_other_langchain_runnables(hybrid: HybridRetriever) -> None:
    def cite(docs: list[Document]) -> str:
        return "\n".join(f"[{d.metadata['title']}, {d.metadata['location']}]" for d in docs)

    pipeline = AssistantRetriever(hybrid=hybrid, k=1) | RunnableLambda(cite)
    assert pipeline.invoke(QUERY) == "[Title b, page 4, paragraphs 2\u20133]"
    assert len(AssistantRetriever(hybrid=hybrid).batch([QUERY, "Osaka"])) == 2
    assert asyncio.run(AssistantRetriever(hybrid=hybrid).ainvoke(QUERY))[0].id == "b"


def test_runtime_offers_it_and_ask_and_stream_answer_from_it(tmp_path: Path) -> None:
    knowledge = tmp_path / "notes.md"
    knowledge.write_text(
        "# Notes\n\nThe Harbour Bridge opened in March 1932.\n\nOsaka hosts trade fairs.\n",
        encoding="utf-8",
    )
    runtime = Runtime(
        Settings(data_dir=tmp_path / "data"),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
        answerer_override=FakeAnswerer(),
    )
    runtime.knowledge.ingest([knowledge])
    question = "When did the Harbour Bridge open?"
    docs = runtime.as_retriever(k=1).invoke(question)
    assert docs[0].metadata["title"] == "Notes" and "1932" in docs[0].page_content
    asked = runtime.chain.ask(question)
    *deltas, streamed = runtime.chain.stream(question)
    assert deltas == [streamed.text]  # type: ignore[union-attr]
    for answer in (asked, streamed):
        assert isinstance(answer, Answer)
        assert [h.chunk.chunk_id for h in answer.retrieved] == [
            d.id for d in runtime.as_retriever().invoke(question)
        ]
        assert answer.query == question and answer.text == asked.text
        assert set(answer.timings_ms) == {"condense", "retrieve", "answer", "total"}
