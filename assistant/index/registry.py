"""The document registry (SQLite in the data directory): which documents are indexed, and since when."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.types import DocumentRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    path TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    added TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
"""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Registry:
    """One row per indexed document; written last in an ingest, so it only lists complete documents."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._conn.commit()

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
            row = cur.execute(
                "SELECT * FROM documents WHERE document_id = ?", (document_id,)
            ).fetchone()
        return DocumentRecord(*row) if row else None

    def find_by_sha(self, sha256: str) -> DocumentRecord | None:
        with self._cursor() as cur:
            row = cur.execute(
                "SELECT * FROM documents WHERE sha256 = ? ORDER BY added LIMIT 1", (sha256,)
            ).fetchone()
        return DocumentRecord(*row) if row else None

    def all(self) -> list[DocumentRecord]:
        with self._cursor() as cur:
            rows = cur.execute("SELECT * FROM documents ORDER BY added, document_id").fetchall()
        return [DocumentRecord(*row) for row in rows]

    def upsert(self, record: DocumentRecord) -> None:
        with self._cursor() as cur:
            cur.execute(
                "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(document_id) DO UPDATE SET title=excluded.title, path=excluded.path, "
                "doc_type=excluded.doc_type, sha256=excluded.sha256, chunks=excluded.chunks, "
                "updated=excluded.updated",
                (
                    record.document_id,
                    record.title,
                    record.path,
                    record.doc_type,
                    record.sha256,
                    record.chunks,
                    record.added,
                    record.updated,
                ),
            )

    def delete(self, document_id: str) -> None:
        with self._cursor() as cur:
            cur.execute("DELETE FROM documents WHERE document_id = ?", (document_id,))

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits to the registry."""
        with self._cursor() as cur:
            return int(cur.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self._conn.close()
