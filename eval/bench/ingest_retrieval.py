"""Ingestion throughput beside raw model throughput, then retrieval and ask latency (issue 2).

Corpus: the first N SciFact abstracts (/work/shared/data/scifact/corpus.jsonl) of at least
100 words, cut to about 150 words at a sentence end, written as one .txt file each (title line,
blank line, abstract). Falls back to the shipped knowledge article's sentences, shuffled with a
fixed seed, when SciFact is missing.

Measured in one process, one run, with the model loaded and warmed up first:

(a) raw: ``SentenceTransformer.encode`` of exactly the chunk texts the pipeline produces (same
    chunker settings, same batch size, one call, normalised), and ``Embedder.embed`` (the
    package's slicing wrapper) on the same texts;
(b) ingest: ``KnowledgeBase.ingest`` of the folder into a fresh data directory (load, chunk,
    embed, Chroma upsert, BM25 build, registry), end to end.

The order is raw, ingest, raw, ingest, raw (``--repeats 2``): throughputs are the means, and the
ratio is ingest chunks/s over raw chunks/s. The embedder and the store are wrapped in thin timing
proxies so the ingest time splits into embed / store.add / store.ids / other (loading, chunking,
registry, BM25). Then a no-op re-ingest (must embed 0 chunks), hybrid retrieval latency over
SciFact claims, and ``chain.ask`` latency with the offline (extractive) answerer.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.offline import enforce_offline

enforce_offline()

from _common import (  # noqa: E402
    BENCH_DIR,
    KNOWLEDGE,
    SCIFACT,
    Timer,
    latency_stats,
    print_table,
    rss_mb,
    write_results,
)

from assistant.config import Settings  # noqa: E402
from assistant.documents.chunking import chunk_document  # noqa: E402
from assistant.documents.loaders import load_document  # noqa: E402
from assistant.index.embedder import SentenceTransformerEmbedder  # noqa: E402
from assistant.index.store import ChunkStore  # noqa: E402
from assistant.knowledge import discover, document_id_for, source_key  # noqa: E402
from assistant.runtime import Runtime, make_store  # noqa: E402
from assistant.types import Chunk  # noqa: E402

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# ---------------------------------------------------------------- corpus


def _cut(text: str, words: int) -> str:
    """About `words` words, ending at a sentence end when one is near."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        out.append(sentence)
        if sum(len(s.split()) for s in out) >= words:
            break
    return " ".join(out)


