"""One contract per seam, run against every implementation: stores, embedders, answerers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.generation.base import Answerer
from assistant.generation.extractive import ExtractiveAnswerer
from assistant.index.embedder import Embedder
from assistant.index.store import ChromaStore, ChunkStore
from assistant.testing import FakeAnswerer, FakeChatModel, FakeEmbedder, FakeReader, InMemoryStore
from assistant.types import Answer, Chunk, ScoredChunk


def _chunks(n: int, document_id: str = "doc") -> list[Chunk]:
    return [
        Chunk(
            f"{document_id}-{i:04d}",
            document_id,
            "Title",
            "t.md",
            f"text {i}",
            i * 10,
            i * 10 + 6,
            i + 1,
            i + 1,
        )
        for i in range(n)
    ]


def _vectors(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(
    params=[
        "memory",
        "chroma-embedded",
        pytest.param("chroma-server", marks=pytest.mark.integration),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChunkStore]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "chroma-embedded":
        yield ChromaStore(path=tmp_path / "chroma", collection="contract")
    else:
        url = request.getfixturevalue("chroma_server")
        yield ChromaStore(url=url, collection=f"contract-{uuid.uuid4().hex[:12]}")


class TestChunkStoreContract:
    def test_add_get_count_and_ids_by_document(self, store: ChunkStore) -> None:
        a, b = _chunks(3, "a"), _chunks(2, "b")
        store.add(a + b, _vectors(5))
        assert store.count() == 5
        assert store.ids("a") == {c.chunk_id for c in a}
        assert store.ids() == {c.chunk_id for c in a + b}
        assert store.get([b[1].chunk_id, a[0].chunk_id, "missing"]) == [b[1], a[0]]
        assert sorted(store.chunks("b"), key=lambda c: c.chunk_id) == b

    def test_search_returns_cosine_similarity_best_first(self, store: ChunkStore) -> None:
        chunks, vectors = _chunks(6), _vectors(6)
        store.add(chunks, vectors)
        hits = store.search(vectors[3], 3)
        assert hits[0][0] == chunks[3]
        assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
        expected = sorted(range(6), key=lambda i: -float(vectors[i] @ vectors[3]))[:3]
        assert [c.chunk_id for c, _ in hits] == [chunks[i].chunk_id for i in expected]
        for chunk, score in hits:
            i = chunks.index(chunk)
            assert score == pytest.approx(float(vectors[i] @ vectors[3]), abs=1e-4)

    def test_search_within_chosen_documents(self, store: ChunkStore) -> None:
        a, b, c = _chunks(3, "a"), _chunks(4, "b"), _chunks(2, "c")
        vectors = _vectors(9)
        store.add(a + b + c, vectors)
        query = vectors[0]  # a's first chunk is the best match overall
        hits = store.search(query, 5, document_ids={"b", "c"})
        assert len(hits) == 5  # n hits come back when the chosen documents hold n chunks
        assert {chunk.document_id for chunk, _ in hits} == {"b", "c"}
        scores = [score for _, score in hits]
        assert scores == sorted(scores, reverse=True)
        only_c = store.search(query, 5, document_ids=["c"])
        assert sorted(chunk.chunk_id for chunk, _ in only_c) == [x.chunk_id for x in c]
        assert store.search(query, 5, document_ids=set()) == []
        assert store.search(query, 5, document_ids={"missing"}) == []

    def test_upsert_is_idempotent_and_metadata_updates(self, store: ChunkStore) -> None:
        chunks = _chunks(2)
        store.add(chunks, _vectors(2))
        store.add(chunks, _vectors(2))
        assert store.count() == 2
        moved = Chunk(
            chunks[0].chunk_id, "doc", "New title", "t.md", chunks[0].text, 100, 106, 9, 9, page=3
        )
        store.update_metadata([moved])
        assert store.get([moved.chunk_id]) == [moved]

    def test_delete(self, store: ChunkStore) -> None:
        chunks = _chunks(4)
        store.add(chunks, _vectors(4))
        store.delete([chunks[0].chunk_id, chunks[2].chunk_id, "missing"])
        assert store.ids() == {chunks[1].chunk_id, chunks[3].chunk_id}
        assert {c.chunk_id for c, _ in store.search(_vectors(1, seed=5)[0], 10)} == store.ids()

    def test_empty_store(self, store: ChunkStore) -> None:
        assert store.count() == 0
        assert store.search(_vectors(1)[0], 5) == []
        assert store.ids() == set()

    def test_vectors_are_the_stored_ones(self, store: ChunkStore) -> None:
        chunks, vectors = _chunks(3), _vectors(3)
        store.add(chunks, vectors)
        got = store.vectors([chunks[2].chunk_id, chunks[0].chunk_id, "missing"])
        assert set(got) == {chunks[0].chunk_id, chunks[2].chunk_id}
        assert np.allclose(got[chunks[2].chunk_id], vectors[2], atol=1e-6)

    def test_refresh_after_only_its_own_writes_changes_nothing(self, store: ChunkStore) -> None:
        store.add(_chunks(2), _vectors(2))
        assert store.refresh() is False
        assert store.count() == 2


def test_chroma_store_batches_past_its_limit(tmp_path: Path) -> None:
    store = ChromaStore(path=tmp_path / "chroma", collection="batches")
    store.max_batch = 7  # force several calls
    chunks = _chunks(30)
    store.add(chunks, _vectors(30))
    assert store.count() == 30
    assert store.ids() == {c.chunk_id for c in chunks}
    store.delete([c.chunk_id for c in chunks[:20]])
    assert store.count() == 10


@pytest.fixture(params=["fake", pytest.param("minilm", marks=pytest.mark.integration)])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "fake":
        return FakeEmbedder()
    return request.getfixturevalue("real_embedder")  # type: ignore[no-any-return]


class TestEmbedderContract:
    def test_unit_vectors_of_fixed_dimension(self, embedder: Embedder) -> None:
        vectors = embedder.embed(["Japan raised its defence budget.", "Robots in Osaka.", ""])
        assert vectors.shape == (3, embedder.dimension)
        assert vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert embedder.embed([]).shape == (0, embedder.dimension)

    def test_deterministic_and_query_matches_documents(self, embedder: Embedder) -> None:
        text = "Japan's defence budget will be 65 per cent higher."
        assert np.allclose(embedder.embed([text])[0], embedder.embed_query(text), atol=1e-5)
        assert np.allclose(embedder.embed([text]), embedder.embed([text]), atol=1e-6)

    def test_similar_texts_are_closer(self, embedder: Embedder) -> None:
        a, b, c = embedder.embed(
            [
                "Japan's defence budget grows",
                "the defence budget of Japan grows",
                "sourdough bread recipe",
            ]
        )
        assert float(a @ b) > float(a @ c)

    def test_progress_callback_counts_texts(self, embedder: Embedder) -> None:
        seen: list[int] = []
        embedder.embed([f"text {i}" for i in range(5)], on_batch=seen.append)
        assert sum(seen) == 5

    def test_embed_many_cached_equals_embed(self, embedder: Embedder) -> None:
        texts = ["The yen fell.", "Robots in Osaka.", "The yen fell."]
        assert np.allclose(embedder.embed_many_cached(texts), embedder.embed(texts), atol=1e-5)
        assert np.allclose(embedder.embed_many_cached(texts), embedder.embed(texts), atol=1e-5)
        assert embedder.embed_many_cached([]).shape == (0, embedder.dimension)


def _hits() -> list[ScoredChunk]:
    text = "Japan will buy Tomahawk cruise missiles by 2027. The budget grows 65 per cent."
    chunk = Chunk("c1", "doc", "Doc", "doc.md", text, 0, len(text), 1, 1)
    return [ScoredChunk(chunk=chunk, score=0.03)]


@pytest.fixture(params=["extractive", "fake", "llm-fake-chat"])
def answerer(request: pytest.FixtureRequest) -> Answerer:
    if request.param == "extractive":
        return ExtractiveAnswerer(FakeEmbedder(), FakeReader(), min_score=0.2)
    if request.param == "fake":
        return FakeAnswerer()
    from assistant.generation.llm import LLMAnswerer

    chat = FakeChatModel("Japan will buy Tomahawk cruise missiles by 2027 [1].")
    return LLMAnswerer(
        chat_model=chat,
        name="fake-chat",
        offline=ExtractiveAnswerer(FakeEmbedder(), FakeReader(), min_score=0.2),
        embedder=FakeEmbedder(),
        min_similarity=0.0,
    )


class TestAnswererContract:
    def test_every_marker_names_a_listed_citation_and_quotes_are_verbatim(
        self, answerer: Answerer
    ) -> None:
        answer = answerer.answer("Which missiles will Japan buy?", [], _hits())
        assert not answer.abstained
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
        assert markers == {c.n for c in answer.citations}
        for citation in answer.citations:
            for part in citation.quote.split(" … "):
                assert part in " ".join(citation.passage.split())
        assert answer.sentences and all(
            s.status in {"supported", "unsupported", "uncited"} for s in answer.sentences
        )

    def test_no_hits_declines_without_citations(self, answerer: Answerer) -> None:
        answer = answerer.answer("Which missiles will Japan buy?", [], [])
        assert answer.abstained and answer.citations == []

    def test_stream_ends_with_the_answer(self, answerer: Answerer) -> None:
        items = list(answerer.stream("Which missiles will Japan buy?", [], _hits()))
        assert isinstance(items[-1], Answer)
        assert all(isinstance(i, str) for i in items[:-1])
