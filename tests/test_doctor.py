"""`assistant doctor`: each way of breaking a data directory is reported (exit 1) and --repair
fixes it (exit 0 afterwards) without embedding anything.

The runs use the CLI in-process with the fake embedder and a real embedded Chroma store (so the
store persists between commands and its vectors can be compared byte for byte).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import Settings
from assistant.index.datadir import DataDir
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder
from tests.cli_helpers import run_main

EMBEDDED: list[str] = []


class CountingEmbedder(FakeEmbedder):
    """Records every text embedded in any runtime the CLI builds during a test."""

    def embed(self, texts, *, on_batch=None):  # type: ignore[no-untyped-def]
        EMBEDDED.extend(texts)
        return super().embed(texts, on_batch=on_batch)


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.cli.context as context

    EMBEDDED.clear()

    def make(settings: Settings) -> Runtime:
        return Runtime(settings, embedder_override=CountingEmbedder())

    monkeypatch.setattr(context, "Runtime", make)


def run(data: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(capsys, ["--data-dir", str(data), *args])


def doctor(
    data: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    code, out, err = run(data, "doctor", "--json", *extra, capsys=capsys)
    assert "Traceback" not in err
    return code, json.loads(out)


def failing(report: dict[str, Any]) -> set[str]:
    return {c["name"] for c in report["checks"] if not c["ok"]}


def write_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        body = "\n\n".join(
            f"Section {j} of report {i}: the yen, tariffs and the alliance budget {i}{j}. " * 5
            for j in range(4)
        )
        (folder / f"report{i}.md").write_text(f"# Report {i}\n\n{body}")
    return folder


def vectors(data: Path) -> dict[str, bytes]:
    from assistant.index.store import ChromaStore

    store = ChromaStore(path=DataDir(data).chroma)
    return {k: v.tobytes() for k, v in store.vectors(sorted(store.ids())).items()}


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = tmp_path / "data"
    code, _, err = run(data, "ingest", str(write_docs(tmp_path / "docs")), capsys=capsys)
    assert code == 0, err
    EMBEDDED.clear()
    return data


def test_a_healthy_data_directory_passes(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor(data, capsys)
    assert code == 0 and report["ok"] is True
    names = {c["name"] for c in report["checks"]}
    assert {
        "data directory",
        "registry",
        "vector store",
        "chunk counts",
        "orphan chunks",
        "bm25 index",
        "embedding model",
        "write lock",
        "interrupted writes",
    } <= names
    assert all(set(c) == {"name", "ok", "detail", "fix"} for c in report["checks"])


def test_text_output_names_the_problem_and_the_fix(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(DataDir(data).bm25)
    code, out, err = run(data, "doctor", capsys=capsys)
    assert code == 1 and err == ""
    assert "PROBLEM  bm25 index" in out and "fix: run: assistant doctor --repair" in out


def delete_bm25(data: Path) -> None:
    shutil.rmtree(DataDir(data).bm25)


def corrupt_bm25_ids(data: Path) -> None:
    (DataDir(data).bm25 / "ids.json").write_text('{"fingerprint": "x", "chunk_ids": [')


def tamper_bm25_ids(data: Path) -> None:
    meta = json.loads((DataDir(data).bm25 / "ids.json").read_text())
    meta["chunk_ids"] = meta["chunk_ids"][1:]
    (DataDir(data).bm25 / "ids.json").write_text(json.dumps(meta))


def delete_registry_row(data: Path) -> None:
    with sqlite3.connect(DataDir(data).registry) as conn:
        conn.execute(
            "DELETE FROM documents WHERE document_id = "
            "(SELECT document_id FROM documents ORDER BY document_id LIMIT 1)"
        )


def wrong_chunk_count(data: Path) -> None:
    with sqlite3.connect(DataDir(data).registry) as conn:
        conn.execute("UPDATE documents SET chunks = chunks + 3")


def corrupt_registry(data: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(DataDir(data).registry) + suffix).unlink(missing_ok=True)
    DataDir(data).registry.write_bytes(b"this is not a database" * 100)


def add_orphan_chunks(data: Path) -> None:
    from assistant.index.store import ChromaStore
    from assistant.types import Chunk

    store = ChromaStore(path=DataDir(data).chroma)
    chunks = [
        Chunk(f"orphan{i}", "ghost-doc-1234", "Ghost", "ghost.md", f"ghost text {i}", 0, 11, 1, 1)
        for i in range(2)
    ]
    store.add(chunks, FakeEmbedder().embed([c.text for c in chunks]))


def pending_note(data: Path) -> None:
    """A write killed after its note and one chunk: the partial document must be rolled back."""
    from assistant.index.registry import Registry
    from assistant.index.store import ChromaStore
    from assistant.types import Chunk

    chunk = Chunk("partial0", "half-doc-1234", "Half", "half.md", "half written", 0, 12, 1, 1)
    registry = Registry(DataDir(data).registry)
    registry.begin("half-doc-1234", None, set(), {"partial0", "partial1"})
    registry.close()
    ChromaStore(path=DataDir(data).chroma).add([chunk], FakeEmbedder().embed([chunk.text]))


BREAKAGES: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    "bm25 folder deleted": (delete_bm25, {"bm25 index"}),
    "bm25 ids.json corrupt": (corrupt_bm25_ids, {"bm25 index"}),
    "bm25 ids.json tampered": (tamper_bm25_ids, {"bm25 index"}),
    "registry row deleted": (delete_registry_row, {"orphan chunks"}),
    "registry chunk count wrong": (wrong_chunk_count, {"chunk counts"}),
    "registry file corrupt": (corrupt_registry, {"registry"}),
    "orphan chunks added": (add_orphan_chunks, {"orphan chunks", "bm25 index"}),
    "interrupted write": (pending_note, {"interrupted writes", "orphan chunks", "bm25 index"}),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_doctor_reports_and_repair_fixes_without_embedding(
    breakage: str, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    breaker, expected = BREAKAGES[breakage]
    before = vectors(data)
    breaker(data)
    code, report = doctor(data, capsys)
    assert code == 1 and report["ok"] is False
    assert expected <= failing(report), report
    assert all(c["fix"] for c in report["checks"] if not c["ok"])

    code, repaired = doctor(data, capsys, "--repair")
    assert code == 0, repaired
    assert repaired["ok"] is True and repaired["repaired"]
    code, again = doctor(data, capsys)
    assert code == 0 and again["ok"] is True

    assert EMBEDDED == []  # nothing was embedded by doctor or its repairs
    after = vectors(data)
    assert {k: v for k, v in after.items() if k in before} == before


def test_re_registered_orphans_are_reused_by_the_next_ingest(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    delete_registry_row(data)
    assert doctor(data, capsys, "--repair")[0] == 0
    code, out, _ = run(data, "ingest", "--json", str(tmp_path / "docs"), capsys=capsys)
    assert code == 0
    statuses = sorted(r["status"] for r in json.loads(out)["results"])
    assert statuses == ["unchanged", "unchanged", "updated"]  # its sha was unknown: re-checked
    assert EMBEDDED == []


def test_missing_data_directory_is_a_problem_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = doctor(tmp_path / "nowhere", capsys)
    assert code == 1
    (check,) = report["checks"]
    assert check["name"] == "data directory" and "assistant ingest" in check["fix"]


def test_a_model_that_does_not_load_is_reported(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.cli.context as context

    monkeypatch.setattr(context, "Runtime", Runtime)
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "no-such-model-package")
    code, report = doctor(data, capsys)
    assert code == 1 and failing(report) == {"embedding model"}


def test_a_model_of_another_dimension_is_reported(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.cli.context as context

    monkeypatch.setattr(
        context, "Runtime", lambda s: Runtime(s, embedder_override=FakeEmbedder(dimension=32))
    )
    code, report = doctor(data, capsys)
    assert code == 1 and failing(report) == {"embedding model"}
    (check,) = [c for c in report["checks"] if c["name"] == "embedding model"]
    assert "32" in check["detail"] and "64" in check["detail"]


def test_a_busy_writer_is_reported_not_waited_for(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    import assistant.health as health

    monkeypatch.setattr(health, "LOCK_WAIT", 0.1)
    lock = FileLock(str(DataDir(data).write_lock.path))
    lock.acquire(timeout=0)
    try:
        code, report = doctor(data, capsys)
        code_repair, repaired = doctor(data, capsys, "--repair")
    finally:
        lock.release()
    assert code == 1 and failing(report) == {"write lock"}
    assert code_repair == 1 and "another process is writing" in repaired["repaired"][0]


def test_vectors_helper_sees_real_vectors(data: Path) -> None:
    stored = vectors(data)
    assert stored and all(len(np.frombuffer(v, dtype=np.float32)) == 64 for v in stored.values())


def test_a_damaged_vector_store_is_reported_and_not_made_worse(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # forget this process's open copy of the store
    damaged = (DataDir(data).chroma / "chroma.sqlite3").read_bytes()[:4096][::-1]
    (DataDir(data).chroma / "chroma.sqlite3").write_bytes(damaged)
    code, report = doctor(data, capsys)
    assert code == 1 and "vector store" in failing(report)
    (check,) = [c for c in report["checks"] if c["name"] == "vector store"]
    assert "ingest the documents again" in check["fix"]
    code, repaired = doctor(data, capsys, "--repair")
    assert code == 1 and "could not reach the vector store" in repaired["repaired"][0]
    assert (DataDir(data).chroma / "chroma.sqlite3").read_bytes() == damaged
    SharedSystemClient.clear_system_cache()
