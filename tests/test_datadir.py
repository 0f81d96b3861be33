"""The data directory's write lock and its two policies, and the registry set aside."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock

from assistant.errors import AssistantError, StoreBusy
from assistant.index import datadir
from assistant.index.datadir import DataDir, LockState, opening_in_turns


def test_attempt_is_held_when_free_and_busy_while_anyone_else_holds_it(tmp_path: Path) -> None:
    lock = DataDir(tmp_path).write_lock
    with lock.attempt() as state:
        assert state is LockState.HELD
        with lock.attempt() as inner:  # a second attempt, even in this process, waits its turn
            assert inner is LockState.BUSY
    other = FileLock(str(lock.path))
    other.acquire(timeout=0)
    try:
        with lock.attempt(timeout=0.1) as state:
            assert state is LockState.BUSY
    finally:
        other.release()


def test_hold_waits_then_fails_with_one_line_and_releases_on_exit(tmp_path: Path) -> None:
    paths = DataDir(tmp_path)
    with paths.write_lock.hold(1.0, what=tmp_path):
        with paths.write_lock.attempt() as state:
            assert state is LockState.BUSY
        with (
            pytest.raises(StoreBusy) as caught,
            DataDir(tmp_path).write_lock.hold(0.1, what=tmp_path),
        ):
            pass
    assert "another process is writing" in str(caught.value) and "\n" not in str(caught.value)
    with paths.write_lock.attempt() as state:
        assert state is LockState.HELD


class _ReadOnlyLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lock_file = path

    def acquire(self, timeout: float = -1) -> None:
        raise PermissionError(13, "Permission denied", self.path)


def test_a_lock_that_cannot_be_taken_is_unavailable_or_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datadir, "FileLock", _ReadOnlyLock)
    paths = DataDir(tmp_path)
    with paths.write_lock.attempt() as state:
        assert state is LockState.UNAVAILABLE
    with (
        pytest.raises(AssistantError, match="is the data directory writable"),
        paths.write_lock.hold(0.1, what=tmp_path),
    ):
        pass
    with opening_in_turns(tmp_path):  # opens anyway, without turns
        pass


def test_an_unreadable_registry_is_moved_aside_with_its_wal_files(tmp_path: Path) -> None:
    paths = DataDir(tmp_path)
    for suffix in ("", "-wal"):
        Path(str(paths.registry) + suffix).write_bytes(b"junk")
    aside = paths.move_registry_aside()
    assert not paths.registry.exists()
    assert aside.read_bytes() == b"junk" and Path(str(aside) + "-wal").exists()
    assert aside.parent == tmp_path and aside.name.startswith(paths.registry.name)
