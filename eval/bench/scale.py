"""Retrieval latency, build time and memory at 1k, 10k, 100k chunks: embedded Chroma and a server.

Issue 6. Vectors are synthetic (seeded random unit vectors, 384-d) and texts are synthetic (words
drawn Zipf-like from a real vocabulary: SciFact abstracts, else the knowledge article), but every
write and read goes through the real code: ``ChromaStore.add`` in batches, ``BM25Index.build``,
and ``HybridRetriever.retrieve``. Only the query embedding is stubbed (a fixed random vector per
query text) so that the figures are the retrieval path's and not the model's.

Each (backend, size) runs in a fresh worker process so its RSS is its own. For the server backend
the script starts ``chroma run --path TMP --host 127.0.0.1 --port FREE`` per size and stops it;
memory is then the client process plus the server process. The server worker loads the BM25 index
that the embedded worker of the same size built and saved (what ``serve`` does at start) rather
than building it again.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.loopback import free_port, wait_for_port
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
    tree_rss_mb,
    write_results,
)

DIM = 384
WORDS_PER_TEXT = 100
ADD_BATCH = 1000


# ---------------------------------------------------------------- synthetic data


def vocabulary(limit: int = 20000) -> list[str]:
    """Real words, most frequent first."""
    counts: dict[str, int] = {}
    token = re.compile(r"[a-z]{3,}")
    corpus = SCIFACT / "corpus.jsonl"
    if corpus.is_file():
        with corpus.open() as fh:
            for n, line in enumerate(fh):
                for w in token.findall(json.loads(line)["text"].lower()):
                    counts[w] = counts.get(w, 0) + 1
                if n >= 3000:
                    break
    else:
        for w in token.findall((KNOWLEDGE / "japan-second-trump-term.md").read_text().lower()):
            counts[w] = counts.get(w, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])[:limit]


def synthetic(size: int, seed: int = 7) -> tuple[list[Any], np.ndarray]:
    """size chunks (10 per document) with random texts, and their unit vectors."""
    from assistant.types import Chunk

    rng = np.random.default_rng(seed)
    vocab = np.array(vocabulary())
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    words = rng.choice(len(vocab), size=(size, WORDS_PER_TEXT), p=weights)
    chunks = []
    for i in range(size):
        text = " ".join(vocab[words[i]])
        chunks.append(
            Chunk(
                chunk_id=f"{i:032x}",
                document_id=f"doc-{i // 10:06d}",
                title=f"Synthetic document {i // 10}",
                source=f"synthetic/doc-{i // 10:06d}.txt",
                text=text,
                start=0,
                end=len(text),
                paragraph_start=i % 10 + 1,
                paragraph_end=i % 10 + 1,
            )
        )
    vectors = rng.standard_normal((size, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors


def synthetic_queries(n: int, seed: int = 99) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    vocab = vocabulary()[:5000]
    out = []
    for _ in range(n):
        text = " ".join(rng.choice(vocab, size=6))
        vec = rng.standard_normal(DIM).astype(np.float32)
        out.append((text, vec / np.linalg.norm(vec)))
    return out


class StubQueryEmbedder:
    """The Embedder protocol with a fixed vector per query text (no model)."""

    name = "stub"

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    @property
    def dimension(self) -> int:
        return DIM

    def embed(self, texts: Any, *, on_batch: Any = None) -> np.ndarray:
        return np.vstack([self.table[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.table[text]


# ---------------------------------------------------------------- one configuration (worker)


def worker(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.index.bm25 import BM25Index
    from assistant.index.store import ChromaStore
    from assistant.retrieval import HybridRetriever

    size = args.size
    rss_start = rss_mb()
    chunks, vectors = synthetic(size)
    rss_data = rss_mb()
    if args.url:
        store = ChromaStore(url=args.url, collection=f"scale{size}")
    else:
        store = ChromaStore(path=Path(args.work) / "chroma", collection=f"scale{size}")
    with Timer() as add_t:
        for i in range(0, size, ADD_BATCH):
            store.add(chunks[i : i + ADD_BATCH], vectors[i : i + ADD_BATCH])
    assert store.count() == size, store.count()

    bm25_dir = Path(args.work).parent / f"bm25-{size}"
    loaded = BM25Index.load(bm25_dir) if args.url else None
    if loaded is not None and len(loaded) == size:
        bm25 = loaded
        with Timer() as bm25_t:
            bm25 = BM25Index.load(bm25_dir) or loaded
        bm25_how = "loaded"
    else:
        bm25 = BM25Index()
        with Timer() as bm25_t:
            bm25.build([c.chunk_id for c in chunks], [c.text for c in chunks])
        bm25.save(bm25_dir)
        bm25_how = "built"
    del chunks, vectors

    qs = synthetic_queries(args.queries + 10)
    retriever = HybridRetriever(
        embedder=StubQueryEmbedder(dict(qs)),
        store=store,
        bm25=lambda: bm25,
        k=6,
        candidates=30,
        rrf_k=60,
    )
    for text, _ in qs[:10]:
        retriever.retrieve(text)
    timings: dict[str, list[float]] = {"hybrid": [], "dense": [], "bm25": []}
    for mode in ("hybrid", "dense", "bm25"):
        for text, _ in qs[10:]:
            started = time.perf_counter()
            hits = retriever.retrieve(text, mode=mode)  # type: ignore[arg-type]
            timings[mode].append((time.perf_counter() - started) * 1000)
            assert hits, "no hits"
    count_ms = []
    for _ in range(50):
        started = time.perf_counter()
        store.count()
        count_ms.append((time.perf_counter() - started) * 1000)
    result = {
        "backend": "server" if args.url else "embedded",
        "count_call": latency_stats(count_ms),
        "size": size,
        "add_s": round(add_t.seconds, 2),
        "add_chunks_per_s": round(size / add_t.seconds, 1),
        "bm25_s": round(bm25_t.seconds, 2),
        "bm25_how": bm25_how,
        "hybrid": latency_stats(timings["hybrid"]),
        "dense": latency_stats(timings["dense"]),
        "bm25": latency_stats(timings["bm25"]),
        "rss_start_mb": round(rss_start, 1),
        "rss_synthetic_data_mb": round(rss_data - rss_start, 1),
        "client_rss_mb": round(rss_mb(), 1),
    }
    if args.server_pid:
        result["server_rss_mb"] = round(tree_rss_mb(args.server_pid), 1)
    return result


# ---------------------------------------------------------------- orchestration


def start_chroma(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_for_port(port, timeout=90.0)
    except TimeoutError:
        proc.kill()
        raise
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def run_worker(
    size: int, queries: int, work: Path, url: str = "", server_pid: int = 0, timeout: float = 3600
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--size",
        str(size),
        "--queries",
        str(queries),
        "--work",
        str(work),
    ]
    if url:
        cmd += ["--url", url, "--server-pid", str(server_pid)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def growth(results: list[dict[str, Any]], key: str) -> list[str]:
    """Ratios between consecutive sizes and the log-log slope (1.0 = linear)."""
    out = []
    for a, b in itertools.pairwise(results):
        va, vb = a[key], b[key]
        if va > 0 and vb > 0:
            slope = math.log(vb / va) / math.log(b["size"] / a["size"])
            out.append(
                f"{b['size'] // 1000}k/{a['size'] // 1000}k x{vb / va:.2f} (slope {slope:.2f})"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per mode")
    parser.add_argument(
        "--backends", default="embedded,server", help="embedded and/or server (chroma run)"
    )
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument("--name", default="scale", help="result file name stem")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--work", default="", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        import logging
        import warnings

        warnings.filterwarnings("ignore")
        logging.disable(logging.WARNING)
        print(json.dumps(worker(args)))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    results: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        for size in sizes:
            for backend in backends:
                work = tmp / f"{backend}-{size}"
                work.mkdir()
                print(f"[{time.perf_counter() - started:6.0f}s] {backend} {size} chunks ...")
                sys.stdout.flush()
                if backend == "server":
                    proc, url = start_chroma(work / "server-data")
                    try:
                        r = run_worker(size, args.queries, work, url, proc.pid)
                    finally:
                        stop(proc)
                else:
                    r = run_worker(size, args.queries, work)
                print(
                    f"         add {r['add_s']}s, bm25 {r['bm25_s']}s ({r['bm25_how']}), "
                    f"hybrid p50 {r['hybrid']['p50_ms']} ms p95 {r['hybrid']['p95_ms']} ms, "
                    f"client RSS {r['client_rss_mb']} MB"
                    + (f", server RSS {r['server_rss_mb']} MB" if "server_rss_mb" in r else "")
                )
                results.append(r)
                shutil.rmtree(work, ignore_errors=True)
                partial = args.out_dir / f"{args.name}.partial.json"
                partial.write_text(json.dumps(results, indent=1) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total_s = time.perf_counter() - started
    (args.out_dir / f"{args.name}.partial.json").unlink(missing_ok=True)

    headers = [
        "backend",
        "chunks",
        "add s (chunks/s)",
        "BM25 s",
        "hybrid p50 / p95 ms",
        "dense p50 / p95 ms",
        "BM25 p50 / p95 ms",
        "client RSS MB",
        "server RSS MB",
    ]
    rows = [
        [
            r["backend"],
            f"{r['size']:,}",
            f"{r['add_s']} ({r['add_chunks_per_s']:.0f})",
            f"{r['bm25_s']} ({r['bm25_how']})",
            f"{r['hybrid']['p50_ms']} / {r['hybrid']['p95_ms']}",
            f"{r['dense']['p50_ms']} / {r['dense']['p95_ms']}",
            f"{r['bm25']['p50_ms']} / {r['bm25']['p95_ms']}",
            r["client_rss_mb"],
            r.get("server_rss_mb", "-"),
        ]
        for r in results
    ]
    print()
    print_table(headers, rows)

    findings = []
    for backend in backends:
        rs = [dict(r, p50=r["hybrid"]["p50_ms"]) for r in results if r["backend"] == backend]
        if len(rs) < 2:
            continue
        findings.append(f"{backend}: hybrid p50 growth " + "; ".join(growth(rs, "p50")))
        findings.append(f"{backend}: add time growth " + "; ".join(growth(rs, "add_s")))
        mem_key = "server_rss_mb" if backend == "server" else "client_rss_mb"
        findings.append(f"{backend}: {mem_key} growth " + "; ".join(growth(rs, mem_key)))
        bm = [dict(r, p50b=r["bm25"]["p50_ms"]) for r in rs]
        findings.append(f"{backend}: BM25-only p50 growth " + "; ".join(growth(bm, "p50b")))
    findings.append(f"Total run time {total_s:.0f}s.")
    data = {"sizes": sizes, "backends": backends, "results": results, "total_s": round(total_s, 1)}
    write_results(
        args.name,
        args.out_dir,
        title="Retrieval at scale: latency, build time and memory (embedded Chroma vs server)",
        tables=[("Per backend and size (synthetic 384-d vectors, real code path)", headers, rows)],
        findings=findings,
        data=data,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
