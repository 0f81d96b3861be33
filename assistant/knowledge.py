"""The knowledge base: adding, replacing, listing and removing documents across every index.

An ingest finds the files (`discover`), or fetches web addresses with the fetch it is handed
(documents/web.py: a page becomes a Document like an upload does, its address its identity),
loads and chunks them (`KnowledgeBase.prepare`), then,
under the data directory's write lock: settles other documents' interrupted writes, plans the
batch against a snapshot of the indexes (index/plan.py: unchanged, duplicate, or which chunks
are new, kept and stale) and hands the plan to the writer (index/writer.py), which owns the
write-ahead notes that make a killed ingest safe to re-run, the upserts, recovery and settling.

Readers never write: the BM25 index is kept in step with the store by index/bm25.py.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.documents.chunking import chunk_document
from assistant.documents.loaders import (
    SUPPORTED_SUFFIXES,
    ParseLimits,
    load_bytes,
    load_document,
)
from assistant.errors import AssistantError, RejectedFile
from assistant.index.bm25 import BM25Index, BM25Keeper
from assistant.index.datadir import DataDir
from assistant.index.embedder import Embedder
from assistant.index.pause import pause
from assistant.index.plan import PlannedWrite, PreparedDocument, Skip, plan_writes
from assistant.index.registry import Registry
from assistant.index.store import ChunkStore
from assistant.index.writer import IndexWriter, ProgressFn
from assistant.types import Chunk, Document, DocumentRecord

IGNORE_FILE = ".assistantignore"
Status = Literal["added", "updated", "unchanged", "rejected"]


@dataclass
class FileResult:
    """What happened to one input file."""

    name: str
    status: Status
    reason: str = ""
    document_id: str = ""
    title: str = ""
    chunks: int = 0

    @classmethod
    def skipped(cls, skip: Skip) -> FileResult:
        item = skip.item
        return cls(
            item.name, "unchanged", skip.reason, skip.document_id, item.document.title, skip.chunks
        )

    @classmethod
    def written(cls, write: PlannedWrite) -> FileResult:
        item = write.item
        return cls(
            item.name, write.status, "", item.document_id, item.document.title, len(item.chunks)
        )


@dataclass
class IngestReport:
    """Per-file results of one ingest, and how many chunks were embedded."""

    results: list[FileResult] = field(default_factory=list)
    embedded: int = 0

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

    def merge(self, other: IngestReport) -> IngestReport:
        """This report followed by another's results (one ingest of files and addresses)."""
        return IngestReport(self.results + other.results, self.embedded + other.embedded)

    def summary(self) -> str:
        return (
            f"{self.count('added')} added, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('rejected')} rejected "
            f"({self.embedded} chunks embedded)"
        )


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (slug[:limit].rstrip("-")) or "document"


def document_id_for(source: str, name: str) -> str:
    """Stable for a source: the same path (or upload name) always maps to the same id."""
    return f"{slugify(Path(name).stem)}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"


def source_key(path: Path) -> str:
    """The path relative to the working folder when it lies inside it, else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _ignored(path: Path, root: Path, patterns: list[str]) -> bool:
    rel = path.relative_to(root).as_posix()
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(path.name, p) for p in patterns)


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest: files as given; folders walked recursively for supported types.

    In folders, hidden files and those matching the folder's .assistantignore are skipped.
    """
    files: list[Path] = []
    rejected: list[FileResult] = []
    for path in paths:
        if path.is_dir():
            ignore = path / IGNORE_FILE
            patterns = (
                [
                    line.strip()
                    for line in ignore.read_text(errors="replace").splitlines()
                    if line.strip() and not line.startswith("#")
                ]
                if ignore.is_file()
                else []
            )
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    candidate = Path(root) / name
                    if name.startswith(".") or _ignored(candidate, path, patterns):
                        continue
                    if candidate.suffix.lower() in SUPPORTED_SUFFIXES:
                        files.append(candidate)
        elif path.exists():
            files.append(path)
        else:
            rejected.append(FileResult(str(path), "rejected", "no such file or folder"))
    return files, rejected


