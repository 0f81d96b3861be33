"""The BM25 index (bm25s, stemmed English), persisted next to the store and rebuilt from it.

`BM25Index` is the index and its files; `BM25Keeper` keeps one in step with a store: it caches
the loaded index, reloads it when another process saved a newer one, and rebuilds it whenever
its fingerprint (a digest of the chunk ids) disagrees with the store's. Readers never race a
writer: a reader's rebuild is saved only if it can take the write lock without waiting.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.index.datadir import LockState
from assistant.index.pause import pause

if TYPE_CHECKING:
    from assistant.index.datadir import WriteLock
    from assistant.index.store import ChunkStore

_META = "ids.json"


def fingerprint(chunk_ids: Iterable[str]) -> str:
    """A digest of the set of chunk ids: equal fingerprints mean the index matches the store."""
    digest = hashlib.sha256()
    for chunk_id in sorted(chunk_ids):
        digest.update(chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


class BM25Index:
    """Lexical retrieval over chunk texts; maps bm25s's row numbers back to chunk ids."""

    def __init__(self) -> None:
        self._retriever: Any = None
        self._stemmer: Any = None
        self.chunk_ids: list[str] = []
        self.fingerprint: str = fingerprint([])

    def _get_stemmer(self) -> Any:
        if self._stemmer is None:
            import Stemmer

            self._stemmer = Stemmer.Stemmer("english")
        return self._stemmer

    def _tokenize(self, texts: Sequence[str]) -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts), stopwords="en", stemmer=self._get_stemmer(), show_progress=False
        )

    def build(self, chunk_ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        self.chunk_ids = list(chunk_ids)
        self.fingerprint = fingerprint(self.chunk_ids)
        if not self.chunk_ids:
            self._retriever = None
            return
        tokens = self._tokenize(texts)
        if not tokens.vocab:  # only stopwords and punctuation: nothing to match (bm25s would fail)
            self._retriever = None
            return
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        self._retriever = retriever

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def search(
        self, query: str, n: int, chunk_ids: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The best n chunk ids for a query with their BM25 scores (only those scoring above 0);
        with chunk_ids, only among those (n of them when n of them match)."""
        if self._retriever is None or not query.strip():
            return []
        tokens = self._tokenize([query])
        if not tokens.ids or not tokens.ids[0]:
            return []
        n = min(n, len(self.chunk_ids))
        # masked-out rows score 0, so they are dropped below like any non-matching chunk
        mask = None if chunk_ids is None else self._mask(chunk_ids)
        docs, scores = self._retriever.retrieve(
            tokens, k=n, show_progress=False, n_threads=1, weight_mask=mask
        )
        hits: list[tuple[str, float]] = []
        for row, score in zip(np.asarray(docs)[0], np.asarray(scores)[0], strict=True):
            if score > 0:
                hits.append((self.chunk_ids[int(row)], float(score)))
        return hits

    def _mask(self, chunk_ids: Collection[str]) -> np.ndarray:
        allowed = set(chunk_ids)
        return np.array([cid in allowed for cid in self.chunk_ids], dtype=np.float32)

    def save(self, directory: Path) -> None:
        """Write to a temporary folder, then swap it in, so a crash never leaves half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = directory.with_name(directory.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        if self._retriever is not None:
            self._retriever.save(str(tmp / "bm25s"))
        (tmp / _META).write_text(
            json.dumps(
                {
                    "fingerprint": self.fingerprint,
                    "chunk_ids": self.chunk_ids,
                    "lexical": self._retriever is not None,
                }
            )
        )
        old = directory.with_name(directory.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old.exists():
            shutil.rmtree(old)

    @classmethod
    def load(cls, directory: Path) -> BM25Index | None:
        """The saved index, or None when there is none or it is unreadable or damaged (it is rebuilt
        then)."""
        index = cls()
        try:
            meta = json.loads((directory / _META).read_text())
            index.chunk_ids = [str(c) for c in meta["chunk_ids"]]
            index.fingerprint = str(meta["fingerprint"])
            if fingerprint(index.chunk_ids) != index.fingerprint:
                return None  # ids.json damaged or edited: its ids are not what it claims
            if index.chunk_ids and meta.get("lexical", True):
                import bm25s

                index._retriever = bm25s.BM25.load(str(directory / "bm25s"))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return index


def saved_stamp(directory: Path) -> float:
    """When the index in directory was last saved (-1 when there is none)."""
    marker = directory / _META
    try:
        return marker.stat().st_mtime
    except OSError:
        return -1.0


class BM25Keeper:
    """The BM25 index of one store, in step with it, cached between questions."""

    def __init__(self, directory: Path, store: ChunkStore, lock: WriteLock) -> None:
        self.directory = directory
        self._store = store
        self._lock = lock
        self._guard = threading.RLock()
        self._index: BM25Index | None = None
        self._stamp = -1.0

    def current(self) -> BM25Index:
        """The index matching the store (reloaded when another process rebuilt it)."""
        with self._guard:
            stamp = saved_stamp(self.directory)
            if self._index is None or stamp != self._stamp:
                loaded = BM25Index.load(self.directory)
                if loaded is None or loaded.fingerprint != fingerprint(self._store.ids()):
                    loaded = self._build()
                    if self._try_save(loaded):
                        stamp = saved_stamp(self.directory)
                self._index = loaded
                self._stamp = stamp
            return self._index

    def forget(self) -> None:
        """Drop the cached index: the next current() loads (or rebuilds) it again."""
        with self._guard:
            self._index = None

    def sync(self) -> bool:
        """Rebuild and save the index if it disagrees with the store; True when it did.

        Writes the index, so callers hold the write lock (the knowledge base's writes do).
        """
        with self._guard:
            if self._fresh_on_disk():
                return False
            index = self._build()
            pause("bm25", len(index))
            index.save(self.directory)
            self._index = index
            self._stamp = saved_stamp(self.directory)
            return True

    def _build(self) -> BM25Index:
        chunks = sorted(self._store.chunks(), key=lambda c: c.chunk_id)
        index = BM25Index()
        index.build([c.chunk_id for c in chunks], [c.text for c in chunks])
        return index

    def _fresh_on_disk(self) -> bool:
        loaded = BM25Index.load(self.directory)
        return loaded is not None and loaded.fingerprint == fingerprint(self._store.ids())

    def _try_save(self, index: BM25Index) -> bool:
        """Save a reader's rebuild only when no writer is busy (and the directory is writable)."""
        with self._lock.attempt() as state:
            if state is not LockState.HELD or self._fresh_on_disk():
                return False
            try:
                index.save(self.directory)
            except OSError:
                return False
            return True
