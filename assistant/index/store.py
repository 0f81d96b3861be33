"""The vector store: the ChunkStore protocol and its Chroma implementation (embedded or server).

Sharing an embedded store between processes (the web chat serving while `assistant ingest`
writes): Chroma's embedded client keeps the vector index in memory and never notices another
process's writes, so a long-running reader would search a stale index and even fail on chunks
deleted under it. Every write here therefore replaces a small generation file next to the store;
before each read a client compares it with the one it last saw and, when it changed, re-opens
its Chroma client, but only while it can take the data directory's write lock without waiting
(a re-open never overlaps a write). Writers themselves call refresh() after taking the lock.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlparse

import numpy as np

from assistant.errors import AssistantError
from assistant.index.datadir import LockState, WriteLock, generation_file, opening_in_turns
from assistant.types import Chunk

COSINE: dict[str, Any] = {"hnsw:space": "cosine"}


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

    def search(
        self, vector: np.ndarray, n: int, document_ids: Collection[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        """The n chunks nearest to vector with their cosine similarity; with document_ids,
        only chunks of those documents (n of them when they hold n)."""
        ...

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (for checks: dimension, nothing re-embedded)."""
        ...

    def refresh(self) -> bool:
        """Catch up with other processes' writes; True when it re-read. The caller holds the
        write lock (writers call it right after taking it)."""
        ...


