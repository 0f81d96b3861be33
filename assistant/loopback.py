"""Loopback: whether a host name means this machine only, and ports for the servers the assistant
starts itself (llama.cpp) and tests/benchmarks start."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
import time


def is_loopback_host(host: str) -> bool:
    """Whether a server bound to `host` listens on loopback only (localhost, 127.0.0.0/8, ::1),
    with or without IPv6 brackets."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until something listens on 127.0.0.1:port; fail early if proc exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")
