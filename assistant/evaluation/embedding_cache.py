"""An on-disk embedding cache for benchmarks: vectors keyed by model and the sha256 of the text.

Embedding a benchmark corpus (SciFact: 5,183 abstracts) takes minutes on a laptop CPU; the
second run of a benchmark should embed nothing. :class:`CachedEmbedder` wraps any
:class:`~assistant.index.embedder.Embedder` and keeps its vectors in one SQLite file per model,
``<cache dir>/embeddings/<model slug>.sqlite``, table ``vectors(key TEXT PRIMARY KEY, vector
BLOB)`` where ``key`` is the hex sha256 of the UTF-8 text and ``vector`` the float32 bytes.
The model's name is part of the file name, so two models never share vectors; the dimension is
checked on read.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.errors import AssistantError
from assistant.index.embedder import Embedder

_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def model_slug(name: str) -> str:
    """A file-name-safe form of a model name (a package name or a folder path)."""
    slug = _SLUG.sub("-", name.strip()).strip("-.")
    return slug or "model"


def text_key(text: str) -> str:
    """The cache key of a text: the hex sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """The SQLite file of one model's vectors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path))
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as exc:
            raise AssistantError(f"{path}: cannot open the embedding cache: {exc}") from exc

    @classmethod
    def for_model(cls, cache_dir: Path, model: str) -> EmbeddingCache:
        return cls(cache_dir / "embeddings" / f"{model_slug(model)}.sqlite")

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})",
                part,
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32).copy()
        return found

    def put_many(self, items: Sequence[tuple[str, np.ndarray]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
            [(key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items],
        )
        self._db.commit()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedEmbedder:
    """An Embedder that reads vectors from an :class:`EmbeddingCache` and embeds only the rest.

    ``embedded`` counts the texts actually sent to the wrapped model (0 on a warm second run).
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache, *, chunk: int = 256) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.embedded = 0
        self.chunk = chunk

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors for texts in order; cached ones first reported, new ones embedded and stored."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        keys = [text_key(t) for t in texts]
        found = self.cache.get_many(keys)
        hits = sum(1 for k in keys if k in found)
        if on_batch is not None and hits:
            on_batch(hits)
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        pending = list(missing.items())
        for i in range(0, len(pending), self.chunk):
            part = pending[i : i + self.chunk]
            vectors = self.inner.embed([text for _, text in part])
            self.embedded += len(part)
            stored = [(key, vec) for (key, _), vec in zip(part, vectors, strict=True)]
            self.cache.put_many(stored)
            found.update(stored)
            if on_batch is not None:
                on_batch(len(part))
        try:
            return np.vstack([found[k] for k in keys]).astype(np.float32)
        except ValueError as exc:
            raise AssistantError(
                f"{self.cache.path}: cached vectors of different dimensions: delete the file"
            ) from exc

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def embed_many_cached(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)  # every vector here is cached already
