"""Each benchmark script of eval/bench runs at a tiny size and writes sane figures.

About 100 s in all on a lightly loaded 2-core machine (mostly loading the model and starting
servers); the generous per-script timeout is for a shared, busy machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "eval" / "bench"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1000)]


def run(script: str, out: Path, *flags: str, timeout: float = 900) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), "--out-dir", str(out), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (out / f"{script}.md").is_file()
    data: dict[str, Any] = json.loads((out / f"{script}.json").read_text())
    assert data["command"] and data["date"] and data["machine"]["cpus"]
    return data


def test_ingest_retrieval_tiny(tmp_path: Path) -> None:
    data = run(
        "ingest_retrieval",
        tmp_path,
        "--passages",
        "6",
        "--repeats",
        "1",
        "--queries",
        "10",
        "--asks",
        "3",
    )
    assert data["corpus"]["chunks"] > 0
    assert data["same_chunks_as_store"] is True
    assert data["raw_chunks_per_s"] > 0 and data["ingest_chunks_per_s"] > 0
    assert data["ratio"] > 0
    assert data["noop_embedded"] == 0
    assert data["retrieval"]["n"] == 10 and data["retrieval"]["p50_ms"] > 0
    assert data["ask"]["n"] == 3 and data["ask"]["p95_ms"] > 0


def test_scale_tiny(tmp_path: Path) -> None:
    data = run("scale", tmp_path, "--sizes", "200", "--queries", "10")
    backends = {r["backend"] for r in data["results"]}
    assert backends == {"embedded", "server"}
    for r in data["results"]:
        assert r["size"] == 200 and r["add_s"] > 0
        assert r["hybrid"]["p50_ms"] > 0 and r["client_rss_mb"] > 0
    assert next(r for r in data["results"] if r["backend"] == "server")["server_rss_mb"] > 0


def test_concurrency_tiny(tmp_path: Path) -> None:
    data = run("concurrency", tmp_path, "--concurrency", "4", "--rounds", "1")
    assert data["all_correct"] is True
    (round_,) = data["rounds"]
    assert round_["correct"] == round_["questions"] == 4
    assert round_["p50_ms"] > 0 and round_["wall_s"] > 0


def test_soak_tiny(tmp_path: Path) -> None:
    data = run(
        "soak",
        tmp_path,
        "--questions",
        "20",
        "--every",
        "5",
        "--warmup",
        "5",
        "--bound-mb",
        "200",
        "--max-errors",
        "20",
    )
    # wrong answers count as errors now (the soak's quality figure); the smoke checks the loop
    assert data["questions"] == 20 and data["error_types"].get("exception", 0) == 0
    assert data["error_types"].get("empty", 0) == 0
    assert data["rss_start_mb"] > 0 and data["rss_peak_mb"] >= data["rss_start_mb"]
    assert data["latency"]["p50_ms"] > 0
    assert data["bound_held"] is True
