"""The knowledge base: adding, replacing, listing and removing documents across every index.

Order of writes in an ingest (what makes a killed ingest safe to re-run): a write-ahead note
(the registry's `pending` table: the row to be written, the chunk ids before and after) is made
first; chunks go into the vector store (upserts by content-derived id), stale chunks are deleted,
and the registry row is written together with dropping the note, in one SQLite transaction. The
BM25 index is rebuilt from the store whenever its fingerprint disagrees with it.

A note left behind by a killed process is settled under the write lock by the next write (or
by `assistant doctor --repair`): rolled forward when all its new chunks reached the store (the
stale ones are then deleted and the row written), rolled back otherwise (its partial new chunks
deleted). Notes of other documents are settled before the write's own work (so its duplicate
checks see a settled registry); notes of the documents it rewrites are settled after it, so a
re-run of the same ingest first reuses the chunks the killed run already embedded. An
"unchanged" document is also checked against the store: missing or extra chunks are repaired
rather than trusted.

Writers take a file lock (`write.lock`); readers never write: a reader whose BM25 index is out
of date rebuilds it in memory and saves it only if it can take the lock without waiting.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from filelock import FileLock, Timeout

from assistant.documents.chunking import chunk_document
from assistant.documents.loaders import (
    SUPPORTED_SUFFIXES,
    ParseLimits,
    load_bytes,
    load_document,
)
from assistant.errors import AssistantError, RejectedFile, StoreBusy
from assistant.index.bm25 import BM25Index, fingerprint
from assistant.index.embedder import Embedder
from assistant.index.registry import PendingWrite, Registry, now_iso
from assistant.index.store import ChunkStore
from assistant.types import Chunk, Document, DocumentRecord

IGNORE_FILE = ".assistantignore"
Status = Literal["added", "updated", "unchanged", "rejected"]
ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


@dataclass
class FileResult:
    """What happened to one input file."""

    name: str
    status: Status
    reason: str = ""
    document_id: str = ""
    title: str = ""
    chunks: int = 0


@dataclass
class IngestReport:
    """Per-file results of one ingest, and how many chunks were embedded."""

    results: list[FileResult] = field(default_factory=list)
    embedded: int = 0

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)

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


@dataclass
class _Prepared:
    name: str
    document: Document
    document_id: str
    sha256: str
    chunks: list[Chunk]


# ---- test hook (tests/test_crash_ingest.py) ----
# ASSISTANT_TEST_PAUSE_AT=<phase>[:<n>] makes the n-th arrival (default the 1st) at a named phase
# boundary of a write append "<phase> <n> <detail>" to the file ASSISTANT_TEST_PAUSE_FILE and then
# sleep, so that a test can SIGKILL the process exactly there. Phases: "parse" (before loading each
# file), "embed" (before each group's encode call), "upsert" (the group's write-ahead notes are
# open, before its store upsert), "registry" (before each document's registry commit), "bm25"
# (index rebuilt, before it is saved). Read once at import; unset, a boundary costs one test.
_PAUSE_AT = os.environ.get("ASSISTANT_TEST_PAUSE_AT", "")
_pause_arrivals: dict[str, int] = {}


def _test_pause(phase: str, detail: object = "") -> None:
    """The test hook above; does nothing unless ASSISTANT_TEST_PAUSE_AT is set."""
    if not _PAUSE_AT:
        return
    wanted, _, nth = _PAUSE_AT.partition(":")
    arrival = _pause_arrivals[phase] = _pause_arrivals.get(phase, 0) + 1
    if phase != wanted or arrival != int(nth or 1):
        return
    with open(os.environ["ASSISTANT_TEST_PAUSE_FILE"], "a", encoding="utf-8") as marker:
        marker.write(f"{phase} {arrival} {detail}\n")
    time.sleep(float(os.environ.get("ASSISTANT_TEST_PAUSE_SECONDS", "600")))


_Work = tuple["_Prepared", Status, set[str], list[Chunk], list[Chunk], set[str]]
EMBED_GROUP = 256  # new chunks embedded per encode call, across documents


def _groups(work: list[_Work], size: int) -> Iterator[list[_Work]]:
    """Consecutive documents whose new chunks add up to about `size`."""
    group: list[_Work] = []
    count = 0
    for item in work:
        group.append(item)
        count += len(item[3])
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


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
        self.store = store
        self.embedder = embedder
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.max_file_bytes = max_file_bytes
        self.parse_limits = parse_limits  # None: the loaders read the current settings
        self.registry = Registry(data_dir / "registry.sqlite3")
        self.bm25_dir = data_dir / "bm25"
        self.lock_path = data_dir / "write.lock"
        self._write_lock = FileLock(str(self.lock_path))
        self._thread_lock = threading.RLock()
        self._bm25_lock = threading.RLock()
        self._bm25: BM25Index | None = None
        self._bm25_mtime: float = -1.0
        self.lock_timeout = 30.0

    # ---- the BM25 index, kept in step with the store ----

    def bm25(self) -> BM25Index:
        """The BM25 index matching the store (reloaded when another process rebuilt it)."""
        with self._bm25_lock:
            marker = self.bm25_dir / "ids.json"
            mtime = marker.stat().st_mtime if marker.exists() else -1.0
            if self._bm25 is None or mtime != self._bm25_mtime:
                loaded = BM25Index.load(self.bm25_dir)
                if loaded is None or loaded.fingerprint != fingerprint(self.store.ids()):
                    loaded = self._build_bm25()
                    if self._try_save_bm25(loaded):
                        mtime = marker.stat().st_mtime if marker.exists() else -1.0
                self._bm25 = loaded
                self._bm25_mtime = mtime
            return self._bm25

    def _build_bm25(self) -> BM25Index:
        chunks = sorted(self.store.chunks(), key=lambda c: c.chunk_id)
        index = BM25Index()
        index.build([c.chunk_id for c in chunks], [c.text for c in chunks])
        return index

    def _try_save_bm25(self, index: BM25Index) -> bool:
        """Save a rebuilt index only when no writer is busy (a reader must not race a writer)."""
        reader_lock = FileLock(str(self.lock_path))
        try:
            reader_lock.acquire(timeout=0)
        except (Timeout, OSError):  # a writer is busy, or the data directory is read-only
            return False
        try:
            if self._bm25_fresh_on_disk():
                return False
            index.save(self.bm25_dir)
            return True
        except OSError:
            return False
        finally:
            reader_lock.release()

    def _bm25_fresh_on_disk(self) -> bool:
        loaded = BM25Index.load(self.bm25_dir)
        return loaded is not None and loaded.fingerprint == fingerprint(self.store.ids())

    def _rebuild_bm25(self) -> BM25Index:
        index = self._build_bm25()
        _test_pause("bm25", len(index))
        index.save(self.bm25_dir)
        return index

    def sync_bm25(self) -> bool:
        """Rebuild the BM25 index if it disagrees with the store; True when it did.

        Writes the index, so callers hold the write lock (the knowledge base's writes do).
        """
        with self._bm25_lock:
            if self._bm25_fresh_on_disk():
                return False
            self._bm25 = self._rebuild_bm25()
            marker = self.bm25_dir / "ids.json"
            self._bm25_mtime = marker.stat().st_mtime
            return True

    # ---- writing ----

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the write lock (waiting up to lock_timeout), with the store re-opened if stale.

        (The lock is acquired exactly once here and released on exit: using the FileLock itself
        as the context manager after acquiring it would count twice and never release it, so a
        long-running web server would keep every CLI ingest out after its first upload.)
        """
        try:
            self._write_lock.acquire(timeout=self.lock_timeout)
        except Timeout as exc:
            raise StoreBusy(
                f"another process is writing to {self.data_dir} "
                f"(lock {self._write_lock.lock_file}); try again when it finishes"
            ) from exc
        except OSError as exc:
            raise AssistantError(
                f"cannot lock {self._write_lock.lock_file} for writing: "
                f"{exc.strerror or exc} (is the data directory writable?)"
            ) from exc
        try:
            refresh = getattr(self.store, "refresh", None)
            if refresh is not None:
                refresh()
            yield
        finally:
            self._write_lock.release()

    def recover(self, skip: Iterable[str] = ()) -> list[str]:
        """Settle the notes of killed writes (see the module docstring); the caller holds the lock.

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

    def _prepare(self, name: str, document: Document, source: str) -> _Prepared:
        document_id = document_id_for(source, name)
        sha = hashlib.sha256(document.text.encode()).hexdigest()
        chunks = chunk_document(
            document, document_id, chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap
        )
        if not chunks:
            raise RejectedFile(f"'{name}' has no text")
        return _Prepared(name, document, document_id, sha, chunks)

    def ingest(self, paths: Sequence[Path], *, progress: ProgressFn | None = None) -> IngestReport:
        """Add or update documents from files and folders."""
        files, rejected = discover(paths)
        prepared: list[_Prepared] = []
        report = IngestReport(results=list(rejected))
        for path in files:
            _test_pause("parse", path.name)
            try:
                doc = load_document(
                    path,
                    source=source_key(path),
                    max_bytes=self.max_file_bytes,
                    limits=self.parse_limits,
                )
                prepared.append(self._prepare(path.name, doc, doc.source))
            except RejectedFile as exc:
                report.results.append(FileResult(path.name, "rejected", str(exc)))
        self._index(prepared, report, progress)
        return report

    def ingest_bytes(
        self, items: Sequence[tuple[str, bytes]], *, progress: ProgressFn | None = None
    ) -> IngestReport:
        """Add or update uploaded documents (name, content); names are labels, never paths."""
        prepared: list[_Prepared] = []
        report = IngestReport()
        for raw_name, data in items:
            name = Path(raw_name.replace("\\", "/")).name or "upload"
            _test_pause("parse", name)
            try:
                doc = load_bytes(
                    data,
                    name,
                    source=f"upload/{name}",
                    max_bytes=self.max_file_bytes,
                    limits=self.parse_limits,
                )
                prepared.append(self._prepare(name, doc, doc.source))
            except RejectedFile as exc:
                report.results.append(FileResult(name, "rejected", str(exc)))
        self._index(prepared, report, progress)
        return report

    def _index(
        self, prepared: list[_Prepared], report: IngestReport, progress: ProgressFn | None
    ) -> None:
        if not prepared:
            return
        with self._locked(), self._thread_lock:
            # other documents' killed writes first, so duplicate checks see the settled registry;
            # notes of this batch's documents wait: their chunks are reused, then they are settled
            self.recover(skip={item.document_id for item in prepared})
            work: list[tuple[_Prepared, Status, set[str], list[Chunk], list[Chunk], set[str]]] = []
            seen_sha: dict[str, str] = {}
            seen_id: set[str] = set()
            for item in prepared:
                if item.document_id in seen_id:  # the same file named twice in one ingest
                    continue
                seen_id.add(item.document_id)
                record = self.registry.get(item.document_id)
                existing = self.store.ids(item.document_id)
                wanted = {c.chunk_id for c in item.chunks}
                if record is not None and record.sha256 == item.sha256 and existing == wanted:
                    report.results.append(
                        FileResult(
                            item.name,
                            "unchanged",
                            "",
                            item.document_id,
                            item.document.title,
                            record.chunks,
                        )
                    )
                    continue
                twin = self.registry.find_by_sha(item.sha256)
                twin_id = twin.document_id if twin else seen_sha.get(item.sha256)
                if twin_id is not None and twin_id != item.document_id:
                    report.results.append(
                        FileResult(
                            item.name,
                            "unchanged",
                            f"duplicate of {twin_id}",
                            twin_id,
                            item.document.title,
                        )
                    )
                    continue
                seen_sha[item.sha256] = item.document_id
                new = [c for c in item.chunks if c.chunk_id not in existing]
                kept = [c for c in item.chunks if c.chunk_id in existing]
                stale = existing - wanted
                status: Status = "updated" if record is not None else "added"
                work.append((item, status, existing, new, kept, stale))

            total = sum(len(w[3]) for w in work)
            done = 0
            if progress is not None:
                progress(0, total, "embedding")
            try:
                for group in _groups(work, EMBED_GROUP):
                    label = group[0][0].name + (
                        f" (+{len(group) - 1} more)" if len(group) > 1 else ""
                    )

                    def advance(n: int, label: str = label) -> None:
                        nonlocal done
                        done += n
                        if progress is not None:
                            progress(done, total, label)

                    # one encode call for many small documents: the model is the cost of ingestion
                    texts = [c.text for w in group for c in w[3]]
                    _test_pause("embed", f"{len(group)} documents, {len(texts)} chunks")
                    vectors = self.embedder.embed(texts, on_batch=advance) if texts else None
                    self._write_group(group, vectors, report)
            finally:
                self.recover()
                self.sync_bm25()

    def _write_group(
        self, group: list[_Work], vectors: np.ndarray | None, report: IngestReport
    ) -> None:
        """Documents written together: notes first, one upsert, then each one's registry row.

        A kill anywhere leaves notes that recover() settles per document (complete or undo).
        """
        records: list[DocumentRecord] = []
        for item, _status, existing, _new, _kept, _stale in group:
            previous = self.registry.get(item.document_id)
            stamp = now_iso()
            record = DocumentRecord(
                document_id=item.document_id,
                title=item.document.title,
                path=item.document.source,
                doc_type=item.document.doc_type,
                sha256=item.sha256,
                chunks=len(item.chunks),
                added=previous.added if previous else stamp,
                updated=stamp,
            )
            self.registry.begin(
                item.document_id, record, existing, (c.chunk_id for c in item.chunks)
            )
            records.append(record)
        new = [c for w in group for c in w[3]]
        if new and vectors is not None:
            _test_pause("upsert", f"{len(group)} documents, {len(new)} chunks")
            self.store.add(new, vectors)
            report.embedded += len(new)
        for (item, status, _existing, _new, kept, stale), record in zip(
            group, records, strict=True
        ):
            if kept:
                self.store.update_metadata(kept)
            if stale:
                self.store.delete(sorted(stale))
            _test_pause("registry", item.document_id)
            self.registry.finish(item.document_id, record)
            report.results.append(
                FileResult(
                    item.name, status, "", item.document_id, item.document.title, len(item.chunks)
                )
            )

    def remove(self, document_id: str) -> DocumentRecord:
        """Delete a document and all its chunks from every index."""
        with self._locked(), self._thread_lock:
            self.recover(skip={document_id})
            record = self.registry.get(document_id)
            ids = self.store.ids(document_id)
            if record is None and not ids:
                raise AssistantError(
                    f"no document with id '{document_id}' (see: assistant sources list)"
                )
            try:
                self.registry.begin(document_id, None, ids, ())
                if ids:
                    self.store.delete(sorted(ids))
                self.registry.finish(document_id, None)
            finally:
                self.recover()
                self.sync_bm25()
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
            if not record.path.startswith("upload/")
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
