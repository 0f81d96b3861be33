"""Two real processes on one data directory: a long-running reader (what the web chat does) keeps
answering while another process ingests and removes documents, never crashes, and sees the new
documents without a restart; two writers take turns through the write lock.

Both processes use the real embedded Chroma store and the fake embedder (the sharing question is
about Chroma, the registry, the BM25 files and the lock, not about the model).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

RUNTIME = """
import json, sys, time, traceback
from pathlib import Path
from assistant.config import load_settings
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder
runtime = Runtime(load_settings(data_dir=Path(sys.argv[1])), embedder_override=FakeEmbedder())
"""

READER = (
    RUNTIME
    + """
stop = Path(sys.argv[2])
while True:
    last = stop.exists()
    try:
        dense = runtime.retriever.retrieve("zebra quantum", mode="dense", k=50)
        lexical = runtime.retriever.retrieve("zebra quantum", mode="bm25", k=50)
        line = {
            "count": runtime.store.count(),
            "docs": len(runtime.knowledge.documents()),
            "dense_new": sum("zebra" in h.chunk.text for h in dense),
            "bm25_new": sum("zebra" in h.chunk.text for h in lexical),
        }
    except Exception:
        line = {"error": traceback.format_exc()}
    print(json.dumps(line), flush=True)
    if last:
        break
    time.sleep(0.05)
"""
)

WRITER = (
    RUNTIME
    + """
kb = runtime.knowledge
for step in sys.argv[2:]:
    if step.startswith("remove:"):
        for record in kb.documents()[: int(step.split(":")[1])]:
            kb.remove(record.document_id)
    else:
        kb.ingest([Path(step)])
    print("done", step, flush=True)
"""
)


def corpus(folder: Path, n: int, word: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = "\n\n".join(
            f"Part {j} of {word} note {i}: {word} figures for the alliance, the yen and tariffs. "
            * 4
            for j in range(4)
        )
        (folder / f"{word}{i}.md").write_text(f"# {word} {i}\n\n{body}")
    return folder


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def test_a_reader_survives_and_sees_another_process_writing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = corpus(tmp_path / "first", 15, "baseline")
    second = corpus(tmp_path / "second", 15, "zebra")
    setup = subprocess.run(python(WRITER, str(data), str(first)), capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr

    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        python(READER, str(data), str(stop)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None
        head = reader.stdout.readline()  # the reader has opened the store and is answering
        writer = subprocess.run(
            python(WRITER, str(data), str(second), "remove:10", str(first)),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert writer.returncode == 0, writer.stderr
        time.sleep(1)
        stop.touch()
        out, err = reader.communicate(timeout=120)
    finally:
        if reader.poll() is None:
            reader.kill()
    lines = [json.loads(line) for line in [head, *out.splitlines()] if line.startswith("{")]
    errors = [line["error"] for line in lines if "error" in line]
    assert errors == [], errors[0]
    assert reader.returncode == 0, err
    assert lines[0]["dense_new"] == 0 and lines[0]["docs"] == 15
    final = lines[-1]
    # 15 + 15 added, 10 removed (baseline ones first), then the 10 baseline ones added back
    assert final["docs"] == 30
    assert final["dense_new"] > 0 and final["bm25_new"] > 0  # seen without a restart
    assert len(lines) > 10


def test_two_writers_take_turns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    a = corpus(tmp_path / "a", 20, "alpha")
    b = corpus(tmp_path / "b", 20, "beta")
    procs = [
        subprocess.Popen(python(WRITER, str(data), str(folder)), stderr=subprocess.PIPE, text=True)
        for folder in (a, b)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    check = subprocess.run(
        python(
            RUNTIME
            + "ids = runtime.store.ids(); recs = runtime.knowledge.documents()\n"
            + "from assistant.index.bm25 import fingerprint\n"
            + "print(json.dumps([len(ids), sum(r.chunks for r in recs), len(recs),"
            + " runtime.knowledge.bm25().fingerprint == fingerprint(ids)]))",
            str(data),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    chunks, registered, documents, bm25_in_step = json.loads(check.stdout.splitlines()[-1])
    assert documents == 40 and chunks == registered and bm25_in_step


OPENER = """
import sys, time
from pathlib import Path
from assistant.index.store import ChromaStore
from assistant.testing import FakeEmbedder
ready = Path(sys.argv[2])
(ready / sys.argv[3]).touch()
while len(list(ready.iterdir())) < int(sys.argv[4]):  # all imported: open together
    time.sleep(0.001)
store = ChromaStore(path=Path(sys.argv[1]), embed=FakeEmbedder().embed)
print(store.count())
"""


def test_processes_creating_one_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    # Before opens took turns, 4 processes released together onto a new store failed
    # ("table collections already exists") in about 3 rounds of 8.
    n = 4
    for round_ in range(5):
        path = tmp_path / f"round{round_}" / "chroma"
        ready = tmp_path / f"ready{round_}"
        ready.mkdir()
        procs = [
            subprocess.Popen(
                python(OPENER, str(path), str(ready), str(i), str(n)),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(n)
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.strip().splitlines()[-1]
            assert out.strip() == "0"
