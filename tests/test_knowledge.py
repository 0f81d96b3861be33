"""The knowledge base with fakes: adding, re-adding, changing, removing, rejecting documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.runtime import Runtime
from assistant.testing import FakeEmbedder

DOC_A = "---\ntitle: Alpha report\n---\n\nTokyo bought radar systems in 2021.\n\nThe radar covers the southern islands.\n"
DOC_B = "# Beta notes\n\nOsaka hosted a trade fair about robots.\n"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _state(runtime: Runtime) -> tuple[set[str], list[tuple[str, int]], list[str]]:
    kb = runtime.knowledge
    return (
        kb.store.ids(),
        [(r.document_id, r.chunks) for r in kb.documents()],
        sorted(kb.bm25().chunk_ids),
    )


def test_ingest_adds_documents_with_titles_and_chunks(
    fake_runtime: Runtime, tmp_path: Path
) -> None:
    _write(tmp_path / "docs", "a.md", DOC_A)
    _write(tmp_path / "docs", "b.md", DOC_B)
    report = fake_runtime.knowledge.ingest([tmp_path / "docs"])
    assert [(r.name, r.status) for r in report.results] == [("a.md", "added"), ("b.md", "added")]
    titles = sorted(r.title for r in fake_runtime.knowledge.documents())
    assert titles == ["Alpha report", "Beta notes"]
    assert report.summary() == "2 added, 0 updated, 0 unchanged, 0 rejected (2 chunks embedded)"


def test_reingesting_is_a_no_op_and_embeds_nothing(fake_runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _write(folder, "a.md", DOC_A)
    kb = fake_runtime.knowledge
    kb.ingest([folder])
    before = _state(fake_runtime)
    embedder = fake_runtime.embedder
    assert isinstance(embedder, FakeEmbedder)
    embedded_before = len(embedder.embedded)
    report = kb.ingest([folder])
    assert [r.status for r in report.results] == ["unchanged"]
    assert report.embedded == 0
    assert len(embedder.embedded) == embedded_before
    assert _state(fake_runtime) == before


def test_changed_document_replaces_its_chunks_embedding_only_new_ones(
    fake_runtime: Runtime, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "docs"
    paragraphs = [f"Paragraph {i} tells about ship number {i} in the fleet." for i in range(40)]
    path = _write(folder, "fleet.txt", "\n\n".join(paragraphs))
    kb = fake_runtime.knowledge
    first = kb.ingest([path])
    old_ids = kb.store.ids()
    assert first.embedded == len(old_ids) > 1
    paragraphs[-1] = "Paragraph 39 now says the fleet was sold."
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    second = kb.ingest([path])
    assert [r.status for r in second.results] == ["updated"]
    new_ids = kb.store.ids()
    assert second.embedded == len(new_ids - old_ids) == 1
    assert len(old_ids - new_ids) == 1
    assert [r.chunks for r in kb.documents()] == [len(new_ids)]
    assert sorted(kb.bm25().chunk_ids) == sorted(new_ids)
    texts = " ".join(c.text for c in kb.store.chunks())
    assert "fleet was sold" in texts and "ship number 39" not in texts


def test_remove_deletes_from_dense_and_bm25_results(fake_runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _write(folder, "a.md", DOC_A)
    _write(folder, "b.md", DOC_B)
    kb = fake_runtime.knowledge
    kb.ingest([folder])
    retriever = fake_runtime.retriever
    doc_a = next(r.document_id for r in kb.documents() if r.title == "Alpha report")
    query = "radar southern islands"
    assert {h.chunk.document_id for h in retriever.retrieve(query, mode="dense")} >= {doc_a}
    assert {h.chunk.document_id for h in retriever.retrieve(query, mode="bm25")} == {doc_a}
    removed = kb.remove(doc_a)
    assert removed.title == "Alpha report"
    for mode in ("dense", "bm25", "hybrid"):
        hits = retriever.retrieve(query, mode=mode)  # type: ignore[arg-type]
        assert doc_a not in {h.chunk.document_id for h in hits}
    assert [r.title for r in kb.documents()] == ["Beta notes"]


def test_remove_unknown_id_is_a_clear_error(fake_runtime: Runtime) -> None:
    with pytest.raises(AssistantError, match="no document with id 'nope'"):
        fake_runtime.knowledge.remove("nope")


def test_duplicate_under_another_name_is_not_added_again(
    fake_runtime: Runtime, tmp_path: Path
) -> None:
    _write(tmp_path / "one", "a.md", DOC_A)
    _write(tmp_path / "two", "copy-of-a.md", DOC_A)
    kb = fake_runtime.knowledge
    kb.ingest([tmp_path / "one"])
    before = _state(fake_runtime)
    report = kb.ingest([tmp_path / "two"])
    [result] = report.results
    assert result.status == "unchanged"
    assert result.reason.startswith("duplicate of a-")
    assert _state(fake_runtime) == before


def test_rejected_files_leave_the_store_unchanged(fake_runtime: Runtime, tmp_path: Path) -> None:
    kb = fake_runtime.knowledge
    kb.ingest([_write(tmp_path, "a.md", DOC_A)])
    before = _state(fake_runtime)
    empty = _write(tmp_path, "empty.txt", "")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02binary")
    odd = _write(tmp_path, "notes.xyz", "text")
    report = kb.ingest([empty, binary, odd, tmp_path / "missing.md"])
    assert [r.status for r in report.results] == ["rejected"] * 4
    reasons = {r.name: r.reason for r in report.results}
    assert reasons["empty.txt"] == "'empty.txt' has no text"
    assert reasons["bin.txt"] == "'bin.txt' looks binary, not text"
    assert reasons["notes.xyz"].startswith("unsupported file type '.xyz'")
    assert reasons[str(tmp_path / "missing.md")] == "no such file or folder"
    assert _state(fake_runtime) == before


def test_folders_skip_hidden_and_ignored_files(fake_runtime: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    _write(folder, "a.md", DOC_A)
    _write(folder, "README.md", "# How to add documents\n\nPut them here.\n")
    _write(folder, ".hidden.md", DOC_B)
    _write(folder / "sub", "b.md", DOC_B)
    _write(folder, "image.png", "not a document")
    _write(folder, ".assistantignore", "# not documents\nREADME.md\n")
    report = fake_runtime.knowledge.ingest([folder])
    assert sorted(r.name for r in report.results) == ["a.md", "b.md"]


def test_uploads_use_names_as_labels_never_as_paths(fake_runtime: Runtime, tmp_path: Path) -> None:
    kb = fake_runtime.knowledge
    report = kb.ingest_bytes([("../../etc/evil.md", DOC_B.encode())])
    [result] = report.results
    assert (result.name, result.status) == ("evil.md", "added")
    [record] = kb.documents()
    assert record.path == "upload/evil.md"
    assert not (tmp_path / "etc").exists()


def test_prune_removes_documents_whose_files_are_gone(
    fake_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path("kb")
    _write(folder, "a.md", DOC_A)
    gone = _write(folder, "b.md", DOC_B)
    kb = fake_runtime.knowledge
    kb.ingest([folder])
    kb.ingest_bytes([("upload.md", b"# Uploaded\n\nKept even though no file exists.\n")])
    gone.unlink()
    removed = kb.prune_missing([folder])
    assert [r.path for r in removed] == ["kb/b.md"]
    assert sorted(r.path for r in kb.documents()) == ["kb/a.md", "upload/upload.md"]
    assert kb.prune_missing([folder]) == []


def test_many_small_documents_are_embedded_in_few_calls(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assistant.testing import InMemoryStore

    class CountingEmbedder(FakeEmbedder):
        calls = 0

        def embed(self, texts, *, on_batch=None):  # type: ignore[no-untyped-def]
            CountingEmbedder.calls += 1
            return super().embed(texts, on_batch=on_batch)

    runtime = Runtime(
        settings, embedder_override=CountingEmbedder(), store_override=InMemoryStore()
    )
    folder = tmp_path / "many"
    for i in range(40):
        _write(folder, f"d{i:02d}.md", f"# Note {i}\n\nShip {i} sailed on day {i}.\n")
    report = runtime.knowledge.ingest([folder])
    assert report.count("added") == 40 and report.embedded == 40
    assert CountingEmbedder.calls == 1
