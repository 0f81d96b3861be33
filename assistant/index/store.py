"""The vector store: the ChunkStore protocol and its Chroma implementation (embedded or server)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlparse

import numpy as np

from assistant.errors import AssistantError
from assistant.types import Chunk


@runtime_checkable
class ChunkStore(Protocol):
    """Chunks with their vectors; cosine similarity search."""

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...

    def update_metadata(self, chunks: Sequence[Chunk]) -> None: ...

    def delete(self, chunk_ids: Sequence[str]) -> None: ...

    def ids(self, document_id: str | None = None) -> set[str]: ...

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]: ...

    def chunks(self, document_id: str | None = None) -> list[Chunk]: ...

    def count(self) -> int: ...

    def search(self, vector: np.ndarray, n: int) -> list[tuple[Chunk, float]]: ...


class ChromaStore:
    """Chroma, as a PersistentClient in the data directory or an HttpClient for a server."""

    def __init__(
        self,
        *,
        path: Path | None = None,
        url: str | None = None,
        collection: str = "knowledge",
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            try:
                self._client: Any = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                self._client.heartbeat()
            except Exception as exc:
                raise AssistantError(f"cannot reach the Chroma server at {url}: {exc}") from exc
        else:
            if path is None:
                raise AssistantError("ChromaStore needs a path or a url")
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self._collection = self._client.get_or_create_collection(
            name=collection,
            embedding_function=_OurEmbeddingFunction(embed),
            metadata={"hnsw:space": "cosine"},
        )
        self.max_batch = int(self._client.get_max_batch_size())

    def _batches(self, n: int) -> range:
        return range(0, n, self.max_batch)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for i in self._batches(len(chunks)):
            part = chunks[i : i + self.max_batch]
            self._collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[i : i + self.max_batch].astype(np.float32),
                documents=[c.text for c in part],
                metadatas=[c.to_metadata() for c in part],
            )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        for i in self._batches(len(chunks)):
            part = chunks[i : i + self.max_batch]
            self._collection.update(
                ids=[c.chunk_id for c in part], metadatas=[c.to_metadata() for c in part]
            )

    def delete(self, chunk_ids: Sequence[str]) -> None:
        ids = list(chunk_ids)
        for i in self._batches(len(ids)):
            self._collection.delete(ids=ids[i : i + self.max_batch])

    def _get_all(self, where: dict[str, Any] | None, include: list[str]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
        offset = 0
        while True:
            page = self._collection.get(
                where=where, include=include, limit=self.max_batch, offset=offset
            )
            out["ids"].extend(page["ids"])
            for key in ("documents", "metadatas"):
                if key in include:
                    out[key].extend(page[key] or [])
            if len(page["ids"]) < self.max_batch:
                return out
            offset += self.max_batch

    def ids(self, document_id: str | None = None) -> set[str]:
        where = {"document_id": document_id} if document_id else None
        return set(self._get_all(where, [])["ids"])

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        found: dict[str, Chunk] = {}
        ids = list(chunk_ids)
        for i in self._batches(len(ids)):
            page = self._collection.get(
                ids=ids[i : i + self.max_batch], include=["documents", "metadatas"]
            )
            for cid, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                found[cid] = Chunk.from_metadata(cid, text, meta)
        return [found[c] for c in ids if c in found]

    def chunks(self, document_id: str | None = None) -> list[Chunk]:
        where = {"document_id": document_id} if document_id else None
        data = self._get_all(where, ["documents", "metadatas"])
        return [
            Chunk.from_metadata(cid, text, meta)
            for cid, text, meta in zip(
                data["ids"], data["documents"], data["metadatas"], strict=True
            )
        ]

    def count(self) -> int:
        return int(self._collection.count())

    def search(self, vector: np.ndarray, n: int) -> list[tuple[Chunk, float]]:
        total = self.count()
        if total == 0:
            return []
        result = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(n, total),
            include=["documents", "metadatas", "distances"],
        )
        hits: list[tuple[Chunk, float]] = []
        for cid, text, meta, dist in zip(
            result["ids"][0],
            result["documents"][0],
            result["metadatas"][0],
            result["distances"][0],
            strict=True,
        ):
            hits.append((Chunk.from_metadata(cid, text, meta), 1.0 - float(dist)))
        return hits


class _OurEmbeddingFunction:
    """Handed to Chroma so it never falls back to its default (downloading) embedding function."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray] | None) -> None:
        self._embed = embed

    def __call__(self, input: list[str]) -> list[np.ndarray]:  # noqa: A002 - Chroma's name
        if self._embed is None:
            raise AssistantError("this store was opened without an embedder")
        return list(self._embed(list(input)))

    @staticmethod
    def name() -> str:
        return "assistant-embedder"

    def is_legacy(self) -> bool:
        return False

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _OurEmbeddingFunction:
        return _OurEmbeddingFunction(None)
