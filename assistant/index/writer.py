"""The writer: every change to the vector store, the registry and the BM25 index goes through it.

Order of writes for one document (what makes a killed write safe to re-run): a write-ahead note
(the registry's `pending` table: the row to be written, the chunk ids before and after) is made
first; chunks go into the vector store (upserts by content-derived id), stale chunks are deleted,
and the registry row is written together with dropping the note, in one SQLite transaction. The
BM25 index is rebuilt from the store whenever its fingerprint disagrees with it.

A note left behind by a killed process is settled under the write lock by the next write (or
by `assistant doctor --repair`): rolled forward when all its new chunks reached the store (the
stale ones are then deleted and the row written), rolled back otherwise (its partial new chunks
deleted). Notes of other documents are settled before a write's own work (so its duplicate
checks see a settled registry); notes of the documents it rewrites are settled after it, so a
re-run of the same ingest first reuses the chunks the killed run already embedded.

Every method here expects the caller to hold the data directory's write lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.index.bm25 import BM25Keeper
from assistant.index.embedder import Embedder
from assistant.index.pause import pause
from assistant.index.plan import PlannedWrite, PreparedDocument, Snapshot
from assistant.index.registry import PendingWrite, Registry, now_iso
from assistant.index.store import ChunkStore
from assistant.types import Chunk, DocumentRecord

EMBED_GROUP = 256  # new chunks embedded per encode call, across documents
ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


@dataclass
class Written:
    """The writes that completed, in order, and how many chunks were embedded for them."""

    writes: list[PlannedWrite] = field(default_factory=list)
    embedded: int = 0


def groups(writes: Sequence[PlannedWrite], size: int) -> Iterator[list[PlannedWrite]]:
    """Consecutive writes whose new chunks add up to about `size` (one encode call each)."""
    group: list[PlannedWrite] = []
    count = 0
    for write in writes:
        group.append(write)
        count += len(write.new)
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


class _Progress:
    """Counts embedded chunks towards a total and reports them under a label."""

    def __init__(self, total: int, report: ProgressFn | None) -> None:
        self.total = total
        self.done = 0
        self._report = report
        if report is not None:
            report(0, total, "embedding")

    def callback(self, label: str) -> Callable[[int], None]:
        def advance(n: int) -> None:
            self.done += n
            if self._report is not None:
                self._report(self.done, self.total, label)

        return advance


class IndexWriter:
    """Writes planned documents and removals; settles interrupted writes; repairs the registry."""

    def __init__(
        self, *, registry: Registry, store: ChunkStore, embedder: Embedder, bm25: BM25Keeper
    ) -> None:
        self.registry = registry
        self.store = store
        self.embedder = embedder
        self.bm25 = bm25

    # ---- what a plan needs to know ----

    def snapshot(self, prepared: Sequence[PreparedDocument]) -> Snapshot:
        """The registry rows, stored chunk ids and content twins of these documents."""
        ids = list(dict.fromkeys(item.document_id for item in prepared))
        records = {i: r for i in ids if (r := self.registry.get(i)) is not None}
        by_sha = {
            item.sha256: twin.document_id
            for item in prepared
            if (twin := self.registry.find_by_sha(item.sha256)) is not None
        }
        return Snapshot(records, {i: frozenset(self.store.ids(i)) for i in ids}, by_sha)

    # ---- writing ----

    def write(self, writes: Sequence[PlannedWrite], progress: ProgressFn | None = None) -> Written:
        """Embed and write the planned documents in groups, then settle and sync the BM25 index.

        Run after recover(skip=the batch's documents): their notes are settled here, last.
        """
        written = Written()
        counter = _Progress(sum(len(w.new) for w in writes), progress)
        try:
            for group in groups(writes, EMBED_GROUP):
                label = group[0].item.name + (
                    f" (+{len(group) - 1} more)" if len(group) > 1 else ""
                )
                # one encode call for many small documents: the model is the cost of ingestion
                texts = [c.text for w in group for c in w.new]
                pause("embed", f"{len(group)} documents, {len(texts)} chunks")
                vectors = (
                    self.embedder.embed(texts, on_batch=counter.callback(label)) if texts else None
                )
                self._write_group(group, vectors, written)
        finally:
            self.settle()
        return written

    def _write_group(
        self, group: list[PlannedWrite], vectors: np.ndarray | None, written: Written
    ) -> None:
        """Documents written together: notes first, one upsert, then each one's registry row.

        A kill anywhere leaves notes that recover() settles per document (complete or undo).
        """
        records: list[DocumentRecord] = []
        for write in group:
            record = write.record(now_iso())
            self.registry.begin(
                write.item.document_id, record, write.existing, write.item.chunk_ids
            )
            records.append(record)
        new = [c for w in group for c in w.new]
        if new and vectors is not None:
            pause("upsert", f"{len(group)} documents, {len(new)} chunks")
            self.store.add(new, vectors)
            written.embedded += len(new)
        for write, record in zip(group, records, strict=True):
            if write.kept:
                self.store.update_metadata(write.kept)
            if write.stale:
                self.store.delete(sorted(write.stale))
            pause("registry", write.item.document_id)
            self.registry.finish(write.item.document_id, record)
            written.writes.append(write)

    def remove(self, document_id: str) -> tuple[DocumentRecord | None, set[str]]:
        """Delete a document's chunks and row (noted first); its row before, and its chunk ids.

        Returns (None, empty) without writing when the document is in neither index.
        """
        self.recover(skip={document_id})
        record = self.registry.get(document_id)
        ids = self.store.ids(document_id)
        if record is None and not ids:
            return None, ids
        try:
            self.registry.begin(document_id, None, ids, ())
            if ids:
                self.store.delete(sorted(ids))
            self.registry.finish(document_id, None)
        finally:
            self.settle()
        return record, ids

    # ---- settling ----

    def settle(self) -> None:
        """After a write: settle every note left, and bring the BM25 index in step."""
        self.recover()
        self.bm25.sync()

    def recover(self, skip: Iterable[str] = ()) -> list[str]:
        """Settle the notes of killed writes (see the module docstring).

        Notes of the documents in skip are left for later (the running write is about to redo
        them). Returns one line per settled document. Never embeds.
        """
        later = set(skip)
        return [self._settle(n) for n in self.registry.pending() if n.document_id not in later]

    def _settle(self, note: PendingWrite) -> str:
        present = self.store.ids(note.document_id)
        if note.new_ids <= present:
            extra = present - note.new_ids
            if extra:
                self.store.delete(sorted(extra))
            self.registry.finish(note.document_id, note.record)
            what = "removal" if note.record is None else "write"
            return f"{note.document_id}: completed an interrupted {what}"
        current = self.registry.get(note.document_id)
        keep = note.old_ids if current is not None else frozenset()
        partial = present - keep
        if partial:
            self.store.delete(sorted(partial))
        self.registry.drop_pending(note.document_id)
        return f"{note.document_id}: rolled back an interrupted write ({len(partial)} chunks)"

    # ---- repair (assistant doctor --repair) ----

    def repair(self) -> list[str]:
        """Settle notes, make the registry agree with the store, sync BM25; one line per change.

        Never embeds: counts are taken from the store, a row without chunks is dropped, and
        orphan chunks are re-registered from their metadata (see assistant/health.py).
        """
        self.store.refresh()
        done = self.recover()
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in self.store.chunks():
            by_doc.setdefault(chunk.document_id, []).append(chunk)
        for record in self.registry.all():
            have = len(by_doc.get(record.document_id, []))
            if have == 0:
                self.registry.delete(record.document_id)
                done.append(
                    f"{record.document_id}: no chunks in the store; dropped from the registry"
                )
            elif have != record.chunks:
                self.registry.upsert(_with_chunk_count(record, have))
                done.append(f"{record.document_id}: chunk count {record.chunks} -> {have}")
        known = {r.document_id for r in self.registry.all()}
        for document_id, doc_chunks in sorted(by_doc.items()):
            if document_id not in known:
                self.registry.upsert(_record_from_chunks(document_id, doc_chunks))
                done.append(f"{document_id}: re-registered {len(doc_chunks)} orphan chunks")
        if self.bm25.sync():
            done.append("rebuilt the BM25 index from the store")
        return done


def _with_chunk_count(record: DocumentRecord, chunks: int) -> DocumentRecord:
    return DocumentRecord(
        record.document_id,
        record.title,
        record.path,
        record.doc_type,
        record.sha256,
        chunks,
        record.added,
        now_iso(),
        record.metadata,
    )


def _record_from_chunks(document_id: str, chunks: list[Chunk]) -> DocumentRecord:
    first = min(chunks, key=lambda c: c.start)
    suffix = Path(first.source).suffix.lower().lstrip(".")
    stamp = now_iso()
    return DocumentRecord(
        document_id=document_id,
        title=first.title,
        path=first.source,
        doc_type=suffix if suffix in {"txt", "md", "html", "pdf", "docx"} else "txt",
        sha256="",  # unknown: the next ingest of this file re-checks it, reusing the vectors
        chunks=len(chunks),
        added=stamp,
        updated=stamp,
        metadata=first.document_metadata,
    )