def _forget_cached_system(client: Any, path: Path) -> None:
    """Make Chroma's next PersistentClient for path load from disk instead of reusing this one's.

    Chroma caches one "system" (its in-memory view of a store) per path, process-wide, in the
    private class dictionaries of SharedSystemClient; there is no public way to drop it. It is
    forgotten without being stopped: another thread may still be reading through it.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    identifier = getattr(client, "_identifier", str(path))
    SharedSystemClient._identifier_to_system.pop(identifier, None)
    SharedSystemClient._identifier_to_refcount.pop(identifier, None)


class ChromaStore:
    """Chroma, as a PersistentClient in the data directory or an HttpClient for a server."""

    def __init__(
        self,
        *,
        path: Path | None = None,
        url: str | None = None,
        collection: str = "knowledge",
        embed: Callable[[list[str]], np.ndarray] | None = None,
        write_lock: WriteLock | None = None,
        collection_metadata: dict[str, Any] | None = None,
    ) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self._collection_name = collection
        self._collection_metadata = dict(collection_metadata or COSINE)
        self._embed = embed
        self._settings = chroma_settings
        self._path = None if url else path
        self._write_lock = write_lock
        self._refresh_lock = threading.RLock()
        self._seen: tuple[int, int] | None = None
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
            self._seen = self._generation()
        # Two processes creating the same new store at once race on Chroma's schema
        # ("table collections already exists"): the first open is taken in turns.
        with opening_in_turns(self._path):
            if self._path is not None:
                self._client = self._open_persistent()
            try:
                self._collection = self._get_collection(self._client)
            except Exception as exc:
                raise AssistantError(
                    f"cannot open the collection '{collection}' of the vector store: {exc}; "
                    "see: assistant doctor"
                ) from exc
        self.max_batch = int(self._client.get_max_batch_size())

    # ---- staying current when another process writes (embedded mode only) ----

    @property
    def generation_file(self) -> Path | None:
        """The file every write replaces (embedded mode; None for a Chroma server)."""
        return generation_file(self._path) if self._path is not None else None

    def _generation(self) -> tuple[int, int] | None:
        marker = self.generation_file
        if marker is None:
            return None
        try:
            st = marker.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _open_persistent(self) -> Any:
        import chromadb

        try:
            return chromadb.PersistentClient(path=str(self._path), settings=self._settings)
        except Exception as exc:
            raise AssistantError(
                f"cannot open the vector store in {self._path}: {exc}; see: assistant doctor"
            ) from exc

    def _get_collection(self, client: Any) -> Any:
        return client.get_or_create_collection(
            name=self._collection_name,
            embedding_function=_OurEmbeddingFunction(self._embed),
            metadata=self._collection_metadata,
        )

    def _mark_written(self) -> None:
        """Tell other processes' clients that the store changed (atomic replace of a tiny file)."""
        marker = self.generation_file
        if marker is None:
            return
        tmp = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
        tmp.write_text(uuid.uuid4().hex)
        os.replace(tmp, marker)
        self._seen = self._generation()

    def refresh(self) -> bool:
        """Re-open the embedded client if another process wrote since; the caller holds the lock."""
        if self._path is None:
            return False
        with self._refresh_lock:
            now = self._generation()
            if now == self._seen:
                return False
            _forget_cached_system(self._client, self._path)
            client = self._open_persistent()
            self._collection = self._get_collection(client)
            self._client = client
            self._seen = now
            return True

    def _current(self) -> Any:
        """The collection to read from, re-opened first if another process wrote meanwhile."""
        if self._path is not None and self._generation() != self._seen:
            self._try_refresh()
        return self._collection

    def _try_refresh(self) -> None:
        if self._write_lock is None:
            self.refresh()
            return
        with self._write_lock.attempt() as state:
            # BUSY: keep reading the old view until the writer finishes. UNAVAILABLE: a
            # read-only data directory, so nobody can be writing through this path.
            if state is not LockState.BUSY:
                self.refresh()

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
            self._mark_written()

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        for i in self._batches(len(chunks)):
            part = chunks[i : i + self.max_batch]
            self._collection.update(
                ids=[c.chunk_id for c in part], metadatas=[c.to_metadata() for c in part]
            )
            self._mark_written()

    def delete(self, chunk_ids: Sequence[str]) -> None:
        ids = list(chunk_ids)
        for i in self._batches(len(ids)):
            self._collection.delete(ids=ids[i : i + self.max_batch])
            self._mark_written()

    def _get_all(self, where: dict[str, Any] | None, include: list[str]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"ids": [], "documents": [], "metadatas": []}
        offset = 0
        collection = self._current()
        while True:
            page = collection.get(where=where, include=include, limit=self.max_batch, offset=offset)
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
        collection = self._current()
        for i in self._batches(len(ids)):
            page = collection.get(
                ids=ids[i : i + self.max_batch], include=["documents", "metadatas"]
            )
            for cid, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                if text is not None and meta:
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
            if text is not None and meta
        ]

    def count(self) -> int:
        return int(self._current().count())

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (for checks: dimension, nothing re-embedded)."""
        out: dict[str, np.ndarray] = {}
        ids = list(chunk_ids)
        collection = self._current()
        for i in self._batches(len(ids)):
            page = collection.get(ids=ids[i : i + self.max_batch], include=["embeddings"])
            for cid, vec in zip(page["ids"], page["embeddings"], strict=True):
                out[cid] = np.asarray(vec, dtype=np.float32)
        return out

    def search(
        self, vector: np.ndarray, n: int, document_ids: Collection[str] | None = None
    ) -> list[tuple[Chunk, float]]:
        if document_ids is not None and not document_ids:
            return []
        collection = self._current()
        # No count() first: Chroma returns at most what it holds (and [] when empty), and count()
        # costs a scan on every question (45 ms embedded, 100 ms via a server at 100k chunks).
        result = collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=max(1, n),
            where=_document_filter(document_ids),
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
            if text is None or not meta:  # deleted under a stale view: skip, never crash
                continue
            hits.append((Chunk.from_metadata(cid, text, meta), 1.0 - float(dist)))
        return hits


def _document_filter(document_ids: Collection[str] | None) -> dict[str, Any] | None:
    """Chroma's `where` for chunks of these documents (None: every chunk)."""
    if document_ids is None:
        return None
    return {"document_id": {"$in": sorted(document_ids)}}


class _OurEmbeddingFunction:
    """Handed to Chroma so it never falls back to its default (downloading) embedding function."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray] | None) -> None:
        self._embed = embed

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        if self._embed is None:
            raise AssistantError("this store was opened without an embedder")
        return list(self._embed(list(input)))

    @staticmethod
    def name() -> str:
        return "assistant-embedder"

    def is_legacy(self) -> bool:
        return False

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _OurEmbeddingFunction:
        return _OurEmbeddingFunction(None)
