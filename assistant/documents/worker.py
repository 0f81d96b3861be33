"""Runs one parse in a child process that is killed when it takes too long.

This module owns the process boundary of parsing: `run_in_child` starts a child for one call,
caps what it may allocate (Linux), waits for its result up to a wall-clock limit, and at the
limit kills it (SIGKILL, which no signal handler and no C loop can delay) and reaps it, so its
memory goes back to the system and no zombie is left. A child whose parent was killed first
ends a second after the limit all the same (SIGALRM, set in the child). The calling thread waits in `poll`
without holding the GIL, so the rest of a server keeps running meanwhile.

Where the platform can fork (Linux, macOS), the child is forked for each call:

- A fork costs 5-35 ms a file, 35-50 ms from a process holding the embedding model (measured
  on a busy 2-core machine, README's note on limits), so no warm worker is kept: every file gets
  a fresh process, and whatever a parse allocated is freed when it ends, instead of staying in a
  long-lived worker's allocator. (A warm worker would cost less a file, but would not see the
  patches described next, which tests/test_loaders.py relies on.)
- The child sees the parent's state as it was at the fork: loaded modules, and the patches tests
  make to the parsers, which therefore work across the process boundary.
- Forking a process that has other threads (a web server) is only safe for code that needs no
  lock another thread may have held at the fork. The child runs only the parsers (pure Python,
  lxml, zlib) and leaves with `os._exit` (no atexit handlers, no flushing of buffers it
  inherited); the worst a lock inherited in a held state could do is hang the child. A parse
  uses the CPU until it ends, so a child whose CPU time has not moved for STALL_S seconds (Linux:
  /proc) is taken to be blocked on such a lock: it is killed and the call is made again, once, in
  a spawned child (a fresh interpreter, no inherited locks) within what is left of the time
  limit. Elsewhere the wall-clock limit kills a hung child like any other.

Elsewhere (Windows) the child is started with multiprocessing's 'spawn': a fresh interpreter
a call, slower to start, that sees only what `function` and `args` carry (they must pickle).
"""

from __future__ import annotations

import _strptime  # imported here, in the parent, so that a child never imports it
import logging
import math
import multiprocessing
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

__all__ = ["ChildCrashed", "ChildTimedOut", "run_in_child"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_CAN_FORK = hasattr(os, "fork")
_FORK_LOCK = threading.Lock()
_HEADER = struct.Struct("<Q")  # the length of the pickled outcome that follows it
_READ_SIZE = 1 << 20
_CRASH_GRACE_S = 1.0  # how long a child that closed its pipe without a result may take to exit
STALL_S = 5.0  # a forked child using no CPU this long is blocked: spawned again (see above)
_STALL_POLL_S = 0.5


class ChildTimedOut(Exception):
    """The child was still working at the deadline; it has been killed and reaped."""


class _ChildStalled(Exception):
    """The forked child used no CPU for STALL_S seconds; it has been killed and reaped."""


class ChildCrashed(Exception):
    """The child ended without a result (killed by the system, crashed); it has been reaped."""


def run_in_child(
    function: Callable[..., T],
    *args: Any,
    timeout: float,
    memory_mb: float | None = None,
    start_method: str | None = None,
) -> T:
    """`function(*args)` in a child process: its value, or its exception re-raised here.

    Raises ChildTimedOut when no complete result came within `timeout` seconds of the start,
    and ChildCrashed when the child ended without one; either way the child is gone on return.
    `memory_mb` caps what the child may allocate beyond what it started with (Linux: its
    RLIMIT_DATA; an allocation over it raises MemoryError in the child, which comes back here).
    `start_method` "fork" or "spawn" overrides the platform's choice (tests use "spawn").
    """
    method = start_method or ("fork" if _CAN_FORK else "spawn")
    memory = None if memory_mb is None else int(memory_mb * 1024 * 1024)
    call = (function, args, memory, timeout)
    if method == "fork":
        started = time.monotonic()
        try:
            payload = _run_forked(call, timeout)
        except _ChildStalled:
            left = timeout - (time.monotonic() - started)
            log.warning(
                "a parse made no progress for %s s: reading it again in a new process", STALL_S
            )
            payload = _run_spawned((function, args, memory, left), left, "spawn")
    else:
        payload = _run_spawned(call, timeout, method)
    status, value = payload
    if status == "ok":
        return value
    if not isinstance(value, Exception):  # KeyboardInterrupt, SystemExit: they stay the child's
        raise ChildCrashed(f"it stopped with {type(value).__name__}")
    raise value


# function, args, memory cap in bytes, wall-clock limit in seconds
_Call = tuple[Callable[..., Any], tuple[Any, ...], int | None, float]


def _outcome(call: _Call) -> bytes:
    """In the child: the pickled ("ok", value) or ("error", exception) of the call."""
    function, args, memory_bytes, timeout = call
    try:  # a server's handlers must not run here; the parent alone decides when the child stops
        signal.set_wakeup_fd(-1)  # an event loop's wake-up pipe is the parent's, not ours
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if hasattr(signal, "alarm"):  # should the parent die first, the kernel ends us anyway
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(min(math.ceil(timeout) + 1, 2**31 - 1))
    except ValueError:  # not the main thread (cannot happen after a fork or a spawn)
        pass
    if memory_bytes is not None:
        _cap_memory(memory_bytes)
    try:
        result: tuple[str, Any] = ("ok", function(*args))
    except BaseException as exc:  # everything goes back to the parent, nothing to stderr
        result = ("error", exc)
    try:
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:  # the value was too big to copy under the cap
        return pickle.dumps(("error", MemoryError()))
    except Exception as exc:  # an unpicklable value or exception: its text still goes back
        return pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def _cap_memory(extra_bytes: int) -> None:
    """Let this process allocate at most `extra_bytes` more (Linux; elsewhere no cap).

    RLIMIT_DATA counts private writable memory (heap and anonymous mappings, Linux 4.7 on);
    a forked child starts with the parent's, so the cap is what it has now plus the budget.
    """
    try:
        import resource

        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        now = int(fields["VmData"].split()[0]) * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = now + extra_bytes
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, OSError, KeyError, ValueError):  # not Linux: the time limit remains
        pass


