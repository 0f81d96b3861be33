"""BEIR retrieval benchmarks: load a BEIR folder, index it with our pipeline, score three modes.

Format (as distributed by BEIR): ``corpus.jsonl`` (``{"_id", "title", "text"}`` per line),
``queries.jsonl`` (``{"_id", "text"}``), ``qrels/<split>.tsv`` (a header line, then
``query-id<TAB>corpus-id<TAB>score``; CRLF line ends accepted). Only queries that have qrels in
the split are evaluated.

How the benchmark runs (the same code path as the assistant's retrieval):

- every corpus document becomes ONE chunk whose text is ``(title + " " + text).strip()`` (as
  BEIR and MTEB feed sentence-transformers models; the model truncates at its own
  ``max_seq_length``, 256 word pieces for all-MiniLM-L6-v2);
- the chunks are embedded through a :class:`~assistant.evaluation.embedding_cache.CachedEmbedder`
  (a second run embeds nothing) and stored in a :class:`~assistant.index.store.ChromaStore` in a
  temporary folder; the same texts go into a :class:`~assistant.index.bm25.BM25Index`;
- a :class:`~assistant.retrieval.HybridRetriever` ranks the top 100 documents per query in its
  three modes: ``dense``, ``bm25`` and ``hybrid`` (reciprocal rank fusion, ``rrf_k`` 60, over
  ``candidates`` hits from each retriever);
- as a diagnostic of Chroma's approximate (HNSW) search, ``dense_exact`` ranks the same vectors
  by exact cosine similarity with numpy.

Metrics per mode, averaged over the evaluated queries (definitions in
:mod:`assistant.evaluation.retrieval_metrics`): ``ndcg_at_10``, ``recall_at_10``, ``recall_at_100``,
``mrr_at_10``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import AssistantError
from assistant.evaluation import retrieval_metrics as rm
from assistant.evaluation.embedding_cache import CachedEmbedder
from assistant.index.bm25 import BM25Index
from assistant.index.store import ChromaStore, ChunkStore
from assistant.retrieval import HybridRetriever, Mode
from assistant.types import Chunk

MODES: tuple[str, ...] = ("dense", "bm25", "hybrid", "dense_exact")
"""The rankings a run scores, in report order (``dense_exact`` is the numpy diagnostic)."""

BEIR_METRICS: tuple[str, ...] = ("ndcg_at_10", "recall_at_10", "recall_at_100", "mrr_at_10")

DEPTH = 100
"""Documents ranked per query (for recall@100)."""

HNSW_METADATA: dict[str, Any] = {
    "hnsw:space": "cosine",
    "hnsw:construction_ef": 400,
    "hnsw:search_ef": 400,
    "hnsw:M": 32,
}
"""HNSW parameters of the benchmark collection: wider than Chroma's defaults (ef 100, M 16) so
the approximate search ranks the top 100 as the exact search does (``dense_exact`` checks)."""

PUBLISHED: dict[str, dict[str, dict[str, float | str]]] = {
    "scifact": {
        "dense": {
            "ndcg_at_10": 0.645,
            "recall_at_10": 0.783,
            "recall_at_100": 0.925,
            "mrr_at_10": 0.605,
            "source": "MTEB, sentence-transformers/all-MiniLM-L6-v2",
        },
        "bm25": {
            "ndcg_at_10": 0.665,
            "source": "BEIR paper (Elasticsearch); Anserini flat 0.679, bm25s 0.687",
        },
    }
}
"""Published test-split figures, shown beside ours (SciFact only)."""

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BeirDataset:
    """A BEIR folder in memory: documents in file order, the split's queries and judgements."""

    name: str
    split: str
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]  # id -> text, only queries judged in the split
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: grade}

    def doc_text(self, doc_id: str) -> str:
        title, text = self.corpus[doc_id]
        return (title + " " + text).strip()

    def limit_docs(self, n: int) -> BeirDataset:
        """The first n documents, the judgements on them, and the queries left with one."""
        if n < 1:
            raise AssistantError(f"--limit-docs must be at least 1, not {n}")
        corpus = dict(list(self.corpus.items())[:n])
        qrels: dict[str, dict[str, int]] = {}
        for qid, judged in self.qrels.items():
            kept = {d: g for d, g in judged.items() if d in corpus}
            if any(g > 0 for g in kept.values()):
                qrels[qid] = kept
        queries = {q: t for q, t in self.queries.items() if q in qrels}
        return BeirDataset(self.name, self.split, corpus, queries, qrels)


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise AssistantError(
                        f"{path}: line {number}: not valid JSON: {exc.msg}"
                    ) from exc
                if not isinstance(row, dict) or "_id" not in row:
                    raise AssistantError(f"{path}: line {number}: expected an object with an _id")
                yield number, row
    except FileNotFoundError as exc:
        raise AssistantError(f"{path}: no such file (not a BEIR folder?)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"{path}: cannot read: {exc}") from exc


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise AssistantError(f"{path}: no such qrels file (is the split name right?)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistantError(f"{path}: cannot read: {exc}") from exc
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(lines, start=1):
        fields = line.strip().split("\t")
        if not line.strip():
            continue
        if number == 1 and fields[0].lower() in ("query-id", "query_id", "qid"):
            continue
        if len(fields) != 3:
            raise AssistantError(
                f"{path}: line {number}: expected query-id, corpus-id and score separated by tabs"
            )
        try:
            grade = int(float(fields[2]))
        except ValueError:
            raise AssistantError(
                f"{path}: line {number}: score {fields[2]!r} is not a number"
            ) from None
        qrels.setdefault(fields[0], {})[fields[1]] = grade
    return qrels


def load_beir(directory: str | Path, split: str = "test") -> BeirDataset:
    """Read a BEIR folder; every problem is one AssistantError naming the file and line."""
    root = Path(directory)
    if not root.is_dir():
        raise AssistantError(f"{root}: no such folder")
    corpus: dict[str, tuple[str, str]] = {}
    for _, row in _read_jsonl(root / "corpus.jsonl"):
        corpus[str(row["_id"])] = (str(row.get("title") or ""), str(row.get("text") or ""))
    if not corpus:
        raise AssistantError(f"{root / 'corpus.jsonl'}: no documents")
    all_queries = {
        str(row["_id"]): str(row.get("text") or "")
        for _, row in _read_jsonl(root / "queries.jsonl")
    }
    judged = _read_qrels(root / "qrels" / f"{split}.tsv")
    qrels = {q: j for q, j in judged.items() if q in all_queries}
    if not qrels:
        raise AssistantError(f"{root}: no query of qrels/{split}.tsv is in queries.jsonl")
    queries = {q: all_queries[q] for q in qrels}
    return BeirDataset(root.name, split, corpus, queries, qrels)


def score_rankings(
    rankings: dict[str, list[str]], qrels: dict[str, dict[str, int]]
) -> dict[str, float]:
    """The BEIR metrics of one mode, averaged over every judged query (missing ranking = empty)."""
    totals = dict.fromkeys(BEIR_METRICS, 0.0)
    for qid, judged in qrels.items():
        ranked = rankings.get(qid, [])
        if not ranked:
            continue
        totals["ndcg_at_10"] += rm.ndcg_at_k(ranked, judged, 10)
        totals["recall_at_10"] += rm.recall_at_k_ids(ranked, judged, 10)
        totals["recall_at_100"] += rm.recall_at_k_ids(ranked, judged, 100)
        totals["mrr_at_10"] += rm.mrr_at_k_ids(ranked, judged, 10)
    n = len(qrels)
    return {name: (value / n if n else 0.0) for name, value in totals.items()}


def _chunks(dataset: BeirDataset) -> list[Chunk]:
    out: list[Chunk] = []
    for doc_id, (title, _) in dataset.corpus.items():
        text = dataset.doc_text(doc_id)
        out.append(
            Chunk(
                chunk_id=doc_id,
                document_id=doc_id,
                title=title,
                source=f"beir/{dataset.name}",
                text=text,
                start=0,
                end=len(text),
                paragraph_start=1,
                paragraph_end=1,
            )
        )
    return out


class BenchmarkChromaStore(ChromaStore):
    """Our ChromaStore, its collection created with the benchmark's HNSW parameters."""

    def __init__(self, *, path: Path, hnsw: dict[str, Any] | None = None) -> None:
        super().__init__(path=path, collection="beir", collection_metadata=hnsw or HNSW_METADATA)


@contextmanager
def chroma_store(hnsw: dict[str, Any] | None = None) -> Iterator[ChromaStore]:
    """A :class:`BenchmarkChromaStore` in a temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="assistant-beir-") as tmp:
        yield BenchmarkChromaStore(path=Path(tmp), hnsw=hnsw)


def run_beir(
    dataset: BeirDataset,
    embedder: CachedEmbedder,
    store: ChunkStore,
    *,
    candidates: int = 100,
    rrf_k: int = 60,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Index the dataset, rank every query in each mode, and score the rankings."""

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    timings: dict[str, float] = {}
    chunks = _chunks(dataset)
    query_ids = list(dataset.queries)
    started = time.perf_counter()
    before = embedder.embedded
    doc_vectors, query_vectors = _embed(dataset, chunks, query_ids, embedder, report)
    timings["embed_s"] = time.perf_counter() - started
    embedded = embedder.embedded - before

    started = time.perf_counter()
    bm25 = _index(chunks, doc_vectors, store, report)
    timings["index_s"] = time.perf_counter() - started

    retriever = HybridRetriever(
        embedder=embedder,
        store=store,
        bm25=lambda: bm25,
        k=DEPTH,
        candidates=max(candidates, DEPTH),
        rrf_k=rrf_k,
    )
    started = time.perf_counter()
    rankings = _rank(retriever, dataset, query_ids, report)
    timings["rank_s"] = time.perf_counter() - started
    ids = [c.chunk_id for c in chunks]
    exact = exact_rankings(query_vectors, doc_vectors, ids)
    rankings["dense_exact"] = dict(zip(query_ids, exact, strict=True))

    return {
        "dataset": dataset.name,
        "split": dataset.split,
        "documents": len(chunks),
        "queries": len(query_ids),
        "model": embedder.name,
        "candidates": max(candidates, DEPTH),
        "rrf_k": rrf_k,
        "depth": DEPTH,
        "embedded": embedded,
        "metrics": {mode: score_rankings(rankings[mode], dataset.qrels) for mode in MODES},
        "dense_vs_exact_top10_agreement": _top10_agreement(
            rankings["dense"], rankings["dense_exact"]
        ),
        "published": PUBLISHED.get(dataset.name.lower(), {}) if dataset.split == "test" else {},
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }


def _embed(
    dataset: BeirDataset,
    chunks: list[Chunk],
    query_ids: list[str],
    embedder: CachedEmbedder,
    report: ProgressFn,
) -> tuple[np.ndarray, np.ndarray]:
    """The documents' vectors (reporting progress batch by batch), then the queries'."""
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        report("embedding documents", done, len(chunks))

    report("embedding documents", 0, len(chunks))
    doc_vectors = embedder.embed([c.text for c in chunks], on_batch=advance)
    query_vectors = embedder.embed([dataset.queries[q] for q in query_ids])
    return doc_vectors, query_vectors


def _index(
    chunks: list[Chunk], doc_vectors: np.ndarray, store: ChunkStore, report: ProgressFn
) -> BM25Index:
    """The chunks stored with their vectors, and a BM25 index of the same texts."""
    report("indexing", 0, len(chunks))
    store.add(chunks, doc_vectors)
    bm25 = BM25Index()
    bm25.build([c.chunk_id for c in chunks], [c.text for c in chunks])
    return bm25


def _rank(
    retriever: HybridRetriever, dataset: BeirDataset, query_ids: list[str], report: ProgressFn
) -> dict[str, dict[str, list[str]]]:
    """The top DEPTH ids of every query, by mode, for the retriever's three modes."""
    rankings: dict[str, dict[str, list[str]]] = {}
    modes: tuple[Mode, ...] = ("dense", "bm25", "hybrid")
    total = len(query_ids) * len(modes)
    step = 0
    for mode in modes:
        rankings[mode] = {}
        for qid in query_ids:
            hits = retriever.retrieve(dataset.queries[qid], k=DEPTH, mode=mode)
            rankings[mode][qid] = [h.chunk.chunk_id for h in hits]
            step += 1
            report(f"ranking ({mode})", step, total)
    return rankings


def exact_rankings(
    query_vectors: np.ndarray, doc_vectors: np.ndarray, ids: Sequence[str], depth: int = DEPTH
) -> list[list[str]]:
    """Top ``depth`` ids per query by exact cosine similarity (vectors are L2-normalised)."""
    scores = (
        np.asarray(query_vectors, dtype=np.float32) @ np.asarray(doc_vectors, dtype=np.float32).T
    )
    depth = min(depth, len(ids))
    # ties broken by id, as HybridRetriever does: sort by (-score, rank of the id)
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(len(ids))
    out: list[list[str]] = []
    for row in scores:
        order = np.lexsort((id_rank, -row))[:depth]
        out.append([ids[i] for i in order.tolist()])
    return out


def _top10_agreement(a: dict[str, list[str]], b: dict[str, list[str]]) -> float:
    """The mean share of the top 10 that two rankings have in common."""
    shares = [len(set(a[q][:10]) & set(b.get(q, [])[:10])) / max(1, min(10, len(a[q]))) for q in a]
    return sum(shares) / len(shares) if shares else 1.0
