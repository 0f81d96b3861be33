"""A small ingest process for tests/test_crash_ingest.py: the package's own KnowledgeBase and
embedded Chroma with the fake embedder (no model to load), so a SIGKILL lands in the code under
test in a second or two instead of after a model load.

    python tests/crash_driver.py DOCS STEP:DATA_DIR [STEP:DATA_DIR ...]

Steps run in order, one JSON line each on standard output (run_steps does the same in-process):
  ingest  ingest DOCS into DATA_DIR (what `assistant ingest DOCS` does)
  doctor  `assistant doctor`'s checks (assistant.health.check)
  repair  `assistant doctor --repair` (assistant.health.repair)
  state   what each index holds: Chroma ids per document, registry rows, notes, BM25 on disk

With ASSISTANT_TEST_PAUSE_AT=upsert-half[:n] the store's upsert is split in two and the pause
hook (assistant.index.pause.pause) runs between the halves: a kill there leaves half of a
group's new chunks in Chroma, as a kill inside Chroma's own batched writes would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from assistant.offline import enforce_offline

enforce_offline()

import numpy as np  # noqa: E402

from assistant import health  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.index import pause  # noqa: E402
from assistant.index.bm25 import BM25Index, fingerprint  # noqa: E402
from assistant.index.datadir import DataDir  # noqa: E402
from assistant.runtime import Runtime  # noqa: E402
from assistant.testing import FakeEmbedder  # noqa: E402
from assistant.types import Chunk  # noqa: E402

CHUNK_SIZE = 400


def runtime_for(data: Path) -> Runtime:
    runtime = Runtime(
        load_settings(data_dir=data, chunk_size=CHUNK_SIZE), embedder_override=FakeEmbedder()
    )
    if pause.PAUSE_AT.startswith("upsert-half"):
        store = runtime.store
        add = store.add

        def add_in_halves(chunks: list[Chunk], vectors: np.ndarray) -> None:
            half = len(chunks) // 2
            add(chunks[:half], vectors[:half])
            pause.pause("upsert-half", f"{half} of {len(chunks)} chunks upserted")
            add(chunks[half:], vectors[half:])

        store.add = add_in_halves  # type: ignore[method-assign]
    return runtime


def state(runtime: Runtime) -> dict[str, Any]:
    """Read-only view of every index (the BM25 index as saved, not rebuilt)."""
    data = runtime.settings.data_dir
    chunks = runtime.store.chunks()
    by_doc: dict[str, list[str]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.document_id, []).append(chunk.chunk_id)
    bm25 = BM25Index.load(DataDir(data).bm25)
    registry = runtime.knowledge.registry
    return {
        "chunk_ids": sorted(c.chunk_id for c in chunks),
        "chunks_by_doc": {d: sorted(ids) for d, ids in sorted(by_doc.items())},
        "registry": sorted([r.document_id, r.sha256, r.chunks] for r in registry.all()),
        "pending": sorted(p.document_id for p in registry.pending()),
        "bm25_ids": sorted(bm25.chunk_ids) if bm25 is not None else None,
        "bm25_fresh": bm25 is not None
        and bm25.fingerprint == fingerprint(c.chunk_id for c in chunks),
    }


def health_json(report: health.HealthReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "failed": [f"{c.name}: {c.detail}" for c in report.checks if not c.ok],
        "repaired": report.repaired,
    }


def run_steps(docs: Path, specs: list[str]) -> list[dict[str, Any]]:
    """Run STEP:DATA_DIR specs in order (one Runtime per data directory); their results."""
    runtimes: dict[Path, Runtime] = {}
    results: list[dict[str, Any]] = []
    for spec in specs:
        step, _, where = spec.partition(":")
        data = Path(where)
        runtime = runtimes.setdefault(data, runtime_for(data))
        out: dict[str, Any] = {"step": step, "data": str(data)}
        if step == "ingest":
            report = runtime.knowledge.ingest([docs])
            out["summary"] = report.summary()
        elif step == "doctor":
            out |= health_json(health.check(runtime))
        elif step == "repair":
            out |= health_json(health.repair(runtime))
        elif step == "state":
            out |= state(runtime)
        else:
            raise SystemExit(f"unknown step {step!r}")
        results.append(out)
    return results


def main(argv: list[str]) -> None:
    for out in run_steps(Path(argv[0]), argv[1:]):
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