def write_corpus(folder: Path, n: int, words: int = 150) -> str:
    """Write n passages as .txt files; returns a description of the source."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = SCIFACT / "corpus.jsonl"
    written = 0
    if corpus.is_file():
        with corpus.open() as fh:
            for line in fh:
                row = json.loads(line)
                text = row["text"]
                if len(text.split()) < 100:
                    continue
                body = _cut(text, words)
                title = " ".join(row["title"].split())
                (folder / f"scifact-{row['_id']}.txt").write_text(f"{title}\n\n{body}\n")
                written += 1
                if written >= n:
                    return f"SciFact abstracts (first {n} with >= 100 words, cut to ~{words} words)"
    # fallback (or not enough abstracts): the knowledge article's sentences, shuffled
    article = (KNOWLEDGE / "japan-second-trump-term.md").read_text()
    sentences = [s for s in _SENTENCE_END.split(" ".join(article.split())) if len(s.split()) > 4]
    rng = random.Random(1234)
    while written < n:
        rng.shuffle(sentences)
        body = _cut(" ".join(sentences), words)
        (folder / f"article-shuffle-{written:05d}.txt").write_text(f"Passage {written}\n\n{body}\n")
        written += 1
    return f"knowledge article sentences shuffled (seed 1234), ~{words} words per passage"


def pipeline_chunks(folder: Path, settings: Settings) -> list[Chunk]:
    """Exactly the chunks KnowledgeBase.ingest makes from the folder (same loader and chunker)."""
    files, _ = discover([folder])
    chunks: list[Chunk] = []
    for path in files:
        doc = load_document(path, source=source_key(path), max_bytes=settings.max_file_bytes)
        chunks += chunk_document(
            doc,
            document_id_for(doc.source, path.name),
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
        )
    return chunks


def queries(n: int, skip: int = 0) -> list[str]:
    """SciFact claims (or the question set's questions when SciFact is missing)."""
    path = SCIFACT / "queries.jsonl"
    if path.is_file():
        rows = [json.loads(line)["text"] for line in path.open()]
    else:
        from assistant.evaluation.questions import load_question_set

        rows = [i.question for i in load_question_set(BENCH_DIR.parent / "sets" / "japan-dev.yaml")]
    rows = rows[skip:] + rows[:skip]
    return [rows[i % len(rows)] for i in range(n)]


# ---------------------------------------------------------------- timing proxies


class TimedEmbedder:
    """Passes everything to the real embedder; adds up the time spent in embed()."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.calls = 0

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts, on_batch=on_batch)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_many_cached(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_many_cached(texts)


class TimedStore:
    """Passes everything to the real store; adds up time per method."""

    def __init__(self, inner: ChunkStore) -> None:
        self.inner = inner
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed


# ---------------------------------------------------------------- the benchmark


def raw_encode(model: Any, texts: list[str], batch_size: int) -> float:
    with Timer() as t:
        model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    return t.seconds


def raw_encode_per_document(model: Any, chunks: list[Chunk], batch_size: int) -> float:
    """Encode calls grouped as the pipeline makes them: one call per document's chunks."""
    groups: dict[str, list[str]] = {}
    for c in chunks:
        groups.setdefault(c.document_id, []).append(c.text)
    with Timer() as t:
        for texts in groups.values():
            model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
    return t.seconds


def run_ingest(
    base: Settings, data_dir: Path, corpus: Path, embedder: SentenceTransformerEmbedder
) -> dict[str, Any]:
    settings = base.model_copy(update={"data_dir": data_dir})
    timed_embedder = TimedEmbedder(embedder)
    store = TimedStore(make_store(settings, embedder))
    runtime = Runtime(settings, embedder_override=timed_embedder, store_override=store)  # type: ignore[arg-type]
    kb = runtime.knowledge
    with Timer() as t:
        report = kb.ingest([corpus])
    parts = {
        "embed_s": timed_embedder.seconds,
        **{f"store_{k}_s": v for k, v in store.seconds.items()},
    }
    parts["other_s"] = t.seconds - sum(parts.values())
    return {
        "seconds": t.seconds,
        "embedded": report.embedded,
        "added": report.count("added"),
        "rejected": report.count("rejected"),
        "embed_calls": timed_embedder.calls,
        "store_calls": dict(store.calls),
        "breakdown_s": {k: round(v, 3) for k, v in parts.items()},
        "runtime": runtime,
    }


def profile_ingest(
    base: Settings, data_dir: Path, corpus: Path, embedder: SentenceTransformerEmbedder
) -> str:
    """cProfile of one more ingest into a fresh directory: the top functions by cumulative time."""
    settings = base.model_copy(update={"data_dir": data_dir})
    runtime = Runtime(settings, embedder_override=embedder)
    profiler = cProfile.Profile()
    profiler.enable()
    runtime.knowledge.ingest([corpus])
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=300, help="passages (files) to ingest")
    parser.add_argument("--words", type=int, default=150, help="words per passage")
    parser.add_argument("--repeats", type=int, default=2, help="ingest runs (raw runs: +1)")
    parser.add_argument("--queries", type=int, default=200, help="retrieval queries")
    parser.add_argument("--asks", type=int, default=100, help="chain.ask questions")
    parser.add_argument("--profile", action="store_true", help="cProfile one extra ingest")
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument("--name", default="ingest_retrieval", help="result file name stem")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        corpus = tmp / "corpus"
        source = write_corpus(corpus, args.passages, args.words)
        base = Settings(data_dir=tmp / "unused")
        chunks = pipeline_chunks(corpus, base)
        texts = [c.text for c in chunks]
        words = [len(t.split()) for t in texts]
        print(
            f"corpus: {args.passages} files, {len(chunks)} chunks "
            f"(mean {np.mean(words):.0f} words/chunk) from {source}"
        )

        embedder = SentenceTransformerEmbedder(
            base.embedding_model, batch_size=base.embedding_batch_size
        )
        model = embedder.model
        with Timer() as warm:
            raw_encode(model, texts[: 4 * base.embedding_batch_size], base.embedding_batch_size)
        print(f"model loaded; warm-up encode {warm.seconds:.2f}s")

        raws: list[float] = []
        ingests: list[dict[str, Any]] = []
        wrappers: list[float] = []
        per_docs: list[float] = []
        loads: list[tuple[str, float]] = []

        def phase(name: str, seconds: float) -> float:
            loads.append((name, round(os.getloadavg()[0], 2)))
            print(f"  {name}: {seconds:.2f}s (load average {loads[-1][1]})")
            sys.stdout.flush()
            return seconds

        # interleaved: raw, then per repeat: ingest, raw per document, raw
        raws.append(phase("raw", raw_encode(model, texts, base.embedding_batch_size)))
        for i in range(args.repeats):
            ingests.append(run_ingest(base, tmp / f"data{i}", corpus, embedder))
            phase("ingest", ingests[-1]["seconds"])
            per_docs.append(
                phase(
                    "raw per document",
                    raw_encode_per_document(model, chunks, base.embedding_batch_size),
                )
            )
            raws.append(phase("raw", raw_encode(model, texts, base.embedding_batch_size)))
        with Timer() as wrap:
            embedder.embed(texts)
        wrappers.append(phase("Embedder.embed", wrap.seconds))
        per_doc_s = float(np.mean(per_docs))
        for i, r in enumerate(ingests):
            print(f"ingest {i}: {r['seconds']:.2f}s, breakdown {r['breakdown_s']}")
        print(f"raw encode runs: {[round(s, 2) for s in raws]}")

        last = ingests[-1]
        runtime: Runtime = last["runtime"]
        store_ids = runtime.store.ids()
        same_chunks = store_ids == {c.chunk_id for c in chunks}
        if not same_chunks:
            print("WARNING: the store's chunk ids differ from the pipeline chunks measured raw")

        n = len(chunks)
        raw_s = float(np.mean(raws))
        ingest_s = float(np.mean([r["seconds"] for r in ingests]))
        raw_cps = n / raw_s
        ingest_cps = n / ingest_s
        wrapper_cps = n / float(np.mean(wrappers))
        ratio = ingest_cps / raw_cps

        # no-op re-ingest into the same directory
        with Timer() as noop:
            noop_report = runtime.knowledge.ingest([corpus])
        noop_embedded = noop_report.embedded
        noop_unchanged = noop_report.count("unchanged")

        # retrieval and ask latency on the last ingested index
        retriever = runtime.retriever
        runtime.knowledge.bm25()
        for q in queries(5, skip=900):
            retriever.retrieve(q)
        retrieval_ms: list[float] = []
        for q in queries(args.queries):
            started = time.perf_counter()
            retriever.retrieve(q)
            retrieval_ms.append((time.perf_counter() - started) * 1000)
        chain = runtime.chain
        ask_ms: list[float] = []
        abstained = 0
        for q in queries(args.asks, skip=args.queries):
            started = time.perf_counter()
            answer = chain.ask(q)
            ask_ms.append((time.perf_counter() - started) * 1000)
            abstained += int(answer.abstained)
        retrieval = latency_stats(retrieval_ms)
        ask = latency_stats(ask_ms)

        profile_text = ""
        if args.profile:
            profile_text = profile_ingest(base, tmp / "data-profile", corpus, embedder)
            print(profile_text)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    breakdown = last["breakdown_s"]
    throughput_rows = [
        ["raw SentenceTransformer.encode (one call)", n, f"{raw_s:.2f}", f"{raw_cps:.1f}", "1.00"],
        [
            "Embedder.embed (package wrapper, one call)",
            n,
            f"{np.mean(wrappers):.2f}",
            f"{wrapper_cps:.1f}",
            f"{wrapper_cps / raw_cps:.2f}",
        ],
        [
            "raw encode, one call per document (as ingest groups them)",
            n,
            f"{per_doc_s:.2f}",
            f"{n / per_doc_s:.1f}",
            f"{n / per_doc_s / raw_cps:.2f}",
        ],
        [
            "KnowledgeBase.ingest (end to end)",
            n,
            f"{ingest_s:.2f}",
            f"{ingest_cps:.1f}",
            f"**{ratio:.2f}**",
        ],
        ["no-op re-ingest", noop_embedded, f"{noop.seconds:.2f}", "-", "-"],
    ]
    breakdown_rows = [[k.removesuffix("_s"), f"{v:.2f}"] for k, v in breakdown.items()]
    latency_rows = [
        ["hybrid retrieve (k=6)", retrieval["n"], retrieval["p50_ms"], retrieval["p95_ms"]],
        ["chain.ask (offline answerer)", ask["n"], ask["p50_ms"], ask["p95_ms"]],
    ]
    print()
    print_table(["throughput", "chunks", "seconds", "chunks/s", "ratio to raw"], throughput_rows)
    print()
    print_table(["last ingest part", "seconds"], breakdown_rows)
    print()
    print_table(["latency", "n", "p50 ms", "p95 ms"], latency_rows)
    print(f"\ningest/raw ratio {ratio:.2f} (target >= 0.9): {'met' if ratio >= 0.9 else 'NOT met'}")
    print(f"no-op re-ingest: {noop.seconds:.2f}s, {noop_embedded} chunks embedded")

    findings = [
        f"Corpus: {args.passages} files -> {n} chunks; {source}.",
        f"Ingest/raw throughput ratio {ratio:.2f} (target >= 0.9: "
        f"{'met' if ratio >= 0.9 else 'not met'}); raw is the mean of {len(raws)} encode runs "
        f"interleaved with {len(ingests)} ingests ({[round(s, 2) for s in raws]} s).",
        f"Last ingest split (s): {breakdown}; embed() was called {last['embed_calls']} times "
        f"(once per document), store calls {last['store_calls']}.",
        f"Inside the ingest, embed() ran at {n / breakdown['embed_s']:.1f} chunks/s; the model "
        f"alone with the same per-document calls at {n / per_doc_s:.1f} chunks/s and with one "
        f"call at {raw_cps:.1f} chunks/s. Load average per phase: {loads}.",
        f"No-op re-ingest: {noop.seconds:.2f} s, {noop_embedded} chunks embedded, "
        f"{noop_unchanged} files unchanged.",
        f"chain.ask abstained on {abstained}/{args.asks} SciFact claims (expected: they are "
        "claims, not questions; latency is what is measured here).",
    ]
    data = {
        "corpus": {"files": args.passages, "chunks": n, "source": source},
        "same_chunks_as_store": same_chunks,
        "raw_seconds": raws,
        "raw_per_document_seconds": per_docs,
        "phases_load_average": loads,
        "ingest_seconds": [r["seconds"] for r in ingests],
        "raw_chunks_per_s": round(raw_cps, 2),
        "wrapper_chunks_per_s": round(wrapper_cps, 2),
        "ingest_chunks_per_s": round(ingest_cps, 2),
        "raw_per_document_chunks_per_s": round(n / per_doc_s, 2),
        "ratio": round(ratio, 3),
        "ratio_target_met": ratio >= 0.9,
        "ingest_breakdown_s": breakdown,
        "ingest_embed_calls": last["embed_calls"],
        "ingest_store_calls": last["store_calls"],
        "noop_seconds": round(noop.seconds, 3),
        "noop_embedded": noop_embedded,
        "retrieval": retrieval,
        "ask": ask,
        "ask_abstained": abstained,
        "rss_mb_end": round(rss_mb(), 1),
        "profile_top": profile_text,
    }
    write_results(
        args.name,
        args.out_dir,
        title="Ingestion throughput vs raw encode; retrieval and ask latency",
        tables=[
            (
                "Throughput (same chunk texts, same batch size)",
                ["", "chunks", "seconds", "chunks/s", "ratio to raw"],
                throughput_rows,
            ),
            ("Where the last ingest's time went", ["part", "seconds"], breakdown_rows),
            ("Latency", ["operation", "n", "p50 ms", "p95 ms"], latency_rows),
        ],
        findings=findings,
        data=data,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
