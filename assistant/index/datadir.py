"""The data directory: the name of every file and folder in it, and its write lock.

Layout (ASSISTANT_DATA_DIR):

    registry.sqlite3     the document registry and its write-ahead notes (index/registry.py)
    bm25/                the saved BM25 index (index/bm25.py owns what is inside)
    chroma/              the embedded Chroma store (index/store.py); beside Chroma's own files:
      assistant-generation   replaced by every write, so other processes' clients re-open
      open.lock              held while a process opens the store, so first opens take turns
    write.lock           held by whoever writes to any of the above
    conversations/       kept chats, one folder per owner (assistant/chats/store.py)
    uploads/             the web page's upload folder, Gradio's temp folder (ui/uploads.py);
      exports/conversations/<id>/   a conversation's Markdown export, for download

The write lock has two policies, named for what the caller does when it is held elsewhere:
`hold` (wait up to a timeout, then fail with a one-line StoreBusy: writers) and `attempt`
(try, optionally waiting a little, and report whether it was had: readers that may save or
re-open something, and the doctor).
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.errors import AssistantError, StoreBusy

REGISTRY = "registry.sqlite3"
BM25 = "bm25"
CHROMA = "chroma"
WRITE_LOCK = "write.lock"
GENERATION = "assistant-generation"
OPEN_LOCK = "open.lock"
CONVERSATIONS = "conversations"
UPLOADS = "uploads"
CONVERSATION_EXPORTS = ("exports", "conversations")  # inside UPLOADS
OPEN_WAIT = 120.0  # seconds one process waits for another to finish opening a new store


class LockState(enum.Enum):
    """The outcome of one attempt at a lock."""

    HELD = "held"  # taken: released when the attempt's block ends
    BUSY = "busy"  # another process (or another lock object of this one) holds it
    UNAVAILABLE = "unavailable"  # cannot be taken at all, e.g. a read-only data directory


@contextmanager
def _attempt(path: Path, timeout: float) -> Iterator[LockState]:
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        yield LockState.BUSY
        return
    except OSError:
        yield LockState.UNAVAILABLE
        return
    try:
        yield LockState.HELD
    finally:
        lock.release()


class WriteLock:
    """The data directory's write lock; one object per writer (it counts its own acquisitions)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path))

    @contextmanager
    def hold(self, timeout: float, *, what: Path) -> Iterator[None]:
        """Hold the lock, waiting up to timeout seconds; StoreBusy when another writer keeps it.

        (Acquired exactly once here and released on exit: using the FileLock itself as the
        context manager after acquiring it would count twice and never release it, so a
        long-running web server would keep every CLI ingest out after its first upload.)
        """
        try:
            self._lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise StoreBusy(
                f"another process is writing to {what} "
                f"(lock {self._lock.lock_file}); try again when it finishes"
            ) from exc
        except OSError as exc:
            raise AssistantError(
                f"cannot lock {self._lock.lock_file} for writing: "
                f"{exc.strerror or exc} (is the data directory writable?)"
            ) from exc
        try:
            yield
        finally:
            self._lock.release()

    def attempt(self, timeout: float = 0.0) -> AbstractContextManager[LockState]:
        """Try once (waiting up to timeout seconds); yields a LockState, releases if HELD.

        A separate lock object each time, so it is BUSY even while this process's own writer
        holds the lock: a reader in a writing process never overlaps that write.
        """
        return _attempt(self.path, timeout)


@contextmanager
def opening_in_turns(store_dir: Path | None) -> Iterator[None]:
    """Hold a short lock beside an embedded store while it is opened (no-op for a server)."""
    if store_dir is None:
        yield
        return
    # a read-only directory or a stuck opener: open without turns
    with _attempt(store_dir / OPEN_LOCK, OPEN_WAIT):
        yield


def generation_file(store_dir: Path) -> Path:
    """The file every write to an embedded store replaces."""
    return store_dir / GENERATION


class DataDir:
    """The paths of one data directory and its write lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.registry = root / REGISTRY
        self.bm25 = root / BM25
        self.chroma = root / CHROMA
        self.write_lock = WriteLock(root / WRITE_LOCK)
        self.conversations = root / CONVERSATIONS
        self.uploads = root / UPLOADS
        self.conversation_exports = self.uploads.joinpath(*CONVERSATION_EXPORTS)

    def move_registry_aside(self) -> Path:
        """Rename an unreadable registry (with its WAL files) out of the way; the new name."""
        aside = self.registry.with_name(f"{REGISTRY}.unreadable-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.registry) + suffix)
            if part.exists():
                os.replace(part, Path(str(aside) + suffix))
        return aside
