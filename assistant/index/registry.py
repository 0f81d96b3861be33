"""The document registry (SQLite in the data directory): which documents are indexed, since when.

A registry made before documents carried metadata (title aside: url, published, author, site) has
no `metadata` column; opening it adds the column (every old row reads as "nothing known"). A
registry that cannot be written (a read-only data directory) is read as it is.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.types import DocumentRecord, cited_metadata

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    added TEXT NOT NULL,
    updated TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE TABLE IF NOT EXISTS pending (
    document_id TEXT PRIMARY KEY,
    record TEXT,
    old_ids TEXT NOT NULL,
    new_ids TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class PendingWrite:
    """A write-ahead note for one document, made before its chunks are touched in the store.

    record is the registry row the write will leave (None for a removal); old_ids are the
    document's chunk ids in the store before the write, new_ids those it will have after.
    A note still present when no write is running means that write was killed part-way.
    """

    document_id: str
    record: DocumentRecord | None
    old_ids: frozenset[str]
    new_ids: frozenset[str]


_COLUMNS = "document_id, title, path, doc_type, sha256, chunks, added, updated"
_UPSERT = (
    f"INSERT INTO documents ({_COLUMNS}, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(document_id) DO UPDATE SET title=excluded.title, path=excluded.path, "
    "doc_type=excluded.doc_type, sha256=excluded.sha256, chunks=excluded.chunks, "
    "updated=excluded.updated, metadata=excluded.metadata"
)


def _row(record: DocumentRecord) -> tuple[str, str, str, str, str, int, str, str, str]:
    return (
        record.document_id,
        record.title,
        record.path,
        record.doc_type,
        record.sha256,
        record.chunks,
        record.added,
        record.updated,
        json.dumps(cited_metadata(record.metadata), ensure_ascii=False),
    )


def _record(row: tuple[Any, ...]) -> DocumentRecord:
    """A row selected with the registry's `_select` as a record."""
    try:
        stored = json.loads(row[8])
    except (TypeError, ValueError):  # a damaged value costs the metadata, not the row
        stored = {}
    metadata = cited_metadata(stored) if isinstance(stored, dict) else {}
    document_id, title, path, doc_type, sha256, chunks, added, updated = row[:8]
    return DocumentRecord(
        document_id, title, path, doc_type, sha256, chunks, added, updated, metadata
    )


def _add_metadata_column(conn: sqlite3.Connection) -> bool:
    """Give a registry made before metadata its column; False when it has none and cannot."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(documents)")}
    if "metadata" in columns:
        return True
    try:
        conn.execute("ALTER TABLE documents ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}'")
        conn.commit()
    except sqlite3.OperationalError:  # read-only: read the rows without it
        conn.rollback()
        return False
    return True


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Registry:
    """One row per indexed document, written last in an ingest: it lists only complete documents."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(_SCHEMA)
            self._conn.commit()
            metadata = "metadata" if _add_metadata_column(self._conn) else "'{}'"
        except sqlite3.DatabaseError as exc:
            raise AssistantError(
                f"the document registry {path} is unreadable ({exc}); see: assistant doctor"
            ) from exc
        self._select = f"SELECT {_COLUMNS}, {metadata} FROM documents"

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
            finally:
                cur.close()

    def get(self, document_id: str) -> DocumentRecord | None:
        with self._cursor() as cur:
            row = cur.execute(f"{self._select} WHERE document_id = ?", (document_id,)).fetchone()
        return _record(row) if row else None

    def find_by_sha(self, sha256: str) -> DocumentRecord | None:
        with self._cursor() as cur:
            row = cur.execute(
                f"{self._select} WHERE sha256 = ? ORDER BY added LIMIT 1", (sha256,)
            ).fetchone()
        return _record(row) if row else None

    def all(self) -> list[DocumentRecord]:
        with self._cursor() as cur:
            rows = cur.execute(f"{self._select} ORDER BY added, document_id").fetchall()
        return [_record(row) for row in rows]

    def upsert(self, record: DocumentRecord) -> None:
        with self._cursor() as cur:
            cur.execute(_UPSERT, _row(record))

    def delete(self, document_id: str) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))

    # ---- the write-ahead notes that make a killed write recoverable ----

    def begin(
        self,
        document_id: str,
        record: DocumentRecord | None,
        old_ids: Iterable[str],
        new_ids: Iterable[str],
    ) -> None:
        """Note a write before its chunks are touched (replaces an older note for the document)."""
        with self._cursor() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
                (
                    document_id,
                    json.dumps(asdict(record)) if record is not None else None,
                    json.dumps(sorted(old_ids)),
                    json.dumps(sorted(new_ids)),
                ),
            )

    def finish(self, document_id: str, record: DocumentRecord | None) -> None:
        """In one transaction: write (or, for None, delete) the row and drop the note."""
        with self._cursor() as cur:
            if record is None:
                cur.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))
            else:
                cur.execute(_UPSERT, _row(record))
            cur.execute("DELETE FROM pending WHERE document_id = ?", (document_id,))

    def pending(self) -> list[PendingWrite]:
        """Notes of writes that have not finished (killed, or running in another process)."""
        with self._cursor() as cur:
            rows = cur.execute("SELECT * FROM pending ORDER BY document_id").fetchall()
        return [
            PendingWrite(
                document_id=row[0],
                record=DocumentRecord(**json.loads(row[1])) if row[1] else None,
                old_ids=frozenset(json.loads(row[2])),
                new_ids=frozenset(json.loads(row[3])),
            )
            for row in rows
        ]

    def drop_pending(self, document_id: str) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM pending WHERE document_id = ?", (document_id,))

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits to the registry."""
        with self._cursor() as cur:
            return int(cur.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self._conn.close()