# --- fork -------------------------------------------------------------------------------------


def _renew_inherited_locks() -> None:
    """In a forked child: give the standard library's date parser a lock of its own.

    `datetime.strptime` (python-docx reads a file's dates with it, PDF and HTML dates may use it)
    takes `_strptime._cache_lock`; a child forked while another thread of a server was inside
    strptime inherits that lock held and would hang until the time limit. The child is the only
    thread now, so a fresh lock is safe.
    """
    _strptime._cache_lock = threading.Lock()


def _run_forked(call: _Call, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    with _FORK_LOCK:  # no other call's child may inherit this pipe's writing end
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except BaseException:
            os.close(reader)
            os.close(writer)
            raise
        if pid == 0:  # the child: never returns
            code = 0
            try:
                _renew_inherited_locks()
                os.close(reader)
                payload = _outcome(call)
                view = memoryview(_HEADER.pack(len(payload)) + payload)
                while view:
                    view = view[os.write(writer, view) :]
            except BaseException:  # the parent has gone or stopped reading: nothing to tell
                code = 1
            finally:
                os._exit(code)
        os.close(writer)  # the child holds the only writing end: its end is our end-of-file
    try:
        data = _read_message(reader, deadline, _CpuWatch(pid))
        if data is None:
            raise ChildTimedOut(f"no result after {timeout} s")
        if not data:
            exitcode = _reap(pid, grace=_CRASH_GRACE_S)
            pid = 0
            raise ChildCrashed(_exit_reason(exitcode))
        return pickle.loads(data)
    finally:
        os.close(reader)
        if pid:  # done (it has written all and is leaving) or too slow: killed either way
            _reap(pid, grace=0.0)


class _CpuWatch:
    """Whether a child has stopped using the CPU for STALL_S seconds (Linux /proc; elsewhere
    never said)."""

    def __init__(self, pid: int) -> None:
        self.path = f"/proc/{pid}/stat"
        self.ticks: int | None = None
        self.since = time.monotonic()

    def stalled(self) -> bool:
        try:
            with open(self.path, "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])  # utime + stime
        except (OSError, IndexError, ValueError):
            return False
        now = time.monotonic()
        if ticks != self.ticks:
            self.ticks, self.since = ticks, now
            return False
        return now - self.since >= STALL_S


def _read_message(fd: int, deadline: float, watch: _CpuWatch | None = None) -> bytes | None:
    """The child's message (a length, then that many bytes): b"" when the pipe ended before
    all of it came, None at the deadline; _ChildStalled when `watch` says it stopped working."""
    poller = select.poll()  # not select.select: a server's descriptors may be over 1024
    poller.register(fd, select.POLLIN)
    received = bytearray()
    expected: int | None = None
    while expected is None or len(received) < _HEADER.size + expected:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not poller.poll(math.ceil(min(remaining, _STALL_POLL_S) * 1000)):
            if watch is not None and watch.stalled():
                raise _ChildStalled()
            continue
        chunk = os.read(fd, _READ_SIZE)
        if not chunk:
            return b""
        received += chunk
        if expected is None and len(received) >= _HEADER.size:
            (expected,) = _HEADER.unpack_from(received)
    return bytes(received[_HEADER.size :])


def _reap(pid: int, *, grace: float) -> int | None:
    """Wait up to `grace` seconds for the child to exit, then kill it; reap it either way.

    Returns its exit code as multiprocessing gives it (-N: killed by signal N), or None when
    something else reaped it first."""
    end = time.monotonic() + grace
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= end:
                break
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except ChildProcessError:  # reaped elsewhere (a SIGCHLD handler, SIGCHLD ignored)
        return None


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "it ended without a result"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


# --- spawn ------------------------------------------------------------------------------------


def _spawned_child(conn: Connection, call: _Call) -> None:
    try:
        conn.send_bytes(_outcome(call))
    finally:
        conn.close()


def _run_spawned(call: _Call, timeout: float, method: str) -> Any:
    context = multiprocessing.get_context(method)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_spawned_child, args=(sender, call), daemon=True
    )
    deadline = time.monotonic() + timeout
    try:
        process.start()
        sender.close()  # the child holds the only writing end: its end is our end-of-file
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            raise ChildTimedOut(f"no result after {timeout} s")
        try:
            return pickle.loads(receiver.recv_bytes())
        except (EOFError, OSError):
            process.join(_CRASH_GRACE_S)
            raise ChildCrashed(_exit_reason(process.exitcode)) from None
    finally:
        sender.close()
        receiver.close()
        if process.pid is not None:
            if process.exitcode is None:
                process.kill()
            process.join()
            process.close()
