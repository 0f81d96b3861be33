"""Shared helpers for the benchmark scripts: timing statistics, RSS, machine note, result files."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import socket
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from assistant.evaluation import metrics

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent.parent
KNOWLEDGE = ROOT / "knowledge"
JAPAN_SET = ROOT / "eval" / "sets" / "japan-dev.yaml"
SCIFACT = ROOT.parent / "shared" / "data" / "scifact"
NOISE_NOTE = (
    "Shared 2-core machine with other engineers running tests at the same time: absolute "
    "figures are noisy; ratios are measured within one run."
)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    return metrics.percentile(values, q) if values else 0.0


def latency_stats(ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max of a list of latencies in milliseconds."""
    return {
        "n": len(ms),
        "min_ms": round(min(ms), 2) if ms else 0.0,
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else 0.0,
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


def need_psutil() -> ModuleType:
    """psutil, which the benchmarks measure processes with (it comes with the dev extra)."""
    try:
        import psutil
    except ImportError:
        raise SystemExit(
            "the benchmarks measure memory and CPU with psutil, which is not installed: "
            "pip install -e '.[dev]' (or pip install psutil)"
        ) from None
    return psutil


def rss_mb(pid: int | None = None) -> float:
    """Resident set size of a process (default: this one) in MiB."""
    psutil = need_psutil()
    return psutil.Process(pid or os.getpid()).memory_info().rss / (1024 * 1024)


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its children in MiB (for servers that fork)."""
    psutil = need_psutil()
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / (1024 * 1024)


def git_state() -> dict[str, Any]:
    """The commit measured and the package files others had changed but not committed."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        )
        return done.stdout

    dirty = [line[3:] for line in git("status", "--short", "assistant").splitlines() if line]
    head = git("rev-parse", "--short", "HEAD").strip()
    return {"head": head, "uncommitted_package_files": dirty}


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    load = os.getloadavg()
    return {
        "git": git_state(),
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "memory_gb": round(need_psutil().virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_end": [round(x, 2) for x in load],
        "note": NOISE_NOTE,
    }


def command_line() -> str:
    """The command that produced the results, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = script.relative_to(ROOT).as_posix()
    except ValueError:
        shown = str(script)
    return " ".join([".venv/bin/python", shown, *(shlex.quote(a) for a in sys.argv[1:])])


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain-text table on stdout."""
    cells = [list(map(str, headers)), *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()


def write_results(
    name: str,
    out_dir: Path,
    *,
    title: str,
    tables: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]],
    findings: Sequence[str],
    data: dict[str, Any],
) -> tuple[Path, Path]:
    """Write <name>.md (tables, findings, command, date, machine) and <name>.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    stamp = now_utc()
    cmd = command_line()
    parts = [f"# {title}", ""]
    for caption, headers, rows in tables:
        if caption:
            parts += [f"**{caption}**", ""]
        parts += [markdown_table(headers, rows), ""]
    if findings:
        parts += ["## Findings", ""] + [f"- {f}" for f in findings] + [""]
    parts += [
        "## How measured",
        "",
        f"- Command: `{cmd}`",
        f"- Date: {stamp}",
        f"- Machine: {info['cpus']} CPUs, {info['memory_gb']} GB RAM, Python {info['python']}, "
        f"load average at end {info['loadavg_at_end']}",
        f"- Code: commit {info['git']['head']} plus uncommitted changes by other engineers in "
        f"{len(info['git']['uncommitted_package_files'])} package files (the working tree as it "
        "was during the run)",
        f"- {NOISE_NOTE}",
        "",
    ]
    md = out_dir / f"{name}.md"
    md.write_text("\n".join(parts))
    js = out_dir / f"{name}.json"
    payload = {"name": name, "command": cmd, "date": stamp, "machine": info, **data}
    js.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nwrote {md} and {js}")
    return md, js


class Timer:
    """with Timer() as t: ...; t.seconds."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
