"""Planning an ingest: prepared documents and a snapshot of the indexes in, planned writes out.

Pure: no store, registry or clock is touched here, so the decisions (what is unchanged, what is a
duplicate of another document, which chunks are new, kept or stale) are testable on their own.
The writer (index/writer.py) carries a plan out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from assistant.types import Chunk, Document, DocumentRecord, cited_metadata

WriteStatus = Literal["added", "updated"]


@dataclass(frozen=True)
class PreparedDocument:
    """A loaded document, chunked, with the id and content digest it is indexed under."""

    name: str
    document: Document
    document_id: str
    sha256: str
    chunks: list[Chunk]

    @property
    def chunk_ids(self) -> frozenset[str]:
        return frozenset(c.chunk_id for c in self.chunks)


@dataclass(frozen=True)
class Snapshot:
    """What the indexes hold for the documents of one batch (read under the write lock)."""

    records: Mapping[str, DocumentRecord]  # registry rows by document id (absent: none)
    stored: Mapping[str, frozenset[str]]  # chunk ids in the store by document id
    by_sha: Mapping[str, str]  # content digest -> the earliest registered document with it


@dataclass(frozen=True)
class Skip:
    """A document that needs no write: unchanged, or a duplicate of another one."""

    item: PreparedDocument
    document_id: str  # the document itself, or the one it duplicates
    reason: str = ""
    chunks: int = 0


@dataclass(frozen=True)
class PlannedWrite:
    """One document to write: its new chunks to embed, kept ones to re-label, stale ones to drop."""

    item: PreparedDocument
    status: WriteStatus
    previous: DocumentRecord | None
    existing: frozenset[str]
    new: tuple[Chunk, ...]
    kept: tuple[Chunk, ...]
    stale: frozenset[str]

    def record(self, stamp: str) -> DocumentRecord:
        """The registry row this write leaves, updated at stamp (added then too, when new)."""
        item = self.item
        return DocumentRecord(
            document_id=item.document_id,
            title=item.document.title,
            path=item.document.source,
            doc_type=item.document.doc_type,
            sha256=item.sha256,
            chunks=len(item.chunks),
            added=self.previous.added if self.previous else stamp,
            updated=stamp,
            metadata=cited_metadata(item.document.metadata),
        )


@dataclass
class Plan:
    """Skipped documents and planned writes, each in input order."""

    skipped: list[Skip] = field(default_factory=list)
    writes: list[PlannedWrite] = field(default_factory=list)


def plan_writes(prepared: Sequence[PreparedDocument], snapshot: Snapshot) -> Plan:
    """Decide what each document needs.

    A document named twice is planned once. It is unchanged when its registry row has the same
    digest, title and metadata and the store holds exactly its chunks (missing or extra chunks
    are repaired, not trusted; a new title or date only re-labels the kept chunks); a duplicate when another document, registered or earlier in the batch, has the
    same text; otherwise written, reusing the chunks the store already has.
    """
    plan = Plan()
    seen_sha: dict[str, str] = {}
    seen_id: set[str] = set()
    for item in prepared:
        if item.document_id in seen_id:
            continue
        seen_id.add(item.document_id)
        record = snapshot.records.get(item.document_id)
        existing = snapshot.stored.get(item.document_id, frozenset())
        if (
            record is not None
            and record.sha256 == item.sha256
            and existing == item.chunk_ids
            and _same_labels(record, item.document)
        ):
            plan.skipped.append(Skip(item, item.document_id, "", record.chunks))
            continue
        twin_id = snapshot.by_sha.get(item.sha256) or seen_sha.get(item.sha256)
        if twin_id is not None and twin_id != item.document_id:
            plan.skipped.append(Skip(item, twin_id, f"duplicate of {twin_id}"))
            continue
        seen_sha[item.sha256] = item.document_id
        plan.writes.append(
            PlannedWrite(
                item=item,
                status="updated" if record is not None else "added",
                previous=record,
                existing=existing,
                new=tuple(c for c in item.chunks if c.chunk_id not in existing),
                kept=tuple(c for c in item.chunks if c.chunk_id in existing),
                stale=existing - item.chunk_ids,
            )
        )
    return plan


def _same_labels(record: DocumentRecord, document: Document) -> bool:
    """Whether the registry row still names the document as it now reads: title and metadata."""
    return record.title == document.title and record.metadata == cited_metadata(document.metadata)