class KnowledgeBase:
    """Documents in, chunks out: keeps the vector store, BM25 index and registry in step."""

    def __init__(
        self,
        *,
        data_dir: Path,
        store: ChunkStore,
        embedder: Embedder,
        chunk_size: int = 1000,
        chunk_overlap: int = 0,
        max_file_bytes: int = 20 * 1024 * 1024,
        parse_limits: ParseLimits | None = None,
    ) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.paths = DataDir(data_dir)
        self.store = store
        self.embedder = embedder
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.max_file_bytes = max_file_bytes
        self.parse_limits = parse_limits  # None: the loaders read the current settings
        self.registry = Registry(self.paths.registry)
        self.bm25_dir = self.paths.bm25
        self.lock_path = self.paths.write_lock.path
        self.lock_timeout = 30.0
        self.bm25_keeper = BM25Keeper(self.paths.bm25, store, self.paths.write_lock)
        self.writer = IndexWriter(
            registry=self.registry, store=store, embedder=embedder, bm25=self.bm25_keeper
        )
        self._thread_lock = threading.RLock()

    # ---- the BM25 index, kept in step with the store ----

    def bm25(self) -> BM25Index:
        """The BM25 index matching the store (reloaded when another process rebuilt it)."""
        return self.bm25_keeper.current()

    def sync_bm25(self) -> bool:
        """Rebuild the BM25 index if it disagrees with the store; True when it did.

        Writes the index, so callers hold the write lock (the knowledge base's writes do).
        """
        return self.bm25_keeper.sync()

    # ---- writing ----

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the write lock (waiting up to lock_timeout), with the store caught up with other
        processes' writes, and this process's turn among its threads."""
        with self.paths.write_lock.hold(self.lock_timeout, what=self.data_dir):
            self.store.refresh()
            with self._thread_lock:
                yield

    def recover(self, skip: Iterable[str] = ()) -> list[str]:
        """Settle the notes of killed writes (index/writer.py); the caller holds the lock."""
        return self.writer.recover(skip)

    def prepare(self, name: str, document: Document) -> PreparedDocument:
        """Chunk a loaded document under its id (derived from its source and name)."""
        document_id = document_id_for(document.source, name)
        sha = hashlib.sha256(document.text.encode()).hexdigest()
        chunks = chunk_document(
            document, document_id, chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
        )
        if not chunks:
            raise RejectedFile(f"'{name}' has no text")
        return PreparedDocument(name, document, document_id, sha, chunks)

    def ingest(self, paths: Sequence[Path], *, progress: ProgressFn | None = None) -> IngestReport:
        """Add or update documents from files and folders."""
        files, rejected = discover(paths)
        prepared: list[PreparedDocument] = []
        report = IngestReport(results=list(rejected))
        for path in files:
            pause("parse", path.name)
            try:
                doc = load_document(
                    path,
                    source=source_key(path),
                    max_bytes=self.max_file_bytes,
                    limits=self.parse_limits,
                )
                prepared.append(self.prepare(path.name, doc))
            except RejectedFile as exc:
                report.results.append(FileResult(path.name, "rejected", str(exc)))
        self._write(prepared, report, progress)
        return report

    def ingest_bytes(
        self, items: Sequence[tuple[str, bytes]], *, progress: ProgressFn | None = None
    ) -> IngestReport:
        """Add or update uploaded documents (name, content); names are labels, never paths."""
        prepared: list[PreparedDocument] = []
        report = IngestReport()
        for raw_name, data in items:
            name = Path(raw_name.replace("\\", "/")).name or "upload"
            pause("parse", name)
            try:
                doc = load_bytes(
                    data,
                    name,
                    source=f"upload/{name}",
                    max_bytes=self.max_file_bytes,
                    limits=self.parse_limits,
                )
                prepared.append(self.prepare(name, doc))
            except RejectedFile as exc:
                report.results.append(FileResult(name, "rejected", str(exc)))
        self._write(prepared, report, progress)
        return report

    def ingest_urls(
        self,
        urls: Sequence[str],
        fetch: Callable[[str], Document],
        *,
        progress: ProgressFn | None = None,
    ) -> IngestReport:
        """Add or update documents fetched from web addresses (documents/web.py's fetch); every
        address is fetched before the write lock is taken, and one that fails is rejected."""
        prepared: list[PreparedDocument] = []
        report = IngestReport()
        for url in dict.fromkeys(urls):
            pause("parse", url)
            try:
                document = fetch(url)
                prepared.append(self.prepare(document.source, document))
            except RejectedFile as exc:
                report.results.append(FileResult(url, "rejected", str(exc)))
        self._write(prepared, report, progress)
        return report

    def _write(
        self, prepared: list[PreparedDocument], report: IngestReport, progress: ProgressFn | None
    ) -> None:
        """Plan the batch against the indexes and have the writer carry the plan out."""
        if not prepared:
            return
        with self.locked():
            # other documents' killed writes first, so duplicate checks see the settled registry;
            # notes of this batch's documents wait: their chunks are reused, then they are settled
            self.writer.recover(skip={item.document_id for item in prepared})
            plan = plan_writes(prepared, self.writer.snapshot(prepared))
            report.results.extend(FileResult.skipped(skip) for skip in plan.skipped)
            written = self.writer.write(plan.writes, progress)
        report.results.extend(FileResult.written(write) for write in written.writes)
        report.embedded += written.embedded

    def remove(self, document_id: str) -> DocumentRecord:
        """Delete a document and all its chunks from every index."""
        with self.locked():
            record, ids = self.writer.remove(document_id)
        if record is None and not ids:
            raise AssistantError(
                f"no document with id '{document_id}' (see: assistant sources list)"
            )
        if record is None:
            return DocumentRecord(document_id, "", "", "", "", len(ids), "", "")
        return record

    # ---- reading ----

    def prune_missing(self, folders: Sequence[Path]) -> list[DocumentRecord]:
        """Remove documents that came from files under these folders and are no longer there."""
        roots = [source_key(folder).rstrip("/") + "/" for folder in folders if folder.is_dir()]
        gone = [
            record
            for record in self.documents()
            if not record.path.startswith(("upload/", "http://", "https://"))
            and any(record.path.startswith(root) for root in roots)
            and not Path(record.path).is_file()
        ]
        return [self.remove(record.document_id) for record in gone]

    def documents(self) -> list[DocumentRecord]:
        return self.registry.all()

    def chunk_count(self) -> int:
        return self.store.count()

    def document_chunks(self, document_id: str) -> list[Chunk]:
        return sorted(self.store.chunks(document_id), key=lambda c: c.start)
