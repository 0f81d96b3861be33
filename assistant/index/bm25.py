"""The BM25 index (bm25s, stemmed English), persisted next to the store and rebuilt from it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


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

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """The best n chunk ids for a query with their BM25 scores (only those scoring above 0)."""
        if self._retriever is None or not query.strip():
            return []
        tokens = self._tokenize([query])
        if not tokens.ids or not tokens.ids[0]:
            return []
        n = min(n, len(self.chunk_ids))
        docs, scores = self._retriever.retrieve(tokens, k=n, show_progress=False, n_threads=1)
        hits: list[tuple[str, float]] = []
        for row, score in zip(np.asarray(docs)[0], np.asarray(scores)[0], strict=True):
            if score > 0:
                hits.append((self.chunk_ids[int(row)], float(score)))
        return hits

    def save(self, directory: Path) -> None:
        """Write to a temporary folder, then swap it in, so a crash never leaves half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = directory.with_name(directory.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        if self._retriever is not None:
            self._retriever.save(str(tmp / "bm25s"))
        (tmp / "ids.json").write_text(
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
            meta = json.loads((directory / "ids.json").read_text())
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
