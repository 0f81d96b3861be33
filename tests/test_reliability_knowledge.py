"""Killed and failed writes leave a knowledge base that the next write (or a re-run) makes whole.

A SIGKILL is simulated by writing exactly the state a killed process leaves: the write-ahead
note, some of the chunks, no registry row. (tests/test_crash_ingest.py kills real processes.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from assistant.config import Settings, load_settings
from assistant.index.bm25 import BM25Index, fingerprint
from assistant.knowledge import KnowledgeBase
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder, InMemoryStore


def write_docs(folder: Path, n: int, tag: str = "v1") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        paras = [
            f"Paragraph {j} of document {i} ({tag}) on tariffs, yen, alliance number {i * 7 + j}. "
            * 6
            for j in range(5)
        ]
        path = folder / f"doc{i}.md"
        path.write_text(f"# Document {i}\n\n" + "\n\n".join(paras))
        paths.append(path)
    return paths


def state(kb: KnowledgeBase) -> dict[str, object]:
    """Everything that must agree: chunk ids, registry (id, sha, chunks), BM25, notes."""
    ids = kb.store.ids()
    return {
        "ids": sorted(ids),
        "registry": sorted((r.document_id, r.sha256, r.chunks) for r in kb.documents()),
        "bm25": kb.bm25().fingerprint == fingerprint(ids),
        "pending": kb.registry.pending(),
        "orphans": sorted(
            {c.document_id for c in kb.store.chunks()} - {r.document_id for r in kb.documents()}
        ),
    }


def settings_for(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir)


def fresh_kb(tmp_path: Path, name: str) -> KnowledgeBase:
    runtime = Runtime(
        settings_for(tmp_path / name),
        embedder_override=FakeEmbedder(),
        store_override=InMemoryStore(),
    )
    return runtime.knowledge


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    write_docs(folder, 4)
    return folder


@pytest.fixture
def clean(tmp_path: Path, docs: Path) -> dict[str, object]:
    kb = fresh_kb(tmp_path, "clean")
    kb.ingest([docs])
    return state(kb)


def kill_mid_add(kb: KnowledgeBase, docs: Path, keep: int) -> None:
    """What a process killed after upserting `keep` chunks of the first new document leaves."""
    from assistant.documents.loaders import load_document
    from assistant.knowledge import source_key

    path = sorted(docs.iterdir())[0]
    doc = load_document(path, source=source_key(path))
    item = kb.prepare(path.name, doc)
    record = __import__("assistant.types", fromlist=["DocumentRecord"]).DocumentRecord(
        item.document_id,
        doc.title,
        doc.source,
        doc.doc_type,
        item.sha256,
        len(item.chunks),
        "t",
        "t",
    )
    kb.registry.begin(item.document_id, record, set(), {c.chunk_id for c in item.chunks})
    part = item.chunks[:keep]
    kb.store.add(part, kb.embedder.embed([c.text for c in part]))


def test_rerun_after_a_kill_mid_add_equals_a_clean_ingest_and_reuses_vectors(
    tmp_path: Path, docs: Path, clean: dict[str, object]
) -> None:
    kb = fresh_kb(tmp_path, "killed")
    kill_mid_add(kb, docs, keep=2)
    embedder = kb.embedder
    assert isinstance(embedder, FakeEmbedder)
    before = len(embedder.embedded)
    report = kb.ingest([docs])
    assert state(kb) == clean
    assert report.count("added") == 4
    total = len(clean["ids"])  # type: ignore[arg-type]
    assert len(embedder.embedded) - before == total - 2  # the 2 stored chunks were reused


def test_a_different_ingest_after_a_kill_rolls_the_partial_document_back(
    tmp_path: Path, docs: Path
) -> None:
    kb = fresh_kb(tmp_path, "killed")
    kill_mid_add(kb, docs, keep=1)
    other = write_docs(tmp_path / "other", 1, tag="other")
    kb.ingest(other)
    after = state(kb)
    assert after["orphans"] == [] and after["pending"] == [] and after["bm25"]
    (only,) = kb.documents()
    assert "/other/" in only.path
    assert {c.document_id for c in kb.store.chunks()} == {only.document_id}


def test_kill_after_all_chunks_of_an_update_rolls_forward(tmp_path: Path, docs: Path) -> None:
    kb = fresh_kb(tmp_path, "kb")
    kb.ingest([docs])
    first = sorted(docs.iterdir())[0]
    first.write_text(first.read_text().replace("tariffs", "semiconductors"))
    from assistant.documents.loaders import load_document
    from assistant.knowledge import source_key

    doc = load_document(first, source=source_key(first))
    item = kb.prepare(first.name, doc)
    old = kb.store.ids(item.document_id)
    record = kb.registry.get(item.document_id)
    assert record is not None
    new_record = type(record)(
        record.document_id,
        doc.title,
        doc.source,
        doc.doc_type,
        item.sha256,
        len(item.chunks),
        record.added,
        "later",
    )
    kb.registry.begin(item.document_id, new_record, old, {c.chunk_id for c in item.chunks})
    new = [c for c in item.chunks if c.chunk_id not in old]
    kb.store.add(new, kb.embedder.embed([c.text for c in new]))  # killed before the deletes
    lines = kb.recover()
    assert lines and "completed" in lines[0]
    kb.sync_bm25()
    assert kb.store.ids(item.document_id) == {c.chunk_id for c in item.chunks}
    assert kb.registry.get(item.document_id) == new_record
    clean_kb = fresh_kb(tmp_path, "clean")
    clean_kb.ingest([docs])
    assert state(kb)["ids"] == state(clean_kb)["ids"]


def test_a_killed_remove_is_finished_by_the_next_write(tmp_path: Path, docs: Path) -> None:
    kb = fresh_kb(tmp_path, "kb")
    kb.ingest([docs])
    victim = kb.documents()[0].document_id
    ids = kb.store.ids(victim)
    kb.registry.begin(victim, None, ids, ())
    kb.store.delete(sorted(ids)[:1])  # killed part-way through the delete
    kb.ingest(write_docs(tmp_path / "more", 1, tag="more"))
    after = state(kb)
    assert victim not in {r.document_id for r in kb.documents()}
    assert kb.store.ids(victim) == set()
    assert after["orphans"] == [] and after["pending"] == [] and after["bm25"]


def test_unchanged_document_with_missing_chunks_is_repaired_not_trusted(
    tmp_path: Path, docs: Path, clean: dict[str, object]
) -> None:
    kb = fresh_kb(tmp_path, "kb")
    kb.ingest([docs])
    victim = kb.documents()[0].document_id
    kb.store.delete(sorted(kb.store.ids(victim))[:2])  # e.g. an old-version crash of a remove
    report = kb.ingest([docs])
    assert report.count("updated") == 1 and report.count("unchanged") == 3
    assert report.embedded == 2
    assert state(kb) == clean


class ExplodingEmbedder(FakeEmbedder):
    """Fails on its n-th call, like a model running out of memory half-way through."""

    def __init__(self, fail_on_call: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed(self, texts, *, on_batch=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise MemoryError("out of memory")
        return super().embed(texts, on_batch=on_batch)


def test_a_failing_embedder_leaves_only_complete_documents(
    tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("assistant.index.writer.EMBED_GROUP", 1)  # one encode call per document
    runtime = Runtime(
        settings_for(tmp_path / "kb"),
        embedder_override=ExplodingEmbedder(fail_on_call=3),
        store_override=InMemoryStore(),
    )
    kb = runtime.knowledge
    with pytest.raises(MemoryError):
        kb.ingest([docs])
    after = state(kb)
    assert len(kb.documents()) == 2
    assert after["orphans"] == [] and after["pending"] == [] and after["bm25"]
    assert sum(r.chunks for r in kb.documents()) == kb.chunk_count()


def test_same_file_named_twice_is_ingested_once(tmp_path: Path, docs: Path) -> None:
    kb = fresh_kb(tmp_path, "kb")
    first = sorted(docs.iterdir())[0]
    report = kb.ingest([first, first, docs])
    assert len(kb.documents()) == 4
    assert report.embedded == kb.chunk_count()


def test_a_reader_never_writes_the_bm25_index_while_a_writer_holds_the_lock(
    tmp_path: Path, docs: Path
) -> None:
    kb = fresh_kb(tmp_path, "kb")
    kb.ingest([docs])
    saved = BM25Index.load(kb.bm25_dir)
    assert saved is not None
    extra = write_docs(tmp_path / "extra", 1, tag="extra")[0]
    from assistant.documents.loaders import load_document
    from assistant.knowledge import source_key

    doc = load_document(extra, source=source_key(extra))
    item = kb.prepare(extra.name, doc)
    kb.store.add(item.chunks, np.vstack([kb.embedder.embed_query(c.text) for c in item.chunks]))
    kb.bm25_keeper.forget()
    other = FileLock(str(kb.lock_path))
    other.acquire(timeout=0)  # a writer in "another process"
    try:
        index = kb.bm25()  # built in memory for this reader, not saved
        assert index.fingerprint == fingerprint(kb.store.ids())
        on_disk = BM25Index.load(kb.bm25_dir)
        assert on_disk is not None and on_disk.fingerprint == saved.fingerprint
    finally:
        other.release()
    kb.bm25_keeper.forget()
    kb.bm25()  # lock free: now it is saved
    on_disk = BM25Index.load(kb.bm25_dir)
    assert on_disk is not None and on_disk.fingerprint == fingerprint(kb.store.ids())


def test_the_write_lock_is_released_after_every_write(tmp_path: Path, docs: Path) -> None:
    kb = fresh_kb(tmp_path, "kb")
    kb.ingest([docs])
    kb.remove(kb.documents()[0].document_id)
    other = FileLock(str(kb.lock_path))
    other.acquire(timeout=0)  # would raise Timeout if the knowledge base still held it
    other.release()


def test_a_busy_writer_gives_a_one_line_store_busy(tmp_path: Path, docs: Path) -> None:
    from assistant.errors import StoreBusy

    kb = fresh_kb(tmp_path, "kb")
    kb.lock_timeout = 0.2
    other = FileLock(str(kb.lock_path))
    other.acquire(timeout=0)
    try:
        with pytest.raises(StoreBusy) as caught:
            kb.ingest([docs])
    finally:
        other.release()
    assert "\n" not in str(caught.value) and "another process is writing" in str(caught.value)
    assert kb.store.count() == 0 and kb.documents() == []


def test_a_knowledge_base_of_only_stopwords_still_answers(tmp_path: Path) -> None:
    """Found by hypothesis: bm25s cannot index a corpus without a single token ("!" or "the"),
    which used to fail every ingest and every question afterwards."""
    kb = fresh_kb(tmp_path, "kb")
    report = kb.ingest_bytes([("bang.txt", b"!"), ("the.md", b"The. It is.")])
    assert report.count("added") == 2
    assert kb.bm25().search("yen", 5) == []
    kb.bm25_keeper.forget()
    reloaded = BM25Index.load(kb.bm25_dir)
    assert reloaded is not None and reloaded.fingerprint == fingerprint(kb.store.ids())
    assert reloaded.search("the", 5) == []
    kb.ingest_bytes([("yen.md", b"The yen fell.")])
    assert [cid for cid, _ in kb.bm25().search("yen", 5)] == sorted(
        kb.store.ids(kb.documents()[-1].document_id)
    )


def test_a_reader_of_a_read_only_data_directory_still_answers(
    tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.index.datadir as datadir

    kb = fresh_kb(tmp_path, "kb")
    kb.ingest([docs])

    class ReadOnlyLock:
        def __init__(self, path: str) -> None:
            self.path = path

        def acquire(self, timeout: float = -1) -> None:
            raise PermissionError(13, "Permission denied", self.path)

    monkeypatch.setattr(datadir, "FileLock", ReadOnlyLock)
    shutil.rmtree(kb.bm25_dir)
    kb.bm25_keeper.forget()
    index = kb.bm25()  # rebuilt in memory; not saved, no crash
    assert index.fingerprint == fingerprint(kb.store.ids())
    assert not kb.bm25_dir.exists()
